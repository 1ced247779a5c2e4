// Masking of personal data as a case is read (docs/domain.md#case-records-and-personal-data):
// pure functions over text, the same for every output (case JSON, exports, the C API, Python).
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "crmkit/error.hpp"
#include "workflow/internal.hpp"

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

void check_personal_data_role(const Definition& definition, std::string_view role) {
  const Definition::Impl& d = definition.impl();
  if (role.empty() || d.personal_role(role)) return;
  throw Error(Errc::permission,
              d.personal_roles.empty()
                  ? fmt::format("role '{}' may not read personal data: workflow '{}' lists no personal_data_roles", role, d.name)
                  : fmt::format("role '{}' may not read personal data of workflow '{}' (personal_data_roles: {})", role, d.name,
                                fmt::join(d.personal_roles, ", ")));
}

void mask_personal_data(Event& e, const Definition& definition) {
  for (size_t i = 0; i < static_cast<size_t>(Field::count_); ++i) {
    const auto f = static_cast<Field>(i);
    // A free-text field is a text member of the event: text() gives it (const only; e is ours).
    if (builtin(f).free_text) const_cast<std::string&>(e.text(f)) = mask_free_text(e.text(f));
  }
  for (Attribute& a : e.attributes)
    if (const FieldDef* f = definition.field(a.key); f && f->personal && a.kind == Attribute::Kind::string)
      a.text = mask_value(a.text, f->mask);
}

}  // namespace crmkit::workflow
