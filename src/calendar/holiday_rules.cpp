// Recurring holidays: each rule is a Boost.Date_Time year-based generator (partial_date,
// nth_kday_of_month, last_kday_of_month) or Easter, then an offset, a length and an observance.
#include "calendar/holiday_rules.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <nlohmann/json.hpp>

#include "crmkit/error.hpp"

namespace crmkit {

CivilDate easter_sunday(int32_t year) {
  if (year < 1583 || year > 9999) throw Error(Errc::invalid_argument, fmt::format("easter_sunday: year {} is outside 1583..9999", year));
  // The "anonymous Gregorian algorithm" (Meeus, Astronomical Algorithms, ch. 8).
  const int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
  return CivilDate{year, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1};
}

namespace detail {

namespace {

namespace bg = boost::gregorian;

constexpr const char* kWeekdayKeys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr int32_t kFirstYear = kFirstRuleYear, kLastYear = kLastRuleYear;

int weekday_of(int64_t day) { return CivilDate::from_days_since_epoch(day).weekday(); }  // 0 = Monday
bool weekend(int64_t day) { return weekday_of(day) >= 5; }

int64_t days_of(const bg::date& d) { return (d - bg::date(1970, 1, 1)).days(); }

// The rule's generated day of `year` before offset and observance.
int64_t generate(const HolidayRule& r, int32_t year) {
  const auto month = static_cast<unsigned short>(r.month);
  const bg::greg_weekday wd(static_cast<unsigned short>((r.weekday + 1) % 7));  // Boost: 0 = Sunday
  switch (r.kind) {
    case HolidayRule::Kind::fixed:
      return days_of(bg::partial_date(static_cast<unsigned short>(r.day), month).get_date(year));
    case HolidayRule::Kind::nth_weekday:
      return days_of(bg::nth_kday_of_month(static_cast<bg::nth_kday_of_month::week_num>(r.nth), wd, month).get_date(year));
    case HolidayRule::Kind::last_weekday:
      return days_of(bg::last_kday_of_month(wd, month).get_date(year));
    case HolidayRule::Kind::easter:
      return easter_sunday(year).days_since_epoch();
  }
  return 0;
}

bool applies(const HolidayRule& r, int32_t year) {
  if (r.from_year != 0 && year < r.from_year) return false;
  if (r.to_year != 0 && year > r.to_year) return false;
  return std::find(r.except_years.begin(), r.except_years.end(), year) == r.except_years.end();
}

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw Error(Errc::invalid_argument, fmt::format("{}: {}", field, what));
}

int32_t int_field(const nlohmann::json& v, const std::string& field, int32_t lo, int32_t hi) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    bad(field, fmt::format("expected an integer {}..{}", lo, hi));
  return static_cast<int32_t>(v.get<int64_t>());
}

constexpr const char* kObservedNames[] = {"none", "nearest_weekday", "next_weekday"};

}  // namespace

bool valid_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

void validate_rule(const HolidayRule& r, const std::string& field) {
  if (r.name.empty()) bad(field + ".name", "a rule needs a name");
  if (r.name.size() > kMaxHolidayNameBytes) bad(field + ".name", fmt::format("at most {} bytes", kMaxHolidayNameBytes));
  if (!valid_utf8(r.name)) bad(field + ".name", "not valid UTF-8");
  if (r.kind != HolidayRule::Kind::easter && (r.month < 1 || r.month > 12)) bad(field + ".month", fmt::format("{} is not a month 1..12", r.month));
  switch (r.kind) {
    case HolidayRule::Kind::fixed:
      if (r.day < 1 || !CivilDate{2000, r.month, r.day}.valid()) bad(field + ".date", fmt::format("{:02}-{:02} is not a day of the year", r.month, r.day));
      if (r.month == 2 && r.day == 29) bad(field + ".date", "02-29 does not occur every year (list its dates as holidays)");
      break;
    case HolidayRule::Kind::nth_weekday:
      if (r.nth < 1 || r.nth > 4) bad(field + ".nth", fmt::format("{} is not 1..4 or \"last\"", r.nth));
      [[fallthrough]];
    case HolidayRule::Kind::last_weekday:
      if (r.weekday < 0 || r.weekday > 6) bad(field + ".weekday", fmt::format("{} is not a weekday 0 (Monday)..6", r.weekday));
      break;
    case HolidayRule::Kind::easter:
      break;
    default:
      bad(field, "unknown rule kind");
  }
  if (r.offset < -366 || r.offset > 366) bad(field + ".offset", fmt::format("{} days is outside -366..366", r.offset));
  if (r.days < 1 || r.days > 31) bad(field + ".days", fmt::format("{} is not 1..31", r.days));
  if (static_cast<unsigned>(r.observed) > 2) bad(field + ".observed", "unknown observance");
  if (r.observed != HolidayRule::Observed::none && r.days != 1)
    bad(field + ".observed", "observance applies to one-day rules only");
  auto year_ok = [](int32_t y) { return y == 0 || (y >= kFirstYear && y <= kLastYear); };
  if (!year_ok(r.from_year)) bad(field + ".from", fmt::format("{} is outside {}..{}", r.from_year, kFirstYear, kLastYear));
  if (!year_ok(r.to_year)) bad(field + ".to", fmt::format("{} is outside {}..{}", r.to_year, kFirstYear, kLastYear));
  if (r.from_year != 0 && r.to_year != 0 && r.to_year < r.from_year)
    bad(field + ".to", fmt::format("{} is before from {}", r.to_year, r.from_year));
  for (size_t i = 0; i < r.except_years.size(); ++i)
    if (r.except_years[i] < kFirstYear || r.except_years[i] > kLastYear)
      bad(fmt::format("{}.except[{}]", field, i), fmt::format("{} is outside {}..{}", r.except_years[i], kFirstYear, kLastYear));
}

