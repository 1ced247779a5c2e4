// Private: the frame of every crmkit snapshot (engine and scheduler) and the bounded building
// blocks their serialize() functions share.
//
// A snapshot is a 24-byte header followed by a Boost.Serialization binary archive (flag
// no_header: the header below replaces Boost's). The header is written byte by byte in
// little-endian order, so any build can read it and say why it cannot read the rest:
//
//   offset size  field
//        0    8  magic: "crmkENG" + NUL (engine) or "crmkSCH" + NUL (scheduler)
//        8    4  format (u32): what the body holds; a build reads exactly one format per magic
//       12    1  byte order of the body: 1 little-endian, 2 big-endian (the writer's host)
//       13    1  sizeof(std::size_t) of the writer (8)
//       14    2  zero
//       16    8  body length in bytes (u64)
//       24    .  body
//
// The body is in the writer's byte order with fixed-width fields (Boost's binary archive copies
// each integer's bytes); a reader refuses another byte order or word size with Error(version).
// Every size read back from a body is checked against the bytes still unread before anything is
// allocated, so a corrupt or hostile snapshot cannot allocate more than it holds nor loop.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/array_wrapper.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "crmkit/error.hpp"

namespace crmkit::detail {

/// Which snapshot a header announces and the one format of it this build reads.
struct SnapshotKind {
  std::string_view magic;  ///< 8 bytes
  uint32_t format;
  const char* what;        ///< "engine snapshot", for messages
  bool legacy_numbered;    ///< format 1 of this kind wrote its format number (see legacy_format)
};

inline constexpr size_t kSnapshotHeaderBytes = 24;
inline constexpr uint8_t kLittleEndian = 1, kBigEndian = 2;
inline constexpr uint8_t kHostByteOrder = std::endian::native == std::endian::little ? kLittleEndian : kBigEndian;
inline constexpr unsigned kArchiveFlags = boost::archive::no_header | boost::archive::no_codecvt;

// ---- streams over memory -------------------------------------------------------------------

/// Copies n bytes: inline for the few bytes of one field (a memcpy call costs more than the copy).
/// (Loading only: std::string::append already does this when saving.)
inline void copy_bytes(char* to, const char* from, size_t n) {
  if (n <= 16) {
    for (size_t i = 0; i < n; ++i) to[i] = from[i];
  } else {
    std::memcpy(to, from, n);
  }
}

/// Appends what an archive writes to a string (reserved by the caller: no ostringstream copy).
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string& out_;
};

/// Reads an archive from bytes in memory and knows how many are left (the load budget).
class MemorySource : public std::streambuf {
 public:
  explicit MemorySource(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // the get area is only read
    setg(p, p, p + bytes.size());
  }
  uint64_t left() const { return static_cast<uint64_t>(egptr() - gptr()); }

 protected:
  std::streamsize xsgetn(char* s, std::streamsize n) override {
    const auto k = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(n), left()));
    copy_bytes(s, gptr(), k);
    setg(eback(), gptr() + k, egptr());
    return static_cast<std::streamsize>(k);
  }
};

/// A Boost archive helper (see Boost.Serialization "helper support"): the source of the archive
/// being read, so that serialize() functions can bound what they allocate.
struct ReadBudget {
  const MemorySource* source = nullptr;
};
inline char kReadBudgetId;  // the helper's key

template <class Archive>
uint64_t bytes_left(Archive& ar) {
  const ReadBudget& budget = ar.template get_helper<ReadBudget>(&kReadBudgetId);
  if (!budget.source) throw Error(Errc::internal, "snapshot: an archive read without a budget");
  return budget.source->left();
}

[[noreturn]] inline void corrupt(const std::string& what) { throw Error(Errc::corrupt, what); }

// ---- bounded building blocks for serialize() -----------------------------------------------

/// A count of elements about to be read, each at least `min_bytes` long: Error(corrupt) when the
/// bytes left cannot hold them.
template <class Archive>
uint64_t bounded_count(Archive& ar, uint64_t n, uint64_t min_bytes, const char* what) {
  if (n > bytes_left(ar) / std::max<uint64_t>(min_bytes, 1)) corrupt(fmt::format("{}: {} entries do not fit in the {} bytes left", what, n, bytes_left(ar)));
  return n;
}

/// A vector as a u64 count then its elements. Arithmetic elements are one block (Boost's array
/// optimization: their bytes, no padding); others go through `element(ar, e)`, by default their
/// own serialize(). Loading reserves no more than the bytes left can hold.
template <class Archive, class T, class Element>
void sequence(Archive& ar, std::vector<T>& v, Element&& element, const char* what = "a table") {
  uint64_t n = v.size();
  ar & n;
  if constexpr (std::is_arithmetic_v<T>) {
    if constexpr (Archive::is_loading::value) v.resize(static_cast<size_t>(bounded_count(ar, n, sizeof(T), what)));
    if (n != 0) ar & boost::serialization::make_array(v.data(), v.size());
  } else if constexpr (Archive::is_loading::value) {
    bounded_count(ar, n, 1, what);
    v.clear();
    v.reserve(static_cast<size_t>(std::min<uint64_t>(n, bytes_left(ar) / sizeof(T))));
    for (uint64_t i = 0; i < n; ++i) element(ar, v.emplace_back());
  } else {
    for (T& e : v) element(ar, e);
  }
}

