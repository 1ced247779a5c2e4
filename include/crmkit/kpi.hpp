// crmkit/kpi.hpp — complaint-handling measures (docs/domain.md#kpis).
//
// Computed by workflow::Engine::kpi() over the cases received in [from, to). Each case is
// counted in the buckets of its receipt (day, ISO week, month in the report zone) and of its
// department (current), channel, category, severity, tier and handling owner. Rates:
//   satisfaction   = (very satisfied + satisfied) / (very satisfied + satisfied + unsatisfied)
//                    over callback ratings (an unsatisfied rating counts even if a later one is good)
//   timeliness     = cases whose due clocks all met / cases with at least one clock due
//                    (stopped, or breached, by as_of)
//   closure        = valid cases closed or under external review / valid cases, where valid means
//                    not ended in a terminal state (rejected, withdrawn, merged, a cancelled work
//                    order: counted apart in Measures::ended)
//   callback       = resolved cases with a completed callback (a rating, and no manual callback
//                    owed) / cases ever resolved
//   first_time_resolution = closed without reopen / closed
//   repeat, over_level    = justified repeat (over-level) cases / received. Justified (有理由的投诉)
//                    is the case's declared boolean field `justified` set true; every case of a
//                    workflow that declares no such field counts as justified. A repeat is a case
//                    of the same customer and category as an earlier one of its workflow that was
//                    still open, or closed within the policy's reopen window (Measures::repeats
//                    and over_level_received count them all, justified or not).
// Counts beside the rates: callbacks_owed (cases resolved and waiting for the manual callback an
// unreachable or unsatisfied automatic one calls for), manual_tier_automatic_callbacks (cases of a
// manual-callback tier called back automatically: the policy's "preferred" lets it happen),
// handovers (formal handovers of first-contact responsibility, 首问负责制) and
// outside_responsibility (events accepted from someone neither responsible for the case nor of
// an overriding role: the policy's first_contact mode "record").
// Handling times (服务的时间, Measures::handling_times), per case that reached each point:
//   first_response = receipt to the first event that changed the case's state
//   resolution     = receipt to the first entry into a resolved state
//   callback       = that first resolution to the first callback giving a rating (no manual
//                    callback owed after it)
// each in elapsed (wall-clock) seconds and in business seconds on the calendar the case's tier is
// served on (the policy's); mean, median and 90th percentile (linear interpolation between the
// closest ranks, as numpy.percentile and pandas' quantile by default).
// Per clock (Measures::clocks): on time = the clock instances due (stopped, or breached by as_of)
// that met their target; a case counts its latest instance of each clock (after a new
// appointment, the new window's). A goal clock counts here (its aim met or missed). A clock the
// case's end stopped (a cancelled, withdrawn, rejected or merged case) counts only if it breached.
// Work orders (Measures::appointments, from the effects appoint, reschedule, visit, not_at_home):
//   rescheduled_by_customer / _by_company = appointed cases rescheduled at least once at the
//                    customer's / the company's request (data.by) / appointed cases
//   first_visit_fix = cases completed after one visit, nobody-at-home never, not reopened /
//                    cases completed after at least one visit
// A rate with a zero denominator is null (and "met" null). Targets come from the policy of the
// engine's default workflow ("kpi_targets"), then Options::targets; the built-in ones are the
// sources' (Targets below).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
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

/// A target: value must be > threshold (greater) or >= threshold (at_least); `maximise` and
/// `minimise` carry no threshold.
struct Target {
  enum Kind : uint8_t { greater, at_least, maximise, minimise } kind = maximise;
  double threshold = 0;
  /// true/false for greater/at_least with a value, nullopt otherwise.
  std::optional<bool> met(const Rate& r) const;
  bool operator==(const Target&) const = default;

  /// Parses ">0.95", ">=1", "maximise" or "minimise" (a threshold is a fraction 0..1);
  /// Error(invalid_argument) naming `where` otherwise.
  static Target parse(std::string_view text, std::string_view where);
  /// The same text back (">0.95"; shortest digits that read back the same threshold).
  std::string to_string() const;
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

  /// The target of a measure by its name in the report ("satisfaction", ..., "rescheduled",
  /// "clock_on_time"); nullptr for another name.
  Target* find(std::string_view name);
  /// The names find() knows, in report order.
  static const std::vector<std::string_view>& names();
};

/// Durations in seconds of one handling-time measure; all null (nullopt) when count is 0.
struct Durations {
  int64_t count = 0;
  std::optional<double> mean, median, p90;
};

/// One handling time (first_response, resolution or callback) of a bucket.
struct HandlingTime {
  std::string measure;
  Durations elapsed, business;
};

/// Cases of a bucket that ended in one terminal state (rejected, withdrawn, merged, cancelled).
struct StateCount {
  std::string state;
  int64_t count = 0;
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
  int64_t repeats = 0, over_level_received = 0;  ///< repeat and over-level cases, justified or not
  int64_t justified = 0;  ///< cases counted as justified (see the header comment)
  int64_t breached = 0;   ///< cases with a clock breached (goal clocks aside): those timeliness counts late
  int64_t compensated = 0, compensation_cents = 0;  ///< cases granted compensation, and the total granted (minor units of 1/100)
  std::vector<StateCount> ended;  ///< by terminal state name; these are not valid cases for closure
  Rate satisfaction, timeliness, closure, callback, first_time_resolution, repeat, over_level;
  std::vector<ClockRate> clocks;  ///< by clock name
  Appointments appointments;
  std::vector<HandlingTime> handling_times;  ///< first_response, resolution, callback
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
  /// Targets overriding the policy's, by measure name (Targets::find); an unknown name is
  /// Error(invalid_argument).
  std::vector<std::pair<std::string, Target>> targets;
};

struct Report {
  Instant as_of;
  std::string zone;
  Targets targets;
  Measures overall;
  std::vector<Measures> by_day, by_week, by_month, by_department, by_channel, by_category, by_severity, by_tier;
  std::vector<Measures> by_workflow;  ///< per workflow name (complaint, inquiry, suggestion, ...)
  std::vector<Measures> by_owner;     ///< per handling owner (a work order's technician; "(none)" before dispatch)
  /// Per declared field the report groups by (a work order's product and kind: the enum fields
  /// the policy's rules match; and every field declared "group_by": a complaint's root cause,
  /// component, supplier, contractor, responsible department), by field name: the cases by the
  /// field's last value ("(none)" for a case without one). A case without a value of a
  /// "group_by" field takes that of the first case linked to it that has one (its incident).
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
/// "by_field":{field:[...]} beside the other lists; each measures object also has "repeats",
/// "over_level_received", "justified", "breached", "compensation":{"cases","granted"} (granted: a
/// decimal amount), "ended":{state: count} and "handling_times":[{"measure",
/// "elapsed":{"count","mean","median","p90"},"business":{...}}] (seconds); "targets":{name: text}.
std::string to_json(const Report& r);

}  // namespace crmkit::kpi
