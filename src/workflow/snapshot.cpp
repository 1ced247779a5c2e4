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

/// The parts of the engine a snapshot holds (Engine::Impl has the same members), loaded here
/// first so that a bad snapshot leaves the engine unchanged.
struct LoadedState {
  Interner case_ids, syms;
  std::vector<CaseRec> cases;
  std::vector<uint32_t> clock_case;
  std::vector<uint8_t> clock_slot;
  FlatMap64 repeat_index, target_set_index;
  std::vector<TargetSet> target_sets;
  std::unordered_map<std::string, uint32_t> target_set_index_wide;
};

/// The persisted members of an engine: Engine::Impl's when saving, a LoadedState's when loading.
struct PersistedState {
  Interner& case_ids;
  Interner& syms;
  std::vector<CaseRec>& cases;
  std::vector<uint32_t>& clock_case;
  std::vector<uint8_t>& clock_slot;
  FlatMap64& repeat_index;
  std::vector<TargetSet>& target_sets;
  FlatMap64& target_set_index;
  std::unordered_map<std::string, uint32_t>& target_set_index_wide;

  template <class State>
  explicit PersistedState(State& m)
      : case_ids(m.case_ids), syms(m.syms), cases(m.cases), clock_case(m.clock_case), clock_slot(m.clock_slot),
        repeat_index(m.repeat_index), target_sets(m.target_sets), target_set_index(m.target_set_index),
        target_set_index_wide(m.target_set_index_wide) {}
};

}  // namespace crmkit::workflow

