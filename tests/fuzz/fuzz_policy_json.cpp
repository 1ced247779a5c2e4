// SLA policy JSON: refused with crmkit::Error, or loaded and queried for every clock.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/sla.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  static const Calendar always_open;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    sla::Policy p = sla::Policy::from_json(text, always_open);
    sla::Scheduler s;
    for (const auto& name : p.clock_names()) {
      for (const char* tier : {"", "gold", "diamond"}) {
        sla::Target t = p.target(name, sla::CaseAttributes{"phone", "service", "high", tier});
        if (t.duration.count_seconds() <= 0) __builtin_trap();
        sla::ClockId id = s.create(s.intern(t));
        s.start(id, Instant::from_unix_seconds(1772323200));
      }
    }
    std::vector<sla::ClockEvent> out;
    s.sweep(Instant::from_unix_seconds(1772323200 + 86400 * 30), out);
  } catch (const Error&) {
  }
  return 0;
}
