// crmkit demo — the main job on the data shipped in the repository.
#include <fmt/core.h>
#include <unistd.h>

#include <string>

#include "cli.hpp"
#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"
#include "demo.hpp"

namespace crmkit::cli {

bool stderr_is_terminal() { return isatty(2) != 0; }

void progress(const std::string& step) {
  if (stderr_is_terminal()) fmt::print(stderr, "\r\033[K… {}", step);
}

void progress_done() {
  if (stderr_is_terminal()) fmt::print(stderr, "\r\033[K");
}

void section(const std::string& title) { fmt::print("\n━━ {} {}\n", title, std::string(70 - std::min<size_t>(70, title.size()), '-')); }

}  // namespace crmkit::cli

namespace {

using namespace crmkit;

void demo_calendar(const Calendar& cal) {
  cli::section("Business calendar: China 2026 (Asia/Shanghai, 09:00-12:00 + 13:30-18:00)");
  const auto& s = cal.spec();
  fmt::print("{} holidays, {} make-up working days (调休)\n", s.holidays.size(), s.workdays.size());
  struct Row { const char* what; const char* at; int64_t hours; };
  const Row rows[] = {
      {"phone complaint, reply within 2h", "2026-09-30T17:00:00+08:00", 2},
      {"system complaint, reply within 8h", "2026-09-18T16:00:00+08:00", 8},
      {"web complaint, reply within 24h", "2026-02-13T10:00:00+08:00", 24},
      {"phone complaint at lunch", "2026-03-09T12:10:00+08:00", 2},
  };
  fmt::print("{:<36} {:<26} {:>6}  {}\n", "clock", "received", "target", "due (business time)");
  for (const auto& r : rows) {
    Instant start = parse_instant(r.at);
    Instant due = cal.add(start, Duration::hours(r.hours));
    fmt::print("{:<36} {:<26} {:>5}h  {}\n", r.what, r.at, r.hours,
               format_with_offset(due, cal.zone().utc_offset(due)));
  }
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "The main job on the shipped data: calendars, complaints, KPIs, customer value");
  static std::string html;
  cmd->add_option("--html", html, "Also write a self-contained HTML report to this file");
  cmd->callback([] {
    const Calendar cal = Calendar::from_file(cli::data_path("calendars/cn-2026.json"));
    fmt::print("crmkit demo — customer-care rules on the data shipped with crmkit\n");
    demo_calendar(cal);
    cli::demo_extensions(cal, html);
  });
}

CRMKIT_CLI_COMMAND(90, setup);

}  // namespace
