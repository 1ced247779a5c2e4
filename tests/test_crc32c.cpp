// CRC-32C: the hardware path (where the processor has SSE4.2) equals Boost's definition, for
// every length and alignment and in pieces, and the standard check value holds.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "common/crc32c.hpp"

using crmkit::detail::Crc32c;
using crmkit::detail::crc32c;

TEST_CASE("CRC-32C: the check value of RFC 3720 / the Rocksoft model") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32c::reference("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
}

TEST_CASE("CRC-32C: every length, offset and split gives Boost's value") {
  std::mt19937_64 rng(42);
  std::string data(4096 + 64, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 9; ++offset)
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{15}, size_t{64}, size_t{1000}, size_t{4096}}) {
      const std::string_view bytes(data.data() + offset, n);
      CAPTURE(offset);
      CAPTURE(n);
      CHECK(crc32c(bytes) == Crc32c::reference(bytes));
      for (size_t cut : {size_t{0}, n / 3, n / 2}) {
        Crc32c pieces;
        pieces.update(bytes.substr(0, cut));
        pieces.update(bytes.substr(cut));
        CHECK(pieces.value() == Crc32c::reference(bytes));
      }
    }
}