HolidayRule canonical_rule(HolidayRule r) {
  const HolidayRule defaults;
  if (r.kind == HolidayRule::Kind::easter) r.month = defaults.month;
  if (r.kind != HolidayRule::Kind::fixed) r.day = defaults.day;
  if (r.kind != HolidayRule::Kind::nth_weekday && r.kind != HolidayRule::Kind::last_weekday) r.weekday = defaults.weekday;
  if (r.kind != HolidayRule::Kind::nth_weekday) r.nth = defaults.nth;
  std::sort(r.except_years.begin(), r.except_years.end());
  r.except_years.erase(std::unique(r.except_years.begin(), r.except_years.end()), r.except_years.end());
  return r;
}

std::vector<RuleDay> expand_rules(const std::vector<HolidayRule>& rules, int32_t first_year, int32_t last_year) {
  std::vector<RuleDay> out;
  std::vector<RuleDay> substitutes;  // next_weekday rules of one year, by base day
  std::vector<int64_t> taken;        // weekdays already holidays of the rules that year
  for (int32_t year = first_year; year <= last_year; ++year) {
    taken.clear();
    substitutes.clear();
    for (uint32_t i = 0; i < rules.size(); ++i) {
      const HolidayRule& r = rules[i];
      if (!applies(r, year)) continue;
      int64_t base = generate(r, year) + r.offset;
      if (r.observed == HolidayRule::Observed::next_weekday) {
        substitutes.push_back({base, i});
        if (!weekend(base)) taken.push_back(base);
        continue;
      }
      if (r.observed == HolidayRule::Observed::nearest_weekday) {
        if (weekday_of(base) == 5) --base;
        else if (weekday_of(base) == 6) ++base;
      }
      for (int32_t k = 0; k < r.days; ++k) {
        out.push_back({base + k, i});
        if (!weekend(base + k)) taken.push_back(base + k);
      }
    }
    std::stable_sort(substitutes.begin(), substitutes.end(), [](const RuleDay& a, const RuleDay& b) { return a.day < b.day; });
    for (RuleDay s : substitutes) {
      if (weekend(s.day)) {
        while (weekend(s.day) || std::find(taken.begin(), taken.end(), s.day) != taken.end()) ++s.day;
        taken.push_back(s.day);
      }
      out.push_back(s);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const RuleDay& a, const RuleDay& b) { return a.day < b.day; });
  return out;
}

