// Business calendars: validation, JSON, and the precomputed interval table that makes
// deadline arithmetic O(1)-ish (a day index to find the current interval, then a galloping
// search over prefix sums of business time).
#include "crmkit/calendar.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "calendar/holiday_rules.hpp"
#include "common/files.hpp"
#include "crmkit/error.hpp"

namespace crmkit {

namespace {

constexpr const char* kDayKeys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr int64_t kDay = 86400;
// Instants outside the supported range (crmkit/time.hpp) are refused; kMaxInstant is its
// exclusive end (2500-01-01T00:00:00Z), a whole day, which the day arithmetic below relies on.
constexpr int64_t kMinInstant = kFirstSupportedUnixSeconds;
constexpr int64_t kMaxInstant = kLastSupportedUnixSeconds + 1;
static_assert(kMinInstant % kDay == 0 && kMaxInstant % kDay == 0);
// Business durations above 100 years are refused (they would only walk the calendar for long).
constexpr int64_t kMaxBusiness = int64_t{100} * 366 * kDay;
// The precomputed table covers these local years at least.
constexpr int kTableFirstYear = 2000;
constexpr int kTableEndYear = 2061;

using detail::kFirstRuleYear;
using detail::kLastRuleYear;
using detail::valid_utf8;
// More rules than any real calendar has; bounds the expansion (600 years x rules).
constexpr size_t kMaxHolidayRules = 200;

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void check_instant(Instant t, const char* what) {
  if (!in_supported_range(t))
    throw Error(Errc::invalid_argument,
                fmt::format("{} {} is outside the supported range {}", what, t.unix_seconds(), kSupportedRangeText));
}

// Sorts and validates the intervals of one day; merges touching ones.
std::vector<DayInterval> normalize_day(std::vector<DayInterval> v, const std::string& field) {
  for (size_t i = 0; i < v.size(); ++i) {
    const auto& iv = v[i];
    if (iv.begin < 0 || iv.end > kDay || iv.begin >= iv.end)
      throw Error(Errc::invalid_argument, fmt::format("{}[{}]: interval {}-{} is empty or reversed", field, i,
                                                      format_time_of_day(iv.begin), format_time_of_day(iv.end)));
  }
  std::sort(v.begin(), v.end());
  std::vector<DayInterval> out;
  for (const auto& iv : v) {
    if (!out.empty() && iv.begin < out.back().end)
      throw Error(Errc::invalid_argument,
                  fmt::format("{}: intervals {}-{} and {}-{} overlap", field, format_time_of_day(out.back().begin),
                              format_time_of_day(out.back().end), format_time_of_day(iv.begin),
                              format_time_of_day(iv.end)));
    if (!out.empty() && iv.begin == out.back().end) out.back().end = iv.end;
    else out.push_back(iv);
  }
  return out;
}

}  // namespace

int32_t parse_time_of_day(std::string_view s) {
  auto bad = [&] { return Error(Errc::parse, fmt::format("'{}' is not a time of day (HH:MM or HH:MM:SS)", s)); };
  auto two = [&](size_t pos) {
    if (pos + 2 > s.size() || s[pos] < '0' || s[pos] > '9' || s[pos + 1] < '0' || s[pos + 1] > '9') throw bad();
    return (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  };
  if (s.size() != 5 && s.size() != 8) throw bad();
  int h = two(0);
  if (s[2] != ':') throw bad();
  int m = two(3);
  int sec = 0;
  if (s.size() == 8) {
    if (s[5] != ':') throw bad();
    sec = two(6);
  }
  if (m > 59 || sec > 59 || h > 24 || (h == 24 && (m != 0 || sec != 0))) throw bad();
  return h * 3600 + m * 60 + sec;
}

std::string format_time_of_day(int32_t s) {
  if (s % 60 == 0) return fmt::format("{:02}:{:02}", s / 3600, s / 60 % 60);
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

struct Calendar::Impl {
  CalendarSpec spec;
  TimeZone zone;
  std::vector<DayInterval> week[7];
  std::vector<int64_t> listed_holidays;  // the spec's explicit holidays: sorted day numbers
  std::vector<detail::RuleDay> rule_days;  // what the rules make over the supported years
  std::vector<int64_t> holidays;         // in force: listed and rule days less make-up days, sorted
  std::vector<std::pair<int64_t, std::vector<DayInterval>>> workdays;  // sorted by day
  bool week_has_work = false;
  int64_t last_workday = INT64_MIN;

  // Table over local days [first_day, end_day): instants [tab_begin, tab_end).
  int64_t first_day = 0, end_day = 0;
  int64_t tab_begin = 0, tab_end = 0, origin = 0;
  std::vector<int64_t> b, e, cum_end;  // interval i: [b[i], e[i]); cum_end[i] = business time up to e[i]
  std::vector<uint32_t> day_first;     // per UTC day since origin: first interval with e > day start

  const std::vector<DayInterval>& day_intervals(int64_t day) const {
    static const std::vector<DayInterval> none;
    if (std::binary_search(holidays.begin(), holidays.end(), day)) return none;
    auto it = std::lower_bound(workdays.begin(), workdays.end(), day,
                               [](const auto& p, int64_t d) { return p.first < d; });
    if (it != workdays.end() && it->first == day) return it->second;
    return week[CivilDate::from_days_since_epoch(day).weekday()];
  }

  // Appends the instants of one local day's working intervals.
  void emit_day(int64_t day, std::vector<std::pair<int64_t, int64_t>>& out) const {
    const CivilDate date = CivilDate::from_days_since_epoch(day);
    for (const auto& iv : day_intervals(day)) {
      int64_t bi = zone.lookup(CivilTime{date, iv.begin}).earliest.unix_seconds();
      int64_t ei = iv.end == kDay ? zone.lookup(CivilTime{date.plus_days(1), 0}).earliest.unix_seconds()
                                  : zone.lookup(CivilTime{date, iv.end}).latest.unix_seconds();
      if (ei <= bi) continue;  // wholly inside a skipped DST gap
      if (!out.empty() && bi <= out.back().second) out.back().second = std::max(out.back().second, ei);
      else out.emplace_back(bi, ei);
    }
  }

  int64_t local_day_of(int64_t t) const {
    return floor_div(t + zone.utc_offset(Instant::from_unix_seconds(t)), kDay);
  }

  std::vector<std::pair<int64_t, size_t>> named;  // (day, index in spec.holiday_names), sorted

  // The name given to an explicit holiday, if any (the last one given for the day).
  const std::string* listed_name(int64_t day) const {
    auto it = std::upper_bound(named.begin(), named.end(), std::pair<int64_t, size_t>{day, SIZE_MAX});
    if (it == named.begin() || (it - 1)->first != day) return nullptr;
    return &spec.holiday_names[(it - 1)->second].second;
  }

  // holidays = listed ∪ rule days, less the make-up working days (they win over rules).
  void compile_holidays(const std::vector<HolidayRule>& rules) {
    if (!rules.empty()) rule_days = detail::expand_rules(rules, kFirstRuleYear, kLastRuleYear);
    holidays = listed_holidays;
    for (const auto& r : rule_days)
      if (!is_workday(r.day)) holidays.push_back(r.day);
    std::sort(holidays.begin(), holidays.end());
    holidays.erase(std::unique(holidays.begin(), holidays.end()), holidays.end());
  }

  bool is_workday(int64_t day) const {
    auto it = std::lower_bound(workdays.begin(), workdays.end(), day, [](const auto& p, int64_t d) { return p.first < d; });
    return it != workdays.end() && it->first == day;
  }

  bool has_work_after(int64_t day) const { return week_has_work || day <= last_workday; }

  void build_table() {
    int64_t lo = CivilDate{kTableFirstYear, 1, 1}.days_since_epoch();
    int64_t hi = CivilDate{kTableEndYear, 1, 1}.days_since_epoch();
    for (int64_t d : listed_holidays) { lo = std::min(lo, d - 366); hi = std::max(hi, d + 366); }
    for (const auto& [d, _] : workdays) { lo = std::min(lo, d - 366); hi = std::max(hi, d + 366); }
    lo = std::max(lo, kMinInstant / kDay + 2);
    hi = std::min(hi, kMaxInstant / kDay - 2);
    first_day = lo;
    end_day = hi;
    tab_begin = zone.lookup(CivilTime{CivilDate::from_days_since_epoch(lo), 0}).earliest.unix_seconds();
    tab_end = zone.lookup(CivilTime{CivilDate::from_days_since_epoch(hi), 0}).earliest.unix_seconds();
    std::vector<std::pair<int64_t, int64_t>> iv;
    for (int64_t d = lo; d < hi; ++d) emit_day(d, iv);
    b.resize(iv.size());
    e.resize(iv.size());
    cum_end.resize(iv.size());
    int64_t cum = 0;
    for (size_t i = 0; i < iv.size(); ++i) {
      b[i] = iv[i].first;
      e[i] = iv[i].second;
      cum += e[i] - b[i];
      cum_end[i] = cum;
    }
    origin = floor_div(tab_begin, kDay) * kDay;
    size_t days = static_cast<size_t>((tab_end - origin) / kDay + 2);
    day_first.resize(days);
    size_t i = 0;
    for (size_t d = 0; d < days; ++d) {
      int64_t start = origin + static_cast<int64_t>(d) * kDay;
      while (i < e.size() && e[i] <= start) ++i;
      day_first[d] = static_cast<uint32_t>(i);
    }
  }

  bool in_table(int64_t t) const { return t >= tab_begin && t < tab_end; }

  // First table interval with e > t (t inside the table's span); may be b.size().
  size_t locate(int64_t t) const {
    size_t i = day_first[static_cast<size_t>((t - origin) / kDay)];
    const size_t n = e.size();
    while (i < n && e[i] <= t) ++i;
    return i;
  }

  // Calls f(begin, end) for working intervals ending after t, in order, until f returns false.
  // Generates day by day from the local date of t (the table is not used).
  template <class F>
  void walk_from(int64_t t, F&& f) const {
    std::vector<std::pair<int64_t, int64_t>> iv;
    for (int64_t day = local_day_of(t) - 1;; ++day) {
      if (!has_work_after(day))
        throw Error(Errc::invalid_argument,
                    fmt::format("calendar has no working time after {}", CivilDate::from_days_since_epoch(day - 1).to_string()));
      if (day * kDay - 2 * kDay >= kMaxInstant)
        throw Error(Errc::invalid_argument, fmt::format("deadline beyond the supported range {}", kSupportedRangeText));
      iv.clear();
      emit_day(day, iv);
      for (auto [bi, ei] : iv) {
        if (ei <= t) continue;
        if (!f(bi, ei)) return;
      }
    }
  }

  int64_t slow_add(int64_t t, int64_t dur) const {
    int64_t result = 0;
    walk_from(t, [&](int64_t bi, int64_t ei) {
      int64_t s = std::max(bi, t);
      if (dur <= ei - s) {
        result = s + dur;
        return false;
      }
      dur -= ei - s;
      return true;
    });
    return result;
  }

  int64_t add(int64_t t, int64_t dur) const {
    if (in_table(t)) {
      const size_t n = e.size();
      size_t i = locate(t);
      if (i < n) {
        if (dur == 0) return std::max(t, b[i]);
        const int64_t before_i = i == 0 ? 0 : cum_end[i - 1];
        const int64_t target = before_i + std::max<int64_t>(0, t - b[i]) + dur;
        if (target <= cum_end[n - 1]) {
          // Smallest j >= i with cum_end[j] >= target: gallop, then bisect.
          size_t lo = i, hi = i, step = 1;
          while (cum_end[hi] < target) {
            lo = hi + 1;
            hi = std::min(hi + step, n - 1);
            step <<= 1;
          }
          while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cum_end[mid] >= target) hi = mid; else lo = mid + 1;
          }
          return e[lo] - (cum_end[lo] - target);
        }
        return slow_add(tab_end, target - cum_end[n - 1]);
      }
      return slow_add(std::max(t, tab_end), dur);
    }
    if (t < tab_begin) {
      // Walk up to the table, then continue in it.
      int64_t left = dur, result = 0;
      bool done = false;
      walk_from(t, [&](int64_t bi, int64_t ei) {
        if (bi >= tab_begin) return false;
        int64_t s = std::max(bi, t);
        int64_t end = std::min(ei, tab_begin);
        if (left <= end - s) { result = s + left; done = true; return false; }
        left -= end - s;
        return true;
      });
      return done ? result : add(tab_begin, left);
    }
    return slow_add(t, dur);
  }

  // Business time in [t1, t2), t1 <= t2.
  int64_t between(int64_t t1, int64_t t2) const {
    if (t1 >= tab_begin && t2 < tab_end) return position(t2) - position(t1);
    int64_t sum = 0;
    if (t1 >= t2) return 0;
    // Only walk while intervals can still start before t2.
    int64_t last_day = local_day_of(t2) + 1;
    std::vector<std::pair<int64_t, int64_t>> iv;
    for (int64_t day = local_day_of(t1) - 1; day <= last_day; ++day) {
      iv.clear();
      emit_day(day, iv);
      for (auto [bi, ei] : iv) {
        int64_t s = std::max(bi, t1), en = std::min(ei, t2);
        if (en > s) sum += en - s;
      }
    }
    return sum;
  }

  // Business time from the table start to t (t inside the table span).
  int64_t position(int64_t t) const {
    size_t i = locate(t);
    if (i == e.size()) return e.empty() ? 0 : cum_end.back();
    int64_t before = i == 0 ? 0 : cum_end[i - 1];
    return before + std::max<int64_t>(0, t - b[i]);
  }

  bool is_working(int64_t t) const {
    if (in_table(t)) {
      size_t i = locate(t);
      return i < e.size() && t >= b[i];
    }
    std::vector<std::pair<int64_t, int64_t>> iv;
    int64_t day = local_day_of(t);
    for (int64_t d = day - 1; d <= day + 1; ++d) emit_day(d, iv);
    for (auto [bi, ei] : iv)
      if (t >= bi && t < ei) return true;
    return false;
  }
};

Calendar::Calendar() {
  // Built once: default-constructed calendars are common (e.g. inside SLA targets).
  static const std::shared_ptr<const Impl> always = [] {
    CalendarSpec spec;
    spec.name = "24x7";
    for (auto& d : spec.week) d = {DayInterval{0, static_cast<int32_t>(kDay)}};
    return Calendar(std::move(spec)).impl_;
  }();
  impl_ = always;
}

Calendar::Calendar(CalendarSpec spec) {
  auto impl = std::make_shared<Impl>();
  impl->zone = TimeZone::load(spec.zone);
  for (int d = 0; d < 7; ++d) {
    impl->week[d] = normalize_day(spec.week[d], fmt::format("calendar.week.{}", kDayKeys[d]));
    if (!impl->week[d].empty()) impl->week_has_work = true;
  }
  for (size_t i = 0; i < spec.holidays.size(); ++i) {
    if (!spec.holidays[i].valid())
      throw Error(Errc::invalid_argument, fmt::format("calendar.holidays[{}]: not a valid date", i));
    impl->listed_holidays.push_back(spec.holidays[i].days_since_epoch());
  }
  std::sort(impl->listed_holidays.begin(), impl->listed_holidays.end());
  impl->listed_holidays.erase(std::unique(impl->listed_holidays.begin(), impl->listed_holidays.end()),
                              impl->listed_holidays.end());
  for (const auto& [date, ivs] : spec.workdays) {
    const std::string field = fmt::format("calendar.workdays.{}", date.to_string());
    if (!date.valid()) throw Error(Errc::invalid_argument, fmt::format("{}: not a valid date", field));
    int64_t day = date.days_since_epoch();
    if (std::binary_search(impl->listed_holidays.begin(), impl->listed_holidays.end(), day))
      throw Error(Errc::invalid_argument,
                  fmt::format("{}: {} is both a holiday and a make-up working day", field, date.to_string()));
    auto norm = normalize_day(ivs, field);
    if (norm.empty()) throw Error(Errc::invalid_argument, fmt::format("{}: a make-up working day needs intervals", field));
    impl->workdays.emplace_back(day, std::move(norm));
    impl->last_workday = std::max(impl->last_workday, day);
  }
  std::sort(impl->workdays.begin(), impl->workdays.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < impl->workdays.size(); ++i)
    if (impl->workdays[i].first == impl->workdays[i - 1].first)
      throw Error(Errc::invalid_argument,
                  fmt::format("calendar.workdays: {} is listed twice",
                              CivilDate::from_days_since_epoch(impl->workdays[i].first).to_string()));
  if (!valid_utf8(spec.name)) throw Error(Errc::invalid_argument, "calendar.name: not valid UTF-8");
  if (spec.rules.size() > kMaxHolidayRules)
    throw Error(Errc::limit, fmt::format("calendar.rules: {} rules, at most {}", spec.rules.size(), kMaxHolidayRules));
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    detail::validate_rule(spec.rules[i], fmt::format("calendar.rules[{}]", i));
    spec.rules[i] = detail::canonical_rule(std::move(spec.rules[i]));
  }
  for (size_t i = 0; i < spec.holiday_names.size(); ++i) {
    const auto& [date, name] = spec.holiday_names[i];
    const std::string field = fmt::format("calendar.holiday_names[{}]", i);
    if (!date.valid() || !std::binary_search(impl->listed_holidays.begin(), impl->listed_holidays.end(), date.days_since_epoch()))
      throw Error(Errc::invalid_argument, fmt::format("{}: {} is not one of the holidays", field, date.to_string()));
    if (name.size() > detail::kMaxHolidayNameBytes || !valid_utf8(name))
      throw Error(Errc::invalid_argument, fmt::format("{}: a name is valid UTF-8 of at most {} bytes", field, detail::kMaxHolidayNameBytes));
  }
  for (size_t i = 0; i < spec.holiday_names.size(); ++i) impl->named.emplace_back(spec.holiday_names[i].first.days_since_epoch(), i);
  std::sort(impl->named.begin(), impl->named.end());
  impl->compile_holidays(spec.rules);
  impl->spec = std::move(spec);
  impl->build_table();
  impl_ = std::move(impl);
}

