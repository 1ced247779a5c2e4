// crmkit/workflow.hpp — the data-driven complaint workflow engine.
//
// A workflow Definition (JSON) lists states, transitions (event type, from-states, to-state, the
// roles that may fire it, required fields, conditions on the event data, and the SLA clocks it
// starts, pauses, resumes, restarts or stops) and the built-in effect each transition has
// (owner assignment, escalation, callback rating, reopen, merge, compensation). The shipped
// default is data/workflows/default.json.
//
// The Engine folds events into cases. apply() validates an event completely before it changes
// anything — state, role, fields, limits and every clock deadline the event would set are
// computed first — and only then commits it: on error it throws crmkit::Error and the engine
// (cases, clocks, counters, journal) is unchanged; on success it returns what changed. Event
// ids are idempotent per case: applying an id the case already holds is a no-op reported as
// `duplicate` (a different event under the same id is Error(conflict)).
//
// One engine, two backends: in memory only, or with a Journal attached (the SQLite store of
// crmkit/durable.hpp): an accepted event is journaled before it is committed in memory, so a
// journal write that fails leaves the engine unchanged too. The same calls give the same case
// states with or without a journal.
//
// Time order is per case: an event may not be older than its case's last event; cases are
// independent, so concurrent writers need no global order. Sweeping is explicit: sweep(now)
// fires SLA warnings and breaches up to `now`; a breach raises the case to the level the
// policy names (never lowered) and is recorded in the audit trail as an "escalate" by actor
// "system". EngineOptions::sweep_before_apply makes apply() sweep to each accepted event's time
// first (what a replay of a time-ordered log wants); a refused event never sweeps.
//
// Thread safety: an Engine may be shared between threads: apply()/sweep() take an exclusive
// lock, queries a shared one.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/sla.hpp"
#include "crmkit/time.hpp"

