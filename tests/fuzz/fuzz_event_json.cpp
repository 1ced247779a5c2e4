// Event JSON into the default engine: each input line is parsed and applied; refusals are
// crmkit::Error and change nothing (the case JSON before and after must match).
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
  workflow::Engine engine(definition, policy, rules, calendar.zone());
  engine.apply_json(R"({"id":"seed","case":"C-1","type":"receive","at":"2026-03-02T09:00:00+08:00","actor":"u","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K-1","tier":"gold"}})");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  int lines = 0;
  while (pos <= text.size() && lines++ < 16) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const std::string before = workflow::to_json(*engine.get("C-1"));
    try {
      workflow::Event e = workflow::parse_event(line);
      engine.sweep(e.at);
      const std::string swept = workflow::to_json(*engine.get("C-1"));
      try {
        engine.apply(e);
      } catch (const Error&) {
        if (workflow::to_json(*engine.get("C-1")) != swept) __builtin_trap();  // a refusal changed the case
      }
    } catch (const Error&) {
    }
    (void)before;
  }
  (void)kpi::to_json(engine.kpi());
  return 0;
}
