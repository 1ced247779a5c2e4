// crmkit/calendar.hpp — business calendars (docs/domain.md#business-calendars).
//
// A calendar is a time zone, working intervals per weekday (any number a day, e.g. a lunch
// break), holidays (dates without work) and make-up working days (调休: dates that work with
// their own intervals although their weekday does not). 24×7 is a calendar too.
//
// Rules:
//  - A working interval is half-open [begin, end) in wall-clock time of the calendar's zone;
//    "24:00" may end a day. Intervals are converted to instants date by date, so DST is exact:
//    a 00:00–24:00 day lasts 23 h or 25 h on a switch date.
//  - add(): a start outside working time counts from the next opening; a deadline that lands
//    exactly on a closing time is that closing time (not the next opening).
//  - Calendars are immutable values; every operation is const and safe from many threads.
//
// Performance: working intervals over a window of years (by default 2000–2060, widened to
// cover every configured date) are precomputed as instants with prefix sums of business time,
// so add(), between(), is_working() and next_working() are O(1)/O(log n) there; outside the
// window the same rules are evaluated date by date.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/time.hpp"

namespace crmkit {

/// A wall-clock working interval within one day: [begin, end) seconds after midnight,
/// 0 <= begin < end <= 86400.
struct DayInterval {
  int32_t begin = 0;
  int32_t end = 0;
  auto operator<=>(const DayInterval&) const = default;
};

/// The definition of a calendar, as read from JSON.
struct CalendarSpec {
  std::string zone = "UTC";
  std::vector<DayInterval> week[7];  ///< index 0 = Monday ... 6 = Sunday
  std::vector<CivilDate> holidays;
  std::vector<std::pair<CivilDate, std::vector<DayInterval>>> workdays;  ///< make-up days
  std::string name;  ///< optional label
};

class Calendar {
 public:
  /// 24×7 in UTC.
  Calendar();
  /// Validates and compiles a spec. Throws Error(invalid_argument / not_found) naming the
  /// field: overlapping or reversed intervals, a holiday that is also a make-up day, an unknown
  /// zone, a bad date.
  explicit Calendar(CalendarSpec spec);

  /// Parses the calendar JSON format:
  /// {"zone": "Asia/Shanghai",
  ///  "week": {"mon": [["09:00","12:00"],["13:30","18:00"]], ..., "sun": []},
  ///  "holidays": ["2026-10-01"], "workdays": {"2026-09-27": [["09:00","18:00"]]}}
  /// Missing weekdays have no work. Throws Error(parse) for malformed JSON and
  /// Error(invalid_argument / not_found) naming the field for a bad calendar.
  static Calendar from_json(std::string_view json);
  /// Reads a calendar JSON file; Error(io) if it cannot be read.
  static Calendar from_file(const std::string& path);
  /// Round-trips through from_json().
  std::string to_json() const;

  const CalendarSpec& spec() const;
  const TimeZone& zone() const;

  /// Deadline: the instant at which `business` working time has elapsed after `start`.
  /// Error(invalid_argument) for a negative duration or a calendar with no working time left.
  Instant add(Instant start, Duration business) const;
  /// Working time in [from, to); negative when to < from.
  Duration between(Instant from, Instant to) const;
  bool is_working(Instant t) const;
  /// t itself when working, else the next opening. Error(invalid_argument) if there is none.
  Instant next_working(Instant t) const;
  /// The working intervals of one local date, as instants (after holidays and make-up days).
  std::vector<std::pair<Instant, Instant>> intervals_on(const CivilDate& date) const;

  /// Identity of the compiled calendar: copies share it, so equal ids mean the same calendar
  /// (two loads of one file have different ids). Used to intern SLA targets cheaply.
  const void* id() const { return impl_.get(); }

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

/// "HH:MM" or "HH:MM:SS" (and "24:00") to seconds after midnight; Error(parse) otherwise.
int32_t parse_time_of_day(std::string_view text);
std::string format_time_of_day(int32_t seconds);

}  // namespace crmkit
