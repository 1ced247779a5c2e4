// The SQLite journal and snapshot store: append/scan, idempotency conflicts, (case, id) keys,
// row checksums, locking by file identity, the journal end and expect_seq, versions and the
// format-1 upgrade, corrupt snapshots, check().
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "crmkit/error.hpp"
#include "test_support.hpp"
#include "common/crc32c.hpp"
#include "crmkit/store.hpp"

using namespace crmkit;
using namespace crmkit::store;

namespace {

using testing::code_of;
using testing::error_of;
namespace fs = std::filesystem;

struct TempDb {
  std::string path;
  TempDb() {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() / ("crmkit-store-test-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".db")).string();
    clean();
  }
  ~TempDb() { clean(); }
  void clean() const {
    for (const char* suffix : {"", "-wal", "-shm", ".link", ".link-wal", ".link-shm", ".hard", ".hard-wal", ".hard-shm"})
      std::remove((path + suffix).c_str());
  }
};

void raw_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) FAIL(msg);
  sqlite3_close(db);
}

int64_t raw_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<Entry> entries(const Store& s) {
  std::vector<Entry> out;
  s.scan(0, [&](const Entry& e) { out.push_back(e); });
  return out;
}

/// The row checksum as store.hpp's format documents it, computed independently of the store:
/// CRC-32 of seq (8 bytes LE), kind (1 byte), then case, id and body each with a 4-byte LE length.
uint32_t documented_checksum(int64_t seq, int kind, const std::string& case_id, const std::string& event_id, const std::string& body) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>(static_cast<uint64_t>(seq) >> (8 * i));
  bytes += static_cast<char>(kind);
  for (const std::string* field : {&case_id, &event_id, &body}) {
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>(field->size() >> (8 * i));
    bytes += *field;
  }
  // CRC-32C as Boost defines it (RFC 3720 parameters), independently of the store's own path.
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

}  // namespace

TEST_CASE("Append, scan and reopen keep every event in order") {
  TempDb db;
  {
    auto s = Store::open(db.path, {Durability::off});
    CHECK(s.last_seq() == 0);
    Record batch[] = {{"e-1", "C-1", R"({"id":"e-1"})"}, {"e-2", "C-1", R"({"id":"e-2"})"}, {"e-3", "C-2", R"({"id":"e-3"})"}};
    CHECK(s.append(batch) == 3);
    CHECK(s.append(Record{"e-4", "C-2", R"({"id":"e-4"})"}) == 4);
    CHECK(s.contains_event("C-1", "e-2"));
    CHECK_FALSE(s.contains_event("C-2", "e-2"));
    CHECK_FALSE(s.contains_event("C-1", "e-9"));
  }
  auto s = Store::open(db.path);
  CHECK(s.last_seq() == 4);
  CHECK(s.event_count() == 4);
  std::vector<std::string> ids;
  s.scan(1, [&](const Entry& e) { ids.push_back(e.event_id + "@" + e.case_id + "#" + std::to_string(e.seq)); });
  CHECK(ids == std::vector<std::string>{"e-2@C-1#2", "e-3@C-2#3", "e-4@C-2#4"});
  CHECK(s.check().ok);
}

TEST_CASE("A duplicate event id appends nothing from its batch") {
  TempDb db;
  auto s = Store::open(db.path, {Durability::off});
  s.append(Record{"e-1", "C-1", "{}"});
  Record batch[] = {{"e-2", "C-1", "{}"}, {"e-1", "C-1", "{}"}};
  CHECK(code_of([&] { s.append(batch); }) == Errc::conflict);
  CHECK(s.last_seq() == 1);
  CHECK_FALSE(s.contains_event("C-1", "e-2"));
  CHECK(s.append(Record{"e-2", "C-1", "{}"}) == 2);
  CHECK(s.append(Record{"e-1", "C-2", "{}"}) == 3);  // ids are unique within a case, not across cases
}

TEST_CASE("A second engine on the same file gets 'locked' and changes nothing") {
  TempDb db;
  auto first = Store::open(db.path, {Durability::off});
  first.append(Record{"e-1", "C-1", "{}"});
  CHECK(code_of([&] { Store::open(db.path); }) == Errc::locked);
  first.append(Record{"e-2", "C-1", "{}"});  // the failed open did not disturb the holder
  CHECK(first.last_seq() == 2);
  {
    Store moved = std::move(first);
    CHECK(moved.last_seq() == 2);
  }
  CHECK(Store::open(db.path).last_seq() == 2);  // released on close
}

