// Clocks of three kinds in the engine (docs/domain.md#time-targets): a reclassify event moves
// every clock that has not stopped to its new target, keeping the time elapsed and paused (the
// test of record, in memory, durable and after a snapshot restore); a crisis escalates at once
// and starts its clocks; policy rules match declared fields; instant clocks are due at an event
// field's time and move with it; refused reclassifications change nothing.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crmkit/calendar.hpp"
#include "crmkit/durable.hpp"
#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"
#include "engine_fixture.hpp"
#include "test_support.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

using testing::clock;
using testing::code_of;
using testing::engine_dump;
using testing::error_of;
using testing::fresh_engine;
using testing::kData;
using testing::TempDb;

using testing::slurp;

std::string event(const std::string& id, const std::string& type, const std::string& at, const std::string& data = "",
                  const std::string& role = "agent", const std::string& case_id = "K-1") {
  return testing::march_event(id, type, at, data, role, case_id);
}

/// The shipped policy with the resolution clock in elapsed hours: 8 h, 4 h for high severity.
std::string elapsed_policy() {
  nlohmann::json p = nlohmann::json::parse(slurp(kData + "policies/default.json"));
  p["clocks"]["resolution"] = {{"kind", "elapsed"}, {"target", "8h"}, {"escalate_on_breach", 1},
                               {"rules", {{{"when", {{"severity", "high"}}}, {"target", "4h"}},
                                          {{"when", {{"product", "broadband"}}}, {"target", "6h"}}}}};
  return p.dump();
}

Engine elapsed_engine() {
  const Calendar cal = Calendar::from_file(kData + "calendars/cn-2026.json");
  return Engine(Definition::from_file(kData + "workflows/default.json"), sla::Policy::from_json(elapsed_policy(), cal),
                Rules::from_json(elapsed_policy()), cal.zone());
}

/// The instants at which `clock` breached among a sweep's events.
std::vector<Instant> breaches(const std::vector<SweepEvent>& fired, const std::string& clock) {
  std::vector<Instant> out;
  for (const auto& f : fired)
    if (f.clock == clock && f.kind == sla::ClockEvent::breach) out.push_back(f.at);
  return out;
}

const std::string kReceive = R"("channel":"system","category":"service","severity":"normal","customer":"c-1","tier":"basic")";

/// 3 h elapsed of an 8 h target, a 2 h pause, then reclassified to a 4 h target.
void test_of_record_events(Engine& e) {
  e.apply_json(event("r", "receive", "14T09:00:00", kReceive));  // a Saturday: elapsed hours count
  e.apply_json(event("a", "acknowledge", "14T09:10:00"));
  e.apply_json(event("d", "dispatch", "14T09:20:00", R"("department":"network","owner":"u-9")"));
  e.apply_json(event("w", "wait_customer", "14T12:00:00", R"("reason":"visit appointment")"));
  e.apply_json(event("s", "resume", "14T14:00:00"));
  e.apply_json(event("x", "reclassify", "14T14:00:00", R"("severity":"high","reason":"several customers affected")", "supervisor"));
}

void check_test_of_record(const Engine& e) {
  ReadOptions at_reclassify;
  at_reclassify.as_of = parse_instant("2026-03-14T14:00:00+08:00");
  const Case c = *e.get("K-1", at_reclassify);
  CHECK(c.severity == "high");
  const ClockInfo& r = clock(c, "resolution");
  CHECK(r.kind == sla::TargetKind::elapsed);
  CHECK(r.elapsed == Duration::hours(3));
  CHECK(r.paused == Duration::hours(2));
  CHECK(r.target == Duration::hours(4));
  CHECK(r.due == parse_instant("2026-03-14T15:00:00+08:00"));  // 1 h left
  REQUIRE(r.retargets.size() == 1);
  CHECK(r.retargets[0].reason == "several customers affected");
  CHECK(r.retargets[0].event == "x");
  CHECK(r.retargets[0].target == Duration::hours(4));
  CHECK(r.retargets[0].rule == "resolution: severity=high -> 4h elapsed");
  const std::string json = to_json(c, false);
  CHECK(json.find(R"("name":"resolution","instance":1,"state":"running","kind":"elapsed","due":"2026-03-14T07:00:00Z","goal":false,"breached":false,)"
                  R"("elapsed_seconds":10800,"paused_seconds":7200,"target_seconds":14400)") != std::string::npos);
  CHECK(json.find(R"("retargets":[{"at":"2026-03-14T06:00:00Z","event":"x","reason":"several customers affected","kind":"elapsed",)"
                  R"("target_seconds":14400,)") != std::string::npos);
}

}  // namespace

