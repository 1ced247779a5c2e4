#include <doctest/doctest.h>

#include <fmt/format.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "../tools/complaint_generator.cpp"  // library-independent generator, compiled in
#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"
#include "test_support.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kWorkflow = CRMKIT_SOURCE_DIR "/data/workflows/default.json";
const std::string kPolicy = CRMKIT_SOURCE_DIR "/data/policies/default.json";
const std::string kCalendar = CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json";

Engine make_engine() { return Engine::from_files(kWorkflow, kPolicy, kCalendar); }

int seq = 0;
// Builds an event JSON; `data` is the inside of the data object.
std::string ev(const std::string& c, const std::string& type, const std::string& at, const std::string& role = "agent",
               const std::string& data = "", const std::string& id = "") {
  return fmt::format(R"({{"id":"{}","case":"{}","type":"{}","at":"{}","actor":"{}","role":"{}","data":{{{}}}}})",
                     id.empty() ? fmt::format("e-{}", ++seq) : id, c, type, at, role == "agent" ? "u-7" : "x-" + role, role, data);
}
std::string receive_data(const std::string& channel = "phone", const std::string& customer = "K-1",
                         const std::string& category = "service", const std::string& tier = "basic",
                         const std::string& severity = "normal") {
  return fmt::format(R"("channel":"{}","category":"{}","severity":"{}","customer":"{}","tier":"{}","description":"no signal")",
                     channel, category, severity, customer, tier);
}
// 2026-03-09 is a Monday (working day in cn-2026).
std::string at(const std::string& hhmm, int day = 9) { return fmt::format("2026-03-{:02}T{}:00+08:00", day, hhmm); }

std::string snapshot(const Engine& e, const std::string& id) {
  auto c = e.get(id);
  return c ? to_json(*c) : std::string("none");
}

// Checks that applying `json` throws Error(code) and changes nothing.
void refused(Engine& e, const std::string& case_id, const std::string& json, Errc code, const char* needle = nullptr) {
  const std::string before = snapshot(e, case_id);
  const auto stats_before = e.stats();
  try {
    e.apply_json(json);
    FAIL("accepted: " << json);
  } catch (const Error& err) {
    CHECK_MESSAGE(err.code() == code, err.what());
    if (needle) CHECK_MESSAGE(std::string(err.what()).find(needle) != std::string::npos, err.what());
  }
  CHECK(snapshot(e, case_id) == before);
  CHECK(e.stats().events == stats_before.events);
  CHECK(e.size() == stats_before.cases);
}

// Drives a case to in_progress.
void to_in_progress(Engine& e, const std::string& c, const std::string& rd = receive_data(), int day = 9) {
  e.apply_json(ev(c, "receive", at("09:00", day), "agent", rd));
  e.apply_json(ev(c, "acknowledge", at("09:10", day)));
  e.apply_json(ev(c, "dispatch", at("09:20", day), "agent", R"("department":"network","owner":"u-100")"));
}

}  // namespace

