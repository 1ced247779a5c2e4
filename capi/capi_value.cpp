// C ABI: customer summaries, BG/NBD and Gamma-Gamma fits, CLV.
#include <fmt/core.h>

#include <cmath>
#include <vector>

#include "common/checks.hpp"
#include "crmkit/value.hpp"
#include "handles.hpp"

using namespace crmkit;
using namespace crmkit::capi;

namespace {

bool valid_period(int p) { return p == CRMKIT_PERIOD_DAY || p == CRMKIT_PERIOD_WEEK; }
value::PeriodUnit to_unit(int p) { return p == CRMKIT_PERIOD_DAY ? value::PeriodUnit::day : value::PeriodUnit::week; }

std::vector<value::CustomerSummary> gather(const double* x, const double* t_x, const double* T, const double* m,
                                           size_t n) {
  detail::checked_product(n, sizeof(value::CustomerSummary), "n");  // a hostile count: ELIMIT, not a wrap
  std::vector<value::CustomerSummary> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = {x[i], t_x ? t_x[i] : 0.0, T ? T[i] : 0.0, m ? m[i] : 0.0};
  return rows;
}

}  // namespace

extern "C" {

int crmkit_clv_options_init(crmkit_clv_options* o) {
  CRMKIT_REQUIRE(o);
  value::ClvOptions d;
  *o = crmkit_clv_options{d.horizon_months, d.monthly_discount, CRMKIT_PERIOD_WEEK, d.margin};
  return ok();
}

}  // extern "C"

namespace {

/// crmkit_value_summarize and its minor-units twin: `summarize` is the kernel for the amount type.
template <class Amount, class Kernel>
int summarize_arrays(const uint32_t* customer, const int32_t* day, const Amount* amount, size_t n, size_t n_customers,
                     int32_t end_day, int period, double* out_x, double* out_t_x, double* out_T, double* out_m,
                     uint8_t* out_observed, Kernel summarize) {
  if (!valid_period(period)) return fail(CRMKIT_EINVAL, fmt::format("period must be 0 (day) or 1 (week), got {}", period));
  if (n > 0) {
    CRMKIT_REQUIRE(customer);
    CRMKIT_REQUIRE(day);
    CRMKIT_REQUIRE(amount);
  }
  if (n_customers > 0) {
    CRMKIT_REQUIRE(out_x);
    CRMKIT_REQUIRE(out_t_x);
    CRMKIT_REQUIRE(out_T);
    CRMKIT_REQUIRE(out_observed);
  }
  return guard([&] {
    detail::checked_product(n_customers, sizeof(value::CustomerSummary), "n_customers");
    std::vector<value::CustomerSummary> rows(n_customers);
    std::vector<uint8_t> observed(n_customers);
    summarize(customer, day, amount, n, n_customers, end_day, to_unit(period), rows.data(), observed.data());
    for (size_t c = 0; c < n_customers; ++c) {
      out_x[c] = rows[c].x;
      out_t_x[c] = rows[c].t_x;
      out_T[c] = rows[c].T;
      if (out_m) out_m[c] = rows[c].m;
      out_observed[c] = observed[c];
    }
    return ok();
  });
}

}  // namespace

extern "C" {

int crmkit_value_summarize(const uint32_t* customer, const int32_t* day, const double* amount, size_t n,
                           size_t n_customers, int32_t end_day, int period, double* out_x, double* out_t_x,
                           double* out_T, double* out_m, uint8_t* out_observed) {
  return summarize_arrays(customer, day, amount, n, n_customers, end_day, period, out_x, out_t_x, out_T, out_m,
                          out_observed, value::summarize_columns);
}

int crmkit_value_summarize_minor(const uint32_t* customer, const int32_t* day, const int64_t* amount_minor, size_t n,
                                 size_t n_customers, int32_t end_day, int period, double* out_x, double* out_t_x,
                                 double* out_T, double* out_m, uint8_t* out_observed) {
  return summarize_arrays(customer, day, amount_minor, n, n_customers, end_day, period, out_x, out_t_x, out_T, out_m,
                          out_observed, value::summarize_columns_minor);
}

int crmkit_value_bgnbd_fit(const double* x, const double* t_x, const double* T, size_t n, crmkit_bgnbd* out,
                           double* out_loglik) {
  CRMKIT_REQUIRE(x);
  CRMKIT_REQUIRE(t_x);
  CRMKIT_REQUIRE(T);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    auto fit = value::BgNbd::fit(gather(x, t_x, T, nullptr, n));
    *out = crmkit_bgnbd{fit.model.r, fit.model.alpha, fit.model.a, fit.model.b};
    if (out_loglik) *out_loglik = fit.log_likelihood;
    return ok();
  });
}

