// iCalendar (RFC 5545) holidays into a calendar spec. libical parses the file (folding, escapes,
// RRULE grammar, the recurrence iterator); this file only maps all-day events to holidays and
// yearly recurrences to HolidayRules, and expands other bounded recurrences with libical.
#include <fmt/core.h>
#include <libical/ical.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "calendar/holiday_rules.hpp"
#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"

namespace crmkit {

namespace {

constexpr size_t kMaxIcsBytes = size_t{64} << 20;
constexpr size_t kMaxImportedDates = 100'000;
constexpr int64_t kMaxEventDays = 366, kMaxRuleDays = 31;
constexpr int32_t kFirstYear = detail::kFirstRuleYear, kLastYear = detail::kLastRuleYear;

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
struct IteratorFree {
  void operator()(icalrecur_iterator* it) const { icalrecur_iterator_free(it); }
};

std::string text_or_empty(const char* s) { return s ? std::string(s) : std::string(); }

// Text for messages and the report: invalid UTF-8 bytes become U+FFFD (the report is JSON in C
// and Python; the name itself is refused, not mended).
std::string printable(const std::string& text) {
  if (detail::valid_utf8(text)) return text;
  const auto replace = nlohmann::json::error_handler_t::replace;
  return nlohmann::json::parse(nlohmann::json(text).dump(-1, ' ', false, replace)).get<std::string>();
}

int64_t day_of(const icaltimetype& t) { return CivilDate{t.year, t.month, t.day}.days_since_epoch(); }

// The first X-LIC-ERROR libical attached anywhere in the tree (it parses leniently and marks
// what it could not read instead of failing).
const char* first_error(icalcomponent* c) {
  if (icalproperty* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY)) return icalproperty_get_xlicerror(p);
  for (icalcomponent* k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k;
       k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
    if (const char* e = first_error(k)) return e;
  return nullptr;
}

void collect_events(icalcomponent* c, std::vector<icalcomponent*>& out) {
  if (icalcomponent_isa(c) == ICAL_VEVENT_COMPONENT) {
    out.push_back(c);
    return;
  }
  for (icalcomponent* k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k;
       k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
    collect_events(k, out);
}

size_t count_of(const short* a, size_t size) {
  size_t n = 0;
  while (n < size && a[n] != ICAL_RECURRENCE_ARRAY_MAX) ++n;
  return n;
}

class Importer {
 public:
  Importer(CalendarSpec& spec, const IcsImportOptions& options, IcsImportReport& report)
      : spec_(spec), options_(options), report_(report) {}

  void event(icalcomponent* ev) {
    ++report_.events;
    const std::string summary = text_or_empty(icalcomponent_get_summary(ev));
    const std::string uid = text_or_empty(icalcomponent_get_uid(ev));
    const icaltimetype start = icalcomponent_get_dtstart(ev);
    const std::string start_text = icaltime_is_null_time(start) ? "none" : icaltime_as_ical_string(start);
    describe_ = fmt::format("event '{}' (UID {}, DTSTART {})", printable(summary), uid.empty() ? "none" : printable(uid), start_text);
    name_ = !summary.empty() ? summary : !uid.empty() ? uid : "holiday";
    if (icaltime_is_null_time(start) || !icaltime_is_valid_time(start)) bad("has no valid DTSTART");
    if (!icaltime_is_date(start)) {
      if (!options_.skip_timed) bad("is not an all-day event (DTSTART has a time of day); import with skip_timed to leave it out");
      report_.skipped.push_back(describe_ + ": not an all-day event");
      return;
    }
    // Checked here, where the event can be named (the calendar would name only its own field).
    if (name_.size() > detail::kMaxHolidayNameBytes || !detail::valid_utf8(name_))
      bad(fmt::format("has a SUMMARY (or UID) that is not UTF-8 text of at most {} bytes", detail::kMaxHolidayNameBytes));
    check_year(start.year, "DTSTART");
    start_day_ = day_of(start);
    const icaltimetype end = icalcomponent_get_dtend(ev);
    days_ = 1;
    if (!icaltime_is_null_time(end)) {
      if (!icaltime_is_date(end)) bad("has an all-day DTSTART but a DTEND with a time of day");
      days_ = day_of(end) - start_day_;
      if (days_ < 1) bad("ends before it starts");
      if (days_ > kMaxEventDays) bad(fmt::format("lasts {} days, at most {}", days_, kMaxEventDays));
    }

    bool recurring = false;
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY)) {
      recurring = true;
      recurrence(icalproperty_get_rrule(p), start, ev);
    }
    if (!recurring) add_days(start_day_, days_);
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
      const icaltimetype t = icalproperty_get_rdate(p).time;
      if (icaltime_is_null_time(t) || !icaltime_is_date(t)) bad("has an RDATE that is not a date");
      check_year(t.year, "RDATE");
      add_days(day_of(t), days_);
    }
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    throw Error(Errc::invalid_argument, fmt::format("ics: {} {}", describe_, what));
  }

