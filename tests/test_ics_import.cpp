// iCalendar import: a company feed (yearly rules, one-off and multi-day events, a bounded
// monthly recurrence, a timed event), refusals that name the event, and random yearly events
// written as .ics, imported, and checked against the independent reference.
#include <doctest/doctest.h>

#include <fmt/core.h>

#include <fstream>
#include <random>
#include <sstream>

#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"
#include "holiday_reference.hpp"

using namespace crmkit;
using namespace holiday_reference;

namespace {

std::string fixture(const char* name) {
  std::ifstream in(std::string(CRMKIT_SOURCE_DIR "/tests/fixtures/") + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CalendarSpec office(const char* zone) {
  CalendarSpec s;
  s.zone = zone;
  for (int d = 0; d < 5; ++d) s.week[d] = {DayInterval{9 * 3600, 17 * 3600}};
  return s;
}

std::string ics_of(const std::vector<std::string>& events) {
  std::string out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//crmkit//test//EN\r\n";
  for (const auto& e : events) out += e;
  return out + "END:VCALENDAR\r\n";
}

std::string vevent(const std::string& uid, const std::string& lines) {
  return "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" + lines + "END:VEVENT\r\n";
}

std::string ics_date(int64_t day) {
  const CivilDate d = CivilDate::from_days_since_epoch(day);
  return fmt::format("{:04}{:02}{:02}", d.year, d.month, d.day);
}

std::vector<std::string> dates_of(const Calendar& c, int32_t year) {
  std::vector<std::string> out;
  for (const auto& h : c.holidays_in(year)) out.push_back(h.date.to_string() + " " + h.name);
  return out;
}

}  // namespace

TEST_CASE("a company's holiday feed: rules, one-off days, a bounded recurrence") {
  IcsImportReport report;
  const Calendar cal(import_ics(fixture("company-holidays.ics"), office("America/New_York"), IcsImportOptions{true}, &report));
  CHECK(report.events == 8);
  CHECK(report.rules == 5);
  CHECK(report.holidays == 8);  // winter break 4 days, the inventory day 4 times
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0].find("Team offsite") != std::string::npos);
  CHECK(dates_of(cal, 2027) == std::vector<std::string>{
                                   "2027-01-01 New Year's Day", "2027-01-18 Birthday of Martin Luther King, Jr.",
                                   "2027-05-31 Memorial Day", "2027-11-25 Thanksgiving Day and the day after",
                                   "2027-11-26 Thanksgiving Day and the day after"});  // no company day: EXDATE
  CHECK(dates_of(cal, 2028).size() == 5);  // the company day ended (UNTIL 2028-01-01)
  CHECK(dates_of(cal, 2026).size() == 14);
  CHECK(cal.holidays_in(2019).empty());  // the rules start with their DTSTART's year
  // Thursday 26 and Friday 27 November 2026 are off: Wednesday 16:00 + 2 h = Monday 10:00.
  CHECK(cal.add(parse_instant("2026-11-25T16:00:00-05:00"), Duration::hours(2)) == parse_instant("2026-11-30T10:00:00-05:00"));
  // The imported calendar is an ordinary one: JSON round trip.
  CHECK(Calendar::from_json(cal.to_json()).to_json() == cal.to_json());
}

