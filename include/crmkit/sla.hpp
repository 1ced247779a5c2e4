// crmkit/sla.hpp — SLA policies, clocks and the clock scheduler (docs/domain.md#time-targets, docs/domain.md#sla-clocks).
//
// A Policy (JSON) resolves, for a case's attributes (channel, category, severity, tier and any
// field the workflow declares), the Target of each named clock: what it counts (business time on
// a calendar, elapsed wall-clock time, or up to a fixed instant an event field gives), the
// warning fractions and the escalation level a breach triggers. Tier entitlements apply on top:
// a multiplier on the duration and/or a calendar of their own (e.g. diamond counts on 24×7).
//
// The Scheduler holds many clocks compactly and answers "what fired between the last sweep
// and now", ordered by time, from a min-heap of next-fire instants (no scan of all clocks).
// A clock keeps its accumulated time and its paused time across pauses and retargets (a
// reclassification); every warning and the breach fire once per clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/calendar.hpp"
#include "crmkit/time.hpp"

namespace crmkit::sla {

/// The highest escalation level a policy or a workflow may name (levels are 0..15).
inline constexpr int kMaxEscalationLevel = 15;
/// Most warning fractions a policy or a clock may list.
inline constexpr int kMaxWarnings = 7;

/// What a case looks like to the policy.
struct CaseAttributes {
  std::string channel;   ///< "phone", "web", "system", "email", "visit", ...
  std::string category;  ///< "product_quality", "service", "billing", "installation", "other"
  std::string severity;  ///< "low", "normal", "high", "critical"
  std::string tier;      ///< "diamond", "gold", "silver", "basic", "1A".."5B", or empty
  /// Other attributes a rule may match (declared case fields such as "product"), as text; an
  /// attribute not listed matches only the value "".
  std::vector<std::pair<std::string, std::string>> fields;

  /// The value of a built-in or listed attribute ("" when absent).
  std::string_view get(std::string_view name) const;
};

/// What a clock counts towards its target.
enum class TargetKind : uint8_t {
  business = 0,  ///< a duration of business time on a calendar (office hours, holidays apart)
  elapsed = 1,   ///< a duration of wall-clock time ("reply within 24 hours", nights included)
  instant = 2,   ///< up to a fixed instant: an event field's time plus an offset (an appointment)
};
const char* target_kind_name(TargetKind k) noexcept;
std::optional<TargetKind> target_kind_from_name(std::string_view name) noexcept;

/// The resolved target of one clock for one case.
struct Target {
  std::string clock;                 ///< clock name, e.g. "first_response"
  TargetKind kind = TargetKind::business;
  Duration duration;                 ///< business / elapsed: the target (> 0); instant: unused (0)
  Calendar calendar;                 ///< calendar the clock counts in (elapsed, instant: 24×7)
  std::string due_field;             ///< instant: the event field whose time is the deadline, or kEndOfBusinessDay
  Duration due_offset;               ///< instant: added to that time (e.g. -30 minutes)
  std::vector<double> warnings;      ///< ascending fractions in (0, 1), e.g. 0.5, 0.75, 0.9
  int escalate_to = -1;              ///< escalation level a breach raises the case to; -1: none
  std::string rule;                  ///< human-readable rule that produced this target
};

/// Target::due_field of an instant target due at the end of the business day it starts in (a clock
/// started outside business hours: the end of the next business day), on the calendar a business
/// target of its clock would count on (the clock's, the policy's, or the case tier's). Policy
/// JSON: "at": "end_of_business_day" instead of "field". Not a field name (those are identifiers).
inline constexpr std::string_view kEndOfBusinessDay = "@end_of_business_day";

/// An SLA policy. Immutable value; thread-safe to share.
///
/// JSON:
/// {"warnings": [0.5, 0.75, 0.9],
///  "calendar": "default",                      // name in the calendar map; "24x7" is built in
///  "clocks": {
///    "first_response": {"target": "24h",         // default target ("90m", "2h", "3d", "1h30m" or seconds)
///                       "kind": "business",      // "business" (default), "elapsed" or "instant"
///                       "rules": [{"when": {"channel": "phone"}, "target": "2h"},
///                                 {"when": {"channel": ["web", "forum"]}, "target": "24h", "kind": "elapsed"},
///                                 {"when": {"product": "broadband"}, "target": "1h"}],
///                       "escalate_on_breach": 1, "calendar": "24x7", "warnings": [...]},
///    "arrival": {"kind": "instant", "field": "appointment_start", "offset": "-30m"},
///    "callback_goal": {"kind": "instant", "at": "end_of_business_day", "goal": true},
///    ...},
///  "tiers": {"diamond": {"multiplier": 0.5, "calendar": "24x7"}, "gold": {"multiplier": 0.75}}}
/// The first rule whose `when` matches (every listed attribute equal, or in the list) gives the
/// target; otherwise the clock's default. A rule inherits what it does not set (kind, target,
/// field, offset, escalation) from its clock. `when` may name channel, category, severity, tier
/// or any field the workflow declares (the workflow checks the names). The tier multiplier then
/// scales a business or elapsed duration (rounded to whole seconds, at least 1 s); a tier's
/// calendar applies to business targets only. An elapsed target takes no calendar; an instant
/// target names the field (`field`) and an optional signed `offset`, and no duration or calendar;
/// or is due at the end of the business day it starts in ("at": "end_of_business_day"). A clock
/// with "goal": true is an aim, not a promise: passing its target is reported as a warning
/// (fraction 1), never a breach (no escalation; not counted against timeliness).
/// Unknown top-level keys are left for other modules (the workflow reads compensation limits,
/// callback rules etc. from the same file); an unknown key inside a clock, rule or tier is refused.
class Policy {
 public:
  /// `calendars` maps names used in the policy to calendars; "default" is the calendar passed
  /// as `default_calendar`, "24x7" is always available. Throws Error(parse) for malformed JSON,
  /// Error(invalid_argument / not_found) naming the field for a bad policy.
  static Policy from_json(std::string_view json, const Calendar& default_calendar,
                          const std::map<std::string, Calendar>& calendars = {});
  static Policy from_file(const std::string& path, const Calendar& default_calendar,
                          const std::map<std::string, Calendar>& calendars = {});

