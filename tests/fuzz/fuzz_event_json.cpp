// Event JSON into the default engine with the work-order workflow beside it: each input line is
// parsed and applied; refusals are crmkit::Error and change nothing (the JSON of a complaint and
// of a work order, before and after, must match).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  // Loaded once; each input gets a fresh engine built from them (cheap: no files, no calendar compile).
  static const std::string root = CRMKIT_SOURCE_DIR "/data/";
  static const Calendar calendar = Calendar::from_file(root + "calendars/cn-2026.json");
  static const sla::Policy policy = sla::Policy::from_file(root + "policies/default.json", calendar);
  static const workflow::Rules rules = workflow::Rules::from_file(root + "policies/default.json");
  static const workflow::Definition definition = workflow::Definition::from_file(root + "workflows/default.json");
  static const sla::Policy order_policy = sla::Policy::from_file(root + "policies/work-order.json", calendar);
  static const workflow::Rules order_rules = workflow::Rules::from_file(root + "policies/work-order.json");
  static const workflow::Definition orders = workflow::Definition::from_file(root + "workflows/work-order.json");
  static const sla::Policy incident_policy = sla::Policy::from_file(root + "policies/incident.json", calendar);
  static const workflow::Rules incident_rules = workflow::Rules::from_file(root + "policies/incident.json");
  static const workflow::Definition incidents = workflow::Definition::from_file(root + "workflows/incident.json");
  workflow::Engine engine(definition, policy, rules, calendar.zone());
  engine.add_workflow(orders, order_policy, order_rules);
  engine.add_workflow(incidents, incident_policy, incident_rules);
  engine.apply_json(R"({"id":"w1","case":"W-1","type":"receive","at":"2026-03-02T09:00:00+08:00","actor":"u","role":"agent","data":{"workflow":"work_order","customer":"K-1","kind":"fault_repair","product":"broadband"}})");
  engine.apply_json(R"({"id":"w2","case":"W-1","type":"dispatch","at":"2026-03-02T09:05:00+08:00","actor":"u","role":"agent","data":{"department":"team","owner":"t"}})");
  engine.apply_json(R"({"id":"w3","case":"W-1","type":"appoint","at":"2026-03-02T09:10:00+08:00","actor":"t","role":"technician","data":{"start":"2026-03-02T14:00:00+08:00","end":"2026-03-02T16:00:00+08:00"}})");
  const auto state = [&] {
    return workflow::to_json(*engine.get("C-1")) + workflow::to_json(*engine.get("W-1")) + workflow::to_json(*engine.get("INC-1"));
  };
  engine.apply_json(R"({"id":"seed","case":"C-1","type":"receive","at":"2026-03-02T09:00:00+08:00","actor":"u","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K-1","tier":"gold"}})");
  // An incident both cases are linked to: a notice or resolution on it reaches them (all or none).
  engine.apply_json(R"({"id":"i1","case":"INC-1","type":"receive","at":"2026-03-02T09:15:00+08:00","actor":"u","role":"agent","data":{"workflow":"incident","category":"network","severity":"high","description":"outage"}})");
  engine.apply_json(R"({"id":"i2","case":"INC-1","type":"link","at":"2026-03-02T09:15:00+08:00","actor":"u","role":"agent","data":{"case":"C-1"}})");
  engine.apply_json(R"({"id":"i3","case":"INC-1","type":"link","at":"2026-03-02T09:15:00+08:00","actor":"u","role":"agent","data":{"case":"W-1"}})");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  int lines = 0;
  while (pos <= text.size() && lines++ < 16) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    try {
      workflow::Event e = workflow::parse_event(line);
      engine.sweep(e.at);
      const std::string swept = state();
      try {
        engine.apply(e);
      } catch (const Error&) {
        if (state() != swept) __builtin_trap();  // a refusal changed a case
      }
    } catch (const Error&) {
    }
  }
  (void)kpi::to_json(engine.kpi());
  return 0;
}