namespace crmkit::workflow {

/// What a state means to the engine and the KPIs.
enum class StateKind : uint8_t {
  open,      ///< being handled (received, acknowledged, in_progress)
  waiting,   ///< waiting for the customer
  resolved,  ///< a response was given; awaiting callback
  closed,    ///< closed (counts for closure, repeats, reopen window)
  review,    ///< external review (appeal) of a closed case
  terminal,  ///< rejected, withdrawn, merged: nothing follows
};
const char* state_kind_name(StateKind k) noexcept;

/// Built-in behaviour of a transition beyond the state change and clock actions.
enum class Effect : uint8_t {
  none,
  receive,               ///< creates the case (attributes, first-contact owner, repeat link, over-level)
  assign,                ///< sets department and owner (dispatch, transfer)
  escalate,              ///< raises the escalation level (data.level), never lowers it
  callback,              ///< records a callback (outcome, manual, attempts, satisfaction)
  reopen,                ///< counts a reopen; from a closed state only within the reopen window
  merge,                 ///< data.into names an existing, non-terminal other case
  compensate,            ///< grants data.amount within the role's limit, otherwise pending approval
  approve_compensation,  ///< approves a pending amount by a role whose limit covers it
  /// changes the classification (channel, category, severity, tier and the declared attributes
  /// the policy's rules match): every clock that has not stopped takes its new target, keeping
  /// the time elapsed and paused; a change to a crisis severity escalates at once (Rules::crisis)
  reclassify,
  /// hands the case's first-contact responsibility (首问负责) to data.to, with data.reason
  handover,
  /// agrees a visit window: the declared instant fields data.start < data.end, start not before
  /// the event (the window's clocks are due at policy offsets from data.start)
  appoint,
  /// moves the agreed window (as appoint) with data.by (a declared enum: who asked) and
  /// data.reason; running clocks due at data.start move with it
  reschedule,
  /// a technician's visit (counted for first-visit fix)
  visit,
  /// a visit that found nobody at home (a written notice left): a visit that fixed nothing
  not_at_home,
  /// points this case and another of the same customer at each other: data.order (another case
  /// of this workflow: one visit serves both) or data.case (a case of another workflow, e.g. the
  /// complaint about a work order). The other case records the same event pointing back; its
  /// workflow needs a transition of this event type from its state. A case without a customer
  /// (an incident) links, through data.case, to the cases of any customer.
  link,
  /// without data.case: the event is written into every open (or waiting) case linked to this
  /// one as well, each copy with data.case naming this case, all or none (an incident's notice
  /// or resolution reaching its cases); a linked case whose workflow has no such event type is
  /// left out. With data.case: it is such a copy, and data.case must be linked to this case.
  broadcast,
  /// commits to the customer's next contact (主动承诺下一次联络的具体日期): data.by, a declared
  /// instant field after the event, which only this effect sets (the promise's clock is due at it)
  promise,
};
const char* effect_name(Effect e) noexcept;

/// Event data fields the engine knows (the `required` and `when` names of a definition).
enum class Field : uint8_t {
  channel, category, severity, customer, tier, description, department, owner, reason,
  resolution, outcome, manual, level, into, amount, decision, note,
  workflow,          ///< receive: the workflow the case is received under (absent: the engine's default)
  workflow_version,  ///< receive: its version (absent: the newest loaded)
  remedy,            ///< compensate, approve_compensation: the kind of remedy (Remedy; absent: money)
  to,                ///< handover: the person who takes the case over
  result,            ///< report_back: what the dispatched department did and found (free text)
  cases,             ///< callback: every case the one callback covers (a JSON array of case ids; see Engine::apply)
  order,             ///< join: the other work order of the customer the one visit serves as well
  case_ref,          ///< link (JSON name "case"): the case of another workflow this one points at
  count_
};
const char* field_name(Field f) noexcept;
std::optional<Field> field_from_name(std::string_view name) noexcept;

/// The kind of remedy a compensate event grants (data.remedy; the sources' 修理、更换、重做 and
/// 非财产损害的赔偿 beside money). Numbered: persisted in snapshots.
enum class Remedy : uint8_t { money = 0, repair = 1, replace = 2, redo = 3, non_property = 4 };
inline constexpr size_t kRemedyCount = 5;
const char* remedy_name(Remedy r) noexcept;
std::optional<Remedy> remedy_from_name(std::string_view name) noexcept;

/// The type of a field a workflow declares (its "fields" section) beside the built-in ones.
/// Numbered: the record codec persists declared values by type.
/// `list` (a JSON array of strings) is a built-in field's type only (data.cases).
enum class FieldType : uint8_t { string = 0, number = 1, instant = 2, boolean = 3, enumeration = 4, list = 5 };
const char* field_type_name(FieldType t) noexcept;

/// How a personal field is shown when masked: at most `keep_first` leading and `keep_last`
/// trailing characters (code points) stay, every other one becomes '*', and never more than
/// half of the value's characters stay ("13812345678" with keep_last 4: "*******5678"; "王伟"
/// with keep_first 1: "王*"; a value of one character is "*").
struct MaskRule {
  uint8_t keep_first = 0, keep_last = 0;
};
/// `value` masked by `rule` (pure; invalid UTF-8 bytes count as one character each).
std::string mask_value(std::string_view value, MaskRule rule);
/// Free text (description, reason, resolution, note) as shown masked: a run of 7 or more digits
/// (a phone or ID number written into the text) keeps its last 4.
std::string mask_free_text(std::string_view text);

/// A case field the workflow declares: `{"type": "string" | "number" | "instant" | "boolean" |
/// "enum", "values": [...] (enum), "personal": true (strings only), "mask": {"keep_first": n,
/// "keep_last": n} (personal only; default: nothing kept), "required_at": [event types],
/// "label": "..."}`. An event may carry any declared field in its data; the case keeps the last
/// value given. `required_at`: once an event of one of these types is applied the case holds a
/// value (given by that event or an earlier one; a string value must not be empty).
struct FieldDef {
  std::string name, label;
  FieldType type = FieldType::string;
  bool personal = false;
  MaskRule mask;
  std::vector<std::string> values;       ///< enum: the accepted values
  std::vector<std::string> required_at;  ///< event types
  /// "group_by": true: the KPI report groups cases by the field's value (Report::by_field; a
  /// string or enum field, e.g. a complaint's root cause, component or supplier).
  bool group_by = false;
};

/// What a callback outcome value means to the engine (the workflow's "callback_outcomes" map;
/// by default each of the four names means itself). Numbered: persisted in snapshots.
enum class CallbackMeaning : uint8_t { none = 0, very_satisfied = 1, satisfied = 2, unsatisfied = 3, unreachable = 4 };
const char* callback_meaning_name(CallbackMeaning m) noexcept;

/// One SLA clock action of a transition. stop/pause/resume on a clock that is not in the
/// matching state are no-ops; start of a clock that already ran is a no-op; restart starts a
/// fresh instance (the old one is stopped first); open starts a fresh instance too, but refuses
/// the event (Error(invalid_state)) while the clock runs or is paused, and close stops it, but
/// refuses the event unless it runs or is paused: a clock that tracks one thing at a time (a
/// corrective action is completed before the next is opened, and only an open one completes).
/// A clock some transition opens is not stopped when the case closes (an action outlives the
/// complaint it came from); a terminal state stops it. An event giving the due field of a
/// running instant clock moves it (a retarget in its history), unless the transition's own
/// clock actions name that clock: a promise restarted by the contact that makes the next one is
/// kept and started anew, not moved.
struct ClockAction {
  enum Op : uint8_t { start, pause, resume, stop, restart, open, close } op = start;
  std::string clock;
};
const char* clock_op_name(ClockAction::Op op) noexcept;

struct StateDef {
  std::string name;
  StateKind kind = StateKind::open;
  std::string label;  ///< optional display name (e.g. "受理")
};

struct TransitionDef {
  std::string event;                  ///< event type that fires it
  std::vector<std::string> from;      ///< states it applies in (empty for the receive transition)
  std::string to;                     ///< target state; empty with `stay`
  bool stay = false;                  ///< the state does not change (escalate, compensate, ...)
  std::vector<std::string> roles;     ///< roles allowed to fire it
  std::vector<Field> required;        ///< data fields that must be present and non-empty
  std::vector<std::string> required_declared;  ///< declared fields the event itself must give (non-empty)
  std::vector<std::pair<Field, std::vector<std::string>>> when;  ///< data conditions (all must hold)
  std::vector<ClockAction> clocks;
  Effect effect = Effect::none;
  std::string on_attempts_exhausted;  ///< callback: state to enter after max unreachable attempts
};

/// A validated workflow definition. Immutable value; copies share the data.
///
/// JSON (see data/workflows/default.json):
/// {"name": "default", "max_escalation_level": 3,      // 0..kMaxEscalationLevel
///  "callback_outcomes": {"very_satisfied": "very_satisfied", "satisfied": "satisfied",
///                        "unsatisfied": "unsatisfied", "unreachable": "unreachable"},  // optional
///  "roles": ["agent", "supervisor", "manager", "director"],
///  "clocks": ["first_response", "contact_after_dispatch", "resolution", "callback"],
///  "values": {"channel": [...], "category": [...], "severity": [...]},   // optional enumerations
///  "fields": {"phone": {"type": "string", "personal": true, "mask": {"keep_last": 4}},
///             "justified": {"type": "boolean"}, ...},                       // optional: FieldDef
///  "personal_data_roles": ["supervisor", ...],                            // optional
///  "states": [{"name": "received", "kind": "open", "label": "受理"}, ...],
///  "transitions": [{"event": "dispatch", "from": ["acknowledged"], "to": "in_progress",
///                   "roles": ["agent", ...], "required": ["department", "owner"],
///                   "effect": "assign", "clocks": {"start": ["contact_after_dispatch"]}}, ...]}
/// `required` names built-in fields or declared fields the event itself must give. A transition
/// whose effect works on fields must require them: appoint the declared instants start and end,
/// reschedule those and the declared enum by and reason, link order or case (and stay).
/// Refused with Error(invalid_argument / not_found / conflict) naming the spot
/// ("workflow.transitions[3].to: unknown state 'done'"): unknown states, roles, clocks, fields
/// or effects, a state no transition reaches, a transition to nowhere, no receive transition,
/// an unknown key (a typo), a declared field named like a built-in one, an effect without the
/// fields it works on.
class Definition {
 public:
  static Definition from_json(std::string_view json);
  static Definition from_file(const std::string& path);

