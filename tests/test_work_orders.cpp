// Installation and maintenance work orders (装维服务, docs/domain.md#installation-and-maintenance-service):
// the shipped work-order workflow and policy. Appointment clocks are fixed instants from the
// agreed window, reschedules move them and are kept, nobody at home pauses the repair clock, the
// repair limit follows kind, product and tier, join and link record on both cases. Every refusal
// changes nothing, in memory and durable.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "../tools/work_order_generator.cpp"  // library-independent generator, compiled in
#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"
#include "engine_fixture.hpp"
#include "test_support.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

using testing::all_refused;
using testing::clock;
using testing::kData;

Engine both_workflows() {
  return Engine::from_files({kData + "workflows/default.json", kData + "workflows/work-order.json"}, kData + "policies",
                            kData + "calendars/cn-2026.json");
}

std::string event(const std::string& id, const std::string& type, const std::string& at, const std::string& data = "",
                  const std::string& role = "agent", const std::string& case_id = "W-1", const std::string& actor = "u-1") {
  return testing::march_event(id, type, at, data, role, case_id, actor);
}

std::string receive_data(const std::string& kind = "fault_repair", const std::string& product = "broadband",
                         const std::string& tier = "basic", const std::string& customer = "c-1") {
  return fmt::format(R"("workflow":"work_order","channel":"phone","customer":"{}","tier":"{}","kind":"{}","product":"{}")", customer, tier,
                     kind, product);
}

/// Window "HH:MM"-"HH:MM" on 2026-03-09 (China time).
std::string window(const std::string& start, const std::string& end) {
  return fmt::format(R"("start":"2026-03-09T{}:00+08:00","end":"2026-03-09T{}:00+08:00")", start, end);
}

/// W-1 (or `id`) received, dispatched to team-east's tech-7, appointed 14:00-16:00 on 9 March.
void appointed(Engine& e, const std::string& id = "W-1", const std::string& data = receive_data()) {
  e.apply_json(event(id + "r", "receive", "09T09:00:00", data, "agent", id));
  e.apply_json(event(id + "d", "dispatch", "09T09:10:00", R"("department":"team-east","owner":"tech-7")", "agent", id));
  e.apply_json(event(id + "a", "appoint", "09T09:30:00", window("14:00", "16:00"), "technician", id, "tech-7"));
}


Instant at(const std::string& s) { return parse_instant(s); }

}  // namespace

TEST_CASE("A work order's life: the appointment clocks are due at offsets from the window's start, each met in time") {
  auto check = [](Engine& e) {
    appointed(e);
    Case c = *e.get("W-1");
    CHECK(c.workflow == "work_order");
    CHECK(c.state == "appointed");
    CHECK(clock(c, "confirm").due == at("2026-03-09T12:00:00+08:00"));
    CHECK(clock(c, "pre_visit_notice").due == at("2026-03-09T13:30:00+08:00"));
    CHECK(clock(c, "arrival").due == at("2026-03-09T14:00:00+08:00"));
    CHECK(clock(c, "arrival").kind == sla::TargetKind::instant);
    // Broadband fault repair: 24 elapsed hours from receipt.
    CHECK(clock(c, "repair").kind == sla::TargetKind::elapsed);
    CHECK(clock(c, "repair").due == at("2026-03-10T09:00:00+08:00"));
    e.apply_json(event("c1", "confirm", "09T11:00:00", "", "technician", "W-1", "tech-7"));
    e.apply_json(event("n1", "notify", "09T13:20:00", "", "technician", "W-1", "tech-7"));
    e.apply_json(event("v1", "arrive", "09T13:55:00", "", "technician", "W-1", "tech-7"));
    const ApplyResult done = e.apply_json(event("f1", "complete", "09T15:00:00", R"("result":"modem replaced")", "technician", "W-1", "tech-7"));
    CHECK(done.to_state == "completed");
    (void)e.sweep(at("2026-03-09T15:00:00+08:00"));
    c = *e.get("W-1");
    for (const char* name : {"confirm", "pre_visit_notice", "arrival", "repair"}) {
      CAPTURE(name);
      CHECK(clock(c, name).state == sla::ClockState::stopped);
      CHECK_FALSE(clock(c, name).breached);
    }
    CHECK(clock(c, "callback").state == sla::ClockState::running);
    CHECK(e.apply_json(event("b1", "callback", "09T17:00:00", R"("outcome":"satisfied")")).to_state == "closed");
  };
  testing::in_memory_and_durable(both_workflows, check);
}

