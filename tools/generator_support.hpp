// Shared by the synthetic log generators (complaint_generator, work_order_generator): a portable
// random generator, China-time civil dates and working hours. Standard C++ only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace crmkit::gen {

namespace {

constexpr int64_t kOffset = 8 * 3600;  // China time

/// splitmix64: portable and deterministic (unlike the std distributions).
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool chance(double p) { return uniform() < p; }
  template <class T, size_t N>
  const T& pick(const std::pair<T, double> (&items)[N]) {
    double total = 0;
    for (const auto& it : items) total += it.second;
    double x = uniform() * total;
    for (const auto& it : items) {
      if (x < it.second) return it.first;
      x -= it.second;
    }
    return items[N - 1].first;
  }
};

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

std::string format_local(int64_t t) {
  const int64_t local = t + kOffset;
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t sod = local - days * 86400;
  int y, m, d;
  civil_from_days(days, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d, static_cast<int>(sod / 3600),
                static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  return buf;
}

void escape(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\'), out.push_back(c);
    else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else out.push_back(c);
  }
}

/// Local weekday 0 = Monday, and seconds of day.
int weekday(int64_t t) {
  int64_t days = (t + kOffset) / 86400;
  return static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
}
int64_t second_of_day(int64_t t) { return ((t + kOffset) % 86400 + 86400) % 86400; }

bool working(int64_t t) {
  if (weekday(t) >= 5) return false;
  int64_t s = second_of_day(t);
  return (s >= 9 * 3600 && s < 12 * 3600) || (s >= 13 * 3600 + 1800 && s < 18 * 3600);
}

/// Moves t into working time (next opening plus a few minutes) with probability p.
int64_t workish(Rng& r, int64_t t, double p = 0.9) {
  if (working(t) || !r.chance(p)) return t;
  for (int i = 0; i < 24 * 4 * 4 && !working(t); ++i) {
    int64_t s = second_of_day(t);
    if (weekday(t) < 5 && s < 9 * 3600) t += 9 * 3600 - s;
    else if (weekday(t) < 5 && s >= 12 * 3600 && s < 13 * 3600 + 1800) t += 13 * 3600 + 1800 - s;
    else t += 86400 - s + 9 * 3600;  // next morning
  }
  return t + r.range(0, 40) * 60;
}

/// A JSON member "k":"v" (v escaped).
inline std::string kv(const char* k, std::string_view v) {
  std::string s = "\"";
  s += k;
  s += "\":\"";
  escape(s, v);
  s += "\"";
  return s;
}

/// The first instant (China time, +08:00) of a YYYY-MM-DD date; false for a malformed one.
inline bool parse_start_day(const std::string& start, int64_t& out) {
  int y, m, d;
  if (start.size() != 10 || std::sscanf(start.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  out = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86400 - kOffset;
  return true;
}

}  // namespace

}  // namespace crmkit::gen
