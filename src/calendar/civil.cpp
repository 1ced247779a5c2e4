// Civil dates and times, RFC 3339 instants. Date arithmetic uses the well-known
// days-from-civil algorithm (proleptic Gregorian, era of 400 years), exact for all int32 years.
#include <fmt/core.h>

#include <cstring>

#include "crmkit/error.hpp"
#include "crmkit/time.hpp"

namespace crmkit {
namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n decimal digits.
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool parse_date_prefix(std::string_view s, CivilDate& d) {
  int y, m, dd;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, dd))
    return false;
  d = CivilDate{y, m, dd};
  return d.valid();
}

}  // namespace

int64_t CivilDate::days_since_epoch() const {
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

CivilDate CivilDate::from_days_since_epoch(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int32_t>(y + (m <= 2)), static_cast<int32_t>(m), static_cast<int32_t>(d)};
}

int CivilDate::weekday() const {
  const int64_t z = days_since_epoch();
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  return static_cast<int>(((z % 7) + 7 + 3) % 7);
}

bool CivilDate::valid() const {
  return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

std::string CivilDate::to_string() const { return fmt::format("{:04}-{:02}-{:02}", year, month, day); }

CivilDate CivilDate::parse(std::string_view text) {
  CivilDate d;
  if (text.size() != 10 || !parse_date_prefix(text, d))
    throw Error(Errc::parse, fmt::format("'{}' is not a date (YYYY-MM-DD)", text));
  return d;
}

std::string CivilTime::to_string() const {
  return fmt::format("{}T{:02}:{:02}:{:02}", date.to_string(), hour(), minute(), second());
}

bool try_parse_instant(std::string_view s, Instant& out) noexcept {
  CivilDate d;
  if (s.size() < 20 || !parse_date_prefix(s, d)) return false;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  int hh, mm, ss;
  if (!digits(s, 11, 2, hh) || s[13] != ':' || !digits(s, 14, 2, mm) || s[16] != ':' || !digits(s, 17, 2, ss))
    return false;
  if (hh > 23 || mm > 59 || ss > 60) return false;  // 60: a leap second, read as :59 + 1
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;
  int32_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om))
      return false;
    if (oh > 23 || om > 59) return false;
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  out = Instant::from_unix_seconds(d.days_since_epoch() * 86400 + hh * 3600 + mm * 60 + ss - offset);
  return true;
}

Instant parse_instant(std::string_view text) {
  Instant t;
  if (!try_parse_instant(text, t))
    throw Error(Errc::parse, fmt::format("'{}' is not an RFC 3339 instant (YYYY-MM-DDTHH:MM:SSZ or +HH:MM)", text));
  return t;
}

CivilTime civil_at_offset(Instant t, int32_t utc_offset_seconds) {
  int64_t s = t.unix_seconds() + utc_offset_seconds;
  int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
  return CivilTime{CivilDate::from_days_since_epoch(days), static_cast<int32_t>(s - days * 86400)};
}

int format_utc(Instant t, char* out) noexcept {
  CivilTime c = civil_at_offset(t, 0);
  auto put2 = [](char* p, int v) { p[0] = static_cast<char>('0' + v / 10); p[1] = static_cast<char>('0' + v % 10); };
  int y = c.date.year;
  if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;  // RFC 3339 has four year digits
  out[0] = static_cast<char>('0' + y / 1000);
  out[1] = static_cast<char>('0' + y / 100 % 10);
  put2(out + 2, y % 100);
  out[4] = '-';
  put2(out + 5, c.date.month);
  out[7] = '-';
  put2(out + 8, c.date.day);
  out[10] = 'T';
  put2(out + 11, c.hour());
  out[13] = ':';
  put2(out + 14, c.minute());
  out[16] = ':';
  put2(out + 17, c.second());
  out[19] = 'Z';
  return 20;
}

std::string format_utc(Instant t) {
  char buf[20];
  format_utc(t, buf);
  return std::string(buf, 20);
}

std::string format_with_offset(Instant t, int32_t off) {
  CivilTime c = civil_at_offset(t, off);
  int32_t a = off < 0 ? -off : off;
  return fmt::format("{}{}{:02}:{:02}", c.to_string(), off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

}  // namespace crmkit
