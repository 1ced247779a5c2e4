// Private: reading the configuration and data files every module loads.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/limits.hpp"

namespace crmkit::detail {

/// The whole file: a regular file or a pipe (a FIFO, /dev/stdin on a pipe). Anything else (a
/// directory, /dev/zero, a terminal, a socket) is refused with Error(invalid_argument), since
/// reading a device to its end may never finish. Error(limit) when the file holds more than
/// max_bytes (a regular file is refused before reading; a pipe at the first byte past the cap).
/// Error(io) when it cannot be opened or read. Every message names `what` and the path.
std::string read_file(const std::string& path, std::string_view what, size_t max_bytes = kMaxDataFileBytes);

/// All of an already open descriptor (standard input: any kind of file, since the caller chose
/// it), at most max_bytes: Error(limit) past it, Error(io) on a read error. `name` is for messages.
std::string read_descriptor(int fd, std::string_view what, std::string_view name, size_t max_bytes);

/// parse(text of the file); an Error from parse keeps its code and gets the path in front, so a
/// message names both the file and the field ("data/x.json: policy.clocks.a.target: ...").
template <class Parse>
auto parse_file(const std::string& path, std::string_view what, Parse&& parse, size_t max_bytes = kMaxConfigFileBytes) {
  const std::string text = read_file(path, what, max_bytes);
  try {
    return parse(text);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace crmkit::detail