namespace {

std::vector<DayInterval> parse_intervals(const nlohmann::json& j, const std::string& field) {
  if (!j.is_array()) throw Error(Errc::invalid_argument, fmt::format("{}: expected a list of [\"HH:MM\",\"HH:MM\"] pairs", field));
  std::vector<DayInterval> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& p = j[i];
    const std::string f = fmt::format("{}[{}]", field, i);
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string())
      throw Error(Errc::invalid_argument, fmt::format("{}: expected [\"HH:MM\", \"HH:MM\"]", f));
    try {
      out.push_back(DayInterval{parse_time_of_day(p[0].get<std::string>()), parse_time_of_day(p[1].get<std::string>())});
    } catch (const Error& err) {
      throw Error(Errc::invalid_argument, fmt::format("{}: {}", f, err.what()));
    }
    if (out.back().begin == kDay)
      throw Error(Errc::invalid_argument, fmt::format("{}: an interval cannot begin at 24:00", f));
  }
  return out;
}

CivilDate parse_date_field(const nlohmann::json& j, const std::string& field) {
  if (!j.is_string()) throw Error(Errc::invalid_argument, fmt::format("{}: expected a date string YYYY-MM-DD", field));
  try {
    return CivilDate::parse(j.get<std::string>());
  } catch (const Error& err) {
    throw Error(Errc::invalid_argument, fmt::format("{}: {}", field, err.what()));
  }
}

}  // namespace

