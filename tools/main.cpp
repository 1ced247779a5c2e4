// crmkit — command-line front end of the library.
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <vector>

#include "cli.hpp"
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

std::string read_stdin() {
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) out.append(buf, n);
  if (std::ferror(stdin)) throw Error(Errc::io, "cannot read standard input");
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::io, fmt::format("cannot open '{}'", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