int crmkit_value_gammagamma_fit(const double* x, const double* m, size_t n, crmkit_gammagamma* out,
                                double* out_loglik, size_t* out_used) {
  CRMKIT_REQUIRE(x);
  CRMKIT_REQUIRE(m);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    auto fit = value::GammaGamma::fit(gather(x, nullptr, nullptr, m, n));
    *out = crmkit_gammagamma{fit.model.p, fit.model.q, fit.model.v};
    if (out_loglik) *out_loglik = fit.log_likelihood;
    if (out_used) *out_used = fit.customers;
    return ok();
  });
}

int crmkit_value_bgnbd_fit_weighted(const double* x, const double* t_x, const double* T, const double* weight,
                                    size_t n, crmkit_bgnbd* out, double* out_loglik) {
  CRMKIT_REQUIRE(x);
  CRMKIT_REQUIRE(t_x);
  CRMKIT_REQUIRE(T);
  CRMKIT_REQUIRE(weight);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    auto fit = value::BgNbd::fit_weighted(gather(x, t_x, T, nullptr, n), std::span<const double>(weight, n));
    *out = crmkit_bgnbd{fit.model.r, fit.model.alpha, fit.model.a, fit.model.b};
    if (out_loglik) *out_loglik = fit.log_likelihood;
    return ok();
  });
}

int crmkit_value_gammagamma_fit_weighted(const double* x, const double* m, const double* weight, size_t n,
                                         crmkit_gammagamma* out, double* out_loglik, double* out_used) {
  CRMKIT_REQUIRE(x);
  CRMKIT_REQUIRE(m);
  CRMKIT_REQUIRE(weight);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    auto fit = value::GammaGamma::fit_weighted(gather(x, nullptr, nullptr, m, n), std::span<const double>(weight, n));
    *out = crmkit_gammagamma{fit.model.p, fit.model.q, fit.model.v};
    if (out_loglik) *out_loglik = fit.log_likelihood;
    if (out_used) *out_used = static_cast<double>(fit.customers);
    return ok();
  });
}

int crmkit_value_predict(const crmkit_bgnbd* bg, const crmkit_gammagamma* gg, const double* x, const double* t_x,
                         const double* T, const double* m, size_t n, double t, const crmkit_clv_options* options,
                         double* out_expected, double* out_p_alive, double* out_spend, double* out_clv) {
  CRMKIT_REQUIRE(bg);
  CRMKIT_REQUIRE(gg);
  if (n > 0) {
    CRMKIT_REQUIRE(x);
    CRMKIT_REQUIRE(t_x);
    CRMKIT_REQUIRE(T);
    CRMKIT_REQUIRE(m);
  }
  value::ClvOptions o;
  if (options) {
    if (!valid_period(options->period))
      return fail(CRMKIT_EINVAL, fmt::format("options->period must be 0 (day) or 1 (week), got {}", options->period));
    o.horizon_months = options->horizon_months;
    o.monthly_discount = options->monthly_discount;
    o.unit = to_unit(options->period);
    o.margin = options->margin;
  }
  return guard([&] {
    value::BgNbd model{bg->r, bg->alpha, bg->a, bg->b};
    value::GammaGamma spend{gg->p, gg->q, gg->v};
    auto values = value::predict(model, spend, gather(x, t_x, T, m, n), t, o);
    for (size_t i = 0; i < n; ++i) {
      if (out_expected) out_expected[i] = values[i].expected_purchases;
      if (out_p_alive) out_p_alive[i] = values[i].p_alive;
      if (out_spend) out_spend[i] = values[i].expected_spend;
      if (out_clv) out_clv[i] = values[i].clv;
    }
    return ok();
  });
}

int crmkit_value_simple_clv(double margin, double retention, double discount, int periods, double* out) {
  CRMKIT_REQUIRE(out);
  return guard([&] {
    *out = value::simple_clv(margin, retention, discount, periods);
    return ok();
  });
}

}  // extern "C"
