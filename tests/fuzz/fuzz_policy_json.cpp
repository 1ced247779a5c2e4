// SLA policy JSON: refused with crmkit::Error, or loaded and queried for every clock.
#include <algorithm>
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
        sla::CaseAttributes a{"phone", "service", "high", tier, {{"product", "broadband"}}};
        sla::Target t = p.target(name, a);
        const bool instant = t.kind == sla::TargetKind::instant;
        // A duration target is positive; an instant one names its field and has no duration.
        if (instant ? t.due_field.empty() || t.duration.count_seconds() != 0 : t.duration.count_seconds() <= 0) __builtin_trap();
        sla::ClockId id = s.create(s.intern(t));
        // An instant clock is due at the field's time plus its offset (here a day after the start).
        const int64_t start = 1772323200;
        const int64_t due = std::clamp<int64_t>(start + 86400 + t.due_offset.count_seconds(), kFirstSupportedUnixSeconds, kLastSupportedUnixSeconds);
        s.start(id, Instant::from_unix_seconds(start), instant ? std::optional<Instant>(Instant::from_unix_seconds(due)) : std::nullopt);
        if (instant && s.status(id, Instant::from_unix_seconds(start)).due != Instant::from_unix_seconds(due)) __builtin_trap();
      }
    }
    std::vector<sla::ClockEvent> out;
    s.sweep(Instant::from_unix_seconds(1772323200 + 86400 * 30), out);
  } catch (const Error&) {
  }
  return 0;
}