TEST_CASE("refusals name the event; the report is untouched") {
  IcsImportReport report;
  report.events = 99;
  auto refuse = [&](const std::string& ics, const char* what) {
    try {
      (void)import_ics(ics, office("UTC"), {}, &report);
      FAIL("accepted: " << ics);
    } catch (const Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find(what) != std::string::npos, e.what());
    }
    CHECK(report.events == 99);
  };
  refuse(fixture("company-holidays.ics"), "'Team offsite' (UID offsite@example.com");
  refuse("not a calendar", "ics:");
  refuse(std::string("BEGIN:VCALENDAR\r\n\0\r\nEND:VCALENDAR\r\n", 33), "NUL");
  refuse(ics_of({vevent("weekly", "DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Mondays\r\nRRULE:FREQ=WEEKLY\r\n")}),
         "'Mondays' (UID weekly");
  refuse(ics_of({vevent("long", "DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20280101\r\nSUMMARY:Sabbatical\r\n")}),
         "lasts 730 days");
  refuse(ics_of({vevent("old", "DTSTART;VALUE=DATE:18500101\r\nSUMMARY:Old\r\n")}), "outside 1900..2499");
  refuse(ics_of({vevent("back", "DTSTART;VALUE=DATE:20260105\r\nDTEND;VALUE=DATE:20260101\r\nSUMMARY:Back\r\n")}),
         "ends before it starts");
  refuse(ics_of({vevent("bad-rule", "DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Bad\r\nRRULE:FREQ=YEARLY;BYMONTH=13\r\n")}), "ics:");
  // A name the calendar could not hold is refused naming the event, whether it recurs or not.
  const std::string long_name(201, 'x');
  refuse(ics_of({vevent("long-name", "DTSTART;VALUE=DATE:20260105\r\nSUMMARY:" + long_name + "\r\nRRULE:FREQ=YEARLY\r\n")}),
         "(UID long-name, DTSTART 20260105) has a SUMMARY (or UID) that is not UTF-8 text of at most 200 bytes");
  refuse(ics_of({vevent("bad-utf8", "DTSTART;VALUE=DATE:20260105\r\nSUMMARY:caf\xe9\r\n")}), "(UID bad-utf8, DTSTART 20260105)");
  // A timed event skipped is reported, its name shown with U+FFFD for the bytes that are not UTF-8.
  IcsImportReport skipped;
  (void)import_ics(ics_of({vevent("timed", "DTSTART:20260105T090000Z\r\nSUMMARY:caf\xe9\r\n")}), office("UTC"), IcsImportOptions{true},
                   &skipped);
  REQUIRE(skipped.skipped.size() == 1);
  CHECK(skipped.skipped[0] == "event 'caf\xef\xbf\xbd' (UID timed, DTSTART 20260105T090000Z): not an all-day event");
  CHECK_THROWS_AS(import_ics(std::string((size_t{64} << 20) + 1, 'x'), office("UTC")), Error);
}

TEST_CASE("a yearly event whose DTSTART is off its rule, COUNT, Feb 29 and recurrences libical expands") {
  IcsImportReport report;
  const CalendarSpec spec = import_ics(
      ics_of({vevent("a", "DTSTART;VALUE=DATE:20260110\r\nSUMMARY:Off-rule start\r\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=1FR;COUNT=3\r\n"),
              vevent("b", "DTSTART;VALUE=DATE:20240229\r\nSUMMARY:Leap day\r\nRRULE:FREQ=YEARLY;COUNT=3\r\n"),
              vevent("c", "DTSTART;VALUE=DATE:20260301\r\nSUMMARY:Month end\r\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20260601\r\n")}),
      office("UTC"), {}, &report);
  const Calendar cal(spec);
  // DTSTART counts as the first of COUNT=3: 2026-01-10, then the first Fridays of May 2026 and 2027.
  REQUIRE(spec.rules.size() == 1);
  CHECK(spec.rules[0].from_year == 2026);
  CHECK(spec.rules[0].to_year == 2027);
  CHECK(dates_of(cal, 2026) == std::vector<std::string>{"2026-01-10 Off-rule start", "2026-03-31 Month end", "2026-04-30 Month end",
                                                        "2026-05-01 Off-rule start", "2026-05-31 Month end"});
  CHECK(dates_of(cal, 2027) == std::vector<std::string>{"2027-05-07 Off-rule start"});
  // A yearly 29 February occurs in leap years only: libical lists them (COUNT=3: 2024, 2028, 2032).
  CHECK(dates_of(cal, 2028) == std::vector<std::string>{"2028-02-29 Leap day"});
  CHECK(dates_of(cal, 2032) == std::vector<std::string>{"2032-02-29 Leap day"});
  CHECK(dates_of(cal, 2036).empty());
}

