#include <doctest/doctest.h>

#include <random>

#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"

using namespace crmkit;

namespace {

Calendar cn() { return Calendar::from_file(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json"); }
Instant at(const char* s) { return parse_instant(s); }
std::string add(const Calendar& c, const char* start, int64_t minutes) {
  return format_with_offset(c.add(at(start), Duration::minutes(minutes)), c.zone().utc_offset(at(start)));
}

// Independent reference: is the wall-clock minute at t working according to the spec alone?
bool spec_working(const CalendarSpec& s, const TimeZone& z, Instant t) {
  CivilTime c = z.to_civil(t);
  const std::vector<DayInterval>* day = &s.week[c.date.weekday()];
  for (const auto& h : s.holidays)
    if (h == c.date) return false;
  for (const auto& [d, iv] : s.workdays)
    if (d == c.date) day = &iv;
  for (const auto& iv : *day)
    if (c.second_of_day >= iv.begin && c.second_of_day < iv.end) return true;
  return false;
}

// Walks minute by minute (all test instants and intervals are whole minutes).
Instant reference_add(const Calendar& cal, Instant t, int64_t minutes) {
  while (!spec_working(cal.spec(), cal.zone(), t)) t += Duration::minutes(1);
  while (minutes > 0) {
    if (spec_working(cal.spec(), cal.zone(), t)) --minutes;
    t += Duration::minutes(1);
  }
  return t;
}

}  // namespace

TEST_CASE("lunch breaks, closing times and starts outside working time") {
  Calendar c = cn();
  // Monday 2026-03-09.
  CHECK(add(c, "2026-03-09T11:30:00+08:00", 60) == "2026-03-09T14:00:00+08:00");  // skips 12:00-13:30
  CHECK(add(c, "2026-03-09T11:00:00+08:00", 60) == "2026-03-09T12:00:00+08:00");  // lands on a closing time
  CHECK(add(c, "2026-03-09T17:00:00+08:00", 60) == "2026-03-09T18:00:00+08:00");  // closing time, not next day
  CHECK(add(c, "2026-03-09T17:00:00+08:00", 61) == "2026-03-10T09:01:00+08:00");
  CHECK(add(c, "2026-03-09T12:15:00+08:00", 0) == "2026-03-09T13:30:00+08:00");   // outside: next opening
  CHECK(add(c, "2026-03-09T10:00:00+08:00", 0) == "2026-03-09T10:00:00+08:00");
  CHECK(add(c, "2026-03-07T10:00:00+08:00", 60) == "2026-03-09T10:00:00+08:00");  // Saturday start
  CHECK(add(c, "2026-03-09T18:00:00+08:00", 30) == "2026-03-10T09:30:00+08:00");  // start at closing
  CHECK(c.is_working(at("2026-03-09T09:00:00+08:00")));
  CHECK_FALSE(c.is_working(at("2026-03-09T12:00:00+08:00")));
  CHECK_FALSE(c.is_working(at("2026-03-09T18:00:00+08:00")));
  CHECK(c.next_working(at("2026-03-09T12:30:00+08:00")) == at("2026-03-09T13:30:00+08:00"));
  CHECK(c.between(at("2026-03-09T09:00:00+08:00"), at("2026-03-10T09:00:00+08:00")) == Duration::minutes(450));
  CHECK(c.between(at("2026-03-10T09:00:00+08:00"), at("2026-03-09T09:00:00+08:00")) == Duration::minutes(-450));
  CHECK(c.between(at("2026-03-09T12:10:00+08:00"), at("2026-03-09T13:00:00+08:00")) == Duration::zero());
}

TEST_CASE("China 2026 holidays and make-up working days") {
  Calendar c = cn();
  // Friday 18 Sep 17:00 + 2h: 1h Friday, Sunday 20 Sep is a make-up working day.
  CHECK(add(c, "2026-09-18T17:00:00+08:00", 120) == "2026-09-20T10:00:00+08:00");
  // National Day: 30 Sep 17:00 + 2h -> 8 Oct 10:00 (1-7 Oct off).
  CHECK(add(c, "2026-09-30T17:00:00+08:00", 120) == "2026-10-08T10:00:00+08:00");
  // 8-9 Oct then Saturday 10 Oct is a make-up day.
  CHECK(add(c, "2026-10-09T17:00:00+08:00", 90) == "2026-10-10T09:30:00+08:00");
  // Spring Festival: Sat 14 Feb works, 15-23 Feb off.
  CHECK(add(c, "2026-02-13T17:30:00+08:00", 60) == "2026-02-14T09:30:00+08:00");
  CHECK(add(c, "2026-02-14T17:30:00+08:00", 60) == "2026-02-24T09:30:00+08:00");
  CHECK_FALSE(c.is_working(at("2026-10-01T10:00:00+08:00")));
  CHECK(c.is_working(at("2026-09-20T10:00:00+08:00")));
  CHECK(c.between(at("2026-09-28T00:00:00+08:00"), at("2026-10-12T00:00:00+08:00")) ==
        Duration::minutes(450 * 6));  // 28, 29, 30 Sep, 8, 9, 10 Oct
  CHECK(c.intervals_on(CivilDate{2026, 10, 1}).empty());
  REQUIRE(c.intervals_on(CivilDate{2026, 10, 10}).size() == 2);
}

TEST_CASE("DST in America/New_York") {
  Calendar all = Calendar::from_json(R"({"zone":"America/New_York","week":{
    "mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],"thu":[["00:00","24:00"]],
    "fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],"sun":[["00:00","24:00"]]}})");
  CHECK(all.between(at("2026-03-08T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00")) == Duration::hours(23));
  CHECK(all.between(at("2026-11-01T00:00:00-04:00"), at("2026-11-02T00:00:00-05:00")) == Duration::hours(25));
  CHECK(all.add(at("2026-03-07T12:00:00-05:00"), Duration::hours(24)) == at("2026-03-08T13:00:00-04:00"));

  Calendar office = Calendar::from_json(R"({"zone":"America/New_York","week":{
    "mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],
    "fri":[["09:00","17:00"]]}})");
  // Friday before the spring switch, 16:00 EST + 2h -> Monday 10:00 EDT.
  CHECK(office.add(at("2026-03-06T16:00:00-05:00"), Duration::hours(2)) == at("2026-03-09T10:00:00-04:00"));
  CHECK(office.add(at("2026-10-30T16:00:00-04:00"), Duration::hours(2)) == at("2026-11-02T10:00:00-05:00"));
  // An interval spanning the skipped hour lasts one hour less; the repeated hour counts twice.
  Calendar night = Calendar::from_json(R"({"zone":"America/New_York","week":{"sun":[["01:00","04:00"]]}})");
  CHECK(night.between(at("2026-03-08T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00")) == Duration::hours(2));
  CHECK(night.between(at("2026-11-01T00:00:00-04:00"), at("2026-11-02T00:00:00-05:00")) == Duration::hours(4));
  CHECK(night.add(at("2026-03-08T00:00:00-05:00"), Duration::hours(1)) == at("2026-03-08T03:00:00-04:00"));
}

