// crmkit/money.hpp — how amounts of money are kept, summed and compared (docs/domain.md#money).
//
// Every sum of money in crmkit (RFM monetary totals and averages, the repeat spend m of the
// customer summaries, the spend behind individual tiers, customer equity) is exact: amounts are turned into
// integer minor units of 1/10,000 (four decimals: enough for every ISO 4217 currency, including
// the four-decimal units of account) and added as integers. The same transactions therefore give
// the same totals, averages, quintile thresholds and scores in any row order and any
// partitioning, on one machine or over crmkit.dask.
//
// The rule, one for the C++ API, the C API, the CLI and Python:
//   minor units = the amount (a double) times 10,000 in double arithmetic, rounded to the nearest
//                 integer, ties to even. An amount with more than four decimals is thus rounded
//                 to four (0.30000000000000004 is 0.3000; 0.00005 times 10,000 is 0.5 and rounds
//                 to 0; 1.00005 times 10,000 is 10000.500000000002 and rounds to 1.0001); one with
//                 at most four decimals (below 900 billion) is kept exactly.
//   amounts must be finite, >= 0 and <= kMaxAmount; so must every customer's total
//                 (Error(invalid_argument) for a bad amount, Error(limit) for a total past it,
//                 naming the row or the customer).
//   a total is reported as minor units / 10,000 (the double nearest to it); an average of n
//                 amounts as minor units / (n · 10,000), the double nearest to the exact quotient.
// Callers that keep integer minor units already (billing systems) pass them as they are to the
// `_minor` entry points and skip the rounding.
#pragma once

#include <cstdint>
#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#endif

namespace crmkit::money {

/// Decimals kept: amounts are integer multiples of 10^-kAmountDecimals.
inline constexpr int kAmountDecimals = 4;
/// Minor units per unit of currency (10^kAmountDecimals).
inline constexpr int64_t kMinorPerUnit = 10'000;
/// Largest amount, and largest total of one customer: 900 trillion units (9·10^18 minor units,
/// below INT64_MAX so that an int64 sum of two admissible values cannot overflow).
inline constexpr double kMaxAmount = 9e14;
inline constexpr int64_t kMaxMinorUnits = 9'000'000'000'000'000'000;

/// True when `amount` is a finite number in [0, kMaxAmount].
constexpr bool admissible(double amount) { return amount >= 0 && amount <= kMaxAmount; }
/// True when an amount in minor units is in [0, kMaxMinorUnits].
constexpr bool admissible_minor(int64_t minor) { return minor >= 0 && minor <= kMaxMinorUnits; }

/// Minor units of an admissible amount (see the rule above), in the default rounding mode (round
/// to nearest, ties to even). On x86-64 one cvtsd2si does it (std::llrint would be a libm call
/// unless built with -fno-math-errno); elsewhere, adding and subtracting 2^52 rounds a double in
/// [0, 2^52) to an integer, and larger doubles are integers already.
inline int64_t to_minor(double amount) {
  const double scaled = amount * static_cast<double>(kMinorPerUnit);
#if defined(__x86_64__) || defined(_M_X64)
  return _mm_cvtsd_si64(_mm_set_sd(scaled));
#else
  return static_cast<int64_t>(scaled < 0x1p52 ? (scaled + 0x1p52) - 0x1p52 : scaled);
#endif
}

/// The double nearest to minor / 10,000 (exact for totals below 2^53 minor units).
inline double to_amount(int64_t minor) {
  return static_cast<double>(minor) / static_cast<double>(kMinorPerUnit);
}

/// The average of `count` > 0 amounts totalling `minor` minor units: the double nearest to
/// minor / (count · 10,000) for totals below 2^53 minor units and counts below 2^53 / 10,000.
inline double average(int64_t minor, int64_t count) {
  return static_cast<double>(minor) / (static_cast<double>(count) * static_cast<double>(kMinorPerUnit));
}

/// total += minor unless the sum would pass kMaxMinorUnits (then false and total unchanged).
/// Both arguments must be in [0, kMaxMinorUnits].
inline bool add(int64_t& total, int64_t minor) {
  if (minor > kMaxMinorUnits - total) return false;
  total += minor;
  return true;
}

}  // namespace crmkit::money
