// One engine, in memory and on the durable store: the same calls give the same cases byte for
// byte; recovery equals the live engine; a refused call changes nothing (state, stats, journal)
// in either; the findings of the hostile review, each as a test.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "crmkit/durable.hpp"
#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "engine_fixture.hpp"
#include "test_support.hpp"

using namespace crmkit;

namespace {

using testing::TempDb;
using testing::engine_dump;
using testing::fresh_engine;
using testing::kData;
using testing::quarter_lines;


store::DurableOptions fast(int64_t snapshot_every, bool sweep_before_apply = true) {
  store::DurableOptions o;
  o.durability = store::Durability::off;  // the crash test covers full durability
  o.snapshot_every = snapshot_every;
  o.engine.sweep_before_apply = sweep_before_apply;
  return o;
}

workflow::Engine replaying_engine() {
  workflow::Engine e = fresh_engine();
  workflow::EngineOptions o;
  o.sweep_before_apply = true;
  e.set_options(o);
  return e;
}

/// Everything observable: every case with its trail, the KPIs, the counts, the journal position.
std::string observable(const workflow::Engine& e) {
  const workflow::EngineStats s = e.stats();
  return engine_dump(e) + fmt::format("\ncases {} open {} closed {} events {} clocks {} journal {}", s.cases, s.open_cases,
                                      s.closed_cases, s.events, s.clocks, e.journal_position());
}

const char* kReceive =
    R"({"id":"r-1","case":"K-1","type":"receive","at":"%AT%","actor":"u-1","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"c-1","tier":"basic"}})";

std::string receive_at(const std::string& at, const std::string& case_id = "K-1") {
  std::string s = kReceive;
  s.replace(s.find("%AT%"), 4, at);
  s.replace(s.find("K-1"), 3, case_id);
  return s;
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()))).string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("The shipped quarter gives byte-identical cases in memory and on disk, and after reopening") {
  const auto lines = quarter_lines();
  std::vector<std::string_view> views(lines.begin(), lines.end());
  workflow::Engine memory = replaying_engine();
  const workflow::BatchResult mr = memory.apply_batch(views);
  CHECK(mr.rejected.empty());
  const std::string in_memory = engine_dump(memory);
  for (int64_t every : {int64_t{0}, int64_t{4000}}) {
    TempDb db;
    {
      workflow::Engine durable = store::open_engine(db.path, fresh_engine, fast(every));
      // Half one event per call, half in batches: the same engine either way.
      for (size_t i = 0; i < lines.size() / 2; ++i) durable.apply_json(lines[i]);
      const auto r = durable.apply_batch(std::span(views).subspan(lines.size() / 2));
      CHECK(r.rejected.empty());
      CHECK(r.applied + lines.size() / 2 == mr.applied);
      CHECK((engine_dump(durable) == in_memory));
    }
    store::RecoveryReport rep;
    workflow::Engine reopened = store::open_engine(db.path, fresh_engine, fast(every), &rep);
    CHECK(rep.used_snapshot == (every > 0));
    CHECK(rep.last_seq == reopened.journal_position());
    if (every > 0) CHECK(rep.replayed < rep.last_seq);
    else CHECK(rep.replayed == rep.last_seq);
    CHECK((engine_dump(reopened) == in_memory));
    CHECK(reopened.apply_json(lines[5]).duplicate);
  }
}

TEST_CASE("Counts are kept up to date: stats equal a walk over the cases") {
  workflow::Engine e = replaying_engine();
  const auto lines = quarter_lines();
  std::vector<std::string_view> views(lines.begin(), lines.end());
  (void)e.apply_batch(views);
  (void)e.sweep(parse_instant("2026-04-30T00:00:00Z"));
  size_t open = 0, closed = 0, events = 0;
  e.for_each_case(
      [&](const workflow::Case& c) {
        (c.kind == workflow::StateKind::closed || c.kind == workflow::StateKind::terminal ? closed : open) += 1;
        events += c.events.size();
      },
      true);
  const auto s = e.stats();
  CHECK(s.cases == e.size());
  CHECK(s.open_cases == open);
  CHECK(s.closed_cases == closed);
  CHECK(s.events == events);
  // The same after a snapshot round trip.
  workflow::Engine copy = fresh_engine();
  copy.restore(e.snapshot());
  CHECK(copy.stats().open_cases == open);
  CHECK(copy.stats().events == events);
}