TEST_CASE("Late: a technician at the door after the window's start breaches arrival and escalates; a missed confirmation breaches") {
  auto check = [](Engine& e) {
    appointed(e);
    const auto fired = e.sweep(at("2026-03-09T14:00:00+08:00"));
    int breaches = 0;
    for (const SweepEvent& s : fired) breaches += s.kind == sla::ClockEvent::breach;
    CHECK(breaches == 3);  // confirm, pre_visit_notice, arrival
    e.apply_json(event("v1", "arrive", "09T14:20:00", "", "technician", "W-1", "tech-7"));
    const Case c = *e.get("W-1");
    CHECK(clock(c, "arrival").breached);
    CHECK(clock(c, "confirm").breached);
    CHECK(c.escalation_level == 1);
  };
  testing::in_memory_and_durable(both_workflows, check);
}

TEST_CASE("Reschedule: a new window moves the clocks still due, keeps who asked and why; a given confirmation stays given") {
  auto check = [](Engine& e) {
    appointed(e);
    e.apply_json(event("c1", "confirm", "09T10:00:00", "", "technician", "W-1", "tech-7"));
    e.apply_json(event("s1", "reschedule", "09T10:30:00", window("16:00", "18:00") + R"(,"by":"customer","reason":"at work until 4")",
                       "agent"));
    e.apply_json(event("s2", "reschedule", "09T11:00:00", window("17:00", "18:00") + R"(,"by":"company","reason":"technician delayed")",
                       "agent"));
    const Case c = *e.get("W-1");
    CHECK(clock(c, "arrival").due == at("2026-03-09T17:00:00+08:00"));
    CHECK(clock(c, "pre_visit_notice").due == at("2026-03-09T16:30:00+08:00"));
    CHECK(clock(c, "arrival").retargets.size() == 2);
    CHECK(clock(c, "arrival").retargets[0].reason == "data.start changed");
    CHECK(clock(c, "confirm").state == sla::ClockState::stopped);
    CHECK_FALSE(clock(c, "confirm").breached);
    // Each reschedule is in the trail: who asked, why, when, and the window.
    std::vector<std::string> who;
    for (const AuditEntry& a : c.events) {
      if (a.type != "reschedule") continue;
      for (const FieldValue& f : a.data)
        if (f.name == "by") who.push_back(f.text + "@" + format_utc(a.at));
    }
    CHECK(who == std::vector<std::string>{"customer@2026-03-09T02:30:00Z", "company@2026-03-09T03:00:00Z"});

    all_refused(e, {{event("x1", "reschedule", "09T11:10:00", window("17:00", "18:00") + R"(,"by":"customer","reason":"again")"),
                     Errc::invalid_argument, "is the one agreed already"},
                    {event("x2", "reschedule", "09T11:10:00", window("18:00", "17:00") + R"(,"by":"customer","reason":"r")"),
                     Errc::invalid_argument, "data.end 2026-03-09T09:00:00Z is not after data.start"},
                    {event("x3", "reschedule", "09T11:10:00", window("11:00", "12:00") + R"(,"by":"customer","reason":"r")"),
                     Errc::invalid_argument, "is before the event"},
                    {event("x4", "reschedule", "09T11:10:00", window("18:00", "19:00") + R"(,"reason":"r")"), Errc::invalid_argument,
                     "missing data.by"},
                    {event("x5", "reschedule", "09T11:10:00", window("18:00", "19:00") + R"(,"by":"neighbour","reason":"r")"),
                     Errc::invalid_argument, "data.by 'neighbour' is not one of: customer, company"},
                    {event("x6", "reschedule", "09T11:10:00", window("18:00", "19:00") + R"(,"by":"customer")"), Errc::invalid_argument,
                     "missing data.reason"},
                    {event("x7", "update", "09T11:10:00", R"("start":"2026-03-09T18:00:00+08:00")"), Errc::invalid_argument,
                     "data.start: the visit window changes only with an appoint or a reschedule"},
                    {event("x8", "reschedule", "09T11:10:00", R"("start":"2026-03-09T18:00:00+08:00","by":"customer","reason":"r")"),
                     Errc::invalid_argument, "missing data.end"}});
  };
  testing::in_memory_and_durable(both_workflows, check);
}

