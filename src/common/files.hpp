// Private: reading the configuration and data files every module loads.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "crmkit/error.hpp"

namespace crmkit::detail {

/// The whole file. Error(io) naming `what` and the path when it cannot be opened or read.
std::string read_file(const std::string& path, std::string_view what);

/// parse(text of the file); an Error from parse keeps its code and gets the path in front, so a
/// message names both the file and the field ("data/x.json: policy.clocks.a.target: ...").
template <class Parse>
auto parse_file(const std::string& path, std::string_view what, Parse&& parse) {
  const std::string text = read_file(path, what);
  try {
    return parse(text);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace crmkit::detail
