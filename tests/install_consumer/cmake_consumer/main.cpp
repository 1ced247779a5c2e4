#include <crmkit/calendar.hpp>
#include <crmkit/version.hpp>
#include <cstdio>

int main() {
  crmkit::Calendar always;  // 24x7 UTC
  auto t = crmkit::parse_instant("2026-01-01T00:00:00Z");
  auto due = always.add(t, crmkit::Duration::hours(2));
  std::printf("crmkit %s: %s\n", crmkit::kVersion, crmkit::format_utc(due).c_str());
  return crmkit::format_utc(due) == "2026-01-01T02:00:00Z" ? 0 : 1;
}
