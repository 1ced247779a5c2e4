// Authority and responsibility as the sources define them (docs/domain.md#complaint-states-and-transitions): compensation
// limits are per case and cumulative (granted plus pending), past them pending approval or
// refused as the policy says; remedies are typed, each with the roles that may grant it. Every
// refusal changes nothing, in memory and durable.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"
#include "engine_fixture.hpp"
#include "test_support.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

using testing::code_of;
using testing::engine_dump;
using testing::error_of;
using testing::fresh_engine;
using testing::kData;

const std::string kReceive = R"("channel":"phone","category":"service","severity":"normal","customer":"c-1","tier":"basic")";

using testing::slurp;

/// An event of March 2026 (testing::march_event).
std::string event(const std::string& id, const std::string& type, const std::string& at, const std::string& data = "",
                  const std::string& role = "agent", const std::string& case_id = "K-1", const std::string& actor = "u-1") {
  return testing::march_event(id, type, at, data, role, case_id, actor);
}

/// The shipped configuration with the policy edited by `edit`.
template <class Edit>
Engine engine_with_policy(const Edit& edit) {
  nlohmann::json p = nlohmann::json::parse(slurp(kData + "policies/default.json"));
  edit(p);
  const Calendar cal = Calendar::from_file(kData + "calendars/cn-2026.json");
  return Engine(Definition::from_file(kData + "workflows/default.json"), sla::Policy::from_json(p.dump(), cal), Rules::from_json(p.dump()),
                cal.zone());
}

Engine refusing_engine() {
  return engine_with_policy([](nlohmann::json& p) { p["compensation"]["over_limit"] = "refuse"; });
}

/// A case K-1 in progress (received, acknowledged, dispatched).
void in_progress(Engine& e, const std::string& case_id = "K-1") {
  e.apply_json(event(case_id + "r", "receive", "09T09:00:00", kReceive, "agent", case_id));
  e.apply_json(event(case_id + "a", "acknowledge", "09T09:10:00", "", "agent", case_id));
  e.apply_json(event(case_id + "d", "dispatch", "09T09:20:00", R"("department":"billing","owner":"u-2")", "agent", case_id));
}

using testing::all_refused;

}  // namespace

TEST_CASE("An agent's 200 is per case: 150 granted, another 150 waits for approval") {
  auto check = [](Engine& e) {
    in_progress(e);
    CHECK(e.apply_json(event("c1", "compensate", "09T10:00:00", R"("amount":150)")).compensation == "granted");
    CHECK(e.apply_json(event("c2", "compensate", "09T10:01:00", R"("amount":150)")).compensation == "pending");
    // Pending counts too: 50 more would take the case to 350.
    CHECK(e.apply_json(event("c3", "compensate", "09T10:02:00", R"("amount":50)")).compensation == "pending");
    Case c = *e.get("K-1");
    CHECK(c.compensation_granted_cents == 15000);
    CHECK(c.compensation_pending_cents == std::vector<int64_t>{15000, 5000});
    all_refused(e, {{event("x1", "approve_compensation", "09T10:03:00", R"("amount":150)", "agent"), Errc::permission,
                     "role 'agent' may not fire 'approve_compensation'"},
                    {event("x2", "approve_compensation", "09T10:03:00", R"("amount":151)", "supervisor"), Errc::invalid_state,
                     "no money compensation of 151.00 is pending approval"}});
    CHECK(e.apply_json(event("p1", "approve_compensation", "09T10:04:00", R"("amount":150)", "supervisor")).compensation == "approved");
    c = *e.get("K-1");
    CHECK(c.compensation_granted_cents == 30000);
    CHECK(c.compensation_pending_cents == std::vector<int64_t>{5000});
  };
  testing::in_memory_and_durable(fresh_engine, check);
}

TEST_CASE("Approval needs a role whose limit covers the case's total; past 10000 only the director") {
  auto check = [](Engine& e) {
    in_progress(e);
    CHECK(e.apply_json(event("c1", "compensate", "09T10:00:00", R"("amount":1900)", "supervisor")).compensation == "granted");
    CHECK(e.apply_json(event("c2", "compensate", "09T10:01:00", R"("amount":200)", "supervisor")).compensation == "pending");
    all_refused(e, {{event("x1", "approve_compensation", "09T10:02:00", R"("amount":200)", "supervisor"), Errc::permission,
                     "role 'supervisor' may approve up to 2000.00 per case; the case's total would be 2100.00"}});
    CHECK(e.apply_json(event("p1", "approve_compensation", "09T10:03:00", R"("amount":200)", "manager")).compensation == "approved");
    CHECK(e.apply_json(event("c3", "compensate", "09T10:04:00", R"("amount":8000)", "manager")).compensation == "pending");
    all_refused(e, {{event("x2", "approve_compensation", "09T10:05:00", R"("amount":8000)", "manager"), Errc::permission,
                     "the case's total would be 10100.00"}});
    CHECK(e.apply_json(event("p2", "approve_compensation", "09T10:06:00", R"("amount":8000)", "director")).compensation == "approved");
    CHECK(e.get("K-1")->compensation_granted_cents == 1010000);
  };
  testing::in_memory_and_durable(fresh_engine, check);
}