TEST_CASE("The test of record: 3 h of 8 h, 2 h paused, reclassified to 4 h: 1 h left, the pause kept (memory, durable, snapshot)") {
  SUBCASE("in memory") {
    Engine e = elapsed_engine();
    test_of_record_events(e);
    check_test_of_record(e);
    // The breach comes at the new due, once.
    CHECK(breaches(e.sweep(parse_instant("2026-03-14T16:00:00+08:00")), "resolution") ==
          std::vector<Instant>{parse_instant("2026-03-14T15:00:00+08:00")});
    CHECK(breaches(e.sweep(parse_instant("2026-03-20T00:00:00+08:00")), "resolution").empty());
  }
  SUBCASE("after a snapshot restore") {
    Engine a = elapsed_engine();
    test_of_record_events(a);
    Engine b = elapsed_engine();
    b.restore(a.snapshot());
    check_test_of_record(b);
    CHECK((engine_dump(b) == engine_dump(a)));
  }
  SUBCASE("durable, and after reopening") {
    TempDb db;
    {
      Engine e = store::open_engine(db.path, elapsed_engine);
      test_of_record_events(e);
      check_test_of_record(e);
    }
    Engine reopened = store::open_engine(db.path, elapsed_engine);
    check_test_of_record(reopened);
  }
}

TEST_CASE("Reclassify: a clock already past its new target breaches at the next sweep, once; warnings fired stay fired") {
  Engine e = elapsed_engine();
  e.apply_json(event("r", "receive", "14T09:00:00", kReceive));
  // 5 h of 8 h: the 50 % warning (4 h) fired.
  const auto early = e.sweep(parse_instant("2026-03-14T14:00:00+08:00"));
  CHECK(std::count_if(early.begin(), early.end(), [](const SweepEvent& s) { return s.clock == "resolution"; }) == 1);
  e.apply_json(event("x", "reclassify", "14T14:00:00", R"("severity":"high","reason":"group complaint")", "manager"));
  const auto fired = e.sweep(parse_instant("2026-03-14T14:00:01+08:00"));
  std::vector<std::string> kinds;
  for (const auto& f : fired)
    if (f.clock == "resolution") kinds.push_back(f.kind == sla::ClockEvent::breach ? "breach" : fmt::format("{}", f.fraction));
  CHECK(kinds == std::vector<std::string>{"0.75", "0.9", "breach"});  // 50 % not again
  CHECK(e.get("K-1")->escalation_level == 1);
  for (const auto& f : e.sweep(parse_instant("2026-03-30T00:00:00+08:00"))) CHECK(f.clock != "resolution");
}

TEST_CASE("Crisis: received as, or reclassified to, critical escalates at once and starts the crisis clock") {
  Engine e = fresh_engine();
  const auto r = e.apply_json(event("r", "receive", "09T09:00:00", R"("channel":"web","category":"service","severity":"critical","customer":"c-1")"));
  CHECK(r.escalation_after == 2);
  CHECK(!r.over_level);  // a crisis is not an over-level complaint (越级)
  Case c = *e.get("K-1");
  CHECK(c.escalation_level == 2);
  const ClockInfo& crisis = clock(c, "crisis_report");
  CHECK(crisis.kind == sla::TargetKind::elapsed);
  CHECK(crisis.due == parse_instant("2026-03-09T10:00:00+08:00"));
  bool flagged = false;
  for (const auto& v : c.events.front().data) flagged |= v.name == "crisis" && v.text == "true";
  CHECK(flagged);
  // Not reported within the hour: the breach takes it to 3.
  e.sweep(parse_instant("2026-03-09T10:00:00+08:00"));
  CHECK(e.get("K-1")->escalation_level == 3);

  // Reclassified to critical midway: the same at that moment; reported in time, it stays at 2.
  e.apply_json(event("r2", "receive", "09T09:00:00", kReceive, "agent", "K-2"));
  CHECK(e.get("K-2")->escalation_level == 0);
  const auto x = e.apply_json(event("x2", "reclassify", "09T11:00:00", R"("severity":"critical","reason":"safety risk")", "supervisor", "K-2"));
  CHECK(x.escalation_before == 0);
  CHECK(x.escalation_after == 2);
  bool started = false;
  for (const auto& ch : x.clocks) started |= ch.clock == "crisis_report" && ch.op == ClockAction::start;
  CHECK(started);
  e.apply_json(event("p2", "report_crisis", "09T11:40:00", "", "supervisor", "K-2"));
  e.sweep(parse_instant("2026-03-09T12:30:00+08:00"));
  CHECK(e.get("K-2")->escalation_level == 2);
  // Critical to critical again is no new crisis; down and up again is, but the clock ran already.
  e.apply_json(event("y2", "reclassify", "09T13:00:00", R"("severity":"high","reason":"contained")", "supervisor", "K-2"));
  const auto z = e.apply_json(event("z2", "reclassify", "09T13:30:00", R"("severity":"critical","reason":"spread")", "supervisor", "K-2"));
  CHECK(z.escalation_after == 2);
  for (const auto& ch : z.clocks) CHECK(ch.clock != "crisis_report");
}

