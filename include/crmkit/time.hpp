// crmkit/time.hpp — absolute instants, exact durations, civil (wall-clock) times and time zones.
//
// Like Abseil's time library: an Instant is a point on the UTC time line, a CivilTime is what a
// wall clock shows, and converting between them always takes a TimeZone. Durations are exact
// whole seconds (business rules never need finer), so arithmetic never rounds.
//
// All types are small values, cheap to copy and safe to share between threads.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace crmkit {

/// An exact signed span of time in whole seconds.
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration seconds(int64_t s) { return Duration(s); }
  static constexpr Duration minutes(int64_t m) { return Duration(m * 60); }
  static constexpr Duration hours(int64_t h) { return Duration(h * 3600); }
  static constexpr Duration days(int64_t d) { return Duration(d * 86400); }
  static constexpr Duration zero() { return Duration(0); }

  constexpr int64_t count_seconds() const { return s_; }
  constexpr double count_hours() const { return static_cast<double>(s_) / 3600.0; }

  constexpr Duration operator+(Duration o) const { return Duration(s_ + o.s_); }
  constexpr Duration operator-(Duration o) const { return Duration(s_ - o.s_); }
  constexpr Duration operator-() const { return Duration(-s_); }
  constexpr Duration operator*(int64_t k) const { return Duration(s_ * k); }
  constexpr Duration& operator+=(Duration o) { s_ += o.s_; return *this; }
  constexpr Duration& operator-=(Duration o) { s_ -= o.s_; return *this; }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr explicit Duration(int64_t s) : s_(s) {}
  int64_t s_ = 0;
};

/// A point on the UTC time line, as whole seconds since 1970-01-01T00:00:00Z.
class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_unix_seconds(int64_t s) { return Instant(s); }
  constexpr int64_t unix_seconds() const { return s_; }

  constexpr Instant operator+(Duration d) const { return Instant(s_ + d.count_seconds()); }
  constexpr Instant operator-(Duration d) const { return Instant(s_ - d.count_seconds()); }
  constexpr Duration operator-(Instant o) const { return Duration::seconds(s_ - o.s_); }
  constexpr Instant& operator+=(Duration d) { s_ += d.count_seconds(); return *this; }
  constexpr auto operator<=>(const Instant&) const = default;

 private:
  constexpr explicit Instant(int64_t s) : s_(s) {}
  int64_t s_ = 0;
};

/// The supported time range, inclusive at both ends: 1900-01-01T00:00:00Z .. 2499-12-31T23:59:59Z.
/// Calendars, SLA clocks and the C API refuse instants outside it with Error(invalid_argument)
/// (CRMKIT_EINVAL): the tz rules are expanded through 2500 and no business deadline needs more,
/// and every int64 arithmetic on instants inside it (plus a business duration of at most 100
/// years) stays far from overflow. This is the one definition; everything else refers to it.
inline constexpr int64_t kFirstSupportedUnixSeconds = -2208988800;  // 1900-01-01T00:00:00Z
inline constexpr int64_t kLastSupportedUnixSeconds = 16725225599;   // 2499-12-31T23:59:59Z
/// The range as it appears in error messages.
inline constexpr std::string_view kSupportedRangeText = "1900-01-01T00:00:00Z .. 2499-12-31T23:59:59Z";

/// Whether t is inside [kFirstSupportedUnixSeconds, kLastSupportedUnixSeconds].
constexpr bool in_supported_range(Instant t) {
  return t.unix_seconds() >= kFirstSupportedUnixSeconds && t.unix_seconds() <= kLastSupportedUnixSeconds;
}

/// A proleptic Gregorian date. Weekday: 0 = Monday ... 6 = Sunday (ISO 8601 order).
struct CivilDate {
  int32_t year = 1970;
  int32_t month = 1;  ///< 1..12
  int32_t day = 1;    ///< 1..31

  /// Days since 1970-01-01 (negative before).
  int64_t days_since_epoch() const;
  static CivilDate from_days_since_epoch(int64_t days);
  int weekday() const;
  CivilDate plus_days(int64_t n) const { return from_days_since_epoch(days_since_epoch() + n); }
  bool valid() const;
  /// "YYYY-MM-DD".
  std::string to_string() const;
  /// Parses "YYYY-MM-DD"; throws Error(parse) naming the text.
  static CivilDate parse(std::string_view text);
  auto operator<=>(const CivilDate&) const = default;
};

/// A wall-clock reading: a date and the seconds since its midnight (0..86399).
struct CivilTime {
  CivilDate date;
  int32_t second_of_day = 0;

  int hour() const { return second_of_day / 3600; }
  int minute() const { return second_of_day / 60 % 60; }
  int second() const { return second_of_day % 60; }
  /// "YYYY-MM-DDTHH:MM:SS".
  std::string to_string() const;
  auto operator<=>(const CivilTime&) const = default;
};

/// Parses an RFC 3339 instant: "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM"/"-HH:MM"
/// (a space may replace the "T"; fractional seconds are accepted and truncated).
/// Throws Error(parse) naming the text.
Instant parse_instant(std::string_view text);
/// Non-throwing variant for hot loops: returns false on malformed input.
bool try_parse_instant(std::string_view text, Instant& out) noexcept;
/// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_utc(Instant t);
/// Writes "YYYY-MM-DDTHH:MM:SSZ" (20 chars, no terminator) into out; returns 20.
int format_utc(Instant t, char* out) noexcept;
/// "YYYY-MM-DDTHH:MM:SS+HH:MM" with the given UTC offset in seconds.
std::string format_with_offset(Instant t, int32_t utc_offset_seconds);
/// The civil time of an instant at a fixed UTC offset.
CivilTime civil_at_offset(Instant t, int32_t utc_offset_seconds);

/// An IANA time zone read from the system tz database (TZif files under $TZDIR or
/// /usr/share/zoneinfo), with DST rules extended from the file's POSIX footer through year 2500.
/// Immutable; copies share the loaded data.
class TimeZone {
 public:
  /// UTC.
  TimeZone();
  /// Loads a zone by IANA name ("Asia/Shanghai", "America/New_York", "UTC").
  /// Throws Error(not_found) for an unknown name, Error(corrupt) for an unreadable file.
  static TimeZone load(std::string_view name);
  /// A zone with a constant offset east of UTC.
  static TimeZone fixed(int32_t utc_offset_seconds);

  const std::string& name() const;
  /// Offset east of UTC in seconds in force at t.
  int32_t utc_offset(Instant t) const;
  CivilTime to_civil(Instant t) const;

  /// How a civil time maps to instants.
  struct Lookup {
    enum Kind { unique, skipped, repeated } kind = unique;
    Instant earliest;  ///< unique: the instant; repeated: first occurrence; skipped: the transition
    Instant latest;    ///< unique: the instant; repeated: second occurrence; skipped: the transition
  };
  Lookup lookup(const CivilTime& civil) const;
  /// The earliest instant showing this civil time (the transition for a skipped time).
  Instant from_civil(const CivilTime& civil) const { return lookup(civil).earliest; }

  struct Data;

 private:
  explicit TimeZone(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  std::shared_ptr<const Data> d_;
};

}  // namespace crmkit
