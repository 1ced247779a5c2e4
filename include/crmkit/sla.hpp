// crmkit/sla.hpp — SLA policies, clocks and the clock scheduler (docs/domain.md#time-targets, docs/domain.md#sla-clocks).
//
// A Policy (JSON) resolves, for a case's attributes (channel, category, severity, tier), the
// Target of each named clock: a business duration, the calendar to count it in, the warning
// fractions and the escalation level a breach triggers. Tier entitlements apply on top: a
// multiplier on the duration and/or a calendar of their own (e.g. diamond counts on 24×7).
//
// The Scheduler holds many clocks compactly and answers "what fired between the last sweep
// and now", ordered by time, from a min-heap of next-fire instants (no scan of all clocks).
// A clock keeps its accumulated business time across pauses and policy switches; every
// warning and the breach fire once per clock.
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
};

/// The resolved target of one clock for one case.
struct Target {
  std::string clock;                 ///< clock name, e.g. "first_response"
  Duration business;                 ///< target in business time of `calendar` (> 0)
  Calendar calendar;                 ///< calendar the clock counts in
  std::vector<double> warnings;      ///< ascending fractions in (0, 1), e.g. 0.5, 0.75, 0.9
  int escalate_to = -1;              ///< escalation level a breach raises the case to; -1: none
  std::string rule;                  ///< human-readable rule that produced this target
};

/// An SLA policy. Immutable value; thread-safe to share.
///
/// JSON:
/// {"warnings": [0.5, 0.75, 0.9],
///  "calendar": "default",                      // name in the calendar map; "24x7" is built in
///  "clocks": {
///    "first_response": {"target": "24h",         // default target ("90m", "2h", "3d", "1h30m" or seconds)
///                       "rules": [{"when": {"channel": "phone"}, "target": "2h"},
///                                 {"when": {"channel": ["web", "forum"]}, "target": "24h"}],
///                       "escalate_on_breach": 1, "calendar": "24x7", "warnings": [...]},
///    ...},
///  "tiers": {"diamond": {"multiplier": 0.5, "calendar": "24x7"}, "gold": {"multiplier": 0.75}}}
/// The first rule whose `when` matches (every listed attribute equal, or in the list) gives the
/// target; otherwise the clock's default. The tier multiplier then scales it (rounded to whole
/// seconds, at least 1 s). Unknown top-level keys are left for other modules (the workflow reads
/// compensation limits, callback rules etc. from the same file).
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

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

/// Parses "2h", "90m", "3d", "1h30m", "45s" or a plain number of seconds; Error(parse).
Duration parse_duration(std::string_view text);

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
  Duration elapsed;                  ///< business time accumulated up to `as_of`
  std::optional<Instant> due;        ///< deadline if it keeps running (only when running)
  Duration remaining;                ///< target − elapsed (negative once breached)
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
  /// resume of a clock that is not paused, anything after stop) and Error(not_found) for an
  /// unknown id; a time before the clock's last change throws Error(invalid_argument).
  /// start() of an idle clock starts it; pause/resume/stop keep the business time accumulated.
  void start(ClockId id, Instant at);
  void pause(ClockId id, Instant at);
  void resume(ClockId id, Instant at);
  void stop(ClockId id, Instant at);
  /// Switches the clock to another target at `at` (a severity or tier change): business time
  /// elapsed so far is kept and counted against the new target; warnings already fired stay
  /// fired; a warning or breach the new target has already crossed fires at the next sweep.
  void retarget(ClockId id, TargetId target, Instant at);
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
  /// scheduler state (class info once: tracking u8, version u32 = 1):
  ///   clocks    u64 count + per clock: segment_start, accumulated, last_change, next_fire
  ///             (i64 each), target u32, state code u8 (0 idle, 1 running, 2 paused, 3 stopped),
  ///             fired bits u8 (bit i: warning i, bit 7: breach), erased u8 (0/1)
  ///   deferred  u64 count + per event, in (at, clock, kind, index, fraction) order: at i64,
  ///             clock u64, kind code u8 (0 warning, 1 breach), index u8, fraction f32
  ///   calendars u64 count + per calendar (class version, once) its spec: zone, weekday
  ///             intervals, holidays, make-up days, name
  ///   targets   u64 count + per target (class version, once): clock name, business seconds
  ///             i64, calendar index u32, warnings (u64 count + f64 each), escalate_to i32, rule
  /// (strings: u64 length + bytes). The heap of next fires, target thresholds and the target
  /// index are rebuilt on load.
  std::string to_bytes() const;
  static Scheduler from_bytes(std::string_view bytes);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmkit::sla
