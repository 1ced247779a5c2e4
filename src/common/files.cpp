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

}  // namespace

/// The one read loop: fd to its end into a buffer of `capacity` bytes, doubling (a copy) while it
/// fills, never holding more than max_bytes + 1 (enough to tell "exactly the cap" from "more").
/// Not zero-filled first: the bytes are written once, by read().
FileBuffer read_to_end(int fd, size_t capacity, std::string_view what, std::string_view name, size_t max_bytes) {
  capacity = std::clamp<size_t>(capacity, 1, max_bytes + 1);
  FileBuffer out;
  out.data_ = LargeBuffer(capacity, false);
  for (;;) {
    if (out.size_ == capacity) {
      if (capacity > max_bytes) too_big(what, name, max_bytes);
      const size_t grown = std::min(capacity * 2, max_bytes + 1);
      LargeBuffer bigger(grown, false);
      std::memcpy(bigger.data(), out.data_.data(), out.size_);
      out.data_ = std::move(bigger);
      capacity = grown;
    }
    const ssize_t got = ::read(fd, out.data_.data() + out.size_, capacity - out.size_);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      throw Error(Errc::io, fmt::format("cannot read {} '{}': {}", what, name, std::strerror(err)));
    }
    if (got == 0) break;
    out.size_ += static_cast<size_t>(got);
  }
  if (out.size_ > max_bytes) too_big(what, name, max_bytes);
  return out;
}

FileBuffer read_descriptor(int fd, std::string_view what, std::string_view name, size_t max_bytes) {
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0;
  // A redirected file: the rest of it plus one byte, so that one read ends it. Otherwise 64 KiB.
  const off_t at = regular ? ::lseek(fd, 0, SEEK_CUR) : -1;
  const size_t capacity = regular && at >= 0 && at <= st.st_size ? static_cast<size_t>(st.st_size - at) + 1 : size_t{1} << 16;
  return read_to_end(fd, capacity, what, name, max_bytes);
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
  return std::string(read_file_buffer(path, what, max_bytes).view());  // configuration files: small
}

FileBuffer read_file_buffer(const std::string& path, std::string_view what, size_t max_bytes) {
  const DataFile file = open_data_file(path, what, max_bytes);
  return read_to_end(file.fd, file.regular ? file.size + 1 : size_t{1} << 16, what, path, max_bytes);
}

}  // namespace crmkit::detail
