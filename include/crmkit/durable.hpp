// crmkit/durable.hpp — the workflow engine on the durable store.
//
// open_engine() returns the one workflow::Engine type with the store's SQLite journal attached:
// every accepted event (and every sweep that fired something) is journaled before it is
// committed in memory and before the call returns, so an acknowledged event survives a kill -9
// (and, with Durability::full, a power loss), and a refused or unjournaled one changes nothing.
// Recovery loads the newest snapshot this build can read (a corrupt, truncated or
// other-format one is skipped with a warning and the journal replayed from its start) and
// replays the journal after it; the recovered engine equals the one that was running, case for
// case. The journal records sweeps explicitly, so recovery replays exactly what ran, whatever
// EngineOptions say.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crmkit/store.hpp"
#include "crmkit/workflow.hpp"

namespace crmkit::store {

/// Most snapshots kept in a store (DurableOptions::keep_snapshots is 1..kMaxKeepSnapshots).
inline constexpr int kMaxKeepSnapshots = 100;

struct DurableOptions {
  Durability durability = Durability::full;
  /// Journal records between automatic snapshots; 0 = only save_snapshot(). A snapshot also
  /// waits until the journal has grown by the last snapshot's size in bytes since it, so that
  /// snapshots never write more than the journal does, however large the engine.
  int64_t snapshot_every = 100'000;
  int keep_snapshots = 2;            ///< 1..kMaxKeepSnapshots
  /// The journal position the host last saw acknowledged: open fails with Error(corrupt) when
  /// the journal ends before it (the last commits were lost, e.g. a truncated WAL).
  std::optional<int64_t> expect_seq;
  workflow::EngineOptions engine;    ///< the same options an in-memory engine takes
};

struct RecoveryReport {
  bool used_snapshot = false;
  int64_t snapshot_seq = 0;  ///< journal position of the snapshot used
  int64_t replayed = 0;      ///< journal records replayed after it
  int64_t last_seq = 0;      ///< the journal's last position (compare with what the host last saw)
  std::vector<std::string> warnings;
};

/// Makes a fresh engine with the deployment's workflow, policy and rules.
using EngineFactory = std::function<workflow::Engine()>;

/// Opens (or creates) the store at `path`, recovers its state into an engine made by
/// `make_engine`, attaches the journal and returns the engine. Errors: those of Store::open
/// (locked, version, corrupt, io, invalid_argument), Error(corrupt) when a journal record fails
/// its checksum or no longer applies (the store belongs to another configuration) or the journal
/// ends before options.expect_seq, Error(invalid_argument) for bad options.
workflow::Engine open_engine(const std::string& path, const EngineFactory& make_engine, const DurableOptions& options = {},
                             RecoveryReport* report = nullptr);

}  // namespace crmkit::store
