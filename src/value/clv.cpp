// Customer lifetime value: probabilistic (BG/NBD × Gamma-Gamma), simple, equity, win-back ranking.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "crmkit/value.hpp"
#include "common/parallel.hpp"
#include "common/checks.hpp"
#include "value/dedupe.hpp"
#include "value/model_math.hpp"

namespace crmkit::value {
namespace {

void check_options(double t, const ClvOptions& o, const GammaGamma& gg) {
  if (!(t >= 0) || !std::isfinite(t)) throw Error(Errc::invalid_argument, fmt::format("t must be finite and >= 0, got {}", t));
  if (o.horizon_months < 0)
    throw Error(Errc::invalid_argument, fmt::format("horizon_months must be >= 0, got {}", o.horizon_months));
  if (o.horizon_months > kMaxHorizonMonths)  // the sum below is one term per month
    throw Error(Errc::limit, fmt::format("horizon_months {} is above the maximum of {}", o.horizon_months, kMaxHorizonMonths));
  if (!(o.monthly_discount > -1) || !std::isfinite(o.monthly_discount))
    throw Error(Errc::invalid_argument, fmt::format("monthly_discount must be > -1, got {}", o.monthly_discount));
  if (!std::isfinite(o.margin)) throw Error(Errc::invalid_argument, "margin must be finite");
  if (!(gg.q > 1)) throw Error(Errc::invalid_argument, fmt::format("Gamma-Gamma expected spend needs q > 1 (q = {})", gg.q));
}

/// Model parameters built by hand (or passed through the C API) must be usable.
void check_models(const BgNbd& bg, const GammaGamma& gg) {
  const std::pair<const char*, double> params[] = {{"bgnbd.r", bg.r}, {"bgnbd.alpha", bg.alpha}, {"bgnbd.a", bg.a},
                                                   {"bgnbd.b", bg.b}, {"gammagamma.p", gg.p},    {"gammagamma.q", gg.q},
                                                   {"gammagamma.v", gg.v}};
  for (const auto& [name, v] : params) crmkit::detail::require_finite(v, crmkit::detail::Sign::positive, name);
}

/// How a message names customer i: by id when the input has ids, else by index.
std::string customer_name(std::span<const std::string> ids, size_t i) {
  return ids.empty() ? fmt::format("customer {}", i) : fmt::format("customer '{}'", ids[i]);
}

/// Every summary finite and non-negative with t_x <= T: a NaN, infinite or negative spend would
/// otherwise come out as a NaN or negative CLV.
void check_customers(std::span<const CustomerSummary> customers, std::span<const std::string> ids) {
  for (size_t i = 0; i < customers.size(); ++i) {
    const CustomerSummary& c = customers[i];
    try {
      crmkit::detail::require_finite(c.x, crmkit::detail::Sign::nonnegative, "x");
      crmkit::detail::require_finite(c.t_x, crmkit::detail::Sign::nonnegative, "t_x");
      crmkit::detail::require_finite(c.T, crmkit::detail::Sign::nonnegative, "T");
      crmkit::detail::require_finite(c.m, crmkit::detail::Sign::nonnegative, "m (mean spend)");
      if (c.t_x > c.T * (1 + 1e-12) + 1e-12)
        throw Error(Errc::invalid_argument, fmt::format("t_x {} is greater than T {}", c.t_x, c.T));
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("{}: {}", customer_name(ids, i), e.what()));
    }
  }
}

}  // namespace

namespace {

std::vector<CustomerValue> predict_named(const BgNbd& bgnbd, const GammaGamma& gg, std::span<const CustomerSummary> customers,
                                         std::span<const std::string> ids, double t, const ClvOptions& options) {
  check_options(t, options, gg);
  check_models(bgnbd, gg);
  check_customers(customers, ids);
  auto d = detail::distinct_rows<3>(
      customers.size(), [&](size_t i) { return std::array<double, 3>{customers[i].x, customers[i].t_x, customers[i].T}; },
      true);
  // Per profile: P(alive), E[X(t)] = P(alive) · E[X(t) | alive] (conditional_expected_purchases)
  // and the discounted expected purchases over the horizon, Σ_i (E[X(k·i)] − E[X(k·(i−1))]) / (1+d)^i
  // with k months per period (times spend and margin: the CLV). The costly part, E[X(s) | alive]
  // (a hypergeometric series), depends on x and T only, not on t_x: it is computed once per
  // distinct (x, T), for t and for each month, and each profile scales it by its own P(alive)
  // (in the operations conditional_expected_purchases uses: the same bits).
  auto xt = detail::distinct_rows<2>(d.keys.size(), [&](size_t j) { return std::array<double, 2>{d.keys[j][0], d.keys[j][2]}; }, true);
  std::vector<uint32_t> start(xt.keys.size() + 1, 0), order(d.keys.size());  // profiles grouped by (x, T)
  for (uint32_t g : xt.of_row) ++start[g + 1];
  for (size_t g = 0; g < xt.keys.size(); ++g) start[g + 1] += start[g];
  {
    std::vector<uint32_t> next(start.begin(), start.end() - 1);
    for (uint32_t j = 0; j < d.keys.size(); ++j) order[next[xt.of_row[j]]++] = j;
  }
  struct ProfileValue {
    double expected, p_alive, discounted;
  };
  std::vector<ProfileValue> pv(d.keys.size());
  const int months = options.horizon_months;
  const double per_month = periods_per_month(options.unit);
  crmkit::detail::run_ranges(xt.keys.size(), 256, [&](size_t begin, size_t end) {  // pure: on every core
    std::vector<double> e(static_cast<size_t>(months) + 1);
    for (size_t g = begin; g < end; ++g) {
      const double x = xt.keys[g][0], T = xt.keys[g][1];
      const double n = bgnbd.r + x, B = bgnbd.b + x, scale = 1.0 / (bgnbd.alpha + T);
      e[0] = detail::expected_purchases_if_alive(n, t / (bgnbd.alpha + T), bgnbd.a, B);
      for (int i = 1; i <= months; ++i) e[static_cast<size_t>(i)] = detail::expected_purchases_if_alive(n, per_month * i * scale, bgnbd.a, B);
      for (uint32_t k = start[g]; k < start[g + 1]; ++k) {
        const uint32_t j = order[k];
        const double p_alive = bgnbd.probability_alive(CustomerSummary{d.keys[j][0], d.keys[j][1], d.keys[j][2], 0});
        double prev = 0, total = 0, discount = 1;
        for (int i = 1; i <= months; ++i) {
          const double cur = p_alive * e[static_cast<size_t>(i)];
          discount /= 1 + options.monthly_discount;
          total += (cur - prev) * discount;
          prev = cur;
        }
        pv[j] = ProfileValue{p_alive * e[0], p_alive, total};
      }
    }
  });
  std::vector<CustomerValue> out(customers.size());
  crmkit::detail::run_ranges(customers.size(), 65536, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const ProfileValue& p = pv[d.of_row[i]];
      const double spend = gg.expected_spend(customers[i]);
      out[i] = CustomerValue{p.expected, p.p_alive, spend, options.margin * spend * p.discounted};
    }
  });
  return out;
}

}  // namespace

