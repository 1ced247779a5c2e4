// Hostile-input limits outside the workflow engine: file readers, the supported time range,
// CLV horizons and periods, non-finite and negative numbers, and README's limits table.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "common/checks.hpp"
#include "common/files.hpp"
#include "crmkit/calendar.hpp"
#include "crmkit/error.hpp"
#include "crmkit/limits.hpp"
#include "crmkit/money.hpp"
#include "crmkit/tiering.hpp"
#include "crmkit/time.hpp"
#include "crmkit/value.hpp"
#include "crmkit/workflow.hpp"

using namespace crmkit;

namespace {

Errc code_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return Errc::ok;
}

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string temp_file(const std::string& content) {
  char path[] = "/tmp/crmkit_limits_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  close(fd);
  return path;
}

}  // namespace

TEST_CASE("file readers refuse devices and directories at once") {
  CHECK(code_of([] { detail::read_file("/dev/zero", "summary"); }) == Errc::invalid_argument);
  CHECK(message_of([] { detail::read_file("/dev/zero", "summary"); }).find("'/dev/zero'") != std::string::npos);
  CHECK(code_of([] { detail::read_file("/tmp", "summary"); }) == Errc::invalid_argument);
  CHECK(code_of([] { detail::read_file("/nonexistent/x.csv", "summary"); }) == Errc::io);
  // Every module's from_file goes through it.
  CHECK(code_of([] { Calendar::from_file("/dev/zero"); }) == Errc::invalid_argument);
  CHECK(code_of([] { tiering::Config::from_file("/dev/zero"); }) == Errc::invalid_argument);
  CHECK(code_of([] { value::read_transactions_file("/dev/urandom"); }) == Errc::invalid_argument);
}

