// Several named, versioned workflows in one engine: a receive names its workflow (default: the
// engine's first); a case keeps the version it was received under after a newer one is loaded,
// across snapshots and recovery; the shipped inquiry, suggestion and warranty workflows live
// beside the complaint workflow; KPIs show each kind apart.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "crmkit/calendar.hpp"
#include "crmkit/durable.hpp"
#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "engine_fixture.hpp"
#include "test_support.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

using testing::code_of;
using testing::TempDb;
using testing::engine_dump;
using testing::error_of;
using testing::kData;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Version 2 of the shipped complaint workflow: an acknowledgement needs a reason.
Definition default_v2() {
  auto j = nlohmann::json::parse(slurp(kData + "workflows/default.json"));
  j["version"] = 2;
  for (auto& t : j["transitions"])
    if (t["event"] == "acknowledge") t["required"] = {"reason"};
  return Definition::from_json(j.dump());
}

struct Config {
  Calendar calendar = Calendar::from_file(kData + "calendars/cn-2026.json");
  sla::Policy policy(const std::string& name = "default") const {
    return sla::Policy::from_file(kData + "policies/" + name + ".json", calendar);
  }
  Rules rules(const std::string& name = "default") const { return Rules::from_file(kData + "policies/" + name + ".json"); }
  Engine v1() const {
    return Engine(Definition::from_file(kData + "workflows/default.json"), policy(), rules(), calendar.zone());
  }
  Engine v1_and_v2() const {
    Engine e = v1();
    e.add_workflow(default_v2(), policy(), rules());
    return e;
  }
};

std::string ev(const std::string& id, const std::string& case_id, const std::string& type, const std::string& at,
               const std::string& data = "", const std::string& role = "agent") {
  return fmt::format(R"({{"id":"{}","case":"{}","type":"{}","at":"2026-03-{}:00+08:00","actor":"u-1","role":"{}","data":{{{}}}}})", id,
                     case_id, type, at, role, data);
}
const std::string kComplaint = R"("channel":"phone","category":"service","severity":"normal","customer":"K-1")";


}  // namespace

TEST_CASE("A case pinned to version 1 keeps its transitions after version 2 is loaded") {
  Config cfg;
  Engine e = cfg.v1();
  e.apply_json(ev("a1", "A", "receive", "02T09:00", kComplaint));
  e.add_workflow(default_v2(), cfg.policy(), cfg.rules());
  CHECK(e.definition().version() == 2);  // the default's newest
  e.apply_json(ev("b1", "B", "receive", "02T09:05", kComplaint));
  CHECK(e.get("A")->workflow_version == 1);
  CHECK(e.get("B")->workflow_version == 2);
  CHECK(e.get("B")->workflow == "default");
  // Version 1: acknowledge needs nothing; version 2: a reason.
  e.apply_json(ev("a2", "A", "acknowledge", "02T09:10"));
  CHECK(e.get("A")->state == "acknowledged");
  CHECK(error_of([&] { (void)e.apply_json(ev("b2", "B", "acknowledge", "02T09:10")); }).find("missing data.reason") != std::string::npos);
  e.apply_json(ev("b2", "B", "acknowledge", "02T09:10", R"("reason":"called")"));
  // A receive may pin a version; an event may not move a case to another.
  e.apply_json(ev("c1", "C", "receive", "02T09:20", kComplaint + R"(,"workflow":"default","workflow_version":1)"));
  CHECK(e.get("C")->workflow_version == 1);
  CHECK(code_of([&] { (void)e.apply_json(ev("c2", "C", "acknowledge", "02T09:30", R"("workflow_version":2)")); }) ==
        Errc::invalid_argument);
  CHECK(code_of([&] { (void)e.apply_json(ev("d1", "D", "receive", "02T09:20", kComplaint + R"(,"workflow_version":3)")); }) ==
        Errc::not_found);
  CHECK(code_of([&] { (void)e.apply_json(ev("d1", "D", "receive", "02T09:20", kComplaint + R"(,"workflow":"nope")")); }) ==
        Errc::not_found);
  CHECK(e.size() == 3);
  // Loading the same name and version twice is refused.
  CHECK(code_of([&] { e.add_workflow(default_v2(), cfg.policy(), cfg.rules()); }) == Errc::conflict);
  // Queries by state span the versions.
  Query acknowledged;
  acknowledged.state = "acknowledged";
  CHECK(e.find(acknowledged) == std::vector<std::string>{"A", "B"});

  SUBCASE("across a snapshot") {
    Engine restored = cfg.v1_and_v2();
    restored.restore(e.snapshot());
    CHECK((engine_dump(restored) == engine_dump(e)));
    CHECK(restored.snapshot() == e.snapshot());
    restored.apply_json(ev("c3", "C", "acknowledge", "02T09:40"));  // still version 1: no reason needed
    // Without version 2 loaded, the snapshot is refused and nothing changes.
    Engine only_v1 = cfg.v1();
    const std::string empty = engine_dump(only_v1);
    CHECK(code_of([&] { only_v1.restore(e.snapshot()); }) == Errc::corrupt);
    CHECK(error_of([&] { only_v1.restore(e.snapshot()); }).find("workflow 'default' version 2, which is not loaded") != std::string::npos);
    CHECK(engine_dump(only_v1) == empty);
  }
}

