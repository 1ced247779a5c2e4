// Tests' independent reference for recurring holidays: plain loops over dates (no Boost
// generators), Gauss's Easter, and a minute-by-minute deadline walk.
#pragma once

#include <algorithm>
#include <set>
#include <vector>

#include "crmkit/calendar.hpp"

namespace holiday_reference {

using namespace crmkit;

// Gauss's Easter algorithm with its two Gregorian exceptions (a different method from the
// library's Meeus "anonymous" algorithm).
inline CivilDate gauss_easter(int y) {
  int a = y % 19, b = y % 4, c = y % 7, k = y / 100, p = (13 + 8 * k) / 25, q = k / 4;
  int M = (15 - p + k - q) % 30, N = (4 + k - q) % 7, d = (19 * a + M) % 30, e = (2 * b + 4 * c + 6 * d + N) % 7;
  if (d == 29 && e == 6) return {y, 4, 19};
  if (d == 28 && e == 6 && (11 * M + 11) % 30 < 19) return {y, 4, 18};
  return CivilDate{y, 3, 22}.plus_days(d + e);
}

inline int64_t reference_base(const HolidayRule& r, int y) {
  switch (r.kind) {
    case HolidayRule::Kind::fixed: return CivilDate{y, r.month, r.day}.days_since_epoch();
    case HolidayRule::Kind::easter: return gauss_easter(y).days_since_epoch();
    case HolidayRule::Kind::nth_weekday: {
      int seen = 0;
      for (int d = 1;; ++d)
        if (CivilDate{y, r.month, d}.weekday() == r.weekday && ++seen == r.nth) return CivilDate{y, r.month, d}.days_since_epoch();
    }
    case HolidayRule::Kind::last_weekday: {
      CivilDate d{y, r.month, 28};
      while (CivilDate{y, r.month, d.day + 1}.valid()) ++d.day;
      while (d.weekday() != r.weekday) --d.day;
      return d.days_since_epoch();
    }
  }
  return 0;
}

inline bool is_weekend(int64_t day) { return CivilDate::from_days_since_epoch(day).weekday() >= 5; }

// The days without work a spec's holidays and rules give in years [y0, y1], less make-up days.
inline std::set<int64_t> reference_holidays(const CalendarSpec& s, int y0, int y1) {
  std::set<int64_t> out;
  for (const auto& h : s.holidays) out.insert(h.days_since_epoch());
  for (int y = y0; y <= y1; ++y) {
    std::set<int64_t> year;
    std::vector<std::pair<int64_t, size_t>> subs;
    for (size_t i = 0; i < s.rules.size(); ++i) {
      const HolidayRule& r = s.rules[i];
      if ((r.from_year && y < r.from_year) || (r.to_year && y > r.to_year)) continue;
      if (std::count(r.except_years.begin(), r.except_years.end(), y)) continue;
      int64_t base = reference_base(r, y) + r.offset;
      if (r.observed == HolidayRule::Observed::next_weekday) {
        subs.emplace_back(base, i);
        continue;
      }
      int wd = CivilDate::from_days_since_epoch(base).weekday();
      if (r.observed == HolidayRule::Observed::nearest_weekday) base += wd == 5 ? -1 : wd == 6 ? 1 : 0;
      for (int k = 0; k < r.days; ++k) year.insert(base + k);
    }
    std::stable_sort(subs.begin(), subs.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::set<int64_t> weekday_holidays;
    for (int64_t d : year) if (!is_weekend(d)) weekday_holidays.insert(d);
    for (auto& [d, i] : subs) if (!is_weekend(d)) weekday_holidays.insert(d);
    for (auto& [d, i] : subs) {
      int64_t day = d;
      if (is_weekend(day)) {
        while (is_weekend(day) || weekday_holidays.count(day)) ++day;
        weekday_holidays.insert(day);
      }
      year.insert(day);
    }
    out.insert(year.begin(), year.end());
  }
  for (const auto& [d, iv] : s.workdays) out.erase(d.days_since_epoch());
  return out;
}

struct Reference {
  const Calendar& cal;
  std::set<int64_t> holidays;
  bool working(Instant t) const {
    CivilTime c = cal.zone().to_civil(t);
    const auto& s = cal.spec();
    const std::vector<DayInterval>* day = &s.week[c.date.weekday()];
    if (holidays.count(c.date.days_since_epoch())) return false;
    for (const auto& [d, iv] : s.workdays)
      if (d == c.date) day = &iv;
    for (const auto& iv : *day)
      if (c.second_of_day >= iv.begin && c.second_of_day < iv.end) return true;
    return false;
  }
  Instant add(Instant t, int64_t minutes) const {
    while (!working(t)) t += Duration::minutes(1);
    while (minutes > 0) {
      if (working(t)) --minutes;
      t += Duration::minutes(1);
    }
    return t;
  }
};

}  // namespace holiday_reference
