// The one codec of an audit record's data in a case's pool, used by apply and by the breach
// path of sweep (which encodes an engine-made escalate Event through the same function), and
// read back by queries, the KPI report and the snapshot loader's check.
//
// Layout after the record's id: one item per field, [code u8] then, by the field's Wire
// (internal.hpp, the field table): text [len u32][bytes], byte [u8], i64 [8 bytes], f64 [8
// bytes, IEEE 754]; integers little-endian whatever the host. Built-in fields first in Field
// order with the note last of them, then the declared fields the event set, in its order. Codes:
// built-in fields their Field value (0..Field::count_ - 1); declared fields kFirstDeclaredCode + position in
// the case's Definition::fields(). Codes are persisted (snapshots hold the pools).
#pragma once

#include <bit>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "workflow/engine_impl.hpp"

namespace crmkit::workflow {

namespace codec_detail {
inline constexpr uint32_t kNumericFields =
    (1u << static_cast<unsigned>(Field::manual)) | (1u << static_cast<unsigned>(Field::level)) |
    (1u << static_cast<unsigned>(Field::amount)) | (1u << static_cast<unsigned>(Field::note));
/// Not in records: the case holds its workflow version.
inline constexpr uint32_t kNotRecorded =
    (1u << static_cast<unsigned>(Field::workflow)) | (1u << static_cast<unsigned>(Field::workflow_version));

/// The text fields an event's record holds (the note when it is not empty).
inline uint32_t text_fields(const Event& e) {
  uint32_t bits = e.present & ~(kNumericFields | kNotRecorded);
  if (!e.note.empty()) bits |= 1u << static_cast<unsigned>(Field::note);
  return bits;
}

/// T in little-endian byte order (a no-op on little-endian hosts; C++20 has no std::byteswap).
template <class T>
inline T to_le(T v) {
  if constexpr (std::endian::native == std::endian::big) {
    if constexpr (sizeof(T) == 8) v = static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
    else v = static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  }
  return v;
}
template <class T>
inline void put_le(char*& p, T v) {
  v = to_le(v);
  std::memcpy(p, &v, sizeof v);
  p += sizeof v;
}
template <class T>
inline T get_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return to_le(v);
}
inline void put_text(char*& p, std::string_view s) {
  put_le(p, static_cast<uint32_t>(s.size()));
  std::memcpy(p, s.data(), s.size());
  p += s.size();
}
}  // namespace codec_detail

/// Bytes an attribute takes in a record (its Wire follows from its kind: the engine accepted it
/// only with the kind its declared type needs).
inline size_t encoded_attribute_size(const Attribute& a) {
  return a.kind == Attribute::Kind::number ? 9 : a.kind == Attribute::Kind::boolean ? 2 : 5 + a.text.size();
}

/// Bytes of encoded data (after the id) the event's record takes.
inline size_t encoded_data_size(const Event& e) {
  size_t data = 0;
  for (uint32_t bits = codec_detail::text_fields(e); bits; bits &= bits - 1)
    data += 5 + e.text(static_cast<Field>(__builtin_ctz(bits))).size();
  if (e.has(Field::manual)) data += 2;
  if (e.has(Field::level)) data += 2;
  if (e.has(Field::amount)) data += 9;
  for (const Attribute& a : e.attributes) data += encoded_attribute_size(a);
  return data;
}

/// Appends the event's id and its encoded data (`data` bytes: encoded_data_size(e), which
/// validation computed already) to the pool in one resize (many small appends cost a capacity
/// check and a memcpy call each); returns the data's length. `codes[i]` is the record code of
/// e.attributes[i] (validation found them). The caller has checked (in validation) that the pool
/// stays within kMaxCasePoolBytes.
inline uint32_t encode_record(const Event& e, size_t data, std::span<const uint8_t> codes, std::string& pool) {
  using namespace codec_detail;
  const uint32_t fields = text_fields(e);
  const size_t at = pool.size();
  pool.resize(at + e.id.size() + data);
  char* p = pool.data() + at;
  std::memcpy(p, e.id.data(), e.id.size());
  p += e.id.size();
  for (uint32_t bits = (e.present & ~kNotRecorded) | fields; bits; bits &= bits - 1) {
    const auto i = static_cast<unsigned>(__builtin_ctz(bits));
    const Field f = static_cast<Field>(i);
    if (f == Field::note) continue;
    *p++ = static_cast<char>(i);
    if (f == Field::manual) *p++ = e.manual ? 1 : 0;
    else if (f == Field::level) *p++ = static_cast<char>(e.level);
    else if (f == Field::amount) put_le(p, e.amount_cents);
    else put_text(p, e.text(f));
  }
  if (!e.note.empty()) {
    *p++ = static_cast<char>(Field::note);
    put_text(p, e.note);
  }
  for (size_t k = 0; k < e.attributes.size(); ++k) {
    const Attribute& a = e.attributes[k];
    *p++ = static_cast<char>(codes[k]);
    if (a.kind == Attribute::Kind::number) put_le(p, std::bit_cast<uint64_t>(a.number));
    else if (a.kind == Attribute::Kind::boolean) *p++ = a.boolean ? 1 : 0;
    else put_text(p, a.text);
  }
  return static_cast<uint32_t>(data);
}

/// One decoded item of a record: `text` for a text wire, `integer` for byte and i64, `real` for f64.
struct RecordItem {
  uint8_t code = 0;
  Wire wire = Wire::text;
  std::string_view text;
  int64_t integer = 0;
  double real = 0;
  bool builtin() const { return code < static_cast<uint8_t>(Field::count_); }
  Field field() const { return static_cast<Field>(code); }
};

/// Visits the decoded data of a record written under definition `d`: f(const RecordItem&).
/// Trusts the encoding (the snapshot loader checks it first: data_well_formed).
template <class F>
void decode_data(const std::string& pool, const Record& r, const Definition::Impl& d, F&& f) {
  using codec_detail::get_le;
  const char* p = pool.data() + r.off + r.id_len;
  const char* end = p + r.data_len;
  RecordItem item;
  while (p < end) {
    item.code = static_cast<uint8_t>(*p++);
    d.wire_of(item.code, item.wire);
    item.text = {};
    item.integer = 0;
    item.real = 0;
    switch (item.wire) {
      case Wire::byte: item.integer = static_cast<uint8_t>(*p++); break;
      case Wire::i64: item.integer = get_le<int64_t>(p), p += 8; break;
      case Wire::f64: item.real = std::bit_cast<double>(get_le<uint64_t>(p)), p += 8; break;
      default: {
        const uint32_t n = get_le<uint32_t>(p);
        item.text = std::string_view(p + 4, n);
        p += 4 + n;
      }
    }
    f(item);
  }
}

/// Visits the cases a case's records join or link it to (data.order, data.case of its link
/// events), in order: f(std::string_view case_id).
template <class F>
void for_each_linked_case(const CaseRec& c, const Definition::Impl& d, F&& f) {
  for (const Record& r : c.events)
    if (r.type != kSystemType && d.type_has_effect(r.type, Effect::link))
      decode_data(c.pool, r, d, [&](const RecordItem& item) {
        if (item.code == static_cast<uint8_t>(Field::order) || item.code == static_cast<uint8_t>(Field::case_ref)) f(item.text);
      });
}

}  // namespace crmkit::workflow
