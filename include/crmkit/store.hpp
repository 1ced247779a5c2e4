// crmkit/store.hpp — the embedded durable store: an SQLite event journal plus snapshots.
//
// One database file holds the journal of accepted events (in order, each with its id, case and
// JSON body) and snapshots of engine state. The journal runs in WAL mode; with the default
// durability (full) a call that returned has reached the disk and survives a kill -9 or a power
// loss. Snapshots carry a format version and a CRC-32 of their bytes and are written in one
// transaction, so a snapshot is either wholly there or not at all; one that fails its checksum
// is skipped (with a warning) in favour of an older one or the journal alone.
//
// A store file is held by one Store at a time (an exclusive flock on the database file): a
// second open, from this process or another, fails with Errc::locked and changes nothing.
// A file written by a newer format version is refused with Errc::version.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crmkit::store {

/// How hard a commit waits for the disk (SQLite's synchronous setting in WAL mode).
enum class Durability {
  full,    ///< fsync at every commit: an acknowledged write survives power loss (default)
  normal,  ///< fsync at checkpoints: survives a process crash, may lose the last commits on power loss
  off      ///< no fsync: for tests and bulk loads
};

/// Parses "full", "normal" or "off"; Error(invalid_argument) otherwise.
Durability parse_durability(std::string_view text);

struct Options {
  Durability durability = Durability::full;
  bool create = true;  ///< create the file if missing (else Error(not_found))
};

/// A journal record to append: kind 'e' (an event: its idempotency key, its case and its JSON) or
/// 's' (a clock sweep: `json` holds the instant as Unix seconds; no key, no case).
struct Record {
  std::string_view event_id;  ///< unique among events; empty for sweeps
  std::string_view case_id;
  std::string_view json;
  char kind = 'e';
};

/// A record read back; seq numbers start at 1 and increase by one per record.
struct Entry {
  int64_t seq = 0;
  char kind = 'e';
  std::string event_id;
  std::string case_id;
  std::string json;
};

struct Snapshot {
  int64_t seq = 0;       ///< the journal position the snapshot includes (events 1..seq)
  uint32_t format = 0;   ///< the engine's snapshot format version
  std::string bytes;
};

/// What check() found.
struct CheckReport {
  bool ok = true;
  int64_t events = 0;
  int64_t last_seq = 0;
  int64_t snapshots = 0;
  int64_t bad_snapshots = 0;
  std::vector<std::string> problems;  ///< empty when ok
};

/// The store format version this build writes (PRAGMA user_version).
constexpr int kFormatVersion = 1;

class Store {
 public:
  /// Opens (or creates) the database. Errors: Error(locked) when another Store holds it,
  /// Error(version) for a newer format, Error(corrupt) for a file that is not a crmkit store,
  /// Error(io) when it cannot be opened, Error(not_found) when missing and !options.create.
  static Store open(const std::string& path, const Options& options = {});

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  /// Appends records in one transaction; returns the seq of the last one (last_seq() when empty).
  /// Error(conflict) if an event id is already in the journal (nothing is appended then),
  /// Error(io) if the commit fails (nothing is appended). When it returns, the records are durable
  /// to the configured level.
  int64_t append(std::span<const Record> records);
  int64_t append(const Record& record) { return append(std::span<const Record>(&record, 1)); }

  bool contains_event(std::string_view event_id) const;
  int64_t last_seq() const;
  int64_t event_count() const;

  /// Calls f for each event with seq > after_seq, in order.
  void scan(int64_t after_seq, const std::function<void(const Entry&)>& f) const;

  /// Stores a snapshot of the state after event `seq` (<= last_seq()); keeps the newest `keep`
  /// snapshots and deletes older ones.
  void put_snapshot(int64_t seq, uint32_t format, std::string_view bytes, int keep = 2);
  /// The newest snapshot whose checksum verifies and whose format is <= max_format. Skipped
  /// snapshots are described in *warnings (when given).
  std::optional<Snapshot> latest_snapshot(uint32_t max_format, std::vector<std::string>* warnings = nullptr) const;

  /// Verifies the database (SQLite integrity check), the journal (seq contiguity, JSON present)
  /// and every snapshot's checksum.
  CheckReport check() const;

  const std::string& path() const;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmkit::store
