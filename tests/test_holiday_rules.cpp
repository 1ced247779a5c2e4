// Recurring holidays: the shipped US and UK calendars against the governments' published lists,
// Easter against Gauss's algorithm, and random rule calendars against an independent reference
// (plain loops over dates, minute-by-minute deadlines) across years and DST switches.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <sstream>

#include "calendar/calendar_serialization.hpp"
#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"
#include "holiday_reference.hpp"

using namespace crmkit;
using namespace holiday_reference;

namespace {

Calendar shipped(const char* name) { return Calendar::from_file(std::string(CRMKIT_SOURCE_DIR "/data/calendars/") + name); }
Instant at(const char* s) { return parse_instant(s); }

std::vector<std::string> dates_of(const Calendar& c, int32_t year) {
  std::vector<std::string> out;
  for (const auto& h : c.holidays_in(year)) out.push_back(h.date.to_string());
  return out;
}

HolidayRule random_rule(std::mt19937_64& rng, int i) {
  HolidayRule r;
  r.name = "rule " + std::to_string(i);
  r.kind = static_cast<HolidayRule::Kind>(rng() % 4);
  r.month = static_cast<int32_t>(1 + rng() % 12);
  r.day = static_cast<int32_t>(1 + rng() % 28);
  r.weekday = static_cast<int32_t>(rng() % 7);
  r.nth = static_cast<int32_t>(1 + rng() % 4);
  if (rng() % 3 == 0) r.offset = static_cast<int32_t>(rng() % 7) - 3;
  if (rng() % 4 == 0) r.days = static_cast<int32_t>(1 + rng() % 5);
  else r.observed = static_cast<HolidayRule::Observed>(rng() % 3);
  if (rng() % 4 == 0) r.from_year = 2026;
  if (rng() % 4 == 0) r.to_year = 2027;
  if (rng() % 5 == 0) r.except_years = {2026};
  return r;
}

}  // namespace

TEST_CASE("Easter Sunday: Meeus's algorithm agrees with Gauss's over the supported years") {
  CHECK(easter_sunday(2026).to_string() == "2026-04-05");
  CHECK(easter_sunday(2019).to_string() == "2019-04-21");
  CHECK(easter_sunday(2285).to_string() == "2285-03-22");  // the earliest possible date
  CHECK(easter_sunday(2038).to_string() == "2038-04-25");  // the latest possible date
  for (int y = 1900; y <= 2499; ++y) REQUIRE_MESSAGE(easter_sunday(y) == gauss_easter(y), y);
  CHECK_THROWS_AS(easter_sunday(1582), Error);
}

TEST_CASE("US federal holidays as OPM publishes them (observed on the nearest weekday)") {
  const Calendar us = shipped("us-federal.json");
  // opm.gov/policy-data-oversight/pay-leave/federal-holidays
  CHECK(dates_of(us, 2021) == std::vector<std::string>{"2021-01-01", "2021-01-18", "2021-02-15", "2021-05-31", "2021-06-18",
                                                       "2021-07-05", "2021-09-06", "2021-10-11", "2021-11-11", "2021-11-25",
                                                       "2021-12-24", "2021-12-31"});
  CHECK(dates_of(us, 2026) == std::vector<std::string>{"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19",
                                                       "2026-07-03", "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26",
                                                       "2026-12-25"});
  CHECK(dates_of(us, 2027).back() == "2027-12-31");  // 1 January 2028 is a Saturday
  CHECK(dates_of(us, 2020).size() == 10);            // before Juneteenth
  CHECK(us.holidays_in(2026)[5].name == "Independence Day");
  // A deadline across Thanksgiving: Wednesday 16:00 + 3 h = Friday 11:00 (Thursday is off).
  CHECK(us.add(at("2026-11-25T16:00:00-05:00"), Duration::hours(3)) == at("2026-11-27T11:00:00-05:00"));
}

TEST_CASE("UK bank holidays as gov.uk publishes them (substitute days, one-off changes)") {
  const Calendar uk = shipped("uk-england-wales.json");
  CHECK(dates_of(uk, 2020) == std::vector<std::string>{"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25",
                                                       "2020-08-31", "2020-12-25", "2020-12-28"});
  CHECK(dates_of(uk, 2022) == std::vector<std::string>{"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02",
                                                       "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"});
  CHECK(dates_of(uk, 2026) == std::vector<std::string>{"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25",
                                                       "2026-08-31", "2026-12-25", "2026-12-28"});
  CHECK(dates_of(uk, 2027) == std::vector<std::string>{"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31",
                                                       "2027-08-30", "2027-12-27", "2027-12-28"});
  const auto h2022 = uk.holidays_in(2022);
  CHECK(h2022[4].name == "Spring bank holiday");  // explicit, named
  CHECK(h2022[8].name == "Boxing Day");
  CHECK(h2022[9].name == "Christmas Day");  // its substitute
}