// Cases, records and target sets are written without per-object class information (their layout
// is part of the snapshot format); the containers carry a class version (written once).
BOOST_CLASS_IMPLEMENTATION(crmkit::workflow::Record, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::workflow::Record, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(crmkit::workflow::CaseRec, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::workflow::CaseRec, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(crmkit::workflow::TargetSet, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::workflow::TargetSet, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::workflow::Interner, 1)
BOOST_CLASS_TRACKING(crmkit::workflow::Interner, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::workflow::FlatMap64, 1)
BOOST_CLASS_TRACKING(crmkit::workflow::FlatMap64, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::workflow::PersistedState, 1)
BOOST_CLASS_TRACKING(crmkit::workflow::PersistedState, boost::serialization::track_never)

namespace crmkit::workflow {

/// The strings in id order: their lengths, then their bytes. Offsets (prefix sums of the lengths:
/// intern() appends) and the lookup table are rebuilt, which also checks that no string occurs twice.
template <class Archive>
void serialize(Archive& ar, Interner& in, const unsigned version) {
  detail::check_class_version<Interner>(version, "an interner");
  detail::sequence(ar, in.lengths_, "an interner's lengths");
  detail::text(ar, in.arena_, "an interner's strings");
  if constexpr (Archive::is_loading::value) {
    if (in.lengths_.empty() || in.lengths_[0] != 0) detail::corrupt("interned string 0 is not the empty string");
    if (in.lengths_.size() > UINT32_MAX - 1) detail::corrupt("too many interned strings");
    in.offsets_.resize(in.lengths_.size());
    uint64_t at = 0;
    for (size_t i = 0; i < in.lengths_.size(); ++i) {
      in.offsets_[i] = at;
      at += in.lengths_[i];
    }
    if (at != in.arena_.size()) detail::corrupt("interned strings and their lengths disagree");
    size_t slots = 16;
    while (slots < in.offsets_.size() * 2) slots *= 2;
    if (!in.rebuild(slots)) detail::corrupt("a string is interned twice");
  }
}

/// The entries in ascending key order (u64 count, then key u64 + value u32 each): the table's
/// layout depends on its history, the entries do not. Loading rebuilds the table.
template <class Archive>
void serialize(Archive& ar, FlatMap64& map, const unsigned version) {
  detail::check_class_version<FlatMap64>(version, "an index");
  uint64_t n = map.size_;
  ar & n;
  if constexpr (Archive::is_saving::value) {
    std::vector<std::pair<uint64_t, uint32_t>> entries;
    entries.reserve(map.size_);
    for (size_t i = 0; i < map.keys_.size(); ++i)
      if (map.keys_[i] != FlatMap64::kEmpty) entries.emplace_back(map.keys_[i], map.values_[i]);
    std::sort(entries.begin(), entries.end());
    for (auto& [key, value] : entries) ar & key & value;
  } else {
    detail::bounded_count(ar, n, sizeof(uint64_t) + sizeof(uint32_t), "an index");
    size_t slots = 16;
    while (slots < (n + 1) * 2) slots *= 2;
    map.keys_.assign(slots, FlatMap64::kEmpty);
    map.values_.assign(slots, 0);
    map.size_ = 0;
    uint64_t previous = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t key = 0;
      uint32_t value = 0;
      ar & key & value;
      if (key == FlatMap64::kEmpty || (i > 0 && key <= previous)) detail::corrupt("an index's keys are not ascending");
      map.set(key, value);
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

/// A case's clock states, each as its sla::ClockState code.
template <class Archive>
void clock_states(Archive& ar, uint8_t (&states)[kMaxClocks]) {
  for (uint8_t& mirror : states) {
    auto state = static_cast<sla::ClockState>(mirror);
    detail::enum_code(ar, state, detail::kClockStateCodes);
    mirror = static_cast<uint8_t>(state);
  }
}

/// A case in the order of the fields documented at Engine::kSnapshotFormat. The Bloom filter of
/// its record ids is derived on load.
template <class Archive>
void serialize(Archive& ar, CaseRec& c, const unsigned /*version*/) {
  detail::sequence(ar, c.events, "an audit trail");
  detail::text(ar, c.pool, "a case's pool");
  ar & c.last_at;
  detail::fixed_array(ar, c.clock_id);
  clock_states(ar, c.clock_state);
  ar & c.target_set & c.tier & c.state & c.level & c.flags & c.attempts & c.reopens;
  detail::enum_code(ar, c.satisfaction, detail::kSatisfactionCodes);
  ar & c.customer & c.category & c.channel & c.severity & c.owner & c.department & c.first_owner & c.repeat_of & c.merged_into;
  ar & c.received_at & c.resolved_at & c.closed_at & c.comp_granted;
  detail::sequence(ar, c.comp_pending, "pending compensations");
  detail::fixed_array(ar, c.clock_instance);
  detail::fixed_array(ar, c.ratings);
  ar & c.received_offset_minutes;
}

/// kMaxClocks target ids (u32), then kMaxClocks escalation levels (i8).
template <class Archive>
void serialize(Archive& ar, TargetSet& t, const unsigned /*version*/) {
  detail::fixed_array(ar, t.target);
  detail::fixed_array(ar, t.escalate_to);
}

template <class Archive>
void serialize(Archive& ar, PersistedState& m, const unsigned version) {
  detail::check_class_version<PersistedState>(version, "the engine state");
  ar & m.case_ids & m.syms;
  detail::sequence(ar, m.cases, "the cases");
  detail::sequence(ar, m.clock_case, "the clocks' cases");
  detail::sequence(ar, m.clock_slot, "the clocks' slots");
  ar & m.repeat_index;
  detail::sequence(ar, m.target_sets, "the target sets");
  ar & m.target_set_index;
  detail::sorted_map(ar, m.target_set_index_wide, "the wide target set index");
}

namespace {

constexpr detail::SnapshotKind kEngineSnapshot{std::string_view("crmkENG\0", 8), Engine::kSnapshotFormat, "engine snapshot", true};

/// Which configuration a snapshot belongs to: states, event types, roles and clocks (FNV-1a over
/// their names).
uint64_t fingerprint(const Engine::Impl& m) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xFF) * 1099511628211ull;
  };
  for (const auto& s : m.d->states) mix(s.name);
  for (const auto& t : m.d->types) mix(t);
  for (const auto& r : m.d->roles) mix(r);
  for (const auto& c : m.d->clocks) mix(c);
  // The declared fields' names and types give the record codes their meaning. (Only when there
  // are any: a workflow without declared fields keeps the fingerprint of crmkit 0.2.)
  for (const auto& f : m.d->fields) {
    mix(f.name);
    mix(field_type_name(f.type));
  }
  return h;
}

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
                       std::all_of(c.comp_pending.begin(), c.comp_pending.end(), [](int64_t a) { return a >= 0 && a <= kMaxAmountCents; });
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
  const size_t n_states = m.d->states.size();
  auto& cases = f.cases;
  if (f.case_ids.size() != cases.size() + 1) detail::corrupt("engine snapshot: case ids and cases disagree");
  if (f.clock_case.size() != f.clock_slot.size() || f.clock_case.size() > scheduler.size() + (1u << 20))
    detail::corrupt("engine snapshot: clock tables disagree");
  const size_t n_clocks = std::min(m.d->clocks.size(), kMaxClocks);
  for (size_t i = 0; i < f.clock_case.size(); ++i)
    if (f.clock_case[i] >= cases.size() || f.clock_slot[i] >= n_clocks || !scheduler.contains(i + 1))
      detail::corrupt("engine snapshot: a clock of no case");
  try {
    for (const auto& t : f.target_sets)
      for (size_t k = 0; k < n_clocks; ++k) (void)scheduler.target(t.target[k]);
  } catch (const Error&) {
    detail::corrupt("engine snapshot: a target set names an unknown target");
  }
  for (auto& c : cases) {
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
          (r.type != kSystemType && r.type >= m.d->types.size()) || (r.role != kSystemRole && r.role >= m.d->roles.size()))
        detail::corrupt("engine snapshot: an event record points outside its case");
      if (!data_well_formed(c.pool, r, *m.d)) detail::corrupt("engine snapshot: an event record's data is malformed");
      if (!valid_instant(r.at) || !valid_offset(r.offset_minutes)) detail::corrupt("engine snapshot: an event record's time is out of range");
      r.id_tag = Record::tag_of(record_id(c.pool, r));
      c.id_bloom |= CaseRec::bloom_bit(r.id_tag);
    }
  }
}