TEST_CASE("Policy rules match a declared field; it changes only through reclassify") {
  Engine e = elapsed_engine();
  e.apply_json(event("r", "receive", "14T09:00:00", kReceive + R"(,"product":"broadband")"));
  CHECK(clock(*e.get("K-1"), "resolution").target == Duration::hours(6));
  e.apply_json(event("r2", "receive", "14T09:00:00", kReceive, "agent", "K-2"));
  CHECK(clock(*e.get("K-2"), "resolution").target == Duration::hours(8));
  const std::string before = engine_dump(e);
  CHECK(error_of([&] { (void)e.apply_json(event("u", "update", "14T10:00:00", R"("product":"broadband")", "agent", "K-2")); })
            .find("data.product: the SLA policy's rules match this field, so it changes only with a reclassify event") != std::string::npos);
  CHECK((engine_dump(e) == before));
  e.apply_json(event("x", "reclassify", "14T10:00:00", R"("product":"broadband","reason":"line type confirmed")", "supervisor", "K-2"));
  const Case c = *e.get("K-2");
  CHECK(clock(c, "resolution").target == Duration::hours(6));
  CHECK(clock(c, "resolution").retargets.at(0).rule == "resolution: product=broadband -> 6h elapsed");
  // A policy naming a field the workflow does not declare is refused when the workflow loads it.
  nlohmann::json p = nlohmann::json::parse(elapsed_policy());
  p["clocks"]["resolution"]["rules"][0]["when"] = {{"colour", "red"}};
  const Calendar cal = Calendar::from_file(kData + "calendars/cn-2026.json");
  CHECK(error_of([&] { Engine(Definition::from_file(kData + "workflows/default.json"), sla::Policy::from_json(p.dump(), cal), Rules{}, cal.zone()); })
            .find("a rule matches 'colour', which workflow 'default' does not declare") != std::string::npos);
}

TEST_CASE("Refused reclassifications change nothing, in memory and durable") {
  auto check = [](Engine& e) {
    e.apply_json(event("r", "receive", "09T09:00:00", kReceive));
    e.apply_json(event("r2", "receive", "09T09:00:00", kReceive, "agent", "K-2"));
    e.apply_json(event("w2", "withdraw", "09T09:30:00", "", "agent", "K-2"));
    const std::vector<std::tuple<std::string, Errc, std::string>> refused = {
        {event("x1", "reclassify", "09T10:00:00", R"("severity":"urgent","reason":"r")", "supervisor"), Errc::invalid_argument,
         "data.severity 'urgent' is not one of"},
        {event("x2", "reclassify", "09T10:00:00", R"("severity":"high","reason":"r")", "agent"), Errc::permission,
         "role 'agent' may not fire 'reclassify'"},
        {event("x3", "reclassify", "09T10:00:00", R"("severity":"high","reason":"r")", "supervisor", "K-2"), Errc::invalid_state,
         "not allowed in state 'withdrawn'"},
        {event("x4", "reclassify", "09T10:00:00", R"("severity":"high")", "supervisor"), Errc::invalid_argument, "missing data.reason"},
        {event("x5", "reclassify", "09T10:00:00", R"("reason":"r")", "supervisor"), Errc::invalid_argument,
         "a reclassify event gives at least one of data.channel"},
        {event("x6", "acknowledge", "09T10:00:00", R"("severity":"high")"), Errc::invalid_argument,
         "data.severity: a case's classification changes only with a reclassify event"},
        {event("x7", "reclassify", "09T08:00:00", R"("severity":"high","reason":"r")", "supervisor"), Errc::invalid_argument,
         "before the case's last event"},
    };
    testing::all_refused(e, refused);
  };
  testing::in_memory_and_durable(fresh_engine, check);
}