TEST_CASE("Nobody at home: a written notice, the order waits, the repair clock pauses until a new appointment") {
  auto check = [](Engine& e) {
    appointed(e);
    e.apply_json(event("v1", "arrive", "09T13:50:00", "", "technician", "W-1", "tech-7"));
    all_refused(e, {{event("x1", "not_at_home", "09T14:00:00", "", "technician", "W-1", "tech-7"), Errc::invalid_argument,
                     "missing data.notice"},
                    {event("x2", "not_at_home", "09T14:00:00", R"("notice":"")", "technician", "W-1", "tech-7"), Errc::invalid_argument,
                     "data.notice is empty"},
                    {event("x3", "complete", "09T14:00:00", "", "technician", "W-1", "tech-7"), Errc::invalid_argument,
                     "missing data.result"}});
    e.apply_json(event("h1", "not_at_home", "09T14:00:00", R"("notice":"card left at the door, call 10000")", "technician", "W-1", "tech-7"));
    Case c = *e.get("W-1", at("2026-03-09T20:00:00+08:00"));
    CHECK(c.state == "absent");
    CHECK(c.kind == StateKind::waiting);
    CHECK(clock(c, "repair").state == sla::ClockState::paused);
    // A new window the next day: the repair clock runs again, the appointment clocks start over.
    e.apply_json(event("a2", "appoint", "10T08:00:00", R"("start":"2026-03-10T10:00:00+08:00","end":"2026-03-10T12:00:00+08:00")",
                       "agent"));
    c = *e.get("W-1");
    CHECK(clock(c, "repair").state == sla::ClockState::running);
    REQUIRE(clock(c, "repair").paused);
    CHECK(clock(c, "repair").paused->count_seconds() == 18 * 3600);
    // 24 h from receipt plus the 18 h paused.
    CHECK(clock(c, "repair").due == at("2026-03-11T03:00:00+08:00"));
    CHECK(clock(c, "arrival").instance == 2);
    CHECK(clock(c, "arrival").due == at("2026-03-10T10:00:00+08:00"));
    CHECK(clock(c, "arrival").state == sla::ClockState::running);
  };
  testing::in_memory_and_durable(both_workflows, check);
}

TEST_CASE("Repair limits by kind, product and tier: broadband before fixed line, VIP faster, installation in business time") {
  Engine e = both_workflows();
  auto repair = [&](const std::string& id, const std::string& data) {
    e.apply_json(event(id, "receive", "09T09:00:00", data, "agent", id));
    return clock(*e.get(id), "repair");
  };
  CHECK(repair("B", receive_data("fault_repair", "broadband")).due == at("2026-03-10T09:00:00+08:00"));
  CHECK(repair("F", receive_data("fault_repair", "fixed_line")).due == at("2026-03-11T09:00:00+08:00"));
  CHECK(repair("D", receive_data("fault_repair", "broadband", "diamond")).due == at("2026-03-09T21:00:00+08:00"));
  const ClockInfo install = repair("I", receive_data("installation", "broadband"));
  CHECK(install.kind == sla::TargetKind::business);
  CHECK(install.target.count_seconds() == 24 * 3600);
  CHECK(repair("M", receive_data("move", "tv")).target.count_seconds() == 40 * 3600);
  all_refused(e, {{event("x1", "receive", "09T09:00:00", R"("workflow":"work_order","channel":"phone","customer":"c-1","product":"tv")", "agent",
                         "X"),
                   Errc::invalid_argument, "missing data.kind"},
                  {event("x2", "receive", "09T09:00:00", receive_data("repair"), "agent", "X"), Errc::invalid_argument,
                   "data.kind 'repair' is not one of: installation, move, fault_repair"},
                  {event("x3", "appoint", "09T09:10:00", window("14:00", "16:00"), "technician", "B"), Errc::invalid_state,
                   "not allowed in state 'received'"}});
}

