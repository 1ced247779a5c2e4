// Private: numerical kernels shared by the value models.
#pragma once

namespace crmkit::value::detail {

/// Expected purchases in the next s·(α+T) periods of a customer known to be alive, whose posterior
/// is λ ~ Gamma(n, α+T), p ~ Beta(a, B) (n = r+x, B = b+x):
///   ∫₀¹ (1 − (1+p·s)^(−n)) / p · Beta(p; a, B) dp  =  C/(a−1) · [1 − 2F1(n, a−1; C; −s)],  C = a+B−1.
/// Evaluated with the Pfaff-transformed series (argument s/(1+s) in [0, 1), no cancellation at
/// a = 1, no growth with x); tanh-sinh quadrature covers C <= 0 and s/(1+s) > 0.99.
double expected_purchases_if_alive(double n, double s, double a, double B);

}  // namespace crmkit::value::detail
