// Private helpers of the value readers: line/field scanning over a whole-file buffer, fast date and
// number parsing, and customer-id interning. Built for tens of millions of rows: no allocation
// per row (ids are views into the buffer).
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/id_table.hpp"
#include "crmkit/time.hpp"

namespace crmkit::value::detail {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

inline bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    unsigned c = static_cast<unsigned char>(s[i]) - '0';
    if (c > 9) return false;
    v = v * 10 + c;
  }
  out = v;
  return true;
}

inline bool make_day(unsigned y, unsigned m, unsigned d, int32_t& out) {
  static constexpr unsigned char kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  unsigned dim = kDays[m - 1] + (m == 2 && is_leap(y) ? 1 : 0);
  if (d > dim) return false;
  out = static_cast<int32_t>(days_from_civil(y, m, d));
  return true;
}

/// Parses "YYYY-MM-DD", "YYYYMMDD" or an RFC 3339 instant (whose written date is taken) into days
/// since the epoch. Returns false for anything else, including impossible dates.
inline bool parse_day(std::string_view s, int32_t& out) {
  unsigned y, m, d;
  if (s.size() == 8) {
    return digits(s, 0, 4, y) && digits(s, 4, 2, m) && digits(s, 6, 2, d) && make_day(y, m, d, out);
  }
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!(digits(s, 0, 4, y) && digits(s, 5, 2, m) && digits(s, 8, 2, d) && make_day(y, m, d, out))) return false;
  if (s.size() == 10) return true;
  if (s[10] != 'T' && s[10] != ' ' && s[10] != 't') return false;
  Instant ignored;
  return try_parse_instant(s, ignored);
}

/// Parses a decimal number (an optional leading '+' is allowed). False if not the whole field.
inline bool parse_number(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Iterates the lines of a buffer ('\n' or "\r\n"), counting 1-based line numbers.
class LineScanner {
 public:
  /// A UTF-8 byte order mark at the start is skipped, unless the text is a later chunk of a file.
  explicit LineScanner(std::string_view text, bool file_start = true) : text_(text) {
    if (file_start) text_ = without_bom(text_);
  }
  static std::string_view without_bom(std::string_view s) {
    return s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF" ? s.substr(3) : s;
  }
  /// The rest of the text after the lines returned so far.
  std::string_view rest() const { return pos_ >= text_.size() ? std::string_view() : text_.substr(pos_); }
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  size_t line_number() const { return number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t number_ = 0;
};

/// Splits a CSV line into fields (views into the line, or into `scratch` for quoted fields with
/// doubled quotes; a deque so that adding one keeps the earlier views valid). Returns false on an
/// unterminated quote.
inline bool split_csv(std::string_view line, std::vector<std::string_view>& fields, std::deque<std::string>& scratch) {
  fields.clear();
  size_t scratch_used = 0;
  size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      size_t j = i + 1;
      bool escaped = false;
      while (true) {
        size_t q = line.find('"', j);
        if (q == std::string_view::npos) return false;
        if (q + 1 < line.size() && line[q + 1] == '"') {
          escaped = true;
          j = q + 2;
          continue;
        }
        std::string_view inner = line.substr(i + 1, q - i - 1);
        if (escaped) {
          if (scratch.size() <= scratch_used) scratch.emplace_back();
          std::string& s = scratch[scratch_used++];
          s.clear();
          for (size_t k = 0; k < inner.size(); ++k) {
            s.push_back(inner[k]);
            if (inner[k] == '"') ++k;
          }
          fields.push_back(s);
        } else {
          fields.push_back(inner);
        }
        i = q + 1;
        while (i < line.size() && line[i] != ',') ++i;  // tolerate spaces after the closing quote
        break;
      }
    } else {
      size_t c = line.find(',', i);
      if (c == std::string_view::npos) c = line.size();
      fields.push_back(trim(line.substr(i, c - i)));
      i = c;
    }
    if (i >= line.size()) return true;
    ++i;  // skip the comma
  }
}

/// The readers intern customer ids in the library's one string table (common/id_table.hpp).
using crmkit::detail::IdKey;
using crmkit::detail::IdTable;

}  // namespace crmkit::value::detail
