// Reading whole files for the modules' from_file functions.
#include "common/files.hpp"

#include <fstream>
#include <sstream>

namespace crmkit::detail {

std::string read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::io, fmt::format("cannot open {} '{}'", what, path));
  std::string text;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size >= 0) {  // a regular file: one read of the known size (transaction logs are large)
    text.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(text.data(), size);
  } else {  // a pipe or device: read to the end
    in.clear();
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (in.bad() || (!in && !in.eof())) throw Error(Errc::io, fmt::format("cannot read {} '{}'", what, path));
  return text;
}

}  // namespace crmkit::detail