TEST_CASE("find() over its indexes equals a scan; due_before pages add up to the whole list") {
  workflow::Engine e = replaying_engine();
  const auto lines = quarter_lines();
  std::vector<std::string_view> views(lines.begin(), lines.end());
  (void)e.apply_batch(views);
  std::vector<workflow::Case> all;
  e.for_each_case([&](const workflow::Case& c) { all.push_back(c); });
  auto scan = [&](const std::function<bool(const workflow::Case&)>& keep) {
    std::vector<std::string> ids;
    for (const auto& c : all)
      if (keep(c)) ids.push_back(c.id);
    return ids;
  };
  workflow::Query q;
  q.state = "closed";
  CHECK(e.find(q) == scan([](const workflow::Case& c) { return c.state == "closed"; }));
  q = {};
  q.owner = all[3].owner;
  q.min_escalation_level = 1;
  CHECK(e.find(q) == scan([&](const workflow::Case& c) { return c.owner == all[3].owner && c.escalation_level >= 1; }));
  q = {};
  q.customer = all[10].customer;
  CHECK(e.find(q) == scan([&](const workflow::Case& c) { return c.customer == all[10].customer; }));
  q = {};
  q.department = all[50].department;
  q.limit = 3;
  auto dept = scan([&](const workflow::Case& c) { return c.department == all[50].department; });
  dept.resize(std::min<size_t>(3, dept.size()));
  CHECK(e.find(q) == dept);
  q = {};
  q.state = "no-such-state";
  CHECK(testing::code_of([&] { (void)e.find(q); }) == Errc::invalid_argument);
  q = {};
  q.escalation_level = 99;
  CHECK(testing::code_of([&] { (void)e.find(q); }) == Errc::invalid_argument);

  // Halfway through the quarter many clocks run.
  e = replaying_engine();
  (void)e.apply_batch(std::span(views).first(8000));
  const Instant t = workflow::parse_event(lines[7999]).at + Duration::days(3);
  const auto whole = e.due_before(t);
  // Every running clock with a deadline before t (as of its case's last event), as a walk says.
  size_t expected = 0;
  e.for_each_case([&](const workflow::Case& c) {
    for (const auto& k : c.clocks) expected += k.state == sla::ClockState::running && k.due && *k.due < t;
  });
  CHECK(whole.size() == expected);
  REQUIRE(whole.size() > 10);
  for (size_t i = 1; i < whole.size(); ++i) CHECK(whole[i - 1].due <= whole[i].due);
  std::vector<workflow::DueClock> paged;
  workflow::DueQuery dq;
  dq.before = t;
  dq.limit = 7;
  for (;;) {
    auto page = e.due_before(dq);
    if (page.empty()) break;
    CHECK(page.size() <= 7);
    paged.insert(paged.end(), page.begin(), page.end());
    dq.after = page.back();
  }
  REQUIRE(paged.size() == whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    CHECK(paged[i].case_id == whole[i].case_id);
    CHECK(paged[i].clock == whole[i].clock);
  }
}

// ---- a refused call changes nothing --------------------------------------------------------