  void check_year(int year, const char* what) const {
    if (year < kFirstYear || year > kLastYear) bad(fmt::format("has {} in year {}, outside {}..{}", what, year, kFirstYear, kLastYear));
  }

  void add_days(int64_t first, int64_t n) {
    for (int64_t d = first; d < first + n; ++d) {
      if (++report_.holidays > kMaxImportedDates)
        throw Error(Errc::limit, fmt::format("ics: more than {} holiday dates", kMaxImportedDates));
      const CivilDate date = CivilDate::from_days_since_epoch(d);
      spec_.holidays.push_back(date);
      spec_.holiday_names.emplace_back(date, name_);
    }
  }

  // A yearly rule when the RRULE is one; else the occurrences libical expands (bounded only).
  void recurrence(const icalrecurrencetype& r, const icaltimetype& start, icalcomponent* ev) {
    if (std::optional<HolidayRule> rule = as_rule(r, start)) {
      add_rule(std::move(*rule), r, ev);
      return;
    }
    if (r.count == 0 && icaltime_is_null_time(r.until))
      bad("repeats without end in a way no yearly holiday rule expresses (a rule needs FREQ=YEARLY on a month day or on "
          "the nth or last weekday of one month); give it an UNTIL or a COUNT to list its dates");
    std::unique_ptr<icalrecur_iterator, IteratorFree> it(icalrecur_iterator_new(r, start));
    if (!it) bad("has an RRULE libical cannot iterate");
    std::vector<int64_t> excluded = exdates(ev);
    for (icaltimetype t = icalrecur_iterator_next(it.get()); !icaltime_is_null_time(t); t = icalrecur_iterator_next(it.get())) {
      if (t.year > kLastYear) break;
      const int64_t d = day_of(t);
      if (std::find(excluded.begin(), excluded.end(), d) == excluded.end()) add_days(d, days_);
    }
  }

