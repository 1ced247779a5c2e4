// Shared by the C++ tests: what a call throws, as a code or a message; a temporary store path.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "crmkit/error.hpp"

namespace crmkit::testing {

/// The code of the crmkit::Error f throws, or Errc::ok when it returns.
inline Errc code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return Errc::ok;
}

/// The message of the crmkit::Error f throws, or "" when it returns.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

/// A store path in the temporary folder, unique per process and instance, removed (with its WAL,
/// shared-memory and lock files) before and after.
struct TempDb {
  std::string path;
  explicit TempDb(const std::string& prefix = "crmkit-test") {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".db")).string();
    clean();
  }
  ~TempDb() { clean(); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  void clean() const {
    for (const char* s : {"", "-wal", "-shm", "-lock"}) std::remove((path + s).c_str());
  }
};

}  // namespace crmkit::testing
