// Incidents (a mass fault 非个案的问题, a group complaint 群诉): the shipped incident workflow and
// policy. Cases of any customer are linked to an incident without ending them; one
// incident_notice or incident_resolve on the incident is written into every open linked case,
// all or none; the incident has its own state and clocks. Every refusal changes nothing, in
// memory and durable.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "crmkit/calendar.hpp"
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
using testing::kData;

Engine all_workflows() {
  Engine e = Engine::from_files({kData + "workflows/default.json", kData + "workflows/work-order.json", kData + "workflows/incident.json"},
                                kData + "policies", kData + "calendars/cn-2026.json");
  // The inquiry workflow under another name, with a link transition and no incident events.
  auto inquiry = nlohmann::json::parse(testing::slurp(kData + "workflows/inquiry.json"));
  inquiry["name"] = "linked_inquiry";
  std::vector<std::string> states;
  for (const auto& st : inquiry["states"]) states.push_back(st["name"]);
  inquiry["transitions"].push_back({{"event", "link"}, {"from", states}, {"stay", true}, {"effect", "link"},
                                    {"roles", inquiry["roles"]}, {"required", {"case"}}});
  const Calendar calendar = Calendar::from_file(kData + "calendars/cn-2026.json");
  e.add_workflow(Definition::from_json(inquiry.dump()), sla::Policy::from_file(kData + "policies/inquiry.json", calendar),
                 Rules::from_file(kData + "policies/inquiry.json"));
  return e;
}

std::string event(const std::string& id, const std::string& case_id, const std::string& type, const std::string& at,
                  const std::string& data = "", const std::string& role = "agent") {
  return testing::march_event(id, type, at, data, role, case_id);
}

std::string complaint(const std::string& customer) {
  return fmt::format(R"("channel":"phone","category":"product_quality","severity":"normal","customer":"{}")", customer);
}

/// The text of a data field of a trail entry ("" when absent).
std::string data_of(const AuditEntry& a, const std::string& name) {
  for (const FieldValue& f : a.data)
    if (f.name == name) return f.text;
  return "";
}


/// INC-1 declared at 09:00 on 9 March; complaints C-1..C-3 of three customers and work order W-1
/// linked to it; C-3 already resolved on its own.
void mass_fault(Engine& e) {
  e.apply_json(event("i0", "INC-1", "receive", "09T09:00:00",
                     R"("workflow":"incident","category":"network","severity":"high","description":"fibre cut, district 3","area":"district 3")"));
  for (const char* id : {"C-1", "C-2", "C-3"}) e.apply_json(event(std::string(id) + "r", id, "receive", "09T09:05:00", complaint(std::string("K-") + id)));
  e.apply_json(event("c3a", "C-3", "acknowledge", "09T09:06:00"));
  e.apply_json(event("c3d", "C-3", "dispatch", "09T09:07:00", R"("department":"network","owner":"u-9")"));
  e.apply_json(event("c3s", "C-3", "resolve", "09T09:08:00", R"("resolution":"router restarted")"));
  e.apply_json(event("c1a", "C-1", "acknowledge", "09T09:10:00"));
  e.apply_json(event("w1r", "W-1", "receive", "09T09:06:00",
                     R"("workflow":"work_order","channel":"phone","customer":"K-W","tier":"basic","kind":"fault_repair","product":"broadband")"));
  for (const char* id : {"C-1", "C-2", "C-3", "W-1"})
    e.apply_json(event(std::string("l-") + id, "INC-1", "link", "09T09:20:00", fmt::format(R"("case":"{}")", id)));
}

}  // namespace

