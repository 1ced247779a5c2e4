// crmkit/kpi.hpp — complaint-handling measures (docs/domain.md#kpis).
//
// Computed by workflow::Engine::kpi() over the cases received in [from, to). Each case is
// counted in the buckets of its receipt (day, ISO week, month in the report zone) and of its
// department (current), channel, category and tier. Rates:
//   satisfaction   = (very satisfied + satisfied) / (very satisfied + satisfied + unsatisfied)
//                    over callback ratings (an unsatisfied rating counts even if a later one is good)
//   timeliness     = cases whose due clocks all met / cases with at least one clock due
//                    (stopped, or breached, by as_of)
//   closure        = cases closed or concluded (closed, external review, rejected, withdrawn,
//                    merged) / received
//   callback       = resolved cases with a completed callback (a rating, and no manual callback
//                    owed) / cases ever resolved
// Counts beside the rates: callbacks_owed (cases resolved and waiting for the manual callback an
// unreachable or unsatisfied automatic one calls for), manual_tier_automatic_callbacks (cases of a
// manual-callback tier called back automatically: the policy's "preferred" lets it happen),
// handovers (formal handovers of first-contact responsibility, 首问负责制) and
// outside_responsibility (events accepted from someone neither responsible for the case nor of
// an overriding role: the policy's first_contact mode "record").
// Per clock (Measures::clocks): on time = the clock instances due (stopped, or breached by as_of)
// that met their target; a case counts its latest instance of each clock (after a new
// appointment, the new window's). A goal clock counts here (its aim met or missed). A clock the
// case's end stopped (a cancelled, withdrawn, rejected or merged case) counts only if it breached.
// Work orders (Measures::appointments, from the effects appoint, reschedule, visit, not_at_home):
//   rescheduled_by_customer / _by_company = appointed cases rescheduled at least once at the
//                    customer's / the company's request (data.by) / appointed cases
//   first_visit_fix = cases completed after one visit, nobody-at-home never, not reopened /
//                    cases completed after at least one visit
//   first_time_resolution = closed without reopen / closed
//   repeat, over_level    = repeat (over-level) cases / received
// A rate with a zero denominator is null (and "met" null).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crmkit/time.hpp"

namespace crmkit::kpi {

struct Rate {
  int64_t numerator = 0, denominator = 0;
  std::optional<double> value() const {
    return denominator ? std::optional<double>(static_cast<double>(numerator) / static_cast<double>(denominator))
                       : std::nullopt;
  }
};

/// A target: value must be > threshold (or >= when `inclusive`); `maximise`/`minimise` carry
/// no threshold.
struct Target {
  enum Kind : uint8_t { greater, at_least, maximise, minimise } kind = maximise;
  double threshold = 0;
  /// true/false for greater/at_least with a value, nullopt otherwise.
  std::optional<bool> met(const Rate& r) const;
};

struct Targets {
  Target satisfaction{Target::greater, 0.95};
  Target timeliness{Target::at_least, 1.0};
  Target closure{Target::greater, 0.95};
  Target callback{Target::greater, 0.95};
  Target first_time_resolution{Target::maximise, 0};
  Target repeat{Target::minimise, 0};
  Target over_level{Target::minimise, 0};
  Target first_visit_fix{Target::maximise, 0};
  Target rescheduled{Target::minimise, 0};
  /// Each clock's on-time rate (an arrival, a second confirmation, a repair within its limit).
  Target clock_on_time{Target::at_least, 1.0};
};

/// One clock's on-time rate in a bucket.
struct ClockRate {
  std::string clock;
  Rate on_time;
};

/// Appointments and visits (work orders); zero for cases of workflows without them.
struct Appointments {
  int64_t appointed = 0;  ///< cases with an appointment
  int64_t reschedules_by_customer = 0, reschedules_by_company = 0;  ///< reschedule events, by who asked (data.by)
  int64_t visits = 0, not_at_home = 0;  ///< technicians' visits; visits that found nobody at home (notice left)
  Rate rescheduled_by_customer, rescheduled_by_company, first_visit_fix;
};

struct Measures {
  std::string key;  ///< bucket: "2026-03-06", "2026-W10", "2026-03", a department, ...
  int64_t received = 0;
  int64_t very_satisfied = 0, satisfied = 0, unsatisfied = 0;
  int64_t callbacks_owed = 0, manual_tier_automatic_callbacks = 0;
  int64_t handovers = 0, outside_responsibility = 0;
  Rate satisfaction, timeliness, closure, callback, first_time_resolution, repeat, over_level;
  std::vector<ClockRate> clocks;  ///< by clock name
  Appointments appointments;
};

struct ReasonCount {
  std::string reason;
  int64_t count = 0;
};

/// Most dissatisfaction reasons a report lists (Options::top_reasons).
inline constexpr size_t kMaxTopReasons = 1000;

struct Options {
  std::optional<Instant> from, to;  ///< receipt time range [from, to); unset: all
  std::optional<Instant> as_of;     ///< clocks evaluated at this instant (default: latest event)
  size_t top_reasons = 10;  ///< 0..kMaxTopReasons
  Targets targets;
};

struct Report {
  Instant as_of;
  std::string zone;
  Targets targets;
  Measures overall;
  std::vector<Measures> by_day, by_week, by_month, by_department, by_channel, by_category, by_tier;
  std::vector<Measures> by_workflow;  ///< per workflow name (complaint, inquiry, suggestion, ...)
  std::vector<Measures> by_owner;     ///< per handling owner (a work order's technician; "(none)" before dispatch)
  /// Per declared enumerated field of the loaded workflows (a work order's product and kind), by
  /// field name: the cases by the field's value ("(none)" for a case without one).
  std::vector<std::pair<std::string, std::vector<Measures>>> by_field;
  std::vector<ReasonCount> dissatisfaction_reasons;  ///< reasons of unsatisfied callbacks, most frequent first
};

/// {"schema":1,"as_of","zone","overall":{...},"by_day":[...],...,"dissatisfaction_reasons":[{"reason","count"}]}
/// where each measures object is {"key","received","ratings":{"very_satisfied","satisfied","unsatisfied"},
/// "callbacks_owed","manual_tier_automatic_callbacks","handovers","outside_responsibility",
/// "satisfaction":{"value","numerator","denominator","target","met"},...,
/// "clocks":[{"clock","on_time":{rate}}],"appointments":{"appointed","reschedules_by_customer",
/// "reschedules_by_company","visits","not_at_home","rescheduled_by_customer":{rate},
/// "rescheduled_by_company":{rate},"first_visit_fix":{rate}}}; "by_owner":[...] and
/// "by_field":{field:[...]} beside the other lists.
std::string to_json(const Report& r);

}  // namespace crmkit::kpi
