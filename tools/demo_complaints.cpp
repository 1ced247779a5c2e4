// `crmkit demo`, complaints: replay the shipped quarter through the default workflow on the China
// 2026 calendar, then the KPI report against the targets.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

#include "cli.hpp"
#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "demo.hpp"

namespace crmkit::cli {

std::string percent(const kpi::Rate& r) {
  auto v = r.value();
  return v ? fmt::format("{:.1f} %", *v * 100) : std::string("-");
}

const char* verdict(const kpi::Target& t, const kpi::Rate& r) {
  auto m = t.met(r);
  if (!m) return "";
  return *m ? "met" : "MISSED";
}

std::string target_text(const kpi::Target& t) {
  switch (t.kind) {
    case kpi::Target::greater: return fmt::format("> {:.0f} %", t.threshold * 100);
    case kpi::Target::at_least: return fmt::format(">= {:.0f} %", t.threshold * 100);
    case kpi::Target::maximise: return "maximise";
    case kpi::Target::minimise: return "minimise";
  }
  return "";
}

void demo_complaints(const Calendar&, HtmlReport* html) {
  section("Complaints: a synthetic quarter (Q1 2026) through the default workflow, with incidents (mass faults), China 2026 calendar");
  auto engine = workflow::Engine::from_files({data_path("workflows/default.json"), data_path("workflows/incident.json")},
                                             data_path("policies"), data_path("calendars/cn-2026.json"));
  const detail::FileBuffer file = read_file(data_path("complaints/quarter-2026q1.jsonl"));
  const std::string_view log = file.view();
  size_t applied = 0, rejected = 0, lines = 0, breaches = 0, escalations = 0;
  std::map<std::string, std::map<std::string, double>> breaches_by_channel;  // channel -> clock -> count
  std::vector<workflow::SweepEvent> fired;
  workflow::Event event;
  size_t pos = 0;
  Instant last;
  while (pos < log.size()) {
    size_t end = log.find('\n', pos);
    if (end == std::string::npos) end = log.size();
    std::string_view line(log.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    if (++lines % 2000 == 0) progress(fmt::format("replaying complaints: {} events", lines));
    try {
      workflow::parse_event(line, event);
      fired.clear();
      engine.sweep(event.at, fired);  // clocks advance to the event's time first
      for (const auto& f : fired)
        if (f.kind == sla::ClockEvent::breach) {
          ++breaches;
          if (f.escalated_to >= 0) ++escalations;
        }
      engine.apply(event);
      ++applied;
      last = event.at;
    } catch (const Error& e) {
      ++rejected;
      fmt::print(stderr, "line {}: {}\n", lines, e.what());
    }
  }
  const Instant quarter_end = parse_instant("2026-04-01T00:00:00+08:00");
  fired.clear();
  engine.sweep(std::max(last, quarter_end), fired);
  progress_done();

  kpi::Options options;
  options.as_of = std::max(last, quarter_end);
  kpi::Report report = engine.kpi(options);
  size_t incidents = 0, incident_cases = 0;
  engine.for_each_case([&](const workflow::Case& c) {
    if (c.workflow == "incident") {
      ++incidents;
      incident_cases += c.links.size();
      return;
    }
    for (const auto& k : c.clocks)
      if (k.breached) breaches_by_channel[c.channel][k.name] += 1;
  });
  const auto& o = report.overall;
  fmt::print("{} events replayed into {} cases ({} rejected); {} SLA breaches, {} automatic escalations\n", applied,
             engine.size(), rejected, breaches, escalations);
  fmt::print("\nKPI report (docs/domain.md#kpis), cases received in the quarter, as of {}\n", format_utc(report.as_of));
  fmt::print("{:<24} {:>9} {:>14} {:>10}   {}\n", "measure", "value", "of", "target", "");
  const kpi::Targets& t = report.targets;
  struct Row {
    const char* name;
    const kpi::Rate& rate;
    const kpi::Target& target;
  };
  const Row rows[] = {{"satisfaction 满意率", o.satisfaction, t.satisfaction},
                      {"timeliness 及时率", o.timeliness, t.timeliness},
                      {"closure 封闭率", o.closure, t.closure},
                      {"callback 回访率", o.callback, t.callback},
                      {"first-time resolution", o.first_time_resolution, t.first_time_resolution},
                      {"repeat complaints", o.repeat, t.repeat},
                      {"over-level complaints", o.over_level, t.over_level}};
  std::vector<std::vector<std::string>> table;
  for (const auto& r : rows) {
    std::string of = fmt::format("{}/{}", r.rate.numerator, r.rate.denominator);
    fmt::print("{:<24} {:>9} {:>14} {:>10}   {}\n", r.name, percent(r.rate), of, target_text(r.target), verdict(r.target, r.rate));
    table.push_back({r.name, percent(r.rate), of, target_text(r.target), verdict(r.target, r.rate)});
  }
  // Callbacks owed and responsibility (首问负责制), counted beside the rates.
  fmt::print("\ncallbacks owed (a manual callback after an unreachable or unsatisfied automatic one): {}\n", o.callbacks_owed);
  fmt::print("manual-callback tiers called back automatically: {}\n", o.manual_tier_automatic_callbacks);
  fmt::print("first-contact handovers 首问负责移交: {}; events outside responsibility: {}\n", o.handovers, o.outside_responsibility);
  table.push_back({"callbacks owed", std::to_string(o.callbacks_owed), "", "", ""});
  table.push_back({"first-contact handovers", std::to_string(o.handovers), "", "", ""});
  std::string ended;
  for (const auto& e : o.ended) ended += fmt::format("{}{} {}", ended.empty() ? "" : ", ", e.state, e.count);
  fmt::print("ended apart (not valid cases for closure): {}\n", ended.empty() ? "none" : ended);
  fmt::print("repeat complaints {} (justified {}), over-level {} (justified {}); cases judged justified 有理由: {}\n", o.repeats,
             o.repeat.numerator, o.over_level_received, o.over_level.numerator, o.justified);
  table.push_back({"ended apart (rejected, withdrawn, merged)", ended.empty() ? "none" : ended, "", "", ""});
  table.push_back({"repeat complaints, all (justified)", fmt::format("{} ({})", o.repeats, o.repeat.numerator), "", "", ""});
  table.push_back({"over-level complaints, all (justified)", fmt::format("{} ({})", o.over_level_received, o.over_level.numerator), "", "",
                   ""});
  // Incidents (mass faults): their own clocks; their notice and resolution written into each linked case.
  std::string incident_text = fmt::format("{} incidents (mass faults) with {} cases linked to them", incidents, incident_cases);
  for (const auto& w : report.by_workflow)
    if (w.key == "incident")
      for (const auto& k : w.clocks)
        incident_text += fmt::format("; {} on time {}/{}", k.clock, k.on_time.numerator, k.on_time.denominator);
  fmt::print("{}\n", incident_text);
  // Handling times (服务的时间): hours, elapsed and on the business calendar of each case's tier.
  const auto hours = [](const std::optional<double>& s) { return s ? fmt::format("{:.1f}", *s / 3600) : std::string("-"); };
  std::vector<std::vector<std::string>> handling;
  fmt::print("\nHandling times (h)    cases   elapsed: mean  median    p90   business: mean  median    p90\n");
  for (const auto& h : o.handling_times) {
    fmt::print("  {:<18} {:>8} {:>14} {:>7} {:>6} {:>16} {:>7} {:>6}\n", h.measure, h.elapsed.count, hours(h.elapsed.mean),
               hours(h.elapsed.median), hours(h.elapsed.p90), hours(h.business.mean), hours(h.business.median), hours(h.business.p90));
    handling.push_back({h.measure, std::to_string(h.elapsed.count), hours(h.elapsed.median), hours(h.elapsed.p90),
                        hours(h.business.median), hours(h.business.p90)});
  }
  const auto median_hours = [&](const kpi::Measures& m, size_t i) { return hours(m.handling_times[i].business.median); };
  fmt::print("\nBy severity          received  timeliness  closure  resolution median (business h)\n");
  std::vector<std::vector<std::string>> severities;
  for (const auto& m : report.by_severity) {
    fmt::print("  {:<18} {:>8} {:>11} {:>8} {:>10}\n", m.key, m.received, percent(m.timeliness), percent(m.closure), median_hours(m, 1));
    severities.push_back({m.key, std::to_string(m.received), percent(m.timeliness), percent(m.closure), median_hours(m, 1)});
  }
  // Staff assessment (个人绩效): the owners with the most cases.
  std::vector<const kpi::Measures*> owners;
  for (const auto& m : report.by_owner) owners.push_back(&m);
  std::sort(owners.begin(), owners.end(), [](const kpi::Measures* a, const kpi::Measures* b) {
    return a->received != b->received ? a->received > b->received : a->key < b->key;
  });
  fmt::print("\nBy owner (5 busiest)  received  satisfaction  timeliness  resolution median (business h)\n");
  std::vector<std::vector<std::string>> staff;
  for (size_t i = 0; i < std::min<size_t>(5, owners.size()); ++i) {
    const kpi::Measures& m = *owners[i];
    fmt::print("  {:<18} {:>8} {:>13} {:>11} {:>10}\n", m.key, m.received, percent(m.satisfaction), percent(m.timeliness), median_hours(m, 1));
    staff.push_back({m.key, std::to_string(m.received), percent(m.satisfaction), percent(m.timeliness), median_hours(m, 1)});
  }
  // Defect feedback (缺陷反馈): complaints, breaches, compensation and corrective actions by root cause.
  std::vector<std::vector<std::string>> causes;
  for (const auto& [field, list] : report.by_field) {
    if (field != "root_cause") continue;
    std::vector<const kpi::Measures*> rows;
    for (const auto& m : list)
      if (m.key != "(none)") rows.push_back(&m);
    std::sort(rows.begin(), rows.end(), [](const kpi::Measures* a, const kpi::Measures* b) {
      return a->received != b->received ? a->received > b->received : a->key < b->key;
    });
    fmt::print("\nDefect feedback by root cause (8 most frequent)      cases  breached  compensated  granted   actions on time\n");
    for (size_t i = 0; i < std::min<size_t>(8, rows.size()); ++i) {
      const kpi::Measures& m = *rows[i];
      std::string actions = "-";
      for (const auto& k : m.clocks)
        if (k.clock == "corrective_action") actions = fmt::format("{}/{}", k.on_time.numerator, k.on_time.denominator);
      const std::string granted = fmt::format("{}.{:02}", m.compensation_cents / 100, m.compensation_cents % 100);
      fmt::print("  {:<48} {:>6} {:>9} {:>12} {:>9} {:>16}\n", m.key, m.received, m.breached, m.compensated, granted, actions);
      causes.push_back({m.key, std::to_string(m.received), std::to_string(m.breached), std::to_string(m.compensated), granted, actions});
    }
  }
  fmt::print("\nBy channel           received  satisfaction  timeliness  closure  callback\n");
  for (const auto& m : report.by_channel)
    fmt::print("  {:<18} {:>8} {:>13} {:>11} {:>8} {:>9}\n", m.key, m.received, percent(m.satisfaction), percent(m.timeliness),
               percent(m.closure), percent(m.callback));
  fmt::print("\nBy month             received  satisfaction  timeliness  closure  callback\n");
  for (const auto& m : report.by_month)
    fmt::print("  {:<18} {:>8} {:>13} {:>11} {:>8} {:>9}\n", m.key, m.received, percent(m.satisfaction), percent(m.timeliness),
               percent(m.closure), percent(m.callback));
  fmt::print("\nMain reasons for dissatisfaction\n");
  for (size_t i = 0; i < std::min<size_t>(5, report.dissatisfaction_reasons.size()); ++i)
    fmt::print("  {:>4}  {}\n", report.dissatisfaction_reasons[i].count, report.dissatisfaction_reasons[i].reason);

  if (html) {
    html->heading("Complaint handling KPIs (Q1 2026, synthetic)");
    html->paragraph(fmt::format("{} events replayed into {} cases; {} SLA breaches, {} automatic escalations.", applied,
                                engine.size(), breaches, escalations));
    html->table({"measure", "value", "of", "target", ""}, table);
    html->paragraph(incident_text + " (each incident's notice and resolution is written into every open linked case).");
    html->paragraph("Handling times (服务的时间), hours: elapsed, and business time on the calendar of each case's tier.");
    html->table({"measure", "cases", "elapsed median", "elapsed p90", "business median", "business p90"}, handling);
    html->paragraph("By severity:");
    html->table({"severity", "received", "timeliness", "closure", "resolution median (business h)"}, severities);
    html->paragraph("Defect feedback (缺陷反馈) by root cause: complaints, breaches, compensation and corrective actions done by their due date:");
    html->table({"root cause", "cases", "breached", "compensated", "granted", "corrective actions on time"}, causes);
    html->paragraph("Staff assessment (个人绩效), the five owners with the most cases:");
    html->table({"owner", "received", "satisfaction", "timeliness", "resolution median (business h)"}, staff);
    std::vector<std::string> weeks;
    std::vector<workflow::SweepEvent> unused;
    Series sat{"satisfaction", {}}, timely{"timeliness", {}}, closure{"closure", {}}, callback{"callback", {}};
    auto pct = [](const kpi::Rate& r) { auto v = r.value(); return v ? *v * 100 : NAN; };
    for (const auto& w : report.by_week) {
      weeks.push_back(w.key.substr(5));
      sat.values.push_back(pct(w.satisfaction));
      timely.values.push_back(pct(w.timeliness));
      closure.values.push_back(pct(w.closure));
      callback.values.push_back(pct(w.callback));
    }
    html->raw(svg_line_chart("KPI trend per week (%), target 95 % dashed", weeks, {sat, timely, closure, callback}, 50, 100, 95.0));
    std::vector<std::string> channels;
    std::map<std::string, Series> by_clock;
    for (const auto& [channel, clocks] : breaches_by_channel) {
      channels.push_back(channel);
      for (const auto& [clock, _] : clocks) by_clock.emplace(clock, Series{clock, {}});
    }
    for (auto& [clock, series] : by_clock)
      for (const auto& ch : channels) {
        auto it = breaches_by_channel[ch].find(clock);
        series.values.push_back(it == breaches_by_channel[ch].end() ? 0 : it->second);
      }
    std::vector<Series> groups;
    for (auto& [_, s] : by_clock) groups.push_back(s);
    html->raw(svg_grouped_bars("SLA breaches by channel and clock", channels, groups));
    std::vector<std::vector<std::string>> reasons;
    for (size_t i = 0; i < std::min<size_t>(5, report.dissatisfaction_reasons.size()); ++i)
      reasons.push_back({report.dissatisfaction_reasons[i].reason, std::to_string(report.dissatisfaction_reasons[i].count)});
    html->paragraph("Main reasons for dissatisfaction:");
    html->table({"reason", "callbacks"}, reasons);
  }
}

}  // namespace crmkit::cli