namespace {

/// Applies each refused call to an engine and checks that nothing observable changed.
void check_refusals_change_nothing(workflow::Engine& e) {
  const auto lines = quarter_lines();
  for (size_t i = 0; i < 400; ++i) e.apply_json(lines[i]);
  const std::string at = "2026-03-30T10:00:00+08:00";
  const std::string c1 = "C-1";
  auto ev = [&](const std::string& id, const std::string& cs, const std::string& type, const std::string& when,
                const std::string& role, const std::string& data) {
    return R"({"id":")" + id + R"(","case":")" + cs + R"(","type":")" + type + R"(","at":")" + when + R"(","actor":"u-1","role":")" +
           role + R"(","data":)" + data + "}";
  };
  const std::vector<std::pair<Errc, std::string>> refused = {
      {Errc::parse, "{not json"},
      {Errc::invalid_argument, ev("x1", c1, "no-such-type", at, "agent", "{}")},
      {Errc::not_found, ev("x2", "nope", "acknowledge", at, "agent", "{}")},
      {Errc::invalid_argument, ev("x3", "nope", "acknowledge", "9999-01-01T00:00:00Z", "agent", "{}")},
      {Errc::invalid_argument, ev("x4", c1, "acknowledge", "2500-01-01T00:00:00Z", "agent", "{}")},
      {Errc::permission, ev("x5", c1, "acknowledge", at, "nobody", "{}")},
      {Errc::conflict, receive_at(at, c1)},
      {Errc::invalid_argument, ev("x6", c1, "acknowledge", "2020-01-01T00:00:00Z", "agent", "{}")},
      {Errc::invalid_argument, ev("x7", c1, "escalate", at, "supervisor", R"({"level":99,"reason":"r"})")},
      // The parser's bound is sla::kMaxEscalationLevel (15): 16 is the first level refused there.
      {Errc::invalid_argument, ev("x9", c1, "escalate", at, "supervisor", R"({"level":16,"reason":"r"})")},
      {Errc::limit, ev("x8", c1, "acknowledge", at, "agent", R"({"note":")" + std::string(5000, 'n') + R"("})")},
      {Errc::conflict, ev("e-1", c1, "acknowledge", at, "agent", "{}")},
  };
  const std::string before = observable(e);
  for (const auto& [code, json] : refused) {
    CAPTURE(json.substr(0, 120));
    const Errc got = testing::code_of([&] { (void)e.apply_json(json); });
    CHECK(got != Errc::ok);
    if (code != Errc::invalid_argument) CHECK(got == code);
    CHECK((observable(e) == before));
  }
  CHECK_THROWS_WITH_AS((void)e.apply_json(refused[9].second), doctest::Contains("'data.level' must be an integer 0..15"),
                       Error);
  // The same in one batch: every line refused, nothing changed.
  std::vector<std::string> texts;
  for (const auto& r : refused) texts.push_back(r.second);
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const auto r = e.apply_batch(views);
  CHECK(r.applied == 0);
  CHECK(r.rejected.size() + r.duplicates == refused.size());
  CHECK((observable(e) == before));
}

}  // namespace

TEST_CASE("Every kind of refusal changes nothing, in memory and on disk") {
  SUBCASE("in memory") {
    workflow::Engine e = replaying_engine();
    check_refusals_change_nothing(e);
  }
  SUBCASE("durable") {
    TempDb db;
    std::string live;
    {
      workflow::Engine e = store::open_engine(db.path, fresh_engine, fast(0));
      check_refusals_change_nothing(e);
      live = engine_dump(e);
    }
    workflow::Engine reopened = store::open_engine(db.path, fresh_engine, fast(0));
    CHECK((engine_dump(reopened) == live));
  }
}

