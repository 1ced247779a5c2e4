// Engine snapshots (format 2, documented at Engine::kSnapshotFormat): the header of
// common/snapshot_archive.hpp, then a Boost.Serialization binary archive of the state; every
// persisted type below has its serialize(). Restore reads into a fresh state, checks every
// cross-reference and only then replaces the engine's.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <boost/serialization/level.hpp>
#include <boost/serialization/tracking.hpp>
#include <boost/serialization/version.hpp>
#include <mutex>

#include "common/snapshot_archive.hpp"
#include "common/snapshot_codes.hpp"
#include "crmkit/error.hpp"
#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"

namespace crmkit::workflow {

/// A workflow version as a snapshot names it: its cases are restored into the loaded version of
/// the same name and version, whose fingerprint must be the same.
struct WorkflowKey {
  std::string name;
  uint32_t version = 1;
  uint64_t fingerprint = 0;
};

/// The state a snapshot holds, loaded here first so that a bad snapshot leaves the engine
/// unchanged (and, when saving, the engine's own members).
struct LoadedState {
  Interner case_ids, syms;
  std::vector<CaseRec> cases;
  std::vector<uint32_t> clock_case;
  std::vector<uint8_t> clock_slot;
  std::vector<TargetSet> target_sets;
};

/// The persisted members of an engine: Engine::Impl's when saving, a LoadedState's when loading;
/// plus, by value, what class version 2 writes about the configuration the state refers to.
///
/// Class version 5 (crmkit 0.6): as 4 with 16 clocks per case and target set (kMaxClocks).
/// Class version 4 (crmkit 0.5): as 3, with 8 clocks, then the remedies of pending compensations that are not
/// money (table, in case order, of case u32, position u32, remedy code u8).
/// Class version 3 (crmkit 0.4): case ids, symbols, cases, clock -> case, clock -> slot, the
/// workflow versions (table of name text, version u32, fingerprint u64), each case's workflow
/// (table of u8, in case order), the repeat indexes (table of family name text + index), target
/// sets, the clocks' retargets (table, in case order, of case u32, at i64, record u32, target
/// u32, slot u8, instance u8, moved_due u8). Class version 2 (crmkit 0.3) is read as well: the
/// same without the retargets. Class version 1 (crmkit 0.2, one workflow) is read as well: case ids, symbols, cases,
/// clocks, one repeat index, target sets, then the target set indexes, which are skipped (the
/// indexes are rebuilt from the cases in both).
struct PersistedState {
  Interner& case_ids;
  Interner& syms;
  std::vector<CaseRec>& cases;
  std::vector<uint32_t>& clock_case;
  std::vector<uint8_t>& clock_slot;
  std::vector<TargetSet>& target_sets;
  std::vector<WorkflowKey> workflows;
  std::vector<uint8_t> case_workflows;
  std::vector<std::pair<std::string, FlatMap64>> repeat_indexes;
  std::vector<std::pair<uint32_t, RetargetRec>> retargets;  ///< (case index, retarget), in case order
  struct PendingRemedy {
    uint32_t case_index = 0, position = 0;
    Remedy remedy = Remedy::money;
  };
  std::vector<PendingRemedy> pending_remedies;  ///< in case order; money (the default) is not listed
  unsigned class_version = 5;  ///< the version read

  template <class State>
  explicit PersistedState(State& m)
      : case_ids(m.case_ids), syms(m.syms), cases(m.cases), clock_case(m.clock_case), clock_slot(m.clock_slot),
        target_sets(m.target_sets) {}
};

}  // namespace crmkit::workflow