TEST_CASE("a regular file above the cap is refused naming it; at the cap it is read") {
  const std::string path = temp_file(std::string(100, 'x'));
  CHECK(detail::read_file(path, "transactions", 100).size() == 100);
  CHECK(code_of([&] { detail::read_file(path, "transactions", 99); }) == Errc::limit);
  CHECK(message_of([&] { detail::read_file(path, "transactions", 99); }).find(path) != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("an endless pipe stops at the cap with Error(limit)") {
  std::signal(SIGPIPE, SIG_IGN);  // the writer sees EPIPE once the reader gives up
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::thread writer([w = fds[1]] {
    const std::string chunk(4096, 'z');
    while (write(w, chunk.data(), chunk.size()) > 0) {
    }
    close(w);
  });
  const std::string path = "/dev/fd/" + std::to_string(fds[0]);
  CHECK(code_of([&] { detail::read_file(path, "event log", 1 << 20); }) == Errc::limit);
  close(fds[0]);  // ends the writer
  writer.join();
}

TEST_CASE("a pipe within the cap is read whole") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  REQUIRE(write(fds[1], "ID,x,t_x,T\n", 11) == 11);
  close(fds[1]);
  CHECK(detail::read_descriptor(fds[0], "input", "standard input", 11).view() == "ID,x,t_x,T\n");
  close(fds[0]);
}

TEST_CASE("a redirected file is read from where it stands, to the byte at the cap") {
  char name[] = "/tmp/crmkit-limits-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "C" + std::to_string(i) + ",2026-01-01,1.5\n";
  REQUIRE(write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
  REQUIRE(lseek(fd, 7, SEEK_SET) == 7);  // a reader before us took 7 bytes
  CHECK(detail::read_descriptor(fd, "input", "standard input", body.size() - 7).view() == std::string_view(body).substr(7));
  REQUIRE(lseek(fd, 7, SEEK_SET) == 7);
  CHECK(code_of([&] { detail::read_descriptor(fd, "input", "standard input", body.size() - 8); }) == Errc::limit);
  REQUIRE(lseek(fd, 0, SEEK_END) > 0);  // at its end: empty
  CHECK(detail::read_descriptor(fd, "input", "standard input", 10).view().empty());
  close(fd);
  // The same file by path, through the configuration reader (std::string) and the data reader.
  CHECK(detail::read_file(name, "input", body.size()) == body);
  CHECK(detail::read_file_buffer(name, "input", body.size()).view() == body);
  CHECK(code_of([&] { detail::read_file(name, "input", body.size() - 1); }) == Errc::limit);
  std::remove(name);
}

TEST_CASE("one supported time range") {
  CHECK(format_utc(Instant::from_unix_seconds(kFirstSupportedUnixSeconds)) == "1900-01-01T00:00:00Z");
  CHECK(format_utc(Instant::from_unix_seconds(kLastSupportedUnixSeconds)) == "2499-12-31T23:59:59Z");
  CHECK(in_supported_range(Instant::from_unix_seconds(kFirstSupportedUnixSeconds)));
  CHECK(in_supported_range(Instant::from_unix_seconds(kLastSupportedUnixSeconds)));
  CHECK_FALSE(in_supported_range(Instant::from_unix_seconds(kFirstSupportedUnixSeconds - 1)));
  CHECK_FALSE(in_supported_range(Instant::from_unix_seconds(kLastSupportedUnixSeconds + 1)));
  CHECK_FALSE(in_supported_range(Instant::from_unix_seconds(INT64_MIN)));
  // Calendars use it to the second.
  Calendar cal;
  CHECK(cal.is_working(Instant::from_unix_seconds(kLastSupportedUnixSeconds)));
  CHECK(code_of([&] { cal.is_working(Instant::from_unix_seconds(kLastSupportedUnixSeconds + 1)); }) ==
        Errc::invalid_argument);
  CHECK(code_of([&] { cal.is_working(Instant::from_unix_seconds(kFirstSupportedUnixSeconds - 1)); }) ==
        Errc::invalid_argument);
}

TEST_CASE("CLV horizon and simple-CLV periods are bounded") {
  value::BgNbd bg{0.24, 4.4, 0.79, 2.4};
  value::GammaGamma gg{6.25, 3.74, 15.4};
  std::vector<value::CustomerSummary> rows{{2, 30, 38, 20}};
  value::ClvOptions o;
  o.horizon_months = value::kMaxHorizonMonths;
  CHECK(value::predict(bg, gg, rows, 10, o).size() == 1);
  o.horizon_months = value::kMaxHorizonMonths + 1;
  CHECK(code_of([&] { value::predict(bg, gg, rows, 10, o); }) == Errc::limit);
  CHECK(message_of([&] { value::predict(bg, gg, rows, 10, o); }).find("horizon_months") != std::string::npos);
  CHECK(std::isfinite(value::simple_clv(10, 0.9, 0.01, value::kMaxSimpleClvPeriods)));
  CHECK(code_of([] { value::simple_clv(10, 0.9, 0.01, value::kMaxSimpleClvPeriods + 1); }) == Errc::limit);
  CHECK(code_of([] { value::simple_clv(NAN, 0.9, 0.01, 3); }) == Errc::invalid_argument);
  CHECK(code_of([] { value::simple_clv_perpetual(INFINITY, 0.9, 0.01); }) == Errc::invalid_argument);
}

TEST_CASE("NaN, infinite or negative spend is refused naming the field and the customer id") {
  value::BgNbd bg{0.24, 4.4, 0.79, 2.4};
  value::GammaGamma gg{6.25, 3.74, 15.4};
  value::SummaryTable table{{"C-1", "C-2"}, {{2, 30, 38, 20}, {1, 10, 38, 20}}};
  for (double bad : {double(NAN), double(INFINITY), -1.0}) {
    table.rows[1].m = bad;
    const std::string msg = message_of([&] { value::predict_table(bg, gg, table, 10); });
    CHECK(msg.find("customer 'C-2'") != std::string::npos);
    CHECK(msg.find("m (mean spend)") != std::string::npos);
    CHECK(code_of([&] { value::predict_table(bg, gg, table, 10); }) == Errc::invalid_argument);
    CHECK(message_of([&] { value::predict(bg, gg, table.rows, 10); }).find("customer 1") != std::string::npos);
  }
  table.rows[1].m = 20;
  bg.alpha = NAN;
  CHECK(message_of([&] { value::predict_table(bg, gg, table, 10); }).find("bgnbd.alpha") != std::string::npos);
  // The summary CSV reader names the customer as well as the line.
  const std::string msg = message_of([] { value::read_summary_csv("ID,x,t_x,T,zbar\nA-7,1,2,3,-4\n"); });
  CHECK(msg.find("line 2") != std::string::npos);
  CHECK(msg.find("customer 'A-7'") != std::string::npos);
}

TEST_CASE("summaries of extreme days do not overflow") {
  const uint32_t customer[2] = {0, 0};
  const int32_t day[2] = {INT32_MIN, INT32_MAX - 1};
  const double amount[2] = {1, 2};
  value::CustomerSummary out[1];
  uint8_t observed[1];
  value::summarize_columns(customer, day, amount, 2, 1, INT32_MAX, value::PeriodUnit::day, out, observed);
  CHECK(out[0].t_x == static_cast<double>(int64_t{INT32_MAX} - 1 - INT32_MIN));
  CHECK(out[0].T == static_cast<double>(int64_t{INT32_MAX} - INT32_MIN));
}

TEST_CASE("tier counters and revenues are bounded") {
  tiering::Config c;
  auto grade = tiering::individual_tier(0, c);
  CHECK(code_of([&] { tiering::rerate(grade, "gold", INT32_MAX, c); }) == Errc::invalid_argument);
  CHECK(tiering::rerate(grade, "gold", tiering::kMaxPeriodsBelow, c).change == "downgrade");
  CHECK(code_of([&] { tiering::enterprise_grade('A', -INFINITY, c); }) == Errc::invalid_argument);
  CHECK(code_of([&] { tiering::individual_tier(NAN, c); }) == Errc::invalid_argument);
}

TEST_CASE("checked products and finite checks") {
  CHECK(detail::checked_product(3, 8, "n") == 24);
  CHECK(code_of([] { detail::checked_product(SIZE_MAX, 3, "n"); }) == Errc::limit);
  CHECK(code_of([] { detail::checked_product(SIZE_MAX / 2, 2, "n"); }) == Errc::limit);  // past PTRDIFF_MAX
  CHECK(message_of([] { detail::require_finite(-1, detail::Sign::nonnegative, "spend"); }).find("spend") == 0);
  CHECK(code_of([] { detail::require_finite(0, detail::Sign::positive, "q"); }) == Errc::invalid_argument);
  CHECK(code_of([] { detail::require_finite(-0.5, detail::Sign::any, "margin"); }) == Errc::ok);
}

TEST_CASE("README's limits table quotes every limit constant") {
  std::ifstream in(std::string(CRMKIT_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const auto section = readme.find("## Limits");
  REQUIRE(section != std::string::npos);
  const std::string table = readme.substr(section);
  for (const char* name : {"kMaxDataFileBytes", "kMaxConfigFileBytes", "kFirstSupportedUnixSeconds",
                           "kLastSupportedUnixSeconds", "kMaxHorizonMonths", "kMaxSimpleClvPeriods", "kMaxPeriodsBelow",
                           "kMaxEventJsonBytes", "kMaxDescriptionBytes", "kMaxFieldBytes", "kMaxCases", "kMaxEventsPerCase",
                           "kMaxCasePoolBytes", "kMaxEscalationLevel", "kMaxAmount", "kMaxMinorUnits", "kMaxDeclaredFields",
                           "kMaxWorkflows", "kMaxWorkflowVersion"})
    CHECK_MESSAGE(table.find(name) != std::string::npos, name);
  // ... with the values the headers define.
  CHECK(kMaxDataFileBytes == size_t{1} << 30);
  CHECK(table.find("1 GiB") != std::string::npos);
  CHECK(kMaxConfigFileBytes == size_t{16} << 20);
  CHECK(table.find("16 MiB") != std::string::npos);
  CHECK(table.find(std::to_string(value::kMaxHorizonMonths)) != std::string::npos);
  CHECK(table.find("100,000") != std::string::npos);
  CHECK(value::kMaxSimpleClvPeriods == 100'000);
  CHECK(table.find(std::to_string(tiering::kMaxPeriodsBelow)) != std::string::npos);
  CHECK(table.find(std::string(kSupportedRangeText)) != std::string::npos);
  CHECK(workflow::kMaxEventJsonBytes == 64 * 1024);
  CHECK(workflow::kMaxDescriptionBytes == 16 * 1024);
  CHECK(workflow::kMaxFieldBytes == 4 * 1024);
  CHECK(workflow::kMaxCases == 50'000'000);
  CHECK(table.find("50,000,000") != std::string::npos);
  CHECK(workflow::kMaxEventsPerCase == 100'000);
  CHECK(workflow::kMaxCasePoolBytes == (size_t{1} << 32) - (size_t{64} << 20));
  CHECK(table.find("4 GiB − 64 MiB") != std::string::npos);
  CHECK(sla::kMaxEscalationLevel == 15);
  CHECK(table.find("0..15") != std::string::npos);
  CHECK(money::kMaxAmount == 9e14);
  CHECK(money::kMaxMinorUnits == 9'000'000'000'000'000'000);
  CHECK(table.find("0 .. 900,000,000,000,000 (9·10^18 minor units)") != std::string::npos);
  CHECK(workflow::kMaxDeclaredFields == 128);
  CHECK(table.find("| 128 |") != std::string::npos);
  CHECK(workflow::kMaxWorkflows == 255);
  CHECK(table.find("| 255 |") != std::string::npos);
  CHECK(workflow::kMaxWorkflowVersion == 65535);
  CHECK(table.find("| 1..65535 |") != std::string::npos);
}
