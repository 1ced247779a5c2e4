// Private: reading the configuration and data files every module loads.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "common/large_buffer.hpp"
#include "crmkit/error.hpp"
#include "crmkit/limits.hpp"

namespace crmkit::detail {

/// The whole file: a regular file or a pipe (a FIFO, /dev/stdin on a pipe). Anything else (a
/// directory, /dev/zero, a terminal, a socket) is refused with Error(invalid_argument), since
/// reading a device to its end may never finish. Error(limit) when the file holds more than
/// max_bytes (a regular file is refused before reading; a pipe at the first byte past the cap).
/// Error(io) when it cannot be opened or read. Every message names `what` and the path.
std::string read_file(const std::string& path, std::string_view what, size_t max_bytes = kMaxDataFileBytes);

/// An open data file (closed on destruction): a regular file of `size` bytes, or a pipe.
struct DataFile {
  int fd = -1;
  bool regular = false;
  size_t size = 0;
  DataFile() = default;
  DataFile(DataFile&& other) noexcept : fd(other.fd), regular(other.regular), size(other.size) { other.fd = -1; }
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;
  ~DataFile();
};

/// Opens a data file as read_file does: Error(io) when it cannot be opened, Error(invalid_argument)
/// for anything but a regular file or a pipe, Error(limit) for a regular file past max_bytes
/// (before it is read). Messages name `what` and the path.
DataFile open_data_file(const std::string& path, std::string_view what, size_t max_bytes = kMaxDataFileBytes);

/// A whole file in one buffer, read without copying it (for the data readers, which parse it in
/// place). Not mmap: a file truncated while mapped would kill the host process
/// with SIGBUS; a read sees the bytes as they were.
class FileBuffer {
 public:
  std::string_view view() const { return {data_.data(), size_}; }

 private:
  friend FileBuffer read_to_end(int fd, size_t capacity, std::string_view what, std::string_view name, size_t max_bytes);
  LargeBuffer data_;
  size_t size_ = 0;
};

/// read_file into a FileBuffer: the same kinds of file, limits and errors.
FileBuffer read_file_buffer(const std::string& path, std::string_view what, size_t max_bytes = kMaxDataFileBytes);

/// All of an already open descriptor from where it stands (standard input: any kind of file, since
/// the caller chose it), at most max_bytes: Error(limit) past it, Error(io) on a read error. `name`
/// is for messages.
FileBuffer read_descriptor(int fd, std::string_view what, std::string_view name, size_t max_bytes);
/// The loop both use: reads fd to its end into a buffer starting at `capacity` bytes.
FileBuffer read_to_end(int fd, size_t capacity, std::string_view what, std::string_view name, size_t max_bytes);

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