TEST_CASE("Instant clocks: due at a declared time plus an offset, moved when the time changes, never paused") {
  // The default workflow with a clock of its own due 15 minutes before a declared instant:
  // agree_call sets data.promised_at and starts the clock; contact stops it.
  nlohmann::json w = nlohmann::json::parse(slurp(kData + "workflows/default.json"));
  w["clocks"].push_back("promise");
  w["fields"]["promised_at"] = {{"type", "instant"}};
  w["transitions"].push_back({{"event", "agree_call"},
                              {"from", {"in_progress", "waiting_customer"}},
                              {"stay", true},
                              {"roles", {"agent", "supervisor"}},
                              {"clocks", {{"start", {"promise"}}}}});
  w["fields"]["promised_at"]["required_at"] = {"agree_call"};
  for (auto& t : w["transitions"])
    if (t["event"] == "contact") t["clocks"]["stop"].push_back("promise");
  nlohmann::json p = nlohmann::json::parse(slurp(kData + "policies/default.json"));
  p["clocks"]["promise"] = {{"kind", "instant"}, {"field", "promised_at"}, {"offset", "-15m"}, {"escalate_on_breach", 1}};
  const Calendar cal = Calendar::from_file(kData + "calendars/cn-2026.json");
  auto make = [&] { return Engine(Definition::from_json(w.dump()), sla::Policy::from_json(p.dump(), cal), Rules::from_json(p.dump()), cal.zone()); };
  Engine e = make();
  e.apply_json(event("r", "receive", "09T09:00:00", kReceive));
  e.apply_json(event("a", "acknowledge", "09T09:05:00"));
  e.apply_json(event("d", "dispatch", "09T09:10:00", R"("department":"network","owner":"u-9")"));
  const std::string before = engine_dump(e);
  CHECK(error_of([&] { (void)e.apply_json(event("p0", "agree_call", "09T09:20:00")); }).find("missing data.promised_at") != std::string::npos);
  CHECK((engine_dump(e) == before));
  const auto pr = e.apply_json(event("p", "agree_call", "09T09:20:00", R"("promised_at":"2026-03-10T10:00:00+08:00")"));
  REQUIRE(pr.clocks.size() == 1);
  CHECK(pr.clocks[0].due == parse_instant("2026-03-10T09:45:00+08:00"));
  // Waiting for the customer pauses the resolution clock, never the promise.
  e.apply_json(event("wc", "wait_customer", "09T10:00:00", R"("reason":"documents requested")"));
  Case c = *e.get("K-1");
  CHECK(clock(c, "promise").state == sla::ClockState::running);
  CHECK(clock(c, "promise").kind == sla::TargetKind::instant);
  // A later time moves it: the retarget names the field.
  e.apply_json(event("u", "update", "09T11:00:00", R"("promised_at":"2026-03-11T10:00:00+08:00")"));
  c = *e.get("K-1");
  CHECK(clock(c, "promise").due == parse_instant("2026-03-11T09:45:00+08:00"));
  REQUIRE(clock(c, "promise").retargets.size() == 1);
  CHECK(clock(c, "promise").retargets[0].reason == "data.promised_at changed");
  CHECK(clock(c, "promise").retargets[0].due == parse_instant("2026-03-11T09:45:00+08:00"));
  // It breaches at that instant (nights count), once, and escalates.
  CHECK(breaches(e.sweep(parse_instant("2026-03-12T00:00:00+08:00")), "promise") == std::vector<Instant>{parse_instant("2026-03-11T09:45:00+08:00")});
  // The same after a restore.
  Engine b = make();
  b.restore(e.snapshot());
  CHECK((engine_dump(b) == engine_dump(e)));
}

TEST_CASE("A reclassify may set another declared field: recorded, no clock moves") {
  Engine e = fresh_engine();
  e.apply_json(event("r", "receive", "09T09:00:00", kReceive));
  e.apply_json(event("x", "reclassify", "09T10:00:00", R"("justified":true,"reason":"a justified complaint after all")", "supervisor"));
  const Case c = *e.get("K-1");
  for (const auto& k : c.clocks) CHECK(k.retargets.empty());
  bool justified = false;
  for (const auto& f : c.fields) justified |= f.name == "justified" && f.text == "true";
  CHECK(justified);
  CHECK(c.events.back().type == "reclassify");
}
