// Time zones from the system tz database (RFC 8536 TZif files), with the POSIX TZ footer rule
// expanded into explicit transitions through year 2500 so that lookups are one binary search.
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "crmkit/error.hpp"
#include "crmkit/time.hpp"
#include "common/files.hpp"

namespace crmkit {

struct TimeZone::Data {
  std::string name;
  int32_t initial_offset = 0;        // before the first transition
  std::vector<int64_t> at;           // transition instants, ascending
  std::vector<int32_t> offset_after; // offset in force from at[i]

  int32_t offset_at(int64_t t) const {
    auto it = std::upper_bound(at.begin(), at.end(), t);
    if (it == at.begin()) return initial_offset;
    return offset_after[static_cast<size_t>(it - at.begin()) - 1];
  }
};

namespace {

constexpr int kLastExpandedYear = 2500;  // past the supported range (crmkit/time.hpp), which ends in 2499

// ---- POSIX TZ strings (the TZif footer) -----------------------------------------------------
struct PosixRuleDate {
  char kind = 'M';  // 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.day)
  int a = 0, b = 0, c = 0;
  int32_t time = 7200;  // local seconds after midnight, may be negative or > 24 h
};

struct PosixTz {
  int32_t std_offset = 0;  // east of UTC
  bool has_dst = false;
  int32_t dst_offset = 0;
  PosixRuleDate start, end;
};

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}
  bool parse(PosixTz& tz) {
    if (!name()) return false;
    int32_t off;
    if (!offset(off)) return false;
    tz.std_offset = -off;
    if (pos_ == s_.size()) return true;
    if (!name()) return false;
    tz.has_dst = true;
    tz.dst_offset = tz.std_offset + 3600;
    if (pos_ < s_.size() && s_[pos_] != ',') {
      if (!offset(off)) return false;
      tz.dst_offset = -off;
    }
    if (pos_ == s_.size()) {  // no rule: the US default of POSIX
      tz.start = PosixRuleDate{'M', 3, 2, 0, 7200};
      tz.end = PosixRuleDate{'M', 11, 1, 0, 7200};
      return true;
    }
    if (s_[pos_++] != ',' || !rule_date(tz.start)) return false;
    if (pos_ >= s_.size() || s_[pos_++] != ',' || !rule_date(tz.end)) return false;
    return pos_ == s_.size();
  }