TEST_CASE("Versions survive recovery: the journal records the version each receive got") {
  Config cfg;
  TempDb db;
  store::DurableOptions o;
  o.durability = store::Durability::off;
  o.snapshot_every = 0;
  std::string live;
  {
    Engine e = store::open_engine(db.path, [&] { return cfg.v1(); }, o);
    e.apply_json(ev("a1", "A", "receive", "02T09:00", kComplaint));
  }
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    Engine e = store::open_engine(db.path, [&] { return cfg.v1_and_v2(); }, o);
    CHECK(e.get("A")->workflow_version == 1);  // received under version 1, replayed under version 1
    if (round == 0) {
      e.apply_json(ev("b1", "B", "receive", "02T09:05", kComplaint));
      e.apply_json(ev("a2", "A", "acknowledge", "02T09:10"));
      e.save_snapshot();
      e.apply_json(ev("c1", "C", "receive", "02T09:15", kComplaint));
      live = engine_dump(e);
    } else {
      CHECK(e.get("B")->workflow_version == 2);
      CHECK(e.get("C")->workflow_version == 2);
      CHECK((engine_dump(e) == live));
    }
  }
  // Opened without version 2, the store's cases cannot be placed: a clear error, not a guess.
  const auto err = error_of([&] { (void)store::open_engine(db.path, [&] { return cfg.v1(); }, o); });
  CHECK(err.find("version 2") != std::string::npos);
}

