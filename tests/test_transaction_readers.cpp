// The transaction readers on inputs big enough to be parsed in chunks on several threads: the
// result must be what a row-by-row reading gives (rows in file order, ids by first appearance,
// bad rows by file line), whatever falls on a chunk boundary.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/files.hpp"
#include "crmkit/error.hpp"
#include "crmkit/value.hpp"

using namespace crmkit;
using namespace crmkit::value;

namespace {

/// A generated log and what a row-by-row reader must make of it.
struct Expected {
  std::string text;
  std::vector<std::string> ids;  // by first appearance
  std::vector<uint32_t> customer;
  std::vector<int32_t> day;
  std::vector<double> amount;
  std::vector<size_t> bad_lines;
};

/// About `rows` rows (> 8 MiB for 400,000: several chunks) with a BOM, a header, CRLF and LF line
/// ends, blank lines, quoted ids with commas and doubled quotes, ids longer than 16 bytes that
/// share their first 16, and a bad row every `bad_every` rows.
Expected generate(size_t rows, size_t bad_every) {
  Expected e;
  std::mt19937_64 rng(5);
  std::vector<std::string> pool;
  for (int i = 0; i < 5000; ++i) {
    switch (i % 5) {
      case 0: pool.push_back(fmt::format("C{}", i)); break;
      case 1: pool.push_back(fmt::format("customer-with-a-long-id-{:08}", i)); break;  // same first 16 bytes
      case 2: pool.push_back(fmt::format("z, inc {}", i)); break;                       // quoted: a comma
      case 3: pool.push_back(fmt::format("say \"hi\" {}", i)); break;                    // quoted: doubled quotes
      default: pool.push_back(fmt::format("{:05}", i)); break;
    }
  }
  std::vector<int> index_of(pool.size(), -1);
  e.text = "\xEF\xBB\xBF" "customer_id,date,amount\r\n";
  size_t line = 1;
  const auto base = static_cast<int32_t>(CivilDate{2024, 1, 1}.days_since_epoch());
  for (size_t r = 0; r < rows; ++r) {
    ++line;
    if (r % 997 == 0) {  // a blank line (skipped, but counted)
      e.text += r % 2 ? "\r\n" : "\n";
      ++line;
    }
    if (bad_every && r % bad_every == bad_every / 2) {
      e.text += r % 3 ? "x,2024-02-30,1\n" : "y,2024-01-01,-5\r\n";
      e.bad_lines.push_back(line);
      continue;
    }
    const size_t p = rng() % pool.size();
    const int d = static_cast<int>(rng() % 366);
    const double amount = static_cast<double>(rng() % 100000) / 100;
    std::string field = pool[p];
    if (field.find(',') != std::string::npos || field.find('"') != std::string::npos) {
      std::string quoted = "\"";
      for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      field = quoted + "\"";
    }
    const CivilDate date = CivilDate::from_days_since_epoch(base + d);
    e.text += fmt::format("{},{:04}-{:02}-{:02},{:.2f}{}", field, date.year, date.month, date.day, amount,
                          r % 4 ? "\n" : "\r\n");
    if (index_of[p] < 0) {
      index_of[p] = static_cast<int>(e.ids.size());
      e.ids.push_back(pool[p]);
    }
    e.customer.push_back(static_cast<uint32_t>(index_of[p]));
    e.day.push_back(base + d);
    e.amount.push_back(amount);
  }
  return e;
}

void check_log(const TransactionLog& log, const Expected& e) {
  REQUIRE(log.size() == e.customer.size());
  CHECK(log.customer_ids == e.ids);
  CHECK(log.customer == e.customer);
  CHECK(log.day == e.day);
  CHECK(log.amount == e.amount);
  REQUIRE(log.bad_rows.size() == e.bad_lines.size());
  for (size_t i = 0; i < e.bad_lines.size(); ++i) {
    CHECK(log.bad_rows[i].line == e.bad_lines[i]);
    CHECK(log.bad_rows[i].message.rfind(fmt::format("line {}: ", e.bad_lines[i]), 0) == 0);
  }
}

std::string temp_path(const char* name) { return fmt::format("{}/crmkit-readers-{}-{}", P_tmpdir, ::getpid(), name); }

}  // namespace