  const std::string& name() const;
  /// The definition's "version" (1..kMaxWorkflowVersion, default 1).
  int version() const;
  const std::vector<StateDef>& states() const;
  const std::vector<TransitionDef>& transitions() const;
  const std::vector<std::string>& roles() const;
  const std::vector<std::string>& clocks() const;
  int max_escalation_level() const;
  /// What an outcome value means (CallbackMeaning::none for a value the map does not list).
  CallbackMeaning callback_meaning(std::string_view outcome) const;
  /// Allowed values of an enumerated field (channel, category, severity, outcome...); empty: any.
  const std::vector<std::string>& values(Field f) const;
  /// The declared fields, in name order (their position is their record code: see FieldDef).
  const std::vector<FieldDef>& fields() const;
  /// A declared field by name; nullptr when the workflow does not declare it.
  const FieldDef* field(std::string_view name) const;
  /// Roles that may read personal fields unmasked (the workflow's "personal_data_roles").
  const std::vector<std::string>& personal_data_roles() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

/// Error(permission) unless `role` may read personal data of `definition` (is one of its
/// personal_data_roles); the message names the role, the workflow and its roles. An empty role
/// asks for masked data and is always allowed.
void check_personal_data_role(const Definition& definition, std::string_view role);

/// The workflow keys of a policy file (next to the SLA clocks):
/// {"compensation_limits": {"agent": 200, "supervisor": 2000, "manager": 10000, "director": null},
///  "compensation": {"over_limit": "pending", "remedies": {"replace": ["supervisor", "manager", "director"]}},
///  "callback": {"max_attempts": 3, "manual_tiers": ["diamond", "gold"], "manual_tiers_mode": "required"},
///  "reopen_window_days": 30,
///  "crisis": {"severity": ["critical"], "escalate_to": 3, "start": ["crisis_report"]}}
/// Amounts are in currency units with at most 2 decimals; null means no limit; a role not
/// listed may grant nothing on its own (its grants are pending). A limit is per case and
/// cumulative: a grant is within it when the case's granted plus pending amounts plus the new
/// one are. Past it, "over_limit" says what happens: "pending" (default: recorded for
/// approve_compensation by a role whose limit covers the case's new total) or "refuse".
/// "remedies" lists, per kind of remedy (money, repair, replace, redo, non_property), the roles
/// that may grant or approve it; a remedy not listed may be granted by every role. money and
/// non_property need an amount; repair, replace and redo may carry their cost as one.
struct Rules {
  std::vector<std::pair<std::string, std::optional<int64_t>>> compensation_limits;  ///< cents
  enum class OverLimit : uint8_t { pending, refuse };
  OverLimit compensation_over_limit = OverLimit::pending;
  /// (remedy, roles allowed) for the remedies the policy restricts.
  std::vector<std::pair<Remedy, std::vector<std::string>>> remedy_roles;
  int callback_max_attempts = 3;
  std::vector<std::string> manual_callback_tiers;
  /// "callback": {"manual_tiers_mode": "required" | "preferred"}: whether an automatic callback
  /// of a case of a manual tier is refused (required, the default) or accepted (preferred: 尽量,
  /// as far as possible; the KPI report counts them).
  enum class ManualTiers : uint8_t { required, preferred };
  ManualTiers manual_tiers_mode = ManualTiers::required;
  int reopen_window_days = 30;
  /// "first_contact": {"mode": "enforce" | "record" | "off", "override_role": "supervisor",
  /// "events": [event types]}: 首问负责制. The case's first-contact owner (who received it, until
  /// a handover {to, reason} names another) and its handling owner (the department's, from
  /// dispatch or transfer) may fire the listed events; so may a role at or above override_role
  /// in the workflow's role order. Anyone else is refused (enforce: Error(permission)), or
  /// accepted and counted (record: ApplyResult::outside_responsibility, the KPI report's
  /// outside_responsibility). Absent: off. `events` absent: every event type but receive; a
  /// listed type the workflow lacks is skipped (one policy may serve several workflows).
  struct FirstContact {
    enum class Mode : uint8_t { off, record, enforce } mode = Mode::off;
    std::string override_role;  ///< empty: no role overrides
    std::vector<std::string> events;
    bool events_given = false;
  } first_contact;
  /// "crisis": {"severity": ["critical"], "escalate_to": 3, "start": ["crisis_report"]}: a case
  /// received with, or reclassified to, one of these severities is escalated at once to
  /// `escalate_to` (at most the workflow's max_escalation_level; -1: no escalation) and the
  /// listed workflow clocks start (a crisis process: e.g. a report to management within 1 h).
  struct Crisis {
    std::vector<std::string> severities;
    int escalate_to = -1;
    std::vector<std::string> start;
  } crisis;
  /// "kpi_targets": {"satisfaction": ">0.95", "timeliness": ">=1", "repeat": "minimise", ...}:
  /// the KPI report's targets (kpi::Targets::find names them; kpi::Target::parse reads them),
  /// in the order given. The report takes those of the engine's default workflow's policy.
  std::vector<std::pair<std::string, kpi::Target>> kpi_targets;

