// Private: how snapshots store bulk data. Inside a PayloadScope, vectors of plain structs and
// long strings do not go through the Boost.Serialization archive element by element (millions of
// audit records and clocks would take seconds to format and parse): the archive records their
// sizes and the bytes go to a binary payload appended after it, copied with memcpy. Sizes read
// back are checked against the bytes actually present, so a hostile snapshot cannot make us
// allocate more than it holds. The payload is little-endian with fixed-width fields; crmkit
// builds only on little-endian hosts (checked here), so snapshots move between machines.
#pragma once

#include <bit>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <boost/serialization/binary_object.hpp>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "crmkit/error.hpp"

namespace crmkit::detail {

static_assert(std::endian::native == std::endian::little, "crmkit snapshots assume a little-endian host");

/// The side payload of the archive being written or read on this thread.
struct Payload {
  std::string* out = nullptr;  // saving
  std::string_view in;         // loading
  size_t pos = 0;

  static Payload*& current() {
    thread_local Payload* p = nullptr;
    return p;
  }
  void take(void* dst, size_t n) {
    if (n > in.size() - pos) throw Error(Errc::corrupt, "snapshot: the binary payload is truncated");
    std::memcpy(dst, in.data() + pos, n);
    pos += n;
  }
};

/// Makes `p` the payload of archives on this thread while in scope (scopes nest).
class PayloadScope {
 public:
  explicit PayloadScope(Payload& p) : previous_(Payload::current()) { Payload::current() = &p; }
  ~PayloadScope() { Payload::current() = previous_; }
  PayloadScope(const PayloadScope&) = delete;
  PayloadScope& operator=(const PayloadScope&) = delete;

 private:
  Payload* previous_;
};

/// Length-prefixed framing of archive + payload: "<archive bytes>\n<archive><payload>".
inline std::string frame(const std::string& archive, const std::string& payload) {
  std::string out = std::to_string(archive.size());
  out += '\n';
  out += archive;
  out += payload;
  return out;
}

/// Splits framed bytes; Error(corrupt) when the frame is malformed.
inline void unframe(std::string_view bytes, std::string_view& archive, std::string_view& payload) {
  size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos || nl == 0 || nl > 20) throw Error(Errc::corrupt, "snapshot: no frame header");
  uint64_t n = 0;
  for (size_t i = 0; i < nl; ++i) {
    if (bytes[i] < '0' || bytes[i] > '9') throw Error(Errc::corrupt, "snapshot: bad frame header");
    n = n * 10 + static_cast<uint64_t>(bytes[i] - '0');
  }
  if (n > bytes.size() - nl - 1) throw Error(Errc::corrupt, "snapshot: truncated archive");
  archive = bytes.substr(nl + 1, static_cast<size_t>(n));
  payload = bytes.substr(nl + 1 + static_cast<size_t>(n));
  // Boost reads its signature as a length-prefixed string: check it before Boost allocates.
  if (!archive.starts_with("22 serialization::archive ")) throw Error(Errc::corrupt, "snapshot: not a text archive");
}

template <class Archive>
void bulk_bytes(Archive& ar, void* data, uint64_t n) {
  if (n == 0) return;
  if (Payload* p = Payload::current()) {
    if constexpr (Archive::is_loading::value) p->take(data, static_cast<size_t>(n));
    else p->out->append(static_cast<const char*>(data), static_cast<size_t>(n));
  } else {
    auto blob = boost::serialization::make_binary_object(data, static_cast<std::size_t>(n));
    ar & blob;
  }
}

/// The bytes that can still back a table being loaded (a hostile count is refused before it allocates).
inline uint64_t loadable_bytes(uint64_t fallback) {
  if (Payload* p = Payload::current()) return p->in.size() - p->pos;
  return fallback;
}

template <class Archive, class T>
void pod_vector(Archive& ar, std::vector<T>& v, uint64_t max_elements) {
  static_assert(std::is_trivially_copyable_v<T>);
  uint64_t n = v.size();
  ar & n;
  if constexpr (Archive::is_loading::value) {
    if (n > max_elements || n > loadable_bytes(UINT64_MAX) / sizeof(T))
      throw Error(Errc::corrupt, "snapshot: a table is larger than the snapshot");
    v.resize(static_cast<size_t>(n));
  }
  bulk_bytes(ar, v.data(), n * sizeof(T));
}

/// A string as its length + bytes; on load the length must not exceed `max_bytes` nor the bytes left.
template <class Archive>
void bounded_string(Archive& ar, std::string& s, uint64_t max_bytes) {
  uint64_t n = s.size();
  ar & n;
  if constexpr (Archive::is_loading::value) {
    if (n > max_bytes || n > loadable_bytes(UINT64_MAX)) throw Error(Errc::corrupt, "snapshot: a string is longer than the snapshot");
    s.resize(static_cast<size_t>(n));
  }
  bulk_bytes(ar, s.data(), n);
}

/// A framed snapshot: write(archive) fills a text archive whose bulk tables (pod_vector,
/// bounded_string) go to the binary payload after it.
template <class Write>
std::string save_framed(Write&& write) {
  std::ostringstream os;
  std::string payload;
  Payload side;
  side.out = &payload;
  {
    PayloadScope scope(side);
    boost::archive::text_oarchive ar(os);
    write(ar);
  }
  return frame(os.str(), payload);
}

/// Reads a framed snapshot back: read(archive) with its payload in scope. The frame and the
/// archive signature are checked first (Error(corrupt)); read's own errors pass through.
template <class Read>
void load_framed(std::string_view bytes, Read&& read) {
  std::string_view archive_text, payload;
  unframe(bytes, archive_text, payload);
  Payload side;
  side.in = payload;
  PayloadScope scope(side);
  std::istringstream is{std::string(archive_text)};
  boost::archive::text_iarchive ar(is);
  read(ar);
}

}  // namespace crmkit::detail