TEST_CASE("random yearly events imported from .ics agree with the reference") {
  std::mt19937_64 rng(5545);
  const char* byday[7] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
  for (int k = 0; k < 30; ++k) {
    CalendarSpec want = office(k % 2 ? "Europe/London" : "America/New_York");
    std::vector<std::string> events;
    for (int i = 0; i < 6; ++i) {
      HolidayRule r;
      r.name = fmt::format("event {}", i);
      r.kind = static_cast<HolidayRule::Kind>(rng() % 3);  // fixed, nth, last
      r.month = static_cast<int32_t>(1 + rng() % 12);
      r.day = static_cast<int32_t>(1 + rng() % 28);
      r.weekday = static_cast<int32_t>(rng() % 7);
      r.nth = static_cast<int32_t>(1 + rng() % 4);
      r.days = static_cast<int32_t>(1 + rng() % 3);
      r.from_year = 2024 + static_cast<int32_t>(rng() % 3);
      const bool until = rng() % 2;
      if (until) r.to_year = r.from_year + static_cast<int32_t>(rng() % 4);
      if (rng() % 3 == 0) r.except_years = {r.from_year + 1};
      want.rules.push_back(r);
      // The same event as iCalendar: DTSTART on its first occurrence, UNTIL on its last.
      HolidayRule plain = r;
      plain.from_year = plain.to_year = 0;
      plain.except_years.clear();
      CalendarSpec one;
      one.rules = {plain};
      auto first = *reference_holidays(one, r.from_year, r.from_year).begin();
      std::string rrule = "RRULE:FREQ=YEARLY";
      if (r.kind == HolidayRule::Kind::fixed) rrule += fmt::format(";BYMONTH={};BYMONTHDAY={}", r.month, r.day);
      else rrule += fmt::format(";BYMONTH={};BYDAY={}{}", r.month, r.kind == HolidayRule::Kind::last_weekday ? -1 : r.nth, byday[r.weekday]);
      if (until) rrule += ";UNTIL=" + ics_date(*reference_holidays(one, r.to_year, r.to_year).begin());
      std::string lines = "DTSTART;VALUE=DATE:" + ics_date(first) + "\r\nDTEND;VALUE=DATE:" + ics_date(first + r.days) +
                          "\r\nSUMMARY:" + r.name + "\r\n" + rrule + "\r\n";
      for (int32_t y : r.except_years) lines += "EXDATE;VALUE=DATE:" + ics_date(*reference_holidays(one, y, y).begin()) + "\r\n";
      events.push_back(vevent(fmt::format("e{}-{}", k, i), lines));
    }
    IcsImportReport report;
    const Calendar cal(import_ics(ics_of(events), office(want.zone.c_str()), {}, &report));
    CHECK(report.rules == 6);
    const Calendar reference_cal(want);
    const Reference ref{reference_cal, reference_holidays(want, 2022, 2032)};
    for (int y = 2023; y <= 2031; ++y) {
      std::vector<std::string> got, expect;
      for (const auto& h : cal.holidays_in(y)) got.push_back(h.date.to_string());
      for (int64_t d : ref.holidays)
        if (CivilDate::from_days_since_epoch(d).year == y) expect.push_back(CivilDate::from_days_since_epoch(d).to_string());
      REQUIRE_MESSAGE(got == expect, ics_of(events), " year ", y);
    }
    const int64_t base = parse_instant("2024-01-01T00:00:00Z").unix_seconds();
    for (int i = 0; i < 10; ++i) {
      const Instant start = Instant::from_unix_seconds(base + static_cast<int64_t>(rng() % (5 * 365 * 1440)) * 60);
      const int64_t minutes = static_cast<int64_t>(rng() % 20000);
      REQUIRE(cal.add(start, Duration::minutes(minutes)) == ref.add(start, minutes));
    }
  }
}
