// The one codec of an audit record's data in a case's pool, used by apply and by the breach
// path of sweep (which encodes an engine-made escalate Event through the same function).
//
// Layout after the record's id: [field u8][len u32][bytes] for text fields, [field][u8] for
// manual and level, [field][i64] for amount; fields in Field order with the note last.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "workflow/engine_impl.hpp"

namespace crmkit::workflow {

namespace codec_detail {
inline constexpr uint32_t kNumericFields =
    (1u << static_cast<unsigned>(Field::manual)) | (1u << static_cast<unsigned>(Field::level)) |
    (1u << static_cast<unsigned>(Field::amount)) | (1u << static_cast<unsigned>(Field::note));

/// The text fields an event's record holds (the note when it is not empty).
inline uint32_t text_fields(const Event& e) {
  uint32_t bits = e.present & ~kNumericFields;
  if (!e.note.empty()) bits |= 1u << static_cast<unsigned>(Field::note);
  return bits;
}
}  // namespace codec_detail

/// Bytes of encoded data (after the id) the event's record takes.
inline size_t encoded_data_size(const Event& e) {
  size_t data = 0;
  for (uint32_t bits = codec_detail::text_fields(e); bits; bits &= bits - 1)
    data += 5 + e.text(static_cast<Field>(__builtin_ctz(bits))).size();
  if (e.has(Field::manual)) data += 2;
  if (e.has(Field::level)) data += 2;
  if (e.has(Field::amount)) data += 9;
  return data;
}

/// Appends the event's id and its encoded data (`data` bytes: encoded_data_size(e), which
/// validation computed already) to the pool in one resize (many small appends cost a capacity
/// check and a memcpy call each); returns the data's length. The caller has checked (in
/// validation) that the pool stays within kMaxCasePoolBytes.
inline uint32_t encode_record(const Event& e, size_t data, std::string& pool) {
  const uint32_t text_fields = codec_detail::text_fields(e);
  const size_t at = pool.size();
  pool.resize(at + e.id.size() + data);
  char* p = pool.data() + at;
  std::memcpy(p, e.id.data(), e.id.size());
  p += e.id.size();
  for (uint32_t bits = e.present | text_fields; bits; bits &= bits - 1) {
    const auto i = static_cast<unsigned>(__builtin_ctz(bits));
    const Field f = static_cast<Field>(i);
    if (f == Field::note) continue;
    *p++ = static_cast<char>(i);
    if (f == Field::manual) *p++ = e.manual ? 1 : 0;
    else if (f == Field::level) *p++ = static_cast<char>(e.level);
    else if (f == Field::amount) {
      std::memcpy(p, &e.amount_cents, 8);
      p += 8;
    } else {
      const std::string& str = e.text(f);
      const auto n = static_cast<uint32_t>(str.size());
      std::memcpy(p, &n, 4);
      std::memcpy(p + 4, str.data(), n);
      p += 4 + n;
    }
  }
  if (!e.note.empty()) {
    *p++ = static_cast<char>(Field::note);
    const auto n = static_cast<uint32_t>(e.note.size());
    std::memcpy(p, &n, 4);
    std::memcpy(p + 4, e.note.data(), n);
  }
  return static_cast<uint32_t>(data);
}

/// Visits the decoded data of a record: f(field, text, number).
template <class F>
void decode_data(const std::string& pool, const Record& r, F&& f) {
  const char* p = pool.data() + r.off + r.id_len;
  const char* end = p + r.data_len;
  while (p < end) {
    Field field = static_cast<Field>(static_cast<uint8_t>(*p++));
    if (field == Field::manual || field == Field::level) {
      f(field, std::string_view(), static_cast<int64_t>(static_cast<uint8_t>(*p++)));
    } else if (field == Field::amount) {
      int64_t v;
      std::memcpy(&v, p, 8);
      p += 8;
      f(field, std::string_view(), v);
    } else {
      uint32_t n;
      std::memcpy(&n, p, 4);
      p += 4;
      f(field, std::string_view(p, n), 0);
      p += n;
    }
  }
}

}  // namespace crmkit::workflow