TEST_CASE("With over_limit refuse, a grant past the limit is refused and changes nothing") {
  auto check = [](Engine& e) {
    in_progress(e);
    CHECK(e.apply_json(event("c1", "compensate", "09T10:00:00", R"("amount":150)")).compensation == "granted");
    all_refused(e, {{event("x1", "compensate", "09T10:01:00", R"("amount":150)"), Errc::permission,
                     "role 'agent' may grant up to 200.00 per case; this would take the case to 300.00 (granted 150.00, pending 0.00, now 150.00)"}});
    CHECK(e.apply_json(event("c2", "compensate", "09T10:02:00", R"("amount":50)")).compensation == "granted");
    CHECK(e.apply_json(event("c3", "compensate", "09T10:03:00", R"("amount":1000)", "supervisor")).compensation == "granted");
    CHECK(e.get("K-1")->compensation_granted_cents == 120000);
    CHECK(e.get("K-1")->compensation_pending_cents.empty());
  };
  testing::in_memory_and_durable(refusing_engine, check);
  CHECK(code_of([] { (void)Rules::from_json(R"({"compensation":{"over_limit":"ask"}})"); }) == Errc::invalid_argument);
  CHECK(error_of([] { (void)Rules::from_json(R"({"compensation":{"overlimit":"refuse"}})"); }).find("policy.compensation.overlimit: unknown key") !=
        std::string::npos);
}

TEST_CASE("Remedies are typed: repair, replace, redo, non-property, each granted by its roles") {
  auto check = [](Engine& e) {
    in_progress(e);
    all_refused(
        e, {{event("x1", "compensate", "09T10:00:00", R"("remedy":"replace")"), Errc::permission,
                "role 'agent' may not grant a replace remedy (allowed: supervisor, manager, director)"},
            {event("x2", "compensate", "09T10:00:00", R"("remedy":"non_property","amount":50)"), Errc::permission,
             "may not grant a non_property remedy"},
            {event("x3", "compensate", "09T10:00:00", R"("remedy":"refund","amount":50)"), Errc::invalid_argument,
             "data.remedy 'refund' is not one of: money, repair, replace, redo, non_property"},
            {event("x4", "compensate", "09T10:00:00", ""), Errc::invalid_argument, "missing data.amount (a money remedy)"},
            {event("x5", "compensate", "09T10:00:00", R"("remedy":"non_property")", "supervisor"), Errc::invalid_argument,
             "missing data.amount (a non_property remedy)"},
            {event("x6", "compensate", "09T10:00:00", R"("amount":0)"), Errc::invalid_argument, "data.amount must be positive"}});
    // A repair without a cost: any role, nothing counted.
    CHECK(e.apply_json(event("c1", "compensate", "09T10:01:00", R"("remedy":"repair")")).compensation == "granted");
    CHECK(e.apply_json(event("c2", "compensate", "09T10:02:00", R"("remedy":"replace","amount":1800)", "supervisor")).compensation ==
          "granted");
    // Its cost counts toward the limit like money: 1800 + 300 is past the supervisor's 2000.
    CHECK(e.apply_json(event("c3", "compensate", "09T10:03:00", R"("remedy":"redo","amount":300)", "supervisor")).compensation ==
          "pending");
    Case c = *e.get("K-1");
    CHECK(c.compensation_granted_cents == 180000);
    CHECK(c.compensation_pending_cents == std::vector<int64_t>{30000});
    CHECK(c.compensation_pending_remedies == std::vector<Remedy>{Remedy::redo});
    CHECK(to_json(c).find(R"("compensation":{"granted":1800.00,"pending":[300.00],"pending_remedies":["redo"]})") != std::string::npos);
    all_refused(e, {{event("x7", "approve_compensation", "09T10:04:00", R"("amount":300)", "manager"), Errc::invalid_state,
                     "no money compensation of 300.00 is pending approval"}});
    CHECK(e.apply_json(event("p1", "approve_compensation", "09T10:05:00", R"("remedy":"redo","amount":300)", "manager")).compensation ==
          "approved");
    CHECK(e.get("K-1")->compensation_granted_cents == 210000);
  };
  testing::in_memory_and_durable(fresh_engine, check);
  CHECK(error_of([] { (void)Rules::from_json(R"({"compensation":{"remedies":{"gift":["agent"]}}})"); })
            .find("policy.compensation.remedies.gift: unknown remedy") != std::string::npos);
  CHECK(error_of([] {
          engine_with_policy([](nlohmann::json& p) { p["compensation"]["remedies"]["repair"] = {"janitor"}; });
        }).find("policy.compensation.remedies.repair: unknown role 'janitor'") != std::string::npos);
}