TEST_CASE("the default workflow loads and every transition can be walked") {
  // With the work-order workflow beside it: a complaint links to a work order.
  Engine e = Engine::from_files(std::vector<std::string>{kWorkflow, CRMKIT_SOURCE_DIR "/data/workflows/work-order.json",
                                                         CRMKIT_SOURCE_DIR "/data/workflows/incident.json"},
                                CRMKIT_SOURCE_DIR "/data/policies", kCalendar);
  const Definition& d = e.definition();
  CHECK(d.states().size() == 11);
  std::set<std::tuple<std::string, std::string, std::string>> seen;  // (type, from, to)
  auto apply = [&](const std::string& json) {
    ApplyResult r = e.apply_json(json);
    REQUIRE_FALSE(r.duplicate);
    seen.emplace(std::string(r.type), std::string(r.from_state), std::string(r.to_state));
    return r;
  };
  // Main path with every in-progress action.
  auto r = apply(ev("C-1", "receive", at("09:00"), "agent", receive_data()));
  CHECK(r.created);
  CHECK(r.to_state == "received");
  CHECK(r.clocks.size() == 3);  // first_response, resolution, progress_update
  CHECK(apply(ev("C-1", "acknowledge", at("09:05"))).to_state == "acknowledged");
  r = apply(ev("C-1", "dispatch", at("09:10"), "agent", R"("department":"network","owner":"u-100")"));
  CHECK(r.to_state == "in_progress");
  REQUIRE(r.clocks.size() == 1);
  CHECK(r.clocks[0].clock == "contact_after_dispatch");
  CHECK(r.clocks[0].due == parse_instant(at("11:10")));
  apply(ev("C-1", "contact", at("09:30")));
  apply(ev("C-1", "transfer", at("09:40"), "supervisor", R"("department":"billing","owner":"u-101")"));
  apply(ev("C-1", "wait_customer", at("10:00"), "agent", R"("reason":"visit appointment")"));
  apply(ev("C-1", "resume", at("14:00")));
  CHECK(apply(ev("C-1", "compensate", at("14:10"), "agent", R"("amount":500)")).compensation == "pending");
  CHECK(apply(ev("C-1", "approve_compensation", at("14:20"), "supervisor", R"("amount":500)")).compensation == "approved");
  CHECK(apply(ev("C-1", "escalate", at("14:30"), "supervisor", R"("level":2,"reason":"media")")).escalation_after == 2);
  apply(ev("C-1", "resolve", at("15:00"), "agent", R"("resolution":"fixed")"));
  r = apply(ev("C-1", "callback", at("15:30"), "agent", R"("outcome":"unsatisfied","reason":"took too long","manual":true)"));
  CHECK(r.to_state == "in_progress");
  apply(ev("C-1", "resolve", at("16:00"), "agent", R"("resolution":"fixed again")"));
  r = apply(ev("C-1", "callback", at("16:30"), "agent", R"("outcome":"unreachable","manual":false)"));
  CHECK(r.to_state == "resolved");
  CHECK(r.manual_callback_required);
  apply(ev("C-1", "callback", at("17:00"), "agent", R"("outcome":"very_satisfied","manual":true)"));
  apply(ev("C-1", "appeal", at("09:00", 10)));
  apply(ev("C-1", "review_decision", at("10:00", 11), "manager", R"("decision":"upheld")"));
  apply(ev("C-1", "appeal", at("11:00", 11)));
  CHECK(apply(ev("C-1", "review_decision", at("12:00", 11), "manager", R"("decision":"reopen")")).to_state == "in_progress");
  apply(ev("C-1", "resolve", at("14:00", 11), "agent", R"("resolution":"third time")"));
  apply(ev("C-1", "reopen", at("14:30", 11), "agent", R"("reason":"customer called back")"));
  apply(ev("C-1", "resolve", at("15:00", 11), "agent", R"("resolution":"fourth")"));
  CHECK(apply(ev("C-1", "close", at("16:00", 11), "supervisor")).to_state == "closed");
  apply(ev("C-1", "reopen", at("09:00", 12), "agent", R"("reason":"fault is back")"));
  // Terminal paths.
  apply(ev("C-2", "receive", at("09:00"), "agent", receive_data()));
  apply(ev("C-2", "reject", at("09:10"), "supervisor", R"("reason":"not a complaint")"));
  apply(ev("C-3", "receive", at("09:00"), "agent", receive_data()));
  apply(ev("C-3", "acknowledge", at("09:10")));
  apply(ev("C-3", "withdraw", at("09:20")));
  apply(ev("C-4", "receive", at("09:00"), "agent", receive_data()));
  apply(ev("C-4", "merge", at("09:10"), "agent", R"("into":"C-1")"));
  apply(ev("C-5", "receive", at("09:00"), "agent", receive_data()));
  apply(ev("C-5", "acknowledge", at("09:10")));
  apply(ev("C-5", "reject", at("09:20"), "supervisor", R"("reason":"duplicate")"));
  apply(ev("C-6", "receive", at("09:00"), "agent", receive_data()));
  apply(ev("C-6", "acknowledge", at("09:10")));
  apply(ev("C-6", "merge", at("09:20"), "agent", R"("into":"C-1")"));
  apply(ev("C-7", "receive", at("09:00"), "agent", receive_data()));
  apply(ev("C-7", "withdraw", at("09:20")));
  to_in_progress(e, "C-8");
  apply(ev("C-8", "withdraw", at("09:30")));
  to_in_progress(e, "C-9");
  apply(ev("C-9", "wait_customer", at("09:30"), "agent", R"("reason":"documents")"));
  apply(ev("C-9", "compensate", at("09:40"), "agent", R"("amount":500)"));
  apply(ev("C-9", "approve_compensation", at("09:41"), "supervisor", R"("amount":500)"));
  apply(ev("C-9", "escalate", at("09:42"), "agent", R"("level":1)"));
  apply(ev("C-9", "withdraw", at("09:50")));
  // Escalate / compensate in every other state they allow.
  apply(ev("C-10", "receive", at("09:00"), "agent", receive_data()));
  apply(ev("C-10", "escalate", at("09:01"), "agent", R"("level":1)"));
  apply(ev("C-10", "update", at("09:01"), "agent", R"("location":"营业厅")"));
  apply(ev("C-10", "reclassify", at("09:01"), "supervisor", R"("severity":"high","reason":"group complaint")"));
  apply(ev("C-10", "report_crisis", at("09:01"), "supervisor"));
  apply(ev("C-10", "acknowledge", at("09:02")));
  apply(ev("C-10", "reclassify", at("09:02"), "supervisor", R"("category":"billing","reason":"misfiled")"));
  apply(ev("C-10", "report_crisis", at("09:02"), "supervisor"));
  apply(ev("C-10", "update", at("09:02"), "agent", R"("justified":true)"));
  apply(ev("C-10", "escalate", at("09:03"), "agent", R"("level":2)"));
  apply(ev("C-10", "dispatch", at("09:04"), "agent", R"("department":"d","owner":"o")"));
  apply(ev("C-10", "update", at("09:04"), "agent", R"("remedy_sought":"refund")"));
  apply(ev("C-10", "reclassify", at("09:04"), "manager", R"("tier":"gold","reason":"tier upgraded")"));
  apply(ev("C-10", "report_crisis", at("09:04"), "manager"));
  apply(ev("C-10", "resolve", at("09:05"), "agent", R"("resolution":"x")"));
  apply(ev("C-10", "reclassify", at("09:05"), "director", R"("severity":"low","reason":"minor after all")"));
  apply(ev("C-10", "report_crisis", at("09:05"), "director"));
  apply(ev("C-10", "update", at("09:05"), "agent", R"("handling_steps":"called back")"));
  apply(ev("C-10", "escalate", at("09:06"), "manager", R"("level":3)"));
  apply(ev("C-10", "compensate", at("09:07"), "agent", R"("amount":5000)"));
  apply(ev("C-10", "approve_compensation", at("09:08"), "manager", R"("amount":5000)"));
  apply(ev("C-10", "callback", at("09:09"), "agent", R"("outcome":"satisfied","manual":true)"));
  apply(ev("C-10", "compensate", at("09:10"), "agent", R"("amount":10)"));  // pending: the case holds 5000 already
  apply(ev("C-10", "compensate", at("09:11"), "agent", R"("amount":300)"));
  apply(ev("C-10", "approve_compensation", at("09:12"), "manager", R"("amount":300)"));
  apply(ev("C-10", "update", at("09:12"), "agent", R"("follow_up_result":"ok")"));
  apply(ev("C-10", "appeal", at("09:13")));
  apply(ev("C-10", "update", at("09:13"), "agent", R"("justified":false)"));
  apply(ev("C-10", "compensate", at("09:14"), "director", R"("amount":100000)"));
  apply(ev("C-10", "compensate", at("09:15"), "agent", R"("amount":1000)"));
  apply(ev("C-10", "approve_compensation", at("09:16"), "director", R"("amount":1000)"));
  // A supervisor hands the case to u-8 and back (首问负责制) in every state a handover is allowed in.
  auto handover_and_back = [&](const std::string& id, const std::string& t) {
    apply(ev(id, "handover", t, "supervisor", R"("to":"u-8","reason":"end of shift")"));
    apply(ev(id, "handover", t, "supervisor", R"("to":"u-7","reason":"back on shift")"));
  };
  int orders = 0;
  auto link_order = [&](const std::string& id, const std::string& customer, const std::string& t) {
    const std::string order = fmt::format("W-{}", ++orders);
    e.apply_json(ev(order, "receive", t, "agent",
                    fmt::format(R"("workflow":"work_order","customer":"{}","kind":"fault_repair","product":"tv")", customer)));
    CHECK(apply(ev(id, "link", t, "agent", fmt::format(R"("case":"{}")", order))).covered == std::vector<std::string>{order});
  };
  apply(ev("C-11", "receive", at("09:00"), "agent", receive_data("web", "K-77", "billing")));
  handover_and_back("C-11", at("09:00"));
  link_order("C-11", "K-77", at("09:00"));
  apply(ev("C-11", "acknowledge", at("09:02")));
  handover_and_back("C-11", at("09:02"));
  link_order("C-11", "K-77", at("09:02"));
  apply(ev("C-11", "dispatch", at("09:04"), "agent", R"("department":"d","owner":"o")"));
  handover_and_back("C-11", at("09:04"));
  link_order("C-11", "K-77", at("09:04"));
  apply(ev("C-11", "wait_customer", at("09:05"), "agent", R"("reason":"docs")"));
  handover_and_back("C-11", at("09:05"));
  link_order("C-11", "K-77", at("09:05"));
  apply(ev("C-11", "escalate", at("09:06"), "agent", R"("level":1)"));
  apply(ev("C-11", "update", at("09:06"), "agent", R"("phone":"13812345678")"));
  apply(ev("C-11", "reclassify", at("09:06"), "supervisor", R"("channel":"phone","reason":"was a call")"));
  apply(ev("C-11", "report_crisis", at("09:06"), "supervisor"));
  apply(ev("C-11", "resume", at("09:07")));
  apply(ev("C-11", "resolve", at("09:08"), "agent", R"("resolution":"x")"));
  handover_and_back("C-11", at("09:08"));
  link_order("C-11", "K-77", at("09:08"));
  apply(ev("C-11", "callback", at("09:09"), "agent", R"("outcome":"satisfied","manual":false)"));
  handover_and_back("C-11", at("09:09"));
  link_order("C-11", "K-77", at("09:09"));
  apply(ev("C-11", "escalate", at("09:10"), "agent", R"("level":2)"));
  apply(ev("C-11", "appeal", at("09:11")));
  handover_and_back("C-11", at("09:11"));
  link_order("C-11", "K-77", at("09:11"));
  apply(ev("C-11", "escalate", at("09:12"), "agent", R"("level":3)"));
  apply(ev("C-11", "compensate", at("09:13"), "agent", R"("amount":100000)"));
  apply(ev("C-11", "approve_compensation", at("09:14"), "director", R"("amount":100000)"));
  // Joint handling, the department's report back and the control desk's unified reply.
  apply(ev("C-12", "receive", at("09:00"), "agent", receive_data("phone", "K-78", "service")));
  apply(ev("C-12", "acknowledge", at("09:01")));
  apply(ev("C-12", "dispatch", at("09:02"), "agent", R"("department":"network","owner":"u-7")"));
  apply(ev("C-12", "assist", at("09:03"), "agent", R"("department":"billing")"));
  apply(ev("C-12", "wait_customer", at("09:04"), "agent", R"("reason":"visit")"));
  apply(ev("C-12", "assist", at("09:05"), "agent", R"("department":"installation")"));
  apply(ev("C-12", "resume", at("09:06")));
  apply(ev("C-12", "report_back", at("09:07"), "agent", R"("result":"line replaced")"));
  link_order("C-12", "K-78", at("09:07"));
  apply(ev("C-12", "update", at("09:07"), "agent", R"("justified":true)"));
  apply(ev("C-12", "escalate", at("09:07"), "supervisor", R"("level":1)"));
  apply(ev("C-12", "reclassify", at("09:07"), "supervisor", R"("severity":"critical","reason":"safety")"));
  apply(ev("C-12", "report_crisis", at("09:07"), "supervisor"));
  handover_and_back("C-12", at("09:07"));
  apply(ev("C-12", "compensate", at("09:07"), "agent", R"("amount":300)"));
  apply(ev("C-12", "approve_compensation", at("09:07"), "supervisor", R"("amount":300)"));
  apply(ev("C-12", "send_back", at("09:08"), "agent", R"("reason":"the customer still has no signal")"));
  apply(ev("C-12", "report_back", at("09:09"), "agent", R"("result":"router replaced too")"));
  CHECK(apply(ev("C-12", "reply", at("09:10"), "agent", R"("resolution":"line and router replaced")")).to_state == "resolved");
  apply(ev("C-13", "receive", at("09:00"), "agent", receive_data("phone", "K-79", "service")));
  apply(ev("C-13", "acknowledge", at("09:01")));
  apply(ev("C-13", "dispatch", at("09:02"), "agent", R"("department":"network","owner":"u-7")"));
  apply(ev("C-13", "report_back", at("09:07"), "agent", R"("result":"nothing found")"));
  apply(ev("C-13", "withdraw", at("09:08")));

  // A corrective action opened and completed in every state they allow (one open at a time:
  // another is refused until it is done; a completion with none open is refused).
  auto action_cycle = [&](const std::string& id, const std::string& t) {
    apply(ev(id, "corrective_action", t, "supervisor", R"("action":"retrain the shift","owner":"q-1","due":"2026-04-30T18:00:00+08:00")"));
    CHECK(testing::error_of([&] { (void)e.apply_json(ev(id, "corrective_action", t, "supervisor",
                                                R"("action":"again","owner":"q-1","due":"2026-04-30T18:00:00+08:00")")); })
              .find("clock 'corrective_action' is running (due 2026-04-30T10:00:00Z)") != std::string::npos);
    apply(ev(id, "complete_action", t, "agent", R"("result":"done")"));
    CHECK(testing::error_of([&] { (void)e.apply_json(ev(id, "complete_action", t, "agent", R"("result":"again")")); })
              .find("clock 'corrective_action' is not running") != std::string::npos);
  };
  for (const char* state : {"received", "acknowledged", "in_progress", "waiting_customer", "reported", "resolved", "closed",
                            "external_review"}) {
    const std::string id = fmt::format("A-{}", state);
    const std::string_view st = state;
    apply(ev(id, "receive", at("10:00"), "agent", receive_data("phone", "K-" + id, "billing")));
    if (st != "received") apply(ev(id, "acknowledge", at("10:01")));
    if (st != "received" && st != "acknowledged") apply(ev(id, "dispatch", at("10:02"), "agent", R"("department":"billing","owner":"u-7")"));
    if (st == "waiting_customer") apply(ev(id, "wait_customer", at("10:03"), "agent", R"("reason":"documents")"));
    if (st == "reported") apply(ev(id, "report_back", at("10:03"), "agent", R"("result":"refund made")"));
    if (st == "resolved" || st == "closed" || st == "external_review") apply(ev(id, "resolve", at("10:03"), "agent", R"("resolution":"refund")"));
    if (st == "closed" || st == "external_review")
      apply(ev(id, "callback", at("10:04"), "agent", R"("outcome":"satisfied","manual":true)"));
    if (st == "external_review") apply(ev(id, "appeal", at("10:05")));
    CHECK(e.get(id)->state == st);
    action_cycle(id, at("10:06"));
  }

  // An incident's notice and resolution, as its broadcast writes them, in every state they allow.
  e.apply_json(ev("INC-1", "receive", at("09:00"), "agent", R"("workflow":"incident","category":"network","severity":"high","description":"outage")"));
  int affected = 0;
  for (const char* state : {"received", "acknowledged", "in_progress", "waiting_customer", "reported"}) {
    const std::string id = fmt::format("C-2{}", ++affected);
    apply(ev(id, "receive", at("09:00"), "agent", receive_data("phone", fmt::format("K-9{}", affected), "product_quality")));
    const std::string_view st = state;
    if (st != "received") apply(ev(id, "acknowledge", at("09:01")));
    if (st == "in_progress" || st == "waiting_customer" || st == "reported")
      apply(ev(id, "dispatch", at("09:02"), "agent", R"("department":"network","owner":"u-7")"));
    if (st == "waiting_customer") apply(ev(id, "wait_customer", at("09:03"), "agent", R"("reason":"outage")"));
    if (st == "reported") apply(ev(id, "report_back", at("09:03"), "agent", R"("result":"mass fault")"));
    CHECK(e.get(id)->state == st);
    // Progress promised and given in every open state.
    apply(ev(id, "promise_contact", at("09:04"), "agent", fmt::format(R"("by":"{}")", at("12:00"))));
    apply(ev(id, "notify_customer", at("09:04"), "agent", R"("note":"engineers are on their way")"));
    e.apply_json(ev("INC-1", "link", at("09:04"), "agent", fmt::format(R"("case":"{}")", id)));
    apply(ev(id, "incident_notice", at("09:05"), "agent", R"("case":"INC-1","note":"crew on site")"));
    CHECK(apply(ev(id, "incident_resolve", at("09:06"), "agent", R"("case":"INC-1","resolution":"fibre spliced")")).to_state == "resolved");
  }

  for (const auto& t : d.transitions()) {
    bool found = false;
    for (const auto& [type, from, to] : seen) {
      if (type != t.event) continue;
      if (std::find(t.from.begin(), t.from.end(), from) == t.from.end() && !(t.from.empty() && from.empty())) continue;
      if (t.stay ? to == from : to == t.to) found = true;
    }
    if (!t.on_attempts_exhausted.empty()) continue;  // covered by the attempts test
    CHECK_MESSAGE(found, "transition not walked: " << t.event << " -> " << (t.stay ? "(stay)" : t.to));
    // Every from-state of each transition.
    for (const auto& f : t.from) {
      bool any = false;
      for (const auto& [type, from, to] : seen)
        if (type == t.event && from == f) any = true;
      CHECK_MESSAGE(any, "transition " << t.event << " never fired from " << f);
    }
  }
  auto c1 = e.get("C-1");
  REQUIRE(c1);
  CHECK(c1->first_owner == "u-7");
  CHECK(c1->owner == "u-101");
  CHECK(c1->department == "billing");
  CHECK(c1->reopen_count == 4);  // unsatisfied callback, review decision, reopen from resolved, reopen from closed
  CHECK(c1->state == "in_progress");
  CHECK(c1->compensation_granted_cents == 50000);
  CHECK(e.get("C-4")->merged_into == std::optional<std::string>("C-1"));
  CHECK(e.get("C-10")->compensation_granted_cents == (5000 + 300 + 100000 + 1000) * 100);
  CHECK(e.get("C-10")->compensation_pending_cents == std::vector<int64_t>{1000});
}

