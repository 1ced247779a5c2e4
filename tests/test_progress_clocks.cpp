// Progress promises (让客户知道投诉的进展情况; 主动承诺下一次联络的具体日期): the periodic-update
// clock (the customer hears from the desk at least every 24 business hours while the complaint
// is open; every contact starts it again) and promise_contact {by}, a fixed-instant clock met by
// the next contact. Every refusal changes nothing, in memory and durable.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"
#include "engine_fixture.hpp"
#include "test_support.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

using testing::all_refused;
using testing::clock;
using testing::march_event;

const std::string kReceive = R"("channel":"phone","category":"service","severity":"normal","customer":"c-1")";

std::vector<SweepEvent> of_clock(const std::vector<SweepEvent>& fired, const std::string& name, sla::ClockEvent::Kind kind) {
  std::vector<SweepEvent> out;
  for (const auto& f : fired)
    if (f.clock == name && f.kind == kind) out.push_back(f);
  return out;
}

}  // namespace

TEST_CASE("the periodic update: due 24 business hours after the last contact, started again by each") {
  testing::in_memory_and_durable(testing::fresh_engine, [](Engine& e) {
    // Monday 9 March 2026, 09:00: 24 business hours of 7.5 a day = Thursday 10:30.
    e.apply_json(march_event("r", "receive", "09T09:00:00", kReceive));
    CHECK(clock(*e.get("K-1"), "progress_update").due == parse_instant("2026-03-12T10:30:00+08:00"));
    e.apply_json(march_event("a", "acknowledge", "09T10:00:00"));
    CHECK(clock(*e.get("K-1"), "progress_update").due == parse_instant("2026-03-12T11:30:00+08:00"));
    e.apply_json(march_event("d", "dispatch", "09T10:10:00", R"("department":"network","owner":"u-9")"));
    e.apply_json(march_event("c", "contact", "09T10:20:00"));
    CHECK(clock(*e.get("K-1"), "progress_update").instance == 3);
    CHECK(of_clock(e.sweep(parse_instant("2026-03-11T14:00:00+08:00")), "progress_update", sla::ClockEvent::breach).empty());
    // Wednesday 14:00: the desk tells the customer where things stand; 4 h that day, Thursday,
    // Friday, then Monday 15:30.
    const auto r = e.apply_json(march_event("n", "notify_customer", "11T14:00:00", R"("note":"the engineer comes on Friday")"));
    REQUIRE(r.clocks.size() == 1);  // promised_contact was not running: only the restart shows
    CHECK(r.clocks[0].clock == "progress_update");
    CHECK(r.clocks[0].op == ClockAction::restart);
    CHECK(r.clocks[0].due == parse_instant("2026-03-16T15:30:00+08:00"));
    // Nobody calls again: the update is late on Monday at 15:30, warned at 50, 75, 90 % first.
    const auto fired = e.sweep(parse_instant("2026-03-17T00:00:00+08:00"));
    const auto breaches = of_clock(fired, "progress_update", sla::ClockEvent::breach);
    REQUIRE(breaches.size() == 1);
    CHECK(breaches[0].at == parse_instant("2026-03-16T15:30:00+08:00"));
    CHECK(of_clock(fired, "progress_update", sla::ClockEvent::warning).size() == 3);
    // Resolving the case stops it: no update is owed any more.
    e.apply_json(march_event("s", "resolve", "17T09:00:00", R"("resolution":"line repaired")"));
    CHECK(clock(*e.get("K-1"), "progress_update").state == sla::ClockState::stopped);
    CHECK(of_clock(e.sweep(parse_instant("2026-04-30T00:00:00+08:00")), "progress_update", sla::ClockEvent::breach).empty());
  });
}

