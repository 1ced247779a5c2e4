// The steps of `crmkit demo` that use the workflow and value modules.
#include <fmt/core.h>

#include "crmkit/error.hpp"
#include "demo.hpp"

namespace crmkit::cli {

void demo_extensions(const Calendar&, const std::string& html_path) {
  if (!html_path.empty())
    throw Error(Errc::invalid_argument, "--html needs the complaint and value steps, which this build does not have yet");
}

}  // namespace crmkit::cli
