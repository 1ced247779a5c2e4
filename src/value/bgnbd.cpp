// BG/NBD model: likelihood, maximum-likelihood fit, expectations, P(alive); the 2F1 they need.
#include <fmt/format.h>

#include <algorithm>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <cmath>
#include <map>

#include "crmkit/error.hpp"
#include "crmkit/value.hpp"
#include "value/dedupe.hpp"
#include "value/model_math.hpp"
#include "value/optimize.hpp"

namespace crmkit::value {
namespace {

using boost::math::digamma;

void check_summaries(std::span<const CustomerSummary> customers) {
  for (size_t i = 0; i < customers.size(); ++i) {
    const CustomerSummary& c = customers[i];
    if (!std::isfinite(c.x) || !std::isfinite(c.t_x) || !std::isfinite(c.T) || c.x < 0 || c.t_x < 0 || c.T < 0)
      throw Error(Errc::invalid_argument,
                  fmt::format("customer {}: x, t_x and T must be finite and >= 0 (x={}, t_x={}, T={})", i, c.x, c.t_x, c.T));
    if (c.t_x > c.T * (1 + 1e-12) + 1e-12)
      throw Error(Errc::invalid_argument, fmt::format("customer {}: t_x {} is greater than T {}", i, c.t_x, c.T));
  }
}

/// The BG/NBD likelihood over distinct (x, t_x, T) profiles with counts; the per-x gamma terms are
/// computed once per distinct x.
class BgNbdLikelihood {
 public:
  /// `weights` empty: every customer counts once; else customer i counts weights[i] times.
  explicit BgNbdLikelihood(std::span<const CustomerSummary> customers, std::span<const double> weights = {}) {
    auto d = detail::distinct_rows<3>(
        customers.size(), [&](size_t i) { return std::array<double, 3>{customers[i].x, customers[i].t_x, customers[i].T}; },
        !weights.empty());
    if (!weights.empty()) {
      std::fill(d.count.begin(), d.count.end(), 0.0);
      for (size_t i = 0; i < customers.size(); ++i) d.count[d.of_row[i]] += weights[i];
    }
    detail::sort_distinct(d);
    std::map<double, uint32_t> xs;
    for (auto& k : d.keys) xs.emplace(k[0], 0);
    for (auto& [x, idx] : xs) {
      idx = static_cast<uint32_t>(x_values_.size());
      x_values_.push_back(x);
    }
    x_weight_.assign(x_values_.size(), 0.0);
    profiles_.reserve(d.keys.size());
    for (size_t i = 0; i < d.keys.size(); ++i) {
      uint32_t xi = xs[d.keys[i][0]];
      profiles_.push_back(Profile{d.keys[i][0], d.keys[i][1], d.keys[i][2], d.count[i], xi});
      x_weight_[xi] += d.count[i];
      total_weight_ += d.count[i];
    }
  }

  double total_weight() const { return total_weight_; }
  size_t profiles() const { return profiles_.size(); }

