// The SQLite event journal and snapshot store.
#include "crmkit/store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstring>

#include "crmkit/error.hpp"

namespace crmkit::store {
namespace {

constexpr int kApplicationId = 0x63726d6b;  // "crmk"

uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

/// A prepared statement, reset after each use.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw Error(Errc::io, fmt::format("store: cannot prepare statement: {}", sqlite3_errmsg(db)));
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

void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

}  // namespace

Durability parse_durability(std::string_view text) {
  if (text == "full") return Durability::full;
  if (text == "normal") return Durability::normal;
  if (text == "off") return Durability::off;
  throw Error(Errc::invalid_argument, fmt::format("durability must be full, normal or off, got '{}'", text));
}

struct Store::Impl {
  std::string path;
  sqlite3* db = nullptr;
  int lock_fd = -1;
  int64_t last_seq = 0;
  Statement insert_event, find_event, scan_events;

  ~Impl() {
    insert_event = Statement();
    find_event = Statement();
    scan_events = Statement();
    if (db) sqlite3_close_v2(db);
    if (lock_fd >= 0) close(lock_fd);  // releases the flock
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
      Errc code = (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) ? Errc::corrupt
                  : (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? Errc::locked
                                                               : Errc::io;
      throw Error(code, fmt::format("store {}: {}: {}", path, sql, m));
    }
  }

  int64_t query_int(const char* sql) {
    Statement s(db, sql);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return sqlite3_column_int64(s.get(), 0);
    if (rc == SQLITE_DONE) return 0;
    fail(rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? Errc::corrupt : Errc::io, sql);
  }

  void rollback() noexcept { sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr); }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::open(const std::string& path, const Options& options) {
  if (path.empty()) throw Error(Errc::invalid_argument, "store: empty path");
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && !options.create) throw Error(Errc::not_found, fmt::format("store {}: no such file", path));
  if (exists && !S_ISREG(st.st_mode)) throw Error(Errc::io, fmt::format("store {}: not a regular file", path));

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  // The lock lives on a side file: closing an fd on the database itself would drop SQLite's own
  // POSIX locks in this process.
  const std::string lock_path = path + "-lock";
  impl->lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0) throw Error(Errc::io, fmt::format("store {}: cannot open {}: {}", path, lock_path, std::strerror(errno)));
  if (::flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      throw Error(Errc::locked, fmt::format("store {}: in use by another engine (lock {})", path, lock_path));
    throw Error(Errc::io, fmt::format("store {}: cannot lock {}: {}", path, lock_path, std::strerror(errno)));
  }

  int rc = sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) impl->fail(Errc::io, "cannot open");
  sqlite3_extended_result_codes(impl->db, 0);

  const int64_t app = impl->query_int("PRAGMA application_id");
  const int64_t version = impl->query_int("PRAGMA user_version");
  const int64_t tables = impl->query_int("SELECT count(*) FROM sqlite_schema");
  if (app != kApplicationId && (tables > 0 || version != 0))
    throw Error(Errc::corrupt, fmt::format("store {}: not a crmkit store (application_id {})", path, app));
  if (version > kFormatVersion)
    throw Error(Errc::version,
                fmt::format("store {}: format version {} is newer than this crmkit supports ({})", path, version, kFormatVersion));

  impl->exec("PRAGMA journal_mode=WAL");
  switch (options.durability) {
    case Durability::full: impl->exec("PRAGMA synchronous=FULL"); break;
    case Durability::normal: impl->exec("PRAGMA synchronous=NORMAL"); break;
    case Durability::off: impl->exec("PRAGMA synchronous=OFF"); break;
  }
  if (version == 0) {
    impl->exec("BEGIN IMMEDIATE");
    try {
      impl->exec(
          "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'e', "
          "event_id TEXT UNIQUE, case_id TEXT, body TEXT NOT NULL);"
          "CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY, format INTEGER NOT NULL, "
          "checksum INTEGER NOT NULL, size INTEGER NOT NULL, body BLOB NOT NULL);"
          "PRAGMA application_id=1668443499;"
          "PRAGMA user_version=1;");
      impl->exec("COMMIT");
    } catch (...) {
      impl->rollback();
      throw;
    }
  }
  impl->insert_event = Statement(impl->db, "INSERT INTO events(seq, kind, event_id, case_id, body) VALUES(?1, ?5, ?2, ?3, ?4)");
  impl->find_event = Statement(impl->db, "SELECT 1 FROM events WHERE event_id = ?1");
  impl->scan_events = Statement(impl->db, "SELECT seq, event_id, case_id, body, kind FROM events WHERE seq > ?1 ORDER BY seq");
  impl->last_seq = impl->query_int("SELECT coalesce(max(seq), 0) FROM events");
  return Store(std::move(impl));
}