TEST_CASE("join: one visit for two orders of a customer, recorded on both; link: a complaint and a work order point at each other") {
  auto check = [](Engine& e) {
    appointed(e, "W-1");
    e.apply_json(event("W-2r", "receive", "09T09:40:00", receive_data("installation", "tv"), "agent", "W-2"));
    e.apply_json(event("W-3r", "receive", "09T09:40:00", receive_data("installation", "tv", "basic", "c-9"), "agent", "W-3"));
    e.apply_json(event("K-1r", "receive", "09T09:45:00", R"("channel":"phone","category":"installation","severity":"normal","customer":"c-1")",
                       "agent", "K-1"));
    const ApplyResult joined = e.apply_json(event("j1", "join", "09T10:00:00", R"("order":"W-2")"));
    CHECK(joined.covered == std::vector<std::string>{"W-2"});
    auto partner_of = [&](const std::string& id, const std::string& type, const char* key) {
      std::string out;
      const Case c = *e.get(id);
      for (const AuditEntry& a : c.events)
        if (a.type == type)
          for (const FieldValue& f : a.data)
            if (f.name == key) out += f.text + ";";
      return out;
    };
    CHECK(partner_of("W-1", "join", "order") == "W-2;");
    CHECK(partner_of("W-2", "join", "order") == "W-1;");
    // A complaint about the order: both point at each other (the complaint workflow has its link transition).
    CHECK(e.apply_json(event("l1", "link", "09T10:05:00", R"("case":"W-1")", "agent", "K-1")).covered == std::vector<std::string>{"W-1"});
    CHECK(partner_of("K-1", "link", "case") == "W-1;");
    CHECK(partner_of("W-1", "link", "case") == "K-1;");
    CHECK(e.get("W-1")->links == std::vector<std::string>{"W-2", "K-1"});
    CHECK(e.get("W-2")->links == std::vector<std::string>{"W-1"});
    CHECK(e.get("K-1")->links == std::vector<std::string>{"W-1"});
    CHECK(e.get("W-3")->links.empty());
    CHECK(to_json(*e.get("W-1"), false).find(R"("links":["W-2","K-1"])") != std::string::npos);
    all_refused(e, {{event("x1", "join", "09T10:10:00", R"("order":"W-3")"), Errc::invalid_argument,
                     "data.order: case 'W-3' is customer 'c-9''s, this one customer 'c-1''s"},
                    {event("x2", "join", "09T10:10:00", R"("order":"W-2")"), Errc::conflict, "case 'W-2' is linked to this one already"},
                    {event("x3", "join", "09T10:10:00", R"("order":"W-2")", "agent", "W-2"), Errc::invalid_argument,
                     "a case cannot be linked to itself"},
                    {event("x4", "join", "09T10:10:00", R"("order":"W-404")"), Errc::not_found, "data.order: unknown case 'W-404'"},
                    {event("x5", "join", "09T10:10:00", R"("order":"K-1")"), Errc::invalid_argument,
                     "data.order: case 'K-1' is under workflow 'default'"},
                    {event("x6", "link", "09T10:10:00", R"("case":"W-2")"), Errc::invalid_argument,
                     "data.case: case 'W-2' is under this workflow 'work_order' too"},
                    {event("x7", "link", "09T10:10:00", R"("case":"K-1")"), Errc::conflict, "case 'K-1' is linked to this one already"},
                    {event("x8", "join", "09T10:10:00", R"("order":"W-2","case":"K-1")"), Errc::invalid_argument,
                     "data.order and data.case"},
                    // The other case refuses: its last event is later than this one.
                    {event("x9", "join", "09T09:50:00", R"("order":"W-2")", "agent", "W-3"), Errc::invalid_argument, "c-9"}});
    // A snapshot holds the work orders, their windows, reschedules and links.
    Engine copy = both_workflows();
    copy.restore(e.snapshot());
    CHECK((testing::engine_dump(copy) == testing::engine_dump(e)));
    CHECK(copy.snapshot() == e.snapshot());
  };
  testing::in_memory_and_durable(both_workflows, check);
}