  /// Names of the clocks the policy defines, sorted.
  std::vector<std::string> clock_names() const;
  bool has_clock(std::string_view clock) const;
  /// The target of `clock` for a case; Error(not_found) for an unknown clock.
  Target target(std::string_view clock, const CaseAttributes& attributes) const;
  const std::vector<double>& default_warnings() const;
  /// The attributes the rules match other than channel, category, severity and tier, sorted.
  std::vector<std::string> condition_fields() const;
  /// The fields instant targets take their deadline from, sorted (kEndOfBusinessDay is none).
  std::vector<std::string> due_fields() const;
  /// The same for the named clocks only (a workflow's: one policy may serve workflows that use
  /// different clocks); a name the policy lacks is skipped.
  std::vector<std::string> due_fields(const std::vector<std::string>& clocks) const;
  /// Whether `clock` is a goal ("goal": true): passing its target is a warning, never a breach.
  bool is_goal(std::string_view clock) const;
  /// The calendar a business target of `clock` counts on for a case of `tier` (the tier's
  /// calendar, the clock's, or the policy's): the business days of kEndOfBusinessDay.
  const Calendar& business_calendar(std::string_view clock, std::string_view tier) const;
  /// The calendar a case of `tier` is served on: the tier's, else the policy's (the KPI report
  /// counts handling times in business time on it).
  const Calendar& tier_calendar(std::string_view tier) const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

/// Parses "2h", "90m", "3d", "1h30m", "45s" or a plain number of seconds; Error(parse).
Duration parse_duration(std::string_view text);
/// "2h", "1h30m", "3d", "45s" (the inverse of parse_duration; negative: a leading '-').
std::string format_duration(Duration d);

using ClockId = uint64_t;
using TargetId = uint32_t;

enum class ClockState : uint8_t { idle, running, paused, stopped };

/// A warning or breach that fired.
struct ClockEvent {
  enum Kind : uint8_t { warning, breach } kind = warning;
  ClockId clock = 0;
  Instant at;           ///< the instant the threshold was crossed (not the sweep time)
  uint8_t index = 0;    ///< warning: index into the target's warnings; breach: 0
  double fraction = 1;  ///< warning: the fraction; breach: 1
};

/// A snapshot of one clock.
struct ClockStatus {
  ClockState state = ClockState::idle;
  TargetId target = 0;
  TargetKind kind = TargetKind::business;
  Duration elapsed;                  ///< time counted up to `as_of` (business time for business targets)
  /// Wall-clock time spent paused up to `as_of` (saturating at 136 years); none: unknown, for a
  /// clock restored from a snapshot of crmkit 0.3 or older (scheduler class version 1).
  std::optional<Duration> paused;
  Duration total;                    ///< the target: its duration, or for an instant the time from start to due
  std::optional<Instant> due;        ///< deadline if it keeps running (only when running)
  std::optional<Instant> fixed_due;  ///< instant targets: the deadline, in any state once started
  Duration remaining;                ///< total − elapsed (negative once breached)
  bool breached = false;
  uint8_t warnings_fired = 0;
};

/// Holds many clocks; not thread-safe (wrap it, as the workflow engine does).
/// Memory per clock is small (see memory_bytes()): targets are interned and shared.
class Scheduler {
 public:
  Scheduler();
  ~Scheduler();
  Scheduler(Scheduler&&) noexcept;
  Scheduler& operator=(Scheduler&&) noexcept;
  Scheduler(const Scheduler&);
  Scheduler& operator=(const Scheduler&);

