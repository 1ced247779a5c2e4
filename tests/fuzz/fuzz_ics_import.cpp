// iCalendar import: any input is either refused with crmkit::Error or gives a spec that a
// calendar accepts or refuses with crmkit::Error; an accepted one round-trips through JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CalendarSpec base;
  base.week[0] = {DayInterval{9 * 3600, 17 * 3600}};
  for (bool skip : {false, true}) {
    try {
      IcsImportReport report;
      Calendar cal(import_ics(text, base, IcsImportOptions{skip}, &report));
      if (report.rules > cal.spec().rules.size()) __builtin_trap();
      Calendar again = Calendar::from_json(cal.to_json());
      if (again.to_json() != cal.to_json()) __builtin_trap();
      (void)cal.holidays_in(2026);
    } catch (const Error&) {
    }
  }
  return 0;
}