TEST_CASE("A workflow naming an appointment or link effect must declare what it works on") {
  const auto def = [](const std::string& fields, const std::string& transition) {
    return fmt::format(R"({{"name":"w","roles":["a"],"clocks":[],"fields":{{{}}},"states":[{{"name":"s","kind":"open"}}],
      "transitions":[{{"event":"receive","to":"s","effect":"receive","roles":["a"]}},{}]}})",
                       fields, transition);
  };
  CHECK(testing::error_of([&] {
          (void)Definition::from_json(def("", R"({"event":"appoint","from":["s"],"stay":true,"effect":"appoint","roles":["a"]})"));
        }).find("workflow.transitions[1].required: a transition with effect \"appoint\" requires data.start, a declared instant field") !=
        std::string::npos);
  CHECK(testing::error_of([&] {
          (void)Definition::from_json(def(R"("start":{"type":"instant"},"end":{"type":"string"})",
                                          R"({"event":"appoint","from":["s"],"stay":true,"effect":"appoint","roles":["a"],"required":["start","end"]})"));
        }).find("requires data.end, a declared instant field") != std::string::npos);
  CHECK(testing::error_of([&] {
          (void)Definition::from_json(def("", R"({"event":"join","from":["s"],"stay":true,"effect":"link","roles":["a"]})"));
        }).find("requires data.order (a case of this workflow) or data.case") != std::string::npos);
  CHECK(testing::error_of([&] {
          (void)Definition::from_json(def("", R"({"event":"x","from":["s"],"stay":true,"roles":["a"],"required":["nosuch"]})"));
        }).find("workflow.transitions[1].required[0]: unknown field 'nosuch' (neither built in nor declared)") != std::string::npos);
}

TEST_CASE("Work-order KPIs: on-time clocks, reschedules by who asked, first-visit fix; by product, technician and team") {
  auto check = [](Engine& e) {
    auto tech = [&](const std::string& id, const std::string& key, const std::string& type, const std::string& at,
                    const std::string& data = "") {
      e.apply_json(event(id + key, type, at, data, "technician", id, "tech-7"));
    };
    // W-1: everything in time, fixed at the first visit.
    appointed(e, "W-1");
    tech("W-1", "c", "confirm", "09T11:00:00");
    tech("W-1", "n", "notify", "09T13:00:00");
    tech("W-1", "v", "arrive", "09T13:50:00");
    tech("W-1", "f", "complete", "09T15:00:00", R"("result":"done")");
    // W-2 (fixed line): rescheduled by the customer, arrives late, nobody at home, a second visit.
    appointed(e, "W-2", receive_data("fault_repair", "fixed_line"));
    e.apply_json(event("W-2s", "reschedule", "09T10:00:00", window("15:00", "17:00") + R"(,"by":"customer","reason":"r")", "agent", "W-2"));
    (void)e.sweep(at("2026-03-09T15:10:00+08:00"));
    tech("W-2", "v", "arrive", "09T15:10:00");
    tech("W-2", "h", "not_at_home", "09T15:20:00", R"("notice":"card left")");
    e.apply_json(event("W-2a2", "appoint", "09T16:00:00", R"("start":"2026-03-10T10:00:00+08:00","end":"2026-03-10T12:00:00+08:00")",
                       "agent", "W-2"));
    tech("W-2", "c2", "confirm", "10T07:00:00");
    tech("W-2", "n2", "notify", "10T09:00:00");
    tech("W-2", "v2", "arrive", "10T09:50:00");
    tech("W-2", "f", "complete", "10T11:00:00", R"("result":"line repaired")");
    // W-3: rescheduled by the company, still to be visited.
    appointed(e, "W-3");
    e.apply_json(event("W-3s", "reschedule", "09T10:00:00", window("16:00", "17:00") + R"(,"by":"company","reason":"r")", "agent", "W-3"));
    // W-4: cancelled before its visit: its clocks met nothing and are not counted; W-5: cancelled
    // after its arrival time had passed: the breach counts.
    appointed(e, "W-4");
    e.apply_json(event("W-4x", "cancel", "09T11:00:00", R"("reason":"customer withdrew")", "agent", "W-4"));
    appointed(e, "W-5");
    (void)e.sweep(at("2026-03-09T14:30:00+08:00"));
    e.apply_json(event("W-5x", "cancel", "09T14:30:00", R"("reason":"customer withdrew")", "agent", "W-5"));

    kpi::Options o;
    o.as_of = at("2026-03-10T12:00:00+08:00");
    const kpi::Report r = e.kpi(o);
    const kpi::Appointments& a = r.overall.appointments;
    CHECK(a.appointed == 5);
    CHECK(a.reschedules_by_customer == 1);
    CHECK(a.reschedules_by_company == 1);
    CHECK(a.rescheduled_by_customer.numerator == 1);
    CHECK(a.rescheduled_by_customer.denominator == 5);
    CHECK(a.visits == 3);
    CHECK(a.not_at_home == 1);
    CHECK(a.first_visit_fix.numerator == 1);
    CHECK(a.first_visit_fix.denominator == 2);
    auto on_time = [](const kpi::Measures& m, const std::string& clock) {
      for (const kpi::ClockRate& c : m.clocks)
        if (c.clock == clock) return std::pair{c.on_time.numerator, c.on_time.denominator};
      return std::pair<int64_t, int64_t>{-1, -1};
    };
    // W-3's arrival (16:00 on the 9th) passed without a visit: due, and missed; W-5's missed too
    // before it was cancelled; W-4's is not counted.
    CHECK(on_time(r.overall, "arrival") == std::pair<int64_t, int64_t>{2, 4});
    // W-3 has not been repaired within its 24 hours either; the cancelled orders' repair clocks
    // stopped unbreached: not counted.
    CHECK(on_time(r.overall, "repair") == std::pair<int64_t, int64_t>{2, 3});
    // Timeliness keeps its complaint meaning: a case whose clocks stopped unbreached (W-1, and W-4 at
    // its cancellation) is timely.
    CHECK(r.overall.timeliness.numerator == 2);
    REQUIRE(r.by_owner.size() == 1);
    CHECK(r.by_owner[0].key == "tech-7");
    CHECK(r.by_owner[0].received == 5);
    REQUIRE(r.by_department.size() == 1);
    CHECK(r.by_department[0].key == "team-east");
    const auto product = std::find_if(r.by_field.begin(), r.by_field.end(), [](const auto& f) { return f.first == "product"; });
    REQUIRE(product != r.by_field.end());
    REQUIRE(product->second.size() == 2);
    CHECK(product->second[0].key == "broadband");
    CHECK(product->second[0].received == 4);
    CHECK(product->second[1].key == "fixed_line");
    CHECK(product->second[1].appointments.not_at_home == 1);
    const std::string json = kpi::to_json(r);
    CHECK(json.find(R"("appointments":{"appointed":5,"reschedules_by_customer":1,"reschedules_by_company":1,"visits":3,"not_at_home":1,)") !=
          std::string::npos);
    CHECK(json.find(R"("by_field":{)") != std::string::npos);
  };
  testing::in_memory_and_durable(both_workflows, check);
}

