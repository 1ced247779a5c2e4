// The crmkit command-line tool: each tools/cmd_*.cpp registers its subcommands here.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/files.hpp"

namespace crmkit::cli {

/// Adds one top-level subcommand (and its callbacks) to the app.
using Setup = void (*)(CLI::App& app);

/// Called from a static initializer in each command file; `order` sorts --help.
int register_command(int order, Setup setup);

/// Path of a shipped data file ("calendars/cn-2026.json"): $CRMKIT_DATA_DIR, the source tree's
/// data/ (when run from a build tree), or the installed share/crmkit/.
std::string data_path(const std::string& relative);

/// --workflow (repeatable: files or folders) and --policy (a file, or a folder of one policy per
/// workflow file name) on a command that builds an engine.
void add_workflow_options(CLI::App& cmd, std::vector<std::string>& workflows, std::string& policy);
/// The workflow paths and policy path those options stand for: the shipped folders by default
/// (every shipped workflow with its policy); with --workflow but no --policy, the shipped
/// policies/default.json.
std::pair<std::vector<std::string>, std::string> workflow_paths(const std::vector<std::string>& workflows, const std::string& policy);

/// Reads all of standard input / a file: Error(io) if it cannot, Error(limit) past
/// kMaxDataFileBytes, Error(invalid_argument) for a path that is not a regular file or a pipe.
/// The bytes are read once into a buffer that is not zero-filled first (view() to parse them).
detail::FileBuffer read_stdin();
detail::FileBuffer read_file(const std::string& path);

/// A CSV field as written (RFC 4180): quoted when it holds a comma, a quote or a line break,
/// quotes doubled.
std::string csv_field(std::string_view field);

/// A number as CSV or JSON text with every digit it has: the shortest decimal that reads back as
/// the same double, in fixed notation (2.5e-11 is 0.000000000025), padded with zeros to at least
/// min_decimals decimals (12.5 with 2 is 12.50). "nan", "inf" and "-inf" for the non-finite.
std::string decimal(double v, int min_decimals = 0);
/// decimal() appended to out (no allocation: for large outputs).
void append_decimal(std::string& out, double v, int min_decimals = 0);

/// Writes `header`, then rows 0..n-1 formatted by format_row(i, std::string& out) (appending), to
/// standard output. Rows are formatted on every core, in blocks of consecutive rows each thread
/// formats into its own buffer, and written in order; memory is one block per core. Throws
/// Error(io) when standard output cannot be written (a full disk, a closed pipe).
void write_rows(std::string_view header, size_t n, const std::function<void(size_t, std::string&)>& format_row);

/// A progress line on standard error for a job that can take more than a few seconds, shown only
/// when standard error is a terminal (never in a pipe or a log file) and `enabled`: at most once a
/// second, "\r<job>: 42 % (what)", cleared by done().
class Progress {
 public:
  Progress(std::string job, bool enabled);
  void update(double fraction, const std::string& what);
  void done();

 private:
  std::string job_;
  bool on_;
  bool shown_ = false;
  double last_ = 0;  ///< seconds since start of the last line shown
  double start_;
};

/// Calls f(line, number) for each line of text (LF or CRLF, the CR removed), numbers from 1.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  size_t pos = 0, number = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line, ++number);
    pos = end + 1;
  }
}

}  // namespace crmkit::cli

#define CRMKIT_CLI_CONCAT2(a, b) a##b
#define CRMKIT_CLI_CONCAT(a, b) CRMKIT_CLI_CONCAT2(a, b)
#define CRMKIT_CLI_COMMAND(order, fn) \
  static const int CRMKIT_CLI_CONCAT(crmkit_cli_registration_, __LINE__) = ::crmkit::cli::register_command(order, fn)