 private:
  bool name() {
    if (pos_ < s_.size() && s_[pos_] == '<') {
      size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      pos_ = close + 1;
      return true;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && ((s_[pos_] >= 'A' && s_[pos_] <= 'Z') || (s_[pos_] >= 'a' && s_[pos_] <= 'z'))) ++pos_;
    return pos_ - start >= 3;
  }
  bool number(int& v) {
    size_t start = pos_;
    v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9' && pos_ - start < 4) v = v * 10 + (s_[pos_++] - '0');
    return pos_ > start;
  }
  // [+-]hh[:mm[:ss]] in seconds
  bool offset(int32_t& out) {
    int sign = 1;
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) sign = s_[pos_++] == '-' ? -1 : 1;
    int h, m = 0, sec = 0;
    if (!number(h) || h > 167) return false;
    if (pos_ < s_.size() && s_[pos_] == ':') {
      ++pos_;
      if (!number(m) || m > 59) return false;
      if (pos_ < s_.size() && s_[pos_] == ':') {
        ++pos_;
        if (!number(sec) || sec > 59) return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool rule_date(PosixRuleDate& d) {
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == 'M') {
      ++pos_;
      d.kind = 'M';
      if (!number(d.a) || d.a < 1 || d.a > 12) return false;
      if (pos_ >= s_.size() || s_[pos_++] != '.' || !number(d.b) || d.b < 1 || d.b > 5) return false;
      if (pos_ >= s_.size() || s_[pos_++] != '.' || !number(d.c) || d.c > 6) return false;
    } else if (s_[pos_] == 'J') {
      ++pos_;
      d.kind = 'J';
      if (!number(d.a) || d.a < 1 || d.a > 365) return false;
    } else {
      d.kind = 'D';
      if (!number(d.a) || d.a > 365) return false;
    }
    d.time = 7200;
    if (pos_ < s_.size() && s_[pos_] == '/') {
      ++pos_;
      if (!offset(d.time)) return false;
    }
    return true;
  }
  std::string_view s_;
  size_t pos_ = 0;
};

// Local seconds since epoch (in the offset that applies before the change) of a rule in a year.
int64_t rule_local_seconds(const PosixRuleDate& r, int year) {
  int64_t day;
  if (r.kind == 'J') {
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    day = CivilDate{year, 1, 1}.days_since_epoch() + r.a - 1 + (leap && r.a >= 60 ? 1 : 0);
  } else if (r.kind == 'D') {
    day = CivilDate{year, 1, 1}.days_since_epoch() + r.a;
  } else {
    CivilDate first{year, r.a, 1};
    int sunday_based = (first.weekday() + 1) % 7;  // 0 = Sunday
    int delta = (r.c - sunday_based + 7) % 7;
    day = first.days_since_epoch() + delta + 7 * (r.b - 1);
    int next_month_year = r.a == 12 ? year + 1 : year;
    int64_t month_end = CivilDate{next_month_year, r.a == 12 ? 1 : r.a + 1, 1}.days_since_epoch();
    while (day >= month_end) day -= 7;  // week 5 = the last such weekday
  }
  return day * 86400 + r.time;
}

// ---- TZif --------------------------------------------------------------------------------
int64_t be(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

[[noreturn]] void corrupt(const std::string& name, const char* what) {
  throw Error(Errc::corrupt, fmt::format("time zone '{}': unreadable tz database file ({})", name, what));
}

std::shared_ptr<TimeZone::Data> parse_tzif(const std::string& name, const std::string& bytes) {
  auto need = [&](size_t pos, size_t n) {
    if (pos > bytes.size() || n > bytes.size() - pos) corrupt(name, "truncated");
  };
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  need(0, 44);
  if (bytes.compare(0, 4, "TZif") != 0) corrupt(name, "bad magic");
  char version = bytes[4];
  auto counts = [&](size_t h, int64_t c[6]) {
    need(h, 44);
    for (int i = 0; i < 6; ++i) c[i] = be(u + h + 20 + 4 * i, 4);
    for (int i = 0; i < 6; ++i)
      if (c[i] < 0 || c[i] > 1'000'000) corrupt(name, "bad counts");
  };
  int64_t c[6];
  counts(0, c);
  size_t time_size = 4;
  size_t h = 0;
  auto block_len = [&](const int64_t k[6], size_t ts) {
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    return static_cast<size_t>(k[3] * ts + k[3] + k[4] * 6 + k[5] + k[2] * (ts + 4) + k[1] + k[0]);
  };
  if (version >= '2') {
    h = 44 + block_len(c, 4);
    need(h, 44);
    if (bytes.compare(h, 4, "TZif") != 0) corrupt(name, "bad second header");
    counts(h, c);
    time_size = 8;
  }
  const int64_t timecnt = c[3], typecnt = c[4], charcnt = c[5];
  if (typecnt < 1) corrupt(name, "no local time types");
  size_t p = h + 44;
  need(p, block_len(c, time_size));
  auto data = std::make_shared<TimeZone::Data>();
  data->name = name;
  std::vector<int64_t> times(static_cast<size_t>(timecnt));
  for (auto& t : times) { t = be(u + p, static_cast<int>(time_size)); p += time_size; }
  std::vector<uint8_t> idx(static_cast<size_t>(timecnt));
  for (auto& i : idx) i = u[p++];
  std::vector<int32_t> offs(static_cast<size_t>(typecnt));
  for (auto& o : offs) { o = static_cast<int32_t>(be(u + p, 4)); p += 6; }
  p += static_cast<size_t>(charcnt);
  p += static_cast<size_t>(c[2]) * (time_size + 4) + static_cast<size_t>(c[1] + c[0]);
  data->initial_offset = offs[0];
  for (size_t i = 0; i < times.size(); ++i) {
    if (idx[i] >= offs.size()) corrupt(name, "bad type index");
    if (!data->at.empty() && times[i] <= data->at.back()) corrupt(name, "transitions out of order");
    data->at.push_back(times[i]);
    data->offset_after.push_back(offs[idx[i]]);
  }
  // Footer: "\n<POSIX TZ>\n" (version 2+).
  if (version >= '2' && p < bytes.size() && bytes[p] == '\n') {
    size_t end = bytes.find('\n', p + 1);
    if (end != std::string::npos && end > p + 1) {
      PosixTz tz;
      std::string footer = bytes.substr(p + 1, end - p - 1);
      if (!PosixParser(footer).parse(tz)) corrupt(name, "bad POSIX footer");
      int64_t last = data->at.empty() ? INT64_MIN : data->at.back();
      int32_t current = data->at.empty() ? data->initial_offset : data->offset_after.back();
      auto add = [&](int64_t t, int32_t off) {
        if (t <= last || off == current) return;
        data->at.push_back(t);
        data->offset_after.push_back(off);
        last = t;
        current = off;
      };
      int first_year = data->at.empty() ? 1900 : civil_at_offset(Instant::from_unix_seconds(data->at.back()), 0).date.year;
      if (!tz.has_dst) {
        add(last == INT64_MIN ? INT64_MIN + 1 : last + 1, tz.std_offset);
      } else {
        for (int y = first_year; y <= kLastExpandedYear; ++y) {
          int64_t s = rule_local_seconds(tz.start, y) - tz.std_offset;
          int64_t e = rule_local_seconds(tz.end, y) - tz.dst_offset;
          if (s < e) { add(s, tz.dst_offset); add(e, tz.std_offset); }
          else { add(e, tz.std_offset); add(s, tz.dst_offset); }
        }
      }
    }
  }
  return data;
}

bool valid_zone_name(std::string_view n) {
  if (n.empty() || n.size() > 255 || n.front() == '/' || n.find("..") != std::string_view::npos) return false;
  for (char ch : n) {
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '+' || ch == '/';
    if (!ok) return false;
  }
  return true;
}

std::shared_ptr<const TimeZone::Data> utc_data() {
  static const auto d = [] {
    auto p = std::make_shared<TimeZone::Data>();
    p->name = "UTC";
    return p;
  }();
  return d;
}

}  // namespace

TimeZone::TimeZone() : d_(utc_data()) {}

TimeZone TimeZone::load(std::string_view name) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return TimeZone();
  if (!valid_zone_name(name)) throw Error(Errc::not_found, fmt::format("unknown time zone '{}'", name));
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Data>, std::less<>> cache;
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(name); it != cache.end()) return TimeZone(it->second);
  }
  const char* dir = std::getenv("TZDIR");
  std::string path = fmt::format("{}/{}", dir && *dir ? dir : "/usr/share/zoneinfo", name);
  std::string tzif;
  try {
    tzif = detail::read_file(path, "time zone file", kMaxConfigFileBytes);
  } catch (const Error& e) {
    if (e.code() != Errc::io) throw;  // a device or an oversized file: say so
    throw Error(Errc::not_found, fmt::format("unknown time zone '{}' (no {} in the tz database)", name, path));
  }
  std::shared_ptr<const Data> d = parse_tzif(std::string(name), tzif);
  std::lock_guard lock(mu);
  cache.emplace(std::string(name), d);
  return TimeZone(d);
}