TEST_CASE("The shipped workflows live in one engine: inquiries, suggestions and warranty requests beside complaints") {
  Engine e = Engine::from_files(kData + "workflows", kData + "policies", kData + "calendars/cn-2026.json");
  std::vector<std::string> names;
  for (const auto& d : e.workflows()) names.push_back(d.name());
  CHECK(names == std::vector<std::string>{"default", "incident", "inquiry", "suggestion", "warranty", "work_order"});
  CHECK(e.definition().name() == "default");
  const std::string web = R"("channel":"web","customer":"K-9",)";
  e.apply_json(ev("c1", "C-1", "receive", "02T09:00", kComplaint));
  e.apply_json(ev("i1", "I-1", "receive", "02T09:00", web + R"("category":"billing","workflow":"inquiry","phone":"13812345678")"));
  e.apply_json(ev("i2", "I-1", "answer", "02T10:00", R"("resolution":"explained the bill")"));
  e.apply_json(ev("i3", "I-1", "close", "02T10:05"));
  e.apply_json(ev("s1", "S-1", "receive", "02T09:00", web + R"("category":"process","workflow":"suggestion")"));
  e.apply_json(ev("s2", "S-1", "acknowledge", "02T09:30"));
  e.apply_json(ev("s3", "S-1", "evaluate", "03T09:30", R"("decision":"adopted","adopted_by":"billing","reward":50)", "supervisor"));
  e.apply_json(ev("s4", "S-1", "reply", "03T10:00", R"("resolution":"adopted, thank you")"));
  e.apply_json(ev("w1", "W-1", "receive", "02T09:00", web + R"("category":"repair","workflow":"warranty","product":"tv")"));
  e.apply_json(ev("w2", "W-1", "dispatch", "02T09:30", R"("department":"repair","owner":"t-1")"));
  // under_warranty is required once the repair is complete.
  CHECK(error_of([&] { (void)e.apply_json(ev("w3", "W-1", "complete", "02T15:00", R"("resolution":"fixed")")); })
            .find("missing data.under_warranty") != std::string::npos);
  e.apply_json(ev("w3", "W-1", "complete", "02T15:00", R"("resolution":"fixed","under_warranty":true)"));
  e.apply_json(ev("w4", "W-1", "callback", "02T16:00", R"("outcome":"satisfied")"));
  CHECK(e.get("I-1")->state == "closed");
  CHECK(e.get("I-1")->workflow == "inquiry");
  CHECK(e.get("S-1")->state == "closed");
  CHECK(e.get("W-1")->state == "closed");
  // An inquiry's event types are not a complaint's.
  CHECK(error_of([&] { (void)e.apply_json(ev("c2", "C-1", "answer", "02T10:00", R"("resolution":"x")")); })
            .find("unknown event type 'answer' (workflow 'default' v1)") != std::string::npos);
  const kpi::Report r = e.kpi();
  REQUIRE(r.by_workflow.size() == 4);
  CHECK(r.by_workflow[0].key == "default");
  CHECK(r.by_workflow[1].key == "inquiry");
  CHECK(r.by_workflow[1].received == 1);
  CHECK(r.by_workflow[3].key == "warranty");
  CHECK(r.overall.received == 4);
  CHECK(kpi::to_json(r).find("\"by_workflow\":[{\"key\":\"default\"") != std::string::npos);
}

TEST_CASE("Limits at their boundaries: declared fields, attributes per event, versions, workflows per engine") {
  Config cfg;
  auto workflow = [](const std::string& extra, size_t n_fields) {
    std::string fields;
    for (size_t i = 0; i < n_fields; ++i) fields += fmt::format("{}\"f{}\": {{\"type\": \"string\"}}", i ? "," : "", i);
    return R"({"name": "w", "roles": ["agent"], "fields": {)" + fields + "}" + extra +
           R"(, "states": [{"name": "open"}], "transitions": [{"event": "receive", "to": "open", "effect": "receive", "roles": ["agent"]}]})";
  };
  CHECK(Definition::from_json(workflow("", kMaxDeclaredFields)).fields().size() == kMaxDeclaredFields);
  CHECK(code_of([&] { (void)Definition::from_json(workflow("", kMaxDeclaredFields + 1)); }) == Errc::limit);
  CHECK(Definition::from_json(workflow(R"(, "version": 65535)", 0)).version() == kMaxWorkflowVersion);
  CHECK(code_of([&] { (void)Definition::from_json(workflow(R"(, "version": 65536)", 0)); }) == Errc::invalid_argument);
  CHECK(code_of([&] { (void)Definition::from_json(workflow(R"(, "version": 0)", 0)); }) == Errc::invalid_argument);
  // An event with kMaxDeclaredFields attributes is parsed; one more is refused.
  std::string data;
  for (size_t i = 0; i < kMaxDeclaredFields; ++i) data += fmt::format("{}\"f{}\":\"v\"", i ? "," : "", i);
  Engine e(Definition::from_json(workflow("", kMaxDeclaredFields)), cfg.policy(), Rules{}, cfg.calendar.zone());
  e.apply_json(ev("r", "W-1", "receive", "02T09:00", data));
  CHECK(e.get("W-1")->fields.size() == kMaxDeclaredFields);
  CHECK(code_of([&] { (void)parse_event(ev("r", "W-2", "receive", "02T09:00", data + R"(,"one_more":"v")")); }) == Errc::limit);
  CHECK(code_of([&] { (void)parse_event(ev("r", "W-2", "receive", "02T09:00", R"("workflow_version":65536)")); }) == Errc::parse);
  // kMaxWorkflows versions per engine, then limit.
  Engine many = cfg.v1();
  auto base = nlohmann::json::parse(slurp(kData + "workflows/default.json"));
  for (int v = 2; v <= static_cast<int>(kMaxWorkflows); ++v) {
    base["version"] = v;
    many.add_workflow(Definition::from_json(base.dump()), cfg.policy(), cfg.rules());
  }
  CHECK(many.workflows().size() == kMaxWorkflows);
  base["version"] = 1000;
  CHECK(code_of([&] { many.add_workflow(Definition::from_json(base.dump()), cfg.policy(), cfg.rules()); }) == Errc::limit);
  many.apply_json(ev("r", "M-1", "receive", "02T09:00", kComplaint));
  CHECK(many.get("M-1")->workflow_version == static_cast<int>(kMaxWorkflows));
}