HolidayRule rule_from_json(const nlohmann::json& j, const std::string& field) {
  if (!j.is_object()) bad(field, "expected a rule object {\"name\", \"date\" | \"easter\" | \"month\"+\"weekday\"+\"nth\", ...}");
  HolidayRule r;
  bool has_date = false, has_easter = false, has_month = false, has_weekday = false, has_nth = false, has_offset = false;
  for (const auto& [key, v] : j.items()) {
    const std::string f = field + "." + key;
    if (key == "name") {
      if (!v.is_string()) bad(f, "expected a string");
      r.name = v.get<std::string>();
    } else if (key == "date") {
      // "MM-DD"
      const std::string s = v.is_string() ? v.get<std::string>() : std::string();
      auto digit = [&](size_t p) { return s[p] >= '0' && s[p] <= '9'; };
      if (s.size() != 5 || s[2] != '-' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
        bad(f, "expected \"MM-DD\" (e.g. \"12-25\")");
      r.kind = HolidayRule::Kind::fixed;
      r.month = (s[0] - '0') * 10 + (s[1] - '0');
      r.day = (s[3] - '0') * 10 + (s[4] - '0');
      has_date = true;
    } else if (key == "easter") {
      r.kind = HolidayRule::Kind::easter;
      r.offset = int_field(v, f, -366, 366);
      has_easter = true;
    } else if (key == "month") {
      r.month = int_field(v, f, 1, 12);
      has_month = true;
    } else if (key == "weekday") {
      auto it = v.is_string() ? std::find(std::begin(kWeekdayKeys), std::end(kWeekdayKeys), v.get<std::string>()) : std::end(kWeekdayKeys);
      if (it == std::end(kWeekdayKeys)) bad(f, "expected mon..sun");
      r.weekday = static_cast<int32_t>(it - std::begin(kWeekdayKeys));
      has_weekday = true;
    } else if (key == "nth") {
      if (v.is_string() && v.get<std::string>() == "last") r.kind = HolidayRule::Kind::last_weekday;
      else if (v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= 4) {
        r.kind = HolidayRule::Kind::nth_weekday;
        r.nth = static_cast<int32_t>(v.get<int64_t>());
      } else bad(f, "expected 1..4 or \"last\"");
      has_nth = true;
    } else if (key == "offset") {
      r.offset = int_field(v, f, -366, 366);
      has_offset = true;
    } else if (key == "days") {
      r.days = int_field(v, f, 1, 31);
    } else if (key == "observed") {
      auto it = v.is_string() ? std::find(std::begin(kObservedNames), std::end(kObservedNames), v.get<std::string>()) : std::end(kObservedNames);
      if (it == std::end(kObservedNames)) bad(f, "expected \"none\", \"nearest_weekday\" or \"next_weekday\"");
      r.observed = static_cast<HolidayRule::Observed>(it - std::begin(kObservedNames));
    } else if (key == "from") {
      r.from_year = int_field(v, f, kFirstYear, kLastYear);
    } else if (key == "to") {
      r.to_year = int_field(v, f, kFirstYear, kLastYear);
    } else if (key == "except") {
      if (!v.is_array()) bad(f, "expected a list of years");
      for (size_t i = 0; i < v.size(); ++i) r.except_years.push_back(int_field(v[i], fmt::format("{}[{}]", f, i), kFirstYear, kLastYear));
    } else if (key.empty() || key[0] != '_') {
      bad(f, "unknown field");
    }
  }
  if (!j.contains("name")) bad(field + ".name", "missing");
  const int kinds = int{has_date} + int{has_easter} + int{has_month || has_weekday || has_nth};
  if (kinds != 1) bad(field, "give exactly one of \"date\" (MM-DD), \"easter\" (days from Easter Sunday) or \"month\" with \"weekday\" and \"nth\"");
  if ((has_month || has_weekday || has_nth) && !(has_month && has_weekday && has_nth))
    bad(field, fmt::format("a weekday rule needs \"month\", \"weekday\" and \"nth\" (missing \"{}\")",
                           !has_month ? "month" : !has_weekday ? "weekday" : "nth"));
  if (has_easter && has_offset) bad(field + ".offset", "an Easter rule gives its offset as \"easter\"");
  validate_rule(r, field);
  return r;
}

nlohmann::json rule_to_json(const HolidayRule& r) {
  nlohmann::json j;
  j["name"] = r.name;
  switch (r.kind) {
    case HolidayRule::Kind::fixed: j["date"] = fmt::format("{:02}-{:02}", r.month, r.day); break;
    case HolidayRule::Kind::easter: j["easter"] = r.offset; break;
    case HolidayRule::Kind::nth_weekday:
    case HolidayRule::Kind::last_weekday:
      j["month"] = r.month;
      j["weekday"] = kWeekdayKeys[r.weekday];
      if (r.kind == HolidayRule::Kind::last_weekday) j["nth"] = "last";
      else j["nth"] = r.nth;
      break;
  }
  if (r.offset != 0 && r.kind != HolidayRule::Kind::easter) j["offset"] = r.offset;
  if (r.days != 1) j["days"] = r.days;
  if (r.observed != HolidayRule::Observed::none) j["observed"] = kObservedNames[static_cast<int>(r.observed)];
  if (r.from_year != 0) j["from"] = r.from_year;
  if (r.to_year != 0) j["to"] = r.to_year;
  if (!r.except_years.empty()) j["except"] = r.except_years;
  return j;
}

}  // namespace detail
}  // namespace crmkit
