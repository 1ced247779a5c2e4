// Case records: the workflow declares typed fields (docs/domain.md#case-records-and-personal-data);
// an undeclared key or a value of the wrong type is refused naming the key and changes nothing;
// `update` sets fields later; personal fields are masked in every read unless the reader's role
// may see them; the declared values survive snapshots and recovery.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
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

using testing::code_of;
using testing::TempDb;
using testing::engine_dump;
using testing::error_of;
using testing::fresh_engine;
using testing::kData;

std::string event(const std::string& id, const std::string& type, const std::string& at, const std::string& data,
                  const std::string& role = "agent", const std::string& case_id = "K-1") {
  return fmt::format(R"({{"id":"{}","case":"{}","type":"{}","at":"2026-03-02T{}:00+08:00","actor":"u-1","role":"{}","data":{{{}}}}})", id,
                     case_id, type, at, role, data);
}

const std::string kReceiveData =
    R"("channel":"phone","category":"service","severity":"normal","customer":"c-1","tier":"basic")";

/// A case received with the forms' fields, then updated.
void received_with_fields(Engine& e) {
  e.apply_json(event("r", "receive", "09:00",
                     kReceiveData + R"(,"customer_name":"王小明","phone":"13812345678","id_number":"110101199001011234",)"
                                    R"("address":"北京市朝阳区建国路88号","occurred_at":"2026-03-01T20:15:00+08:00","location":"营业厅",)"
                                    R"("product":"broadband","description":"call me on 13812345678")"));
  e.apply_json(event("u1", "update", "09:05", R"("justified":true,"remedy_sought":"refund","phone":"13900001111")"));
}

std::string field(const Case& c, const std::string& name) {
  for (const auto& f : c.fields)
    if (f.name == name) return f.text;
  return "(absent)";
}


}  // namespace

TEST_CASE("mask_value keeps at most what the rule says and never more than half") {
  CHECK(mask_value("13812345678", {0, 4}) == "*******5678");
  CHECK(mask_value("王小明", {1, 0}) == "王**");
  CHECK(mask_value("王伟", {1, 0}) == "王*");
  CHECK(mask_value("A", {1, 0}) == "*");
  CHECK(mask_value("1234", {0, 4}) == "**34");  // half at most
  CHECK(mask_value("", {1, 4}) == "");
  CHECK(mask_value("abcdef", {0, 0}) == "******");
  CHECK(mask_value("abcdefgh", {2, 4}) == "ab****gh");  // keep_first wins the budget of 4
  CHECK(mask_value("\xFF\xFE" "abcd", {0, 2}) == "****cd");  // invalid bytes count as one character each
  CHECK(mask_value("北京市朝阳区建国路88号", {6, 0}) == "北京市朝阳区******");
  CHECK(mask_free_text("call 13812345678 or 010-1234") == "call *******5678 or 010-1234");
}

TEST_CASE("Declared fields are kept, typed, and shown on the case; update sets them later") {
  Engine e = fresh_engine();
  received_with_fields(e);
  ReadOptions unmasked;
  unmasked.personal_data_role = "supervisor";
  const auto c = e.get("K-1", unmasked);
  REQUIRE(c);
  CHECK(field(*c, "customer_name") == "王小明");
  CHECK(field(*c, "phone") == "13900001111");  // the last value given
  CHECK(field(*c, "justified") == "true");
  CHECK(field(*c, "occurred_at") == "2026-03-01T20:15:00+08:00");
  CHECK(field(*c, "product") == "broadband");
  CHECK(field(*c, "handling_steps") == "(absent)");
  CHECK_FALSE(c->personal_data_masked);
  const std::string json = to_json(*c);
  CHECK(json.find(R"("fields":{"address":"北京市朝阳区建国路88号","customer_name":"王小明","id_number":"110101199001011234","justified":true,)") !=
        std::string::npos);
  CHECK(json.find(R"("personal_data":"unmasked")") != std::string::npos);
  // The update's trail entry holds what it set, typed.
  const AuditEntry& u = c->events.back();
  CHECK(u.type == "update");
  CHECK(u.from_state == "received");
  CHECK(u.to_state == "received");
  REQUIRE(u.data.size() == 3);
  CHECK(u.data[0] == FieldValue{"justified", FieldType::boolean, "true", false});
  // An empty string clears a string field.
  e.apply_json(event("u2", "update", "09:06", R"("remedy_sought":"")"));
  CHECK(field(*e.get("K-1"), "remedy_sought") == "(absent)");
}

