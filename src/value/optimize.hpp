// Private: a small dense BFGS minimizer for the likelihood fits (2–4 log-parameters). Objectives
// return f(u) and write its gradient; non-finite values are treated as "step too far".
#pragma once

#include <algorithm>
#include <array>
#include <cmath>

namespace crmkit::value::detail {

template <size_t N>
struct MinimizeResult {
  std::array<double, N> u{};
  double f = 0;
  int iterations = 0;
  bool converged = false;
};

/// Minimizes f(u, grad) from u0 with BFGS and a backtracking (Armijo) line search.
/// Converged when max|grad| < gtol, or when no step can decrease f any further while
/// max|grad| < sqrt(gtol) (the optimum at machine precision).
template <size_t N, class F>
MinimizeResult<N> minimize_bfgs(F&& f, std::array<double, N> u, int max_iterations, double gtol) {
  using Vec = std::array<double, N>;
  auto dot = [](const Vec& a, const Vec& b) {
    double s = 0;
    for (size_t i = 0; i < N; ++i) s += a[i] * b[i];
    return s;
  };
  auto max_abs = [](const Vec& a) {
    double m = 0;
    for (double v : a) m = std::max(m, std::fabs(v));
    return m;
  };
  double H[N][N];
  auto reset = [&] {
    for (size_t i = 0; i < N; ++i)
      for (size_t j = 0; j < N; ++j) H[i][j] = i == j ? 1.0 : 0.0;
  };
  reset();
  MinimizeResult<N> res;
  Vec g{};
  double fx = f(u, g);
  if (!std::isfinite(fx)) return res;
  bool first_update = true;
  for (int it = 1; it <= max_iterations; ++it) {
    res.iterations = it;
    if (max_abs(g) < gtol) {
      res.converged = true;
      break;
    }
    Vec d{};
    for (size_t i = 0; i < N; ++i)
      for (size_t j = 0; j < N; ++j) d[i] -= H[i][j] * g[j];
    double slope = dot(g, d);
    if (!(slope < 0)) {  // not a descent direction: restart from steepest descent
      reset();
      for (size_t i = 0; i < N; ++i) d[i] = -g[i];
      slope = dot(g, d);
      first_update = true;
    }
    // Keep each log-parameter step below 3 (a factor of 20) to stay away from overflow.
    double step = std::min(1.0, 3.0 / std::max(max_abs(d), 1e-300));
    Vec un{}, gn{};
    double fn = 0;
    bool accepted = false;
    for (int ls = 0; ls < 60; ++ls) {
      for (size_t i = 0; i < N; ++i) un[i] = u[i] + step * d[i];
      fn = f(un, gn);
      if (std::isfinite(fn) && fn <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      if (max_abs(g) < std::sqrt(gtol)) res.converged = true;  // at the optimum to machine precision
      break;
    }
    Vec s{}, y{};
    for (size_t i = 0; i < N; ++i) {
      s[i] = un[i] - u[i];
      y[i] = gn[i] - g[i];
    }
    double sy = dot(s, y);
    if (sy > 1e-300) {
      if (first_update) {  // scale the initial inverse Hessian (Nocedal & Wright 6.20)
        double scale = sy / dot(y, y);
        for (size_t i = 0; i < N; ++i)
          for (size_t j = 0; j < N; ++j) H[i][j] = i == j ? scale : 0.0;
        first_update = false;
      }
      double rho = 1.0 / sy;
      Vec Hy{};
      for (size_t i = 0; i < N; ++i)
        for (size_t j = 0; j < N; ++j) Hy[i] += H[i][j] * y[j];
      double yHy = dot(y, Hy);
      for (size_t i = 0; i < N; ++i)
        for (size_t j = 0; j < N; ++j)
          H[i][j] += (1 + rho * yHy) * rho * s[i] * s[j] - rho * (Hy[i] * s[j] + s[i] * Hy[j]);
    }
    bool tiny_change = std::fabs(fx - fn) <= 1e-16 * std::max(1.0, std::fabs(fx));
    u = un;
    g = gn;
    fx = fn;
    if (tiny_change && max_abs(g) < std::sqrt(gtol)) {
      res.converged = true;
      break;
    }
  }
  if (max_abs(g) < gtol) res.converged = true;
  res.u = u;
  res.f = fx;
  return res;
}

}  // namespace crmkit::value::detail
