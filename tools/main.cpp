// crmkit — command-line front end of the library.
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <exception>
#include <vector>

#include <unistd.h>

#include "cli.hpp"
#include "common/files.hpp"
#include "common/parallel.hpp"
#include "crmkit/error.hpp"
#include "crmkit/version.hpp"

namespace crmkit::cli {
namespace {
std::vector<std::pair<int, Setup>>& registry() {
  static std::vector<std::pair<int, Setup>> r;
  return r;
}
}  // namespace

int register_command(int order, Setup setup) {
  registry().emplace_back(order, setup);
  return 0;
}

void add_workflow_options(CLI::App& cmd, std::vector<std::string>& workflows, std::string& policy) {
  cmd.add_option("--workflow", workflows,
                 "Workflow definition JSON, or a folder of them (repeatable; the first loaded is the default; default: every "
                 "shipped workflow, data/workflows/)");
  cmd.add_option("--policy", policy,
                 "SLA policy JSON for every workflow, or a folder holding one per workflow file name (default: the shipped "
                 "policies/, or policies/default.json with --workflow)");
}

std::pair<std::vector<std::string>, std::string> workflow_paths(const std::vector<std::string>& workflows, const std::string& policy) {
  if (workflows.empty()) return {{data_path("workflows")}, policy.empty() ? data_path("policies") : policy};
  return {workflows, policy.empty() ? data_path("policies/default.json") : policy};
}

std::string data_path(const std::string& relative) {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("CRMKIT_DATA_DIR"); env && *env) return (fs::path(env) / relative).string();
  for (const char* dir : {CRMKIT_SOURCE_DATA_DIR, CRMKIT_INSTALL_DATA_DIR}) {
    fs::path p = fs::path(dir) / relative;
    std::error_code ec;
    if (fs::exists(p, ec)) return p.string();
  }
  return (fs::path(CRMKIT_INSTALL_DATA_DIR) / relative).string();
}

// Both read through the library's reader: the same size cap (kMaxDataFileBytes) and, for a
// path, no devices, so `--summary /dev/zero` fails at once instead of filling memory.
detail::FileBuffer read_stdin() {
  return detail::read_descriptor(STDIN_FILENO, "input", "standard input", kMaxDataFileBytes);
}

detail::FileBuffer read_file(const std::string& path) { return detail::read_file_buffer(path, "input file", kMaxDataFileBytes); }

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char ch : field) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + '"';
}

void append_decimal(std::string& out, double v, int min_decimals) {
  // std::to_chars in fixed notation without a precision gives the shortest digits that read back
  // as v (the same as fmt's "{}", checked on 12 M values), never an exponent: one call where fmt's
  // "{}" then a rewrite of its exponent form took three times as long. 330 characters hold any
  // double.
  char buf[336];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  const std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out += s;
  if (!std::isfinite(v)) return;  // "nan", "inf", "-inf"
  const size_t dot = s.find('.');
  const int have = dot == std::string_view::npos ? 0 : static_cast<int>(s.size() - dot - 1);
  if (have < min_decimals) {
    if (dot == std::string_view::npos) out += '.';
    out.append(static_cast<size_t>(min_decimals - have), '0');
  }
}

std::string decimal(double v, int min_decimals) {
  std::string out;
  append_decimal(out, v, min_decimals);
  return out;
}

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Progress::Progress(std::string job, bool enabled)
    : job_(std::move(job)), on_(enabled && ::isatty(STDERR_FILENO) == 1), start_(now_seconds()) {}

void Progress::update(double fraction, const std::string& what) {
  if (!on_) return;
  const double t = now_seconds() - start_;
  if (t - last_ < 1.0) return;
  last_ = t;
  shown_ = true;
  fmt::print(stderr, "\r{}: {:.0f} % ({}, {:.0f} s)\x1b[K", job_, 100 * std::clamp(fraction, 0.0, 1.0), what, t);
}

void Progress::done() {
  if (shown_) fmt::print(stderr, "\r\x1b[K");
  shown_ = false;
}

void write_rows(std::string_view header, size_t n, const std::function<void(size_t, std::string&)>& format_row) {
  auto write = [](std::string_view text) {
    if (!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size())
      throw Error(Errc::io, "cannot write standard output");
  };
  write(header);
  constexpr size_t kBlock = 32768;  // rows per thread and round
  const size_t threads = detail::worker_count();
  std::vector<std::string> buffers(threads);
  for (size_t begin = 0; begin < n; begin += kBlock * threads) {
    const size_t blocks = std::min(threads, (n - begin + kBlock - 1) / kBlock);
    detail::run_each(blocks, [&](size_t t) {
      buffers[t].clear();
      const size_t from = begin + t * kBlock, to = std::min(n, from + kBlock);
      for (size_t i = from; i < to; ++i) format_row(i, buffers[t]);
    });
    for (size_t t = 0; t < blocks; ++t) write(buffers[t]);
  }
  if (std::fflush(stdout) != 0) throw Error(Errc::io, "cannot write standard output");
}

}  // namespace crmkit::cli

int main(int argc, char** argv) {
  CLI::App app{"crmkit — customer-care rules: business calendars, SLA clocks, complaints, tiers, RFM and CLV"};
  app.name("crmkit");
  app.set_version_flag("--version", std::string("crmkit ") + crmkit::kVersion);
  app.require_subcommand(1);
  auto& reg = crmkit::cli::registry();
  std::stable_sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : reg) setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const crmkit::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "crmkit: error ({}): {}\n", crmkit::errc_name(e.code()), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "crmkit: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