// Cases, records and target sets are written without per-object class information (their layout
// is part of the snapshot format); the containers carry a class version (written once).
BOOST_CLASS_IMPLEMENTATION(crmkit::workflow::Record, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::workflow::Record, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::workflow::Interner, 1)
BOOST_CLASS_TRACKING(crmkit::workflow::Interner, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::workflow::FlatMap64, 1)
BOOST_CLASS_TRACKING(crmkit::workflow::FlatMap64, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::workflow::PersistedState, 5)
BOOST_CLASS_IMPLEMENTATION(crmkit::workflow::PersistedState::PendingRemedy, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::workflow::PersistedState::PendingRemedy, boost::serialization::track_never)
BOOST_CLASS_TRACKING(crmkit::workflow::PersistedState, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(crmkit::workflow::WorkflowKey, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::workflow::WorkflowKey, boost::serialization::track_never)

namespace crmkit::workflow {

/// The strings in id order: their lengths (u32 each), then their bytes. Loading interns them in
/// order, which rebuilds the table and checks that no string occurs twice.
template <class Archive>
void serialize(Archive& ar, Interner& in, const unsigned version) {
  detail::check_class_version<Interner>(version, "an interner");
  std::vector<uint32_t> lengths;
  std::string bytes;
  if constexpr (Archive::is_saving::value) {
    lengths.reserve(in.size());
    for (uint32_t id = 0; id < in.size(); ++id) {
      lengths.push_back(static_cast<uint32_t>(in.str(id).size()));
      bytes += in.str(id);
    }
  }
  detail::sequence(ar, lengths, "an interner's lengths");
  detail::text(ar, bytes, "an interner's strings");
  if constexpr (Archive::is_loading::value) {
    if (lengths.empty() || lengths[0] != 0) detail::corrupt("interned string 0 is not the empty string");
    if (lengths.size() > UINT32_MAX - 1) detail::corrupt("too many interned strings");
    uint64_t total = 0;
    for (uint32_t n : lengths) total += n;
    if (total != bytes.size()) detail::corrupt("interned strings and their lengths disagree");
    Interner loaded;
    size_t at = 0;
    for (size_t i = 1; i < lengths.size(); ++i) {
      if (loaded.intern(std::string_view(bytes).substr(at, lengths[i])) != i) detail::corrupt("a string is interned twice");
      at += lengths[i];
    }
    in = std::move(loaded);
  }
}

/// The entries in ascending key order (u64 count, then key u64 + value u32 each): the table's
/// layout depends on its history, the entries do not. Loading rebuilds the table.
template <class Archive>
void serialize(Archive& ar, FlatMap64& map, const unsigned version) {
  detail::check_class_version<FlatMap64>(version, "an index");
  uint64_t n = map.size();
  ar & n;
  if constexpr (Archive::is_saving::value) {
    std::vector<std::pair<uint64_t, uint32_t>> entries(map.map_.begin(), map.map_.end());
    std::sort(entries.begin(), entries.end());
    for (auto& [key, value] : entries) ar & key & value;
  } else {
    detail::bounded_count(ar, n, sizeof(uint64_t) + sizeof(uint32_t), "an index");
    map.map_.clear();
    map.map_.reserve(static_cast<size_t>(n));
    uint64_t previous = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t key = 0;
      uint32_t value = 0;
      ar & key & value;
      // UINT64_MAX was the empty key of the engine's earlier table: no snapshot holds it.
      if (key == UINT64_MAX || (i > 0 && key <= previous)) detail::corrupt("an index's keys are not ascending");
      map.map_.emplace(key, value);
      previous = key;
    }
  }
}

/// 30 bytes: at i64, off u32, data_len u32, actor u32, type u16, id_len u16, offset_minutes i16,
/// role u8, from u8, to u8, flags u8. The id tag is derived on load.
template <class Archive>
void serialize(Archive& ar, Record& r, const unsigned /*version*/) {
  ar & r.at & r.off & r.data_len & r.actor & r.type & r.id_len & r.offset_minutes & r.role & r.from & r.to & r.flags;
}

/// How many clocks a case and a target set hold in a snapshot of this class version.
constexpr size_t clocks_in(unsigned version) { return version >= 5 ? kMaxClocks : kMaxClocksBeforeVersion5; }

/// The first `n` elements of a per-clock array in one block (the rest stay zero on load).
template <class Archive, class T>
void clock_array(Archive& ar, T (&a)[kMaxClocks], size_t n) {
  static_assert(std::is_arithmetic_v<T>);
  ar & boost::serialization::make_array(a, n);
}

/// A case's clock states, each as its sla::ClockState code.
template <class Archive>
void clock_states(Archive& ar, uint8_t (&states)[kMaxClocks], size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto state = static_cast<sla::ClockState>(states[i]);
    detail::enum_code(ar, state, detail::kClockStateCodes);
    states[i] = static_cast<uint8_t>(state);
  }
}

