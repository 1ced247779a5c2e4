// The workflow engine on the durable store: journal before acknowledging, snapshots, recovery.
#include <fmt/format.h>

#include <charconv>
#include <mutex>

#include "crmkit/durable.hpp"
#include "crmkit/error.hpp"

namespace crmkit::store {

struct DurableEngine::Impl {
  Store store;
  workflow::Engine engine;
  DurableOptions options;
  RecoveryReport recovery;
  std::mutex mu;
  bool failed = false;
  int64_t since_snapshot = 0;
  workflow::Event event;  // reused

  Impl(Store s, workflow::Engine e, DurableOptions o) : store(std::move(s)), engine(std::move(e)), options(o) {}

  void check_usable() const {
    if (failed) throw Error(Errc::io, fmt::format("store {}: a journal write failed earlier; reopen it to recover", store.path()));
  }

  /// Appends; on failure the engine is ahead of the disk: stop.
  void journal(std::span<const Record> records) {
    try {
      store.append(records);
    } catch (const Error& e) {
      failed = true;  // the engine is ahead of the disk now
      throw Error(Errc::io, fmt::format("event not recorded: {}", e.what()));
    }
    since_snapshot += static_cast<int64_t>(records.size());
    if (options.snapshot_every > 0 && since_snapshot >= options.snapshot_every) take_snapshot();
  }

  void take_snapshot() {
    store.put_snapshot(store.last_seq(), workflow::Engine::kSnapshotFormat, engine.snapshot(), options.keep_snapshots);
    since_snapshot = 0;
  }

  /// Replays one journal record (recovery).
  void replay(const Entry& e) {
    if (e.kind == RecordKind::sweep) {
      int64_t t = 0;
      auto r = std::from_chars(e.json.data(), e.json.data() + e.json.size(), t);
      if (r.ec != std::errc()) throw Error(Errc::corrupt, fmt::format("journal record {}: bad sweep instant", e.seq));
      engine.sweep(Instant::from_unix_seconds(t));
      return;
    }
    try {
      workflow::parse_event(e.json, event);
      engine.sweep(event.at);
      engine.apply(event);
    } catch (const Error& err) {
      throw Error(Errc::corrupt, fmt::format("journal record {} (event {}) does not apply: {}", e.seq, e.event_id, err.what()));
    }
  }
};

DurableEngine::DurableEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DurableEngine::DurableEngine(DurableEngine&&) noexcept = default;
DurableEngine& DurableEngine::operator=(DurableEngine&&) noexcept = default;
DurableEngine::~DurableEngine() = default;

DurableEngine DurableEngine::open(const std::string& path, const Factory& make_engine, const DurableOptions& options) {
  Store store = Store::open(path, Options{options.durability, true});
  auto impl = std::make_unique<Impl>(std::move(store), make_engine(), options);
  RecoveryReport& rep = impl->recovery;
  int64_t from = 0;
  if (auto snap = impl->store.latest_snapshot(workflow::Engine::kSnapshotFormat, &rep.warnings)) {
    try {
      impl->engine.restore(snap->bytes);
      rep.used_snapshot = true;
      rep.snapshot_seq = from = snap->seq;
    } catch (const Error& e) {
      rep.warnings.push_back(fmt::format("snapshot at seq {} not used: {}; replaying the whole journal", snap->seq, e.what()));
      impl->engine = make_engine();
    }
  }
  impl->store.scan(from, [&](const Entry& e) {
    impl->replay(e);
    ++rep.replayed;
  });
  impl->since_snapshot = rep.replayed;
  return DurableEngine(std::move(impl));
}

workflow::ApplyResult DurableEngine::apply_json(std::string_view json) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.check_usable();
  workflow::parse_event(json, m.event);
  // The sweep to the event's time changes state when something fires (escalations): it is
  // journaled then, even if the event itself is refused, so that replay reproduces it.
  const bool fired = !m.engine.sweep(m.event.at).empty();
  const std::string t = std::to_string(m.event.at.unix_seconds());
  const Record sweep_record{{}, {}, t, RecordKind::sweep};
  workflow::ApplyResult r;
  try {
    r = m.engine.apply(m.event);
  } catch (const Error&) {
    if (fired) m.journal(std::span<const Record>(&sweep_record, 1));
    throw;
  }
  std::vector<Record> records;
  if (fired) records.push_back(sweep_record);
  if (!r.duplicate) records.push_back({m.event.id, m.event.case_id, json, RecordKind::event});
  if (!records.empty()) m.journal(records);
  return r;
}

BatchResult DurableEngine::apply_batch(std::span<const std::string_view> jsons) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.check_usable();
  BatchResult out;
  std::vector<std::string> keys, cases, times;  // stable storage for the records' views
  std::vector<std::pair<char, size_t>> order;   // ('s', times index) or ('e', input index)
  std::vector<size_t> key_of;
  for (size_t i = 0; i < jsons.size(); ++i) {
    try {
      workflow::parse_event(jsons[i], m.event);
    } catch (const Error& e) {
      out.rejected.emplace_back(i, e.what());
      continue;
    }
    if (!m.engine.sweep(m.event.at).empty()) {
      times.push_back(std::to_string(m.event.at.unix_seconds()));
      order.emplace_back('s', times.size() - 1);
    }
    try {
      if (m.engine.apply(m.event).duplicate) {
        ++out.duplicates;
        continue;
      }
    } catch (const Error& e) {
      out.rejected.emplace_back(i, e.what());
      continue;
    }
    keys.push_back(m.event.id);  // the store keys events by (case, id)
    cases.push_back(m.event.case_id);
    order.emplace_back('e', i);
    key_of.push_back(keys.size() - 1);
  }
  std::vector<Record> records;
  records.reserve(order.size());
  size_t next_key = 0;
  for (auto [kind, index] : order) {
    if (kind == 's') {
      records.push_back({{}, {}, times[index], RecordKind::sweep});
    } else {
      size_t k = key_of[next_key++];
      records.push_back({keys[k], cases[k], jsons[index], RecordKind::event});
    }
  }
  m.journal(records);
  out.applied = keys.size();
  return out;
}

std::vector<workflow::SweepEvent> DurableEngine::sweep(Instant now) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.check_usable();
  auto fired = m.engine.sweep(now);
  const std::string t = std::to_string(now.unix_seconds());
  Record r{{}, {}, t, RecordKind::sweep};
  m.journal(std::span<const Record>(&r, 1));
  return fired;
}

void DurableEngine::snapshot() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  m.check_usable();
  m.take_snapshot();
}

const workflow::Engine& DurableEngine::engine() const { return impl_->engine; }
const RecoveryReport& DurableEngine::recovery() const { return impl_->recovery; }
int64_t DurableEngine::journal_position() const { return impl_->store.last_seq(); }

}  // namespace crmkit::store
