// Gamma-Gamma spend model: likelihood, maximum-likelihood fit, expected spend.
#include <fmt/format.h>

#include <boost/math/special_functions/digamma.hpp>
#include <cmath>
#include <map>

#include "crmkit/error.hpp"
#include "crmkit/value.hpp"
#include "value/dedupe.hpp"
#include "value/optimize.hpp"

namespace crmkit::value {
namespace {

using boost::math::digamma;

/// Likelihood over distinct (x, m) pairs of the customers with x > 0 and m > 0; terms that depend
/// only on x (lgamma/digamma of p·x and p·x+q) are computed once per distinct x. The rule (see
/// GammaGamma::fit): x = 0 is left out (no repeat spend), x > 0 with m = 0 is left out and
/// counted (a Gamma spend is > 0), a non-finite value or m < 0 is refused naming the customer
/// (its id when `ids` are given, else its row).
class GammaGammaLikelihood {
 public:
  /// `weights` empty: every customer counts once; else customer i counts weights[i] times.
  explicit GammaGammaLikelihood(std::span<const CustomerSummary> customers, std::span<const double> weights = {},
                                std::span<const std::string> ids = {}) {
    auto who = [&](size_t i) { return i < ids.size() ? fmt::format("customer {}", ids[i]) : fmt::format("row {}", i); };
    std::vector<uint32_t> used;
    for (size_t i = 0; i < customers.size(); ++i) {
      const CustomerSummary& c = customers[i];
      if (!std::isfinite(c.x) || !std::isfinite(c.m))
        throw Error(Errc::invalid_argument, fmt::format("{}: x and m must be finite (x={}, m={})", who(i), c.x, c.m));
      if (!(c.x > 0)) continue;
      if (c.m < 0)
        throw Error(Errc::invalid_argument,
                    fmt::format("{}: Gamma-Gamma needs m >= 0 for customers with x > 0 (x={}, m={})", who(i), c.x, c.m));
      if (c.m == 0) {
        ++excluded_;
        continue;
      }
      used.push_back(static_cast<uint32_t>(i));
    }
    auto d = detail::distinct_rows<2>(
        used.size(), [&](size_t j) { return std::array<double, 2>{customers[used[j]].x, customers[used[j]].m}; },
        !weights.empty());
    double used_weight = static_cast<double>(used.size());
    if (!weights.empty()) {
      std::fill(d.count.begin(), d.count.end(), 0.0);
      used_weight = 0;
      for (size_t j = 0; j < used.size(); ++j) {
        d.count[d.of_row[j]] += weights[used[j]];
        used_weight += weights[used[j]];
      }
    }
    detail::sort_distinct(d);
    std::map<double, uint32_t> xs;
    for (auto& k : d.keys) xs.emplace(k[0], 0);
    for (auto& [x, idx] : xs) {
      idx = static_cast<uint32_t>(x_values_.size());
      x_values_.push_back(x);
    }
    x_weight_.assign(x_values_.size(), 0);
    for (size_t i = 0; i < d.keys.size(); ++i) {
      double x = d.keys[i][0], m = d.keys[i][1], w = d.count[i];
      uint32_t xi = xs[x];
      pairs_.push_back(Pair{x, m, w, xi});
      x_weight_[xi] += w;
      total_ += w;
      // Parameter-free parts: (p·x − 1)·ln m + p·x·ln x = p·x·(ln m + ln x) − ln m.
      const_ll_ -= w * std::log(m);
      x_log_mx_.push_back(x * (std::log(m) + std::log(x)));
    }
    customers_ = static_cast<size_t>(std::llround(used_weight));
  }

  double total_weight() const { return total_; }
  size_t customers() const { return customers_; }
  size_t excluded() const { return excluded_; }

  double evaluate(double p, double q, double v, double* grad) const {
    const bool want = grad != nullptr;
    const double ln_v = std::log(v);
    double ll = const_ll_ + total_ * (-std::lgamma(q) + q * ln_v);
    double gp = 0, gq = 0, gv = 0;
    if (want) {
      gq = total_ * (-digamma(q) + ln_v);
      gv = total_ * q / v;
    }
    for (size_t i = 0; i < x_values_.size(); ++i) {
      const double px = p * x_values_[i], w = x_weight_[i];
      ll += w * (std::lgamma(px + q) - std::lgamma(px));
      if (want) {
        const double dpq = digamma(px + q);
        gp += w * x_values_[i] * (dpq - digamma(px));
        gq += w * dpq;
      }
    }
    for (size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& c = pairs_[i];
      const double px = p * c.x;
      const double lden = std::log(v + c.m * c.x);
      ll += c.w * (p * x_log_mx_[i] - (px + q) * lden);
      if (want) {
        gp += c.w * (x_log_mx_[i] - c.x * lden);
        gq -= c.w * lden;
        gv -= c.w * (px + q) / (v + c.m * c.x);
      }
    }
    if (want) {
      grad[0] = gp;
      grad[1] = gq;
      grad[2] = gv;
    }
    return ll;
  }