/// A case in the order of the fields documented at Engine::kSnapshotFormat, with the clocks of
/// the engine state's class version. The Bloom filter of its record ids is derived on load.
template <class Archive>
void case_record(Archive& ar, CaseRec& c, unsigned state_version) {
  const size_t clocks = clocks_in(state_version);
  detail::sequence(ar, c.events, "an audit trail");
  detail::text(ar, c.pool, "a case's pool");
  ar & c.last_at;
  clock_array(ar, c.clock_id, clocks);
  clock_states(ar, c.clock_state, clocks);
  ar & c.target_set & c.tier & c.state & c.level & c.flags & c.attempts & c.reopens;
  detail::enum_code(ar, c.satisfaction, detail::kSatisfactionCodes);
  ar & c.customer & c.category & c.channel & c.severity & c.owner & c.department & c.first_owner & c.repeat_of & c.merged_into;
  ar & c.received_at & c.resolved_at & c.closed_at & c.comp_granted;
  // The amounts; their remedies (class version 4) follow the cases in PersistedState.
  std::vector<int64_t> pending(c.comp_pending.size());
  std::transform(c.comp_pending.begin(), c.comp_pending.end(), pending.begin(), [](const PendingComp& p) { return p.cents; });
  detail::sequence(ar, pending, "pending compensations");
  if constexpr (Archive::is_loading::value) {
    c.comp_pending.resize(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) c.comp_pending[i] = {pending[i], Remedy::money};
  }
  clock_array(ar, c.clock_instance, clocks);
  detail::fixed_array(ar, c.ratings);
  ar & c.received_offset_minutes;
}

/// The clocks' target ids (u32), then their escalation levels (i8).
template <class Archive>
void target_set(Archive& ar, TargetSet& t, unsigned state_version) {
  clock_array(ar, t.target, clocks_in(state_version));
  clock_array(ar, t.escalate_to, clocks_in(state_version));
}

/// 19 bytes: at i64, record u32, target u32, slot u8, instance u8, moved_due u8.
template <class Archive>
void serialize(Archive& ar, RetargetRec& r, const unsigned /*version*/) {
  ar & r.at & r.record & r.target & r.slot & r.instance & r.moved_due;
}

template <class Archive>
void serialize(Archive& ar, std::pair<uint32_t, RetargetRec>& r, const unsigned /*version*/) {
  ar & r.first & r.second;
}

/// 9 bytes: case u32, position u32, remedy code u8.
template <class Archive>
void serialize(Archive& ar, PersistedState::PendingRemedy& r, const unsigned /*version*/) {
  ar & r.case_index & r.position;
  detail::enum_code(ar, r.remedy, detail::kRemedyCodes);
}

template <class Archive>
void serialize(Archive& ar, WorkflowKey& k, const unsigned /*version*/) {
  detail::text(ar, k.name, "a workflow name");
  ar & k.version & k.fingerprint;
}