TEST_CASE("make-up working days win over rules; explicit holidays add to them") {
  const char* json = R"({"zone":"UTC","week":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],
    "thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]},
    "rules":[{"name":"Labour Day","month":5,"weekday":"mon","nth":1}],
    "holidays":["2026-05-05"],"workdays":{"2026-05-04":[["10:00","12:00"]]}})";
  Calendar c = Calendar::from_json(json);
  CHECK(dates_of(c, 2026) == std::vector<std::string>{"2026-05-05"});
  CHECK(dates_of(c, 2027) == std::vector<std::string>{"2027-05-03"});
  CHECK(c.between(at("2026-05-04T00:00:00Z"), at("2026-05-06T00:00:00Z")) == Duration::hours(2));
}

TEST_CASE("random rule calendars agree with the reference, deadlines across years and DST") {
  std::mt19937_64 rng(2028);
  const char* zones[] = {"America/New_York", "Europe/London", "Australia/Sydney", "UTC"};
  for (int k = 0; k < 12; ++k) {
    CalendarSpec spec;
    spec.zone = zones[k % 4];
    for (int d = 0; d < 5; ++d) spec.week[d] = {{9 * 3600, 12 * 3600}, {13 * 3600, 17 * 3600}};
    if (k % 3 == 0) spec.week[5] = {{0, 2 * 3600}, {22 * 3600, 86400}};  // night work across the DST hour
    const int n = 3 + static_cast<int>(rng() % 10);
    for (int i = 0; i < n; ++i) spec.rules.push_back(random_rule(rng, i));
    spec.holidays = {CivilDate{2026, 3, 9}};
    spec.workdays = {{CivilDate{2027, 1, 2}, {{9 * 3600, 12 * 3600}}}};
    const Calendar cal(spec);
    const Reference ref{cal, reference_holidays(cal.spec(), 2024, 2029)};
    // The holiday lists.
    for (int y = 2025; y <= 2028; ++y) {
      std::vector<std::string> want;
      const int64_t first = CivilDate{y, 1, 1}.days_since_epoch(), end = CivilDate{y + 1, 1, 1}.days_since_epoch();
      for (int64_t d : ref.holidays)
        if (d >= first && d < end) want.push_back(CivilDate::from_days_since_epoch(d).to_string());
      REQUIRE_MESSAGE(dates_of(cal, y) == want, cal.to_json(), " year ", y);
    }
    // Deadlines and elapsed time from random starts over 2025..2027, some weeks long.
    const int64_t base = at("2025-01-01T00:00:00Z").unix_seconds();
    for (int i = 0; i < 25; ++i) {
      Instant start = Instant::from_unix_seconds(base + static_cast<int64_t>(rng() % (3 * 365 * 1440)) * 60);
      int64_t minutes = static_cast<int64_t>(rng() % (i % 5 == 0 ? 40000 : 3000));
      REQUIRE_MESSAGE(cal.add(start, Duration::minutes(minutes)) == ref.add(start, minutes), cal.to_json(), " ",
                      format_utc(start), " +", minutes, "m");
      REQUIRE(cal.is_working(start) == ref.working(start));
    }
    // Round trips: JSON and the snapshot codec keep the rules.
    Calendar again = Calendar::from_json(cal.to_json());
    CHECK(again.to_json() == cal.to_json());
    CHECK(again.spec().rules == cal.spec().rules);
  }
}

TEST_CASE("a multi-year deadline over rule holidays and DST (US federal, 2025 to 2028)") {
  const Calendar us = shipped("us-federal.json");
  const Reference ref{us, reference_holidays(us.spec(), 2024, 2029)};
  // 2,000 working hours from mid-December 2025: about a year of work, across two DST switches a
  // year and every federal holiday of 2026 and 2027.
  for (const char* s : {"2025-12-15T08:30:00-05:00", "2026-03-06T16:59:00-05:00", "2026-10-30T12:00:00-04:00"}) {
    for (int64_t hours : {1, 40, 500, 2000}) {
      INFO(s, " +", hours, "h");
      CHECK(us.add(at(s), Duration::hours(hours)) == ref.add(at(s), hours * 60));
    }
  }
  // Elapsed business time over three whole years = 8 h x the weekdays that are no holiday.
  int64_t workdays = 0;
  for (int64_t d = CivilDate{2025, 1, 1}.days_since_epoch(); d < CivilDate{2028, 1, 1}.days_since_epoch(); ++d)
    workdays += !is_weekend(d) && !ref.holidays.count(d);
  CHECK(us.between(at("2025-01-01T00:00:00-05:00"), at("2028-01-01T00:00:00-05:00")) == Duration::hours(8 * workdays));
}