TEST_CASE("The generated month of work orders applies cleanly, the same each time, with every kind of event") {
  gen::WorkOrderLogOptions o;
  o.orders = 400;
  o.seed = 3;
  const std::string log = gen::generate_work_order_jsonl(o);
  CHECK(log == gen::generate_work_order_jsonl(o));
  Engine e = both_workflows();
  EngineOptions eo;
  eo.sweep_before_apply = true;
  e.set_options(eo);
  size_t lines = 0;
  std::set<std::string> types;
  for (size_t pos = 0; pos < log.size();) {
    const size_t end = log.find('\n', pos);
    const std::string line = log.substr(pos, end - pos);
    pos = end + 1;
    ++lines;
    CAPTURE(line);
    const ApplyResult r = e.apply_json(line);
    types.emplace(r.type);
  }
  CHECK(e.size() == 400);
  CHECK(types == std::set<std::string>{"appoint", "arrive", "callback", "cancel", "complete", "confirm", "dispatch", "join", "not_at_home",
                                       "notify", "receive", "reschedule", "transfer"});
  const kpi::Report r = e.kpi();
  CHECK(r.overall.appointments.first_visit_fix.value() > 0.7);
  CHECK(r.overall.appointments.reschedules_by_company > 0);
  CHECK_THROWS_AS((void)gen::generate_work_order_jsonl([] {
                    gen::WorkOrderLogOptions bad;
                    bad.start = "2026-3-1";
                    return bad;
                  }()),
                  std::invalid_argument);
}