template <class Archive, class T>
void sequence(Archive& ar, std::vector<T>& v, const char* what = "a table") {
  sequence(ar, v, [](Archive& a, T& e) { a & e; }, what);
}

/// A string as a u64 length then its bytes.
template <class Archive>
void text(Archive& ar, std::string& s, const char* what = "a string") {
  uint64_t n = s.size();
  ar & n;
  if constexpr (Archive::is_loading::value) s.resize(static_cast<size_t>(bounded_count(ar, n, 1, what)));
  if (n != 0) ar & boost::serialization::make_array(s.data(), s.size());
}

/// A fixed-size array of integers, element by element in one block (no count).
template <class Archive, class T, size_t N>
void fixed_array(Archive& ar, T (&a)[N]) {
  static_assert(std::is_arithmetic_v<T>);
  ar & boost::serialization::make_array(a, N);
}

/// A string-keyed hash map in key order (its iteration order is not deterministic); loading
/// refuses a key that occurs twice.
template <class Archive, class V>
void sorted_map(Archive& ar, std::unordered_map<std::string, V>& m, const char* what) {
  static_assert(std::is_arithmetic_v<V>);
  uint64_t n = m.size();
  ar & n;
  if constexpr (Archive::is_loading::value) {
    bounded_count(ar, n, sizeof(uint64_t) + sizeof(V), what);
    m.clear();
    for (uint64_t i = 0; i < n; ++i) {
      std::string key;
      V value{};
      text(ar, key);
      ar & value;
      if (!m.emplace(std::move(key), value).second) corrupt(fmt::format("{} holds a key twice", what));
    }
  } else {
    std::vector<std::pair<const std::string*, V>> entries;
    entries.reserve(m.size());
    for (const auto& [key, value] : m) entries.emplace_back(&key, value);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
    for (auto& [key, value] : entries) {
      text(ar, const_cast<std::string&>(*key));
      ar & value;
    }
  }
}

/// The class version Boost read for T (it passes it to serialize() but refuses no newer one): a
/// newer version than BOOST_CLASS_VERSION(T) is Error(version), an older one does not exist.
template <class T>
void check_class_version(unsigned found, const char* what) {
  constexpr unsigned reads = boost::serialization::version<T>::value;
  if (found > reads)
    throw Error(Errc::version, fmt::format("{} has class version {}; this build reads version {}", what, found, reads));
  if (found < reads) corrupt(fmt::format("{} has an unknown class version {}", what, found));
}

// ---- enums as explicit codes -------------------------------------------------------------

/// How an enum is stored: `values[code]` is the enumerator stored as the u8 `code`. The codes are
/// part of the snapshot format (the in-memory values of the enum may change); a code without an
/// enumerator is Error(corrupt) on load.
template <class E, size_t N>
struct EnumCodes {
  const char* what;
  std::array<E, N> values;

  uint8_t code_of(E e) const {
    for (size_t i = 0; i < N; ++i)
      if (values[i] == e) return static_cast<uint8_t>(i);
    throw Error(Errc::internal, fmt::format("snapshot: {} {} has no code", what, static_cast<int>(e)));
  }
  E value_of(uint8_t code) const {
    if (code >= N) corrupt(fmt::format("{} code {} out of range (0..{})", what, code, N - 1));
    return values[code];
  }
};

template <class Archive, class E, size_t N>
void enum_code(Archive& ar, E& e, const EnumCodes<E, N>& codes) {
  uint8_t code = 0;
  if constexpr (Archive::is_saving::value) code = codes.code_of(e);
  ar & code;
  if constexpr (Archive::is_loading::value) e = codes.value_of(code);
}

// ---- the frame -----------------------------------------------------------------------------

namespace frame {
inline void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
inline uint64_t get_le(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in[at + static_cast<size_t>(i)])} << (8 * i);
  return v;
}
inline const char* byte_order_name(uint8_t order) {
  return order == kLittleEndian ? "little-endian" : order == kBigEndian ? "big-endian" : "unknown-endian";
}