Calendar Calendar::from_json(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(Errc::parse, fmt::format("calendar: malformed JSON: {}", e.what()));
  }
  if (!j.is_object()) throw Error(Errc::invalid_argument, "calendar: expected a JSON object");
  CalendarSpec spec;
  for (const auto& [key, value] : j.items()) {
    if (key == "zone") {
      if (!value.is_string()) throw Error(Errc::invalid_argument, "calendar.zone: expected an IANA zone name");
      spec.zone = value.get<std::string>();
    } else if (key == "name") {
      if (!value.is_string()) throw Error(Errc::invalid_argument, "calendar.name: expected a string");
      spec.name = value.get<std::string>();
    } else if (key == "week") {
      if (!value.is_object()) throw Error(Errc::invalid_argument, "calendar.week: expected an object mon..sun");
      for (const auto& [day, ivs] : value.items()) {
        auto it = std::find(std::begin(kDayKeys), std::end(kDayKeys), day);
        if (it == std::end(kDayKeys))
          throw Error(Errc::invalid_argument, fmt::format("calendar.week.{}: unknown day (use mon..sun)", day));
        spec.week[it - std::begin(kDayKeys)] = parse_intervals(ivs, "calendar.week." + day);
      }
    } else if (key == "holidays") {
      if (!value.is_array()) throw Error(Errc::invalid_argument, "calendar.holidays: expected a list of dates");
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string field = fmt::format("calendar.holidays[{}]", i);
        if (!value[i].is_object()) {
          spec.holidays.push_back(parse_date_field(value[i], field));
          continue;
        }
        // {"date": "YYYY-MM-DD", "name": "..."}
        for (const auto& [k, v] : value[i].items())
          if (k != "date" && k != "name" && (k.empty() || k[0] != '_'))
            throw Error(Errc::invalid_argument, fmt::format("{}.{}: unknown field", field, k));
        if (!value[i].contains("date")) throw Error(Errc::invalid_argument, field + ".date: missing");
        spec.holidays.push_back(parse_date_field(value[i]["date"], field + ".date"));
        if (value[i].contains("name")) {
          if (!value[i]["name"].is_string()) throw Error(Errc::invalid_argument, field + ".name: expected a string");
          spec.holiday_names.emplace_back(spec.holidays.back(), value[i]["name"].get<std::string>());
        }
      }
    } else if (key == "workdays") {
      if (!value.is_object())
        throw Error(Errc::invalid_argument, "calendar.workdays: expected an object {\"YYYY-MM-DD\": [intervals]}");
      for (const auto& [date, ivs] : value.items()) {
        const std::string field = "calendar.workdays." + date;
        spec.workdays.emplace_back(parse_date_field(date, field), parse_intervals(ivs, field));
      }
    } else if (key == "rules") {
      if (!value.is_array()) throw Error(Errc::invalid_argument, "calendar.rules: expected a list of holiday rules");
      if (value.size() > kMaxHolidayRules)
        throw Error(Errc::limit, fmt::format("calendar.rules: {} rules, at most {}", value.size(), kMaxHolidayRules));
      for (size_t i = 0; i < value.size(); ++i)
        spec.rules.push_back(detail::rule_from_json(value[i], fmt::format("calendar.rules[{}]", i)));
    } else if (key == "schema") {  // the document format version (docs/schemas/calendar.schema.json)
      if (!value.is_number_integer() || value.get<int64_t>() != 1)
        throw Error(Errc::invalid_argument, "calendar.schema: expected 1");
    } else if (key.empty() || key[0] != '_') {  // "_comment" and the like are allowed
      throw Error(Errc::invalid_argument, fmt::format("calendar.{}: unknown field", key));
    }
  }
  if (!j.contains("zone")) throw Error(Errc::invalid_argument, "calendar.zone: missing (an IANA zone such as \"Asia/Shanghai\")");
  try {
    return Calendar(std::move(spec));
  } catch (const Error& e) {
    if (e.code() == Errc::not_found) throw Error(Errc::not_found, fmt::format("calendar.zone: {}", e.what()));
    throw;
  }
}