  /// Reads the keys above from a policy JSON (missing keys keep the defaults);
  /// Error(parse / invalid_argument) naming the field, also for a top-level key neither these
  /// nor sla::Policy know (a typo would otherwise silently keep a default).
  static Rules from_json(std::string_view policy_json);
  static Rules from_file(const std::string& path);
};

/// Limits on input sizes (Error(limit) beyond them).
inline constexpr size_t kMaxEventJsonBytes = 64 * 1024;
inline constexpr size_t kMaxDescriptionBytes = 16 * 1024;
inline constexpr size_t kMaxFieldBytes = 4 * 1024;  ///< any other string
inline constexpr size_t kMaxDuePage = 1'000'000;    ///< entries per due_before page (crmkit_engine_due "limit")
inline constexpr size_t kMaxCases = 50'000'000;      ///< cases per engine
inline constexpr size_t kMaxWorkflows = 255;         ///< workflow versions per engine
inline constexpr int kMaxWorkflowVersion = 65535;    ///< a definition's "version" is 1..this
inline constexpr size_t kMaxEventsPerCase = 100'000;  ///< events a host applies to one case
/// Bytes of one case's event ids and data together (record offsets are 32-bit; the margin below
/// 4 GiB holds the breach records a sweep adds).
inline constexpr size_t kMaxCasePoolBytes = (size_t{1} << 32) - (size_t{64} << 20);

/// At most this many cases one callback covers (data.cases).
inline constexpr size_t kMaxCoveredCases = 100;
/// Cases linked to one case (an incident's affected cases); Error(limit) past it.
inline constexpr size_t kMaxLinkedCases = 10'000;

/// A data member of an event that is not a built-in field: the engine accepts it only as a
/// field the case's workflow declares, of that field's type.
struct Attribute {
  enum class Kind : uint8_t { string, number, boolean, other };  ///< other: an object or array (never accepted)
  std::string key;
  Kind kind = Kind::string;
  std::string text;  ///< string; other: the value's JSON text
  double number = 0;
  bool boolean = false;
};
/// At most this many attributes in one event (a workflow declares at most as many fields).
inline constexpr size_t kMaxDeclaredFields = 128;

/// An event, as parsed from its JSON object
/// {"id", "case", "type", "at", "actor", "role", "note"?, "data": {...}}.
/// String fields are std::string (short values stay in the small-string buffer).
struct Event {
  // What every event is read for first, in its first four cache lines (an engine applying events
  // it parsed a while ago meets them cold): the envelope, the set of data fields present and
  // the scalar data, then the rarer text fields.
  std::string id, case_id, type, actor, role;
  Instant at;
  int32_t utc_offset = 0;  ///< offset of the original timestamp (kept for display)
  uint32_t present = 0;    ///< bit (1 << Field) set for each data field present
  // data
  int64_t amount_cents = 0;
  int level = 0;
  int workflow_version = 0;
  bool manual = false;
  std::vector<Attribute> attributes;  ///< the other data members, in input order
  std::vector<std::string> case_list;   ///< data.cases: the ids, in the order given
  std::string note;
  std::string channel, category, severity, customer, tier, description, department, owner, reason,
      resolution, outcome, into, decision, workflow, remedy, to, result, order, case_ref;
  std::string cases;                    ///< data.cases as its canonical JSON text (["C-1","C-2"])