TEST_CASE("refusals name the problem and change nothing") {
  Engine e = make_engine();
  to_in_progress(e, "C-1");
  refused(e, "C-1", ev("C-1", "acknowledge", at("10:00")), Errc::invalid_state, "not allowed in state 'in_progress'");
  refused(e, "C-1", ev("C-1", "approve_compensation", at("10:00"), "agent", R"("amount":1)"), Errc::permission, "role 'agent'");
  refused(e, "C-1", ev("C-1", "resolve", at("10:00")), Errc::invalid_argument, "missing data.resolution");
  refused(e, "C-1", ev("C-1", "resolve", at("10:00"), "agent", R"("resolution":"")"), Errc::invalid_argument, "empty");
  refused(e, "C-9", ev("C-9", "acknowledge", at("10:00")), Errc::not_found, "unknown case");
  refused(e, "C-1", ev("C-1", "contact", at("09:19")), Errc::invalid_argument, "before the case's last event");
  refused(e, "C-1", ev("C-1", "teleport", at("10:00")), Errc::invalid_argument, "unknown event type");
  refused(e, "C-1", ev("C-1", "contact", at("10:00"), "janitor"), Errc::permission, "unknown role");
  refused(e, "C-1", ev("C-1", "receive", at("10:00"), "agent", receive_data()), Errc::conflict, "already exists");
  refused(e, "C-2", ev("C-2", "receive", at("10:00"), "agent", receive_data("pigeon")), Errc::invalid_argument, "data.channel 'pigeon'");
  refused(e, "C-2", ev("C-2", "receive", at("10:00"), "agent", R"("channel":"phone","category":"service","severity":"normal")"),
          Errc::invalid_argument, "missing data.customer");
  refused(e, "C-2", ev("C-2", "receive", at("10:00"), "agent", receive_data() + R"(,"level":4)"), Errc::invalid_argument, "highest level");
  refused(e, "C-1", ev("C-1", "escalate", at("10:00"), "agent", R"("level":0)"), Errc::invalid_state, "never lowered");
  refused(e, "C-1", ev("C-1", "compensate", at("10:00"), "agent", R"("amount":0)"), Errc::invalid_argument, "positive");
  refused(e, "C-1", ev("C-1", "approve_compensation", at("10:00"), "manager", R"("amount":300)"), Errc::invalid_state, "pending");
  refused(e, "C-1", R"({"id":"","case":"C-1","type":"withdraw","at":"2026-03-09T10:00:00Z","actor":"a","role":"agent"})",
          Errc::invalid_argument, "without an id");
  refused(e, "C-1", ev("", "withdraw", at("10:00")), Errc::invalid_argument, "missing 'case'");
  refused(e, "C-1", R"({"id":"x","case":"C-1","type":"contact","at":"yesterday","actor":"a","role":"agent"})", Errc::parse, "RFC 3339");
  refused(e, "C-1", R"({"id":"x","case":"C-1","type":"contact","at":"2026-03-09T10:00:00Z","actor":"a","role":"agent")", Errc::parse);
  refused(e, "C-1", R"({"id":"x","case":"C-1","type":"contact","at":"2026-03-09T10:00:00Z","actor":"","role":"agent"})",
          Errc::invalid_argument, "actor");
  refused(e, "C-2", ev("C-2", "receive", at("10:00"), "agent", receive_data() + R"(,"description2":")" + std::string(70000, 'x') + "\""),
          Errc::limit, "at most 65536");
  // A description above 16 KiB (the event itself is under 64 KiB).
  refused(e, "C-2",
          ev("C-2", "receive", at("10:00"), "agent",
             R"("channel":"phone","category":"service","severity":"normal","customer":"K","description":")" + std::string(20000, 'x') + "\""),
          Errc::limit, "description");
  // The same refusals through apply(Event): a too-long description built in C++.
  Event big = parse_event(ev("C-2", "receive", at("10:00"), "agent", receive_data()));
  big.description.assign(17000, 'y');
  CHECK_THROWS_AS(e.apply(big), Error);
  CHECK_FALSE(e.get("C-2"));
  // Merge refusals.
  e.apply_json(ev("C-3", "receive", at("10:00"), "agent", receive_data()));
  refused(e, "C-3", ev("C-3", "merge", at("10:05"), "agent", R"("into":"C-3")"), Errc::invalid_argument, "itself");
  refused(e, "C-3", ev("C-3", "merge", at("10:05"), "agent", R"("into":"C-404")"), Errc::not_found, "C-404");
  e.apply_json(ev("C-4", "receive", at("10:00"), "agent", receive_data()));
  e.apply_json(ev("C-4", "reject", at("10:01"), "supervisor", R"("reason":"spam")"));
  refused(e, "C-3", ev("C-3", "merge", at("10:05"), "agent", R"("into":"C-4")"), Errc::invalid_state, "rejected");
  refused(e, "C-4", ev("C-4", "acknowledge", at("10:05")), Errc::invalid_state);
  // Callback outcome not in the list.
  e.apply_json(ev("C-1", "resolve", at("10:00"), "agent", R"("resolution":"done")"));
  refused(e, "C-1", ev("C-1", "callback", at("10:30"), "agent", R"("outcome":"meh","manual":true)"), Errc::invalid_argument, "outcome");
  refused(e, "C-1", ev("C-1", "callback", at("10:30"), "agent", R"("manual":true)"), Errc::invalid_argument, "missing data.outcome");
  refused(e, "C-1", ev("C-1", "callback", at("10:30"), "agent", R"("outcome":"unsatisfied","manual":true)"), Errc::invalid_argument,
          "missing data.reason");
}

