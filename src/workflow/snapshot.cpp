// Engine snapshots: the state as a Boost.Serialization text archive (portable), with a header
// naming the format and a fingerprint of the configuration it belongs to.
#include <fmt/format.h>

#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/unordered_map.hpp>
#include <boost/serialization/vector.hpp>
#include <mutex>

#include "crmkit/error.hpp"
#include "common/pod_io.hpp"
#include "workflow/engine_impl.hpp"

namespace crmkit::workflow {
namespace {

/// One case record; every size read back is bounded by `limit`.
template <class Archive>
void io_case(Archive& ar, CaseRec& c, uint64_t limit) {
  uint8_t satisfaction = static_cast<uint8_t>(c.satisfaction);
  ar & c.channel & c.category & c.severity & c.customer & c.tier & c.owner & c.department & c.first_owner & c.repeat_of &
      c.merged_into & c.received_at & c.last_at & c.resolved_at & c.closed_at & c.comp_granted & c.target_set &
      c.clock_id & c.clock_state & c.clock_instance & c.state & c.level & c.flags & c.attempts & c.reopens & satisfaction &
      c.ratings & c.received_offset_minutes;
  if constexpr (Archive::is_loading::value) {
    if (satisfaction > static_cast<uint8_t>(Satisfaction::unknown)) throw Error(Errc::corrupt, "snapshot: satisfaction out of range");
  }
  c.satisfaction = static_cast<Satisfaction>(satisfaction);
  detail::pod_vector(ar, c.comp_pending, limit);
  detail::pod_vector(ar, c.events, limit);
  detail::bounded_string(ar, c.pool, limit);
}

/// The parts of the engine a snapshot holds (Engine::Impl has the same members).
struct LoadedState {
  Interner case_ids, syms;
  std::vector<CaseRec> cases;
  std::vector<uint32_t> clock_case;
  std::vector<uint8_t> clock_slot;
  FlatMap64 repeat_index, target_set_index;
  std::vector<TargetSet> target_sets;
  std::unordered_map<std::string, uint32_t> target_set_index_wide;
};

template <class Archive, class State>
void io_state(Archive& ar, State& m, std::string& scheduler, uint64_t limit) {
  detail::bounded_string(ar, scheduler, limit);
  m.case_ids.io(ar, limit);
  m.syms.io(ar, limit);
  uint64_t n = m.cases.size();
  ar & n;
  if constexpr (Archive::is_loading::value) {
    if (n > limit) throw Error(Errc::corrupt, "snapshot: more cases than bytes");
    m.cases.resize(static_cast<size_t>(n));
  }
  for (auto& c : m.cases) io_case(ar, c, limit);
  detail::pod_vector(ar, m.clock_case, limit);
  detail::pod_vector(ar, m.clock_slot, limit);
  m.repeat_index.io(ar, limit);
  detail::pod_vector(ar, m.target_sets, limit);
  m.target_set_index.io(ar, limit);
  uint64_t w = m.target_set_index_wide.size();
  ar & w;
  if constexpr (Archive::is_loading::value) {
    if (w > limit) throw Error(Errc::corrupt, "snapshot: index larger than the snapshot");
    for (uint64_t i = 0; i < w; ++i) {
      std::string key;
      uint32_t value = 0;
      detail::bounded_string(ar, key, limit);
      ar & value;
      m.target_set_index_wide.emplace(std::move(key), value);
    }
  } else {
    for (auto& [key, value] : m.target_set_index_wide) {
      std::string k = key;
      uint32_t v = value;
      detail::bounded_string(ar, k, limit);
      ar & v;
    }
  }
}

}  // namespace
}  // namespace crmkit::workflow

namespace crmkit::workflow {
namespace {

constexpr const char* kMagic = "crmkit-engine-snapshot";

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
  return h;
}

}  // namespace

std::string Engine::snapshot() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->snapshot_bytes();
}

std::string Engine::Impl::snapshot_bytes() const {
  const Impl& m = *this;
  std::string scheduler = m.scheduler.to_bytes();  // its own framing, before this archive's scope
  return detail::save_framed([&](boost::archive::text_oarchive& ar) {
    std::string magic = kMagic;
    uint32_t format = kSnapshotFormat;
    uint64_t fp = fingerprint(m);
    detail::bounded_string(ar, magic, 0);
    ar << format << fp;
    io_state(ar, const_cast<Impl&>(m), scheduler, 0);
  });
}

