// The engine on the durable store: recovery equals the live engine (with and without snapshots,
// with a corrupt snapshot), refusals and duplicates are not journaled, batches, locking.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crmkit/durable.hpp"
#include "crmkit/error.hpp"
#include "engine_fixture.hpp"
#include "crmkit/kpi.hpp"

using namespace crmkit;

namespace {

using testing::engine_dump;
using testing::fresh_engine;
using testing::quarter_lines;

struct TempDb {
  std::string path = (std::filesystem::temp_directory_path() / ("crmkit-durable-" + std::to_string(getpid()) + ".db")).string();
  TempDb() { clean(); }
  ~TempDb() { clean(); }
  void clean() const {
    for (const char* s : {"", "-wal", "-shm", "-lock"}) std::remove((path + s).c_str());
  }
};

store::DurableOptions fast(int64_t snapshot_every) {
  store::DurableOptions o;
  o.durability = store::Durability::off;  // the crash test covers full durability
  o.snapshot_every = snapshot_every;
  return o;
}

}  // namespace

TEST_CASE("Recovery gives the engine that was running, with or without snapshots") {
  const auto lines = quarter_lines();
  for (int64_t every : {0, 4000}) {
    TempDb db;
    std::string live;
    {
      auto d = store::DurableEngine::open(db.path, fresh_engine, fast(every));
      for (size_t i = 0; i < 9000; ++i) d.apply_json(lines[i]);
      d.sweep(workflow::parse_event(lines[8999]).at + Duration::minutes(1));
      std::vector<std::string_view> batch(lines.begin() + 9000, lines.end());
      auto r = d.apply_batch(batch);
      CHECK(r.rejected.empty());
      CHECK(r.applied == lines.size() - 9000);
      live = engine_dump(d.engine());
    }
    auto d = store::DurableEngine::open(db.path, fresh_engine, fast(every));
    CHECK(d.recovery().used_snapshot == (every > 0));
    if (every > 0) CHECK(d.recovery().replayed < d.journal_position());  // only the tail after the snapshot
    else CHECK(d.recovery().replayed == d.journal_position());
    CHECK((engine_dump(d.engine()) == live));
    // ... and it keeps going from there.
    CHECK(d.apply_json(lines[5]).duplicate);
  }
}

TEST_CASE("Refused and duplicate events are not journaled; a corrupt snapshot falls back to the journal") {
  TempDb db;
  const auto lines = quarter_lines();
  std::string live;
  {
    auto d = store::DurableEngine::open(db.path, fresh_engine, fast(0));
    for (size_t i = 0; i < 300; ++i) d.apply_json(lines[i]);
    const int64_t pos = d.journal_position();
    CHECK(d.apply_json(lines[10]).duplicate);
    const std::string at = format_utc(workflow::parse_event(lines[299]).at);
    CHECK_THROWS_AS(d.apply_json(R"({"id":"x","case":"nope","type":"acknowledge","at":")" + at + R"(","actor":"u","role":"agent"})"), Error);
    CHECK_THROWS_AS(d.apply_json("{not json"), Error);
    CHECK(d.journal_position() == pos);
    d.snapshot();
    for (size_t i = 300; i < 400; ++i) d.apply_json(lines[i]);
    live = engine_dump(d.engine());
  }
  {  // Damage the snapshot behind the store's back.
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.path.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "UPDATE snapshots SET body = substr(body, 1, length(body) / 2)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  auto d = store::DurableEngine::open(db.path, fresh_engine, fast(0));
  CHECK_FALSE(d.recovery().used_snapshot);
  REQUIRE_FALSE(d.recovery().warnings.empty());
  CHECK(d.recovery().warnings[0].find("corrupt or truncated") != std::string::npos);
  CHECK((engine_dump(d.engine()) == live));
  // A second engine on the same file is refused.
  try {
    (void)store::DurableEngine::open(db.path, fresh_engine, fast(0));
    FAIL("second open succeeded");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::locked);
  }
}