TEST_CASE("An incident links cases of many customers; one notice and one resolution reach every open one") {
  auto check = [](Engine& e) {
    mass_fault(e);
    Case inc = *e.get("INC-1");
    CHECK(inc.workflow == "incident");
    CHECK(inc.state == "declared");
    CHECK(inc.links == std::vector<std::string>{"C-1", "C-2", "C-3", "W-1"});
    CHECK(e.get("C-2")->links == std::vector<std::string>{"INC-1"});
    CHECK(e.get("C-2")->state == "received");  // linking ends nothing
    CHECK(clock(inc, "first_notice").state == sla::ClockState::running);
    CHECK(clock(inc, "restoration").due == parse_instant("2026-03-09T17:00:00+08:00"));  // high: 8 elapsed hours

    const ApplyResult notice = e.apply_json(event("n1", "INC-1", "incident_notice", "09T09:40:00", R"("note":"repair crew on site, back by 14:00")"));
    CHECK(notice.covered == std::vector<std::string>{"C-1", "C-2", "W-1"});  // C-3 is resolved already
    CHECK(clock(*e.get("INC-1"), "first_notice").state == sla::ClockState::stopped);
    for (const char* id : {"C-1", "C-2", "W-1"}) {
      CAPTURE(id);
      const Case c = *e.get(id);
      const auto& last = c.events.back();
      CHECK(last.type == "incident_notice");
      CHECK(last.id == "n1");
      CHECK(data_of(last, "case") == "INC-1");
      CHECK(data_of(last, "note") == "repair crew on site, back by 14:00");
    }
    const Case c3 = *e.get("C-3");
    for (const AuditEntry& a : c3.events) CHECK(a.type != "incident_notice");

    const ApplyResult done = e.apply_json(event("s1", "INC-1", "incident_resolve", "09T13:30:00", R"("resolution":"fibre spliced")"));
    CHECK(done.to_state == "restored");
    CHECK(done.covered == std::vector<std::string>{"C-1", "C-2", "W-1"});
    for (const char* id : {"C-1", "C-2"}) {
      CAPTURE(id);
      const Case c = *e.get(id);
      CHECK(c.state == "resolved");
      CHECK(clock(c, "resolution").state == sla::ClockState::stopped);
      CHECK(clock(c, "callback").state == sla::ClockState::running);  // each is called back on its own
    }
    CHECK(e.get("W-1")->state == "completed");
    CHECK(clock(*e.get("W-1"), "repair").state == sla::ClockState::stopped);
    CHECK(clock(*e.get("INC-1"), "restoration").state == sla::ClockState::stopped);
    CHECK_FALSE(clock(*e.get("INC-1"), "restoration").breached);
    // The complaints go on alone: a callback closes C-1.
    CHECK(e.apply_json(event("b1", "C-1", "callback", "09T15:00:00", R"("outcome":"satisfied")")).to_state == "closed");
    CHECK(e.apply_json(event("x1", "INC-1", "close", "09T16:00:00", "", "supervisor")).to_state == "closed");
    // The cause traced back on the incident (defect feedback) counts its complaints too: they
    // record none of their own. W-1's workflow has no root cause field: not in that breakdown.
    e.apply_json(event("u1", "INC-1", "update", "09T16:10:00", R"("root_cause":"fibre cut by road works","supplier":"Changfei")", "supervisor"));
    const kpi::Report r = e.kpi();
    for (const auto& [field, list] : r.by_field) {
      if (field != "root_cause") continue;
      REQUIRE(list.size() == 1);
      CHECK(list[0].key == "fibre cut by road works");
      CHECK(list[0].received == 4);  // INC-1, C-1, C-2 and C-3
    }
  };
  testing::in_memory_and_durable(all_workflows, check);
}

