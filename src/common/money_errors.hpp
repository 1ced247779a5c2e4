// Private: the refusals of the money rule (crmkit/money.hpp), worded once for every kernel.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"

namespace crmkit::detail {

/// Error(invalid_argument) "<where>: amount must be a finite number in [0, 9e14], got <a>".
inline Error bad_amount(std::string_view where, double a) {
  return Error(Errc::invalid_argument,
               fmt::format("{}: amount must be a finite number in [0, {}], got {}", where, money::kMaxAmount, a));
}

/// Error(invalid_argument) "<where>: amount must be in [0, 9e18] minor units, got <a>".
inline Error bad_minor_amount(std::string_view where, int64_t a) {
  return Error(Errc::invalid_argument,
               fmt::format("{}: amount must be in [0, {}] minor units, got {}", where, money::kMaxMinorUnits, a));
}

/// Error(limit) "customer <who>: total amount above 9e14 (money::kMaxAmount)".
template <class Who>
Error total_past_limit(const Who& who) {
  return Error(Errc::limit, fmt::format("customer {}: total amount above {} (money::kMaxAmount)", who, money::kMaxAmount));
}

}  // namespace crmkit::detail