TEST_CASE("rules far from the precomputed window use the same rules") {
  const Calendar uk = shipped("uk-england-wales.json");
  const Reference ref{uk, reference_holidays(uk.spec(), 2088, 2091)};
  CHECK(dates_of(uk, 2090).size() == 8);
  for (int64_t m : {0, 60, 510, 5000}) CHECK(uk.add(at("2089-12-22T12:00:00Z"), Duration::minutes(m)) == ref.add(at("2089-12-22T12:00:00Z"), m));
}

TEST_CASE("bad rules are refused with the field named") {
  auto refuse = [](const std::string& rule, const char* field) {
    const std::string json = R"({"zone":"UTC","rules":[{"name":"ok","date":"01-01"},)" + rule + "]}";
    try {
      Calendar::from_json(json);
      FAIL("accepted: " << rule);
    } catch (const Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find(field) != std::string::npos, e.what());
    }
  };
  refuse(R"({"date":"12-25"})", "calendar.rules[1].name");
  refuse(R"({"name":"x","date":"13-01"})", "calendar.rules[1].month");
  refuse(R"({"name":"x","date":"02-30"})", "calendar.rules[1].date");
  refuse(R"({"name":"x","date":"02-29"})", "calendar.rules[1].date");
  refuse(R"({"name":"x","date":"2-9"})", "calendar.rules[1].date");
  refuse(R"({"name":"x","month":1,"weekday":"mon","nth":5})", "calendar.rules[1].nth");
  refuse(R"({"name":"x","month":1,"weekday":"monday","nth":1})", "calendar.rules[1].weekday");
  refuse(R"({"name":"x","month":1,"nth":1})", "missing \"weekday\"");
  refuse(R"({"name":"x","date":"01-02","easter":1})", "exactly one of");
  refuse(R"({"name":"x","easter":1,"offset":2})", "calendar.rules[1].offset");
  refuse(R"({"name":"x","date":"01-02","days":0})", "calendar.rules[1].days");
  refuse(R"({"name":"x","date":"01-02","days":2,"observed":"next_weekday"})", "calendar.rules[1].observed");
  refuse(R"({"name":"x","date":"01-02","observed":"monday"})", "calendar.rules[1].observed");
  refuse(R"({"name":"x","date":"01-02","from":2030,"to":2020})", "calendar.rules[1].to");
  refuse(R"({"name":"x","date":"01-02","except":[1066]})", "calendar.rules[1].except[0]");
  refuse(R"({"name":"x","date":"01-02","every":"year"})", "calendar.rules[1].every");
  refuse(R"({"name":"x","date":"01-02","offset":-400})", "calendar.rules[1].offset");
  CHECK_THROWS_WITH_AS(Calendar::from_json(R"({"zone":"UTC","holidays":[{"date":"2026-01-01","nmae":"x"}]})"),
                       doctest::Contains("calendar.holidays[0].nmae"), Error);
  CalendarSpec bad;
  bad.holiday_names = {{CivilDate{2026, 1, 1}, "not listed"}};
  CHECK_THROWS_WITH_AS(Calendar{bad}, doctest::Contains("calendar.holiday_names[0]"), Error);
  bad.holiday_names.clear();
  bad.rules.push_back(HolidayRule{});
  CHECK_THROWS_WITH_AS(Calendar{bad}, doctest::Contains("calendar.rules[0].name"), Error);
  bad.rules[0].name = "\xff";
  CHECK_THROWS_WITH_AS(Calendar{bad}, doctest::Contains("UTF-8"), Error);
  CHECK_THROWS_AS(Calendar().holidays_in(1899), Error);
}

// (Class version 1, without rules, is read by test_snapshot's format-2 fixtures.)
TEST_CASE("the snapshot codec keeps rules and holiday names") {
  const Calendar uk = shipped("uk-england-wales.json");
  const detail::SnapshotKind kind{std::string_view("crmkTST\0", 8), 1, "test calendar", false};
  std::string bytes = detail::write_snapshot(kind, 0, [&](boost::archive::binary_oarchive& ar) { ar << uk; });
  Calendar back;
  detail::read_snapshot(bytes, kind, [&](boost::archive::binary_iarchive& ar) { ar >> back; });
  CHECK(back.to_json() == uk.to_json());
  CHECK(dates_of(back, 2022) == dates_of(uk, 2022));
}