  bool has(Field f) const { return (present >> static_cast<unsigned>(f)) & 1u; }
  void set(Field f) { present |= 1u << static_cast<unsigned>(f); }
  /// The string value of a string field ("" for numbers and booleans).
  const std::string& text(Field f) const;
  /// Clears every field, keeping string capacity (for reuse in loops).
  void clear();
};

/// The "" that Event::text() returns for numbers and booleans.
const std::string& empty_event_text() noexcept;

// Inline (a table lookup, no function-local static to guard): the engine calls it for every
// field of every event.
inline const std::string& Event::text(Field f) const {
  static constexpr std::string Event::*kText[] = {
      &Event::channel, &Event::category, &Event::severity,   &Event::customer, &Event::tier,     &Event::description,
      &Event::department, &Event::owner, &Event::reason,     &Event::resolution, &Event::outcome, nullptr /* manual */,
      nullptr /* level */, &Event::into, nullptr /* amount */, &Event::decision, &Event::note, &Event::workflow,
      nullptr /* workflow_version */, &Event::remedy, &Event::to, &Event::result, &Event::cases,
      &Event::order, &Event::case_ref};
  static_assert(std::size(kText) == static_cast<size_t>(Field::count_));
  const auto i = static_cast<size_t>(f);
  return i < std::size(kText) && kText[i] ? this->*kText[i] : empty_event_text();
}

/// Parses one event JSON object. Error(limit) above kMaxEventJsonBytes, a long field or more
/// than kMaxDeclaredFields attributes; Error(parse) naming the key for malformed JSON, a wrong
/// type, a key given twice or an unknown top-level key. Data members that are not built-in
/// fields become `attributes` (the engine checks them against the workflow's declared fields).
Event parse_event(std::string_view json);
/// Same, into an existing Event (reuses its buffers).
void parse_event(std::string_view json, Event& out);
/// Serializes an event back to its JSON object (at in UTC with the original offset).
std::string to_json(const Event& e);
/// Masks an event's personal data as a masked case read shows it: the personal fields
/// `definition` declares by their mask rule, digit runs in the free-text fields.
void mask_personal_data(Event& e, const Definition& definition);

/// A clock's change of target (a reclassification, a moved appointment).
struct ClockRetarget {
  Instant at;
  std::string event;   ///< id of the event that caused it
  std::string reason;  ///< its data.reason, or "data.<field> changed" for a moved due
  sla::TargetKind kind = sla::TargetKind::business;
  Duration target;              ///< business / elapsed: the new target's duration
  std::optional<Instant> due;   ///< instant: the new due
  std::string rule;             ///< the policy rule that gave the new target
};

/// One clock of a case, as seen at some instant.
struct ClockInfo {
  std::string name;
  sla::ClockState state = sla::ClockState::idle;
  sla::TargetKind kind = sla::TargetKind::business;
  std::optional<Instant> due;  ///< deadline while running (an instant target: its due, in any state)
  bool breached = false;
  Duration elapsed;            ///< time counted (business time for a business target)
  std::optional<Duration> paused;  ///< wall-clock time paused (none: unknown, see sla::ClockStatus)
  Duration target;             ///< the target's duration (an instant: from the start to the due)
  std::string rule;            ///< the policy rule of the target in force
  int instance = 1;            ///< 2, 3... after restarts
  bool goal = false;           ///< the policy's goal clock: `breached` means the aim was missed (a warning)
  std::vector<ClockRetarget> retargets;  ///< in order
};

/// A field's value as read back. `text` is the text of a string, instant or enum value and the
/// JSON literal of a number or boolean ("150.00", "2", "true"). Personal values and digit runs in
/// free text are masked unless the reader's role may see them (`masked` then says so).
struct FieldValue {
  std::string name;
  FieldType type = FieldType::string;
  std::string text;
  bool masked = false;
  bool operator==(const FieldValue&) const = default;
};

/// One applied event in a case's audit trail.
struct AuditEntry {
  std::string id, type, actor, role;
  Instant at;
  int32_t utc_offset = 0;
  std::string from_state, to_state;
  /// Data recorded with the event, e.g. department "billing", owner "u-3", level 2, amount
  /// 150.00, outcome "unsatisfied", compensation "pending", then the declared fields it set.
  std::vector<FieldValue> data;
};

enum class Satisfaction : uint8_t { none, very_satisfied, satisfied, unsatisfied, unknown };
const char* satisfaction_name(Satisfaction s) noexcept;

/// A case: the fold of its events.
struct Case {
  std::string id, state;
  std::string workflow;      ///< the workflow it was received under
  int workflow_version = 1;  ///< and that workflow's version
  StateKind kind = StateKind::open;
  std::string channel, category, severity, customer, tier, description;
  std::string owner, department, first_owner;  ///< first_owner: who received it (首问负责)
  int escalation_level = 0;
  bool over_level = false;                      ///< received at a level above 0 (越级)
  std::optional<std::string> repeat_of;         ///< first case of a repeat complaint
  std::optional<std::string> merged_into;
  std::vector<std::string> links;  ///< cases joined or linked to this one (join {order}, link {case}), in order
  Instant received_at, last_event_at;
  std::optional<Instant> resolved_at, closed_at;
  Satisfaction satisfaction = Satisfaction::none;
  int callback_attempts = 0;   ///< unreachable attempts since the last resolve
  bool manual_callback_required = false;
  int reopen_count = 0;
  int64_t compensation_granted_cents = 0;
  std::vector<int64_t> compensation_pending_cents;
  std::vector<Remedy> compensation_pending_remedies;  ///< the remedy of each pending amount
  std::vector<ClockInfo> clocks;  ///< one per workflow clock that has been started
  /// The declared fields that hold a value (the last one given), in the workflow's field order.
  std::vector<FieldValue> fields;
  bool personal_data_masked = true;  ///< read without a role entitled to personal data
  std::vector<AuditEntry> events; ///< full audit trail, in order of application
};

/// How a case is read (Engine::get, for_each_case).
struct ReadOptions {
  std::optional<Instant> as_of;  ///< clocks as of this instant (default: the case's last event)
  bool with_events = true;       ///< include the audit trail
  /// A role of the workflow's "personal_data_roles": personal fields and free text unmasked.
  /// Empty: masked. Any other role is Error(permission).
  std::string personal_data_role;
};

/// What one apply() changed. The string_views point into the engine's Definition (clock,
/// state and type names) or are literals: valid while the engine lives.
struct ClockChange {
  std::string_view clock;
  ClockAction::Op op = ClockAction::start;
  std::optional<Instant> due;  ///< for start/resume/restart: the deadline
};

struct ApplyResult {
  std::string event_id, case_id;
  std::string_view type;
  bool duplicate = false;          ///< the id was applied before: nothing changed
  bool created = false;            ///< the event created the case
  std::string_view from_state, to_state;
  int escalation_before = 0, escalation_after = 0;
  std::vector<ClockChange> clocks;
  std::optional<std::string> repeat_of;
  bool over_level = false;
  std::string_view compensation;   ///< "granted", "pending" or "approved" for compensation events
  int callback_attempts = 0;
  bool manual_callback_required = false;
  bool attempts_exhausted = false; ///< closed with satisfaction unknown
  /// The actor is neither the case's first-contact nor its handling owner nor of a role that
  /// overrides them, and the policy's first_contact mode is "record" (accepted, counted).
  bool outside_responsibility = false;
  /// A callback naming data.cases, or a link (data.order / data.case): the other cases the event
  /// was applied to as well, in order.
  std::vector<std::string> covered;
  void clear();
};

/// A warning or breach fired by sweep(), with the escalation it caused.
struct SweepEvent {
  std::string case_id, clock;
  sla::ClockEvent::Kind kind = sla::ClockEvent::warning;
  Instant at;          ///< when the threshold was crossed
  double fraction = 1;
  int escalated_from = -1, escalated_to = -1;  ///< set when a breach raised the level
};

/// A running clock with its deadline (due_before()).
struct DueClock {
  std::string case_id, clock;
  Instant due;
};

/// Case filter for find(); unset members match everything. find() uses indexes on state,
/// owner, department and customer (built on the first query that needs them).
struct Query {
  std::optional<std::string> state, owner, department, customer;
  std::optional<int> escalation_level;      ///< 0..kMaxEscalationLevel
  std::optional<int> min_escalation_level;  ///< 0..kMaxEscalationLevel
  size_t limit = SIZE_MAX;
};

/// due_before() paging: at most `limit` clocks, after `after` (the last clock of the previous
/// page) in (due, case, clock) order.
struct DueQuery {
  Instant before;
  size_t limit = 1000;
  std::optional<DueClock> after;
};

/// Engine behaviour that must be the same in memory and on disk (the durable store takes the
/// same struct).
struct EngineOptions {
  /// Sweep the clocks to each accepted event's time before applying it, as a replay of a
  /// time-ordered event log wants; the sweep is journaled with the event. A refused event does
  /// not sweep. Off by default: sweeping is explicit (sweep()).
  bool sweep_before_apply = false;
};

/// One committed change as a Journal records it.
struct JournalEntry {
  enum class Kind : uint8_t { event = 1, sweep = 2 };  ///< numbered: persisted
  Kind kind = Kind::event;
  std::string_view case_id, event_id;  ///< event
  std::string_view event_json;         ///< event: its canonical JSON (to_json(Event))
  Instant at;                          ///< sweep: the instant swept to
};

/// Where an engine records what it commits (crmkit/durable.hpp has the SQLite one). Called under
/// the engine's exclusive lock.
class Journal {
 public:
  virtual ~Journal() = default;
  /// Makes `entries` durable, in order, all or none; throws Error (io, conflict, ...) having
  /// recorded none of them.
  virtual void write(std::span<const JournalEntry> entries) = 0;
  /// Whether the journal wants a snapshot now (e.g. every N records).
  virtual bool wants_snapshot() const = 0;
  /// Stores a snapshot of the engine after everything written so far. A failure is reported
  /// by throwing; the engine then carries on (a snapshot only shortens recovery).
  virtual void put_snapshot(std::string_view bytes, uint32_t format) = 0;
  /// The position of the last record written (0 when none).
  virtual int64_t position() const = 0;
};

/// What apply_batch() did.
struct BatchResult {
  struct Rejection {
    size_t index = 0;  ///< input position, 0-based
    Errc code = Errc::invalid_argument;
    std::string message;
  };
  size_t applied = 0, duplicates = 0;
  std::vector<Rejection> rejected;
  std::vector<size_t> duplicate_indexes;  ///< input positions of the duplicates
  /// With sweep_before_apply: the breaches the batch's sweeps fired and the escalations they caused.
  size_t breaches = 0, escalations = 0;
  /// The latest time among the events the batch could parse (accepted, duplicate or refused).
  std::optional<Instant> latest_at;
};

/// Memory estimate.
struct EngineStats {
  size_t cases = 0, open_cases = 0, closed_cases = 0, events = 0, clocks = 0;
  size_t bytes_open_cases = 0, bytes_closed_cases = 0;  ///< of bytes_cases: open / closed-or-terminal
  size_t bytes_cases = 0;      ///< case records, audit trails and their text pools
  size_t bytes_index = 0;      ///< id maps, interned strings, repeat index
  size_t bytes_scheduler = 0;  ///< sla::Scheduler::memory_bytes()
};

class Engine {
 public:
  /// Error(not_found) naming the clock if the definition uses a clock the policy lacks.
  /// `report_zone` is the zone KPI days/weeks/months are counted in.
  Engine(Definition definition, sla::Policy policy, Rules rules = {}, TimeZone report_zone = TimeZone());
  /// Loads the three files (the calendar is the policy's "default" calendar and the report zone).
  /// `workflow_path` may be a folder: every *.json in it, in file-name order, is a workflow; then
  /// `policy_path` is either one policy for all or a folder with a policy of the same file name
  /// for each. The first workflow loaded is the engine's default.
  static Engine from_files(const std::string& workflow_path, const std::string& policy_path,
                           const std::string& calendar_path);
  /// Same with several workflow files or folders, loaded in order.
  static Engine from_files(const std::vector<std::string>& workflow_paths, const std::string& policy_path,
                           const std::string& calendar_path);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  /// Applies one event; throws crmkit::Error (engine and journal unchanged) when refused:
  /// invalid_argument / not_found / invalid_state / permission / conflict / limit for the event,
  /// io when the journal cannot record it.
  ApplyResult apply(const Event& e);
  /// Same, reusing `out` (no allocation in steady state).
  void apply(const Event& e, ApplyResult& out);
  ApplyResult apply_json(std::string_view json);
  /// Many events in order; each is accepted or refused on its own (a refused one changes
  /// nothing), and with a journal the accepted ones are journaled in one write. If that write
  /// fails the engine is ahead of its journal: it throws Error(io) and refuses every later
  /// change until reopened (reopening recovers the journaled state).
  BatchResult apply_batch(std::span<const std::string_view> event_jsons);