template <class Archive>
void serialize(Archive& ar, PersistedState& m, const unsigned version) {
  // 1 to 4: the upgrade path
  if (version < 1 || version > 4) detail::check_class_version<PersistedState>(version, "the engine state");
  m.class_version = version;
  ar & m.case_ids & m.syms;
  detail::sequence(ar, m.cases, [version](Archive& a, CaseRec& c) { case_record(a, c, version); }, "the cases");
  detail::sequence(ar, m.clock_case, "the clocks' cases");
  detail::sequence(ar, m.clock_slot, "the clocks' slots");
  if (version == 1) {
    m.repeat_indexes.resize(1);
    ar & m.repeat_indexes[0].second;
    detail::sequence(ar, m.target_sets, [version](Archive& a, TargetSet& t) { target_set(a, t, version); }, "the target sets");
    FlatMap64 narrow;
    std::unordered_map<std::string, uint32_t> wide;
    ar & narrow;
    detail::sorted_map(ar, wide, "the wide target set index");
    return;
  }
  detail::sequence(ar, m.workflows, "the workflow versions");
  detail::sequence(ar, m.case_workflows, "the cases' workflows");
  uint64_t n = m.repeat_indexes.size();
  ar & n;
  if constexpr (Archive::is_loading::value) {
    detail::bounded_count(ar, n, 16, "the repeat indexes");
    m.repeat_indexes.resize(n);
  }
  for (auto& [family, index] : m.repeat_indexes) {
    detail::text(ar, family, "a workflow family");
    ar & index;
  }
  detail::sequence(ar, m.target_sets, [version](Archive& a, TargetSet& t) { target_set(a, t, version); }, "the target sets");
  if (version >= 3) detail::sequence(ar, m.retargets, "the retargets");
  if (version >= 4) detail::sequence(ar, m.pending_remedies, "the pending remedies");
}

