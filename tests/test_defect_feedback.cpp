// Defect feedback (缺陷反馈制度, BS 8600's last line of defence): a complaint's cause recorded
// (root cause, component, supplier, contractor, responsible department), corrective actions
// opened one at a time with their own clock running on after the complaint closes, and the KPI
// report grouped by cause with breaches and compensation. Every refusal changes nothing, in
// memory and durable.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "engine_fixture.hpp"
#include "test_support.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

using testing::all_refused;
using testing::clock;

std::string event(const std::string& id, const std::string& case_id, const std::string& type, const std::string& at,
                  const std::string& data = "", const std::string& role = "agent") {
  return testing::march_event(id, type, at, data, role, case_id);
}

const kpi::Measures& bucket(const kpi::Report& r, const std::string& field, const std::string& key) {
  for (const auto& [name, list] : r.by_field)
    if (name == field)
      for (const kpi::Measures& m : list)
        if (m.key == key) return m;
  FAIL("no bucket " << field << "=" << key);
  return r.overall;
}

/// C-1 (customer K-1) received, dispatched and resolved on 9 March, closed by a satisfied callback.
void closed_complaint(Engine& e, const std::string& id, const std::string& customer) {
  e.apply_json(event(id + "r", id, "receive", "09T09:00:00",
                     fmt::format(R"("channel":"phone","category":"product_quality","severity":"normal","customer":"{}")", customer)));
  e.apply_json(event(id + "a", id, "acknowledge", "09T09:10:00"));
  e.apply_json(event(id + "d", id, "dispatch", "09T09:20:00", R"("department":"network","owner":"u-1")"));
  e.apply_json(event(id + "s", id, "resolve", "09T11:00:00", R"("resolution":"router replaced")"));
  e.apply_json(event(id + "b", id, "callback", "09T15:00:00", R"("outcome":"satisfied","manual":true)"));
}

constexpr const char* kCause =
    R"("root_cause":"router firmware overheats","component":"home router","supplier":"Acme Networks","contractor":"in-house","responsible_department":"network")";

}  // namespace

TEST_CASE("Corrective actions: one open at a time, running on after the complaint closes, refusals change nothing") {
  auto check = [](Engine& e) {
    closed_complaint(e, "C-1", "K-1");
    e.apply_json(event("u1", "C-1", "update", "09T16:00:00", kCause, "supervisor"));
    const ApplyResult opened = e.apply_json(event("ca1", "C-1", "corrective_action", "09T16:10:00",
                                                  R"("action":"firmware update for the batch","owner":"q-7","due":"2026-03-20T18:00:00+08:00")",
                                                  "supervisor"));
    REQUIRE(opened.clocks.size() == 1);
    CHECK(opened.clocks[0].clock == "corrective_action");
    CHECK(opened.clocks[0].op == ClockAction::open);
    CHECK(opened.clocks[0].due == parse_instant("2026-03-20T18:00:00+08:00"));
    Case c = *e.get("C-1");
    CHECK(c.state == "closed");
    CHECK(clock(c, "corrective_action").state == sla::ClockState::running);
    all_refused(e, {
        {event("x1", "C-1", "corrective_action", "09T16:20:00", R"("action":"another","owner":"q-7","due":"2026-03-21T18:00:00+08:00")",
               "supervisor"),
         Errc::invalid_state, "clock 'corrective_action' is running (due 2026-03-20T10:00:00Z)"},
        {event("x2", "C-1", "corrective_action", "09T16:20:00", R"("action":"another","owner":"q-7")", "supervisor"), Errc::invalid_argument,
         "missing data.due"},
        {event("x3", "C-1", "corrective_action", "09T16:20:00", R"("action":"x","owner":"q-7","due":"2026-03-21T18:00:00+08:00")"),
         Errc::permission, "role 'agent'"},
        {event("x4", "C-1", "complete_action", "09T16:20:00", ""), Errc::invalid_argument, "missing data.result"},
    });
    // Reopened and closed again: the action's clock runs on (closing stops the case's other clocks).
    e.apply_json(event("o1", "C-1", "reopen", "10T09:00:00", R"("reason":"router hot again")"));
    e.apply_json(event("o2", "C-1", "resolve", "10T10:00:00", R"("resolution":"replaced again")"));
    e.apply_json(event("o3", "C-1", "callback", "10T11:00:00", R"("outcome":"satisfied","manual":true)"));
    c = *e.get("C-1");
    CHECK(c.state == "closed");
    CHECK(clock(c, "corrective_action").state == sla::ClockState::running);
    CHECK(clock(c, "resolution").state == sla::ClockState::stopped);
    const ApplyResult done = e.apply_json(event("ok", "C-1", "complete_action", "18T10:00:00", R"("result":"batch updated")"));
    REQUIRE(done.clocks.size() == 1);
    CHECK(done.clocks[0].op == ClockAction::stop);  // what happened to the clock
    c = *e.get("C-1");
    CHECK(clock(c, "corrective_action").state == sla::ClockState::stopped);
    CHECK_FALSE(clock(c, "corrective_action").breached);
    // Nothing open now: a completion is refused; a new action may open.
    all_refused(e, {{event("x5", "C-1", "complete_action", "18T11:00:00", R"("result":"again")"), Errc::invalid_state,
                     "clock 'corrective_action' is not running: nothing it tracks is open"}});
    e.apply_json(event("ca2", "C-1", "corrective_action", "18T12:00:00", R"("action":"supplier audit","owner":"q-8","due":"2026-03-19T18:00:00+08:00")",
                       "supervisor"));
    CHECK(clock(*e.get("C-1"), "corrective_action").instance == 2);
    // A withdrawn case's open action ends with it (a terminal state stops every clock).
    e.apply_json(event("c2r", "C-2", "receive", "18T09:00:00", R"("channel":"phone","category":"service","severity":"normal","customer":"K-2")"));
    e.apply_json(event("c2a", "C-2", "corrective_action", "18T09:30:00", R"("action":"x","owner":"q-1","due":"2026-03-25T18:00:00+08:00")",
                       "supervisor"));
    e.apply_json(event("c2w", "C-2", "withdraw", "18T10:00:00"));
    CHECK(clock(*e.get("C-2"), "corrective_action").state == sla::ClockState::stopped);
  };
  testing::in_memory_and_durable(testing::fresh_engine, check);
}