TEST_CASE("Pending remedies survive a snapshot") {
  Engine a = fresh_engine();
  in_progress(a);
  a.apply_json(event("c1", "compensate", "09T10:00:00", R"("amount":150)"));
  a.apply_json(event("c2", "compensate", "09T10:01:00", R"("remedy":"repair","amount":100)"));
  a.apply_json(event("c3", "compensate", "09T10:02:00", R"("remedy":"replace","amount":5000)", "supervisor"));
  a.apply_json(event("c4", "compensate", "09T10:03:00", R"("amount":60)", "supervisor"));
  REQUIRE(a.get("K-1")->compensation_pending_remedies == std::vector<Remedy>{Remedy::repair, Remedy::replace, Remedy::money});
  Engine b = fresh_engine();
  b.restore(a.snapshot());
  CHECK((engine_dump(b) == engine_dump(a)));
  CHECK(b.snapshot() == a.snapshot());
  CHECK(b.apply_json(event("p1", "approve_compensation", "09T10:04:00", R"("remedy":"replace","amount":5000)", "manager")).compensation ==
        "approved");
}

namespace {

/// K-1 resolved (received, acknowledged, dispatched, resolved) with the tier given.
void resolved(Engine& e, const std::string& case_id = "K-1", const std::string& tier = "basic") {
  const std::string receive = R"("channel":"phone","category":"service","severity":"normal","customer":"c-1","tier":")" + tier + "\"";
  e.apply_json(event(case_id + "r", "receive", "09T09:00:00", receive, "agent", case_id));
  e.apply_json(event(case_id + "a", "acknowledge", "09T09:10:00", "", "agent", case_id));
  e.apply_json(event(case_id + "d", "dispatch", "09T09:20:00", R"("department":"billing","owner":"u-2")", "agent", case_id));
  e.apply_json(event(case_id + "s", "resolve", "09T11:00:00", R"("resolution":"refunded")", "agent", case_id));
}

kpi::Measures overall(const Engine& e) {
  kpi::Options o;
  o.as_of = parse_instant("2026-04-30T00:00:00Z");
  return e.kpi(o).overall;
}

}  // namespace

TEST_CASE("An automatic callback answered unsatisfied keeps the case resolved and owes a manual one") {
  auto check = [](Engine& e) {
    resolved(e);
    // No reason needed from an IVR/SMS callback; no rating yet.
    ApplyResult r = e.apply_json(event("b1", "callback", "09T12:00:00", R"("outcome":"unsatisfied","manual":false)", "agent", "K-1", "ivr"));
    CHECK(r.to_state == "resolved");
    CHECK(r.manual_callback_required);
    Case c = *e.get("K-1");
    CHECK(c.state == "resolved");
    CHECK(c.manual_callback_required);
    CHECK(c.reopen_count == 0);
    CHECK(c.satisfaction == Satisfaction::none);
    kpi::Measures m = overall(e);
    CHECK(m.callbacks_owed == 1);
    CHECK(m.unsatisfied == 0);
    CHECK(m.callback.numerator == 0);
    CHECK(m.callback.denominator == 1);
    all_refused(e, {{event("x1", "callback", "09T12:30:00", R"("outcome":"satisfied","manual":false)", "agent", "K-1", "ivr"),
                     Errc::invalid_state, "a manual callback is owed: the automatic callback was unreachable or unsatisfied"},
                    {event("x2", "callback", "09T12:30:00", R"("outcome":"unsatisfied","manual":true)"), Errc::invalid_argument,
                     "missing data.reason"},
                    {event("x3", "callback", "09T12:30:00", R"("outcome":"unsatisfied","manual":true,"reason":"")"),
                     Errc::invalid_argument, "data.reason is empty"}});
    // The manual callback asks the reason: unsatisfied, so the case is reopened.
    r = e.apply_json(event("b2", "callback", "09T13:00:00", R"("outcome":"unsatisfied","manual":true,"reason":"refund too small")"));
    CHECK(r.to_state == "in_progress");
    CHECK_FALSE(r.manual_callback_required);
    c = *e.get("K-1");
    CHECK(c.reopen_count == 1);
    CHECK(c.satisfaction == Satisfaction::unsatisfied);
    m = overall(e);
    CHECK(m.callbacks_owed == 0);
    CHECK(m.unsatisfied == 1);
    kpi::Options o;
    o.as_of = parse_instant("2026-04-30T00:00:00Z");
    const kpi::Report report = e.kpi(o);
    REQUIRE(report.dissatisfaction_reasons.size() == 1);  // the automatic one gave no reason and no rating
    CHECK(report.dissatisfaction_reasons[0].reason == "refund too small");
  };
  testing::in_memory_and_durable(fresh_engine, check);
}