  /// Interns a target (equal targets share one id).
  TargetId intern(const Target& target);
  const Target& target(TargetId id) const;

  /// A new idle clock; ids are never reused.
  ClockId create(TargetId target);
  /// State changes. Each throws Error(invalid_state) when not allowed (start of a running clock,
  /// resume of a clock that is not paused, anything after stop, a pause of a clock counting to a
  /// fixed instant) and Error(not_found) for an unknown id; a time before the clock's last change
  /// throws Error(invalid_argument). start() of an idle clock starts it; pause/resume/stop keep
  /// the time accumulated, and resume/stop add the time paused to the clock's paused time.
  /// An instant target needs `due` (Error(invalid_argument) without it); other kinds ignore it. A
  /// due at or before `at` breaches at once (fires at the next sweep).
  void start(ClockId id, Instant at, std::optional<Instant> due = std::nullopt);
  void pause(ClockId id, Instant at);
  void resume(ClockId id, Instant at);
  void stop(ClockId id, Instant at);
  /// Switches the clock to another target at `at` (a reclassification, a moved appointment): the
  /// time elapsed and paused so far are kept and counted against the new target; warnings already
  /// fired stay fired; a warning or breach the new target has already crossed fires at the next
  /// sweep. An instant target takes `due` (default: the clock's current due, if it has one).
  void retarget(ClockId id, TargetId target, Instant at, std::optional<Instant> due = std::nullopt);
  /// Removes a clock (e.g. when its case is purged).
  void erase(ClockId id);

  ClockStatus status(ClockId id, Instant as_of) const;
  /// The clock's state and target alone (no calendar work); Error(not_found) for an unknown id.
  ClockState state(ClockId id) const;
  TargetId target_of(ClockId id) const;
  bool contains(ClockId id) const;

  /// Fires every warning and breach with an instant <= now that has not fired yet, in order of
  /// instant (then clock id), appending them to `out`. Cost is O(k log n) for k fired clocks.
  void sweep(Instant now, std::vector<ClockEvent>& out);
  /// The earliest pending fire instant of any clock, if any.
  std::optional<Instant> next_fire() const;
  /// Appends the running clocks whose deadline may be before `t`: those whose next crossing is
  /// before `t` (a deadline is never before the next crossing) and those already past their
  /// breach. A superset, unordered; the cost follows their number, not the number of clocks.
  void running_candidates_before(Instant t, std::vector<ClockId>& out) const;

  size_t size() const;
  /// Bytes used by the clocks and the heap (excluding interned targets).
  size_t memory_bytes() const;

  /// The whole scheduler (clocks, deferred events, targets with their calendars) as bytes, and
  /// back; two snapshots of the same state are byte-identical. from_bytes throws Error(version)
  /// for another format (format 1 of crmkit 0.1, or a newer one), byte order or word size, naming
  /// the format found and the one this build reads, and Error(corrupt) for bytes it cannot read.
  ///
  /// Format 2: the 24-byte header described at workflow::Engine::kSnapshotFormat with magic
  /// "crmkSCH\0", then a Boost.Serialization binary archive (writer's byte order) of the
  /// scheduler state (class info once: tracking u8, version u32 = 2; version 1 is still read):
  ///   clocks    u64 count + per clock: segment_start, accumulated, last_change, next_fire
  ///             (i64 each), target u32, state code u8 (0 idle, 1 running, 2 paused, 3 stopped),
  ///             fired bits u8 (bit i: warning i, bit 7: breach), erased u8 (0/1); version 2
  ///             adds due i64 (instant targets; else 0) and paused seconds u32
  ///   deferred  u64 count + per event, in (at, clock, kind, index, fraction) order: at i64,
  ///             clock u64, kind code u8 (0 warning, 1 breach), index u8, fraction f32
  ///   calendars u64 count + per calendar (class version, once) its spec: zone, weekday
  ///             intervals, holidays, make-up days, name
  ///   targets   u64 count + per target (class version, once; 2, 1 still read): clock name,
  ///             duration seconds i64, calendar index u32, warnings (u64 count + f64 each),
  ///             escalate_to i32, rule; version 2 adds kind code u8 (0 business, 1 elapsed,
  ///             2 instant), due field, due offset seconds i64
  /// (strings: u64 length + bytes). The heap of next fires, target thresholds and the target
  /// index are rebuilt on load. A version-1 snapshot kept no paused time: its clocks that ran
  /// report it as unknown.
  std::string to_bytes() const;
  static Scheduler from_bytes(std::string_view bytes);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmkit::sla
