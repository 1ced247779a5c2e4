// The workflow engine's state: plain data (vectors, strings, hash maps of plain structs) so it
// can be serialized later.
#pragma once

#include <cstddef>
#include <cstring>
#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <shared_mutex>  // std::shared_lock
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "common/hash.hpp"  // CRMKIT_HOT_INLINE, the string hash
#include "common/id_table.hpp"
#include "common/rw_lock.hpp"
#include "crmkit/error.hpp"
#include "workflow/internal.hpp"

namespace crmkit::workflow {

/// Interned strings (case ids, symbols): id 0 is "". The library's one string table
/// (common/id_table.hpp) owning its bytes: str() views stay valid as long as the interner.
class Interner {
 public:
  Interner() : table_(16) {
    table_.own_keys();
    intern("");
  }
  static uint64_t hash(std::string_view s) { return crmkit::detail::hash_bytes(s); }
  uint32_t intern(std::string_view s) { return table_.intern(crmkit::detail::IdKey(s)); }
  /// -1 when unknown.
  int64_t find(std::string_view s) const { return table_.find(crmkit::detail::IdKey(s)); }
  std::string_view str(uint32_t id) const { return table_.str(id); }
  std::string s(uint32_t id) const { return std::string(str(id)); }
  size_t size() const { return table_.size(); }
  size_t bytes() const { return table_.bytes(); }

 private:
  crmkit::detail::IdTable table_;