std::vector<CustomerValue> predict(const BgNbd& bgnbd, const GammaGamma& gg, std::span<const CustomerSummary> customers,
                                   double t, const ClvOptions& options) {
  return predict_named(bgnbd, gg, customers, {}, t, options);
}

std::vector<CustomerValue> predict_table(const BgNbd& bgnbd, const GammaGamma& gg, const SummaryTable& table, double t,
                                         const ClvOptions& options) {
  if (table.ids.size() != table.rows.size())
    throw Error(Errc::invalid_argument, fmt::format("summary table has {} ids for {} rows", table.ids.size(), table.rows.size()));
  return predict_named(bgnbd, gg, table.rows, table.ids, t, options);
}

double clv(const BgNbd& bgnbd, const GammaGamma& gg, const CustomerSummary& c, const ClvOptions& options) {
  return predict(bgnbd, gg, std::span<const CustomerSummary>(&c, 1), 0.0, options)[0].clv;
}

double simple_clv(double margin, double retention, double discount, int periods) {
  if (!(retention >= 0 && retention <= 1)) throw Error(Errc::invalid_argument, fmt::format("retention must be in [0, 1], got {}", retention));
  if (!(discount > -1)) throw Error(Errc::invalid_argument, fmt::format("discount must be > -1, got {}", discount));
  if (periods < 0) throw Error(Errc::invalid_argument, fmt::format("periods must be >= 0, got {}", periods));
  if (periods > kMaxSimpleClvPeriods)  // one term per period
    throw Error(Errc::limit, fmt::format("periods {} is above the maximum of {}", periods, kMaxSimpleClvPeriods));
  crmkit::detail::require_finite(margin, crmkit::detail::Sign::any, "margin");
  crmkit::detail::require_finite(discount, crmkit::detail::Sign::any, "discount");
  double total = 0, survive = 1, disc = 1;
  for (int t = 1; t <= periods; ++t) {
    disc /= 1 + discount;
    total += margin * survive * disc;
    survive *= retention;
  }
  return total;
}

double simple_clv_perpetual(double margin, double retention, double discount) {
  crmkit::detail::require_finite(margin, crmkit::detail::Sign::any, "margin");
  crmkit::detail::require_finite(discount, crmkit::detail::Sign::any, "discount");
  if (!(retention >= 0 && retention <= 1)) throw Error(Errc::invalid_argument, fmt::format("retention must be in [0, 1], got {}", retention));
  if (!(1 + discount - retention > 0))
    throw Error(Errc::invalid_argument, fmt::format("perpetual CLV needs discount > retention - 1 (discount {}, retention {})", discount, retention));
  return margin / (1 + discount - retention);
}

double customer_equity(std::span<const CustomerValue> values) {
  // Money summed exactly (docs/domain.md#money): each CLV in minor units, added as integers, so
  // the equity does not depend on the customers' order. 128 bits: no count of values overflows.
  __int128 total = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i].clv;
    if (!(std::fabs(v) <= money::kMaxAmount))
      throw Error(Errc::invalid_argument,
                  fmt::format("customer {}: clv must be a finite number in [-{}, {}], got {}", i, money::kMaxAmount,
                              money::kMaxAmount, v));
    total += v < 0 ? -money::to_minor(-v) : money::to_minor(v);
  }
  return static_cast<double>(total) / static_cast<double>(money::kMinorPerUnit);
}

std::vector<WinBackCandidate> win_back_ranking(std::span<const CustomerValue> values, double p_alive_below, std::size_t limit) {
  std::vector<WinBackCandidate> out;
  for (size_t i = 0; i < values.size(); ++i) {
    const CustomerValue& v = values[i];
    if (!(v.p_alive < p_alive_below)) continue;
    out.push_back(WinBackCandidate{i, v.p_alive, v.clv, v.p_alive > 0 ? v.clv / v.p_alive : 0.0});
  }
  std::stable_sort(out.begin(), out.end(), [](const WinBackCandidate& l, const WinBackCandidate& r) { return l.clv > r.clv; });
  if (limit && out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace crmkit::value
