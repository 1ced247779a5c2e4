// The SQLite event journal and snapshot store.
#include "crmkit/store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/crc.hpp>  // CRC-32 of format-1 snapshots (the upgrade)
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <utility>

#include "common/crc32c.hpp"
#include "crmkit/error.hpp"

namespace crmkit::store {
namespace {

constexpr int kApplicationId = 0x63726d6b;  // "crmk"
constexpr size_t kProblemsListed = 5;       // per kind of problem in check(); then a count

uint32_t crc32(std::string_view bytes) { return detail::crc32c(bytes); }

Errc errc_of(int sqlite_rc) {
  switch (sqlite_rc) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Errc::corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Errc::locked;
    default: return Errc::io;
  }
}

/// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const std::string& sql) {
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
    if (rc != SQLITE_OK)
      throw Error(errc_of(rc), fmt::format("store: cannot prepare \"{}\": {}", sql, sqlite3_errmsg(db)));
  }
  Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept {
    std::swap(stmt_, o.stmt_);
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

/// Resets a statement when leaving scope, whatever happened.
struct ResetOnExit {
  sqlite3_stmt* s;
  ~ResetOnExit() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

/// Binds without copying: every caller steps the statement while the bytes are alive.
void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void bind_text_or_null(sqlite3_stmt* s, int i, std::string_view v) {
  if (v.empty()) sqlite3_bind_null(s, i);
  else bind_text(s, i, v);
}

std::string_view column_view(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string_view();
}

std::string column_text(sqlite3_stmt* s, int i) { return std::string(column_view(s, i)); }

// ---------------------------------------------------------------------------------------------
// The journal row codec: the one place that knows a row's columns, its rules and its checksum.
// Used by append, scan, end, check and the format-1 upgrade.

/// The events table of format 2, created under `name` (the upgrade builds it beside the old one).
/// The (case, id) pair is unique; the index leads with the id because ids mostly increase, so a
/// batch's inserts touch few index pages (led by the case, they scatter: 2.4x slower appends).
std::string events_table_sql(std::string_view name) {
  return fmt::format(
      "CREATE TABLE {}(seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, case_id TEXT, event_id TEXT, "
      "body TEXT NOT NULL, checksum INTEGER NOT NULL, UNIQUE(event_id, case_id))",
      name);
}

/// The codec's columns, in the order bind_row and read_row use (?1..?6, columns 0..5).
constexpr std::string_view kRowColumns = "seq, kind, case_id, event_id, body, checksum";

std::string insert_row_sql(std::string_view table) {
  return fmt::format("INSERT INTO {}({}) VALUES(?1, ?2, ?3, ?4, ?5, ?6)", table, kRowColumns);
}

bool is_known_kind(int64_t kind) {
  return kind == static_cast<int64_t>(RecordKind::event) || kind == static_cast<int64_t>(RecordKind::sweep);
}

/// What is wrong with a record's shape (empty when nothing): events have a case and an id,
/// sweeps have neither.
std::string_view shape_problem(RecordKind kind, std::string_view case_id, std::string_view event_id) {
  if (kind == RecordKind::event && (case_id.empty() || event_id.empty())) return "is an event without a case or an id";
  if (kind == RecordKind::sweep && (!case_id.empty() || !event_id.empty())) return "is a sweep with a case or an id";
  return {};
}

void crc_u64_le(detail::Crc32c& crc, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  crc.update(b, sizeof b);
}

/// A length-prefixed field (4 bytes LE), so that moving bytes between fields changes the sum.
void crc_field(detail::Crc32c& crc, std::string_view bytes) {
  const auto n = static_cast<uint32_t>(bytes.size());
  const unsigned char len[4] = {static_cast<unsigned char>(n), static_cast<unsigned char>(n >> 8),
                                static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 24)};
  crc.update(len, sizeof len);
  crc.update(bytes);
}

/// CRC-32C over the canonical encoding of every field of a row: seq (8 bytes LE), kind (1 byte),
/// then case, id and body, each length-prefixed. A missing case or id encodes as empty.
uint32_t row_checksum(int64_t seq, int64_t kind, std::string_view case_id, std::string_view event_id, std::string_view body) {
  detail::Crc32c crc;
  crc_u64_le(crc, static_cast<uint64_t>(seq));
  const auto k = static_cast<unsigned char>(kind);
  crc.update(&k, 1);
  crc_field(crc, case_id);
  crc_field(crc, event_id);
  crc_field(crc, body);
  return crc.value();
}

/// Binds ?1..?6 of an INSERT made by insert_row_sql.
void bind_row(sqlite3_stmt* st, int64_t seq, const Record& r) {
  const auto kind = static_cast<int64_t>(r.kind);
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int64(st, 2, kind);
  bind_text_or_null(st, 3, r.case_id);
  bind_text_or_null(st, 4, r.event_id);
  bind_text(st, 5, r.json);
  sqlite3_bind_int64(st, 6, row_checksum(seq, kind, r.case_id, r.event_id, r.json));
}

/// How a message names a record: "journal record 7 (event e-1 of case C-1)".
std::string describe(const Entry& e) {
  if (e.kind == RecordKind::sweep) return fmt::format("journal record {} (sweep)", e.seq);
  if (e.kind == RecordKind::event) return fmt::format("journal record {} (event {} of case {})", e.seq, e.event_id, e.case_id);
  return fmt::format("journal record {}", e.seq);
}

bool is_text_or_null(sqlite3_stmt* st, int i) {
  const int t = sqlite3_column_type(st, i);
  return t == SQLITE_TEXT || t == SQLITE_NULL;
}

/// Reads columns 0..5 (kRowColumns) of the current row into e and verifies it; returns what is
/// wrong with it, empty when it verifies. e is filled either way (for messages and reports).
std::string read_row(sqlite3_stmt* st, Entry& e) {
  // Types first: reading a column converts it, after which its type is unknown. A flipped type
  // byte could make a column another type with the same bytes, which the checksum would pass.
  const bool types_ok = sqlite3_column_type(st, 1) == SQLITE_INTEGER && sqlite3_column_type(st, 5) == SQLITE_INTEGER &&
                        sqlite3_column_type(st, 4) == SQLITE_TEXT && is_text_or_null(st, 2) && is_text_or_null(st, 3);
  e.seq = sqlite3_column_int64(st, 0);
  const int64_t kind = sqlite3_column_int64(st, 1);
  e.kind = static_cast<RecordKind>(kind);
  e.case_id = column_text(st, 2);
  e.event_id = column_text(st, 3);
  e.json = column_text(st, 4);
  const int64_t stored = sqlite3_column_int64(st, 5);
  if (!types_ok) return describe(e) + " has columns of the wrong type";
  if (!is_known_kind(kind)) return fmt::format("{} has an unknown kind {}", describe(e), kind);
  const uint32_t computed = row_checksum(e.seq, kind, e.case_id, e.event_id, e.json);
  if (stored != static_cast<int64_t>(computed))
    return fmt::format("{} fails its checksum (stored {:#010x}, computed {:#010x}): the row was damaged or edited",
                       describe(e), stored, computed);
  if (auto shape = shape_problem(e.kind, e.case_id, e.event_id); !shape.empty()) return fmt::format("{} {}", describe(e), shape);
  return {};
}

/// A format-1 row (seq, kind 'e'/'s', event_id "case/id", case_id, body) as a format-2 record,
/// viewing the statement's columns. Error(corrupt) when it does not fit.
Record read_v1_row(sqlite3_stmt* st, const std::string& path) {
  const int64_t seq = sqlite3_column_int64(st, 0);
  auto misfit = [&](std::string_view why) {
    return Error(Errc::corrupt, fmt::format("store {}: cannot upgrade format 1: record {} {}; the file is unchanged", path, seq, why));
  };
  const std::string_view kind = column_view(st, 1), key = column_view(st, 2), case_id = column_view(st, 3);
  if (sqlite3_column_type(st, 4) != SQLITE_TEXT) throw misfit("has no text body");
  Record r{{}, {}, column_view(st, 4), RecordKind::event};
  if (kind == "s") {
    r.kind = RecordKind::sweep;
    if (!key.empty() || !case_id.empty()) throw misfit("is a sweep with a case or an id");
    return r;
  }
  if (kind != "e") throw misfit(fmt::format("has an unknown kind '{}'", kind));
  // Format 1 keyed events by "case/id"; the id is what follows the case and the slash.
  if (case_id.empty() || key.size() <= case_id.size() + 1 || !key.starts_with(case_id) || key[case_id.size()] != '/')
    throw misfit(fmt::format("has event key '{}' that is not its case '{}' followed by '/' and an id", key, case_id));
  r.case_id = case_id;
  r.event_id = key.substr(case_id.size() + 1);
  return r;
}

// ---------------------------------------------------------------------------------------------
// The lock: one holder per database file, by file identity.

/// Files held by a Store of this process, by (device, inode). Checked before any fd is opened on
/// a file: closing any fd on a file drops all of this process's POSIX locks on it, SQLite's too.
struct HeldFiles {
  std::mutex mu;
  std::set<std::pair<dev_t, ino_t>> ids;
};

HeldFiles& held_files() {
  static auto* held = new HeldFiles;  // never destroyed: a Store may outlive static destruction
  return *held;
}

/// The path with symlinks resolved (realpath); for a file that does not exist yet, its resolved
/// directory plus its name. SQLite keeps the WAL beside the name it opens: one name per store.
std::string resolve_path(const std::string& path, bool create) {
  if (char* resolved = ::realpath(path.c_str(), nullptr)) {
    std::string out(resolved);
    std::free(resolved);
    return out;
  }
  if (errno != ENOENT) throw Error(Errc::io, fmt::format("store {}: cannot resolve the path: {}", path, std::strerror(errno)));
  if (!create) throw Error(Errc::not_found, fmt::format("store {}: no such file", path));
  const std::filesystem::path p(path);
  const std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..")
    throw Error(Errc::invalid_argument, fmt::format("store {}: not a file name", path));
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  char* resolved_dir = ::realpath(dir.c_str(), nullptr);
  if (!resolved_dir) throw Error(Errc::io, fmt::format("store {}: cannot resolve directory {}: {}", path, dir, std::strerror(errno)));
  std::string out = (std::filesystem::path(resolved_dir) / name).string();
  std::free(resolved_dir);
  return out;
}

/// An exclusive hold on one database file: an entry in this process's registry and, for other
/// processes, an flock on an fd of the file itself, kept open while held.
class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)), id_(o.id_) {}
  FileLock& operator=(FileLock&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(id_, o.id_);
    return *this;
  }
  /// Close the database first: closing the fd drops this process's POSIX locks on the file.
  ~FileLock() {
    if (fd_ < 0) return;
    std::lock_guard guard(held_files().mu);
    ::close(fd_);  // releases the flock; then the file may be opened again
    held_files().ids.erase(id_);
  }

  /// Takes the file at `path` (resolved), creating it (empty) when missing and `create`.
  /// Error(locked), Error(invalid_argument) for a hard-linked file, Error(io), Error(not_found).
  static FileLock acquire(const std::string& path, bool create) {
    std::lock_guard guard(held_files().mu);  // the whole sequence: no other Store of ours in between
    FileLock lock;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      refuse_unusable(path, st);
      lock.fd_ = open_existing(path, st);
    } else if (errno == ENOENT && create) {
      lock.fd_ = create_new(path, st);
    } else if (errno == ENOENT) {
      throw Error(Errc::not_found, fmt::format("store {}: no such file", path));
    } else {
      throw Error(Errc::io, fmt::format("store {}: cannot stat: {}", path, std::strerror(errno)));
    }
    if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(std::exchange(lock.fd_, -1));  // safe: no Store of this process holds the file
      if (err == EWOULDBLOCK) throw Error(Errc::locked, fmt::format("store {}: in use by another process", path));
      throw Error(Errc::io, fmt::format("store {}: cannot lock: {}", path, std::strerror(err)));
    }
    lock.id_ = {st.st_dev, st.st_ino};
    held_files().ids.insert(lock.id_);
    return lock;
  }

 private:
  static bool held(const struct stat& st) { return held_files().ids.count({st.st_dev, st.st_ino}) > 0; }

  static void refuse_unusable(const std::string& path, const struct stat& st) {
    if (!S_ISREG(st.st_mode)) throw Error(Errc::io, fmt::format("store {}: not a regular file", path));
    if (held(st)) throw Error(Errc::locked, fmt::format("store {}: already open in this process", path));
    if (st.st_nlink > 1)
      throw Error(Errc::invalid_argument,
                  fmt::format("store {}: the file has {} hard links; a store must be reachable by one name, because "
                              "SQLite keeps its WAL beside the name it opened (two names, two WALs, lost commits)",
                              path, st.st_nlink));
  }

  static int open_existing(const std::string& path, const struct stat& st) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw Error(Errc::io, fmt::format("store {}: cannot open: {}", path, std::strerror(errno)));
    struct stat now {};
    if (::fstat(fd, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
      // Replaced between stat and open. If the new file is one we hold, closing this fd would
      // drop SQLite's locks on it: leak the fd rather than risk that.
      if (!held(now)) ::close(fd);
      throw Error(Errc::io, fmt::format("store {}: the file was replaced while opening; try again", path));
    }
    return fd;
  }

  static int create_new(const std::string& path, struct stat& st) {
    // O_EXCL | O_NOFOLLOW: never through a dangling symlink, never over a file made meanwhile.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(Errc::io, fmt::format("store {}: cannot create: {}", path, std::strerror(errno)));
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      throw Error(Errc::io, fmt::format("store {}: cannot stat: {}", path, std::strerror(errno)));
    }
    return fd;
  }

  int fd_ = -1;
  std::pair<dev_t, ino_t> id_{};
};