Calendar Calendar::from_file(const std::string& path) {
  return detail::parse_file(path, "calendar file", [](const std::string& text) { return from_json(text); });
}

std::string Calendar::to_json() const {
  const auto& s = impl_->spec;
  auto ivs = [](const std::vector<DayInterval>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& iv : v) a.push_back({format_time_of_day(iv.begin), format_time_of_day(iv.end)});
    return a;
  };
  nlohmann::json j;
  if (!s.name.empty()) j["name"] = s.name;
  j["zone"] = s.zone;
  for (int d = 0; d < 7; ++d) j["week"][kDayKeys[d]] = ivs(impl_->week[d]);
  j["holidays"] = nlohmann::json::array();
  for (int64_t d : impl_->listed_holidays) {
    const std::string date = CivilDate::from_days_since_epoch(d).to_string();
    const std::string* name = impl_->listed_name(d);
    if (name) j["holidays"].push_back({{"date", date}, {"name", *name}});
    else j["holidays"].push_back(date);
  }
  j["workdays"] = nlohmann::json::object();
  for (const auto& [d, v] : impl_->workdays) j["workdays"][CivilDate::from_days_since_epoch(d).to_string()] = ivs(v);
  if (!s.rules.empty()) {
    j["rules"] = nlohmann::json::array();
    for (const auto& r : s.rules) j["rules"].push_back(detail::rule_to_json(r));
  }
  return j.dump();
}

