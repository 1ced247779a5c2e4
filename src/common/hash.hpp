// Private: the string hash of the library's tables (ids, symbols).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

// Forces inlining of the few small functions on every row's or event's path (GCC declines otherwise).
#if defined(__GNUC__)
#define CRMKIT_HOT_INLINE [[gnu::always_inline]] inline
#else
#define CRMKIT_HOT_INLINE inline
#endif

namespace crmkit::detail {

/// Up to 8 bytes as a little-endian word, zero-padded, in fixed-size loads: a memcpy of a
/// variable length followed by an 8-byte load stalls on store forwarding.
CRMKIT_HOT_INLINE uint64_t load_upto8(const char* p, size_t n) {
  if (n >= 4) {
    uint32_t lo, hi;  // two overlapping 4-byte loads; the overlap holds the same bytes in both
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return uint64_t{lo} | (uint64_t{hi} << ((n - 4) * 8));
  }
  if (n == 0) return 0;
  return uint64_t{static_cast<uint8_t>(p[0])} | (uint64_t{static_cast<uint8_t>(p[n / 2])} << (n / 2 * 8)) |
         (uint64_t{static_cast<uint8_t>(p[n - 1])} << ((n - 1) * 8));
}

/// A hash of a short string, 8 bytes at a time (customer ids and symbols are mostly under 16
/// bytes, where byte-wise hashes such as FNV-1a cost more than the table lookup).
CRMKIT_HOT_INLINE uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  h = (h ^ load_upto8(s.data() + i, s.size() - i)) * 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 29;
  return h;
}

/// hash_bytes as a hash functor; boost's flat tables mix it further (it is not marked avalanching).
struct StringHash {
  size_t operator()(std::string_view s) const noexcept { return static_cast<size_t>(hash_bytes(s)); }
};

}  // namespace crmkit::detail