TEST_CASE("Personal data is masked in every read unless the role may see it") {
  Engine e = fresh_engine();
  received_with_fields(e);
  const auto masked = e.get("K-1");
  REQUIRE(masked);
  CHECK(masked->personal_data_masked);
  CHECK(field(*masked, "customer_name") == "王**");
  CHECK(field(*masked, "phone") == "*******1111");
  CHECK(field(*masked, "id_number") == "**************1234");
  CHECK(field(*masked, "address") == "北京市朝阳区******");
  CHECK(field(*masked, "location") == "营业厅");  // not personal
  CHECK(masked->description == "call me on *******5678");
  const std::string json = to_json(*masked);
  for (const char* secret : {"13812345678", "13900001111", "王小明", "110101199001011234", "建国路88号"}) {
    CAPTURE(secret);
    CHECK(json.find(secret) == std::string::npos);  // nowhere: not in fields, not in the trail
  }
  CHECK(json.find(R"("personal_data":"masked")") != std::string::npos);
  // for_each_case masks the same way.
  e.for_each_case([&](const Case& c) { CHECK(to_json(c) == json); }, true);
  // A role the workflow does not list may not unmask; nothing is read.
  ReadOptions agent;
  agent.personal_data_role = "agent";
  CHECK(code_of([&] { (void)e.get("K-1", agent); }) == Errc::permission);
  CHECK(error_of([&] { (void)e.get("K-1", agent); }).find("personal_data_roles: supervisor, manager, director") != std::string::npos);
  size_t visited = 0;
  CHECK(code_of([&] { e.for_each_case([&](const Case&) { ++visited; }, agent); }) == Errc::permission);
  CHECK(visited == 0);
  ReadOptions stranger;
  stranger.personal_data_role = "nobody";
  CHECK(code_of([&] { (void)e.get("K-1", stranger); }) == Errc::permission);
  // An event masked for export shows what the masked case shows.
  Event exported = parse_event(event("r", "receive", "09:00",
                                     kReceiveData + R"(,"phone":"13812345678","customer_name":"王小明","description":"call 13812345678")"));
  mask_personal_data(exported, e.definition());
  CHECK(to_json(exported).find(R"("description":"call *******5678")") != std::string::npos);
  CHECK(to_json(exported).find(R"("phone":"*******5678","customer_name":"王**")") != std::string::npos);  // input order
  CHECK(code_of([&] { check_personal_data_role(e.definition(), "agent"); }) == Errc::permission);
  check_personal_data_role(e.definition(), "manager");
  check_personal_data_role(e.definition(), "");
  // The KPI report carries no personal data.
  const std::string kpi_json = kpi::to_json(e.kpi());
  for (const char* secret : {"13812345678", "13900001111", "王小明"}) CHECK(kpi_json.find(secret) == std::string::npos);
}

TEST_CASE("Undeclared keys and values of the wrong type are refused naming the key, and change nothing") {
  auto check = [](Engine& e) {
    received_with_fields(e);
    const std::string before = engine_dump(e);
    const int64_t position = e.journal_position();
    const std::vector<std::pair<std::string, std::string>> refused = {
        {event("x1", "update", "10:00", R"("favourite_colour":"blue")"), "data.favourite_colour: not a field of workflow 'default'"},
        {event("x2", "update", "10:00", R"("justified":"yes")"), "data.justified must be true or false"},
        {event("x3", "update", "10:00", R"("product":"satellite")"), "data.product 'satellite' is not one of: broadband"},
        {event("x4", "update", "10:00", R"("occurred_at":"yesterday")"), "data.occurred_at 'yesterday' is not an RFC 3339 timestamp"},
        {event("x5", "update", "10:00", R"("occurred_at":"2600-01-01T00:00:00Z")"), "data.occurred_at 2600-01-01T00:00:00Z is outside"},
        {event("x6", "update", "10:00", R"("phone":13812345678)"), "data.phone must be a string"},
        {event("x7", "update", "10:00", R"("location":{"city":"x"})"), "data.location must be a string"},
        {event("x8", "update", "10:00", R"("justified":true,"favourite_colour":"blue")"), "data.favourite_colour"},
        {event("x9", "receive", "10:00", kReceiveData + R"(,"favourite_colour":"blue")", "agent", "K-2"), "data.favourite_colour"},
        {event("x10", "update", "10:00", R"("location":")" + std::string(5000, 'x') + R"(")"), "'data.location' is 5000 bytes"},
        {R"({"id":"x11","case":"K-1","type":"update","at":"2026-03-02T10:00:00+08:00","actor":"u-1","role":"agent","colour":"blue","data":{}})",
         "unknown key 'colour'"},
    };
    for (const auto& [json, message] : refused) {
      CAPTURE(json);
      CHECK(error_of([&] { (void)e.apply_json(json); }).find(message) != std::string::npos);
      CHECK((engine_dump(e) == before));
      CHECK(e.journal_position() == position);
    }
    // In a batch: each refused, the line named by its index.
    std::vector<std::string_view> views;
    for (const auto& r : refused) views.push_back(r.first);
    const auto r = e.apply_batch(views);
    CHECK(r.applied == 0);
    REQUIRE(r.rejected.size() == refused.size());
    CHECK(r.rejected[0].message.find("data.favourite_colour") != std::string::npos);
    CHECK((engine_dump(e) == before));
    CHECK(e.journal_position() == position);
  };
  testing::in_memory_and_durable(fresh_engine, check, [](Engine& reopened) {
    ReadOptions unmasked;
    unmasked.personal_data_role = "director";
    CHECK(field(*reopened.get("K-1", unmasked), "phone") == "13900001111");  // the journal keeps the real value
  });
}