TEST_CASE("Newer formats and foreign files are refused") {
  TempDb db;
  { Store::open(db.path, {Durability::off}); }
  raw_sql(db.path, "PRAGMA user_version=99");
  CHECK(code_of([&] { Store::open(db.path); }) == Errc::version);

  TempDb other;
  raw_sql(other.path, "CREATE TABLE t(x)");
  CHECK(code_of([&] { Store::open(other.path); }) == Errc::corrupt);

  TempDb junk;
  {
    std::ofstream out(junk.path, std::ios::binary);
    out << std::string(4096, 'x');
  }
  CHECK(code_of([&] { Store::open(junk.path); }) == Errc::corrupt);

  TempDb missing;
  CHECK(code_of([&] { Store::open(missing.path, {Durability::full, false}); }) == Errc::not_found);
  CHECK(code_of([&] { (void)parse_durability("sometimes"); }) == Errc::invalid_argument);
}

TEST_CASE("Snapshots: newest valid one wins, corrupt ones are skipped with a warning") {
  TempDb db;
  auto s = Store::open(db.path, {Durability::off});
  for (int i = 1; i <= 10; ++i) s.append(Record{"e-" + std::to_string(i), "C", "{}"});
  s.put_snapshot(5, 1, "state-after-5", 3);
  s.put_snapshot(10, 1, "state-after-10", 3);
  auto snap = s.latest_snapshot(1);
  REQUIRE(snap);
  CHECK(snap->seq == 10);
  CHECK(snap->bytes == "state-after-10");
  CHECK(code_of([&] { s.put_snapshot(11, 1, "x"); }) == Errc::invalid_argument);

  // Flip the newest snapshot's bytes behind the store's back.
  raw_sql(db.path, "UPDATE snapshots SET body = CAST('state-after-1X' AS BLOB) WHERE seq = 10");
  std::vector<std::string> warnings;
  snap = s.latest_snapshot(1, &warnings);
  REQUIRE(snap);
  CHECK(snap->seq == 5);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("seq 10") != std::string::npos);
  auto report = s.check();
  CHECK_FALSE(report.ok);
  CHECK(report.bad_snapshots == 1);

  // A newer snapshot format is skipped too; keep prunes old ones.
  s.put_snapshot(10, 2, "future", 1);
  warnings.clear();
  CHECK_FALSE(s.latest_snapshot(1, &warnings));
  CHECK(warnings.size() == 1);
  CHECK(s.check().snapshots == 1);
}

TEST_CASE("Events are keyed by (case, id): ids with slashes do not collide") {
  TempDb db;
  auto s = Store::open(db.path, {Durability::off});
  s.append(Record{"x", "A/B", "{}"});
  CHECK(s.append(Record{"B/x", "A", "{}"}) == 2);  // was the same "A/B/x" key in format 1
  CHECK(s.contains_event("A/B", "x"));
  CHECK(s.contains_event("A", "B/x"));
  CHECK_FALSE(s.contains_event("A", "x"));
  CHECK(code_of([&] { s.append(Record{"B/x", "A", "{}"}); }) == Errc::conflict);
  const auto all = entries(s);
  REQUIRE(all.size() == 2);
  CHECK((all[1] == Entry{2, RecordKind::event, "B/x", "A", "{}"}));
}

TEST_CASE("Malformed records are refused before anything is appended") {
  TempDb db;
  auto s = Store::open(db.path, {Durability::off});
  Record no_case[] = {{"e-1", "C", "{}"}, {"e-2", "", "{}"}};
  CHECK(code_of([&] { s.append(no_case); }) == Errc::invalid_argument);
  CHECK(code_of([&] { s.append(Record{"", "C", "{}"}); }) == Errc::invalid_argument);
  CHECK(code_of([&] { s.append(Record{"e-1", "C", "1700000000", RecordKind::sweep}); }) == Errc::invalid_argument);
  CHECK(code_of([&] { s.append(Record{"e-1", "C", "{}", static_cast<RecordKind>(7)}); }) == Errc::invalid_argument);
  CHECK(s.last_seq() == 0);
  CHECK(s.append(Record{{}, {}, "1700000000", RecordKind::sweep}) == 1);
  CHECK(entries(s).at(0).kind == RecordKind::sweep);
}

