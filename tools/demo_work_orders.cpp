// `crmkit demo`, work orders (装维): replay the shipped month of installation, move and
// fault-repair orders through the work-order workflow, then their KPIs by product, team and month.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "cli.hpp"
#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "demo.hpp"

namespace crmkit::cli {

namespace {

const kpi::Rate& clock_rate(const kpi::Measures& m, std::string_view clock) {
  static const kpi::Rate none;
  for (const kpi::ClockRate& c : m.clocks)
    if (c.clock == clock) return c.on_time;
  return none;
}

}  // namespace

void demo_work_orders(const Calendar&, HtmlReport* html) {
  section("Work orders (装维): a synthetic month (March 2026) of installations, moves and fault repairs");
  auto engine = workflow::Engine::from_files(data_path("workflows/work-order.json"), data_path("policies/work-order.json"),
                                             data_path("calendars/cn-2026.json"));
  workflow::EngineOptions options;
  options.sweep_before_apply = true;  // the clocks advance to each event's time first
  engine.set_options(options);
  const detail::FileBuffer file = read_file(data_path("work-orders/month-2026-03.jsonl"));
  const std::string_view log = file.view();
  size_t applied = 0, rejected = 0, breaches = 0, escalations = 0;
  Instant last;
  std::vector<std::string_view> batch;
  size_t first_line = 1;
  auto flush = [&] {
    const workflow::BatchResult r = engine.apply_batch(batch);
    applied += r.applied;
    breaches += r.breaches;
    escalations += r.escalations;
    if (r.latest_at) last = std::max(last, *r.latest_at);
    for (const auto& x : r.rejected) fmt::print(stderr, "line {}: {}\n", first_line + x.index, x.message);
    rejected += r.rejected.size();
    first_line += batch.size();
    batch.clear();
    progress(fmt::format("replaying work orders: {} events", first_line - 1));
  };
  for (size_t pos = 0; pos < log.size();) {
    size_t end = log.find('\n', pos);
    if (end == std::string::npos) end = log.size();
    batch.emplace_back(log.data() + pos, end - pos);
    pos = end + 1;
    if (batch.size() == 1000) flush();
  }
  flush();
  progress_done();

  kpi::Options ko;
  ko.as_of = last;
  const kpi::Report report = engine.kpi(ko);
  const kpi::Measures& o = report.overall;
  const kpi::Appointments& a = o.appointments;
  const kpi::Targets& t = report.targets;
  fmt::print("{} events replayed into {} work orders ({} rejected); {} visits, {} found nobody at home (notice left)\n", applied,
             engine.size(), rejected, a.visits, a.not_at_home);
  fmt::print("{} reschedules asked by customers, {} by the company; {} SLA breaches, {} automatic escalations\n",
             a.reschedules_by_customer, a.reschedules_by_company, breaches, escalations);
  struct Row {
    const char* name;
    const kpi::Rate& rate;
    const kpi::Target& target;
  };
  const Row rows[] = {{"arrival on time 准时上门", clock_rate(o, "arrival"), t.clock_on_time},
                      {"second confirmation 二次确认", clock_rate(o, "confirm"), t.clock_on_time},
                      {"notice 30 min before 提前通知", clock_rate(o, "pre_visit_notice"), t.clock_on_time},
                      {"repair within limit 限时修复", clock_rate(o, "repair"), t.clock_on_time},
                      {"first-visit fix 一次上门解决", a.first_visit_fix, t.first_visit_fix},
                      {"rescheduled by customer", a.rescheduled_by_customer, t.rescheduled},
                      {"rescheduled by company", a.rescheduled_by_company, t.rescheduled},
                      {"callback 回访率", o.callback, t.callback},
                      {"satisfaction 满意率", o.satisfaction, t.satisfaction}};
  fmt::print("\n{:<30} {:>9} {:>12} {:>10}   {}\n", "measure", "value", "of", "target", "");
  std::vector<std::vector<std::string>> table;
  for (const Row& r : rows) {
    const std::string of = fmt::format("{}/{}", r.rate.numerator, r.rate.denominator);
    fmt::print("{:<30} {:>9} {:>12} {:>10}   {}\n", r.name, percent(r.rate), of, target_text(r.target), verdict(r.target, r.rate));
    table.push_back({r.name, percent(r.rate), of, target_text(r.target), verdict(r.target, r.rate)});
  }
  auto breakdown = [&](const char* title, const std::vector<kpi::Measures>& list, std::vector<std::vector<std::string>>* rows_out) {
    fmt::print("\n{:<16} {:>7} {:>9} {:>9} {:>11} {:>10} {:>13}\n", title, "orders", "arrival", "repair", "first visit", "callback",
               "satisfaction");
    for (const kpi::Measures& m : list) {
      fmt::print("  {:<14} {:>7} {:>9} {:>9} {:>11} {:>10} {:>13}\n", m.key, m.received, percent(clock_rate(m, "arrival")),
                 percent(clock_rate(m, "repair")), percent(m.appointments.first_visit_fix), percent(m.callback), percent(m.satisfaction));
      if (rows_out)
        rows_out->push_back({m.key, std::to_string(m.received), percent(clock_rate(m, "arrival")), percent(clock_rate(m, "repair")),
                             percent(m.appointments.first_visit_fix), percent(m.callback), percent(m.satisfaction)});
    }
  };
  std::vector<std::vector<std::string>> by_product, by_team;
  for (const auto& [field, list] : report.by_field)
    if (field == "product") breakdown("By product", list, &by_product);
  for (const auto& [field, list] : report.by_field)
    if (field == "kind") breakdown("By kind", list, nullptr);
  breakdown("By team", report.by_department, &by_team);
  breakdown("By month", report.by_month, nullptr);
  // The technicians furthest from on-time arrival, with enough visits to tell.
  std::vector<const kpi::Measures*> techs;
  for (const kpi::Measures& m : report.by_owner)
    if (clock_rate(m, "arrival").denominator >= 20) techs.push_back(&m);
  std::sort(techs.begin(), techs.end(), [&](const kpi::Measures* x, const kpi::Measures* y) {
    const double vx = clock_rate(*x, "arrival").value().value_or(1), vy = clock_rate(*y, "arrival").value().value_or(1);
    return vx != vy ? vx < vy : x->key < y->key;
  });
  fmt::print("\nTechnicians with the lowest on-time arrival ({} with 20 visits or more):\n", techs.size());
  for (size_t i = 0; i < std::min<size_t>(3, techs.size()); ++i)
    fmt::print("  {:<14} {:>9} of {} arrivals\n", techs[i]->key, percent(clock_rate(*techs[i], "arrival")),
               clock_rate(*techs[i], "arrival").denominator);

  if (html) {
    html->heading("Work orders (装维, March 2026, synthetic)");
    html->paragraph(fmt::format("{} events replayed into {} work orders; {} visits, {} found nobody at home; {} reschedules asked by "
                                "customers, {} by the company.",
                                applied, engine.size(), a.visits, a.not_at_home, a.reschedules_by_customer, a.reschedules_by_company));
    html->table({"measure", "value", "of", "target", ""}, table);
    const std::vector<std::string> header = {"", "orders", "arrival", "repair", "first visit", "callback", "satisfaction"};
    html->paragraph("By product:");
    html->table(header, by_product);
    html->paragraph("By team:");
    html->table(header, by_team);
    std::vector<std::string> labels;
    Series arrival{"arrival on time", {}}, repair{"repair within limit", {}}, first{"first-visit fix", {}};
    auto pct = [](const kpi::Rate& r) { auto v = r.value(); return v ? *v * 100 : NAN; };
    for (const auto& [field, list] : report.by_field)
      if (field == "product")
        for (const kpi::Measures& m : list) {
          labels.push_back(m.key);
          arrival.values.push_back(pct(clock_rate(m, "arrival")));
          repair.values.push_back(pct(clock_rate(m, "repair")));
          first.values.push_back(pct(m.appointments.first_visit_fix));
        }
    html->raw(svg_grouped_bars("Work orders by product (%)", labels, {arrival, repair, first}));
  }
}

}  // namespace crmkit::cli