void Engine::restore(std::string_view bytes) {
  std::unique_lock lock(impl_->mutex);
  Impl& m = *impl_;
  if (!m.cases.empty()) throw Error(Errc::invalid_state, "restore() needs an engine without cases");
  // Read everything into a fresh state first: a bad snapshot leaves the engine unchanged.
  LoadedState f;
  std::string scheduler_bytes;
  const uint64_t limit = bytes.size();  // no table or string in it can be longer than the snapshot
  try {
    detail::load_framed(bytes, [&](boost::archive::text_iarchive& ar) {
      std::string magic;
      uint32_t format = 0;
      uint64_t fp = 0;
      detail::bounded_string(ar, magic, 64);
      if (magic != kMagic) throw Error(Errc::corrupt, "not an engine snapshot");
      ar >> format;
      if (format > kSnapshotFormat)
        throw Error(Errc::version, fmt::format("snapshot format {} is newer than this crmkit reads ({})", format, kSnapshotFormat));
      ar >> fp;
      if (fp != fingerprint(m)) throw Error(Errc::corrupt, "the snapshot belongs to another workflow configuration");
      io_state(ar, f, scheduler_bytes, limit);
    });
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(Errc::corrupt, fmt::format("engine snapshot unreadable: {}", e.what()));
  }
  auto& case_ids = f.case_ids;
  auto& syms = f.syms;
  auto& cases = f.cases;
  auto& clock_case = f.clock_case;
  auto& clock_slot = f.clock_slot;
  auto& repeat_index = f.repeat_index;
  auto& target_sets = f.target_sets;
  auto& target_set_index = f.target_set_index;
  auto& wide = f.target_set_index_wide;
  sla::Scheduler scheduler = sla::Scheduler::from_bytes(scheduler_bytes);
  // Every cross-reference must stay inside the restored state.
  const size_t n_states = m.d->states.size();
  if (case_ids.size() != cases.size() + 1) throw Error(Errc::corrupt, "engine snapshot: case ids and cases disagree");
  if (clock_case.size() != clock_slot.size() || clock_case.size() > scheduler.size() + (1u << 20))
    throw Error(Errc::corrupt, "engine snapshot: clock tables disagree");
  for (size_t i = 0; i < clock_case.size(); ++i)
    if (clock_case[i] >= cases.size() || clock_slot[i] >= kMaxClocks || !scheduler.contains(i + 1))
      throw Error(Errc::corrupt, "engine snapshot: a clock of no case");
  try {
    for (const auto& t : target_sets)
      for (size_t k = 0; k < m.d->clocks.size() && k < kMaxClocks; ++k) (void)scheduler.target(t.target[k]);
  } catch (const Error&) {
    throw Error(Errc::corrupt, "engine snapshot: a target set names an unknown target");
  }
  for (auto& c : cases) {
    if (c.state >= n_states || c.target_set >= target_sets.size() || c.repeat_of > cases.size() || c.merged_into > cases.size())
      throw Error(Errc::corrupt, "engine snapshot: a case points outside the snapshot");
    const size_t index = static_cast<size_t>(&c - cases.data());
    for (size_t k = 0; k < kMaxClocks; ++k) {
      const uint32_t id = c.clock_id[k];
      if (id != 0 && (id > clock_case.size() || clock_case[id - 1] != index || clock_slot[id - 1] != k || !scheduler.contains(id)))
        throw Error(Errc::corrupt, "engine snapshot: a case's clock is not in the scheduler");
    }
    for (uint32_t s : {c.channel, c.category, c.severity, c.customer, c.tier, c.owner, c.department, c.first_owner})
      if (s >= syms.size()) throw Error(Errc::corrupt, "engine snapshot: unknown symbol");
    for (auto& r : c.events) {
      if (static_cast<uint64_t>(r.off) + r.id_len + r.data_len > c.pool.size() || r.actor >= syms.size() ||
          (r.from != kNoState && r.from >= n_states) || (r.to != kNoState && r.to >= n_states) ||
          (r.type != kSystemType && r.type >= m.d->types.size()) || (r.role != kSystemRole && r.role >= m.d->roles.size()))
        throw Error(Errc::corrupt, "engine snapshot: an event record points outside its case");
      r.id_tag = Record::tag_of(record_id(c.pool, r));
      c.id_bloom |= CaseRec::bloom_bit(r.id_tag);
    }
  }
  m.scheduler = std::move(scheduler);
  m.case_ids = std::move(case_ids);
  m.syms = std::move(syms);
  m.bind_symbols();  // the configuration's symbols, as ids of the restored table
  m.cases = std::move(cases);
  m.clock_case = std::move(clock_case);
  m.clock_slot = std::move(clock_slot);
  m.repeat_index = std::move(repeat_index);
  m.target_sets = std::move(target_sets);
  m.target_set_index = std::move(target_set_index);
  m.target_set_index_wide = std::move(wide);
  m.recount();
}

}  // namespace crmkit::workflow