TEST_CASE("event ids are idempotent") {
  Engine e = make_engine();
  const std::string rcv = ev("C-1", "receive", at("09:00"), "agent", receive_data(), "e-1");
  CHECK_FALSE(e.apply_json(rcv).duplicate);
  const std::string before = snapshot(e, "C-1");
  ApplyResult r = e.apply_json(rcv);
  CHECK(r.duplicate);
  CHECK(r.to_state == "received");
  CHECK(snapshot(e, "C-1") == before);
  e.apply_json(ev("C-1", "acknowledge", at("09:10"), "agent", "", "e-2"));
  // A retry arriving after later events is still a no-op (not a wrong-state error).
  CHECK(e.apply_json(ev("C-1", "acknowledge", at("09:10"), "agent", "", "e-2")).duplicate);
  CHECK(e.apply_json(rcv).duplicate);
  CHECK(e.get("C-1")->events.size() == 2);
  // The same id for a different event is a conflict.
  refused(e, "C-1", ev("C-1", "withdraw", at("09:30"), "agent", "", "e-2"), Errc::conflict, "already used");
  CHECK(to_json(r).find("\"duplicate\":true") != std::string::npos);
}

TEST_CASE("an SLA breach escalates automatically, never lowering the level") {
  Engine e = make_engine();
  // Phone: first response 2 h of business time, breach escalates to level 1.
  e.apply_json(ev("C-1", "receive", at("09:00"), "agent", receive_data("phone", "K-1", "service", "basic", "high")));
  CHECK(e.sweep(parse_instant(at("10:59"))).size() == 3);  // 50 %, 75 %, 90 % warnings of first_response
  auto fired = e.sweep(parse_instant(at("11:30")));
  bool breach = false;
  for (const auto& f : fired)
    if (f.kind == sla::ClockEvent::breach && f.clock == "first_response") {
      breach = true;
      CHECK(f.at == parse_instant(at("11:00")));
      CHECK(f.escalated_from == 0);
      CHECK(f.escalated_to == 1);
    }
  CHECK(breach);
  auto c = e.get("C-1");
  CHECK(c->escalation_level == 1);
  CHECK(c->events.back().type == "escalate");
  CHECK(c->events.back().actor == "system");
  CHECK(c->clocks[0].breached);
  // By hand: to 1 again is refused (not a raise).
  refused(e, "C-1", ev("C-1", "escalate", at("11:40"), "agent", R"("level":1)"), Errc::invalid_state);
  // High resolution: 16 business hours, breach escalates to 1.
  e.apply_json(ev("C-1", "acknowledge", at("11:45")));
  e.apply_json(ev("C-1", "escalate", at("11:50"), "manager", R"("level":3)"));
  e.sweep(parse_instant(at("12:00", 10)));
  c = e.get("C-1");
  CHECK(c->escalation_level == 3);  // the breach to 1 did not lower it
  // A critical case is a crisis: at level 2 at once; reported in time, it stays there.
  e.apply_json(ev("C-2", "receive", at("09:00"), "agent", receive_data("web", "K-2", "service", "basic", "critical")));
  CHECK(e.get("C-2")->escalation_level == 2);
  e.apply_json(ev("C-2", "report_crisis", at("09:40"), "supervisor"));
  auto all = e.sweep(parse_instant(at("12:00", 10)));
  CHECK(e.get("C-2")->escalation_level == 2);
  CHECK(e.by_escalation_level(2) == std::vector<std::string>{"C-2"});
  // Deferred breach: clock stopped late without a sweep in between still escalates at the next sweep.
  to_in_progress(e, "C-3", receive_data("phone", "K-3"), 11);
  e.apply_json(ev("C-3", "resolve", at("15:00", 11), "agent", R"("resolution":"x")"));  // contact clock breached at 11:20
  e.sweep(parse_instant(at("15:01", 11)));
  CHECK(e.get("C-3")->escalation_level == 1);
}