TEST_CASE("Incident refusals change nothing, in memory and durable") {
  auto check = [](Engine& e) {
    mass_fault(e);
    // A case of a workflow that takes links but has no incident events is left out.
    e.apply_json(event("q1", "Q-1", "receive", "09T09:30:00", R"("workflow":"linked_inquiry","channel":"phone","category":"billing","severity":"low","customer":"K-Q")"));
    e.apply_json(event("l-q", "INC-1", "link", "09T09:31:00", R"("case":"Q-1")"));
    // C-2 holds an event "dup" already: the notice carrying that id is refused for all.
    e.apply_json(event("dup", "C-2", "acknowledge", "09T09:32:00"));
    e.apply_json(event("w-c", "C-4", "receive", "09T09:33:00", complaint("K-4")));
    e.apply_json(event("w-w", "C-4", "withdraw", "09T09:34:00"));
    all_refused(e, {
        // all or none: one linked case refuses the copy
        {event("dup", "INC-1", "incident_notice", "09T09:40:00", R"("note":"n")"), Errc::conflict, "a linked case: case 'C-2'"},
        // a copy sent by hand must name an incident the case is linked to
        {event("h1", "C-1", "incident_notice", "09T09:40:00", R"("case":"INC-9","note":"n")"), Errc::invalid_argument,
         "data.case: case 'INC-9' is not linked to this one"},
        // linking: terminal, twice, unknown, itself, two customers' cases
        {event("l2", "INC-1", "link", "09T09:40:00", R"("case":"C-4")"), Errc::invalid_state, "case 'C-4' is withdrawn"},
        {event("l3", "INC-1", "link", "09T09:40:00", R"("case":"C-1")"), Errc::conflict, "linked to this one already"},
        {event("l4", "INC-1", "link", "09T09:40:00", R"("case":"C-404")"), Errc::not_found, "unknown case 'C-404'"},
        {event("l5", "W-1", "link", "09T09:40:00", R"("case":"C-2")"), Errc::invalid_argument, "links join one customer's cases"},
        // the incident's own transitions
        {event("r1", "INC-1", "incident_resolve", "09T09:40:00", ""), Errc::invalid_argument, "resolution"},
        {event("c1", "INC-1", "cancel", "09T09:40:00", R"("reason":"x")"), Errc::permission, "role 'agent'"},
    });
    // Direct: a copy naming the linked incident is accepted (a host replaying what the incident wrote).
    CHECK(e.apply_json(event("h2", "C-1", "incident_notice", "09T09:41:00", R"("case":"INC-1","note":"n")")).covered.empty());
    // The notice without the refused id reaches C-1, C-2 and W-1, not the inquiry.
    CHECK(e.apply_json(event("n2", "INC-1", "incident_notice", "09T09:42:00", R"("note":"n")")).covered ==
          std::vector<std::string>{"C-1", "C-2", "W-1"});
  };
  testing::in_memory_and_durable(all_workflows, check);
}

TEST_CASE("At most kMaxLinkedCases cases are linked to one case") {
  auto check = [](Engine& e) {
    e.apply_json(event("i0", "INC-1", "receive", "09T09:00:00", R"("workflow":"incident","category":"network","severity":"low","description":"d")"));
    std::vector<std::string> batch;
    for (size_t i = 0; i < kMaxLinkedCases; ++i) {
      batch.push_back(event(fmt::format("r{}", i), fmt::format("C-{}", i), "receive", "09T09:01:00", complaint(fmt::format("K-{}", i))));
      batch.push_back(event(fmt::format("l{}", i), "INC-1", "link", "09T09:02:00", fmt::format(R"("case":"C-{}")", i)));
    }
    std::vector<std::string_view> views(batch.begin(), batch.end());
    CHECK(e.apply_batch(views).applied == 2 * kMaxLinkedCases);
    e.apply_json(event("rx", "C-x", "receive", "09T09:03:00", complaint("K-x")));
    all_refused(e, {{event("lx", "INC-1", "link", "09T09:04:00", R"("case":"C-x")"), Errc::limit, "the most one case may have"}});
    // One notice reaches them all.
    CHECK(e.apply_json(event("n", "INC-1", "incident_notice", "09T09:05:00", R"("note":"n")")).covered.size() == kMaxLinkedCases);
  };
  testing::in_memory_and_durable(all_workflows, check);
}