/// The format of a crmkit 0.1 snapshot (format 1: "<length>\n" then a Boost text archive); nullopt
/// when the bytes are not one. A numbered one (the engine's) has its format as the third token
/// after the archive signature; the scheduler's had none.
inline std::optional<uint32_t> legacy_format(std::string_view bytes, bool numbered) {
  const size_t nl = bytes.find('\n');
  if (nl == 0 || nl > 20 || nl == std::string_view::npos) return std::nullopt;
  for (size_t i = 0; i < nl; ++i)
    if (bytes[i] < '0' || bytes[i] > '9') return std::nullopt;
  constexpr std::string_view kSignature = "22 serialization::archive ";
  std::string_view rest = bytes.substr(nl + 1);
  if (!rest.starts_with(kSignature)) return std::nullopt;
  if (!numbered) return 1;
  rest.remove_prefix(kSignature.size());
  std::string_view tokens[3];  // library version, the engine magic's length (22), the format
  for (auto& t : tokens) {
    const size_t end = rest.find(' ');
    t = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  uint32_t format = 0;
  if (tokens[1] != "22" || tokens[2].empty() || tokens[2].size() > 9) return 1;
  for (char c : tokens[2]) {
    if (c < '0' || c > '9') return 1;
    format = format * 10 + static_cast<uint32_t>(c - '0');
  }
  return format;
}

/// Checks a header; returns the body. Error(version) for another format, byte order or word size.
inline std::string_view body_of(std::string_view bytes, const SnapshotKind& kind) {
  auto refuse_format = [&](uint64_t found) {
    throw Error(Errc::version, fmt::format("{} format {} cannot be read by this build, which reads format {}", kind.what, found,
                                           kind.format));
  };
  if (bytes.size() < kSnapshotHeaderBytes || bytes.substr(0, 8) != kind.magic) {
    if (auto legacy = legacy_format(bytes, kind.legacy_numbered)) refuse_format(*legacy);
    if (bytes.size() < kSnapshotHeaderBytes && kind.magic.starts_with(bytes.substr(0, 8)) && !bytes.empty())
      corrupt(fmt::format("{} truncated in its header ({} bytes)", kind.what, bytes.size()));
    corrupt(fmt::format("the bytes are not a crmkit {}", kind.what));
  }
  const uint64_t format = get_le(bytes, 8, 4);
  if (format != kind.format) refuse_format(format);
  const auto order = static_cast<uint8_t>(bytes[12]);
  const auto word = static_cast<uint8_t>(bytes[13]);
  if (order != kHostByteOrder || word != sizeof(std::size_t))
    throw Error(Errc::version, fmt::format("{} written on a {} host with {}-byte words; this build reads {}, {}-byte words", kind.what,
                                           byte_order_name(order), word, byte_order_name(kHostByteOrder), sizeof(std::size_t)));
  if (get_le(bytes, 14, 2) != 0) corrupt(fmt::format("{} header has unknown flags", kind.what));
  const uint64_t length = get_le(bytes, 16, 8);
  const uint64_t present = bytes.size() - kSnapshotHeaderBytes;
  if (length != present)
    corrupt(fmt::format("{} {}: its body has {} bytes of {}", kind.what, length > present ? "truncated" : "with trailing bytes",
                        present, length));
  return bytes.substr(kSnapshotHeaderBytes);
}
}  // namespace frame

/// A snapshot: header, then the archive `write(binary_oarchive&)` fills. `expected_bytes`
/// reserves the output (growing a string of many megabytes copies it several times).
template <class Write>
std::string write_snapshot(const SnapshotKind& kind, size_t expected_bytes, Write&& write) {
  std::string out;
  out.reserve(kSnapshotHeaderBytes + expected_bytes);
  out.append(kind.magic);
  frame::put_le(out, kind.format, 4);
  out.push_back(static_cast<char>(kHostByteOrder));
  out.push_back(static_cast<char>(sizeof(std::size_t)));
  frame::put_le(out, 0, 2);
  frame::put_le(out, 0, 8);  // the body's length, set below
  {
    StringSink sink(out);
    boost::archive::binary_oarchive ar(sink, kArchiveFlags);
    write(ar);
  }
  std::string length;
  frame::put_le(length, out.size() - kSnapshotHeaderBytes, 8);
  out.replace(16, 8, length);
  return out;
}

/// Reads a snapshot: the header is checked, then `read(binary_iarchive&)` must consume the whole
/// body. Errors other than Error(version) come out as Error(corrupt).
template <class Read>
void read_snapshot(std::string_view bytes, const SnapshotKind& kind, Read&& read) {
  const std::string_view body = frame::body_of(bytes, kind);
  try {
    MemorySource source(body);
    boost::archive::binary_iarchive ar(source, kArchiveFlags);
    ar.template get_helper<ReadBudget>(&kReadBudgetId).source = &source;
    read(ar);
    if (source.left() != 0) corrupt(fmt::format("{} bytes after the last field", source.left()));
  } catch (const Error& e) {
    if (e.code() == Errc::version) throw;
    throw Error(Errc::corrupt, fmt::format("{}: {}", kind.what, e.what()));
  } catch (const boost::archive::archive_exception& e) {
    throw Error(Errc::corrupt, fmt::format("{} unreadable ({}): truncated or damaged", kind.what, e.what()));
  } catch (const std::exception& e) {
    throw Error(Errc::corrupt, fmt::format("{} unreadable: {}", kind.what, e.what()));
  }
}

}  // namespace crmkit::detail
