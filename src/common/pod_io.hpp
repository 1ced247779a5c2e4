// Private: vectors of plain structs inside Boost.Serialization archives as one binary object
// each (base64 in text archives) instead of field by field — an order of magnitude faster for
// the millions of audit records and clocks a snapshot holds. The bytes are little-endian; crmkit
// only builds on little-endian hosts (checked here), so snapshots move between machines.
#pragma once

#include <bit>
#include <boost/serialization/binary_object.hpp>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "crmkit/error.hpp"

namespace crmkit::detail {

static_assert(std::endian::native == std::endian::little, "crmkit snapshots assume a little-endian host");

template <class Archive, class T>
void pod_vector(Archive& ar, std::vector<T>& v, uint64_t max_elements) {
  static_assert(std::is_trivially_copyable_v<T>);
  uint64_t n = v.size();
  ar & n;
  if constexpr (Archive::is_loading::value) {
    if (n > max_elements) throw Error(Errc::corrupt, "snapshot: a table is larger than possible");
    v.resize(static_cast<size_t>(n));
  }
  if (n > 0) {
    auto blob = boost::serialization::make_binary_object(v.data(), static_cast<std::size_t>(n * sizeof(T)));
    ar & blob;
  }
}

}  // namespace crmkit::detail

namespace crmkit::detail {

/// A string as length + binary object; on load the length must not exceed `max_bytes` (the size
/// of the whole snapshot is a safe bound: a hostile length cannot make us allocate more).
template <class Archive>
void bounded_string(Archive& ar, std::string& s, uint64_t max_bytes) {
  uint64_t n = s.size();
  ar & n;
  if constexpr (Archive::is_loading::value) {
    if (n > max_bytes) throw Error(Errc::corrupt, "snapshot: a string is longer than the snapshot");
    s.resize(static_cast<size_t>(n));
  }
  if (n > 0) {
    auto blob = boost::serialization::make_binary_object(s.data(), static_cast<std::size_t>(n));
    ar & blob;
  }
}

}  // namespace crmkit::detail