TEST_CASE("Refusals about workflows change nothing, in memory and on disk") {
  Config cfg;
  auto check = [&](Engine& e) {
    e.apply_json(ev("a1", "A", "receive", "02T09:00", kComplaint));
    e.apply_json(ev("w1", "W", "receive", "02T09:00", R"("channel":"web","customer":"K-9","category":"repair","workflow":"warranty")"));
    e.apply_json(ev("w2", "W", "dispatch", "02T09:30", R"("department":"repair","owner":"t-1")"));
    const std::string before = engine_dump(e);
    const int64_t position = e.journal_position();
    const std::vector<std::pair<Errc, std::string>> refused = {
        {Errc::not_found, ev("x1", "X", "receive", "02T10:00", kComplaint + R"(,"workflow":"survey")")},
        {Errc::not_found, ev("x2", "X", "receive", "02T10:00", kComplaint + R"(,"workflow_version":2)")},
        {Errc::invalid_argument, ev("x3", "A", "acknowledge", "02T10:00", R"("workflow":"warranty")")},
        {Errc::invalid_argument, ev("x4", "A", "answer", "02T10:00", R"("resolution":"x")")},
        {Errc::invalid_argument, ev("x5", "W", "complete", "02T10:00", R"("resolution":"fixed")")},  // under_warranty required
        {Errc::invalid_argument, ev("x6", "A", "merge", "02T10:00", R"("into":"W")")},                // another workflow
    };
    for (const auto& [code, json] : refused) {
      CAPTURE(json);
      CHECK(code_of([&] { (void)e.apply_json(json); }) == code);
      CHECK((engine_dump(e) == before));
      CHECK(e.journal_position() == position);
    }
    CHECK(code_of([&] { e.add_workflow(Definition::from_file(kData + "workflows/warranty.json"), cfg.policy("warranty"), cfg.rules("warranty")); }) ==
          Errc::conflict);
    CHECK(e.workflows().size() == 2);
    CHECK((engine_dump(e) == before));
  };
  auto both = [&] {
    Engine e = cfg.v1();
    e.add_workflow(Definition::from_file(kData + "workflows/warranty.json"), cfg.policy("warranty"), cfg.rules("warranty"));
    return e;
  };
  SUBCASE("in memory") {
    Engine e = both();
    check(e);
  }
  SUBCASE("durable, and after reopening") {
    TempDb db;
    store::DurableOptions o;
    o.durability = store::Durability::off;
    std::string live;
    {
      Engine e = store::open_engine(db.path, both, o);
      check(e);
      live = engine_dump(e);
    }
    Engine reopened = store::open_engine(db.path, both, o);
    CHECK((engine_dump(reopened) == live));
  }
}
