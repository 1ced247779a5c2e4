// crmkit/store.hpp — the embedded durable store: an SQLite event journal plus snapshots.
//
// One database file holds the journal of accepted events (in order, each with its case, its id
// and its JSON body) and snapshots of engine state. The journal runs in WAL mode; with the default
// durability (full) a call that returned has reached the disk and survives a kill -9 or a power
// loss.
//
// Honesty of the journal: every journal row carries a CRC-32C over all its fields (seq, kind,
// case, id, body), so a flipped byte or a row edited behind the store's back is reported
// (Errc::corrupt from scan, a problem from check) instead of being replayed. SQLite discards WAL
// frames that fail its own checksums, which silently drops the last commits; a host that records
// the journal position it last saw (end().seq) can pass it back as Options::expect_seq and gets
// Errc::corrupt when the journal is shorter. Snapshots carry a format version and a CRC-32C of
// their bytes and are written in one transaction; one that fails its checksum is skipped (with a
// warning) in favour of an older one or the journal alone.
//
// A store file is held by one Store at a time: a second open, from this process (registry of open
// files by device and inode) or another (an exclusive flock on the database file), through any
// path or symlink, fails with Errc::locked and changes nothing. A database file with more than one
// hard link is refused: SQLite keeps its WAL beside the name it opened, so a store must be
// reachable by one name. A file written by a newer format version is refused with Errc::version;
// a format-1 file is upgraded on open.
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
  /// The journal position the host last saw (end().seq of its previous session). When given,
  /// open fails with Error(corrupt) if the journal ends before it: the last commits were lost (a
  /// truncated or damaged WAL). A journal longer than expected is fine.
  std::optional<int64_t> expect_seq = std::nullopt;
};

/// What a journal record is. The numbers are stored in the file: never renumber.
enum class RecordKind : uint8_t {
  event = 1,  ///< an accepted event: its case, its id (unique within the case) and its JSON
  sweep = 2   ///< a clock sweep: the JSON holds the instant as Unix seconds; no case, no id
};

/// A journal record to append.
struct Record {
  std::string_view event_id;  ///< unique within its case; empty for sweeps
  std::string_view case_id;   ///< empty for sweeps
  std::string_view json;
  RecordKind kind = RecordKind::event;
};

/// A record read back; seq numbers start at 1 and increase by one per record.
struct Entry {
  int64_t seq = 0;
  RecordKind kind = RecordKind::event;
  std::string event_id;
  std::string case_id;
  std::string json;

  bool operator==(const Entry&) const = default;
};

/// The last record of the journal: what a host keeps to detect lost commits (Options::expect_seq).
struct JournalEnd {
  int64_t seq = 0;  ///< 0 for an empty journal
  RecordKind kind = RecordKind::event;
  std::string case_id;   ///< empty for a sweep or an empty journal
  std::string event_id;  ///< empty for a sweep or an empty journal

  bool operator==(const JournalEnd&) const = default;
};

struct Snapshot {
  int64_t seq = 0;       ///< the journal position the snapshot includes (events 1..seq)
  uint32_t format = 0;   ///< the engine's snapshot format version
  std::string bytes;
};

/// What check() found.
struct CheckReport {
  bool ok = true;             ///< every check passed (problems is empty)
  int64_t events = 0;         ///< journal records (events and sweeps)
  int64_t last_seq = 0;       ///< == end.seq
  JournalEnd end;             ///< the last record (read even if it fails its checksum)
  int64_t bad_records = 0;    ///< records that fail their checksum or are malformed
  int64_t snapshots = 0;
  int64_t bad_snapshots = 0;
  std::vector<std::string> problems;  ///< empty when ok; per kind, the first few by seq then a count
};

/// The store format version this build writes (PRAGMA user_version). Version 1 (one "case/id"
/// key column, kinds as letters, no row checksums) is upgraded on open.
constexpr int kFormatVersion = 2;

class Store {
 public:
  /// Opens (or creates) the database at `path`, resolved with realpath() (symlinks followed), and
  /// upgrades a format-1 file in one transaction. Errors: Error(locked) when a Store in this or
  /// another process holds the file (under any name); Error(invalid_argument) for an empty path or
  /// a file with more than one hard link; Error(version) for a newer format; Error(corrupt) for a
  /// file that is not a crmkit store, a format-1 file that does not upgrade (left unchanged), or a
  /// journal that ends before options.expect_seq; Error(io) when it cannot be opened or is not a
  /// regular file; Error(not_found) when missing and !options.create or options.expect_seq > 0
  /// (a host that saw records expects the file: an empty new one would hide the loss).
  static Store open(const std::string& path, const Options& options = {});

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  /// Closes the database, then releases the lock.
  ~Store();

  /// Appends records in one transaction; returns the seq of the last one (last_seq() when empty).
  /// Error(invalid_argument) for an event without a case or an id, a sweep with one, or an
  /// unknown kind; Error(conflict) if an event's (case, id) is already in the journal;
  /// Error(io) if the commit fails. On any error nothing of the batch is appended. When it
  /// returns, the records are durable to the configured level.
  int64_t append(std::span<const Record> records);
  /// Appends one record (see above).
  int64_t append(const Record& record) { return append(std::span<const Record>(&record, 1)); }

  /// Whether event `event_id` of case `case_id` is in the journal. Error(io) if the lookup fails.
  bool contains_event(std::string_view case_id, std::string_view event_id) const;
  /// The seq of the last record (0 when empty). No I/O, no errors.
  int64_t last_seq() const;
  /// The number of journal records (events and sweeps). Error(io) or Error(corrupt) if unreadable.
  int64_t event_count() const;
  /// The last record: its seq and, for an event, its case and id. Error(corrupt) if it fails its
  /// checksum, Error(io) if unreadable.
  JournalEnd end() const;

  /// Calls f for each record with seq > after_seq, in order, each verified first.
  /// Error(corrupt) for a record that fails its checksum or is malformed, or a gap in the seq
  /// numbers (f has been called for the records before it); Error(io) if unreadable. Exceptions
  /// from f propagate.
  void scan(int64_t after_seq, const std::function<void(const Entry&)>& f) const;

  /// Stores a snapshot of the state after event `seq` (<= last_seq()); keeps the newest `keep`
  /// snapshots and deletes older ones. Error(invalid_argument) for a seq past the journal end or
  /// keep < 1; Error(io) if the write fails (nothing changes then).
  void put_snapshot(int64_t seq, uint32_t format, std::string_view bytes, int keep = 2);
  /// The newest snapshot whose checksum verifies, whose seq is within the journal and whose format
  /// is <= max_format. Skipped snapshots are described in *warnings (when given). Never throws
  /// for a bad snapshot; Error(io) only if a statement cannot be prepared.
  std::optional<Snapshot> latest_snapshot(uint32_t max_format, std::vector<std::string>* warnings = nullptr) const;

  /// Verifies the database (SQLite integrity check), every journal record (checksum, kind, case
  /// and id present for events, JSON body valid), seq contiguity from 1, and every snapshot
  /// (checksum, size, seq within the journal). Reports problems rather than throwing; Error(io)
  /// only if a statement cannot be prepared.
  CheckReport check() const;

  /// The resolved path of the database file (realpath of the path given to open).
  const std::string& path() const;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmkit::store
