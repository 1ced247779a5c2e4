// The steps of `crmkit demo` after the calendar: customer value, segments and tiers, complaints
// and KPIs, and the optional HTML report.
#include <fmt/core.h>

#include <map>
#include <memory>
#include <numeric>

#include "cli.hpp"
#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "crmkit/rfm.hpp"
#include "crmkit/tiering.hpp"
#include "demo.hpp"

namespace crmkit::cli {

void demo_segments(const DemoValue& value, HtmlReport* html) {
  section("Segments and tiers: CDNOW customers as of 1998-06-30");
  const CivilDate asof{1998, 6, 30};
  rfm::Table t = rfm::score(value.log, asof);
  std::vector<double> sizes(t.segment_names.size(), 0);
  for (uint16_t s : t.segment) ++sizes[s];
  fmt::print("RFM segments (quintiles; recency reversed; R x F map):\n");
  std::vector<std::string> labels;
  std::vector<double> counts;
  for (size_t s = 0; s < sizes.size(); ++s) {
    if (sizes[s] == 0) continue;
    fmt::print("  {:<20} {:>6}  {:>5.1f} %\n", t.segment_names[s], sizes[s], 100.0 * sizes[s] / static_cast<double>(t.size()));
    labels.push_back(t.segment_names[s]);
    counts.push_back(sizes[s]);
  }

  auto config = tiering::Config::from_file(data_path("tiers/default.json"));
  auto tiers = tiering::individual_tiers(value.log, asof, config);
  std::map<std::string, int> tier_counts;
  for (const auto& r : tiers) ++tier_counts[r.rating.tier];
  fmt::print("\nIndividual tiers (average monthly spend over the last {} months):\n", config.window_months);
  for (const auto& th : config.individual)
    fmt::print("  {:<8} >= {:>6.2f}/month  {:>6} customers\n", th.tier, th.min_monthly_spend, tier_counts[th.tier]);
  if (!tiers.empty()) {
    auto best = std::max_element(tiers.begin(), tiers.end(),
                                 [](const auto& a, const auto& b) { return a.average_monthly_spend < b.average_monthly_spend; });
    fmt::print("  e.g. {}: {} — {}\n", best->customer_id, best->rating.tier, best->rating.reason);
  }

  // Pyramid by revenue (all purchases to the as-of date) and A/B/C by 12-month CLV.
  // Money summed exactly in minor units (crmkit/money.hpp), as the library sums it.
  std::vector<int64_t> revenue_minor(value.log.customer_count(), 0);
  for (size_t i = 0; i < value.log.size(); ++i) revenue_minor[value.log.customer[i]] += money::to_minor(value.log.amount[i]);
  std::vector<double> revenue(revenue_minor.size());
  for (size_t c = 0; c < revenue.size(); ++c) revenue[c] = money::to_amount(revenue_minor[c]);
  auto levels = tiering::pyramid(revenue, config);
  std::map<std::string, std::pair<int, int64_t>> pyramid;  // level -> customers, revenue in minor units
  const double total = money::to_amount(std::accumulate(revenue_minor.begin(), revenue_minor.end(), int64_t{0}));
  for (size_t i = 0; i < levels.size(); ++i) {
    pyramid[levels[i].tier].first += 1;
    pyramid[levels[i].tier].second += revenue_minor[i];
  }
  fmt::print("\nCustomer pyramid by revenue:\n");
  for (const auto& [level, share] : config.pyramid)
    fmt::print("  {:<9} {:>6} customers ({:>4.1f} %) bring {:>5.1f} % of revenue\n", level, pyramid[level].first,
               100.0 * pyramid[level].first / static_cast<double>(levels.size()), 100.0 * money::to_amount(pyramid[level].second) / total);
  auto abc = tiering::abc_by_clv(value.clv, config);
  std::map<std::string, int> abc_counts;
  for (const auto& g : abc) ++abc_counts[g.tier];
  fmt::print("A/B/C by 12-month CLV: A {} · B {} · C {} customers\n", abc_counts["A"], abc_counts["B"], abc_counts["C"]);

  if (html) {
    html->heading("RFM segments and tiers (CDNOW, as of 1998-06-30)");
    html->raw(svg_bar_chart("Customers per RFM segment", labels, counts));
    std::vector<std::vector<std::string>> rows;
    for (const auto& th : config.individual)
      rows.push_back({th.tier, fmt::format(">= {:.2f}", th.min_monthly_spend), std::to_string(tier_counts[th.tier])});
    html->table({"tier", "avg monthly spend", "customers"}, rows);
    std::vector<std::vector<std::string>> prow;
    for (const auto& [level, share] : config.pyramid)
      prow.push_back({level, std::to_string(pyramid[level].first), fmt::format("{:.1f} %", 100.0 * money::to_amount(pyramid[level].second) / total)});
    html->table({"pyramid level", "customers", "share of revenue"}, prow);
  }
}

void demo_extensions(const Calendar& calendar, const std::string& html_path) {
  std::unique_ptr<HtmlReport> html;
  if (!html_path.empty()) html = std::make_unique<HtmlReport>("crmkit demo report");
  DemoValue value = demo_value(html.get());
  demo_segments(value, html.get());
  demo_complaints(calendar, html.get());
  demo_work_orders(calendar, html.get());
  if (html) {
    html->write(html_path);
    fmt::print("\nHTML report written to {}\n", html_path);
  }
}

}  // namespace crmkit::cli