TEST_CASE("An automatic callback that reaches the customer satisfied closes the case; an unreachable one owes a manual one") {
  auto check = [](Engine& e) {
    resolved(e);
    e.apply_json(event("b1", "callback", "09T12:00:00", R"("outcome":"unreachable")", "agent", "K-1", "ivr"));
    CHECK(overall(e).callbacks_owed == 1);
    e.apply_json(event("b2", "callback", "09T13:00:00", R"("outcome":"satisfied","manual":true)"));
    CHECK(e.get("K-1")->state == "closed");
    const kpi::Measures m = overall(e);
    CHECK(m.callbacks_owed == 0);
    CHECK(m.callback.numerator == 1);
    resolved(e, "K-2");
    CHECK(e.apply_json(event("b3", "callback", "09T12:00:00", R"("outcome":"very_satisfied")", "agent", "K-2", "ivr")).to_state == "closed");
  };
  testing::in_memory_and_durable(fresh_engine, check);
}

TEST_CASE("Manual callbacks for important tiers: required refuses an automatic one, preferred accepts and counts it") {
  auto required = [](Engine& e) {
    resolved(e, "K-1", "gold");
    all_refused(e, {{event("x1", "callback", "09T12:00:00", R"("outcome":"satisfied")", "agent", "K-1", "ivr"), Errc::invalid_state,
                     "a manual callback is required for tier 'gold'"}});
    e.apply_json(event("b1", "callback", "09T12:00:00", R"("outcome":"satisfied","manual":true)"));
    CHECK(overall(e).manual_tier_automatic_callbacks == 0);
  };
  testing::in_memory_and_durable(fresh_engine, required);
  auto preferred_engine = [] { return engine_with_policy([](nlohmann::json& p) { p["callback"]["manual_tiers_mode"] = "preferred"; }); };
  auto preferred = [](Engine& e) {
    resolved(e, "K-1", "gold");
    CHECK(e.apply_json(event("b1", "callback", "09T12:00:00", R"("outcome":"satisfied")", "agent", "K-1", "ivr")).to_state == "closed");
    resolved(e, "K-2", "basic");
    e.apply_json(event("b2", "callback", "09T12:00:00", R"("outcome":"satisfied")", "agent", "K-2", "ivr"));
    CHECK(overall(e).manual_tier_automatic_callbacks == 1);
  };
  testing::in_memory_and_durable(preferred_engine, preferred);
  CHECK(error_of([] { (void)Rules::from_json(R"({"callback":{"manual_tiers_mode":"always"}})"); })
            .find("policy.callback.manual_tiers_mode: expected \"required\" or \"preferred\"") != std::string::npos);
  CHECK(error_of([] { (void)Rules::from_json(R"({"callback":{"max_attemps":3}})"); }).find("policy.callback.max_attemps: unknown key") !=
        std::string::npos);
}

TEST_CASE("A workflow condition on data.manual: booleans only") {
  nlohmann::json w = nlohmann::json::parse(slurp(kData + "workflows/default.json"));
  for (auto& t : w["transitions"])
    if (t["event"] == "callback" && t.contains("when") && t["when"].contains("manual")) t["when"]["manual"] = {"yes"};
  CHECK(error_of([&] { (void)Definition::from_json(w.dump()); }).find(".when.manual: expected [true] or [false]") != std::string::npos);
}

