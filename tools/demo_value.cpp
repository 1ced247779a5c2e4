// `crmkit demo`, customer value: BG/NBD + Gamma-Gamma CLV on CDNOW, with a hold-out check,
// customer equity and the win-back list.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cli.hpp"
#include "crmkit/value.hpp"
#include "demo.hpp"

namespace crmkit::cli {

DemoValue demo_value(HtmlReport* html) {
  using namespace crmkit::value;
  section("Customer lifetime value: CDNOW, BG/NBD + Gamma-Gamma");
  progress("reading CDNOW transactions");
  DemoValue out;
  out.log = read_transactions_file(data_path("cdnow/CDNOW_master.txt"));
  out.log.sort_customers_by_id();
  const CivilDate calibration_end{1997, 9, 30}, holdout_end{1998, 6, 30};
  progress("summarizing and fitting");
  SummaryTable summary = summarize(out.log, calibration_end, PeriodUnit::week);
  auto bg = BgNbd::fit(summary.rows);
  // A few CDNOW repeat purchases are $0 (m = 0), which the Gamma-Gamma spend model cannot take.
  std::vector<CustomerSummary> spenders;
  for (const auto& c : summary.rows)
    if (c.x > 0 && c.m > 0) spenders.push_back(c);
  auto gg = GammaGamma::fit(spenders);
  ClvOptions options;  // 12 months, 1 % a month, weeks
  auto values = predict(bg.model, gg.model, summary.rows, 39, options);
  progress_done();

  fmt::print("{} transactions of {} customers (first purchases in Q1 1997); calibration to {}, hold-out to {}\n",
             out.log.size(), out.log.customer_count(), calibration_end.to_string(), holdout_end.to_string());
  fmt::print("BG/NBD        r = {:.3f}  alpha = {:.3f}  a = {:.3f}  b = {:.3f}  log-likelihood {:.1f}\n", bg.model.r,
             bg.model.alpha, bg.model.a, bg.model.b, bg.log_likelihood);
  fmt::print("Gamma-Gamma   p = {:.2f}  q = {:.2f}  gamma = {:.2f}  ({} repeat customers with spend > 0)\n", gg.model.p,
             gg.model.q, gg.model.v, gg.customers);

  // Hold-out check: repeat purchase days in the 39 weeks after calibration, predicted vs actual.
  std::vector<int64_t> actual(out.log.customer_count(), 0);
  {
    const int32_t from = static_cast<int32_t>(calibration_end.days_since_epoch()),
                  to = static_cast<int32_t>(holdout_end.days_since_epoch());
    std::vector<int32_t> last_day(out.log.customer_count(), INT32_MIN);
    std::vector<size_t> order(out.log.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return out.log.day[a] < out.log.day[b]; });
    for (size_t i : order) {
      int32_t d = out.log.day[i];
      uint32_t c = out.log.customer[i];
      if (d > from && d <= to && d != last_day[c]) ++actual[c];
      last_day[c] = d;
    }
  }
  double predicted_total = 0, actual_total = 0;
  for (size_t i = 0; i < summary.ids.size(); ++i) predicted_total += values[i].expected_purchases;
  for (int64_t a : actual) actual_total += static_cast<double>(a);
  fmt::print("Hold-out (next 39 weeks): predicted {:.0f} repeat purchases, actual {:.0f} ({:+.1f} %)\n", predicted_total,
             actual_total, 100 * (predicted_total - actual_total) / std::max(1.0, actual_total));

  double equity = customer_equity(values);
  fmt::print("Customer equity (12-month CLV, 1 %/month discount): ${:.0f}, ${:.2f} per customer\n", equity,
             equity / std::max<size_t>(1, values.size()));

  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a].clv > values[b].clv; });
  fmt::print("\nTop customers by CLV\n{:<10} {:>4} {:>8} {:>8} {:>8} {:>10}\n", "customer", "x", "t_x", "P(alive)",
             "E[spend]", "CLV");
  std::vector<std::vector<std::string>> top_rows;
  for (size_t k = 0; k < std::min<size_t>(10, order.size()); ++k) {
    size_t i = order[k];
    const auto& s = summary.rows[i];
    fmt::print("{:<10} {:>4.0f} {:>8.1f} {:>8.3f} {:>8.2f} {:>10.2f}\n", summary.ids[i], s.x, s.t_x, values[i].p_alive,
               values[i].expected_spend, values[i].clv);
    top_rows.push_back({summary.ids[i], fmt::format("{:.0f}", s.x), fmt::format("{:.3f}", values[i].p_alive),
                        fmt::format("{:.2f}", values[i].expected_spend), fmt::format("{:.2f}", values[i].clv)});
  }

  auto lost = win_back_ranking(values, 0.3, 10);
  fmt::print("\nWin-back list: P(alive) < 0.3, ranked by remaining value\n{:<10} {:>4} {:>8} {:>10} {:>14}\n", "customer",
             "x", "P(alive)", "CLV", "worth if alive");
  std::vector<std::vector<std::string>> lost_rows;
  for (const auto& w : lost) {
    fmt::print("{:<10} {:>4.0f} {:>8.3f} {:>10.2f} {:>14.2f}\n", summary.ids[w.index], summary.rows[w.index].x,
               w.p_alive, w.clv, w.value_if_alive);
    lost_rows.push_back({summary.ids[w.index], fmt::format("{:.3f}", w.p_alive), fmt::format("{:.2f}", w.clv),
                         fmt::format("{:.2f}", w.value_if_alive)});
  }

  // CLV distribution in bands, for the report.
  const std::vector<std::pair<double, std::string>> bands = {
      {1, "< $1"}, {5, "$1-5"}, {10, "$5-10"}, {25, "$10-25"}, {50, "$25-50"}, {100, "$50-100"}, {250, "$100-250"}, {INFINITY, ">= $250"}};
  std::vector<double> counts(bands.size(), 0);
  for (const auto& v : values)
    for (size_t b = 0; b < bands.size(); ++b)
      if (v.clv < bands[b].first) {
        ++counts[b];
        break;
      }
  fmt::print("\nCLV distribution: ");
  for (size_t b = 0; b < bands.size(); ++b) fmt::print("{} {:.0f}{}", bands[b].second, counts[b], b + 1 < bands.size() ? " · " : "\n");

  out.ids = summary.ids;
  out.clv.reserve(values.size());
  for (auto& v : values) out.clv.push_back(v.clv);
  out.equity = equity;

  if (html) {
    html->heading("Customer lifetime value (CDNOW)");
    html->paragraph(fmt::format(
        "BG/NBD r = {:.3f}, α = {:.3f}, a = {:.3f}, b = {:.3f} (log-likelihood {:.1f}); Gamma-Gamma p = {:.2f}, q = {:.2f}, "
        "γ = {:.2f}. Hold-out: predicted {:.0f} repeat purchases in the next 39 weeks, actual {:.0f}. Customer equity "
        "${:.0f}.",
        bg.model.r, bg.model.alpha, bg.model.a, bg.model.b, bg.log_likelihood, gg.model.p, gg.model.q, gg.model.v,
        predicted_total, actual_total, equity));
    std::vector<std::string> labels;
    for (auto& b : bands) labels.push_back(b.second);
    html->raw(svg_bar_chart("Customers by 12-month CLV", labels, counts));
    html->table({"customer", "x", "P(alive)", "E[spend]", "CLV"}, top_rows);
    html->paragraph("Win-back list (P(alive) < 0.3, by remaining value):");
    html->table({"customer", "P(alive)", "CLV", "worth if alive"}, lost_rows);
  }
  return out;
}

}  // namespace crmkit::cli
