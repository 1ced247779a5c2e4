// Private: work on every core — a text cut into chunks of whole lines (the readers of big CSV
// files, the CLI's batch commands), an index range cut into parts (per-profile predictions).
// Results never depend on the number of cores: each part's output goes to its own slot.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <string_view>
#include <thread>
#include <vector>

namespace crmkit::detail {

/// The threads the library's parallel work uses: one per core, at most 8 (1 when unknown).
inline size_t worker_count() { return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8); }

/// The text cut into up to one chunk per core (at most 8), each of whole lines and at least
/// min_bytes long (a text under 2 × min_bytes is one chunk).
inline std::vector<std::string_view> line_chunks(std::string_view text, size_t min_bytes) {
  const size_t parts = std::clamp<size_t>(text.size() / std::max<size_t>(min_bytes, 1), 1, worker_count());
  std::vector<std::string_view> chunks;
  size_t begin = 0;
  for (size_t k = 0; k < parts; ++k) {
    size_t end = text.size();
    if (k + 1 < parts) {
      end = text.find('\n', std::max(begin, text.size() / parts * (k + 1)));
      end = end == std::string_view::npos ? text.size() : end + 1;
    }
    chunks.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return chunks;
}

/// The line number of each chunk's first line, the first chunk's being first_line.
inline std::vector<size_t> first_lines(const std::vector<std::string_view>& chunks, size_t first_line) {
  std::vector<size_t> out(chunks.size(), first_line);
  for (size_t k = 1; k < chunks.size(); ++k)
    out[k] = out[k - 1] + static_cast<size_t>(std::count(chunks[k - 1].begin(), chunks[k - 1].end(), '\n'));
  return out;
}

/// Calls f(k) for k in 0..n-1, each on its own thread (k = 0 on this one). When some throw, the
/// exception of the smallest k is rethrown after all have finished (the first error in a text).
template <class F>
void run_each(size_t n, F&& f) {
  std::vector<std::exception_ptr> failed(n);
  auto run = [&](size_t k) {
    try {
      f(k);
    } catch (...) {
      failed[k] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (size_t k = 1; k < n; ++k) threads.emplace_back(run, k);
  if (n > 0) run(0);
  for (auto& t : threads) t.join();
  for (auto& e : failed)
    if (e) std::rethrow_exception(e);
}

/// Calls f(begin, end) over 0..n cut into up to one part per core (at most 8) of at least
/// min_part indices, each on its own thread (the first exception rethrown, as run_each).
template <class F>
void run_ranges(size_t n, size_t min_part, F&& f) {
  const size_t parts = std::clamp<size_t>(n / std::max<size_t>(min_part, 1), 1, worker_count());
  run_each(parts, [&](size_t k) { f(n * k / parts, n * (k + 1) / parts); });
}

}  // namespace crmkit::detail