TEST_CASE("Every row carries the documented checksum over all its fields") {
  TempDb db;
  {
    auto s = Store::open(db.path, {Durability::off});
    s.append(Record{"e-1", "C-1", R"({"id":"e-1"})"});
    s.append(Record{{}, {}, "1700000000", RecordKind::sweep});
  }
  CHECK(raw_int(db.path, "SELECT checksum FROM events WHERE seq = 1") == documented_checksum(1, 1, "C-1", "e-1", R"({"id":"e-1"})"));
  CHECK(raw_int(db.path, "SELECT checksum FROM events WHERE seq = 2") == documented_checksum(2, 2, "", "", "1700000000"));
  CHECK(raw_int(db.path, "SELECT typeof(kind) = 'integer' FROM events WHERE seq = 2") == 1);
  CHECK(raw_int(db.path, "PRAGMA user_version") == kFormatVersion);
}

TEST_CASE("A row edited behind the store's back fails scan and check, whichever field changed") {
  const char* edits[] = {
      "UPDATE events SET body = '{\"id\":\"e-3\",\"x\":2}' WHERE seq = 3",
      "UPDATE events SET case_id = 'C-9' WHERE seq = 3",
      "UPDATE events SET event_id = 'e-9' WHERE seq = 3",
      "UPDATE events SET kind = 2, case_id = NULL, event_id = NULL WHERE seq = 3",
      "UPDATE events SET body = CAST(body AS BLOB) WHERE seq = 3",  // same bytes, another type
  };
  for (const std::string edit : edits) {
    CAPTURE(edit);
    TempDb db;
    {
      auto s = Store::open(db.path, {Durability::off});
      for (int i = 1; i <= 5; ++i) s.append(Record{"e-" + std::to_string(i), "C-1", R"({"id":"e-)" + std::to_string(i) + R"("})"});
    }
    raw_sql(db.path, edit.c_str());
    auto s = Store::open(db.path);
    int seen = 0;
    const std::string what = error_of([&] { s.scan(0, [&](const Entry&) { ++seen; }); });
    CHECK(what.find("journal record 3") != std::string::npos);
    CHECK(seen == 2);  // the records before it were delivered, nothing after
    CHECK(code_of([&] { s.scan(0, [](const Entry&) {}); }) == Errc::corrupt);
    CHECK(code_of([&] { s.scan(3, [](const Entry&) {}); }) == Errc::ok);  // the tail after it verifies
    auto r = s.check();
    CHECK_FALSE(r.ok);
    CHECK(r.bad_records == 1);
    REQUIRE_FALSE(r.problems.empty());
    CHECK(r.problems[0].find("journal record 3") != std::string::npos);
  }
}

TEST_CASE("The checksum message names the record, its event and its case") {
  TempDb db;
  {
    auto s = Store::open(db.path, {Durability::off});
    s.append(Record{"e-1", "C-1", "{}"});
  }
  raw_sql(db.path, "UPDATE events SET body = '[]'");
  auto s = Store::open(db.path);
  const std::string what = error_of([&] { s.scan(0, [](const Entry&) {}); });
  CHECK(what.find("store " + fs::canonical(db.path).string() + ": journal record 1 (event e-1 of case C-1) fails its checksum") == 0);
  CHECK(code_of([&] { (void)s.end(); }) == Errc::corrupt);
}