TEST_CASE("First-contact responsibility: the receiver keeps the case until a handover; others are refused") {
  auto check = [](Engine& e) {
    e.apply_json(event("r", "receive", "09T09:00:00", kReceive, "agent", "K-1", "u-1"));
    all_refused(e, {{event("x1", "acknowledge", "09T09:05:00", "", "agent", "K-1", "u-3"), Errc::permission,
                     "actor 'u-3' is not responsible for the case (first-contact owner 'u-1', handling owner 'u-1'): a handover, or a "
                     "role 'supervisor' or above, may change that"},
                    {event("x2", "handover", "09T09:05:00", R"("to":"u-4")", "agent", "K-1", "u-1"), Errc::invalid_argument,
                     "missing data.reason"},
                    {event("x3", "handover", "09T09:05:00", R"("to":"u-1","reason":"r")", "agent", "K-1", "u-1"), Errc::invalid_argument,
                     "data.to: 'u-1' is the case's first-contact owner already"},
                    {event("x4", "handover", "09T09:05:00", R"("to":"u-4","reason":"r")", "agent", "K-1", "u-3"), Errc::permission,
                     "actor 'u-3' is not responsible"}});
    e.apply_json(event("a", "acknowledge", "09T09:10:00", "", "agent", "K-1", "u-1"));
    e.apply_json(event("d", "dispatch", "09T09:20:00", R"("department":"billing","owner":"u-2")", "agent", "K-1", "u-1"));
    // The department's owner handles it beside the first-contact owner.
    e.apply_json(event("c", "contact", "09T09:30:00", "", "agent", "K-1", "u-2"));
    // A formal handover: u-4 takes over from u-1, who may no longer act on it.
    CHECK_FALSE(e.apply_json(event("h", "handover", "09T10:00:00", R"("to":"u-4","reason":"end of shift")", "agent", "K-1", "u-1"))
                    .outside_responsibility);
    CHECK(e.get("K-1")->first_owner == "u-4");
    all_refused(e, {{event("x5", "update", "09T10:05:00", R"("justified":true)", "agent", "K-1", "u-1"), Errc::permission,
                     "first-contact owner 'u-4', handling owner 'u-2'"}});
    e.apply_json(event("u", "update", "09T10:05:00", R"("justified":true)", "agent", "K-1", "u-4"));
    e.apply_json(event("t", "transfer", "09T10:10:00", R"("department":"network","owner":"u-5")", "supervisor", "K-1", "s-1"));
    e.apply_json(event("s", "resolve", "09T11:00:00", R"("resolution":"fixed")", "agent", "K-1", "u-5"));
    // Callbacks are not covered: a callback team or IVR makes them.
    e.apply_json(event("b", "callback", "09T12:00:00", R"("outcome":"satisfied")", "agent", "K-1", "ivr"));
    kpi::Options o;
    o.as_of = parse_instant("2026-04-30T00:00:00Z");
    const kpi::Measures m = e.kpi(o).overall;
    CHECK(m.handovers == 1);
    CHECK(m.outside_responsibility == 0);
  };
  testing::in_memory_and_durable(fresh_engine, check);
}

TEST_CASE("First-contact responsibility recorded only: accepted, marked and counted") {
  auto record_engine = [] { return engine_with_policy([](nlohmann::json& p) { p["first_contact"]["mode"] = "record"; }); };
  auto check = [](Engine& e) {
    e.apply_json(event("r", "receive", "09T09:00:00", kReceive, "agent", "K-1", "u-1"));
    CHECK(e.apply_json(event("a", "acknowledge", "09T09:05:00", "", "agent", "K-1", "u-3")).outside_responsibility);
    CHECK_FALSE(e.apply_json(event("d", "dispatch", "09T09:20:00", R"("department":"billing","owner":"u-2")", "agent", "K-1", "u-1"))
                    .outside_responsibility);
    CHECK_FALSE(e.apply_json(event("c", "contact", "09T09:30:00", "", "supervisor", "K-1", "s-9")).outside_responsibility);
    e.apply_json(event("h", "handover", "09T10:00:00", R"("to":"u-4","reason":"end of shift")", "agent", "K-1", "u-1"));
    CHECK(e.apply_json(event("u", "update", "09T10:05:00", R"("justified":true)", "agent", "K-1", "u-1")).outside_responsibility);
    kpi::Options o;
    o.as_of = parse_instant("2026-04-30T00:00:00Z");
    const kpi::Measures m = e.kpi(o).overall;
    CHECK(m.handovers == 1);
    CHECK(m.outside_responsibility == 2);
    CHECK(kpi::to_json(e.kpi(o)).find("\"handovers\":1,\"outside_responsibility\":2") != std::string::npos);
  };
  testing::in_memory_and_durable(record_engine, check);
  CHECK(error_of([] { (void)Rules::from_json(R"({"first_contact":{"mode":"strict"}})"); })
            .find("policy.first_contact.mode: expected \"enforce\", \"record\" or \"off\"") != std::string::npos);
  CHECK(error_of([] { (void)Rules::from_json(R"({"first_contact":{"overide_role":"supervisor"}})"); })
            .find("policy.first_contact.overide_role: unknown key") != std::string::npos);
  CHECK(error_of([] { engine_with_policy([](nlohmann::json& p) { p["first_contact"]["override_role"] = "boss"; }); })
            .find("policy.first_contact.override_role: unknown role 'boss'") != std::string::npos);
}