  std::vector<int64_t> exdates(icalcomponent* ev) const {
    std::vector<int64_t> out;
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
      const icaltimetype t = icalproperty_get_exdate(p);
      if (icaltime_is_null_time(t) || t.year < kFirstYear || t.year > kLastYear) continue;  // excludes nothing we list
      out.push_back(day_of(t));
    }
    return out;
  }

  std::optional<HolidayRule> as_rule(const icalrecurrencetype& r, const icaltimetype& start) const {
    if (r.freq != ICAL_YEARLY_RECURRENCE || r.interval != 1 || days_ > kMaxRuleDays) return std::nullopt;
    if (count_of(r.by_second, ICAL_BY_SECOND_SIZE) || count_of(r.by_minute, ICAL_BY_MINUTE_SIZE) ||
        count_of(r.by_hour, ICAL_BY_HOUR_SIZE) || count_of(r.by_year_day, ICAL_BY_YEARDAY_SIZE) ||
        count_of(r.by_week_no, ICAL_BY_WEEKNO_SIZE) || count_of(r.by_set_pos, ICAL_BY_SETPOS_SIZE) || r.rscale != nullptr)
      return std::nullopt;
    const size_t months = count_of(r.by_month, ICAL_BY_MONTH_SIZE), month_days = count_of(r.by_month_day, ICAL_BY_MONTHDAY_SIZE),
                 week_days = count_of(r.by_day, ICAL_BY_DAY_SIZE);
    HolidayRule rule;
    rule.name = name_;
    rule.days = static_cast<int32_t>(days_);
    rule.month = months == 1 ? icalrecurrencetype_month_month(r.by_month[0]) : start.month;
    if (months > 1 || (months == 1 && icalrecurrencetype_month_is_leap(r.by_month[0]))) return std::nullopt;
    if (week_days == 0) {
      if (month_days > 1) return std::nullopt;
      rule.kind = HolidayRule::Kind::fixed;
      rule.day = month_days == 1 ? r.by_month_day[0] : start.day;
      if (rule.day < 1 || (rule.month == 2 && rule.day == 29)) return std::nullopt;
    } else {
      if (week_days != 1 || month_days != 0 || months != 1) return std::nullopt;
      const int pos = icalrecurrencetype_day_position(r.by_day[0]);
      const int wd = static_cast<int>(icalrecurrencetype_day_day_of_week(r.by_day[0]));  // 1 = Sunday
      if (wd < 1 || wd > 7) return std::nullopt;
      rule.weekday = (wd + 5) % 7;  // Monday = 0
      if (pos >= 1 && pos <= 4) {
        rule.kind = HolidayRule::Kind::nth_weekday;
        rule.nth = pos;
      } else if (pos == -1) {
        rule.kind = HolidayRule::Kind::last_weekday;
      } else {
        return std::nullopt;
      }
    }
    try {
      detail::validate_rule(rule, "rule");
    } catch (const Error&) {
      return std::nullopt;
    }
    return rule;
  }

  int64_t rule_day(const HolidayRule& rule, int32_t year) const {
    HolidayRule one = rule;
    one.from_year = one.to_year = 0;
    one.except_years.clear();
    return detail::expand_rules({one}, year, year).front().day;
  }

  void add_rule(HolidayRule rule, const icalrecurrencetype& r, icalcomponent* ev) {
    // DTSTART is the first occurrence (RFC 5545 3.8.5.3); when the rule does not give it, it
    // is listed on its own and the rule starts with its first occurrence after it.
    int32_t year = CivilDate::from_days_since_epoch(start_day_).year;
    int64_t count = r.count;
    if (rule_day(rule, year) != start_day_) {
      add_days(start_day_, days_);
      if (rule_day(rule, year) < start_day_) ++year;
      if (count > 0) --count;
      if (r.count > 0 && count == 0) return;
    }
    rule.from_year = year;
    if (count > 0) {
      const int64_t last = int64_t{year} + count - 1;
      if (last < kLastYear) rule.to_year = static_cast<int32_t>(last);
    }
    if (!icaltime_is_null_time(r.until)) {
      int32_t last = r.until.year;
      if (last < year) return;  // ends before its first occurrence
      if (last <= kLastYear) {
        if (rule_day(rule, last) > day_of(r.until)) --last;
        if (last < year) return;
        rule.to_year = rule.to_year == 0 ? last : std::min(rule.to_year, last);
      }
    }
    if (rule.from_year > kLastYear) return;
    for (int64_t d : exdates(ev)) {
      const int32_t y = CivilDate::from_days_since_epoch(d).year;
      if (rule_day(rule, y) == d) rule.except_years.push_back(y);
    }
    ++report_.rules;
    spec_.rules.push_back(std::move(rule));
  }

  CalendarSpec& spec_;
  const IcsImportOptions& options_;
  IcsImportReport& report_;
  std::string describe_, name_;
  int64_t start_day_ = 0, days_ = 1;
};

}  // namespace

CalendarSpec import_ics(std::string_view ics, CalendarSpec base, const IcsImportOptions& options, IcsImportReport* report) {
  if (ics.size() > kMaxIcsBytes)
    throw Error(Errc::limit, fmt::format("ics: {} bytes, at most {}", ics.size(), kMaxIcsBytes));
  if (ics.find('\0') != std::string_view::npos) throw Error(Errc::parse, "ics: the text contains a NUL byte");
  const std::string text(ics);  // libical reads a NUL-terminated string
  std::unique_ptr<icalcomponent, ComponentFree> root(icalparser_parse_string(text.c_str()));
  if (!root) throw Error(Errc::parse, "ics: not an iCalendar text (no BEGIN:VCALENDAR or BEGIN:VEVENT)");
  if (const char* e = first_error(root.get())) throw Error(Errc::parse, fmt::format("ics: libical reports: {}", e));
  std::vector<icalcomponent*> events;
  collect_events(root.get(), events);
  IcsImportReport done;
  Importer importer(base, options, done);
  for (icalcomponent* ev : events) importer.event(ev);
  if (report) *report = std::move(done);  // only on success
  return base;
}

}  // namespace crmkit