TEST_CASE("check lists the first bad records and counts the rest; gaps, unknown kinds and missing ids are found") {
  TempDb db;
  {
    auto s = Store::open(db.path, {Durability::off});
    for (int i = 1; i <= 20; ++i) s.append(Record{"e-" + std::to_string(i), "C", "{}"});
  }
  raw_sql(db.path, "UPDATE events SET body = '{\"x\":1}' WHERE seq > 10");
  {
    auto r = Store::open(db.path).check();
    CHECK_FALSE(r.ok);
    CHECK(r.bad_records == 10);
    CHECK(r.events == 20);
    REQUIRE(r.problems.size() == 6);
    CHECK(r.problems[0].find("journal record 11 ") != std::string::npos);
    CHECK(r.problems[4].find("journal record 15 ") != std::string::npos);
    CHECK(r.problems[5] == "... and 5 more records that do not verify");
  }
  // Rows whose checksums are right but whose shapes are wrong (written with the documented sum).
  raw_sql(db.path, "DELETE FROM events WHERE seq > 10");
  const auto row = [](int64_t seq, int kind, const char* case_sql, const char* id_sql, const std::string& c, const std::string& id) {
    return "INSERT INTO events(seq, kind, case_id, event_id, body, checksum) VALUES(" + std::to_string(seq) + ", " +
           std::to_string(kind) + ", " + case_sql + ", " + id_sql + ", '{}', " +
           std::to_string(documented_checksum(seq, kind, c, id, "{}")) + ")";
  };
  raw_sql(db.path, row(11, 9, "'C'", "'u'", "C", "u").c_str());
  raw_sql(db.path, row(12, 1, "NULL", "'e-12'", "", "e-12").c_str());
  raw_sql(db.path, row(13, 1, "'C'", "NULL", "C", "").c_str());
  raw_sql(db.path, row(15, 1, "'C'", "'e-15'", "C", "e-15").c_str());  // 14 is missing
  auto s = Store::open(db.path);
  auto r = s.check();
  CHECK_FALSE(r.ok);
  CHECK(r.bad_records == 3);
  CHECK(r.end == JournalEnd{15, RecordKind::event, "C", "e-15"});
  std::string all;
  for (const auto& p : r.problems) all += p + "\n";
  CHECK(all.find("journal record 11 has an unknown kind 9") != std::string::npos);
  CHECK(all.find("journal record 12 (event e-12 of case ) is an event without a case or an id") != std::string::npos);
  CHECK(all.find("journal record 13 (event  of case C) is an event without a case or an id") != std::string::npos);
  CHECK(all.find("record 15 follows record 13") != std::string::npos);
  CHECK(s.end() == JournalEnd{15, RecordKind::event, "C", "e-15"});
  CHECK(code_of([&] { s.scan(0, [](const Entry&) {}); }) == Errc::corrupt);
  const std::string gap = error_of([&] { s.scan(13, [](const Entry&) {}); });
  CHECK(gap.find("journal record 15 follows record 13: records are missing") != std::string::npos);
}

TEST_CASE("The journal end, and expect_seq: a journal shorter than the host saw is refused") {
  TempDb db;
  {
    auto s = Store::open(db.path, {Durability::off});
    CHECK(s.end() == JournalEnd{});
    CHECK(s.check().end == JournalEnd{});
    s.append(Record{"e-1", "C-1", "{}"});
    s.append(Record{"e-2", "C-2", "{}"});
    CHECK(s.end() == JournalEnd{2, RecordKind::event, "C-2", "e-2"});
    s.append(Record{{}, {}, "1700000000", RecordKind::sweep});
    CHECK(s.end() == JournalEnd{3, RecordKind::sweep, "", ""});
    auto r = s.check();
    CHECK(r.ok);
    CHECK(r.last_seq == 3);
    CHECK(r.end == s.end());
  }
  Options o;
  o.expect_seq = 3;
  CHECK(Store::open(db.path, o).last_seq() == 3);
  o.expect_seq = 2;  // longer than the host saw: fine
  CHECK(Store::open(db.path, o).last_seq() == 3);
  o.expect_seq = 5;
  const std::string what = error_of([&] { Store::open(db.path, o); });
  CHECK(what.find("journal ends at seq 3 but the host last saw seq 5: the last commits were lost") != std::string::npos);
  CHECK(code_of([&] { Store::open(db.path, o); }) == Errc::corrupt);
  CHECK(Store::open(db.path).last_seq() == 3);
  TempDb missing;  // a host that saw records is not given a new empty store
  CHECK(code_of([&] { Store::open(missing.path, o); }) == Errc::not_found);
  CHECK_FALSE(fs::exists(missing.path));
}