namespace {
const ClockInfo* clock_of(const Case& c, const std::string& name) {
  for (const auto& k : c.clocks)
    if (k.name == name) return &k;
  return nullptr;
}
}  // namespace

TEST_CASE("The department reports back, the control desk gives one unified reply; joint handling keeps one time limit") {
  auto check = [](Engine& e) {
    in_progress(e);  // dispatched 09:20 to billing, owner u-2
    const Case before_assist = *e.get("K-1");
    // Joint handling: another department assists; no clock restarts, the owner stays.
    const ApplyResult a = e.apply_json(event("j", "assist", "09T09:40:00", R"("department":"network")", "agent", "K-1", "u-2"));
    CHECK(a.clocks.empty());
    Case c = *e.get("K-1");
    CHECK(c.owner == "u-2");
    CHECK(c.department == "billing");
    CHECK(clock_of(c, "resolution")->instance == clock_of(before_assist, "resolution")->instance);
    CHECK(clock_of(c, "resolution")->due == clock_of(before_assist, "resolution")->due);
    all_refused(e, {{event("x1", "reply", "09T10:00:00", R"("resolution":"done")", "agent", "K-1", "u-1"), Errc::invalid_state,
                     "not allowed in state 'in_progress'"},
                    {event("x2", "report_back", "09T10:00:00", "", "agent", "K-1", "u-2"), Errc::invalid_argument, "missing data.result"}});
    ApplyResult r = e.apply_json(event("b", "report_back", "09T10:00:00", R"("result":"double charge refunded")", "agent", "K-1", "u-2"));
    CHECK(r.to_state == "reported");
    c = *e.get("K-1");
    REQUIRE(clock_of(c, "reply"));
    CHECK(clock_of(c, "reply")->state == sla::ClockState::running);
    CHECK(clock_of(c, "reply")->target == Duration::hours(4));
    CHECK(c.resolved_at == std::nullopt);  // not resolved before the desk replies
    all_refused(e, {{event("x3", "resolve", "09T10:30:00", R"("resolution":"x")", "agent", "K-1", "u-1"), Errc::invalid_state,
                     "not allowed in state 'reported'"},
                    {event("x4", "send_back", "09T10:30:00", "", "agent", "K-1", "u-1"), Errc::invalid_argument, "missing data.reason"}});
    // The desk sends it back once, then replies.
    CHECK(e.apply_json(event("sb", "send_back", "09T10:30:00", R"("reason":"no proof of the refund")", "agent", "K-1", "u-1")).to_state ==
          "in_progress");
    e.apply_json(event("b2", "report_back", "09T11:00:00", R"("result":"refund reference attached")", "agent", "K-1", "u-2"));
    r = e.apply_json(event("y", "reply", "09T11:30:00", R"("resolution":"refunded, reference sent")", "agent", "K-1", "u-1"));
    CHECK(r.to_state == "resolved");
    c = *e.get("K-1");
    CHECK(c.resolved_at == parse_instant("2026-03-09T11:30:00+08:00"));
    CHECK(clock_of(c, "reply")->state == sla::ClockState::stopped);
    CHECK(clock_of(c, "reply")->instance == 2);
    CHECK(clock_of(c, "callback")->state == sla::ClockState::running);
    CHECK(clock_of(c, "resolution")->state == sla::ClockState::stopped);
  };
  testing::in_memory_and_durable(fresh_engine, check);
}

TEST_CASE("A unified reply past its 4 business hours breaches and escalates") {
  Engine e = fresh_engine();
  in_progress(e);
  e.apply_json(event("b", "report_back", "09T10:00:00", R"("result":"done")", "agent", "K-1", "u-2"));
  const auto fired = e.sweep(parse_instant("2026-03-09T17:31:00+08:00"));  // 10:00-12:00 + 13:30-15:30: due 15:30
  bool breached = false;
  for (const SweepEvent& s : fired)
    if (s.clock == "reply" && s.kind == sla::ClockEvent::breach) {
      breached = true;
      CHECK(s.at == parse_instant("2026-03-09T15:30:00+08:00"));
      CHECK(s.escalated_to == 1);
    }
  CHECK(breached);
}