  /// Fires SLA warnings and breaches up to `now`, auto-escalating on breach; journaled when
  /// anything fired.
  std::vector<SweepEvent> sweep(Instant now);
  /// Same, appending to `out`; returns the number appended.
  size_t sweep(Instant now, std::vector<SweepEvent>& out);
  /// Same, handing each fired event to `on_event` as it is committed (no list is built).
  size_t sweep(Instant now, const std::function<void(const SweepEvent&)>& on_event);

  void set_options(const EngineOptions& options);
  EngineOptions options() const;
  /// Attaches a journal (replaces any); from now on every committed change is written to it
  /// first. Use crmkit::store::open_engine for the SQLite one (it recovers, then attaches).
  void attach_journal(std::unique_ptr<Journal> journal);
  /// The attached journal's position (0 without one).
  int64_t journal_position() const;
  /// Stores a snapshot in the attached journal now; Error(invalid_state) without one, Error(io)
  /// when the store cannot write it.
  void save_snapshot();

  /// A case with its clocks (as of its last event, or `as_of`) and full audit trail, personal
  /// data masked.
  std::optional<Case> get(std::string_view case_id, std::optional<Instant> as_of = std::nullopt) const;
  /// A case read as `options` say; Error(permission) for a personal_data_role the workflow does
  /// not list.
  std::optional<Case> get(std::string_view case_id, const ReadOptions& options) const;
  /// Ids of the cases matching a query, in order of receipt.
  std::vector<std::string> find(const Query& q) const;
  std::vector<std::string> by_state(std::string_view state) const;
  std::vector<std::string> by_owner(std::string_view owner) const;
  std::vector<std::string> by_department(std::string_view department) const;
  std::vector<std::string> by_escalation_level(int level) const;
  /// Running clocks whose deadline is before `q.before`, earliest first, at most `q.limit`
  /// after `q.after`. Found from the scheduler's heap: the cost follows the clocks due, not all.
  std::vector<DueClock> due_before(const DueQuery& q) const;
  /// All of them (no limit).
  std::vector<DueClock> due_before(Instant t) const;
  /// Visits every case in order of receipt (without its audit trail when `with_events` is
  /// false), personal data masked.
  void for_each_case(const std::function<void(const Case&)>& f, bool with_events = false,
                     std::optional<Instant> as_of = std::nullopt) const;
  /// Same, read as `options` say (Error(permission) as for get, before any case is visited).
  void for_each_case(const std::function<void(const Case&)>& f, const ReadOptions& options) const;

