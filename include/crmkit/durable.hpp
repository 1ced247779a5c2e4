// crmkit/durable.hpp — the workflow engine on the durable store.
//
// Every accepted event is appended to the store's journal before apply returns; explicit sweeps
// are journaled too. Recovery loads the newest valid snapshot (a corrupt or truncated one is
// skipped with a warning) and replays the journal after it, so the recovered engine equals the
// one that was running. To make replay exact, apply() always sweeps the clocks to the event's
// time first (as `crmkit complaints replay` does).
//
// If a journal write fails after the engine accepted the event, the DurableEngine stops (every
// later call throws Error(io)): the in-memory engine is ahead of the disk, and reopening the
// store recovers the acknowledged state. Thread-safe: calls are serialized.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/store.hpp"
#include "crmkit/workflow.hpp"

namespace crmkit::store {

struct DurableOptions {
  Durability durability = Durability::full;
  int64_t snapshot_every = 100'000;  ///< journal records between automatic snapshots; 0 = only snapshot()
  int keep_snapshots = 2;
};

struct RecoveryReport {
  bool used_snapshot = false;
  int64_t snapshot_seq = 0;  ///< journal position of the snapshot used
  int64_t replayed = 0;      ///< journal records replayed after it
  std::vector<std::string> warnings;
};

/// Results of apply_batch(): the accepted events were journaled in one transaction.
struct BatchResult {
  size_t applied = 0, duplicates = 0;
  std::vector<std::pair<size_t, std::string>> rejected;  ///< input index, reason
};

class DurableEngine {
 public:
  /// Makes a fresh engine with the deployment's workflow, policy and rules (called once).
  using Factory = std::function<workflow::Engine()>;

  /// Opens (or creates) the store and recovers. Errors: those of Store::open (locked, version,
  /// corrupt, io), and Error(corrupt) when a journaled event no longer applies (the store belongs
  /// to another configuration).
  static DurableEngine open(const std::string& path, const Factory& make_engine, const DurableOptions& options = {});

  DurableEngine(DurableEngine&&) noexcept;
  DurableEngine& operator=(DurableEngine&&) noexcept;
  ~DurableEngine();

  /// Sweeps to the event's time, applies it and journals it; returns once it is durable. A
  /// refused event is not journaled (and changes nothing); a duplicate is reported, not journaled.
  workflow::ApplyResult apply_json(std::string_view json);
  /// Many events, one transaction: faster, and all or none of the accepted ones reach the disk.
  BatchResult apply_batch(std::span<const std::string_view> jsons);
  /// Fires clock events up to `now` and journals the sweep.
  std::vector<workflow::SweepEvent> sweep(Instant now);
  /// Writes a snapshot of the current state at the current journal position.
  void snapshot();

  /// The engine, for queries (do not apply or sweep through it: that would bypass the journal).
  const workflow::Engine& engine() const;
  const RecoveryReport& recovery() const;
  int64_t journal_position() const;

  struct Impl;

 private:
  explicit DurableEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmkit::store