const CalendarSpec& Calendar::spec() const { return impl_->spec; }
const TimeZone& Calendar::zone() const { return impl_->zone; }

Instant Calendar::add(Instant start, Duration business) const {
  check_instant(start, "start");
  if (business < Duration::zero())
    throw Error(Errc::invalid_argument, fmt::format("business duration {} s is negative", business.count_seconds()));
  if (business.count_seconds() > kMaxBusiness)
    throw Error(Errc::invalid_argument, "business duration is above the maximum of 100 years");
  return Instant::from_unix_seconds(impl_->add(start.unix_seconds(), business.count_seconds()));
}

Duration Calendar::between(Instant from, Instant to) const {
  check_instant(from, "from");
  check_instant(to, "to");
  if (to < from) return -between(to, from);
  return Duration::seconds(impl_->between(from.unix_seconds(), to.unix_seconds()));
}

bool Calendar::is_working(Instant t) const {
  check_instant(t, "instant");
  return impl_->is_working(t.unix_seconds());
}

Instant Calendar::next_working(Instant t) const {
  check_instant(t, "instant");
  return Instant::from_unix_seconds(impl_->add(t.unix_seconds(), 0));
}

std::vector<Holiday> Calendar::holidays_in(int32_t year) const {
  if (year < kFirstRuleYear || year > kLastRuleYear)
    throw Error(Errc::invalid_argument, fmt::format("holidays_in: year {} is outside {}..{}", year, kFirstRuleYear, kLastRuleYear));
  const int64_t first = CivilDate{year, 1, 1}.days_since_epoch(), end = CivilDate{year + 1, 1, 1}.days_since_epoch();
  const auto& in = impl_->holidays;
  std::vector<Holiday> out;
  for (auto it = std::lower_bound(in.begin(), in.end(), first); it != in.end() && *it < end; ++it) {
    Holiday h{CivilDate::from_days_since_epoch(*it), {}};
    if (const std::string* name = impl_->listed_name(*it)) {
      h.name = *name;
      out.push_back(std::move(h));
      continue;
    }
    auto r = std::lower_bound(impl_->rule_days.begin(), impl_->rule_days.end(), *it,
                              [](const detail::RuleDay& d, int64_t day) { return d.day < day; });
    if (r != impl_->rule_days.end() && r->day == *it) h.name = impl_->spec.rules[r->rule].name;
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<std::pair<Instant, Instant>> Calendar::intervals_on(const CivilDate& date) const {
  if (!date.valid()) throw Error(Errc::invalid_argument, "intervals_on: invalid date");
  std::vector<std::pair<int64_t, int64_t>> iv;
  impl_->emit_day(date.days_since_epoch(), iv);
  std::vector<std::pair<Instant, Instant>> out;
  for (auto [b, e] : iv) out.emplace_back(Instant::from_unix_seconds(b), Instant::from_unix_seconds(e));
  return out;
}

}  // namespace crmkit