TEST_CASE("A log read in chunks equals the row-by-row reading: rows, ids, bad rows by line") {
  const Expected e = generate(400'000, 50'000);
  REQUIRE(e.text.size() > (size_t{8} << 20));
  check_log(read_transactions_csv(e.text, BadRowPolicy::skip), e);
  // Under stop, the first bad row in file order is reported, whichever chunk finds one first.
  try {
    (void)read_transactions_csv(e.text);
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(std::string(err.what()).rfind(fmt::format("line {}: ", e.bad_lines[0]), 0) == 0);
  }
  // Only one bad row, near the end (in the last chunk).
  const Expected late = generate(400'000, 0);
  std::string text = late.text + "late,2024-01-01,oops\n";
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  try {
    (void)read_transactions_csv(text);
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(err.code() == Errc::parse);
    CHECK(std::string(err.what()) == fmt::format("line {}: amount 'oops' is not a number", lines));
  }
  // The same through a file.
  const std::string path = temp_path("big.csv");
  std::ofstream(path, std::ios::binary) << e.text;
  check_log(read_transactions_file(path, BadRowPolicy::skip), e);
  std::remove(path.c_str());
}

TEST_CASE("CDNOW text read in chunks keeps file order and line numbers") {
  std::string text = "cust date qty amount\n";
  std::vector<size_t> bad;
  size_t line = 1;
  for (int r = 0; r < 500'000; ++r) {
    ++line;
    if (r == 123'456 || r == 456'789) {
      text += "00001 19970101 1\n";  // three fields
      bad.push_back(line);
      continue;
    }
    text += fmt::format("{:05} 199701{:02} {} {}.{:02}\n", r % 23570 + 1, r % 28 + 1, r % 5 + 1, r % 90, r % 100);
  }
  REQUIRE(text.size() > (size_t{8} << 20));
  const TransactionLog log = read_cdnow(text, BadRowPolicy::skip);
  CHECK(log.size() == 500'000 - 2);
  CHECK(log.customer_count() == 23570);
  REQUIRE(log.bad_rows.size() == 2);
  CHECK(log.bad_rows[0].line == bad[0]);
  CHECK(log.bad_rows[1].line == bad[1]);
  CHECK(log.customer_ids[log.customer[0]] == "00001");
  CHECK(log.customer_ids[log.customer.back()] == fmt::format("{:05}", 499'999 % 23570 + 1));
  // Log row 300,000 is input row 300,001 (one bad row before it).
  CHECK(log.amount[300'000] == std::stod(fmt::format("{}.{:02}", 300'001 % 90, 300'001 % 100)));
}

TEST_CASE("Small inputs: empty, BOM only, blank lines, header only, CRLF, ids that differ after 16 bytes") {
  CHECK(read_transactions_csv("").size() == 0);
  CHECK(read_transactions_csv("\xEF\xBB\xBF").size() == 0);
  CHECK(read_transactions_csv("\n\r\n\n").size() == 0);
  CHECK(read_transactions_csv("\xEF\xBB\xBF" "customer_id,date,amount\r\n").size() == 0);
  const auto log = read_transactions_csv(
      "\n\xEF\xBB\xBF" "a-customer-id-of-20b,2024-01-01,1\r\n"
      "a-customer-id-of-20c,2024-01-01,2\r\n\r\n"
      "a-customer-id-of-20b,2024-01-02,3\r\n"
      "a-customer-id-of-2,2024-01-02,4\r\n",
      BadRowPolicy::skip);
  // The BOM is only skipped at the very start: here it starts the first id.
  REQUIRE(log.customer_count() == 4);
  CHECK(log.customer_ids[0] == "\xEF\xBB\xBF" "a-customer-id-of-20b");
  CHECK(log.customer_ids[1] == "a-customer-id-of-20c");
  CHECK(log.customer_ids[2] == "a-customer-id-of-20b");
  CHECK(log.customer_ids[3] == "a-customer-id-of-2");
  CHECK(log.customer == std::vector<uint32_t>{0, 1, 2, 3});
  const auto crlf = read_transactions_csv("customer_id,date,amount\r\nx,2024-01-01,1.5\r\ny,2024-01-02,2\r\nx,20240103,3\r\n");
  CHECK(crlf.customer == std::vector<uint32_t>{0, 1, 0});
  CHECK(crlf.amount == std::vector<double>{1.5, 2, 3});
  // An unterminated quote before the header is a bad row; the next line is still read as the header.
  const auto q = read_transactions_csv("\"open,2024-01-01,1\ncustomer_id,date,amount\na,2024-01-01,1\n", BadRowPolicy::skip);
  CHECK(q.size() == 1);
  REQUIRE(q.bad_rows.size() == 1);
  CHECK(q.bad_rows[0].line == 1);
}

TEST_CASE("read_file_buffer: the size limit for files and pipes, exact sizes, no devices") {
  const std::string path = temp_path("limit.csv");
  std::ofstream(path, std::ios::binary) << std::string(1000, 'x');
  CHECK(crmkit::detail::read_file_buffer(path, "transactions", 1000).view() == std::string(1000, 'x'));
  try {
    (void)crmkit::detail::read_file_buffer(path, "transactions", 999);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::limit);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  std::remove(path.c_str());
  CHECK_THROWS_AS((void)crmkit::detail::read_file_buffer("/dev/null", "transactions", 10), Error);  // a device
  // A pipe: read to its end up to the limit, refused past it.
  const std::string fifo = temp_path("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto feed = [&](size_t bytes) {
    return std::thread([&fifo, bytes] { std::ofstream(fifo, std::ios::binary) << std::string(bytes, 'y'); });
  };
  std::thread writer = feed(200'000);
  CHECK(crmkit::detail::read_file_buffer(fifo, "transactions", 200'000).view().size() == 200'000);
  writer.join();
  writer = feed(200'001);
  CHECK_THROWS_AS((void)crmkit::detail::read_file_buffer(fifo, "transactions", 200'000), Error);
  writer.join();
  std::remove(fifo.c_str());
  CHECK_THROWS_AS((void)crmkit::detail::read_file_buffer("/no/such/file", "transactions"), Error);
}

TEST_CASE("Summary CSVs read in chunks keep their rows in order and name the first bad line") {
  std::string text = "\xEF\xBB\xBF" "ID,x,t_x,T,zbar\n";
  for (int i = 0; i < 200'000; ++i) {
    text += fmt::format("c{},{},{}.5,{}.25,{}.75\n", i, i % 7, i % 20, 20 + i % 9, i % 50);
    if (i % 50'000 == 0) text += "\r\n";
  }
  REQUIRE(text.size() > (size_t{2} << 20));  // several chunks
  const SummaryTable t = read_summary_csv(text);
  REQUIRE(t.rows.size() == 200'000);
  for (int i : {0, 1, 99'999, 100'000, 199'999}) {
    CHECK(t.ids[static_cast<size_t>(i)] == fmt::format("c{}", i));
    CHECK(t.rows[static_cast<size_t>(i)].x == i % 7);
    CHECK(t.rows[static_cast<size_t>(i)].t_x == i % 20 + 0.5);
    CHECK(t.rows[static_cast<size_t>(i)].T == 20 + i % 9 + 0.25);
    CHECK(t.rows[static_cast<size_t>(i)].m == i % 50 + 0.75);
  }
  // Bad rows near the start and the end: the first is reported, with its line (blank lines count).
  std::string bad = text;
  bad.insert(bad.find("c150000,"), "c-late,1,2,1,x\n");
  bad.insert(bad.find("c120000,"), "c-early,1,5,1,1\n");  // t_x > T
  const size_t early_line =
      static_cast<size_t>(std::count(bad.begin(), bad.begin() + static_cast<std::ptrdiff_t>(bad.find("c-early")), '\n')) + 1;
  try {
    (void)read_summary_csv(bad);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(std::string(e.what()) == fmt::format("line {} (customer 'c-early'): t_x 5 is greater than T 1", early_line));
  }
  CHECK(read_summary_csv("").rows.empty());
  CHECK(read_summary_csv("ID,x,t_x,T\n").rows.empty());
}