TEST_CASE("callback rules: manual after unreachable, manual tiers, attempts limit") {
  Engine e = make_engine();
  to_in_progress(e, "C-1");
  e.apply_json(ev("C-1", "resolve", at("10:00"), "agent", R"("resolution":"x")"));
  auto r = e.apply_json(ev("C-1", "callback", at("10:30"), "agent", R"("outcome":"unreachable","manual":false)"));
  CHECK(r.manual_callback_required);
  CHECK(r.callback_attempts == 1);
  refused(e, "C-1", ev("C-1", "callback", at("11:00"), "agent", R"("outcome":"satisfied","manual":false)"), Errc::invalid_state,
          "a manual callback is owed");
  e.apply_json(ev("C-1", "callback", at("11:00"), "agent", R"("outcome":"unreachable","manual":true)"));
  r = e.apply_json(ev("C-1", "callback", at("11:30"), "agent", R"("outcome":"unreachable","manual":true)"));
  CHECK(r.attempts_exhausted);
  CHECK(r.to_state == "closed");
  auto c = e.get("C-1");
  CHECK(c->satisfaction == Satisfaction::unknown);
  CHECK(c->state == "closed");
  CHECK(c->clocks[3].state == sla::ClockState::stopped);
  // Gold customers always get a manual callback.
  to_in_progress(e, "C-2", receive_data("phone", "K-2", "service", "gold"));
  e.apply_json(ev("C-2", "resolve", at("10:00"), "agent", R"("resolution":"x")"));
  refused(e, "C-2", ev("C-2", "callback", at("10:30"), "agent", R"("outcome":"satisfied")"), Errc::invalid_state, "tier 'gold'");
  CHECK(e.apply_json(ev("C-2", "callback", at("10:30"), "agent", R"("outcome":"satisfied","manual":true)")).to_state == "closed");
  CHECK(e.get("C-2")->satisfaction == Satisfaction::satisfied);
}