  /// Total log-likelihood at (r, α, a, b); if grad, also its gradient in (r, α, a, b).
  double evaluate(double r, double alpha, double a, double b, double* grad) const {
    const bool want = grad != nullptr;
    const double ln_alpha = std::log(alpha);
    const double ln_a = std::log(a);
    double ll = total_weight_ * (-std::lgamma(r) + r * ln_alpha + std::lgamma(a + b) - std::lgamma(b));
    double gr = 0, ga = 0, gaa = 0, gb = 0;
    if (want) {
      double ab = digamma(a + b);
      gr = total_weight_ * (-digamma(r) + ln_alpha);
      ga = total_weight_ * r / alpha;
      gaa = total_weight_ * ab;
      gb = total_weight_ * (ab - digamma(b));
    }
    per_x_.resize(x_values_.size());
    for (size_t i = 0; i < x_values_.size(); ++i) {
      const double x = x_values_[i];
      const double w = x_weight_[i];
      ll += w * (std::lgamma(r + x) + std::lgamma(b + x) - std::lgamma(a + b + x));
      per_x_[i].ln_bx1 = x > 0 ? std::log(b + x - 1) : 0.0;
      if (want) {
        double dabx = digamma(a + b + x);
        gr += w * digamma(r + x);
        gaa -= w * dabx;
        gb += w * (digamma(b + x) - dabx);
      }
    }
    for (const Profile& p : profiles_) {
      const double rx = r + p.x;
      const double lD = std::log(alpha + p.T);
      const double A3 = -rx * lD;
      if (p.x > 0) {
        const double lE = std::log(alpha + p.t_x);
        const double A4 = ln_a - per_x_[p.xi].ln_bx1 - rx * lE;
        const double hi = std::max(A3, A4);
        const double e3 = std::exp(A3 - hi), e4 = std::exp(A4 - hi);
        const double sum = e3 + e4;
        ll += p.w * (hi + std::log(sum));
        if (want) {
          const double w3 = e3 / sum, w4 = e4 / sum;
          gr -= p.w * (w3 * lD + w4 * lE);
          ga -= p.w * rx * (w3 / (alpha + p.T) + w4 / (alpha + p.t_x));
          gaa += p.w * w4 / a;
          gb -= p.w * w4 / (b + p.x - 1);
        }
      } else {
        ll += p.w * A3;
        if (want) {
          gr -= p.w * lD;
          ga -= p.w * rx / (alpha + p.T);
        }
      }
    }
    if (want) {
      grad[0] = gr;
      grad[1] = ga;
      grad[2] = gaa;
      grad[3] = gb;
    }
    return ll;
  }

