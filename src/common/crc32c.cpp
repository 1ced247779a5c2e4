// CRC-32C: Boost.CRC's definition, and the SSE4.2 instruction where the processor has it.
#include "common/crc32c.hpp"

#include <boost/crc.hpp>
#include <cstring>

namespace crmkit::detail {

namespace {

/// Castagnoli polynomial, reflected in and out, initial and final value all ones (RFC 3720).
/// With initial and final value zero the type carries the raw register, so it can continue a
/// running state.
using BoostRegister = boost::crc_optimal<32, 0x1EDC6F41, 0, 0, true, true>;

uint32_t update_portable(uint32_t state, const void* data, size_t n) noexcept {
  BoostRegister crc(state);
  crc.process_bytes(data, n);
  return crc.checksum();
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRMKIT_CRC32C_SSE42 1
[[gnu::target("sse4.2")]] uint32_t update_sse42(uint32_t state, const void* data, size_t n) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t s = state;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    s = __builtin_ia32_crc32di(s, word);
  }
  auto s32 = static_cast<uint32_t>(s);
  for (; n > 0; ++p, --n) s32 = __builtin_ia32_crc32qi(s32, *p);
  return s32;
}
#endif

using UpdateFn = uint32_t (*)(uint32_t, const void*, size_t) noexcept;

UpdateFn pick_update() noexcept {
#ifdef CRMKIT_CRC32C_SSE42
  if (__builtin_cpu_supports("sse4.2")) return update_sse42;
#endif
  return update_portable;
}

}  // namespace

void Crc32c::update(const void* data, size_t n) noexcept {
  static const UpdateFn fn = pick_update();  // chosen once (a local static: safe from any static initializer)
  state_ = fn(state_, data, n);
}

uint32_t Crc32c::reference(std::string_view bytes) noexcept {
  return ~update_portable(0xFFFFFFFFu, bytes.data(), bytes.size());
}

}  // namespace crmkit::detail