/// About the size of a snapshot's body without the scheduler (to reserve it once): per case its
/// fixed fields, records (30 bytes each) and pool, plus the interned strings.
size_t expected_bytes(const Engine::Impl& m) {
  size_t n = 4096 + 16 * (m.case_ids.size() + m.syms.size()) + 5 * m.clock_case.size() + 40 * m.target_sets.size() +
             12 * (m.repeat_index.size() + m.target_set_index.size());
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
  return detail::write_snapshot(kEngineSnapshot, expected_bytes(m) + scheduler.size(), [&](boost::archive::binary_oarchive& ar) {
    uint64_t fp = fingerprint(m);
    ar << fp;
    detail::text(ar, scheduler);
    ar << PersistedState(const_cast<Impl&>(m));  // saving only reads (Boost wants a non-const reference)
  });
}

void Engine::restore(std::string_view bytes) {
  std::unique_lock lock(impl_->mutex);
  Impl& m = *impl_;
  if (!m.cases.empty()) throw Error(Errc::invalid_state, "restore() needs an engine without cases");
  LoadedState f;
  std::string scheduler_bytes;
  detail::read_snapshot(bytes, kEngineSnapshot, [&](boost::archive::binary_iarchive& ar) {
    uint64_t fp = 0;
    ar >> fp;
    if (fp != fingerprint(m)) detail::corrupt("it belongs to another workflow configuration");
    detail::text(ar, scheduler_bytes, "the scheduler");
    PersistedState state(f);
    ar >> state;
  });
  sla::Scheduler scheduler = sla::Scheduler::from_bytes(scheduler_bytes);
  check_references(m, f, scheduler);
  m.scheduler = std::move(scheduler);
  m.case_ids = std::move(f.case_ids);
  m.syms = std::move(f.syms);
  m.bind_symbols();  // the configuration's symbols, as ids of the restored table
  m.cases = std::move(f.cases);
  m.clock_case = std::move(f.clock_case);
  m.clock_slot = std::move(f.clock_slot);
  m.repeat_index = std::move(f.repeat_index);
  m.target_sets = std::move(f.target_sets);
  m.target_set_index = std::move(f.target_set_index);
  m.target_set_index_wide = std::move(f.target_set_index_wide);
  m.recount();
}

}  // namespace crmkit::workflow
