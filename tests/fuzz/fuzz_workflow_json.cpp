// Workflow definition JSON: refused with crmkit::Error, or an engine that survives a short
// scripted case.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  static const sla::Policy policy = sla::Policy::from_json(
      R"({"clocks":{"first_response":{"target":"2h"},"contact_after_dispatch":{"target":"2h"},"resolution":{"target":"40h"},"callback":{"target":"3d"}}})",
      Calendar());
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    workflow::Engine engine(workflow::Definition::from_json(text), policy);
    const char* events[] = {
        R"({"id":"1","case":"C","type":"receive","at":"2026-03-02T09:00:00Z","actor":"a","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K"}})",
        R"({"id":"2","case":"C","type":"acknowledge","at":"2026-03-02T10:00:00Z","actor":"a","role":"agent"})",
        R"({"id":"3","case":"C","type":"dispatch","at":"2026-03-02T11:00:00Z","actor":"a","role":"agent","data":{"department":"d","owner":"o"}})",
        R"({"id":"4","case":"C","type":"resolve","at":"2026-03-03T11:00:00Z","actor":"a","role":"agent","data":{"resolution":"r"}})",
        R"({"id":"5","case":"C","type":"callback","at":"2026-03-04T11:00:00Z","actor":"a","role":"agent","data":{"outcome":"unsatisfied","reason":"x"}})",
    };
    for (const char* e : events) {
      try {
        engine.apply_json(e);
        engine.sweep(Instant::from_unix_seconds(1772600000));
      } catch (const Error&) {
      }
    }
    // The receive may be refused by the fuzzed workflow (e.g. its channel values): no case then.
    if (const auto c = engine.get("C")) (void)workflow::to_json(*c);
    (void)kpi::to_json(engine.kpi());
  } catch (const Error&) {
  }
  return 0;
}