namespace {

constexpr detail::SnapshotKind kEngineSnapshot{std::string_view("crmkENG\0", 8), Engine::kSnapshotFormat, "engine snapshot", true};

// Values the engine produces only within these bounds (RFC 3339 years 0000..9999, UTC offsets
// under a day, amounts of at most 10^13 units): outside them formatting or sums would overflow.
constexpr int64_t kFirstInstant = -62167219200;  // 0000-01-01T00:00:00Z
constexpr int64_t kLastInstant = 253402300799;   // 9999-12-31T23:59:59Z
constexpr int64_t kMaxAmountCents = 1'000'000'000'000'000;
constexpr int64_t kMaxGrantedCents = int64_t{1} << 62;

bool valid_instant(int64_t t) { return t >= kFirstInstant && t <= kLastInstant; }
bool valid_offset(int16_t minutes) { return minutes > -24 * 60 && minutes < 24 * 60; }

/// A case's own values (times, offsets, amounts) are in the ranges the engine produces.
bool values_in_range(const CaseRec& c) {
  const bool times = valid_instant(c.last_at) && valid_instant(c.received_at) && (c.resolved_at == kNone || valid_instant(c.resolved_at)) &&
                     (c.closed_at == kNone || valid_instant(c.closed_at)) && valid_offset(c.received_offset_minutes);
  const bool amounts = c.comp_granted >= 0 && c.comp_granted <= kMaxGrantedCents &&
                       std::all_of(c.comp_pending.begin(), c.comp_pending.end(), [](const PendingComp& p) { return p.cents >= 0 && p.cents <= kMaxAmountCents; });
  return times && amounts;
}

/// Whether a record's data decodes inside its own bytes (decode_data trusts the encoding), its
/// amounts in range.
bool data_well_formed(const std::string& pool, const Record& r, const Definition::Impl& d) {
  using codec_detail::get_le;
  const char* p = pool.data() + r.off + r.id_len;
  const char* const end = p + r.data_len;
  while (p < end) {
    const auto code = static_cast<uint8_t>(*p++);
    Wire wire;
    if (!d.wire_of(code, wire)) return false;
    size_t n = wire == Wire::byte ? 1 : wire == Wire::text ? 4 : 8;
    if (static_cast<size_t>(end - p) < n) return false;
    if (wire == Wire::text) {  // its length, then its bytes
      n = get_le<uint32_t>(p);
      p += 4;
      if (static_cast<size_t>(end - p) < n) return false;
    } else if (wire == Wire::i64) {  // the amount
      const auto cents = get_le<int64_t>(p);
      if (cents < 0 || cents > kMaxAmountCents) return false;
    } else if (wire == Wire::f64 && !std::isfinite(std::bit_cast<double>(get_le<uint64_t>(p)))) {
      return false;
    }
    p += n;
  }
  return true;
}

/// Every cross-reference of a loaded state must stay inside it (and the configuration); derives
/// the records' id tags and the cases' Bloom filters.
void check_references(const Engine::Impl& m, LoadedState& f, const sla::Scheduler& scheduler) {
  auto& cases = f.cases;
  if (f.case_ids.size() != cases.size() + 1) detail::corrupt("engine snapshot: case ids and cases disagree");
  if (f.clock_case.size() != f.clock_slot.size() || f.clock_case.size() > scheduler.size() + (1u << 20))
    detail::corrupt("engine snapshot: clock tables disagree");
  for (size_t i = 0; i < f.clock_case.size(); ++i)
    if (f.clock_case[i] >= cases.size() || f.clock_slot[i] >= std::min(m.def(cases[f.clock_case[i]]).clocks.size(), kMaxClocks) ||
        !scheduler.contains(i + 1))
      detail::corrupt("engine snapshot: a clock of no case");
  try {
    for (const auto& c : cases)
      if (c.target_set < f.target_sets.size())
        for (size_t k = 0; k < std::min(m.def(c).clocks.size(), kMaxClocks); ++k) (void)scheduler.target(f.target_sets[c.target_set].target[k]);
  } catch (const Error&) {
    detail::corrupt("engine snapshot: a target set names an unknown target");
  }
  for (auto& c : cases) {
    const Definition::Impl& d = m.def(c);  // the caller checked c.workflow
    const size_t n_states = d.states.size();
    if (c.state >= n_states || c.target_set >= f.target_sets.size() || c.repeat_of > cases.size() || c.merged_into > cases.size())
      detail::corrupt("engine snapshot: a case points outside the snapshot");
    if (!values_in_range(c)) detail::corrupt("engine snapshot: a case's times or amounts are out of range");
    const size_t index = static_cast<size_t>(&c - cases.data());
    for (size_t k = 0; k < kMaxClocks; ++k) {
      const uint32_t id = c.clock_id[k];
      if (id != 0 && (id > f.clock_case.size() || f.clock_case[id - 1] != index || f.clock_slot[id - 1] != k || !scheduler.contains(id)))
        detail::corrupt("engine snapshot: a case's clock is not in the scheduler");
    }
    for (uint32_t s : {c.channel, c.category, c.severity, c.customer, c.tier, c.owner, c.department, c.first_owner})
      if (s >= f.syms.size()) detail::corrupt("engine snapshot: unknown symbol");
    c.id_bloom = 0;
    for (auto& r : c.events) {
      if (static_cast<uint64_t>(r.off) + r.id_len + r.data_len > c.pool.size() || r.actor >= f.syms.size() ||
          (r.from != kNoState && r.from >= n_states) || (r.to != kNoState && r.to >= n_states) ||
          (r.type != kSystemType && r.type >= d.types.size()) || (r.role != kSystemRole && r.role >= d.roles.size()))
        detail::corrupt("engine snapshot: an event record points outside its case");
      if (!data_well_formed(c.pool, r, d)) detail::corrupt("engine snapshot: an event record's data is malformed");
      if (!valid_instant(r.at) || !valid_offset(r.offset_minutes)) detail::corrupt("engine snapshot: an event record's time is out of range");
      r.id_tag = Record::tag_of(record_id(c.pool, r));
      c.id_bloom |= CaseRec::bloom_bit(r.id_tag);
    }
  }
}

/// Gives each case its retargets, checked: a known case, clock slot, record and target, in case order.
void attach_retargets(const Engine::Impl& m, PersistedState& state, LoadedState& f, const sla::Scheduler& scheduler) {
  uint32_t previous = 0;
  for (const auto& entry : state.retargets) {
    const uint32_t index = entry.first;
    const RetargetRec& r = entry.second;
    if (index >= f.cases.size() || index < previous) detail::corrupt("engine snapshot: a retarget of no case, or out of order");
    previous = index;
    CaseRec& c = f.cases[index];
    bool known_target = true;
    try {
      (void)scheduler.target(r.target);
    } catch (const Error&) {
      known_target = false;
    }
    if (r.slot >= m.def(c).clocks.size() || r.record >= c.events.size() || r.moved_due > 1 || !known_target || !valid_instant(r.at))
      detail::corrupt("engine snapshot: a retarget points outside its case");
    c.retargets.push_back(r);
  }
}

/// Gives each pending compensation its remedy, checked: a known case and position, in order.
void attach_pending_remedies(const PersistedState& state, LoadedState& f) {
  uint64_t previous = 0;
  for (const auto& r : state.pending_remedies) {
    const uint64_t key = uint64_t{r.case_index} << 32 | r.position;
    if (r.case_index >= f.cases.size() || r.position >= f.cases[r.case_index].comp_pending.size() || key < previous)
      detail::corrupt("engine snapshot: a pending remedy of no pending compensation, or out of order");
    previous = key + 1;
    f.cases[r.case_index].comp_pending[r.position].remedy = r.remedy;
  }
}

/// About the size of a snapshot's body without the scheduler (to reserve it once): per case its
/// fixed fields, records (30 bytes each) and pool, plus the interned strings.
size_t expected_bytes(const Engine::Impl& m) {
  size_t n = 4096 + 17 * (m.case_ids.size() + m.syms.size()) + 5 * m.clock_case.size() + 40 * m.target_sets.size();
  for (const auto& index : m.repeat_index) n += 12 * index.size();
  for (const auto& c : m.cases) n += 160 + 30 * c.events.size() + c.pool.size() + 8 * c.comp_pending.size();
  return n;
}

}  // namespace

