// Shared pieces of `crmkit demo`.
#pragma once

#include <string>
#include <vector>

#include "crmkit/calendar.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/value.hpp"
#include "html_report.hpp"

namespace crmkit::cli {

bool stderr_is_terminal();
/// One-line progress on stderr, only when it is a terminal.
void progress(const std::string& step);
void progress_done();
void section(const std::string& title);

/// What the value step hands to the later steps (tiers by CLV, the report).
struct DemoValue {
  value::TransactionLog log;     ///< CDNOW master, customers renumbered by id
  std::vector<std::string> ids;  ///< customers in the calibration summary
  std::vector<double> clv;       ///< their 12-month CLV
  double equity = 0;
};

/// Customer value on CDNOW: fits, hold-out check, equity, top customers, win-back list.
DemoValue demo_value(HtmlReport* html);

/// RFM segments, tiers, pyramid and A/B/C classes of the CDNOW customers.
void demo_segments(const DemoValue& value, HtmlReport* html);

/// The synthetic quarter of complaints through the default workflow, and the KPI report.
void demo_complaints(const Calendar& calendar, HtmlReport* html);

/// The synthetic month of work orders (装维) through the work-order workflow, and their KPIs.
void demo_work_orders(const Calendar& calendar, HtmlReport* html);

/// A rate as "87.8 %" ("-" without a denominator); "met" / "MISSED" against a target (or "");
/// a target as "> 95 %", ">= 100 %", "maximise"...
std::string percent(const kpi::Rate& r);
const char* verdict(const kpi::Target& t, const kpi::Rate& r);
std::string target_text(const kpi::Target& t);

/// The demo steps beyond the calendar (customer value, complaints, KPIs, HTML report).
void demo_extensions(const Calendar& calendar, const std::string& html_path);

}  // namespace crmkit::cli
