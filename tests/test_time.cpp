#include <doctest/doctest.h>

#include "crmkit/error.hpp"
#include "crmkit/time.hpp"

using namespace crmkit;

TEST_CASE("civil dates round-trip and know their weekday") {
  CHECK(CivilDate{1970, 1, 1}.days_since_epoch() == 0);
  CHECK(CivilDate{2026, 10, 1}.weekday() == 3);  // Thursday
  CHECK(CivilDate{2024, 2, 29}.valid());
  CHECK_FALSE(CivilDate{2026, 2, 29}.valid());
  CHECK_FALSE(CivilDate{2026, 13, 1}.valid());
  for (int64_t d = -800000; d < 800000; d += 997) {
    CHECK(CivilDate::from_days_since_epoch(d).days_since_epoch() == d);
  }
  CHECK(CivilDate::parse("2026-09-27") == CivilDate{2026, 9, 27});
  CHECK_THROWS_AS(CivilDate::parse("2026-02-30"), Error);
  CHECK_THROWS_AS(CivilDate::parse("2026-2-3"), Error);
  CHECK(CivilDate{2026, 1, 31}.plus_days(1) == CivilDate{2026, 2, 1});
}

TEST_CASE("RFC 3339 instants") {
  CHECK(parse_instant("1970-01-01T00:00:00Z").unix_seconds() == 0);
  CHECK(parse_instant("2026-03-06T17:30:00+08:00") == parse_instant("2026-03-06T09:30:00Z"));
  CHECK(parse_instant("2026-03-06T09:30:00.250Z") == parse_instant("2026-03-06T09:30:00Z"));
  CHECK(parse_instant("2026-03-06 04:30:00-05:00") == parse_instant("2026-03-06T09:30:00Z"));
  CHECK(format_utc(parse_instant("2026-12-31T23:59:59+00:00")) == "2026-12-31T23:59:59Z");
  CHECK(format_with_offset(parse_instant("2026-03-06T09:30:00Z"), 8 * 3600) == "2026-03-06T17:30:00+08:00");
  Instant t;
  for (const char* bad : {"", "2026-03-06", "2026-03-06T09:30:00", "2026-03-06T25:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-03-06T09:30:00+0800", "2026-03-06T09:30:00Zjunk", "2026-03-06T09:30:00."}) {
    CHECK_MESSAGE(!try_parse_instant(bad, t), bad);
  }
  CHECK_THROWS_AS(parse_instant("nope"), Error);
  CHECK(format_utc(Instant::from_unix_seconds(-1)) == "1969-12-31T23:59:59Z");
}

TEST_CASE("time zones from the tz database") {
  TimeZone sh = TimeZone::load("Asia/Shanghai");
  CHECK(sh.name() == "Asia/Shanghai");
  CHECK(sh.utc_offset(parse_instant("2026-07-01T00:00:00Z")) == 8 * 3600);
  CHECK(sh.utc_offset(parse_instant("2090-07-01T00:00:00Z")) == 8 * 3600);

  TimeZone ny = TimeZone::load("America/New_York");
  // 2026: DST from Sun 8 March 02:00 EST to Sun 1 November 02:00 EDT.
  CHECK(ny.utc_offset(parse_instant("2026-03-08T06:59:59Z")) == -5 * 3600);
  CHECK(ny.utc_offset(parse_instant("2026-03-08T07:00:00Z")) == -4 * 3600);
  CHECK(ny.utc_offset(parse_instant("2026-11-01T05:59:59Z")) == -4 * 3600);
  CHECK(ny.utc_offset(parse_instant("2026-11-01T06:00:00Z")) == -5 * 3600);
  // Far future uses the POSIX footer rule.
  CHECK(ny.utc_offset(parse_instant("2300-07-01T00:00:00Z")) == -4 * 3600);
  CHECK(ny.utc_offset(parse_instant("2300-01-01T00:00:00Z")) == -5 * 3600);

  auto skipped = ny.lookup(CivilTime{{2026, 3, 8}, 2 * 3600 + 1800});
  CHECK(skipped.kind == TimeZone::Lookup::skipped);
  CHECK(skipped.earliest == parse_instant("2026-03-08T07:00:00Z"));
  auto repeated = ny.lookup(CivilTime{{2026, 11, 1}, 1 * 3600 + 1800});
  CHECK(repeated.kind == TimeZone::Lookup::repeated);
  CHECK(repeated.earliest == parse_instant("2026-11-01T05:30:00Z"));
  CHECK(repeated.latest == parse_instant("2026-11-01T06:30:00Z"));
  auto unique = ny.lookup(CivilTime{{2026, 7, 4}, 9 * 3600});
  CHECK(unique.kind == TimeZone::Lookup::unique);
  CHECK(unique.earliest == parse_instant("2026-07-04T13:00:00Z"));
  CHECK(ny.to_civil(parse_instant("2026-07-04T13:00:00Z")).to_string() == "2026-07-04T09:00:00");

  CHECK(TimeZone::load("UTC").utc_offset(Instant{}) == 0);
  CHECK_THROWS_AS(TimeZone::load("Mars/Olympus_Mons"), Error);
  CHECK_THROWS_AS(TimeZone::load("../../etc/passwd"), Error);
  CHECK_THROWS_AS(TimeZone::load(""), Error);
  CHECK(TimeZone::fixed(-3 * 3600 - 1800).name() == "UTC-03:30");
}