int64_t Store::append(std::span<const Record> records) {
  Impl& s = *impl_;
  if (records.empty()) return s.last_seq;
  s.exec("BEGIN IMMEDIATE");
  int64_t seq = s.last_seq;
  try {
    sqlite3_stmt* st = s.insert_event.get();
    for (const Record& r : records) {
      ResetOnExit reset{st};
      if (r.kind != 'e' && r.kind != 's')
        throw Error(Errc::invalid_argument, fmt::format("store {}: record kind must be 'e' or 's'", s.path));
      if (r.kind == 'e' && r.event_id.empty())
        throw Error(Errc::invalid_argument, fmt::format("store {}: an event record needs an id", s.path));
      sqlite3_bind_int64(st, 1, ++seq);
      if (r.event_id.empty()) sqlite3_bind_null(st, 2);
      else bind_text(st, 2, r.event_id);
      if (r.case_id.empty()) sqlite3_bind_null(st, 3);
      else bind_text(st, 3, r.case_id);
      bind_text(st, 4, r.json);
      bind_text(st, 5, std::string_view(&r.kind, 1));
      int rc = sqlite3_step(st);
      if (rc == SQLITE_CONSTRAINT)
        throw Error(Errc::conflict, fmt::format("store {}: event id '{}' is already in the journal", s.path, r.event_id));
      if (rc != SQLITE_DONE) s.fail(Errc::io, "cannot append event");
    }
    if (sqlite3_exec(s.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) s.fail(Errc::io, "commit failed");
  } catch (...) {
    s.rollback();
    throw;
  }
  s.last_seq = seq;
  return seq;
}

bool Store::contains_event(std::string_view event_id) const {
  sqlite3_stmt* st = impl_->find_event.get();
  ResetOnExit reset{st};
  bind_text(st, 1, event_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  impl_->fail(Errc::io, "cannot look up event");
}

int64_t Store::last_seq() const { return impl_->last_seq; }
int64_t Store::event_count() const { return impl_->query_int("SELECT count(*) FROM events"); }
const std::string& Store::path() const { return impl_->path; }

void Store::scan(int64_t after_seq, const std::function<void(const Entry&)>& f) const {
  sqlite3_stmt* st = impl_->scan_events.get();
  ResetOnExit reset{st};
  sqlite3_bind_int64(st, 1, after_seq);
  Entry e;
  for (;;) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) impl_->fail(rc == SQLITE_CORRUPT ? Errc::corrupt : Errc::io, "cannot read the journal");
    e.seq = sqlite3_column_int64(st, 0);
    e.event_id = column_text(st, 1);
    e.case_id = column_text(st, 2);
    e.json = column_text(st, 3);
    std::string kind = column_text(st, 4);
    e.kind = kind.empty() ? 'e' : kind[0];
    f(e);
  }
}

void Store::put_snapshot(int64_t seq, uint32_t format, std::string_view bytes, int keep) {
  Impl& s = *impl_;
  if (seq < 0 || seq > s.last_seq)
    throw Error(Errc::invalid_argument, fmt::format("snapshot seq {} is past the journal end {}", seq, s.last_seq));
  if (keep < 1) throw Error(Errc::invalid_argument, "keep must be >= 1");
  s.exec("BEGIN IMMEDIATE");
  try {
    Statement ins(s.db, "INSERT OR REPLACE INTO snapshots(seq, format, checksum, size, body) VALUES(?1, ?2, ?3, ?4, ?5)");
    sqlite3_bind_int64(ins.get(), 1, seq);
    sqlite3_bind_int64(ins.get(), 2, format);
    sqlite3_bind_int64(ins.get(), 3, crc32(bytes));
    sqlite3_bind_int64(ins.get(), 4, static_cast<int64_t>(bytes.size()));
    sqlite3_bind_blob64(ins.get(), 5, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    if (sqlite3_step(ins.get()) != SQLITE_DONE) s.fail(Errc::io, "cannot write snapshot");
    Statement prune(s.db, "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?1)");
    sqlite3_bind_int(prune.get(), 1, keep);
    if (sqlite3_step(prune.get()) != SQLITE_DONE) s.fail(Errc::io, "cannot prune snapshots");
    if (sqlite3_exec(s.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) s.fail(Errc::io, "commit failed");
  } catch (...) {
    s.rollback();
    throw;
  }
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
  Impl& s = *impl_;
  {
    Statement q(s.db, "PRAGMA integrity_check");
    while (sqlite3_step(q.get()) == SQLITE_ROW) {
      std::string line = column_text(q.get(), 0);
      if (line != "ok") r.problems.push_back("sqlite: " + line);
    }
  }
  r.events = s.query_int("SELECT count(*) FROM events");
  r.last_seq = s.query_int("SELECT coalesce(max(seq), 0) FROM events");
  const int64_t first = s.query_int("SELECT coalesce(min(seq), 0) FROM events");
  if (r.events > 0 && (first != 1 || r.last_seq != r.events))
    r.problems.push_back(fmt::format("journal: seq runs {}..{} with {} events (gaps)", first, r.last_seq, r.events));
  if (s.query_int("SELECT count(*) FROM events WHERE kind = 'e' AND (length(body) = 0 OR json_valid(body) = 0)") > 0)
    r.problems.push_back("journal: events with an empty or invalid JSON body");
  if (s.query_int("SELECT count(*) FROM events WHERE kind NOT IN ('e', 's') OR (kind = 'e' AND event_id IS NULL)") > 0)
    r.problems.push_back("journal: records of an unknown kind or events without an id");
  {
    Statement q(s.db, "SELECT seq, checksum, size, body FROM snapshots ORDER BY seq");
    while (sqlite3_step(q.get()) == SQLITE_ROW) {
      ++r.snapshots;
      const void* body = sqlite3_column_blob(q.get(), 3);
      std::string_view bytes(static_cast<const char*>(body ? body : ""), static_cast<size_t>(sqlite3_column_bytes(q.get(), 3)));
      if (static_cast<int64_t>(bytes.size()) != sqlite3_column_int64(q.get(), 2) ||
          crc32(bytes) != static_cast<uint32_t>(sqlite3_column_int64(q.get(), 1))) {
        ++r.bad_snapshots;
        r.problems.push_back(fmt::format("snapshot at seq {}: checksum or size mismatch", sqlite3_column_int64(q.get(), 0)));
      }
    }
  }
  r.ok = r.problems.empty();
  return r;
}

}  // namespace crmkit::store