std::string Engine::snapshot() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->snapshot_bytes();
}

std::string Engine::Impl::snapshot_bytes() const {
  const Impl& m = *this;
  std::string scheduler = m.scheduler.to_bytes();
  PersistedState state(const_cast<Impl&>(m));  // saving only reads (Boost wants a non-const reference)
  for (const auto& w : m.config.workflows)
    state.workflows.push_back({w->d->name, static_cast<uint32_t>(w->d->version), w->fingerprint});
  state.case_workflows.reserve(m.cases.size());
  for (const CaseRec& c : m.cases) state.case_workflows.push_back(c.workflow);
  for (size_t f = 0; f < m.config.families.size(); ++f) state.repeat_indexes.emplace_back(m.config.families[f], m.repeat_index[f]);
  for (size_t i = 0; i < m.cases.size(); ++i)
    for (const RetargetRec& r : m.cases[i].retargets) state.retargets.emplace_back(static_cast<uint32_t>(i), r);
  for (size_t i = 0; i < m.cases.size(); ++i)
    for (size_t k = 0; k < m.cases[i].comp_pending.size(); ++k)
      if (m.cases[i].comp_pending[k].remedy != Remedy::money)
        state.pending_remedies.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(k), m.cases[i].comp_pending[k].remedy});
  return detail::write_snapshot(kEngineSnapshot, expected_bytes(m) + scheduler.size(), [&](boost::archive::binary_oarchive& ar) {
    // The default workflow's fingerprint: a build that reads one workflow (crmkit 0.2) checks it
    // first, then refuses the state's class version 2 with Error(version).
    uint64_t fp = m.config.default_workflow().fingerprint;
    ar << fp;
    detail::text(ar, scheduler);
    ar << state;
  });
}

