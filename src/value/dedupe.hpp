// Private: collapses rows of K doubles to their distinct values with counts. Customer bases repeat
// the same (x, t_x, T) profiles over and over (CDNOW: 2,357 customers, 1,016 profiles; replicated
// data: the same 1,016), so likelihoods and predictions are evaluated once per profile.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "crmkit/error.hpp"

namespace crmkit::value::detail {

/// Weights of a weighted fit: none (every row counts once) or one finite weight >= 0 per row.
inline void check_weights(size_t n, std::span<const double> weights) {
  if (weights.empty()) return;
  if (weights.size() != n) throw Error(Errc::invalid_argument, "weights: one per customer row needed");
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(weights[i]) || weights[i] < 0)
      throw Error(Errc::invalid_argument,
                  "weights: row " + std::to_string(i) + ": weight must be finite and >= 0, got " + std::to_string(weights[i]));
}

template <size_t K>
struct Distinct {
  std::vector<std::array<double, K>> keys;  ///< distinct rows, in order of first appearance
  std::vector<double> count;                ///< how many input rows have keys[i]
  std::vector<uint32_t> of_row;             ///< input row -> index into keys (if requested)
};

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

inline uint64_t bits_of(double v) {
  if (v == 0) v = 0;  // -0.0 and 0.0 are one profile
  return std::bit_cast<uint64_t>(v);
}

/// `row(i)` returns the std::array<double, K> of input row i.
template <size_t K, class RowFn>
Distinct<K> distinct_rows(size_t n, RowFn row, bool want_mapping) {
  Distinct<K> out;
  size_t cap = 64;
  while (cap < n * 2) cap <<= 1;
  // Table sized for the worst case only when n is small; grow otherwise.
  if (cap > 1u << 16) cap = 1u << 16;
  std::vector<uint32_t> slots(cap, UINT32_MAX);
  std::vector<uint64_t> hashes;
  if (want_mapping) out.of_row.resize(n);
  auto hash_of = [](const std::array<double, K>& k) {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (double v : k) h = mix64(h ^ bits_of(v));
    return h;
  };
  auto same = [](const std::array<double, K>& a, const std::array<double, K>& b) {
    for (size_t j = 0; j < K; ++j)
      if (bits_of(a[j]) != bits_of(b[j])) return false;
    return true;
  };
  for (size_t i = 0; i < n; ++i) {
    std::array<double, K> k = row(i);
    uint64_t h = hash_of(k);
    size_t mask = slots.size() - 1;
    size_t s = h & mask;
    while (true) {
      uint32_t idx = slots[s];
      if (idx == UINT32_MAX) {
        idx = static_cast<uint32_t>(out.keys.size());
        slots[s] = idx;
        out.keys.push_back(k);
        out.count.push_back(1);
        hashes.push_back(h);
        if (want_mapping) out.of_row[i] = idx;
        if (out.keys.size() * 2 > slots.size()) {  // grow and reinsert
          std::vector<uint32_t> fresh(slots.size() * 2, UINT32_MAX);
          size_t m2 = fresh.size() - 1;
          for (uint32_t j = 0; j < out.keys.size(); ++j) {
            size_t t = hashes[j] & m2;
            while (fresh[t] != UINT32_MAX) t = (t + 1) & m2;
            fresh[t] = j;
          }
          slots.swap(fresh);
        }
        break;
      }
      if (hashes[idx] == h && same(out.keys[idx], k)) {
        out.count[idx] += 1;
        if (want_mapping) out.of_row[i] = idx;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  return out;
}

/// Puts the distinct rows in ascending (lexicographic) order, with their counts: a likelihood summed
/// in this order is the same whatever order the rows came in, so a fit on customers and one on a
/// merged profile table with counts give the same parameters to the last bit. of_row is dropped.
template <size_t K>
void sort_distinct(Distinct<K>& d) {
  std::vector<uint32_t> order(d.keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return d.keys[a] < d.keys[b]; });
  std::vector<std::array<double, K>> keys(order.size());
  std::vector<double> count(order.size());
  for (size_t i = 0; i < order.size(); ++i) keys[i] = d.keys[order[i]], count[i] = d.count[order[i]];
  d.keys = std::move(keys);
  d.count = std::move(count);
  d.of_row.clear();
}

}  // namespace crmkit::value::detail