TEST_CASE("A receive whose clock has no deadline is refused whole (finding 1 and 2)") {
  // A calendar whose only working day is in 2026, one with no working time at all, and a policy
  // target of 36600 days.
  const std::string one_day = write_file("crmkit-one-day.json", R"({"name":"one-day","zone":"UTC","week":{},"holidays":[],
      "workdays":{"2026-06-01":[["09:00","18:00"]]}})");
  const std::string policy_text = [] {
    std::ifstream in(kData + "policies/default.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::string long_policy = policy_text;
  long_policy.replace(long_policy.find("\"target\": \"40h\""), 15, "\"target\": \"36600d\"");
  const std::string long_policy_path = write_file("crmkit-long-policy.json", long_policy);
  struct Setup {
    std::string calendar, policy, at;
  };
  const Setup setups[] = {
      {one_day, kData + "policies/default.json", "2027-03-01T10:00:00Z"},
      {kData + "calendars/24x7.json", long_policy_path, "2399-12-01T10:00:00Z"},
  };
  for (const auto& s : setups) {
    CAPTURE(s.at);
    auto make = [&] {
      return workflow::Engine::from_files(kData + "workflows/default.json", s.policy, s.calendar);
    };
    for (bool durable : {false, true}) {
      CAPTURE(durable);
      TempDb db;
      workflow::Engine e = durable ? store::open_engine(db.path, make, fast(0)) : make();
      const std::string before = observable(e);
      CHECK(testing::code_of([&] { (void)e.apply_json(receive_at(s.at)); }) == Errc::invalid_argument);
      CHECK((observable(e) == before));
      CHECK(e.size() == 0);
      CHECK_FALSE(e.get("K-1").has_value());
      CHECK(e.due_before(Instant::from_unix_seconds(kLastSupportedUnixSeconds)).empty());
      // A retry is refused for the same reason, not as "case already exists".
      try {
        (void)e.apply_json(receive_at(s.at));
        FAIL("accepted");
      } catch (const Error& err) {
        CHECK(std::string(err.what()).find("already exists") == std::string::npos);
        CHECK(std::string(err.what()).find("deadline") != std::string::npos);
      }
      // An event for that case is refused as unknown; the store still opens.
      CHECK(testing::code_of([&] {
              (void)e.apply_json(R"({"id":"a","case":"K-1","type":"acknowledge","at":")" + s.at + R"(","actor":"u","role":"agent"})");
            }) == Errc::not_found);
      if (durable) {
        e = fresh_engine();  // closes the store
        CHECK_NOTHROW((void)store::open_engine(db.path, make, fast(0)));
      }
    }
  }
  std::remove(one_day.c_str());
  std::remove(long_policy_path.c_str());
}

TEST_CASE("A resume whose clock can no longer get a deadline is refused and changes nothing") {
  // Working time only in June 2026: a case paused then is resumed in 2027.
  std::string days;
  for (int d = 1; d <= 30; ++d) days += fmt::format("{}\"2026-06-{:02}\":[[\"09:00\",\"18:00\"]]", d > 1 ? "," : "", d);
  const std::string june = write_file("crmkit-june.json", R"({"name":"june","zone":"UTC","week":{},"holidays":[],"workdays":{)" + days + "}}");
  auto make = [&] { return workflow::Engine::from_files(kData + "workflows/default.json", kData + "policies/default.json", june); };
  auto ev = [](const std::string& id, const std::string& type, const std::string& at, const std::string& data) {
    return R"({"id":")" + id + R"(","case":"K-1","type":")" + type + R"(","at":")" + at + R"(","actor":"u-1","role":"agent","data":)" +
           data + "}";
  };
  for (bool durable : {false, true}) {
    CAPTURE(durable);
    TempDb db;
    std::string live;
    {
      workflow::Engine e = durable ? store::open_engine(db.path, make, fast(0)) : make();
      e.apply_json(receive_at("2026-06-01T09:00:00Z"));
      e.apply_json(ev("a", "acknowledge", "2026-06-01T09:30:00Z", "{}"));
      e.apply_json(ev("d", "dispatch", "2026-06-01T10:00:00Z", R"({"department":"billing","owner":"u-2"})"));
      e.apply_json(ev("w", "wait_customer", "2026-06-01T11:00:00Z", R"({"reason":"need the meter number"})"));
      const std::string before = observable(e);
      const std::string resume = ev("r", "resume", "2027-01-05T10:00:00Z", "{}");
      CHECK(testing::error_of([&] { (void)e.apply_json(resume); }).find("deadline") != std::string::npos);
      CHECK((observable(e) == before));
      std::vector<std::string_view> batch{resume};
      CHECK(e.apply_batch(batch).rejected.size() == 1);
      CHECK((observable(e) == before));
      live = engine_dump(e);
    }
    if (durable) CHECK((engine_dump(store::open_engine(db.path, make, fast(0))) == live));
  }
  std::remove(june.c_str());
}

TEST_CASE("A refused event does not sweep, in memory or on disk (finding 3)") {
  for (bool durable : {false, true}) {
    CAPTURE(durable);
    TempDb db;
    workflow::Engine e = durable ? store::open_engine(db.path, fresh_engine, fast(0)) : replaying_engine();
    const auto lines = quarter_lines();
    for (size_t i = 0; i < 500; ++i) e.apply_json(lines[i]);
    const std::string before = observable(e);
    CHECK(testing::code_of([&] {
            (void)e.apply_json(R"({"id":"z","case":"nope","type":"acknowledge","at":"2499-01-01T00:00:00Z","actor":"u","role":"agent"})");
          }) == Errc::not_found);
    CHECK((observable(e) == before));
  }
}

TEST_CASE("Ids with separators do not collide in the journal (finding 4)") {
  TempDb db;
  std::string live;
  {
    workflow::Engine e = store::open_engine(db.path, fresh_engine, fast(0));
    e.apply_json(receive_at("2026-03-02T10:00:00+08:00", "A/B"));
    e.apply_json(receive_at("2026-03-02T10:00:00+08:00", "A"));
    auto ack = [](const std::string& cs, const std::string& id) {
      return R"({"id":")" + id + R"(","case":")" + cs + R"(","type":"acknowledge","at":"2026-03-02T10:05:00+08:00","actor":"u-1","role":"agent"})";
    };
    CHECK_FALSE(e.apply_json(ack("A/B", "x")).duplicate);
    CHECK_FALSE(e.apply_json(ack("A", "B/x")).duplicate);
    CHECK(e.apply_json(ack("A", "B/x")).duplicate);
    live = engine_dump(e);
  }
  workflow::Engine reopened = store::open_engine(db.path, fresh_engine, fast(0));
  CHECK((engine_dump(reopened) == live));
}

namespace {
/// A journal whose writes fail on demand (a full disk, a yanked volume).
struct FlakyJournal final : workflow::Journal {
  bool fail = false;
  int64_t written = 0;
  void write(std::span<const workflow::JournalEntry> entries) override {
    if (fail) throw Error(Errc::io, "disk full");
    written += static_cast<int64_t>(entries.size());
  }
  bool wants_snapshot() const override { return false; }
  void put_snapshot(std::string_view, uint32_t) override {}
  int64_t position() const override { return written; }
};
}  // namespace

TEST_CASE("A journal write that fails leaves the engine unchanged; a failed batch stops the engine") {
  workflow::Engine e = replaying_engine();
  auto journal = std::make_unique<FlakyJournal>();
  FlakyJournal* j = journal.get();
  e.attach_journal(std::move(journal));
  const auto lines = quarter_lines();
  for (size_t i = 0; i < 200; ++i) e.apply_json(lines[i]);
  CHECK(e.journal_position() >= 200);
  j->fail = true;
  const std::string before = observable(e);
  CHECK(testing::code_of([&] { (void)e.apply_json(lines[200]); }) == Errc::io);
  CHECK(testing::code_of([&] { (void)e.sweep(parse_instant("2026-04-30T00:00:00Z")); }) == Errc::io);
  CHECK((observable(e) == before));
  j->fail = false;
  CHECK_FALSE(e.apply_json(lines[200]).duplicate);  // usable again
  j->fail = true;
  std::vector<std::string_view> batch(lines.begin() + 201, lines.begin() + 300);
  CHECK(testing::code_of([&] { (void)e.apply_batch(batch); }) == Errc::io);
  j->fail = false;
  const std::string stopped = observable(e);
  CHECK(testing::code_of([&] { (void)e.apply_json(lines[300]); }) == Errc::io);  // until reopened
  CHECK(testing::code_of([&] { (void)e.apply_batch(batch); }) == Errc::io);
  CHECK(testing::code_of([&] { (void)e.sweep(parse_instant("2026-04-30T00:00:00Z")); }) == Errc::io);
  CHECK((observable(e) == stopped));
}

TEST_CASE("Options: sweeping is explicit by default, the same in memory and on disk") {
  TempDb db;
  workflow::Engine durable = store::open_engine(db.path, fresh_engine, fast(0, false));
  workflow::Engine memory = fresh_engine();
  CHECK(durable.options().sweep_before_apply == memory.options().sweep_before_apply);
  CHECK_FALSE(memory.options().sweep_before_apply);
  const auto lines = quarter_lines();
  for (size_t i = 0; i < 2000; ++i) {
    const auto a = testing::code_of([&] { (void)memory.apply_json(lines[i]); });
    const auto b = testing::code_of([&] { (void)durable.apply_json(lines[i]); });
    CHECK(a == b);
  }
  (void)memory.sweep(parse_instant("2026-03-01T00:00:00Z"));
  (void)durable.sweep(parse_instant("2026-03-01T00:00:00Z"));
  CHECK((engine_dump(memory) == engine_dump(durable)));
}

TEST_CASE("A corrupt snapshot is skipped; a second engine on the same file is refused") {
  TempDb db;
  std::string live;
  {
    workflow::Engine e = store::open_engine(db.path, fresh_engine, fast(0));
    const auto lines = quarter_lines();
    for (size_t i = 0; i < 300; ++i) e.apply_json(lines[i]);
    e.save_snapshot();
    live = engine_dump(e);
  }
  {  // Damage the snapshot behind the store's back.
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.path.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "UPDATE snapshots SET body = substr(body, 1, length(body) / 2)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  store::RecoveryReport rep;
  workflow::Engine e = store::open_engine(db.path, fresh_engine, fast(0), &rep);
  CHECK_FALSE(rep.used_snapshot);
  REQUIRE_FALSE(rep.warnings.empty());
  CHECK((engine_dump(e) == live));
  CHECK(testing::code_of([&] { (void)store::open_engine(db.path, fresh_engine, fast(0)); }) == Errc::locked);
  // The host's last acknowledged position: a journal that ends before it is refused.
  e = fresh_engine();
  store::DurableOptions o = fast(0);
  o.expect_seq = rep.last_seq + 1;
  CHECK(testing::code_of([&] { (void)store::open_engine(db.path, fresh_engine, o); }) == Errc::corrupt);
  o.expect_seq = rep.last_seq;
  CHECK_NOTHROW((void)store::open_engine(db.path, fresh_engine, o));
}

TEST_CASE("Automatic snapshots wait for the journal to grow by the last snapshot's size (bounded cost)") {
  const auto lines = quarter_lines();
  TempDb db;
  store::DurableOptions o = fast(10, false);  // no sweeps: one journal record per apply
  o.keep_snapshots = store::kMaxKeepSnapshots;
  const size_t applied = 6000;
  {
    workflow::Engine e = store::open_engine(db.path, fresh_engine, o);
    for (size_t i = 0; i < 3000; ++i) e.apply_json(lines[i]);
  }
  {  // the rule holds across a reopen: the journal since the last snapshot is counted by recovery
    workflow::Engine e = store::open_engine(db.path, fresh_engine, o);
    for (size_t i = 3000; i < applied; ++i) e.apply_json(lines[i]);
  }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(db.path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  auto column = [&](const char* sql) {
    std::vector<std::pair<int64_t, int64_t>> rows;
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, sql, -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) rows.emplace_back(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    return rows;
  };
  const auto snapshots = column("SELECT seq, size FROM snapshots ORDER BY seq");
  const auto events = column("SELECT seq, length(CAST(body AS BLOB)) FROM events ORDER BY seq");
  sqlite3_close(raw);
  REQUIRE(events.size() == applied);
  REQUIRE(snapshots.size() >= 2);
  CHECK(snapshots.size() < 20);  // by record count alone: 600
  CHECK(snapshots[0].first == 10);  // the first: after snapshot_every records
  std::vector<int64_t> bytes_to(events.size() + 1, 0);  // journal bytes of seq 1..n
  for (size_t i = 0; i < events.size(); ++i) bytes_to[i + 1] = bytes_to[i] + events[i].second;
  for (size_t k = 1; k < snapshots.size(); ++k) {
    const auto [a, size] = snapshots[k - 1];
    const int64_t b = snapshots[k].first;
    CHECK(b - a >= 10);
    CHECK(bytes_to[static_cast<size_t>(b)] - bytes_to[static_cast<size_t>(a)] >= size);      // grown by the snapshot's size
    CHECK(bytes_to[static_cast<size_t>(b - 1)] - bytes_to[static_cast<size_t>(a)] < size);  // and taken as soon as it had
  }
}