TEST_CASE("a manual unsatisfied callback reopens the case and restarts the resolution clock") {
  Engine e = make_engine();
  to_in_progress(e, "C-1");
  e.apply_json(ev("C-1", "resolve", at("10:00"), "agent", R"("resolution":"x")"));
  auto r = e.apply_json(ev("C-1", "callback", at("10:30"), "agent", R"("outcome":"unsatisfied","manual":true,"reason":"took too long")"));
  CHECK(r.to_state == "in_progress");
  bool restarted = false;
  for (const auto& k : r.clocks)
    if (k.clock == "resolution" && k.op == ClockAction::restart) restarted = true;
  CHECK(restarted);
  auto c = e.get("C-1");
  CHECK(c->reopen_count == 1);
  CHECK(c->satisfaction == Satisfaction::unsatisfied);
  for (const auto& k : c->clocks)
    if (k.name == "resolution") {
      CHECK(k.instance == 2);
      CHECK(k.state == sla::ClockState::running);
    }
  e.apply_json(ev("C-1", "resolve", at("11:00"), "agent", R"("resolution":"y")"));
  e.apply_json(ev("C-1", "callback", at("11:30"), "agent", R"("outcome":"very_satisfied")"));
  CHECK(e.get("C-1")->satisfaction == Satisfaction::very_satisfied);
  CHECK(e.get("C-1")->reopen_count == 1);
  // Reopen after the window is refused.
  refused(e, "C-1", ev("C-1", "reopen", "2026-04-20T10:00:00+08:00", "agent", R"("reason":"late")"), Errc::invalid_state, "window");
  CHECK(e.apply_json(ev("C-1", "reopen", "2026-04-08T10:00:00+08:00", "agent", R"("reason":"back")")).to_state == "in_progress");
}

TEST_CASE("repeat complaints are linked within the window only") {
  Engine e = make_engine();
  auto close_case = [&](const std::string& id, const std::string& cust, const std::string& cat, int day) {
    to_in_progress(e, id, receive_data("phone", cust, cat), day);
    e.apply_json(ev(id, "resolve", at("10:00", day), "agent", R"("resolution":"x")"));
    e.apply_json(ev(id, "callback", at("10:30", day), "agent", R"("outcome":"satisfied")"));
  };
  close_case("C-1", "K-1", "billing", 2);
  auto r = e.apply_json(ev("C-2", "receive", at("09:00", 12), "agent", receive_data("web", "K-1", "billing")));
  CHECK(r.repeat_of == std::optional<std::string>("C-1"));
  CHECK_FALSE(e.apply_json(ev("C-3", "receive", at("09:00", 12), "agent", receive_data("web", "K-1", "service"))).repeat_of);
  CHECK_FALSE(e.apply_json(ev("C-4", "receive", at("09:00", 12), "agent", receive_data("web", "K-9", "billing"))).repeat_of);
  // C-2 closes, a third complaint links to the first case.
  e.apply_json(ev("C-2", "acknowledge", at("09:10", 12)));
  e.apply_json(ev("C-2", "dispatch", at("09:20", 12), "agent", R"("department":"d","owner":"o")"));
  e.apply_json(ev("C-2", "resolve", at("10:00", 12), "agent", R"("resolution":"x")"));
  e.apply_json(ev("C-2", "callback", at("10:30", 12), "agent", R"("outcome":"satisfied")"));
  CHECK(e.apply_json(ev("C-5", "receive", at("09:00", 20), "agent", receive_data("web", "K-1", "billing"))).repeat_of ==
        std::optional<std::string>("C-1"));
  // Outside the 30-day window: not a repeat.
  close_case("C-6", "K-6", "billing", 2);
  CHECK_FALSE(e.apply_json(ev("C-7", "receive", "2026-04-02T09:00:00+08:00", "agent", receive_data("web", "K-6", "billing"))).repeat_of);
  // A case still open makes the next one on the same matter a repeat (the customer complains again).
  e.apply_json(ev("C-8", "receive", at("09:00", 3), "agent", receive_data("web", "K-8", "billing")));
  CHECK(e.apply_json(ev("C-9", "receive", at("09:00", 4), "agent", receive_data("web", "K-8", "billing"))).repeat_of ==
        std::optional<std::string>("C-8"));
  // ... and a third one too, linked to the first of the chain; after the chain's cases ended
  // (withdrawn, rejected) the next one starts a chain of its own.
  CHECK(e.apply_json(ev("C-10", "receive", at("10:00", 4), "agent", receive_data("web", "K-8", "billing"))).repeat_of ==
        std::optional<std::string>("C-8"));
  for (const char* id : {"C-8", "C-9", "C-10"}) e.apply_json(ev(id, "withdraw", at("11:00", 4)));
  CHECK_FALSE(e.apply_json(ev("C-11", "receive", at("12:00", 4), "agent", receive_data("web", "K-8", "billing"))).repeat_of);
  // The latest of a chain withdrawn, its first still open: a repeat of the first.
  e.apply_json(ev("C-12", "receive", at("13:00", 4), "agent", receive_data("web", "K-12", "billing")));
  e.apply_json(ev("C-13", "receive", at("13:10", 4), "agent", receive_data("web", "K-12", "billing")));
  e.apply_json(ev("C-13", "withdraw", at("13:20", 4)));
  CHECK(e.apply_json(ev("C-14", "receive", at("13:30", 4), "agent", receive_data("web", "K-12", "billing"))).repeat_of ==
        std::optional<std::string>("C-12"));
  CHECK(e.get("C-5")->repeat_of == std::optional<std::string>("C-1"));
}