 private:
  struct Profile {
    double x, t_x, T, w;
    uint32_t xi;
  };
  struct PerX {
    double ln_bx1;
  };
  std::vector<double> x_values_, x_weight_;
  std::vector<Profile> profiles_;
  mutable std::vector<PerX> per_x_;
  double total_weight_ = 0;
};

}  // namespace

// ---- the special function ------------------------------------------------------------------------

double hyp2f1(double a, double b, double c, double z, int max_terms) {
  if (!(c > 0) || !(z < 1) || !std::isfinite(a) || !std::isfinite(b) || !std::isfinite(z))
    throw Error(Errc::invalid_argument, fmt::format("hyp2f1: needs c > 0 and z < 1 (a={}, b={}, c={}, z={})", a, b, c, z));
  double prefactor = 1;
  if (z < 0) {  // Pfaff: 2F1(a,b;c;z) = (1-z)^(-a) 2F1(a, c-b; c; z/(z-1)), argument in [0, 1)
    prefactor = std::pow(1 - z, -a);
    b = c - b;
    z = z / (z - 1);
  }
  double term = 1, sum = 1;
  for (int k = 0; k < max_terms; ++k) {
    term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
    sum += term;
    if (term == 0 || (std::fabs(term) <= 1e-17 * std::fabs(sum) && k > 2)) return prefactor * sum;
  }
  throw Error(Errc::no_convergence,
              fmt::format("hyp2f1({}, {}; {}; {}) did not converge in {} terms", a, b, c, z, max_terms));
}

namespace detail {

double expected_purchases_if_alive(double n, double s, double a, double B) {
  if (s <= 0) return 0;
  const double C = a + B - 1;
  const double z = s / (1 + s);
  if (C > 0 && z <= 0.99) {
    // value = C · [expm1((1−a)L)/(1−a) − (1+s)^(1−a) · H], L = ln(1+s),
    // H = Σ_{k≥1} (C−n)_k (a)_{k−1} / ((C)_k k!) z^k   (2F1(C−n, a−1; C; z) = 1 + (a−1)·H).
    const double L = std::log1p(s);
    const double u = (1 - a) * L;
    const double first = std::fabs(u) < 1e-8 ? L * (1 + u / 2) : std::expm1(u) / (1 - a);
    const double cn = C - n;
    double term = cn / C * z;  // k = 1
    double H = term;
    for (int k = 1; k < 200000; ++k) {
      term *= (cn + k) * (a + k - 1) / ((C + k) * (k + 1)) * z;
      H += term;
      if (std::fabs(term) <= 1e-17 * std::fabs(H) || term == 0) {
        return C * (first - std::exp(u) * H);
      }
    }
  }
  // Whole-domain fallback: ∫₀¹ (1 − (1+ps)^(−n))/p · Beta(p; a, B) dp by tanh-sinh quadrature,
  // which copes with the endpoint singularities of the Beta density (a < 1 or B < 1).
  static thread_local boost::math::quadrature::tanh_sinh<double> integrator;
  const double lbeta = std::lgamma(a) + std::lgamma(B) - std::lgamma(a + B);
  auto f = [&](double p) {
    if (p <= 0 || p >= 1) return 0.0;
    double g = -std::expm1(-n * std::log1p(p * s)) / p;
    return g * std::exp((a - 1) * std::log(p) + (B - 1) * std::log1p(-p) - lbeta);
  };
  return integrator.integrate(f, 0.0, 1.0, 1e-12);
}

}  // namespace detail

// ---- BG/NBD ----------------------------------------------------------------------------------------

double BgNbd::log_likelihood(std::span<const CustomerSummary> customers) const {
  check_summaries(customers);
  if (customers.empty()) return 0;
  return BgNbdLikelihood(customers).evaluate(r, alpha, a, b, nullptr);
}

double BgNbd::probability_alive(const CustomerSummary& c) const {
  if (c.x <= 0) return 1.0;
  double log_odds = std::log(a) - std::log(b + c.x - 1) + (r + c.x) * (std::log(alpha + c.T) - std::log(alpha + c.t_x));
  return 1.0 / (1.0 + std::exp(log_odds));
}

double BgNbd::expected_purchases(double t) const {
  if (!(t >= 0)) throw Error(Errc::invalid_argument, fmt::format("time t must be >= 0, got {}", t));
  return detail::expected_purchases_if_alive(r, t / alpha, a, b);
}

double BgNbd::conditional_expected_purchases(const CustomerSummary& c, double t) const {
  if (!(t >= 0)) throw Error(Errc::invalid_argument, fmt::format("time t must be >= 0, got {}", t));
  return probability_alive(c) * detail::expected_purchases_if_alive(r + c.x, t / (alpha + c.T), a, b + c.x);
}

BgNbd::Fit BgNbd::fit(std::span<const CustomerSummary> customers, const FitOptions& options) {
  return fit_weighted(customers, {}, options);
}

BgNbd::Fit BgNbd::fit_weighted(std::span<const CustomerSummary> customers, std::span<const double> weights,
                               const FitOptions& options) {
  check_summaries(customers);
  if (customers.empty()) throw Error(Errc::invalid_argument, "BG/NBD fit: no customers");
  detail::check_weights(customers.size(), weights);
  BgNbdLikelihood lik(customers, weights);
  const double W = lik.total_weight();
  if (!(W > 0)) throw Error(Errc::invalid_argument, "BG/NBD fit: the weights sum to 0");
  const double pen = options.penalizer;
  // Minimize the mean negative log-likelihood (+ L2 penalty) in u = log(r, α, a, b).
  auto objective = [&](const std::array<double, 4>& u, std::array<double, 4>& g) {
    double th[4];
    for (int i = 0; i < 4; ++i) th[i] = std::exp(u[i]);
    double grad[4];
    double ll = lik.evaluate(th[0], th[1], th[2], th[3], grad);
    double f = -ll / W;
    for (int i = 0; i < 4; ++i) {
      f += pen * th[i] * th[i];
      g[i] = -grad[i] * th[i] / W + 2 * pen * th[i] * th[i];
    }
    return f;
  };
  auto res = detail::minimize_bfgs<4>(objective, {0, 0, 0, 0}, options.max_iterations, options.gradient_tolerance);
  if (!res.converged)
    throw Error(Errc::no_convergence,
                fmt::format("BG/NBD fit did not converge after {} iterations (r={:.4g}, alpha={:.4g}, a={:.4g}, b={:.4g})",
                            res.iterations, std::exp(res.u[0]), std::exp(res.u[1]), std::exp(res.u[2]), std::exp(res.u[3])));
  Fit fit;
  fit.model = BgNbd{std::exp(res.u[0]), std::exp(res.u[1]), std::exp(res.u[2]), std::exp(res.u[3])};
  fit.log_likelihood = lik.evaluate(fit.model.r, fit.model.alpha, fit.model.a, fit.model.b, nullptr);
  fit.customers = weights.empty() ? customers.size() : static_cast<size_t>(std::llround(W));
  fit.iterations = res.iterations;
  return fit;
}

}  // namespace crmkit::value