/// Collects one kind of problem for check(): the first few verbatim, then how many more.
class ProblemList {
 public:
  ProblemList(std::vector<std::string>& out, std::string_view what) : out_(out), what_(what) {}
  void add(std::string problem) {
    if (count_++ < kProblemsListed) out_.push_back(std::move(problem));
  }
  ~ProblemList() {
    if (count_ > kProblemsListed) out_.push_back(fmt::format("... and {} more {}", count_ - kProblemsListed, what_));
  }
  size_t count() const { return count_; }

 private:
  std::vector<std::string>& out_;
  std::string_view what_;
  size_t count_ = 0;
};

}  // namespace

Durability parse_durability(std::string_view text) {
  if (text == "full") return Durability::full;
  if (text == "normal") return Durability::normal;
  if (text == "off") return Durability::off;
  throw Error(Errc::invalid_argument, fmt::format("durability must be full, normal or off, got '{}'", text));
}

struct Store::Impl {
  std::string path;
  FileLock lock;  // declared before db: released after the database is closed
  sqlite3* db = nullptr;
  int64_t last_seq = 0;
  Statement insert_row, find_event, scan_rows, last_row;

  ~Impl() {
    insert_row = Statement();
    find_event = Statement();
    scan_rows = Statement();
    last_row = Statement();
    if (db) sqlite3_close_v2(db);  // every statement is finalized: this closes now
  }

