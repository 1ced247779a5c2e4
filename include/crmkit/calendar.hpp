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

/// A holiday that recurs every year, generated with Boost.Date_Time's year-based generators.
/// The date of year Y is:
///  - fixed:        month/day (partial_date; 02-29 is refused: it does not occur every year)
///  - nth_weekday:  the nth (1..4) `weekday` of `month` (nth_kday_of_month, "third Monday of January")
///  - last_weekday: the last `weekday` of `month` (last_kday_of_month, "last Monday of May")
///  - easter:       Western (Gregorian) Easter Sunday
/// then moved by `offset` days ("the day after Thanksgiving", Good Friday = Easter - 2), and
/// lasting `days` consecutive days. Observance (one-day rules only; Saturday and Sunday are the
/// weekend, as the laws that define observance say):
///  - nearest_weekday: Saturday -> the Friday before, Sunday -> the Monday after (US federal,
///    5 U.S.C. 6103(b)); the day may fall in the year before (1 January on a Saturday).
///  - next_weekday: Saturday or Sunday -> the next Monday..Friday that is no other holiday of
///    the rules that year (UK substitute days: Christmas on Saturday -> Monday 27th, Boxing Day
///    on Sunday -> Tuesday 28th). Rules are substituted in order of their dates.
/// The rule applies in years [from_year, to_year] (0: unbounded) except `except_years`.
/// Explicit holidays add to the rules' days; an explicit make-up working day wins over a rule.
struct HolidayRule {
  enum class Kind : uint8_t { fixed = 0, nth_weekday = 1, last_weekday = 2, easter = 3 };
  enum class Observed : uint8_t { none = 0, nearest_weekday = 1, next_weekday = 2 };
  std::string name;
  Kind kind = Kind::fixed;
  int32_t month = 1;    ///< 1..12 (fixed, nth_weekday, last_weekday)
  int32_t day = 1;      ///< 1..31 (fixed)
  int32_t weekday = 0;  ///< 0 = Monday ... 6 = Sunday (nth_weekday, last_weekday)
  int32_t nth = 1;      ///< 1..4 (nth_weekday)
  int32_t offset = 0;   ///< days added to the generated date, -366..366
  int32_t days = 1;     ///< consecutive days, 1..31
  Observed observed = Observed::none;
  int32_t from_year = 0, to_year = 0;  ///< inclusive bounds; 0 = unbounded
  std::vector<int32_t> except_years;
  auto operator<=>(const HolidayRule&) const = default;
};

/// The definition of a calendar, as read from JSON.
struct CalendarSpec {
  std::string zone = "UTC";
  std::vector<DayInterval> week[7];  ///< index 0 = Monday ... 6 = Sunday
  std::vector<CivilDate> holidays;
  std::vector<std::pair<CivilDate, std::vector<DayInterval>>> workdays;  ///< make-up days
  std::string name;  ///< optional label
  std::vector<HolidayRule> rules;  ///< recurring holidays
  /// Names of explicit holidays (each date must be one of `holidays`; optional).
  std::vector<std::pair<CivilDate, std::string>> holiday_names;
};

/// One day without work and why (Calendar::holidays_in).
struct Holiday {
  CivilDate date;
  std::string name;  ///< the explicit holiday's name, else its rule's (empty when neither has one)
  auto operator<=>(const Holiday&) const = default;
};

/// Western (Gregorian) Easter Sunday of a year (1583..9999).
CivilDate easter_sunday(int32_t year);

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
  ///  "holidays": ["2026-10-01", {"date": "2026-10-02", "name": "National Day"}], "workdays": {"2026-09-27": [["09:00","18:00"]]}}
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
  /// The holidays of one year, in date order, after make-up days: explicit ones and those the
  /// rules generate (a substitute day carries its rule's name). Error(invalid_argument) for a
  /// year outside 1900..2499.
  std::vector<Holiday> holidays_in(int32_t year) const;
  /// The working intervals of one local date, as instants (after holidays and make-up days).
  std::vector<std::pair<Instant, Instant>> intervals_on(const CivilDate& date) const;

  /// Identity of the compiled calendar: copies share it, so equal ids mean the same calendar
  /// (two loads of one file have different ids). Used to intern SLA targets cheaply.
  const void* id() const { return impl_.get(); }

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

/// Options of import_ics().
struct IcsImportOptions {
  /// Skip events with a time of day (listed in the report) instead of refusing the file.
  bool skip_timed = false;
};

/// What import_ics() did.
struct IcsImportReport {
  size_t events = 0;    ///< VEVENTs in the file
  size_t rules = 0;     ///< yearly recurrences added as rules
  size_t holidays = 0;  ///< dates added as explicit holidays (one-off events, bounded recurrences)
  std::vector<std::string> skipped;  ///< the timed events skipped, each named (invalid UTF-8 shown as U+FFFD)
};

/// Adds the all-day events (VEVENT with a DATE start) of an iCalendar file (RFC 5545, parsed by
/// libical) to `base` as holidays named by their SUMMARY:
///  - a one-off event: each of its days (DTEND exclusive; DURATION; one day by default) and
///    each RDATE becomes an explicit holiday;
///  - a yearly RRULE (INTERVAL 1) on a month day (BYMONTH + BYMONTHDAY, or DTSTART's) or on the
///    nth / last weekday of a month (BYMONTH + BYDAY=3MO / -1MO) becomes a HolidayRule from
///    DTSTART's year, to UNTIL's or the COUNTth year, EXDATEs as its `except` years;
///  - any other recurrence with UNTIL or COUNT is expanded by libical into explicit holidays.
/// The result is validated by Calendar(spec). Errors: Error(parse) for text that is no
/// iCalendar or that libical reports errors in; Error(invalid_argument) naming the event
/// (SUMMARY, UID, DTSTART) for a timed event (unless options.skip_timed), a SUMMARY (or, without
/// one, UID) that is not UTF-8 of at most 200 bytes (a holiday's name), an endless recurrence
/// that is no yearly rule, an event longer than 366 days (31 for a recurring one); Error(limit)
/// for a text above 64 MiB or more than 100,000 holiday dates.
CalendarSpec import_ics(std::string_view ics, CalendarSpec base, const IcsImportOptions& options = {},
                        IcsImportReport* report = nullptr);

/// "HH:MM" or "HH:MM:SS" (and "24:00") to seconds after midnight; Error(parse) otherwise.
int32_t parse_time_of_day(std::string_view text);
std::string format_time_of_day(int32_t seconds);

}  // namespace crmkit