TEST_CASE("compensation within the role's per-case limit, past it pending approval") {
  Engine e = make_engine();
  to_in_progress(e, "C-1");
  CHECK(e.apply_json(ev("C-1", "compensate", at("10:00"), "agent", R"("amount":200)")).compensation == "granted");
  CHECK(e.apply_json(ev("C-1", "compensate", at("10:01"), "agent", R"("amount":0.01)")).compensation == "pending");  // 200.01 in all
  CHECK(e.apply_json(ev("C-1", "compensate", at("10:02"), "supervisor", R"("amount":8000)")).compensation == "pending");
  auto c = e.get("C-1");
  CHECK(c->compensation_granted_cents == 20000);
  CHECK(c->compensation_pending_cents == std::vector<int64_t>{1, 800000});
  refused(e, "C-1", ev("C-1", "approve_compensation", at("10:03"), "supervisor", R"("amount":8000)"), Errc::permission, "up to 2000.00 per case");
  CHECK(e.apply_json(ev("C-1", "approve_compensation", at("10:04"), "manager", R"("amount":8000)")).compensation == "approved");
  // The supervisor's 2000 no longer covers the case's total (8200.01).
  refused(e, "C-1", ev("C-1", "approve_compensation", at("10:05"), "supervisor", R"("amount":0.01)"), Errc::permission,
          "the case's total would be 8200.01");
  CHECK(e.apply_json(ev("C-1", "approve_compensation", at("10:05"), "manager", R"("amount":0.01)")).compensation == "approved");
  refused(e, "C-1", ev("C-1", "approve_compensation", at("10:06"), "director", R"("amount":8000)"), Errc::invalid_state);
  c = e.get("C-1");
  CHECK(c->compensation_granted_cents == 20000 + 1 + 800000);
  CHECK(c->compensation_pending_cents.empty());
  CHECK(to_json(*c).find(R"("compensation":{"granted":8200.01,"pending":[],"pending_remedies":[]})") != std::string::npos);
}

TEST_CASE("over-level complaints and queries") {
  Engine e = make_engine();
  auto r = e.apply_json(ev("C-1", "receive", at("09:00"), "agent", receive_data() + R"(,"level":2)"));
  CHECK(r.over_level);
  CHECK(r.escalation_after == 2);
  to_in_progress(e, "C-2");
  to_in_progress(e, "C-3", receive_data("web", "K-3"));
  e.apply_json(ev("C-3", "transfer", at("09:30"), "agent", R"("department":"billing","owner":"u-200")"));
  CHECK(e.by_state("in_progress") == std::vector<std::string>{"C-2", "C-3"});
  CHECK(e.by_state("received") == std::vector<std::string>{"C-1"});
  CHECK(crmkit::testing::code_of([&] { (void)e.by_state("nonsense"); }) == Errc::invalid_argument);
  CHECK(e.by_owner("u-100") == std::vector<std::string>{"C-2"});
  CHECK(e.by_owner("u-7") == std::vector<std::string>{"C-1"});  // first-contact owner until handed over
  CHECK(e.by_department("billing") == std::vector<std::string>{"C-3"});
  CHECK(e.by_escalation_level(2) == std::vector<std::string>{"C-1"});
  Query q;
  q.min_escalation_level = 0;
  q.limit = 2;
  CHECK(e.find(q).size() == 2);
  // Due clocks: C-2's contact clock is due 11:20, C-1's first response at 11:00.
  auto due = e.due_before(parse_instant(at("11:30")));
  REQUIRE(due.size() == 2);  // C-3's restarted contact clock is due at 11:30, not before
  CHECK(due[0].case_id == "C-1");
  CHECK(due[0].clock == "first_response");
  CHECK(due[0].due == parse_instant(at("11:00")));
  for (size_t i = 1; i < due.size(); ++i) CHECK(due[i - 1].due <= due[i].due);
  CHECK(e.due_before(parse_instant(at("09:00"))).empty());
  auto c = e.get("C-3");
  REQUIRE(c);
  CHECK(c->events.size() == 4);
  CHECK(c->events[3].type == "transfer");
  CHECK(c->events[3].data == std::vector<workflow::FieldValue>{{"department", workflow::FieldType::string, "billing", false}, {"owner", workflow::FieldType::string, "u-200", false}});
  CHECK(to_json(*c).find(R"("events":[{"id":)") != std::string::npos);
  auto cj = nlohmann::json::parse(to_json(*c));
  CHECK(cj["clocks"].size() == 4);  // first_response, resolution, progress_update, contact_after_dispatch
  CHECK(cj["events"][0]["data"]["description"] == "no signal");
}

TEST_CASE("invalid workflow definitions are refused naming the spot") {
  const std::string good = slurp(kWorkflow);
  auto refused_def = [](const std::string& json, const char* needle) {
    try {
      Definition::from_json(json);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
    }
  };
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
  };
  refused_def(replace(R"({"event": "appeal", "from": ["closed"], "to": "external_review")",
                      R"({"event": "appeal", "from": ["closed"], "to": "closed")"),
              "state 'external_review' is unreachable");
  refused_def(replace(R"("clocks": {"stop": ["first_response", "promised_contact"])", R"("clocks": {"stop": ["first_reply", "promised_contact"])"),
              "workflow.transitions[1].clocks.stop[0]: unknown clock 'first_reply'");
  refused_def(replace(R"("from": ["received"], "to": "acknowledged")", R"("from": ["received"], "to": "limbo")"),
              "workflow.transitions[1].to: a transition to nowhere: unknown state 'limbo'");
  refused_def(replace(R"("from": ["received"], "to": "acknowledged")", R"("from": ["received"])"),
              "workflow.transitions[1].to: missing: a transition to nowhere");
  refused_def(replace(R"("from": ["received"], "to": "acknowledged")", R"("from": ["recieved"], "to": "acknowledged")"),
              "workflow.transitions[1].from[0]: unknown state 'recieved'");
  refused_def(replace(R"("roles": ["supervisor", "manager", "director"], "required": ["reason"]})",
                      R"("roles": ["boss"], "required": ["reason"]})"),
              "workflow.transitions[2].roles[0]: unknown role 'boss'");
  refused_def(replace(R"("required": ["department", "owner"],)", R"("required": ["departement", "owner"],)"),
              "unknown field 'departement'");
  refused_def(replace(R"("effect": "merge")", R"("effect": "fuse")"), "workflow.transitions[3].effect: unknown effect 'fuse'");
  refused_def(replace(R"({"name": "merged", "kind": "terminal", "label": "合并"})",
                      R"({"name": "merged", "kind": "terminal"}, {"name": "merged", "kind": "closed"})"),
              "workflow.states[11].name: duplicate state 'merged'");
  refused_def("{\"roles\": [\"a\"], \"states\": [{\"name\": \"s\"}], \"transitions\": [{\"event\": \"x\", \"from\": [\"s\"], \"to\": \"s\", \"roles\": [\"a\"]}]}",
              "no transition with \"effect\": \"receive\"");
  refused_def("[1,2]", "expected a JSON object");
  CHECK_THROWS_AS(Definition::from_json("{"), Error);
  // A clock the policy does not define.
  // The corrective action's clock renamed "survey" (a workflow has at most 8 clocks): one the policy lacks.
  std::string other = good;
  for (size_t pos; (pos = other.find("\"corrective_action\"")) != std::string::npos;) other.replace(pos, 19, "\"survey\"");
  Definition d = Definition::from_json(other);
  Calendar cal = Calendar::from_file(kCalendar);
  try {
    Engine e(d, sla::Policy::from_file(kPolicy, cal), Rules::from_file(kPolicy), cal.zone());
    FAIL("accepted");
  } catch (const Error& err) {
    CHECK(std::string(err.what()).find("workflow.clocks[7]: unknown clock 'survey'") != std::string::npos);
  }
  // An integrator's own workflow: a two-state one works.
  Definition tiny = Definition::from_json(R"({"roles": ["clerk"], "clocks": ["resolution"],
    "states": [{"name": "open"}, {"name": "done", "kind": "closed"}],
    "transitions": [{"event": "receive", "to": "open", "effect": "receive", "roles": ["clerk"], "clocks": {"start": ["resolution"]}},
                    {"event": "finish", "from": ["open"], "to": "done", "roles": ["clerk"]}]})");
  Engine t(tiny, sla::Policy::from_file(kPolicy, cal), Rules(), cal.zone());
  t.apply_json(R"({"id":"1","case":"A","type":"receive","at":"2026-03-09T09:00:00+08:00","actor":"c","role":"clerk","data":{"channel":"x"}})");
  auto r = t.apply_json(R"({"id":"2","case":"A","type":"finish","at":"2026-03-09T10:00:00+08:00","actor":"c","role":"clerk"})");
  CHECK(r.to_state == "done");
  CHECK(r.clocks.size() == 1);  // closing stops the running clocks
  CHECK(t.get("A")->clocks[0].state == sla::ClockState::stopped);
}