TEST_CASE("The lock holds by file identity: symlink, hard link, same path, relative path, another process") {
  TempDb db;
  const std::string link = db.path + ".link", hard = db.path + ".hard";
  { Store::open(db.path, {Durability::off}); }
  fs::create_symlink(db.path, link);
  {
    auto s = Store::open(link, {Durability::off});  // a store opened through a symlink lives at the target
    CHECK(s.path() == fs::canonical(db.path).string());
    s.append(Record{"e-1", "C", "{}"});
    CHECK(fs::exists(db.path + "-wal"));
    CHECK_FALSE(fs::exists(link + "-wal"));
  }
  CHECK(fs::is_symlink(link));
  CHECK_FALSE(fs::exists(db.path + "-lock"));  // no side files

  auto holder = Store::open(db.path, {Durability::off});
  holder.append(Record{"e-2", "C", "{}"});
  CHECK(code_of([&] { Store::open(db.path); }) == Errc::locked);
  CHECK(code_of([&] { Store::open(link); }) == Errc::locked);
  const std::string relative = fs::relative(db.path).string();
  CHECK(code_of([&] { Store::open(relative); }) == Errc::locked);
  CHECK(code_of([&] { Store::open(fs::path(db.path).parent_path().string() + "/./" + fs::path(db.path).filename().string()); }) ==
        Errc::locked);
  holder.append(Record{"e-3", "C", "{}"});  // the refused opens did not disturb the holder's locks
  CHECK(holder.check().ok);

  // Another process: the child holds the store, this process is refused.
  int ready[2], done[2];
  REQUIRE(pipe(ready) == 0);
  REQUIRE(pipe(done) == 0);
  holder = Store::open(db.path + ".other", {Durability::off});  // releases db.path
  std::remove((db.path + ".other").c_str());
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 0;
    try {
      auto child = Store::open(db.path, {Durability::off});
      child.append(Record{"e-4", "C", "{}"});
      if (write(ready[1], "r", 1) != 1) code = 3;
      char c;
      if (read(done[0], &c, 1) != 1) code = 4;
    } catch (...) {
      code = 2;
    }
    _exit(code);
  }
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  CHECK(code_of([&] { Store::open(db.path); }) == Errc::locked);
  CHECK(error_of([&] { Store::open(link); }).find("in use by another process") != std::string::npos);
  REQUIRE(write(done[1], "d", 1) == 1);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
  CHECK(Store::open(db.path).last_seq() == 4);  // released when the child exited; its append is there

  // A hard link: refused through either name, before anything is opened or changed.
  const std::string before = file_bytes(db.path);
  fs::create_hard_link(db.path, hard);
  const std::string what = error_of([&] { Store::open(hard); });
  CHECK(what.find("hard links") != std::string::npos);
  CHECK(what.find("one name") != std::string::npos);
  CHECK(code_of([&] { Store::open(hard); }) == Errc::invalid_argument);
  CHECK(code_of([&] { Store::open(db.path); }) == Errc::invalid_argument);
  CHECK(file_bytes(db.path) == before);
  CHECK_FALSE(fs::exists(hard + "-wal"));
  std::remove(hard.c_str());
  CHECK(Store::open(db.path).last_seq() == 4);
}

TEST_CASE("A dangling symlink is not followed to create a store") {
  TempDb db;
  const std::string link = db.path + ".link";
  fs::create_symlink(db.path + ".nowhere", link);
  CHECK(code_of([&] { Store::open(link); }) == Errc::io);
  CHECK_FALSE(fs::exists(db.path + ".nowhere"));
}

namespace {

/// A format-1 store as crmkit 1 wrote it: kinds as letters, events keyed "case/id", no checksums.
/// Format 1 summed snapshots with CRC-32 (Boost's crc_32_type).
const std::string_view kV1SnapshotBody = "a format-1 snapshot body";
uint32_t legacy_crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

void write_v1_store(const std::string& path, const char* extra_rows = "") {
  const std::string sql = std::string(
                              "PRAGMA journal_mode=WAL;"
                              "CREATE TABLE events(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'e', "
                              "event_id TEXT UNIQUE, case_id TEXT, body TEXT NOT NULL);"
                              "CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, format INTEGER NOT NULL, "
                              "checksum INTEGER NOT NULL, size INTEGER NOT NULL, body BLOB NOT NULL);"
                              "PRAGMA application_id=1668443499; PRAGMA user_version=1;"
                              "INSERT INTO events VALUES(1, 'e', 'C-1/e-1', 'C-1', '{\"id\":\"e-1\"}');"
                              "INSERT INTO events VALUES(2, 's', NULL, NULL, '1700000000');"
                              "INSERT INTO events VALUES(3, 'e', 'A/B/x', 'A/B', '{\"id\":\"x\"}');"
                              "INSERT INTO events VALUES(4, 'e', 'C-1/e/2', 'C-1', '{\"id\":\"e/2\"}');"
                              "INSERT INTO snapshots VALUES(4, 1, ") +
                          std::to_string(legacy_crc32(kV1SnapshotBody)) + ", " + std::to_string(kV1SnapshotBody.size()) +
                          ", CAST('" + std::string(kV1SnapshotBody) + "' AS BLOB));" + extra_rows;
  raw_sql(path, sql.c_str());
}

}  // namespace

