// The SQLite journal and snapshot store: append/scan, idempotency conflicts, locking, versions,
// corrupt snapshots, check().
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "crmkit/error.hpp"
#include "test_support.hpp"
#include "crmkit/store.hpp"

using namespace crmkit;
using namespace crmkit::store;

namespace {

using testing::code_of;

struct TempDb {
  std::string path;
  TempDb() {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() / ("crmkit-store-test-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".db")).string();
    clean();
  }
  ~TempDb() { clean(); }
  void clean() const {
    for (const char* suffix : {"", "-wal", "-shm", "-lock"}) std::remove((path + suffix).c_str());
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

}  // namespace

TEST_CASE("Append, scan and reopen keep every event in order") {
  TempDb db;
  {
    auto s = Store::open(db.path, {Durability::off});
    CHECK(s.last_seq() == 0);
    Record batch[] = {{"e-1", "C-1", R"({"id":"e-1"})"}, {"e-2", "C-1", R"({"id":"e-2"})"}, {"e-3", "C-2", R"({"id":"e-3"})"}};
    CHECK(s.append(batch) == 3);
    CHECK(s.append(Record{"e-4", "C-2", R"({"id":"e-4"})"}) == 4);
    CHECK(s.contains_event("e-2"));
    CHECK_FALSE(s.contains_event("e-9"));
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
  CHECK_FALSE(s.contains_event("e-2"));
  CHECK(s.append(Record{"e-2", "C-1", "{}"}) == 2);
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