  /// Snapshots (src/workflow/snapshot.cpp): the strings; the lookup table is rebuilt on load.
  template <class Archive>
  friend void serialize(Archive& ar, Interner& interner, unsigned version);
};

/// uint64 -> uint32 index (repeat links, target sets): Boost 1.81's flat table, behind the two
/// calls the engine makes and the snapshot codec.
class FlatMap64 {
 public:
  uint32_t* find(uint64_t key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  const uint32_t* find(uint64_t key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  void set(uint64_t key, uint32_t value) { map_.insert_or_assign(key, value); }
  size_t size() const { return map_.size(); }
  /// The slots and their metadata (one byte each, in groups of 15 plus an overflow byte).
  size_t bytes() const { return map_.bucket_count() * (sizeof(std::pair<uint64_t, uint32_t>) + 1) + map_.bucket_count() / 15; }

 private:
  boost::unordered_flat_map<uint64_t, uint32_t> map_;

  /// Snapshots (src/workflow/snapshot.cpp): the entries in key order; the table is rebuilt on load.
  template <class Archive>
  friend void serialize(Archive& ar, FlatMap64& map, unsigned version);
};

/// Record flags.
enum : uint8_t {
  kRecSystem = 1,          ///< written by the engine (automatic escalation)
  kRecCompGranted = 2,
  kRecCompPending = 4,
  kRecCompApproved = 8,
  kRecExhausted = 16,      ///< callback attempts exhausted: closed with satisfaction unknown
  kRecRepeat = 32,
  kRecOverLevel = 64,
  kRecCrisis = 128,        ///< the event made the case a crisis (escalated at once, crisis clocks started)
};
inline constexpr uint16_t kSystemType = 0xFFFF;  ///< automatic escalation when the workflow has no "escalate" type
inline constexpr uint8_t kSystemRole = 0xFF;

/// One applied event, 32 bytes; its id and data live in the case's pool.
struct Record {
  /// 16 bits of the id's hash: the duplicate-id scan compares it before touching the pool.
  static uint16_t tag_of(std::string_view id);

  int64_t at = 0;
  uint32_t off = 0;       ///< pool offset of the id, followed by the data
  uint32_t data_len = 0;  ///< bytes of encoded data after the id
  uint32_t actor = 0;     ///< symbol
  uint16_t type = 0;      ///< definition event type, or kSystemType
  uint16_t id_len = 0;
  int16_t offset_minutes = 0;
  uint8_t role = 0;       ///< role index or kSystemRole
  uint8_t from = kNoState, to = kNoState;
  uint8_t flags = 0;
  uint16_t id_tag = 0;    ///< tag_of(id); recomputed when a snapshot is loaded
};
static_assert(sizeof(Record) == 32);

/// Case flags.
enum : uint8_t {
  kCaseOverLevel = 1,
  kCaseManualRequired = 2,
  kCaseEverResolved = 4,
  kCaseBreached = 8,  ///< some clock instance breached (seen by a sweep or at a restart)
  kCaseExhausted = 16,
};

inline constexpr int64_t kNone = INT64_MIN;
/// At most this much compensation (granted plus pending) on one case, in cents (10^16 units:
/// sums of it stay far from overflow).
inline constexpr int64_t kMaxCaseCompensationCents = 1'000'000'000'000'000;

/// Whether a callback leaves the case owing a manual callback rather than rating it: an automatic
/// "unsatisfied" that does not send the case back to handling (the manual callback it calls for
/// asks the reason and gives the rating). The effect applies it; the KPI report reads it back.
inline bool owes_manual_callback(CallbackMeaning outcome, bool manual, StateKind to) {
  return outcome == CallbackMeaning::unsatisfied && !manual && to != StateKind::open && to != StateKind::waiting;
}

/// A compensation awaiting approve_compensation.
struct PendingComp {
  int64_t cents = 0;
  Remedy remedy = Remedy::money;
  bool operator==(const PendingComp&) const = default;
};

/// A clock's change of target, kept with its case for the case JSON (24 bytes).
struct RetargetRec {
  int64_t at = 0;
  uint32_t record = 0;     ///< index of the record (event) that caused it
  sla::TargetId target = 0;
  uint8_t slot = 0, instance = 0;
  uint8_t moved_due = 0;   ///< 1: an event moved an instant's due (else: a reclassification)
};

/// One case. Laid out by use: the first 128 bytes hold what most events read or write (audit
/// trail, pool, last time, clocks, state), the rest what few events touch. (Aligning cases to
/// cache lines as well measured slower: the padding costs more than the straddling.)
struct CaseRec {
  // line 0
  std::vector<Record> events;
  std::string pool;
  int64_t last_at = 0;
  // line 1: the scalars, then the clocks (the workflow's first clocks, the busiest, share the line)
  uint32_t target_set = 0;  ///< index into Engine::Impl::target_sets
  uint32_t tier = 0;        ///< symbol
  uint64_t id_bloom = 0;    ///< bit (id_tag % 64) of every record: a new id usually skips the duplicate scan
  uint8_t state = 0, level = 0, flags = 0, attempts = 0, reopens = 0;
  Satisfaction satisfaction = Satisfaction::none;
  uint8_t workflow = 0;     ///< index into the engine's Registry::workflows (the version it was received under)
  uint8_t clock_state[kMaxClocks] = {};  ///< sla::ClockState mirror
  uint32_t clock_id[kMaxClocks] = {};
  // cold
  uint32_t customer = 0, category = 0, channel = 0, severity = 0;  // symbols
  uint32_t owner = 0, department = 0, first_owner = 0;
  uint32_t repeat_of = 0;    ///< case index + 1
  uint32_t merged_into = 0;  ///< case index + 1
  int64_t received_at = 0, resolved_at = kNone, closed_at = kNone;
  int64_t comp_granted = 0;
  std::vector<PendingComp> comp_pending;
  uint8_t clock_instance[kMaxClocks] = {};
  uint8_t ratings[3] = {0, 0, 0};  ///< very_satisfied, satisfied, unsatisfied (saturating)
  int16_t received_offset_minutes = 0;
  std::vector<RetargetRec> retargets;  ///< in order (reclassifications, moved dues)

  static uint64_t bloom_bit(uint16_t id_tag) { return uint64_t{1} << (id_tag & 63); }
  /// False when no record of the case can have this id tag.
  bool may_hold(uint16_t id_tag) const { return id_bloom & bloom_bit(id_tag); }
  void add_record(const Record& r) {
    events.push_back(r);
    id_bloom |= bloom_bit(r.id_tag);
  }

  size_t bytes() const {
    return sizeof(CaseRec) + events.capacity() * sizeof(Record) + (pool.capacity() > 15 ? pool.capacity() + 1 : 0) +
           comp_pending.capacity() * sizeof(PendingComp) + retargets.capacity() * sizeof(RetargetRec);
  }
};

static_assert(offsetof(CaseRec, workflow) < 128 && offsetof(CaseRec, clock_id) + 6 * sizeof(uint32_t) <= 128,
              "the hot fields of a case and its first six clocks fit two cache lines");

inline uint16_t Record::tag_of(std::string_view id) { return static_cast<uint16_t>(Interner::hash(id) >> 48); }

inline std::string_view record_id(const std::string& pool, const Record& r) { return {pool.data() + r.off, r.id_len}; }


/// Whether a record of `record_bytes` still fits a case pool of `pool_bytes` (offsets are 32-bit).
constexpr bool pool_fits(size_t pool_bytes, size_t record_bytes) {
  return pool_bytes <= kMaxCasePoolBytes && record_bytes <= kMaxCasePoolBytes - pool_bytes;
}

/// Closed or terminal: nothing runs any more (KPIs and stats count them apart).
inline bool is_closed_kind(StateKind k) { return k == StateKind::closed || k == StateKind::terminal; }

/// Counts kept up to date by commit and sweep, so size() and stats() are O(1).
struct CaseCounters {
  size_t open = 0, closed = 0, events = 0;
  size_t bytes_open = 0, bytes_closed = 0;
};

/// Case indexes for find(): key -> case indexes, appended when a case takes the key. Entries go
/// stale when the case moves on; find() re-checks each candidate against the case itself.
struct CaseIndexes {
  bool built = false;
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_state;      ///< (workflow << 8 | state index) -> cases
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_owner, by_department, by_customer;  ///< symbol -> cases
  size_t entries = 0, keys = 0;  ///< for bytes() in O(1)
  size_t bytes() const;
};

struct LoadedWorkflow;

/// What validation computed for one event: everything commit needs that could have failed.
struct Plan {
  const LoadedWorkflow* w = nullptr;  ///< the case's workflow (a receive: the one it names)
  uint8_t workflow = 0;               ///< its index
  int type = -1;
  uint8_t role = 0;
  bool receive = false;
  const CompiledTransition* t = nullptr;
  CaseRec* c = nullptr;     ///< the case (null for a receive)
  CaseRec* into = nullptr;  ///< merge: the surviving case; link: the other case
  uint8_t from = kNoState;
  uint16_t id_tag = 0;
  size_t data_bytes = 0;    ///< encoded_data_size of the event's record
  bool exhausted = false;   ///< callback: attempts exhausted
  bool comp_granted = false;
  bool outside_responsibility = false;  ///< first_contact "record": accepted from someone not responsible
  Remedy remedy = Remedy::money;  ///< compensate, approve_compensation
  CallbackMeaning outcome = CallbackMeaning::none;
  /// receive: the symbols of channel, category, severity, tier already interned (-1: new), the
  /// target set when one exists for them (-1: `new_targets` holds the computed targets).
  std::array<int64_t, 4> symbols{-1, -1, -1, -1};
  int64_t target_set = -1;
  std::vector<sla::Target> new_targets;
  /// Per clock action of the transition: the deadline a start/restart/resume gives.
  std::vector<std::optional<Instant>> due;
  size_t new_clocks = 0;
  /// Per attribute of the event: its record code (the declared field it sets).
  std::vector<uint8_t> attr_codes;
  /// receive, reclassify: the values of the workflow's rule fields (LoadedWorkflow::rule_fields)
  /// and their symbols (-1: not interned yet).
  std::vector<std::string> rule_values;
  std::vector<int64_t> rule_syms;
  /// Clocks that take another target (a reclassification) or due (an event moved it).
  struct Retarget {
    uint8_t slot = 0;
    std::optional<Instant> due;  ///< the new target is an instant: its due
    bool moved_due = false;      ///< the target stays, its due moves
  };
  std::vector<Retarget> retargets;
  /// The event makes the case a crisis; the deadlines of the crisis clocks it starts.
  bool crisis = false;
  std::vector<std::optional<Instant>> crisis_due;
  /// Back to a fresh plan, keeping the vectors' capacity (one Plan serves every event).
  void reset() {
    w = nullptr;
    workflow = 0;
    type = -1;
    role = 0;
    receive = exhausted = comp_granted = outside_responsibility = false;
    remedy = Remedy::money;
    t = nullptr;
    c = into = nullptr;
    from = kNoState;
    id_tag = 0;
    data_bytes = 0;
    outcome = CallbackMeaning::none;
    symbols = {-1, -1, -1, -1};
    target_set = -1;
    new_targets.clear();
    due.clear();
    new_clocks = 0;
    attr_codes.clear();
    rule_values.clear();
    rule_syms.clear();
    retargets.clear();
    crisis = false;
    crisis_due.clear();
  }
};

struct TargetSet {
  sla::TargetId target[kMaxClocks] = {};
  int8_t escalate_to[kMaxClocks] = {};
};

/// One loaded workflow version with its SLA policy and rules: configuration, fixed once loaded
/// (shared, immutable). Cases point at it by their `workflow` index.
struct LoadedWorkflow {
  Definition def;
  const Definition::Impl* d = nullptr;
  sla::Policy policy;
  Rules rules;
  uint32_t family = 0;   ///< index of its name in Registry::families
  Interner type_names;   ///< id = event type index + 1
  Interner role_names;   ///< id = role index + 1
  std::vector<std::optional<int64_t>> role_limit;  ///< per role index: compensation limit (cents); nullopt: none
  std::array<uint64_t, kRemedyCount> remedy_roles{};  ///< per remedy: bit r set when role index r may grant it
  /// First-contact responsibility (Rules::first_contact): the event types it covers (by type
  /// index) and the lowest role index that overrides it (roles.size(): none).
  std::vector<uint8_t> responsibility_types;
  size_t responsibility_override = 0;
  /// Whether an event of `type` by `role` must come from someone responsible for the case.
  bool needs_responsibility(size_t type, size_t role) const {
    return type < responsibility_types.size() && responsibility_types[type] && role < responsibility_override;
  }
  int escalate_type = -1;
  uint64_t fingerprint = 0;  ///< of the definition (states, types, roles, clocks, fields): snapshots check it
  /// Declared fields (indexes into d->fields) the policy's rules match: part of a case's
  /// classification beside channel, category, severity and tier.
  std::vector<uint8_t> rule_fields;
  /// Declared instant fields instant targets are due at: an event setting one moves those clocks.
  std::vector<uint8_t> due_fields;
  std::vector<uint8_t> crisis_slots;  ///< clock slots a crisis starts
  std::vector<uint8_t> goal_slots;    ///< per clock slot: 1 for a goal clock (its breach is a warning)
  int crisis_level = -1;              ///< the level a crisis escalates to (-1: none)

  /// Error(not_found) for a clock the policy lacks or a limit of an unknown role.
  LoadedWorkflow(Definition definition, sla::Policy policy, Rules rules);
};

/// The engine's configuration: the loaded workflow versions (index = CaseRec::workflow, at most
/// kMaxWorkflows) and the zone KPIs count in. Snapshots hold none of it: they name the versions
/// their cases use and check their fingerprints.
struct Registry {
  std::vector<std::shared_ptr<const LoadedWorkflow>> workflows;
  std::vector<std::string> families;  ///< workflow names in order of first load; 0 is the engine's default
  int default_index = 0;              ///< newest(families[0]), kept by add_workflow
  std::vector<const Definition::Impl*> defs;  ///< workflows[i]->d, one load away (every event reads its case's)
  TimeZone zone;

  /// The newest loaded version of a name, or -1.
  int newest(std::string_view name) const {
    int best = -1;
    for (size_t i = 0; i < workflows.size(); ++i)
      if (workflows[i]->d->name == name && (best < 0 || workflows[i]->d->version > workflows[static_cast<size_t>(best)]->d->version))
        best = static_cast<int>(i);
    return best;
  }
  int find(std::string_view name, int version) const {
    for (size_t i = 0; i < workflows.size(); ++i)
      if (workflows[i]->d->name == name && workflows[i]->d->version == version) return static_cast<int>(i);
    return -1;
  }
  int family_of(std::string_view name) const {
    for (size_t i = 0; i < families.size(); ++i)
      if (families[i] == name) return static_cast<int>(i);
    return -1;
  }
  /// "default v1, default v2, inquiry v1" (for messages).
  std::string names() const;
  const LoadedWorkflow& default_workflow() const { return *workflows[static_cast<size_t>(default_index)]; }
};

/// The symbols of one workflow's configuration in the engine's symbol table (state: a restore
/// replaces the table and rebinds them).
struct BoundSymbols {
  std::vector<uint32_t> manual_tiers;
  std::vector<uint32_t> crisis_severities;
  /// Per field: the symbols of the values the workflow accepts (channel, category, severity and
  /// tier; empty: any value): validation is a lookup instead of string comparisons.
  std::array<std::vector<uint32_t>, static_cast<size_t>(Field::count_)> accepted;
};

struct Engine::Impl {
  Registry config;
  sla::Scheduler scheduler;
  mutable detail::RwLock mutex;  ///< apply/sweep/restore exclusive, queries shared

  Interner case_ids;  // case index = id - 1 (0 is "")
  Interner syms;
  std::vector<CaseRec> cases;
  std::vector<uint32_t> clock_case;   ///< ClockId - 1 -> case index
  std::vector<uint8_t> clock_slot;    ///< ClockId - 1 -> clock slot
  /// Per workflow family: (customer << 32 | category) -> case index + 1 of the latest case
  /// received or closed (repeat complaints link within a family: an inquiry never repeats a
  /// complaint).
  std::vector<FlatMap64> repeat_index;
  std::vector<TargetSet> target_sets;
  FlatMap64 target_set_index;  // key: channel|category|severity|tier symbols (16 bits each), workflow 0
  /// The same when a symbol is >= 65536, the workflow > 0 or its policy matches declared fields
  /// (their value symbols follow).
  std::unordered_map<std::string, uint32_t> target_set_index_wide;
  std::vector<BoundSymbols> bound;  ///< per workflow index
  uint32_t system_actor = 0;
  std::vector<sla::ClockEvent> sweep_buf;

  const LoadedWorkflow& wf(const CaseRec& c) const { return *config.workflows[c.workflow]; }
  const Definition::Impl& def(const CaseRec& c) const { return *config.defs[c.workflow]; }

  /// (Re)computes the symbols the engine holds for its configuration (after construction, after
  /// a workflow is added and after a restore replaced the symbol table).
  void bind_symbols() {
    business_calendars.clear();  // keyed by tier symbols, which a restore renumbers
    bound.assign(config.workflows.size(), {});
    system_actor = syms.intern("system");
    for (size_t w = 0; w < config.workflows.size(); ++w) {
      const LoadedWorkflow& lw = *config.workflows[w];
      for (const auto& t : lw.rules.manual_callback_tiers) bound[w].manual_tiers.push_back(syms.intern(t));
      for (const auto& s : lw.rules.crisis.severities) bound[w].crisis_severities.push_back(syms.intern(s));
      for (Field f : kSymbolFields) {
        auto& accepted = bound[w].accepted[static_cast<size_t>(f)];
        for (const auto& v : lw.d->values[static_cast<size_t>(f)]) accepted.push_back(syms.intern(v));
      }
    }
  }
  static constexpr Field kSymbolFields[] = {Field::channel, Field::category, Field::severity, Field::tier};
  /// Adds a workflow version (checked: a new name or a new version of a loaded name, at most
  /// kMaxWorkflows); the caller holds the exclusive lock.
  void add_workflow(std::shared_ptr<const LoadedWorkflow> w);

  CaseRec* find_case(std::string_view id) {
    int64_t k = case_ids.find(id);
    return k <= 0 ? nullptr : &cases[static_cast<size_t>(k - 1)];
  }
  const CaseRec* find_case(std::string_view id) const { return const_cast<Impl*>(this)->find_case(id); }
  size_t index_of(const CaseRec& c) const { return static_cast<size_t>(&c - cases.data()); }
  std::string case_id(size_t idx) const { return case_ids.s(static_cast<uint32_t>(idx + 1)); }
  StateKind kind(const CaseRec& c) const { return def(c).states[c.state].kind; }
  StateKind kind(const CaseRec& c, uint8_t state) const { return def(c).states[state].kind; }

  Case materialize(size_t idx, const ReadOptions& options) const;
  /// Error(permission) unless `role` is empty or one of the workflow's personal_data_roles.
  void check_personal_data_role(std::string_view role) const;

  // ---- options, journal, counters (src/workflow/engine.cpp) ----
  EngineOptions options;
  std::unique_ptr<Journal> journal;  ///< null: in memory only
  bool journal_failed = false;       ///< a batch was committed in memory but not journaled
  std::string journal_json;          ///< reused buffer for an event's canonical JSON
  Event breach_event;                ///< reused: the engine-made escalate of a breach
  CaseCounters counters;
  Plan plan_buf;  ///< reused by apply (under the exclusive lock)
  // One callback covering several cases (data.cases), reused under the exclusive lock.
  Event covering;                     ///< the event as recorded: data.cases normalized, its own case first
  std::vector<Event> covered_events;  ///< per other case it covers: the event under that case's id
  std::vector<Plan> covered_plans;
  size_t covered_count = 0;           ///< of the two above, for the event being applied
  ApplyResult covered_out;
  mutable CaseIndexes indexes;  ///< built on the first find() that needs them (guarded by index_mutex)
  mutable std::mutex index_mutex;

  // ---- validate, then commit (src/workflow/apply_plan.cpp, src/workflow/apply_commit.cpp) ----
  /// Checks the event against the current state and computes everything that can fail (clock
  /// deadlines, limits) into `plan`; throws Error and changes nothing when the event is refused.
  /// Returns false when the event is a duplicate (then `out` describes it and there is nothing
  /// to commit). `sweep_to_event`: the caller sweeps to the event's time before committing it.
  bool plan(const Event& e, Plan& plan, ApplyResult& out, bool sweep_to_event) const;
  /// The case's workflow, or for a receive the one it names (data.workflow, data.workflow_version).
  void select_workflow(const Event& e, Plan& p) const;
  void select_transition(const Event& e, Plan& p) const;
  void check_values(const Event& e, Plan& p) const;
  /// The event's attributes against the declared fields (name, type, values), and the fields
  /// the event type requires the case to hold.
  void check_attributes(const Event& e, Plan& p) const;
  void check_effect(const Event& e, Plan& p, bool sweep_to_event) const;
  /// 首问负责制, for an event LoadedWorkflow::needs_responsibility covers: the actor is the case's
  /// first-contact or handling owner; else refused (enforce) or marked (record).
  void check_responsibility(const Event& e, Plan& p) const;
  /// compensate, approve_compensation: data.remedy known, allowed to the role, an amount where
  /// the remedy needs one (into p.remedy).
  void check_remedy(const Event& e, Plan& p) const;
  /// appoint, reschedule: the window data.start < data.end, not before the event; a reschedule
  /// moves it.
  void check_window(const Event& e, const Plan& p) const;
  void check_promise(const Event& e, const Plan& p) const;
  /// link: the other case (into p.into) exists, is not concluded, is the same customer's, is of
  /// this workflow (data.order) or another (data.case), and is not linked to this one already.
  void check_link(const Event& e, Plan& p) const;
  /// broadcast with data.case (a copy): the case it names is linked to this one.
  void check_broadcast(const Event& e, const Plan& p) const;
  /// link: plans the same event for the other case, pointing back (covered_events[0]).
  void prepare_link_partner(const Event& e, bool sweep_first);
  /// broadcast without data.case: plans the same event for every open or waiting case linked to
  /// the event's case whose workflow has the event type, each with data.case naming it.
  void prepare_broadcast(const Event& e, bool sweep_first);
  /// Plans covered_events[k], the copy of event `e` for another case (data.`key` named it): a
  /// refusal, or an event of that id the case holds already, is refused naming both cases.
  void plan_other_case(const Event& e, size_t k, std::string_view key, bool sweep_first);
  static int64_t pending_cents(const CaseRec& c) {
    int64_t sum = 0;
    for (const PendingComp& pc : c.comp_pending) sum += pc.cents;
    return sum;
  }
  /// receive, reclassify: the classification's target set (found, or its targets computed), the
  /// clocks that take new targets and whether the case becomes a crisis; any event setting a due
  /// field: the instant clocks it moves (src/workflow/classification.cpp).
  void plan_targets(const Event& e, Plan& p) const;
  void plan_clocks(const Event& e, Plan& p) const;
  /// Refuses classification values on an event that cannot change them (only receive and
  /// reclassify do) and a reclassify that changes nothing.
  void check_classification(const Event& e, const Plan& p) const;
  /// The text of a declared field for the case after this event: the event's value, else the
  /// last one a record gave; nullopt when it has none.
  std::optional<std::string> field_text(const Event& e, const Plan& p, uint8_t field) const;
  /// The due of an instant target for the case after this event; refuses when the case has no
  /// time in its field.
  Instant instant_due(const Event& e, const Plan& p, const sla::Target& t, std::string_view clock) const;
  /// The calendar a business target of `clock` counts on for the case (its tier), cached.
  const Calendar& business_calendar(const Event& e, const Plan& p, std::string_view clock) const;
  /// The business day an instant falls in (after its close: the next one): its last close.
  struct BusinessDay {
    int64_t close = 0;
    bool around_the_clock = false;  ///< worked 24 hours (a 7x24 calendar)
  };
  BusinessDay business_day(const Calendar& cal, Instant at) const;
  /// Caches of the two (derived from configuration: plan() runs under the exclusive lock).
  struct CalendarKey {
    const void* a = nullptr;
    uint32_t b = 0;
    bool operator==(const CalendarKey&) const = default;
  };
  struct CalendarKeyHash {
    size_t operator()(const CalendarKey& k) const { return std::hash<const void*>()(k.a) ^ (size_t{k.b} * 0x9E3779B97F4A7C15ull); }
  };
  // Flat tables (Boost 1.81): looked up on every event that starts or checks a business-time clock.
  mutable boost::unordered_flat_map<CalendarKey, const Calendar*, CalendarKeyHash> business_calendars;  ///< (clock name, tier symbol)
  mutable boost::unordered_flat_map<CalendarKey, BusinessDay, CalendarKeyHash> business_days;         ///< (calendar, civil day)
  /// The target `slot` gets from the plan's target set (found or new).
  const sla::Target& planned_target(const Plan& p, uint8_t slot) const;
  /// The level a sweep to `at` leaves the case at (its clocks breached by then escalate it).
  int level_after_sweep(const CaseRec& c, Instant at) const;
  /// The target set of a combination of symbols (and rule field value symbols), or -1 when none
  /// was made yet.
  int64_t find_target_set(uint8_t workflow, uint32_t channel, uint32_t category, uint32_t severity, uint32_t tier,
                          const std::vector<uint32_t>& rule_syms) const;
  /// The symbols of the case's rule field values (its last values in its records).
  std::vector<uint32_t> case_rule_syms(const CaseRec& c) const;
  /// Applies a plan made for `e` against the current state; cannot fail (only allocation).
  void commit(const Event& e, const Plan& plan, ApplyResult& out);
  /// Validates an event into plan_buf and, for a callback naming data.cases, each other case it
  /// covers (all or none: a refusal of one refuses the event, naming the case). Returns the event
  /// to journal and commit (data.cases normalized), or nullptr for a duplicate.
  const Event* prepare(const Event& e, ApplyResult& out, bool sweep_to_event);
  /// Commits what prepare() planned: the event, then the same callback in each covered case.
  void commit_prepared(const Event& e, ApplyResult& out);
  /// Receives each fired event; may move from it (the sweep refills it for the next one).
  using SweepSink = std::function<void(SweepEvent&)>;
  /// Fires crossings up to `now` and commits their escalations; cannot fail. `sink` may be empty.
  size_t sweep_locked(Instant now, const SweepSink& sink);
  /// The public sweep: under the exclusive lock, journaled first when anything will fire.
  size_t sweep_journaled(Instant now, const SweepSink& sink);
  /// The effects of a plan's transition (src/workflow/apply_effects.cpp), one function each.
  void effect_assign(CaseRec& c, const Event& e);
  void effect_escalate(CaseRec& c, const Event& e);
  void effect_callback(CaseRec& c, const Event& e, const Plan& p, Record& rec, uint8_t& to, ApplyResult& out);
  void effect_reopen(CaseRec& c);
  void effect_handover(CaseRec& c, const Event& e);
  void effect_merge(CaseRec& c, const Plan& p);
  void effect_compensate(CaseRec& c, const Event& e, const Plan& p, Record& rec, ApplyResult& out);
  void effect_approve_compensation(CaseRec& c, const Event& e, const Plan& p, Record& rec, ApplyResult& out);
  /// reclassify: the case's new symbols and target set (the clocks move in apply_retargets).
  void effect_reclassify(CaseRec& c, const Event& e, const Plan& p);
  /// The plan's retargets (after effect_reclassify has set the new target set), recorded in the
  /// case for the event that will be record `record`.
  void apply_retargets(CaseRec& c, const Plan& p, Instant at, uint32_t record);
  /// A crisis: the level raised at once and the crisis clocks started.
  void enter_crisis(CaseRec& c, size_t idx, const Event& e, const Plan& p, Record& rec, ApplyResult& out);
  /// Creates and starts a fresh instance of a clock in `slot` with the case's target for it.
  void start_clock(CaseRec& c, size_t idx, uint8_t slot, Instant at, std::optional<Instant> due);
  void apply_clock_actions(CaseRec& c, size_t idx, const Event& e, const Plan& p, ApplyResult& out);
  void enter_state(CaseRec& c, size_t idx, uint8_t to, bool receive, int64_t now, ApplyResult& out);
  uint32_t intern_target_set(const Plan& p);
  /// Enters a case's target set in the index (a restore rebuilds the index from the cases).
  void index_target_set(const CaseRec& c);
  void stop_clock(CaseRec& c, uint8_t slot, Instant at, ApplyResult* report);
  /// Whether a clock's target is an instant (it does not pause).
  bool counts_to_instant(uint32_t clock) const { return scheduler.target(scheduler.target_of(clock)).kind == sla::TargetKind::instant; }
  void link_repeat(CaseRec& c, size_t idx, int64_t now);
  /// Keeps the O(1) counters: the case `c` after a change (`is_new`: it was just received;
  /// otherwise it was closed or not and took `bytes_before` bytes).
  void count_case(const CaseRec& c, bool is_new, bool was_closed, size_t bytes_before, size_t new_events);
  void record_breach_escalation(CaseRec& c, uint8_t slot, Instant at, int level);
  /// Recomputes the counters from the cases (after a restore).
  void recount();

  void check_writable() const;
  /// Whether a sweep to `at` fires anything (the scheduler's next crossing is not after it).
  bool sweep_due_by(Instant at) const;
  void snapshot_if_wanted() noexcept;
  /// The snapshot bytes (src/workflow/snapshot.cpp); the caller holds a lock.
  std::string snapshot_bytes() const;
  /// The event's canonical JSON as journaled (a receive names the workflow version it got).
  std::string journal_text(const Event& e, const Plan& p) const;
  /// Applies one event under the exclusive lock: plan, journal, (sweep), commit.
  void apply_locked(const Event& e, ApplyResult& out);
  /// The symbol-keyed indexes, built on first use.
  const CaseIndexes& built_indexes() const;
  void index_case(size_t idx);
};

}  // namespace crmkit::workflow