  [[noreturn]] void fail(Errc code, const std::string& what) const {
    throw Error(code, fmt::format("store {}: {}: {}", path, what, db ? sqlite3_errmsg(db) : "no database"));
  }

  void exec(const char* sql) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
      std::string m = msg ? msg : sqlite3_errstr(rc);
      sqlite3_free(msg);
      throw Error(errc_of(rc), fmt::format("store {}: {}: {}", path, sql, m));
    }
  }
  void exec(const std::string& sql) { exec(sql.c_str()); }

  int64_t query_int(const char* sql) {
    Statement s(db, sql);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return sqlite3_column_int64(s.get(), 0);
    if (rc == SQLITE_DONE) return 0;
    fail(errc_of(rc), sql);
  }

  void rollback() noexcept { sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr); }

  /// Runs f in one write transaction; on any exception rolls back (nothing changes) and rethrows.
  template <class F>
  void in_transaction(F&& f) {
    exec("BEGIN IMMEDIATE");
    try {
      f();
      if (int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); rc != SQLITE_OK) fail(errc_of(rc), "commit failed");
    } catch (...) {
      rollback();
      throw;
    }
  }

  void open_database() {
    // Not SQLITE_OPEN_CREATE: FileLock created the file. NOFOLLOW: the path is resolved.
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
    if (rc != SQLITE_OK) fail(errc_of(rc) == Errc::corrupt ? Errc::corrupt : Errc::io, "cannot open");
    sqlite3_extended_result_codes(db, 0);
  }

  /// The file's format version, after checking it is a crmkit store this build can read.
  int64_t read_format() {
    const int64_t app = query_int("PRAGMA application_id");
    const int64_t version = query_int("PRAGMA user_version");
    const int64_t tables = query_int("SELECT count(*) FROM sqlite_schema");
    if (app != kApplicationId && (tables > 0 || version != 0))
      throw Error(Errc::corrupt, fmt::format("store {}: not a crmkit store (application_id {})", path, app));
    if (version > kFormatVersion)
      throw Error(Errc::version,
                  fmt::format("store {}: format version {} is newer than this crmkit supports ({})", path, version, kFormatVersion));
    if (version < 0 || (version == 0 && tables > 0))
      throw Error(Errc::corrupt, fmt::format("store {}: tables but format version {}", path, version));
    return version;
  }

  void configure(Durability durability) {
    exec("PRAGMA journal_mode=WAL");
    switch (durability) {
      case Durability::full: exec("PRAGMA synchronous=FULL"); break;
      case Durability::normal: exec("PRAGMA synchronous=NORMAL"); break;
      case Durability::off: exec("PRAGMA synchronous=OFF"); break;
    }
  }

  void create_schema() {
    in_transaction([&] {
      exec(events_table_sql("events"));
      exec(
          "CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, format INTEGER NOT NULL, "
          "checksum INTEGER NOT NULL, size INTEGER NOT NULL, body BLOB NOT NULL)");
      exec(fmt::format("PRAGMA application_id={}; PRAGMA user_version={}", kApplicationId, kFormatVersion));
    });
  }

  /// Format 1 -> 2 in one transaction: ids split from the "case/" prefix, kinds numbered,
  /// checksums computed. Error(corrupt) when a row does not fit; the file is unchanged then.
  void upgrade_from_v1() {
    in_transaction([&] {
      Statement old = select_v1_rows();
      exec(events_table_sql("events_v2"));
      {
        Statement ins(db, insert_row_sql("events_v2"));
        for (int rc; (rc = sqlite3_step(old.get())) != SQLITE_DONE;) {
          if (rc != SQLITE_ROW) fail(errc_of(rc), "cannot read the format-1 journal");
          ResetOnExit reset{ins.get()};
          bind_row(ins.get(), sqlite3_column_int64(old.get(), 0), read_v1_row(old.get(), path));
          if (int irc = sqlite3_step(ins.get()); irc != SQLITE_DONE) fail(irc == SQLITE_CONSTRAINT ? Errc::corrupt : errc_of(irc), "cannot upgrade a record");
        }
      }
      old = Statement();  // DROP TABLE needs no statement reading it
      exec("DROP TABLE events");
      exec("ALTER TABLE events_v2 RENAME TO events");
      resum_v1_snapshots();
      exec(fmt::format("PRAGMA user_version={}", kFormatVersion));
    });
  }

  /// Format 1 summed snapshots with CRC-32, format 2 with CRC-32C: a snapshot whose old sum
  /// verifies gets the new one; one that did not verify keeps its sum and stays detected.
  void resum_v1_snapshots() {
    Statement q(db, "SELECT seq, checksum, body FROM snapshots");
    Statement upd(db, "UPDATE snapshots SET checksum = ?2 WHERE seq = ?1");
    for (int rc; (rc = sqlite3_step(q.get())) != SQLITE_DONE;) {
      if (rc != SQLITE_ROW) fail(errc_of(rc), "cannot read the format-1 snapshots");
      const void* body = sqlite3_column_blob(q.get(), 2);
      const std::string_view bytes(static_cast<const char*>(body ? body : ""), static_cast<size_t>(sqlite3_column_bytes(q.get(), 2)));
      boost::crc_32_type legacy;
      legacy.process_bytes(bytes.data(), bytes.size());
      if (legacy.checksum() != static_cast<uint32_t>(sqlite3_column_int64(q.get(), 1))) continue;
      ResetOnExit reset{upd.get()};
      sqlite3_bind_int64(upd.get(), 1, sqlite3_column_int64(q.get(), 0));
      sqlite3_bind_int64(upd.get(), 2, crc32(bytes));
      if (int urc = sqlite3_step(upd.get()); urc != SQLITE_DONE) fail(errc_of(urc), "cannot re-sum a format-1 snapshot");
    }
  }

  Statement select_v1_rows() {
    try {
      return Statement(db, "SELECT seq, kind, event_id, case_id, body FROM events ORDER BY seq");
    } catch (const Error& e) {
      throw Error(Errc::corrupt, fmt::format("store {}: format 1 but not its journal table: {}", path, e.what()));
    }
  }

  void prepare() {
    insert_row = Statement(db, insert_row_sql("events"));
    find_event = Statement(db, "SELECT 1 FROM events WHERE case_id = ?1 AND event_id = ?2");
    scan_rows = Statement(db, fmt::format("SELECT {} FROM events WHERE seq > ?1 ORDER BY seq", kRowColumns));
    last_row = Statement(db, fmt::format("SELECT {} FROM events ORDER BY seq DESC LIMIT 1", kRowColumns));
  }

  void refuse_invalid(const Record& r) const {
    if (r.kind != RecordKind::event && r.kind != RecordKind::sweep)
      throw Error(Errc::invalid_argument, fmt::format("store {}: unknown record kind {}", path, static_cast<int>(r.kind)));
    if (auto shape = shape_problem(r.kind, r.case_id, r.event_id); !shape.empty())
      throw Error(Errc::invalid_argument, fmt::format("store {}: the record {}", path, shape));
  }

  void insert(int64_t seq, const Record& r) {
    sqlite3_stmt* st = insert_row.get();
    ResetOnExit reset{st};
    bind_row(st, seq, r);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
      throw Error(Errc::conflict,
                  fmt::format("store {}: event '{}' of case '{}' is already in the journal", path, r.event_id, r.case_id));
    if (rc != SQLITE_DONE) fail(errc_of(rc), "cannot append a record");
  }

  /// Steps a statement of kRowColumns once: true with e filled (problem set when it does not
  /// verify), false when done. Error(corrupt/io) when SQLite cannot read.
  bool next_row(sqlite3_stmt* st, Entry& e, std::string& problem) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) fail(errc_of(rc), "cannot read the journal");
    problem = read_row(st, e);
    return true;
  }

  void check_integrity(CheckReport& r) {
    Statement q(db, "PRAGMA integrity_check");
    ProblemList sqlite_problems(r.problems, "SQLite integrity problems");
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
      if (std::string line = column_text(q.get(), 0); line != "ok") sqlite_problems.add("sqlite: " + line);
    if (rc != SQLITE_DONE) sqlite_problems.add(fmt::format("sqlite: integrity check failed: {}", sqlite3_errmsg(db)));
  }

  /// Every record verified, in seq order; seq contiguity from 1; the end.
  void check_journal(CheckReport& r) {
    Statement q(db, fmt::format("SELECT {} FROM events ORDER BY seq", kRowColumns));
    ProblemList bad(r.problems, "records that do not verify"), gaps(r.problems, "gaps in the seq numbers");
    Entry e;
    std::string problem;
    int64_t expected = 1;
    try {
      while (next_row(q.get(), e, problem)) {
        ++r.events;
        if (!problem.empty()) bad.add("journal: " + problem);
        if (e.seq != expected)
          gaps.add(fmt::format("journal: record {} follows record {} (seq numbers must run 1, 2, 3, ...)", e.seq, expected - 1));
        expected = e.seq + 1;
        r.end = {e.seq, e.kind, e.case_id, e.event_id};
      }
    } catch (const Error& err) {
      r.problems.push_back(fmt::format("journal: unreadable after {} records: {}", r.events, err.what()));
    }
    r.bad_records = static_cast<int64_t>(bad.count());
    r.last_seq = r.end.seq;
  }

  void check_event_json(CheckReport& r) {
    Statement q(db, fmt::format("SELECT seq FROM events WHERE kind = {} AND (length(body) = 0 OR json_valid(body) = 0) ORDER BY seq",
                                static_cast<int>(RecordKind::event)));
    ProblemList invalid(r.problems, "events with an empty or invalid JSON body");
    while (sqlite3_step(q.get()) == SQLITE_ROW)
      invalid.add(fmt::format("journal: record {} has an empty or invalid JSON body", sqlite3_column_int64(q.get(), 0)));
  }

  void check_snapshots(CheckReport& r) {
    Statement q(db, "SELECT seq, checksum, size, body FROM snapshots ORDER BY seq");
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      ++r.snapshots;
      const int64_t seq = sqlite3_column_int64(q.get(), 0);
      const void* body = sqlite3_column_blob(q.get(), 3);
      std::string_view bytes(static_cast<const char*>(body ? body : ""), static_cast<size_t>(sqlite3_column_bytes(q.get(), 3)));
      if (static_cast<int64_t>(bytes.size()) != sqlite3_column_int64(q.get(), 2) ||
          crc32(bytes) != static_cast<uint32_t>(sqlite3_column_int64(q.get(), 1))) {
        ++r.bad_snapshots;
        r.problems.push_back(fmt::format("snapshot at seq {}: checksum or size mismatch", seq));
      } else if (seq > r.end.seq) {
        ++r.bad_snapshots;  // the journal lost records the snapshot had seen
        r.problems.push_back(fmt::format("snapshot at seq {} is past the journal end (seq {})", seq, r.end.seq));
      }
    }
    if (rc != SQLITE_DONE) r.problems.push_back(fmt::format("snapshots unreadable: {}", sqlite3_errmsg(db)));
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::open(const std::string& path, const Options& options) {
  if (path.empty()) throw Error(Errc::invalid_argument, "store: empty path");
  // A host that saw records expects a file: creating an empty one would hide the loss.
  const bool create = options.create && options.expect_seq.value_or(0) <= 0;
  auto impl = std::make_unique<Impl>();
  impl->path = resolve_path(path, create);
  impl->lock = FileLock::acquire(impl->path, create);
  impl->open_database();
  const int64_t version = impl->read_format();  // before anything writes
  impl->configure(options.durability);
  if (version == 0) impl->create_schema();
  else if (version == 1) impl->upgrade_from_v1();
  impl->prepare();
  impl->last_seq = impl->query_int("SELECT coalesce(max(seq), 0) FROM events");
  if (options.expect_seq && impl->last_seq < *options.expect_seq)
    throw Error(Errc::corrupt, fmt::format("store {}: journal ends at seq {} but the host last saw seq {}: the last commits were lost",
                                           impl->path, impl->last_seq, *options.expect_seq));
  return Store(std::move(impl));
}