TEST_CASE("24x7 and far-away instants outside the precomputed window") {
  Calendar always;
  CHECK(always.add(at("2026-01-01T00:00:00Z"), Duration::hours(49)) == at("2026-01-03T01:00:00Z"));
  CHECK(always.add(at("2060-12-31T23:00:00Z"), Duration::hours(2)) == at("2061-01-01T01:00:00Z"));
  CHECK(always.between(at("1990-01-01T00:00:00Z"), at("2070-01-01T00:00:00Z")) ==
        at("2070-01-01T00:00:00Z") - at("1990-01-01T00:00:00Z"));
  Calendar c = cn();
  // 2070 and 1995 are outside the table: the day-by-day path must agree with the reference.
  for (const char* s : {"2070-06-05T17:00:00+08:00", "1995-12-29T16:00:00+08:00", "2060-12-31T17:00:00+08:00"}) {
    for (int64_t m : {0, 30, 61, 450, 451, 3000}) {
      CHECK_MESSAGE(c.add(at(s), Duration::minutes(m)) == reference_add(c, at(s), m), s, " +", m);
    }
  }
  CHECK_THROWS_AS(c.add(at("2026-01-01T00:00:00Z"), Duration::seconds(-1)), Error);
  CHECK_THROWS_AS(c.add(Instant::from_unix_seconds(INT64_MAX / 2), Duration::hours(1)), Error);
}