  kpi::Report kpi(const kpi::Options& options = {}) const;

  /// Number of cases; O(1).
  size_t size() const;
  /// Counts and memory; O(1).
  EngineStats stats() const;

  /// The engine's state (cases, audit trails, clocks, indexes) as bytes, and back. restore()
  /// needs an engine built from the same workflow, policy and rules with no events yet. It
  /// refuses, leaving the engine unchanged: a snapshot of another format (format 1 of crmkit 0.1,
  /// or a newer one), byte order or word size with Error(version), whose message names the
  /// format found and the one this build reads; a snapshot of another configuration, a
  /// truncated, damaged or inconsistent one with Error(corrupt). Two snapshots of the same state
  /// are byte-identical.
  ///
  /// Format 2: a 24-byte header, little-endian whatever the host: magic "crmkENG\0", format u32,
  /// body byte order u8 (1 little-endian, 2 big-endian), sizeof(size_t) u8, 2 zero bytes, body
  /// length u64. The body is a Boost.Serialization binary archive (no Boost header) in the
  /// writer's byte order (little-endian on every platform crmkit supports), fixed-width fields:
  ///   fingerprint u64 of the configuration (states, event types, roles, clocks)
  ///   scheduler   text: an sla::Scheduler::to_bytes() snapshot
  ///   state       class info (tracking u8, version u32 = 5; likewise once before the first
  ///               interner and index), then: case ids and symbols (interners), cases, clock -> case
  ///               (u32 each), clock -> slot (u8 each), the workflow versions (table of name
  ///               text, version u32, fingerprint u64), each case's workflow (table of u8), the
  ///               repeat indexes (table of family name text + map), target sets, the clocks'
  ///               retargets (table, in case order, of case u32, at i64, record u32, target u32,
  ///               slot u8, instance u8, moved_due u8), the remedies of pending compensations
  ///               that are not money (table, in case order, of case u32, position u32, remedy
  ///               code u8: 0 money, 1 repair, 2 replace, 3 redo, 4 non_property). Class versions 4
  ///               (8 clocks per case and target set where 5 has 16), 3 (no pending remedies
  ///               either: all money), 2 (no retargets either) and 1 (one workflow:
  ///               one repeat index, target sets, then two target set indexes, skipped) are read
  ///               as well.
  /// where text = u64 length + bytes; table = u64 count + elements; interner = table of u32
  /// lengths + text of the strings in id order (id 0 is ""); map = u64 count + (key u64,
  /// value u32) in ascending key order; target set = 16 target ids u32 + 16 escalation levels i8;
  /// case = table of records, pool text, last_at i64, 16 clock ids u32, 16 clock state codes,
  ///   target_set u32, tier u32, state u8, level u8, flags u8, attempts u8, reopens u8,
  ///   satisfaction code, customer, category, channel, severity, owner, department,
  ///   first_owner, repeat_of, merged_into (u32 each), received_at, resolved_at, closed_at,
  ///   comp_granted (i64 each), table of pending compensations i64, 16 clock instances u8,
  ///   3 ratings u8, received_offset_minutes i16;
  /// record = at i64, off u32, data_len u32, actor u32, type u16, id_len u16, offset_minutes i16,
  ///   role u8, from u8, to u8, flags u8.
  /// Enum codes (u8, checked on load): satisfaction 0 none, 1 very_satisfied, 2 satisfied,
  /// 3 unsatisfied, 4 unknown; clock state 0 idle, 1 running, 2 paused, 3 stopped. Derived data
  /// (hash tables, id tags, Bloom filters, the scheduler's heap) is rebuilt on load.
  static constexpr uint32_t kSnapshotFormat = 2;
  std::string snapshot() const;
  void restore(std::string_view bytes);
  /// The default workflow's newest version (a receive without data.workflow gets it) and its rules.
  const Definition& definition() const;
  const Rules& rules() const;
  /// Loads another workflow version with its policy and rules: a new name, or another version of
  /// a loaded name. A receive gets the newest version of the workflow it names; every case keeps
  /// the version it was received under. Error(conflict) for a name and version already loaded,
  /// Error(limit) past kMaxWorkflows, Error(not_found) for a clock the policy lacks. A durable
  /// engine must be opened with the same workflows next time (its journal names their versions).
  void add_workflow(Definition definition, sla::Policy policy, Rules rules = {});
  /// Every loaded workflow version, in load order.
  std::vector<Definition> workflows() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The (workflow file, policy file) pairs a list of workflow files or folders stands for (see
/// Engine::from_files); Error(not_found) for a policy folder without a workflow's policy.
std::vector<std::pair<std::string, std::string>> workflow_sources(const std::vector<std::string>& workflow_paths,
                                                                  const std::string& policy_path);

/// JSON serializers (used by the CLI and the C API; schemas in docs/schemas/).
/// Case: {"schema":1,"id","workflow","workflow_version","state","channel","category","severity","customer","tier","description","owner","department",
///  "first_owner","escalation_level","over_level","repeat_of","merged_into","links":[case ids],"received_at",
///  "last_event_at","resolved_at","closed_at","satisfaction","callback_attempts",
///  "manual_callback_required","reopen_count","compensation":{"granted","pending":[...]},
///  "clocks":[{"name","instance","state","kind","due","breached","elapsed_seconds","paused_seconds",
///             "target_seconds","rule","retargets":[{"at","event","reason","kind","target_seconds"|"due","rule"}]}],
///  "fields":{name: value}, "personal_data":"masked"|"unmasked",
///  "events":[{"id","type","at","actor","role","from","to","data":{...}}]}  (events only if any)
std::string to_json(const Case& c, bool with_events = true);
/// {"event","case","type","duplicate","created","from","to","escalation":{"before","after"},
///  "clocks":[{"clock","op","due"}],"repeat_of","over_level","compensation","callback_attempts",
///  "manual_callback_required","attempts_exhausted","outside_responsibility","covered":[case ids]}
std::string to_json(const ApplyResult& r);
/// {"schema":1,"case","clock","kind","at","fraction","escalated_from","escalated_to"}
std::string to_json(const SweepEvent& s);

}  // namespace crmkit::workflow