int64_t Store::append(std::span<const Record> records) {
  Impl& s = *impl_;
  if (records.empty()) return s.last_seq;
  for (const Record& r : records) s.refuse_invalid(r);
  int64_t seq = s.last_seq;
  s.in_transaction([&] {
    for (const Record& r : records) s.insert(++seq, r);
  });
  s.last_seq = seq;
  return seq;
}

bool Store::contains_event(std::string_view case_id, std::string_view event_id) const {
  sqlite3_stmt* st = impl_->find_event.get();
  ResetOnExit reset{st};
  bind_text(st, 1, case_id);
  bind_text(st, 2, event_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  impl_->fail(errc_of(rc), "cannot look up event");
}

int64_t Store::last_seq() const { return impl_->last_seq; }
int64_t Store::event_count() const { return impl_->query_int("SELECT count(*) FROM events"); }
const std::string& Store::path() const { return impl_->path; }

JournalEnd Store::end() const {
  sqlite3_stmt* st = impl_->last_row.get();
  ResetOnExit reset{st};
  Entry e;
  std::string problem;
  if (!impl_->next_row(st, e, problem)) return {};
  if (!problem.empty()) throw Error(Errc::corrupt, fmt::format("store {}: {}", impl_->path, problem));
  return {e.seq, e.kind, std::move(e.case_id), std::move(e.event_id)};
}

void Store::scan(int64_t after_seq, const std::function<void(const Entry&)>& f) const {
  sqlite3_stmt* st = impl_->scan_rows.get();
  ResetOnExit reset{st};
  sqlite3_bind_int64(st, 1, after_seq);
  int64_t expected = std::max<int64_t>(after_seq, 0) + 1;
  Entry e;
  std::string problem;
  while (impl_->next_row(st, e, problem)) {
    if (!problem.empty()) throw Error(Errc::corrupt, fmt::format("store {}: {}", impl_->path, problem));
    if (e.seq != expected)
      throw Error(Errc::corrupt, fmt::format("store {}: journal record {} follows record {}: records are missing",
                                             impl_->path, e.seq, expected - 1));
    ++expected;
    f(e);
  }
}

void Store::put_snapshot(int64_t seq, uint32_t format, std::string_view bytes, int keep) {
  Impl& s = *impl_;
  if (seq < 0 || seq > s.last_seq)
    throw Error(Errc::invalid_argument, fmt::format("snapshot seq {} is past the journal end {}", seq, s.last_seq));
  if (keep < 1) throw Error(Errc::invalid_argument, "keep must be >= 1");
  s.in_transaction([&] {
    Statement ins(s.db, "INSERT OR REPLACE INTO snapshots(seq, format, checksum, size, body) VALUES(?1, ?2, ?3, ?4, ?5)");
    sqlite3_bind_int64(ins.get(), 1, seq);
    sqlite3_bind_int64(ins.get(), 2, format);
    sqlite3_bind_int64(ins.get(), 3, crc32(bytes));
    sqlite3_bind_int64(ins.get(), 4, static_cast<int64_t>(bytes.size()));
    sqlite3_bind_blob64(ins.get(), 5, bytes.data(), bytes.size(), SQLITE_STATIC);
    if (sqlite3_step(ins.get()) != SQLITE_DONE) s.fail(Errc::io, "cannot write snapshot");
    Statement prune(s.db, "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?1)");
    sqlite3_bind_int(prune.get(), 1, keep);
    if (sqlite3_step(prune.get()) != SQLITE_DONE) s.fail(Errc::io, "cannot prune snapshots");
  });
}

std::optional<Snapshot> Store::latest_snapshot(uint32_t max_format, std::vector<std::string>* warnings) const {
  Statement q(impl_->db, "SELECT seq, format, checksum, size, body FROM snapshots ORDER BY seq DESC");
  for (;;) {
    int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) {
      if (warnings) warnings->push_back(fmt::format("snapshots unreadable: {}", sqlite3_errmsg(impl_->db)));
      return std::nullopt;
    }
    Snapshot snap;
    snap.seq = sqlite3_column_int64(q.get(), 0);
    snap.format = static_cast<uint32_t>(sqlite3_column_int64(q.get(), 1));
    const auto checksum = static_cast<uint32_t>(sqlite3_column_int64(q.get(), 2));
    const int64_t size = sqlite3_column_int64(q.get(), 3);
    const void* body = sqlite3_column_blob(q.get(), 4);
    const int bytes = sqlite3_column_bytes(q.get(), 4);
    snap.bytes.assign(static_cast<const char*>(body ? body : ""), static_cast<size_t>(bytes));
    if (snap.format > max_format) {
      if (warnings) warnings->push_back(fmt::format("snapshot at seq {} has format {} (newer than {}); skipped", snap.seq, snap.format, max_format));
      continue;
    }
    if (size != bytes || crc32(snap.bytes) != checksum || snap.seq > impl_->last_seq) {
      if (warnings)
        warnings->push_back(fmt::format("snapshot at seq {} is corrupt or truncated (size {} of {}, checksum {}); skipped",
                                        snap.seq, bytes, size, crc32(snap.bytes) == checksum ? "ok" : "mismatch"));
      continue;
    }
    return snap;
  }
}

CheckReport Store::check() const {
  CheckReport r;
  impl_->check_integrity(r);
  impl_->check_journal(r);
  impl_->check_event_json(r);
  impl_->check_snapshots(r);
  r.ok = r.problems.empty();
  return r;
}

}  // namespace crmkit::store
