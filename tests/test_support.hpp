// Shared by the C++ tests: what a call throws, as a code or a message.
#pragma once

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

}  // namespace crmkit::testing