TEST_CASE("random deadlines agree with a minute-by-minute reference") {
  Calendar c = cn();
  std::mt19937_64 rng(42);
  const int64_t base = at("2025-12-01T00:00:00Z").unix_seconds();
  for (int i = 0; i < 400; ++i) {
    Instant start = Instant::from_unix_seconds(base + static_cast<int64_t>(rng() % (400 * 1440)) * 60);
    int64_t minutes = static_cast<int64_t>(rng() % 2400);
    Instant got = c.add(start, Duration::minutes(minutes));
    REQUIRE_MESSAGE(got == reference_add(c, start, minutes), format_utc(start), " +", minutes, "m");
    Instant later = Instant::from_unix_seconds(start.unix_seconds() + static_cast<int64_t>(rng() % (20 * 1440)) * 60);
    // between() counts the working minutes in [start, later).
    int64_t expect = 0;
    for (Instant t = start; t < later; t += Duration::minutes(1)) expect += spec_working(c.spec(), c.zone(), t);
    REQUIRE(c.between(start, later) == Duration::minutes(expect));
    REQUIRE(c.is_working(start) == spec_working(c.spec(), c.zone(), start));
  }
}

TEST_CASE("bad calendars are refused with the field named") {
  auto refuse = [](const char* json, const char* field) {
    try {
      Calendar::from_json(json);
      FAIL("accepted: " << json);
    } catch (const Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find(field) != std::string::npos, e.what());
    }
  };
  refuse(R"({"zone":"Mars/Base","week":{}})", "calendar.zone");
  refuse(R"({"week":{}})", "calendar.zone");
  refuse(R"({"zone":"UTC","week":{"mon":[["09:00","12:00"],["11:00","13:00"]]}})", "calendar.week.mon");
  refuse(R"({"zone":"UTC","week":{"tue":[["12:00","09:00"]]}})", "calendar.week.tue[0]");
  refuse(R"({"zone":"UTC","week":{"wed":[["09:00","25:00"]]}})", "calendar.week.wed[0]");
  refuse(R"({"zone":"UTC","week":{"funday":[]}})", "calendar.week.funday");
  refuse(R"({"zone":"UTC","holidays":["2026-02-30"]})", "calendar.holidays[0]");
  refuse(R"({"zone":"UTC","workdays":{"2026-13-01":[["09:00","10:00"]]}})", "calendar.workdays.2026-13-01");
  refuse(R"({"zone":"UTC","holidays":["2026-10-01"],"workdays":{"2026-10-01":[["09:00","10:00"]]}})",
         "calendar.workdays.2026-10-01");
  refuse(R"({"zone":"UTC","colour":"red"})", "calendar.colour");
  CHECK_THROWS_WITH_AS(Calendar::from_json("{\"zone\": "), doctest::Contains("malformed JSON"), Error);
  CHECK_THROWS_AS(Calendar::from_file("/nonexistent/cal.json"), Error);
}

TEST_CASE("a calendar without weekly work ends") {
  Calendar c = Calendar::from_json(R"({"zone":"UTC","workdays":{"2026-05-09":[["09:00","10:00"]]}})");
  CHECK(c.add(at("2026-01-01T00:00:00Z"), Duration::minutes(30)) == at("2026-05-09T09:30:00Z"));
  CHECK_THROWS_WITH_AS(c.add(at("2026-01-01T00:00:00Z"), Duration::hours(2)), doctest::Contains("no working time"), Error);
  CHECK(c.between(at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")) == Duration::hours(1));
}

TEST_CASE("JSON round trip") {
  Calendar c = cn();
  Calendar d = Calendar::from_json(c.to_json());
  CHECK(d.to_json() == c.to_json());
  CHECK(d.add(at("2026-09-30T17:00:00+08:00"), Duration::hours(2)) == c.add(at("2026-09-30T17:00:00+08:00"), Duration::hours(2)));
  CHECK(Calendar::from_file(CRMKIT_SOURCE_DIR "/data/calendars/24x7.json").between(at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z")) == Duration::hours(24));
}