TEST_CASE("One callback covers several open cases of one customer: each trail records it once, all or none") {
  auto check = [](Engine& e) {
    resolved(e, "K-1");
    resolved(e, "K-2");
    resolved(e, "K-3");
    e.apply_json(event("K-4r", "receive", "09T09:00:00", R"("channel":"phone","category":"service","severity":"normal","customer":"c-9")",
                       "agent", "K-4"));
    e.apply_json(event("K-4a", "acknowledge", "09T09:10:00", "", "agent", "K-4"));
    e.apply_json(event("K-4d", "dispatch", "09T09:20:00", R"("department":"billing","owner":"u-2")", "agent", "K-4"));
    e.apply_json(event("K-4s", "resolve", "09T11:00:00", R"("resolution":"refunded")", "agent", "K-4"));
    e.apply_json(event("K-5r", "receive", "09T09:00:00", kReceive, "agent", "K-5"));  // c-1's, but not resolved
    all_refused(e, {{event("x1", "callback", "09T12:00:00", R"("outcome":"satisfied","manual":true,"cases":["K-2","K-4"])"),
                     Errc::invalid_argument, "data.cases: case 'K-4' is customer 'c-9''s, this one customer 'c-1''s"},
                    {event("x2", "callback", "09T12:00:00", R"("outcome":"satisfied","manual":true,"cases":["K-2","K-5"])"),
                     Errc::invalid_state, "data.cases: case 'K-5': event 'x2' (case 'K-5', callback): not allowed in state 'received'"},
                    {event("x3", "callback", "09T12:00:00", R"("outcome":"satisfied","manual":true,"cases":["K-2","K-9"])"),
                     Errc::not_found, "data.cases: case 'K-9'"},
                    {event("x4", "callback", "09T12:00:00", R"("outcome":"satisfied","manual":true,"cases":["K-2","K-2"])"),
                     Errc::invalid_argument, "data.cases names case 'K-2' twice"},
                    {event("x5", "acknowledge", "09T12:00:00", R"("cases":["K-2"])", "agent", "K-5"), Errc::invalid_argument,
                     "data.cases: only a callback covers several cases"}});
    const ApplyResult r =
        e.apply_json(event("cb", "callback", "09T12:00:00", R"("outcome":"satisfied","manual":true,"cases":["K-2","K-1","K-3"])"));
    CHECK(r.to_state == "closed");
    CHECK(r.covered == std::vector<std::string>{"K-2", "K-3"});
    CHECK(to_json(r).find(R"("covered":["K-2","K-3"])") != std::string::npos);
    for (const char* id : {"K-1", "K-2", "K-3"}) {
      CAPTURE(id);
      const Case c = *e.get(id);
      CHECK(c.state == "closed");
      CHECK(c.satisfaction == Satisfaction::satisfied);
      int callbacks = 0;
      for (const AuditEntry& a : c.events)
        if (a.type == "callback") {
          ++callbacks;
          CHECK(a.id == "cb");
        }
      CHECK(callbacks == 1);
      CHECK(to_json(c).find(R"("cases":["K-1","K-2","K-3"])") != std::string::npos);
    }
    // A retry is a duplicate: nothing is applied twice.
    CHECK(e.apply_json(event("cb", "callback", "09T12:00:00", R"("outcome":"satisfied","manual":true,"cases":["K-2","K-3"])")).duplicate);
    kpi::Options o;
    o.as_of = parse_instant("2026-04-30T00:00:00Z");
    CHECK(e.kpi(o).overall.satisfied == 3);
  };
  testing::in_memory_and_durable(fresh_engine, check);
  CHECK(code_of([] { (void)parse_event(event("x", "callback", "09T12:00:00", R"("cases":[])")); }) == Errc::parse);
  CHECK(code_of([] { (void)parse_event(event("x", "callback", "09T12:00:00", R"("cases":"K-2")")); }) == Errc::parse);
  CHECK(code_of([] { (void)parse_event(event("x", "callback", "09T12:00:00", R"("cases":["K-2",""])")); }) == Errc::parse);
  std::string many = "\"cases\":[";
  for (int i = 0; i <= 100; ++i) many += fmt::format("{}\"K-{}\"", i ? "," : "", i);
  CHECK(code_of([&] { (void)parse_event(event("x", "callback", "09T12:00:00", many + "]")); }) == Errc::limit);
}

TEST_CASE("A covering callback in a batch with sweep_before_apply, and after a snapshot") {
  Engine a = fresh_engine();
  a.set_options({true});
  resolved(a, "K-1");
  resolved(a, "K-2");
  const std::string json = event("cb", "callback", "10T12:00:00", R"("outcome":"unreachable","cases":["K-2"])", "agent", "K-1", "ivr");
  const std::string_view batch[] = {json};
  const BatchResult r = a.apply_batch(batch);
  CHECK(r.applied == 1);
  CHECK(r.rejected.empty());
  CHECK(a.get("K-2")->manual_callback_required);
  CHECK(a.get("K-2")->callback_attempts == 1);
  Engine b = fresh_engine();
  b.restore(a.snapshot());
  CHECK((engine_dump(b) == engine_dump(a)));
}

