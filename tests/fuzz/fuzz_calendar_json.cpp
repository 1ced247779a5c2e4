// Calendar JSON: any input is either refused with crmkit::Error or gives a calendar whose
// operations hold their invariants.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Calendar cal = Calendar::from_json(text);
    Calendar again = Calendar::from_json(cal.to_json());  // round trip
    if (again.to_json() != cal.to_json()) __builtin_trap();
    for (int32_t year : {1900, 2026, 2499})
      if (again.holidays_in(year) != cal.holidays_in(year)) __builtin_trap();
    Instant t = Instant::from_unix_seconds(1772323200);    // 2026-03-01
    for (int64_t add : {0, 1, 3600, 86400 * 3}) {
      try {
        Instant due = cal.add(t, Duration::seconds(add));
        if (due < t) __builtin_trap();
        if (cal.between(t, due).count_seconds() != add) __builtin_trap();
        if (again.add(t, Duration::seconds(add)) != due) __builtin_trap();
      } catch (const Error&) {
        // a calendar without working time after t: refused, fine
      }
    }
    (void)cal.is_working(t);
  } catch (const Error&) {
  }
  return 0;
}