namespace {

/// Points each loaded case at the engine's loaded workflow version it was made under (by name
/// and version, checked by fingerprint; class version 1: the one workflow whose fingerprint is
/// the header's) and returns the repeat indexes per family of the engine.
std::vector<FlatMap64> bind_workflows(const Registry& config, uint64_t header_fp, PersistedState& state, LoadedState& f) {
  std::vector<FlatMap64> repeat(config.families.size());
  if (state.class_version == 1) {
    int w = -1;
    for (size_t i = 0; i < config.workflows.size(); ++i)
      if (config.workflows[i]->fingerprint == header_fp && (w < 0 || config.workflows[i]->family == 0)) w = static_cast<int>(i);
    if (w < 0) detail::corrupt("it belongs to another workflow configuration");
    for (CaseRec& c : f.cases) c.workflow = static_cast<uint8_t>(w);
    repeat[config.workflows[static_cast<size_t>(w)]->family] = std::move(state.repeat_indexes.at(0).second);
    return repeat;
  }
  if (state.case_workflows.size() != f.cases.size()) detail::corrupt("engine snapshot: cases and their workflows disagree");
  std::vector<int> remap(state.workflows.size(), -1);
  for (size_t k = 0; k < state.workflows.size(); ++k) remap[k] = config.find(state.workflows[k].name, static_cast<int>(state.workflows[k].version));
  for (size_t i = 0; i < f.cases.size(); ++i) {
    const size_t k = state.case_workflows[i];
    if (k >= state.workflows.size()) detail::corrupt("engine snapshot: a case of no workflow");
    const WorkflowKey& key = state.workflows[k];
    if (remap[k] < 0)
      detail::corrupt(fmt::format("it holds cases of workflow '{}' version {}, which is not loaded (loaded: {})", key.name, key.version,
                                  config.names()));
    if (config.workflows[static_cast<size_t>(remap[k])]->fingerprint != key.fingerprint)
      detail::corrupt(fmt::format("workflow '{}' version {} as loaded is not the one its cases were made under", key.name, key.version));
    f.cases[i].workflow = static_cast<uint8_t>(remap[k]);
  }
  for (auto& [family, index] : state.repeat_indexes) {
    const int fam = config.family_of(family);
    if (fam >= 0) repeat[static_cast<size_t>(fam)] = std::move(index);
    else if (index.size() > 0) detail::corrupt(fmt::format("it holds repeat links of workflow '{}', which is not loaded", family));
  }
  return repeat;
}

}  // namespace

void Engine::restore(std::string_view bytes) {
  std::unique_lock lock(impl_->mutex);
  Impl& m = *impl_;
  if (!m.cases.empty()) throw Error(Errc::invalid_state, "restore() needs an engine without cases");
  LoadedState f;
  PersistedState state(f);
  std::string scheduler_bytes;
  uint64_t fp = 0;
  detail::read_snapshot(bytes, kEngineSnapshot, [&](boost::archive::binary_iarchive& ar) {
    ar >> fp;
    detail::text(ar, scheduler_bytes, "the scheduler");
    ar >> state;
  });
  std::vector<FlatMap64> repeat = bind_workflows(m.config, fp, state, f);
  sla::Scheduler scheduler = sla::Scheduler::from_bytes(scheduler_bytes);
  check_references(m, f, scheduler);
  attach_retargets(m, state, f, scheduler);
  attach_pending_remedies(state, f);
  m.scheduler = std::move(scheduler);
  m.case_ids = std::move(f.case_ids);
  m.syms = std::move(f.syms);
  m.bind_symbols();  // the configuration's symbols, as ids of the restored table
  m.cases = std::move(f.cases);
  m.clock_case = std::move(f.clock_case);
  m.clock_slot = std::move(f.clock_slot);
  m.repeat_index = std::move(repeat);
  m.target_sets = std::move(f.target_sets);
  m.target_set_index = FlatMap64();
  m.target_set_index_wide.clear();
  for (const CaseRec& c : m.cases) m.index_target_set(c);
  m.recount();
}

}  // namespace crmkit::workflow