 private:
  struct Pair {
    double x, m, w;
    uint32_t xi;
  };
  std::vector<double> x_values_, x_weight_, x_log_mx_;
  std::vector<Pair> pairs_;
  double total_ = 0, const_ll_ = 0;
  size_t customers_ = 0, excluded_ = 0;
};

void require_q_above_one(double q) {
  if (!(q > 1))
    throw Error(Errc::invalid_argument, fmt::format("Gamma-Gamma expected spend needs q > 1 (q = {})", q));
}

}  // namespace

double GammaGamma::log_likelihood(std::span<const CustomerSummary> customers) const {
  GammaGammaLikelihood lik(customers);
  if (lik.customers() == 0) return 0;
  return lik.evaluate(p, q, v, nullptr);
}

double GammaGamma::mean_spend() const {
  require_q_above_one(q);
  return p * v / (q - 1);
}

double GammaGamma::expected_spend(const CustomerSummary& c) const {
  require_q_above_one(q);
  if (!(c.x > 0)) return p * v / (q - 1);
  return p * (v + c.m * c.x) / (p * c.x + q - 1);
}

namespace {

GammaGamma::Fit fit_likelihood(const GammaGammaLikelihood& lik, const FitOptions& options);

}  // namespace

GammaGamma::Fit GammaGamma::fit(std::span<const CustomerSummary> customers, const FitOptions& options) {
  return fit_likelihood(GammaGammaLikelihood(customers), options);
}

GammaGamma::Fit GammaGamma::fit_table(const SummaryTable& table, const FitOptions& options) {
  return fit_likelihood(GammaGammaLikelihood(table.rows, {}, table.ids), options);
}

GammaGamma::Fit GammaGamma::fit_weighted(std::span<const CustomerSummary> customers, std::span<const double> weights,
                                         const FitOptions& options) {
  detail::check_weights(customers.size(), weights);
  GammaGammaLikelihood lik(customers, weights);
  Fit fit = fit_likelihood(lik, options);
  // A weighted row stands for weight customers: report the customers, not the rows.
  fit.customers = static_cast<std::size_t>(std::llround(lik.total_weight()));
  return fit;
}

namespace {

GammaGamma::Fit fit_likelihood(const GammaGammaLikelihood& lik, const FitOptions& options) {
  if (lik.customers() == 0 || !(lik.total_weight() > 0))
    throw Error(Errc::invalid_argument,
                fmt::format("Gamma-Gamma fit: no customers with x > 0 and m > 0 ({} with x > 0 and m = 0 left out)",
                            lik.excluded()));
  const double W = lik.total_weight();
  const double pen = options.penalizer;
  auto objective = [&](const std::array<double, 3>& u, std::array<double, 3>& g) {
    double th[3];
    for (int i = 0; i < 3; ++i) th[i] = std::exp(u[i]);
    double grad[3];
    double ll = lik.evaluate(th[0], th[1], th[2], grad);
    double f = -ll / W;
    for (int i = 0; i < 3; ++i) {
      f += pen * th[i] * th[i];
      g[i] = -grad[i] * th[i] / W + 2 * pen * th[i] * th[i];
    }
    return f;
  };
  auto res = detail::minimize_bfgs<3>(objective, {0, 0, 0}, options.max_iterations, options.gradient_tolerance);
  if (!res.converged)
    throw Error(Errc::no_convergence,
                fmt::format("Gamma-Gamma fit did not converge after {} iterations (p={:.4g}, q={:.4g}, v={:.4g})",
                            res.iterations, std::exp(res.u[0]), std::exp(res.u[1]), std::exp(res.u[2])));
  GammaGamma::Fit fit;
  fit.model = GammaGamma{std::exp(res.u[0]), std::exp(res.u[1]), std::exp(res.u[2])};
  fit.log_likelihood = lik.evaluate(fit.model.p, fit.model.q, fit.model.v, nullptr);
  fit.customers = lik.customers();
  fit.excluded_zero_spend = lik.excluded();
  fit.iterations = res.iterations;
  return fit;
}

}  // namespace

}  // namespace crmkit::value
