// Reading whole files for the modules' from_file functions, with a size cap and no devices.
#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace crmkit::detail {

namespace {

[[noreturn]] void too_big(std::string_view what, std::string_view name, size_t max_bytes) {
  throw Error(Errc::limit, fmt::format("{} '{}' is larger than the maximum of {} bytes", what, name, max_bytes));
}

/// Reads fd to its end into text (appending), failing once it holds more than max_bytes.
void read_all(int fd, std::string& text, std::string_view what, std::string_view name, size_t max_bytes) {
  constexpr size_t kChunk = size_t{1} << 16;
  for (;;) {
    const size_t used = text.size();
    // Read at most one byte past the cap: enough to tell "exactly the cap" from "more".
    const size_t room = std::max(kChunk, text.capacity() - used);  // a regular file: one read
    const size_t want = std::min(room, max_bytes - std::min(max_bytes, used) + 1);
    text.resize(used + want);
    const ssize_t got = ::read(fd, text.data() + used, want);
    if (got < 0 && errno == EINTR) {
      text.resize(used);
      continue;
    }
    if (got < 0) {
      const int err = errno;
      throw Error(Errc::io, fmt::format("cannot read {} '{}': {}", what, name, std::strerror(err)));
    }
    text.resize(used + static_cast<size_t>(got));
    if (got == 0) return;
    if (text.size() > max_bytes) too_big(what, name, max_bytes);
  }
}

}  // namespace

std::string read_descriptor(int fd, std::string_view what, std::string_view name, size_t max_bytes) {
  std::string text;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uintmax_t>(st.st_size) <= max_bytes)
    text.reserve(static_cast<size_t>(st.st_size) + 1);  // a redirected file: one read, no regrowth
  read_all(fd, text, what, name, max_bytes);
  return text;
}

DataFile::~DataFile() {
  if (fd >= 0) ::close(fd);
}

DataFile open_data_file(const std::string& path, std::string_view what, size_t max_bytes) {
  DataFile file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) throw Error(Errc::io, fmt::format("cannot open {} '{}'", what, path));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) throw Error(Errc::io, fmt::format("cannot read {} '{}'", what, path));
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw Error(Errc::invalid_argument, fmt::format("{} '{}' is not a regular file or a pipe", what, path));
  file.regular = S_ISREG(st.st_mode);
  file.size = file.regular ? static_cast<size_t>(st.st_size) : 0;
  if (file.regular && static_cast<uintmax_t>(st.st_size) > max_bytes) too_big(what, path, max_bytes);
  return file;
}

std::string read_file(const std::string& path, std::string_view what, size_t max_bytes) {
  const DataFile file = open_data_file(path, what, max_bytes);
  std::string text;
  if (file.regular) text.reserve(file.size + 1);  // one allocation
  read_all(file.fd, text, what, path, max_bytes);
  return text;
}

FileBuffer read_file_buffer(const std::string& path, std::string_view what, size_t max_bytes) {
  const DataFile file = open_data_file(path, what, max_bytes);
  // A regular file: its size plus one byte, so that one read ends it (a file that grew meanwhile
  // gets more room). A pipe: 64 KiB, doubling.
  size_t capacity = file.regular ? file.size + 1 : size_t{1} << 16;
  FileBuffer out;
  out.data_ = LargeBuffer(capacity, false);
  for (;;) {
    if (out.size_ == capacity) {
      if (capacity > max_bytes) too_big(what, path, max_bytes);
      const size_t grown = std::min(capacity * 2, max_bytes + 1);
      LargeBuffer bigger(grown, false);
      std::memcpy(bigger.data(), out.data_.data(), out.size_);
      out.data_ = std::move(bigger);
      capacity = grown;
    }
    const ssize_t got = ::read(file.fd, out.data_.data() + out.size_, capacity - out.size_);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      throw Error(Errc::io, fmt::format("cannot read {} '{}': {}", what, path, std::strerror(err)));
    }
    if (got == 0) break;
    out.size_ += static_cast<size_t>(got);
  }
  if (out.size_ > max_bytes) too_big(what, path, max_bytes);
  return out;
}

}  // namespace crmkit::detail
