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

#include "common/hash.hpp"
#include "common/large_buffer.hpp"
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

/// A customer id as a hash-table key: its first 16 bytes inline, so that comparing two ids of up
/// to 16 bytes (most: "C123456", "00042") touches only the table, not the text the id came from.
struct IdKey {
  uint64_t head[2];
  std::string_view id;
  uint32_t hash;

  IdKey() : head{0, 0}, hash(0) {}
  CRMKIT_HOT_INLINE explicit IdKey(std::string_view s) : id(s) {
    const size_t n = s.size();
    head[0] = crmkit::detail::load_upto8(s.data(), std::min<size_t>(n, 8));
    head[1] = n > 8 ? crmkit::detail::load_upto8(s.data() + 8, std::min<size_t>(n - 8, 8)) : 0;
    uint64_t h = (head[0] ^ (uint64_t{n} << 56)) * 0xFF51AFD7ED558CCDull;
    h = (h ^ (h >> 32) ^ head[1]) * 0xC4CEB9FE1A85EC53ull;
    if (n > 16) h = (h ^ crmkit::detail::hash_bytes(s.substr(16))) * 0xFF51AFD7ED558CCDull;
    hash = static_cast<uint32_t>(h >> 32);  // a product's high half depends on every input bit
  }
};

/// Interns customer ids to dense indices in first-seen order: an open-addressing table whose
/// 32-byte slots hold an id's first 16 bytes, so that a lookup of a short id is one cache line.
/// prefetch() lets a reader request the line of a row's id while it parses the next rows: in a
/// log of a million customers nearly every lookup misses the cache, and overlapping the misses
/// is what makes the readers fast (benchmarks/RESULTS.md, issue 29: a 1.81 boost::unordered_flat_map,
/// which cannot prefetch, was measured against it). Keys view their bytes: the caller keeps them
/// alive (a reader's file buffer); intern_copy is for an id whose bytes do not outlive the call.
class IdTable {
 public:
  IdTable() { rehash(1024); }
  /// From now on, a new id's bytes are copied into the table (a reader whose buffer is reused).
  void own_keys() { own_keys_ = true; }
  CRMKIT_HOT_INLINE void prefetch(const IdKey& k) const { __builtin_prefetch(&slots_[k.hash & mask_]); }
  CRMKIT_HOT_INLINE uint32_t intern(const IdKey& k) {
    for (size_t i = k.hash & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.index1 == 0) return insert(s, k);
      if (s.hash == k.hash && s.size == k.id.size() && s.head[0] == k.head[0] && s.head[1] == k.head[1] &&
          (k.id.size() <= 16 || std::memcmp(keys_[s.index1 - 1].data() + 16, k.id.data() + 16, k.id.size() - 16) == 0))
        return s.index1 - 1;
    }
  }
  uint32_t intern(std::string_view id) { return intern(IdKey(id)); }
  uint32_t intern_copy(std::string_view id) {
    const bool own = own_keys_;
    own_keys_ = true;  // a new id's bytes go to the arena
    const uint32_t index = intern(IdKey(id));
    own_keys_ = own;
    return index;
  }
  /// The ids by index.
  const std::vector<std::string_view>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }

 private:
  struct Slot {  // all zero: empty (the table's memory comes zeroed)
    uint64_t head[2];
    uint32_t hash;
    uint32_t size;
    uint32_t index1;  ///< index + 1
    uint32_t unused;
  };
  static_assert(sizeof(Slot) == 32);
  uint32_t insert(Slot& s, const IdKey& k) {
    if (keys_.size() >= 0xFFFFFFFEu) throw std::length_error("more than 4 billion customer ids");
    const uint32_t index = static_cast<uint32_t>(keys_.size());
    s = Slot{{k.head[0], k.head[1]}, k.hash, static_cast<uint32_t>(k.id.size()), index + 1, 0};
    keys_.push_back(own_keys_ ? copy(k.id) : k.id);
    if (keys_.size() * 2 > mask_ + 1) rehash((mask_ + 1) * 2);
    return index;
  }
  void rehash(size_t n) {
    crmkit::detail::LargeBuffer fresh(n * sizeof(Slot), true);
    Slot* to = reinterpret_cast<Slot*>(fresh.data());
    const size_t mask = n - 1;
    for (size_t j = 0; j < (memory_.size() / sizeof(Slot)); ++j) {
      const Slot& s = slots_[j];
      if (s.index1 == 0) continue;
      size_t i = s.hash & mask;
      while (to[i].index1 != 0) i = (i + 1) & mask;
      to[i] = s;
    }
    memory_ = std::move(fresh);
    slots_ = to;
    mask_ = mask;
  }
  /// The id's bytes in the table's arena (blocks that never move).
  std::string_view copy(std::string_view id) {
    constexpr size_t kBlock = size_t{1} << 20;
    if (id.size() > kBlock) return owned_.emplace_back(id);  // a deque: its strings never move
    if (arena_.empty() || arena_used_ + id.size() > kBlock) {
      arena_.push_back(std::make_unique_for_overwrite<char[]>(kBlock));
      arena_used_ = 0;
    }
    char* at = arena_.back().get() + arena_used_;
    std::memcpy(at, id.data(), id.size());
    arena_used_ += id.size();
    return {at, id.size()};
  }
  crmkit::detail::LargeBuffer memory_;
  std::vector<std::unique_ptr<char[]>> arena_;
  size_t arena_used_ = 0;
  bool own_keys_ = false;
  Slot* slots_ = nullptr;
  size_t mask_ = 0;
  std::vector<std::string_view> keys_;
  std::deque<std::string> owned_;
};

}  // namespace crmkit::value::detail