TEST_CASE("policy rules are read from the policy file") {
  Rules r = Rules::from_file(kPolicy);
  CHECK(r.callback_max_attempts == 3);
  CHECK(r.reopen_window_days == 30);
  CHECK(r.manual_callback_tiers.size() == 6);
  REQUIRE(r.compensation_limits.size() == 4);
  for (const auto& [role, limit] : r.compensation_limits) {
    if (role == "agent") CHECK(limit == std::optional<int64_t>(20000));
    if (role == "director") CHECK_FALSE(limit.has_value());
    if (role == "manager") CHECK(limit == std::optional<int64_t>(1000000));
  }
  CHECK_THROWS_AS(Rules::from_json(R"({"callback": {"max_attempts": 0}})"), Error);
  CHECK_THROWS_AS(Rules::from_json(R"({"compensation_limits": {"agent": "lots"}})"), Error);
}

TEST_CASE("event JSON parsing") {
  Event e = parse_event(
      R"( {"id":"e-1","case":"C-1","type":"receive","at":"2026-03-06T17:30:00+08:00","actor":"u-7","role":"agent",)"
      R"("data":{"channel":"phone","description":"\u5bbd\u5e26 \"down\"\n\ud83d\ude00","manual":true,"level":1,"amount":12.5,"unknown":[true]}} )");
  CHECK(e.id == "e-1");
  CHECK(e.case_id == "C-1");
  CHECK(e.at == parse_instant("2026-03-06T09:30:00Z"));
  CHECK(e.utc_offset == 8 * 3600);
  CHECK(e.description == "宽带 \"down\"\n\xF0\x9F\x98\x80");
  CHECK(e.manual);
  CHECK(e.level == 1);
  CHECK(e.amount_cents == 1250);
  CHECK(e.has(Field::channel));
  CHECK_FALSE(e.has(Field::owner));
  Event back = parse_event(to_json(e));
  CHECK(to_json(back) == to_json(e));
  CHECK_THROWS_AS(parse_event(R"({"id":"e","at":"2026-03-06T17:30:00Z","data":{"level":"high"}})"), Error);
  CHECK_THROWS_AS(parse_event(R"({"id":"e","at":"2026-03-06T17:30:00Z"} x)"), Error);
  CHECK_THROWS_AS(parse_event(R"({"id":"e"})"), Error);
  // A top-level key the format does not have is refused, naming it (it would be lost otherwise).
  CHECK(testing::error_of([] { (void)parse_event(R"({"id":"e","at":"2026-03-06T17:30:00Z","extra":{"a":[1]}})"); }).find("'extra'") !=
        std::string::npos);
  // Other data members are kept as attributes (the engine checks them against the declared fields).
  REQUIRE(e.attributes.size() == 1);
  CHECK(e.attributes[0].key == "unknown");
  CHECK(e.attributes[0].kind == Attribute::Kind::other);
  CHECK(testing::error_of([] { (void)parse_event(R"({"id":"e","at":"2026-03-06T17:30:00Z","data":{"x":1,"x":2}})"); }).find("'data.x' is given twice") !=
        std::string::npos);
  CHECK_THROWS_AS(parse_event(R"({"id":"e","at":"2026-03-06T17:30:00Z","data":{"owner":"\ud800"}})"), Error);
  try {
    parse_event(std::string(70 * 1024, ' '));
    FAIL("accepted");
  } catch (const Error& err) {
    CHECK(err.code() == Errc::limit);
  }
}

TEST_CASE("replay is deterministic and the generated log applies cleanly") {
  gen::ComplaintLogOptions o;
  o.cases = 400;
  o.seed = 7;
  o.start = "2026-03-02";
  o.days = 20;
  auto log = gen::generate_complaint_log(o);
  CHECK(log.cases == 400);
  CHECK(gen::generate_complaint_jsonl(o) == gen::generate_complaint_jsonl(o));
  auto run = [&] {
    Engine e = make_engine();
    size_t rejected = 0;
    std::string out;
    for (const auto& line : log.lines) {
      Event ev = parse_event(line);
      e.sweep(ev.at);
      try {
        e.apply(ev);
      } catch (const Error& err) {
        ++rejected;
        MESSAGE(line << " -> " << err.what());
      }
    }
    e.sweep(parse_instant("2026-04-30T00:00:00Z"));
    e.for_each_case([&](const Case& c) { out += to_json(c) + "\n"; }, true);
    kpi::Options ko;
    out += kpi::to_json(e.kpi(ko));
    CHECK(rejected == 0);
    CHECK(e.size() == 400);
    auto s = e.stats();
    CHECK(s.closed_cases + s.open_cases == 400);
    return out;
  };
  const std::string a = run();
  CHECK(a == run());
  // Cross-check: replaying the audit trail of every case gives the same states.
  CHECK(a.find("\"state\":\"closed\"") != std::string::npos);
  CHECK(a.find("\"merged_into\":\"C-") != std::string::npos);
  CHECK(a.find("\"repeat_of\":\"C-") != std::string::npos);
  CHECK(a.find("\"type\":\"transfer\"") != std::string::npos);
  CHECK(a.find("\"outcome\":\"unreachable\"") != std::string::npos);
}

TEST_CASE("queries run concurrently with apply") {
  Engine e = make_engine();
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      (void)e.by_state("in_progress");
      (void)e.get("C-1");
      (void)e.stats();
    }
  });
  for (int i = 0; i < 300; ++i) to_in_progress(e, fmt::format("C-{}", i));
  done = true;
  reader.join();
  CHECK(e.by_state("in_progress").size() == 300);
}
