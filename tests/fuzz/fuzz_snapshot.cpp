// Snapshot bytes (engine or scheduler): restore() refuses them with crmkit::Error (and changes
// nothing), or gives an engine whose every case can be read, swept and extended, and whose
// snapshot restores to the same bytes again. The same for Scheduler::from_bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/sla.hpp"
#include "crmkit/workflow.hpp"

namespace {

using namespace crmkit;

workflow::Engine fresh_engine() {
  static const std::string root = CRMKIT_SOURCE_DIR "/data/";
  static const Calendar calendar = Calendar::from_file(root + "calendars/cn-2026.json");
  static const sla::Policy policy = sla::Policy::from_file(root + "policies/default.json", calendar);
  static const workflow::Rules rules = workflow::Rules::from_file(root + "policies/default.json");
  static const workflow::Definition definition = workflow::Definition::from_file(root + "workflows/default.json");
  return workflow::Engine(definition, policy, rules, calendar.zone());
}

void check_engine(std::string_view bytes) {
  workflow::Engine engine = fresh_engine();
  try {
    engine.restore(bytes);
  } catch (const Error&) {
    if (engine.size() != 0) __builtin_trap();  // a refused snapshot changed the engine
    return;
  }
  const std::string again = engine.snapshot();
  workflow::Engine copy = fresh_engine();
  copy.restore(again);
  if (copy.snapshot() != again) __builtin_trap();  // the same state gave other bytes
  engine.for_each_case([](const workflow::Case& c) { (void)workflow::to_json(c, true); }, true);
  (void)kpi::to_json(engine.kpi());
  (void)engine.due_before(Instant::from_unix_seconds(1780000000));
  engine.sweep(Instant::from_unix_seconds(1780000000));
  try {
    engine.apply_json(R"({"id":"z","case":"C-1","type":"acknowledge","at":"2026-06-01T10:00:00+08:00","actor":"u","role":"agent"})");
  } catch (const Error&) {
  }
}

void check_scheduler(std::string_view bytes) {
  try {
    sla::Scheduler s = sla::Scheduler::from_bytes(bytes);
    const std::string again = s.to_bytes();
    if (sla::Scheduler::from_bytes(again).to_bytes() != again) __builtin_trap();
    std::vector<sla::ClockEvent> fired;
    for (sla::ClockId id = 1; id <= 64 && id <= s.size(); ++id)
      if (s.contains(id)) (void)s.status(id, Instant::from_unix_seconds(1780000000));
    s.sweep(Instant::from_unix_seconds(1780000000), fired);
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.starts_with(std::string_view("crmkSCH\0", 8))) check_scheduler(bytes);
  else check_engine(bytes);
  return 0;
}