TEST_CASE("a promised contact: due at data.by, kept by the next contact, missed escalates") {
  testing::in_memory_and_durable(testing::fresh_engine, [](Engine& e) {
    e.apply_json(march_event("r", "receive", "09T09:00:00", kReceive));
    e.apply_json(march_event("a", "acknowledge", "09T09:30:00"));
    e.apply_json(march_event("d", "dispatch", "09T09:40:00", R"("department":"network","owner":"u-9")"));
    e.apply_json(march_event("c0", "contact", "09T09:50:00"));
    // "We will call you by Tuesday 17:00."
    auto r = e.apply_json(march_event("p", "promise_contact", "09T10:00:00", R"("by":"2026-03-10T17:00:00+08:00")"));
    const Case c = *e.get("K-1");
    CHECK(clock(c, "promised_contact").state == sla::ClockState::running);
    CHECK(clock(c, "promised_contact").kind == sla::TargetKind::instant);
    CHECK(clock(c, "promised_contact").due == parse_instant("2026-03-10T17:00:00+08:00"));
    CHECK(clock(c, "progress_update").instance == 4);  // receive, acknowledge, contact, the promise
    // A new promise made in a contact keeps the open one (stopped, met) and starts the next:
    // no moved due in its history.
    r = e.apply_json(march_event("p2", "promise_contact", "10T11:00:00", R"("by":"2026-03-12T12:00:00+08:00")"));
    const Case c2 = *e.get("K-1");
    CHECK(clock(c2, "promised_contact").instance == 2);
    CHECK(clock(c2, "promised_contact").due == parse_instant("2026-03-12T12:00:00+08:00"));
    CHECK(clock(c2, "promised_contact").retargets.empty());
    CHECK(of_clock(e.sweep(parse_instant("2026-03-11T00:00:00+08:00")), "promised_contact", sla::ClockEvent::breach).empty());
    // The customer is told on Thursday 11:00: the promise is kept.
    e.apply_json(march_event("n", "notify_customer", "12T11:00:00", R"("note":"parts ordered")"));
    CHECK(clock(*e.get("K-1"), "promised_contact").state == sla::ClockState::stopped);
    CHECK_FALSE(clock(*e.get("K-1"), "promised_contact").breached);
    // Another promise, missed: breached at the instant, one escalation level.
    e.apply_json(march_event("p3", "promise_contact", "12T11:05:00", R"("by":"2026-03-13T10:00:00+08:00")"));
    const auto fired = e.sweep(parse_instant("2026-03-13T12:00:00+08:00"));
    const auto missed = of_clock(fired, "promised_contact", sla::ClockEvent::breach);
    REQUIRE(missed.size() == 1);
    CHECK(missed[0].at == parse_instant("2026-03-13T10:00:00+08:00"));
    CHECK(missed[0].escalated_to == 1);
    CHECK(e.get("K-1")->escalation_level == 1);
    // A late contact stops it; the breach stays.
    e.apply_json(march_event("c", "contact", "13T14:00:00"));
    CHECK(clock(*e.get("K-1"), "promised_contact").state == sla::ClockState::stopped);
    CHECK(clock(*e.get("K-1"), "promised_contact").breached);
  });
}

TEST_CASE("promise refusals name the problem and change nothing (memory and durable)") {
  testing::in_memory_and_durable(testing::fresh_engine, [](Engine& e) {
    e.apply_json(march_event("r", "receive", "09T09:00:00", kReceive));
    all_refused(e, {
                       {march_event("p", "promise_contact", "09T10:00:00"), Errc::invalid_argument, "data.by"},
                       {march_event("p", "promise_contact", "09T10:00:00", R"("by":"2026-03-09T10:00:00+08:00")"),
                        Errc::invalid_argument, "data.by 2026-03-09T02:00:00Z is not after the event"},
                       {march_event("p", "promise_contact", "09T10:00:00", R"("by":"tomorrow")"), Errc::invalid_argument, "data.by"},
                       {march_event("p", "promise_contact", "09T10:00:00", R"("by":"2600-01-01T00:00:00Z")"), Errc::invalid_argument,
                        "data.by"},
                       {march_event("u", "update", "09T10:00:00", R"("by":"2026-03-10T10:00:00+08:00")"), Errc::invalid_argument,
                        "data.by: a promised contact is made only by a promise"},
                       {march_event("n", "notify_customer", "09T10:00:00"), Errc::invalid_argument, "data.note"},
                       {march_event("p", "promise_contact", "09T10:00:00", R"("by":"2026-03-10T10:00:00+08:00")", "auditor"),
                        Errc::permission, "auditor"},
                   });
    // Once resolved there is nothing to promise.
    e.apply_json(march_event("a", "acknowledge", "09T09:30:00"));
    e.apply_json(march_event("d", "dispatch", "09T09:40:00", R"("department":"network","owner":"u-9")"));
    e.apply_json(march_event("s", "resolve", "09T11:00:00", R"("resolution":"done")"));
    all_refused(e, {{march_event("p", "promise_contact", "09T12:00:00", R"("by":"2026-03-10T10:00:00+08:00")"), Errc::invalid_state,
                     "resolved"},
                    {march_event("n", "notify_customer", "09T12:00:00", R"("note":"x")"), Errc::invalid_state, "resolved"}});
  });
}

TEST_CASE("an incident notice reaching the complaint is a contact: the promise is kept, the update given") {
  Engine e = testing::fresh_engine();
  e.apply_json(march_event("r", "receive", "09T09:00:00", kReceive));
  e.apply_json(march_event("p", "promise_contact", "09T09:10:00", R"("by":"2026-03-09T17:00:00+08:00")"));
  e.apply_json(march_event("i", "receive", "09T09:20:00", R"("workflow":"incident","category":"network","severity":"high","description":"fibre cut")",
                           "agent", "INC-1"));
  e.apply_json(march_event("l", "link", "09T09:30:00", R"("case":"K-1")", "agent", "INC-1"));
  e.apply_json(march_event("n", "incident_notice", "09T15:00:00", R"("note":"crews on site")", "agent", "INC-1"));
  const Case c = *e.get("K-1");
  CHECK(clock(c, "promised_contact").state == sla::ClockState::stopped);
  CHECK_FALSE(clock(c, "promised_contact").breached);
  CHECK(clock(c, "progress_update").due == parse_instant("2026-03-12T16:30:00+08:00"));  // 24 business hours on
  CHECK(clock(c, "progress_update").instance == 3);  // receive, the promise, the notice
}
