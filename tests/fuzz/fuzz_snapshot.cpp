// Snapshot bytes: restore() refuses them with crmkit::Error (and changes nothing), or gives an
// engine whose every case can be read, swept and extended.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  static const std::string root = CRMKIT_SOURCE_DIR "/data/";
  static const Calendar calendar = Calendar::from_file(root + "calendars/cn-2026.json");
  static const sla::Policy policy = sla::Policy::from_file(root + "policies/default.json", calendar);
  static const workflow::Rules rules = workflow::Rules::from_file(root + "policies/default.json");
  static const workflow::Definition definition = workflow::Definition::from_file(root + "workflows/default.json");
  workflow::Engine engine(definition, policy, rules, calendar.zone());
  try {
    engine.restore(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const Error&) {
    if (engine.size() != 0) __builtin_trap();  // a refused snapshot changed the engine
    return 0;
  }
  engine.for_each_case([](const workflow::Case& c) { (void)workflow::to_json(c, true); }, true);
  (void)kpi::to_json(engine.kpi());
  (void)engine.due_before(Instant::from_unix_seconds(1780000000));
  engine.sweep(Instant::from_unix_seconds(1780000000));
  try {
    engine.apply_json(R"({"id":"z","case":"C-1","type":"acknowledge","at":"2026-06-01T10:00:00+08:00","actor":"u","role":"agent"})");
  } catch (const Error&) {
  }
  return 0;
}