TEST_CASE("Declared values survive a snapshot, byte for byte") {
  Engine a = fresh_engine();
  received_with_fields(a);
  a.apply_json(event("u3", "update", "09:10", R"("location":"网上营业厅","justified":false)"));
  Engine b = fresh_engine();
  b.restore(a.snapshot());
  ReadOptions unmasked;
  unmasked.personal_data_role = "manager";
  CHECK(to_json(*b.get("K-1", unmasked)) == to_json(*a.get("K-1", unmasked)));
  CHECK(b.snapshot() == a.snapshot());
}

TEST_CASE("Numbers keep every digit; required_at holds across events") {
  const std::string workflow = R"({"name": "forms", "roles": ["agent"],
    "fields": {"weight": {"type": "number"}, "justified": {"type": "boolean", "required_at": ["close"]},
               "serial": {"type": "string", "required_at": ["receive"]}},
    "states": [{"name": "open"}, {"name": "closed", "kind": "closed"}],
    "transitions": [{"event": "receive", "to": "open", "effect": "receive", "roles": ["agent"]},
                    {"event": "note", "from": ["open"], "stay": true, "roles": ["agent"]},
                    {"event": "close", "from": ["open"], "to": "closed", "roles": ["agent"]}]})";
  Engine e(Definition::from_json(workflow), sla::Policy::from_json(R"({"clocks": {"unused": {"target": "1h"}}})", Calendar::from_file(kData + "calendars/24x7.json")), Rules{});
  auto ev = [](const std::string& id, const std::string& type, const std::string& data) {
    return fmt::format(R"({{"id":"{}","case":"F-1","type":"{}","at":"2026-03-02T09:00:00Z","actor":"u","role":"agent","data":{{{}}}}})", id,
                       type, data);
  };
  CHECK(error_of([&] { (void)e.apply_json(ev("r0", "receive", "")); }).find("missing data.serial") != std::string::npos);
  CHECK(error_of([&] { (void)e.apply_json(ev("r0", "receive", R"("serial":"")")); }).find("missing data.serial") != std::string::npos);
  CHECK(e.size() == 0);
  e.apply_json(ev("r1", "receive", R"("serial":"S-1","weight":0.30000000000000004)"));
  CHECK(field(*e.get("F-1"), "weight") == "0.30000000000000004");
  CHECK(code_of([&] { (void)e.apply_json(ev("c0", "close", "")); }) == Errc::invalid_argument);
  e.apply_json(ev("n1", "note", R"("justified":false,"weight":1e300)"));
  CHECK(field(*e.get("F-1"), "weight") == "1e+300");
  e.apply_json(ev("c1", "close", ""));  // justified is held since the note
  CHECK(e.get("F-1")->state == "closed");
}

TEST_CASE("A definition's fields are checked: types, names, masks, roles, typos") {
  auto refused = [](const std::string& fields_and_more) {
    const std::string json = R"({"roles": ["agent"], )" + fields_and_more +
                             R"(, "states": [{"name": "open"}], "transitions": [{"event": "receive", "to": "open", "effect": "receive", "roles": ["agent"]}]})";
    return error_of([&] { (void)Definition::from_json(json); });
  };
  CHECK(refused(R"("fields": {"channel": {"type": "string"}})").find("'channel' is a built-in field") != std::string::npos);
  CHECK(refused(R"("fields": {"automatic": {"type": "string"}})").find("reserved") != std::string::npos);
  CHECK(refused(R"("fields": {"x": {"type": "text"}})").find("workflow.fields.x.type: unknown type 'text'") != std::string::npos);
  CHECK(refused(R"("fields": {"x": {"type": "number", "personal": true}})").find("only a string field can be personal") != std::string::npos);
  CHECK(refused(R"("fields": {"x": {"type": "string", "mask": {"keep_last": 4}}})").find("only a personal field is masked") != std::string::npos);
  CHECK(refused(R"("fields": {"x": {"type": "enum"}})").find("at least one value") != std::string::npos);
  CHECK(refused(R"("fields": {"x": {"type": "string", "requierd_at": ["receive"]}})").find("workflow.fields.x.requierd_at: unknown key") != std::string::npos);
  CHECK(refused(R"("fields": {"x": {"type": "string", "required_at": ["close"]}})").find("unknown event type 'close'") != std::string::npos);
  CHECK(refused(R"("fields": {"bad name": {"type": "string"}})").find("letters, digits") != std::string::npos);
  CHECK(refused(R"("personal_data_roles": ["boss"])").find("unknown role 'boss'") != std::string::npos);
  CHECK(refused(R"("feilds": {})").find("workflow.feilds: unknown key") != std::string::npos);
}
