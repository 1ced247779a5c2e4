// C++: a deadline on the China 2026 calendar and the BG/NBD + Gamma-Gamma fit on CDNOW.
#include <crmkit/calendar.hpp>
#include <crmkit/value.hpp>
#include <fmt/core.h>

#include <string>

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : "data";
  auto cal = crmkit::Calendar::from_file(data + "/calendars/cn-2026.json");
  auto due = cal.add(crmkit::parse_instant("2026-09-30T17:00:00+08:00"), crmkit::Duration::hours(2));
  fmt::print("due {}\n", crmkit::format_with_offset(due, cal.zone().utc_offset(due)));  // 2026-10-08T10:00:00+08:00

  auto log = crmkit::value::read_transactions_file(data + "/cdnow/CDNOW_master.txt");
  auto summary = crmkit::value::summarize(log, crmkit::CivilDate{1997, 9, 30});
  auto fit = crmkit::value::BgNbd::fit(summary.rows);
  fmt::print("r={:.3f} alpha={:.3f} a={:.3f} b={:.3f}\n", fit.model.r, fit.model.alpha, fit.model.a, fit.model.b);
}
