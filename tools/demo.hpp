// Shared pieces of `crmkit demo`.
#pragma once

#include <string>

#include "crmkit/calendar.hpp"

namespace crmkit::cli {

bool stderr_is_terminal();
/// One-line progress on stderr, only when it is a terminal.
void progress(const std::string& step);
void progress_done();
void section(const std::string& title);

/// The demo steps beyond the calendar (customer value, complaints, KPIs, HTML report).
void demo_extensions(const Calendar& calendar, const std::string& html_path);

}  // namespace crmkit::cli