TimeZone TimeZone::fixed(int32_t off) {
  if (off <= -24 * 3600 || off >= 24 * 3600) throw Error(Errc::invalid_argument, "fixed UTC offset out of range");
  auto d = std::make_shared<Data>();
  int32_t a = off < 0 ? -off : off;
  d->name = off == 0 ? "UTC" : fmt::format("UTC{}{:02}:{:02}", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
  d->initial_offset = off;
  return TimeZone(d);
}

const std::string& TimeZone::name() const { return d_->name; }

int32_t TimeZone::utc_offset(Instant t) const { return d_->offset_at(t.unix_seconds()); }

CivilTime TimeZone::to_civil(Instant t) const { return civil_at_offset(t, utc_offset(t)); }

TimeZone::Lookup TimeZone::lookup(const CivilTime& civil) const {
  const Data& d = *d_;
  const int64_t local = civil.date.days_since_epoch() * 86400 + civil.second_of_day;
  // Transition i shows local times [at+before, at+after) as skipped or [at+after, at+before) twice.
  // Find the last transition whose earlier local edge is <= local.
  size_t lo = 0, hi = d.at.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int32_t before = mid == 0 ? d.initial_offset : d.offset_after[mid - 1];
    int64_t edge = d.at[mid] + std::min(before, d.offset_after[mid]);
    if (edge <= local) lo = mid + 1; else hi = mid;
  }
  Lookup r;
  if (lo == 0) {
    r.earliest = r.latest = Instant::from_unix_seconds(local - d.initial_offset);
    return r;
  }
  size_t i = lo - 1;
  int32_t before = i == 0 ? d.initial_offset : d.offset_after[i - 1];
  int32_t after = d.offset_after[i];
  if (local >= d.at[i] + std::max(before, after)) {
    r.earliest = r.latest = Instant::from_unix_seconds(local - after);
  } else if (after > before) {
    r.kind = Lookup::skipped;
    r.earliest = r.latest = Instant::from_unix_seconds(d.at[i]);
  } else {
    r.kind = Lookup::repeated;
    r.earliest = Instant::from_unix_seconds(local - before);
    r.latest = Instant::from_unix_seconds(local - after);
  }
  return r;
}

}  // namespace crmkit
