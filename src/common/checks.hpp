// Private: the two argument checks every module shares (hostile sizes and non-finite numbers).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>

#include "crmkit/error.hpp"

namespace crmkit::detail {

/// count * size in bytes. Error(limit) naming `what` when the product is larger than any object
/// can be (PTRDIFF_MAX): a hostile count such as SIZE_MAX would otherwise wrap to a small
/// allocation and a large write, or reach std::vector as a length_error.
inline size_t checked_product(size_t count, size_t size, std::string_view what) {
  constexpr size_t kMaxObjectBytes = static_cast<size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  if (size != 0 && count > kMaxObjectBytes / size)
    throw Error(Errc::limit, fmt::format("{} = {}: {} elements of {} bytes do not fit in memory", what, count, count, size));
  return count * size;
}

/// What a finite double must also be.
enum class Sign { any, nonnegative, positive };

[[noreturn]] inline void throw_not_finite(double v, Sign sign, std::string_view field) {
  const char* need = sign == Sign::positive ? " > 0" : sign == Sign::nonnegative ? " >= 0" : "";
  throw Error(Errc::invalid_argument, fmt::format("{} must be a finite number{}, got {}", field, need, v));
}

/// Error(invalid_argument) "<field> must be a finite number[ >= 0 | > 0], got <v>" unless v is
/// finite and of the sign asked for. Callers add the row or customer id in front.
inline void require_finite(double v, Sign sign, std::string_view field) {
  const bool sign_ok = sign == Sign::any || (sign == Sign::nonnegative ? v >= 0 : v > 0);
  if (!std::isfinite(v) || !sign_ok) throw_not_finite(v, sign, field);
}

}  // namespace crmkit::detail
