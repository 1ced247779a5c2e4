// The steps of `crmkit demo` after the calendar: customer value, segments and tiers, complaints
// and KPIs, and the optional HTML report.
#include <fmt/core.h>

#include <memory>

#include "crmkit/error.hpp"
#include "demo.hpp"

namespace crmkit::cli {

void demo_extensions(const Calendar&, const std::string& html_path) {
  std::unique_ptr<HtmlReport> html;
  if (!html_path.empty()) html = std::make_unique<HtmlReport>("crmkit demo report");
  DemoValue value = demo_value(html.get());
  if (html) {
    html->write(html_path);
    fmt::print("\nHTML report written to {}\n", html_path);
  }
}

}  // namespace crmkit::cli