TEST_CASE("The KPI report by root cause, component and supplier: complaints, breaches, compensation, corrective actions") {
  Engine e = testing::fresh_engine();
  closed_complaint(e, "C-1", "K-1");
  closed_complaint(e, "C-2", "K-2");
  closed_complaint(e, "C-3", "K-3");
  e.apply_json(event("u1", "C-1", "update", "09T16:00:00", kCause, "supervisor"));
  e.apply_json(event("u2", "C-2", "update", "09T16:00:00", kCause, "supervisor"));
  // C-3's cause is written with a phone number in it: the report masks free text.
  e.apply_json(event("u3", "C-3", "update", "09T16:00:00", R"("root_cause":"installer 13812345678 left the cable loose","supplier":"Acme Networks")",
                     "supervisor"));
  e.apply_json(event("m1", "C-1", "compensate", "09T16:30:00", R"("amount":120.50)", "supervisor"));
  e.apply_json(event("m2", "C-2", "compensate", "09T16:30:00", R"("amount":30)", "supervisor"));
  // C-1's action is done late, C-2's never (past due by the report's time): both breach.
  e.apply_json(event("a1", "C-1", "corrective_action", "09T17:00:00", R"("action":"firmware","owner":"q-7","due":"2026-03-10T18:00:00+08:00")",
                     "supervisor"));
  e.apply_json(event("a2", "C-2", "corrective_action", "09T17:00:00", R"("action":"recall","owner":"q-7","due":"2026-03-11T18:00:00+08:00")",
                     "supervisor"));
  e.apply_json(event("a3", "C-1", "complete_action", "12T10:00:00", R"("result":"done late")"));
  (void)e.sweep(parse_instant("2026-03-13T00:00:00+08:00"));
  kpi::Options o;
  o.as_of = parse_instant("2026-03-13T00:00:00+08:00");
  const kpi::Report r = e.kpi(o);
  const kpi::Measures& firmware = bucket(r, "root_cause", "router firmware overheats");
  CHECK(firmware.received == 2);
  CHECK(firmware.breached == 2);
  CHECK(firmware.compensated == 2);
  CHECK(firmware.compensation_cents == 15050);
  CHECK(bucket(r, "root_cause", "installer *******5678 left the cable loose").received == 1);
  CHECK(bucket(r, "supplier", "Acme Networks").received == 3);
  CHECK(bucket(r, "component", "(none)").received == 1);
  CHECK(bucket(r, "responsible_department", "network").received == 2);
  const auto& clocks = firmware.clocks;
  const auto it = std::find_if(clocks.begin(), clocks.end(), [](const kpi::ClockRate& k) { return k.clock == "corrective_action"; });
  REQUIRE(it != clocks.end());
  CHECK(it->on_time.numerator == 0);
  CHECK(it->on_time.denominator == 2);
  const auto j = nlohmann::json::parse(kpi::to_json(r));
  CHECK(j["overall"]["compensation"]["granted"] == 150.5);
  CHECK(j["overall"]["compensation"]["cases"] == 2);
  CHECK(j["overall"]["breached"] == 2);
  CHECK(j["by_field"]["root_cause"].size() == 2);
}
