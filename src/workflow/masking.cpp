// Masking of personal data as a case is read (docs/domain.md#case-records-and-personal-data):
// pure functions over text, the same for every output (case JSON, exports, the C API, Python).
#include <string>
#include <vector>

#include "crmkit/workflow.hpp"

namespace crmkit::workflow {

namespace {

/// Length of the UTF-8 character starting at `p` (1 for an invalid lead byte or a truncated
/// sequence: masking never reads past the value and never splits a character it keeps).
size_t char_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

}  // namespace

std::string mask_value(std::string_view value, MaskRule rule) {
  std::vector<size_t> starts;  // byte offset of each character
  for (size_t i = 0; i < value.size(); i += char_len(value, i)) starts.push_back(i);
  const size_t n = starts.size();
  // Never more than half of the characters stay, the leading ones first.
  const size_t budget = n / 2;
  const size_t first = std::min<size_t>(rule.keep_first, budget);
  const size_t last = std::min<size_t>(rule.keep_last, budget - first);
  std::string out;
  out.reserve(value.size());
  for (size_t k = 0; k < n; ++k) {
    if (k < first || k >= n - last) {
      const size_t end = k + 1 < n ? starts[k + 1] : value.size();
      out.append(value.substr(starts[k], end - starts[k]));
    } else {
      out.push_back('*');
    }
  }
  return out;
}

std::string mask_free_text(std::string_view text) {
  std::string out(text);
  size_t i = 0;
  while (i < out.size()) {
    if (out[i] < '0' || out[i] > '9') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && out[j] >= '0' && out[j] <= '9') ++j;
    if (j - i >= 7)
      for (size_t k = i; k + 4 < j; ++k) out[k] = '*';
    i = j;
  }
  return out;
}

}  // namespace crmkit::workflow
