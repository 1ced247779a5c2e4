// The workflow engine on the durable store: the SQLite journal backend and recovery.
#include <fmt/format.h>

#include <charconv>
#include <memory>

#include "crmkit/durable.hpp"
#include "crmkit/error.hpp"

namespace crmkit::store {

namespace {

/// The engine's Journal on a Store: one transaction per write. An automatic snapshot is due when
/// snapshot_every records and as many journal bytes as the last snapshot held were written since
/// it: snapshots then never write more than the journal did, whatever the engine's size (a
/// snapshot of a large engine every 100,000 records cost 60 % of a replay; benchmarks/RESULTS.md),
/// and recovery replays at most about a snapshot's worth of journal.
class SqliteJournal final : public workflow::Journal {
 public:
  SqliteJournal(Store store, const DurableOptions& options, int64_t since_snapshot, int64_t bytes_since_snapshot,
                int64_t snapshot_bytes)
      : store_(std::move(store)),
        options_(options),
        since_snapshot_(since_snapshot),
        bytes_since_snapshot_(bytes_since_snapshot),
        snapshot_bytes_(snapshot_bytes) {}

  void write(std::span<const workflow::JournalEntry> entries) override {
    records_.clear();
    times_.clear();
    times_.reserve(entries.size());
    for (const auto& e : entries) {
      if (e.kind == workflow::JournalEntry::Kind::sweep) {
        const std::string& t = times_.emplace_back(std::to_string(e.at.unix_seconds()));
        records_.push_back(Record{{}, {}, t, RecordKind::sweep});
      } else {
        records_.push_back(Record{e.event_id, e.case_id, e.event_json, RecordKind::event});
      }
    }
    store_.append(records_);
    since_snapshot_ += static_cast<int64_t>(entries.size());
    for (const auto& r : records_) bytes_since_snapshot_ += static_cast<int64_t>(r.json.size());
  }
  bool wants_snapshot() const override {
    return options_.snapshot_every > 0 && since_snapshot_ >= options_.snapshot_every &&
           bytes_since_snapshot_ >= snapshot_bytes_;
  }
  void put_snapshot(std::string_view bytes, uint32_t format) override {
    store_.put_snapshot(store_.last_seq(), format, bytes, options_.keep_snapshots);
    since_snapshot_ = 0;
    bytes_since_snapshot_ = 0;
    snapshot_bytes_ = static_cast<int64_t>(bytes.size());
  }
  int64_t position() const override { return store_.last_seq(); }

 private:
  Store store_;
  DurableOptions options_;
  int64_t since_snapshot_;
  int64_t bytes_since_snapshot_;
  int64_t snapshot_bytes_;  ///< the size of the last snapshot (0: none)
  std::vector<Record> records_;
  std::vector<std::string> times_;  // reserved up front: the records' views stay valid
};

void check_options(const DurableOptions& o) {
  if (o.snapshot_every < 0) throw Error(Errc::invalid_argument, "snapshot_every must be >= 0");
  if (o.keep_snapshots < 1 || o.keep_snapshots > kMaxKeepSnapshots)
    throw Error(Errc::invalid_argument, fmt::format("keep_snapshots must be 1..{}", kMaxKeepSnapshots));
  if (o.expect_seq && *o.expect_seq < 0) throw Error(Errc::invalid_argument, "expect_seq must be >= 0");
}

/// Replays one journal record into the engine (which has no journal attached).
void replay(workflow::Engine& engine, const Entry& e, workflow::Event& event, workflow::ApplyResult& result) {
  auto bad = [&](const std::string& why) {
    return Error(Errc::corrupt, fmt::format("journal record {}{}: {}", e.seq,
                                            e.kind == RecordKind::event ? fmt::format(" (event '{}' of case '{}')", e.event_id, e.case_id) : "",
                                            why));
  };
  if (e.kind == RecordKind::sweep) {
    int64_t t = 0;
    const auto r = std::from_chars(e.json.data(), e.json.data() + e.json.size(), t);
    if (r.ec != std::errc() || r.ptr != e.json.data() + e.json.size()) throw bad("bad sweep instant");
    engine.sweep(Instant::from_unix_seconds(t), [](const workflow::SweepEvent&) {});
    return;
  }
  try {
    workflow::parse_event(e.json, event);
    if (event.id != e.event_id || event.case_id != e.case_id) throw bad("its body names another event");
    engine.apply(event, result);
  } catch (const Error& err) {
    if (err.code() == Errc::corrupt) throw;
    throw bad(fmt::format("does not apply: {}", err.what()));
  }
  if (result.duplicate) throw bad("applied twice");
}

}  // namespace

workflow::Engine open_engine(const std::string& path, const EngineFactory& make_engine, const DurableOptions& options,
                             RecoveryReport* report) {
  check_options(options);
  RecoveryReport local;
  RecoveryReport& rep = report ? *report : local;
  rep = RecoveryReport{};
  Store store = Store::open(path, Options{options.durability, true, options.expect_seq});
  workflow::Engine engine = make_engine();
  int64_t from = 0, snapshot_bytes = 0, replayed_bytes = 0;
  if (auto snap = store.latest_snapshot(workflow::Engine::kSnapshotFormat, &rep.warnings)) {
    try {
      engine.restore(snap->bytes);
      snapshot_bytes = static_cast<int64_t>(snap->bytes.size());
      rep.used_snapshot = true;
      rep.snapshot_seq = from = snap->seq;
    } catch (const Error& e) {
      // The journal is never pruned: it holds every event, so replaying it all is always possible.
      rep.warnings.push_back(fmt::format("snapshot at seq {} (format {}) not used: {}; replaying the whole journal", snap->seq,
                                         snap->format, e.what()));
      engine = make_engine();
    }
  }
  workflow::EngineOptions replaying = options.engine;
  replaying.sweep_before_apply = false;  // the journal holds the sweeps that ran
  engine.set_options(replaying);
  workflow::Event event;
  workflow::ApplyResult result;
  store.scan(from, [&](const Entry& e) {
    replay(engine, e, event, result);
    ++rep.replayed;
    replayed_bytes += static_cast<int64_t>(e.json.size());
  });
  rep.last_seq = store.last_seq();
  engine.set_options(options.engine);
  engine.attach_journal(std::make_unique<SqliteJournal>(std::move(store), options, rep.replayed, replayed_bytes, snapshot_bytes));
  return engine;
}

}  // namespace crmkit::store