TEST_CASE("A format-1 store is upgraded on open: ids split from their case, kinds numbered, checksums added") {
  TempDb db;
  write_v1_store(db.path);
  auto s = Store::open(db.path, {Durability::off});
  CHECK(raw_int(db.path, "PRAGMA user_version") == 2);
  const std::vector<Entry> expected = {{1, RecordKind::event, "e-1", "C-1", R"({"id":"e-1"})"},
                                       {2, RecordKind::sweep, "", "", "1700000000"},
                                       {3, RecordKind::event, "x", "A/B", R"({"id":"x"})"},
                                       {4, RecordKind::event, "e/2", "C-1", R"({"id":"e/2"})"}};
  CHECK(entries(s) == expected);
  auto r = s.check();
  CHECK_MESSAGE(r.ok, (r.problems.empty() ? "" : r.problems[0]));
  CHECK(r.snapshots == 1);
  CHECK(r.bad_snapshots == 0);  // its CRC-32 verified, and it was re-summed with CRC-32C
  CHECK(static_cast<uint32_t>(raw_int(db.path, "SELECT checksum FROM snapshots WHERE seq = 4")) ==
        crmkit::detail::Crc32c::reference(kV1SnapshotBody));
  CHECK(s.contains_event("A/B", "x"));
  CHECK(s.append(Record{"B/x", "A", "{}"}) == 5);  // collided with "A/B/x" in format 1
  CHECK(raw_int(db.path, "SELECT checksum FROM events WHERE seq = 3") == documented_checksum(3, 1, "A/B", "x", R"({"id":"x"})"));
}

TEST_CASE("A format-1 store that does not fit is refused as corrupt and left unchanged") {
  const char* misfits[] = {
      "INSERT INTO events VALUES(5, 'e', 'e-5', 'C-1', '{}');",          // key without its case prefix
      "INSERT INTO events VALUES(5, 'e', 'C-2/e-5', 'C-1', '{}');",      // another case's prefix
      "INSERT INTO events VALUES(5, 'e', 'C-1/', 'C-1', '{}');",         // no id after the case
      "INSERT INTO events VALUES(5, 'e', 'C-1/e-5', NULL, '{}');",       // no case
      "INSERT INTO events VALUES(5, 'q', 'C-1/e-5', 'C-1', '{}');",      // unknown kind
      "INSERT INTO events VALUES(5, 's', 'C-1/e-5', 'C-1', '1');",       // a sweep with an id
      "INSERT INTO events VALUES(5, 'e', 'C-1/e-5', 'C-1', X'7b7d');",   // a blob body
  };
  for (const std::string misfit : misfits) {
    CAPTURE(misfit);
    TempDb db;
    write_v1_store(db.path, misfit.c_str());
    const std::string before = file_bytes(db.path);
    REQUIRE_FALSE(fs::exists(db.path + "-wal"));
    const std::string what = error_of([&] { Store::open(db.path); });
    CHECK(what.find("record 5") != std::string::npos);
    CHECK(code_of([&] { Store::open(db.path); }) == Errc::corrupt);
    CHECK(file_bytes(db.path) == before);
    CHECK(raw_int(db.path, "PRAGMA user_version") == 1);
  }
  TempDb wrong;
  raw_sql(wrong.path, "CREATE TABLE events(seq INTEGER PRIMARY KEY); PRAGMA application_id=1668443499; PRAGMA user_version=1;");
  CHECK(code_of([&] { Store::open(wrong.path); }) == Errc::corrupt);
  TempDb unversioned;
  raw_sql(unversioned.path, "CREATE TABLE events(seq INTEGER PRIMARY KEY); PRAGMA application_id=1668443499;");
  CHECK(code_of([&] { Store::open(unversioned.path); }) == Errc::corrupt);
}