TEST_CASE("The callback's same-day goal: a warning at the end of the business day, the breach at 3 days") {
  auto check = [](Engine& e) {
    resolved(e);  // resolved Monday 2026-03-09 11:00 (+08:00)
    Case c = *e.get("K-1");
    const ClockInfo* goal = clock_of(c, "callback_goal");
    REQUIRE(goal);
    CHECK(goal->goal);
    CHECK(goal->kind == sla::TargetKind::instant);
    CHECK(goal->due == parse_instant("2026-03-09T18:00:00+08:00"));  // the business day ends at 18:00
    CHECK(clock_of(c, "callback")->due == parse_instant("2026-03-12T11:00:00+08:00"));
    const auto fired = e.sweep(parse_instant("2026-03-09T18:00:01+08:00"));
    bool warned = false;
    for (const SweepEvent& s : fired) {
      CHECK(s.kind == sla::ClockEvent::warning);  // no breach, no escalation
      CHECK(s.escalated_to == -1);
      if (s.clock == "callback_goal") {
        warned = true;
        CHECK(s.at == parse_instant("2026-03-09T18:00:00+08:00"));
        CHECK(s.fraction == 1.0);
      }
    }
    CHECK(warned);
    c = *e.get("K-1", parse_instant("2026-03-10T09:00:00+08:00"));
    CHECK(clock_of(c, "callback_goal")->breached);  // the aim was missed...
    CHECK(c.escalation_level == 0);                  // ...which escalates nothing
    e.apply_json(event("b", "callback", "10T10:00:00", R"("outcome":"satisfied","manual":true)"));
    kpi::Options o;
    o.as_of = parse_instant("2026-04-30T00:00:00Z");
    CHECK(e.kpi(o).overall.timeliness.numerator == 1);  // on time: the goal is not a promise
    // Resolved after hours: the goal is the end of the next business day.
    in_progress(e, "K-2");
    e.apply_json(event("K-2s", "resolve", "09T19:30:00", R"("resolution":"x")", "agent", "K-2"));
    CHECK(clock_of(*e.get("K-2"), "callback_goal")->due == parse_instant("2026-03-10T18:00:00+08:00"));
  };
  testing::in_memory_and_durable(fresh_engine, check);
  // A diamond customer's 7x24 calendar: the goal is the end of the calendar day.
  Engine e = fresh_engine();
  resolved(e, "K-3", "diamond");
  CHECK(clock_of(*e.get("K-3"), "callback_goal")->due == parse_instant("2026-03-10T00:00:00+08:00"));
}

TEST_CASE("After a reopen the next resolution starts a fresh callback clock and goal") {
  Engine e = fresh_engine();
  resolved(e);
  e.apply_json(event("b1", "callback", "09T12:00:00", R"("outcome":"unsatisfied","manual":true,"reason":"still broken")"));
  e.apply_json(event("s2", "resolve", "10T10:00:00", R"("resolution":"replaced")"));
  const Case c = *e.get("K-1");
  CHECK(clock_of(c, "callback")->instance == 2);
  CHECK(clock_of(c, "callback")->state == sla::ClockState::running);
  CHECK(clock_of(c, "callback")->due == parse_instant("2026-03-13T10:00:00+08:00"));
  CHECK(clock_of(c, "callback_goal")->due == parse_instant("2026-03-10T18:00:00+08:00"));
}

TEST_CASE("Policy: an instant target at the end of the business day; goal is a boolean") {
  const Calendar cal = Calendar::from_file(kData + "calendars/cn-2026.json");
  CHECK(error_of([&] { (void)sla::Policy::from_json(R"({"clocks":{"g":{"kind":"instant","at":"noon"}}})", cal); })
            .find("policy.clocks.g.at: expected \"end_of_business_day\"") != std::string::npos);
  CHECK(error_of([&] { (void)sla::Policy::from_json(R"({"clocks":{"g":{"kind":"instant","at":"end_of_business_day","field":"x"}}})", cal); })
            .find("not both") != std::string::npos);
  CHECK(error_of([&] { (void)sla::Policy::from_json(R"({"clocks":{"g":{"target":"2h","at":"end_of_business_day"}}})", cal); })
            .find("only an instant target takes \"at\"") != std::string::npos);
  CHECK(error_of([&] { (void)sla::Policy::from_json(R"({"clocks":{"g":{"target":"2h","goal":"yes"}}})", cal); })
            .find("policy.clocks.g.goal: expected true or false") != std::string::npos);
  const sla::Policy p = sla::Policy::from_json(R"({"clocks":{"g":{"kind":"instant","at":"end_of_business_day","goal":true}}})", cal);
  CHECK(p.is_goal("g"));
  CHECK(p.due_fields().empty());
  CHECK(p.target("g", {}).rule == "g: default instant end of business day");
}
