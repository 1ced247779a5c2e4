// Transaction log readers: CSV and the CDNOW master format.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <array>
#include <deque>
#include <exception>
#include <numeric>
#include <thread>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "crmkit/value.hpp"
#include "value/text_scan.hpp"
#include "common/files.hpp"

namespace crmkit::value {
namespace {

using detail::parse_day;
using detail::parse_number;

/// A rejected row; its line is counted within its chunk until the chunks are merged.
struct RowError {
  size_t line;
  Errc code;
  std::string message;
};

/// One chunk of a file's rows (whole lines) and what parsing it produced.
struct Chunk {
  std::string_view text;
  size_t lines = 0;  ///< lines in text: its '\n's, and a last unterminated line
  std::vector<uint32_t> customer;
  std::vector<int32_t> day;
  std::vector<double> amount, quantity;
  detail::IdTable ids;
  std::vector<RowError> errors;
  struct Pending {
    detail::IdKey key;
    int32_t day;
    double amount, quantity;
  };
  static constexpr size_t kBatch = 16;  // rows in flight: enough to overlap the cache misses
  std::array<Pending, kBatch> pending{};
  size_t pending_count = 0;

  /// Validates and appends one row; records the error (and returns false) otherwise.
  bool add(size_t line, std::string_view id, std::string_view date, std::string_view amount_text,
           std::string_view quantity_text) {
    if (id.empty()) return reject(line, Errc::parse, "empty customer id");
    int32_t d;
    if (!parse_day(date, d))
      return reject(line, Errc::parse, fmt::format("date '{}' is not YYYY-MM-DD, YYYYMMDD or an RFC 3339 instant", date));
    double a;
    if (!parse_number(amount_text, a)) return reject(line, Errc::parse, fmt::format("amount '{}' is not a number", amount_text));
    if (!money::admissible(a))
      return reject(line, Errc::invalid_argument,
                    fmt::format("amount '{}' must be a finite number in [0, {}]", amount_text, money::kMaxAmount));
    double q = 1;
    if (!quantity_text.empty() && (!parse_number(quantity_text, q) || !std::isfinite(q) || q < 0))
      return reject(line, Errc::invalid_argument, fmt::format("quantity '{}' must be a finite number >= 0", quantity_text));
    // An id outside the text was unescaped into scratch space: the table keeps a copy.
    if (id.data() < text.data() || id.data() >= text.data() + text.size()) {
      flush();
      append(ids.intern_copy(id), d, a, q);
      return true;
    }
    // The row waits in a small batch while its id's table slot is fetched from memory.
    Pending& p = pending[pending_count++];
    p = Pending{detail::IdKey(id), d, a, q};
    ids.prefetch(p.key);
    if (pending_count == kBatch) flush();
    return true;
  }
  /// Interns the batched rows' ids and appends the rows (call after the last row too).
  void flush() {
    for (size_t i = 0; i < pending_count; ++i) {
      const Pending& p = pending[i];
      append(ids.intern(p.key), p.day, p.amount, p.quantity);
    }
    pending_count = 0;
  }
  void append(uint32_t c, int32_t d, double a, double q) {
    customer.push_back(c);
    day.push_back(d);
    amount.push_back(a);
    quantity.push_back(q);
  }
  bool reject(size_t line, Errc code, std::string message) {
    errors.push_back(RowError{line, code, std::move(message)});
    return false;
  }
  void reserve(size_t bytes_per_row) {
    const size_t rows = text.size() / bytes_per_row + 16;
    customer.reserve(rows);
    day.reserve(rows);
    amount.reserve(rows);
    quantity.reserve(rows);
  }
};

/// Splits text (whole lines) into up to `parts` chunks of whole lines, of at least kMinChunk
/// bytes each: big inputs are parsed on every core.
std::vector<Chunk> split_chunks(std::string_view text) {
  constexpr size_t kMinChunk = size_t{4} << 20;
  const size_t cores = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  const size_t parts = std::clamp<size_t>(text.size() / kMinChunk, 1, cores);
  std::vector<Chunk> chunks(parts);
  size_t begin = 0;
  for (size_t k = 0; k < parts; ++k) {
    size_t end = text.size();
    if (k + 1 < parts) {
      end = text.find('\n', std::max(begin, text.size() / parts * (k + 1)));
      end = end == std::string_view::npos ? text.size() : end + 1;
    }
    chunks[k].text = text.substr(begin, end - begin);
    begin = end;
  }
  return chunks;
}

/// Runs parse(chunk) for every chunk, the first on this thread and the others on their own.
template <class Parse>
void parse_chunks(std::vector<Chunk>& chunks, Parse parse) {
  std::vector<std::exception_ptr> failed(chunks.size());
  std::vector<std::thread> threads;
  for (size_t k = 1; k < chunks.size(); ++k)
    threads.emplace_back([&, k] {
      try {
        parse(chunks[k]);
      } catch (...) {  // memory: rethrown on the calling thread below
        failed[k] = std::current_exception();
      }
    });
  try {
    parse(chunks[0]);
  } catch (...) {
    failed[0] = std::current_exception();
  }
  for (auto& t : threads) t.join();
  for (auto& e : failed)
    if (e) std::rethrow_exception(e);
}

/// The chunks as one log: rows in file order, customers numbered by first appearance, errors by
/// line (counted from `first_line`, the file line of the first chunk's first line). Under stop,
/// throws the first error; under skip, lists them all.
TransactionLog merge_chunks(std::vector<Chunk>& chunks, size_t first_line, BadRowPolicy policy,
                            std::vector<RowError> header_errors) {
  TransactionLog log;
  for (auto& e : header_errors) log.bad_rows.push_back(BadRow{e.line, fmt::format("line {}: {}", e.line, e.message)});
  size_t line = first_line;
  for (auto& c : chunks) {
    for (auto& e : c.errors) {
      const size_t at = e.line + line - 1;
      std::string full = fmt::format("line {}: {}", at, e.message);
      if (policy == BadRowPolicy::stop) throw Error(e.code, full);
      log.bad_rows.push_back(BadRow{at, std::move(full)});
    }
    line += c.lines;
  }
  Chunk& first = chunks[0];
  log.customer = std::move(first.customer);
  log.day = std::move(first.day);
  log.amount = std::move(first.amount);
  log.quantity = std::move(first.quantity);
  detail::IdTable& ids = first.ids;  // every chunk's ids view the text or their chunk's copies
  size_t rows = log.customer.size();
  for (size_t k = 1; k < chunks.size(); ++k) rows += chunks[k].customer.size();
  log.customer.reserve(rows);
  log.day.reserve(rows);
  log.amount.reserve(rows);
  log.quantity.reserve(rows);
  for (size_t k = 1; k < chunks.size(); ++k) {
    Chunk& c = chunks[k];
    std::vector<uint32_t> global(c.ids.size());
    for (size_t i = 0; i < global.size(); ++i) global[i] = ids.intern(c.ids.keys()[i]);
    for (uint32_t local : c.customer) log.customer.push_back(global[local]);
    log.day.insert(log.day.end(), c.day.begin(), c.day.end());
    log.amount.insert(log.amount.end(), c.amount.begin(), c.amount.end());
    log.quantity.insert(log.quantity.end(), c.quantity.begin(), c.quantity.end());
  }
  log.customer_ids.assign(ids.keys().begin(), ids.keys().end());
  return log;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int column_role(std::string_view name) {
  std::string n = lower(detail::trim(name));
  if (n == "customer_id" || n == "customer" || n == "id" || n == "customerid" || n == "client_id") return 0;
  if (n == "date" || n == "datetime" || n == "timestamp" || n == "time" || n == "order_date") return 1;
  if (n == "amount" || n == "value" || n == "monetary" || n == "monetary_value" || n == "dollar_value" ||
      n == "price")
    return 2;
  if (n == "quantity" || n == "qty" || n == "number_of_cds") return 3;
  return -1;
}

/// Parses one chunk of CSV rows with the columns at col (id, date, amount, quantity or -1).
void parse_csv_chunk(Chunk& c, const std::array<int, 4>& col, BadRowPolicy policy) {
  detail::LineScanner lines(c.text, false);
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;  // deque: growing keeps earlier fields valid
  std::string_view line;
  const int needed = std::max({col[0], col[1], col[2], col[3]});
  c.reserve(24);
  while (lines.next(line)) {
    if (policy == BadRowPolicy::stop && !c.errors.empty()) return;  // the first error is all that is reported
    if (detail::trim(line).empty()) continue;
    const size_t ln = lines.line_number();
    if (!detail::split_csv(line, fields, scratch)) {
      c.reject(ln, Errc::parse, "unterminated quoted field");
      continue;
    }
    if (static_cast<int>(fields.size()) <= needed) {
      c.reject(ln, Errc::parse, fmt::format("expected at least {} fields, got {}", needed + 1, fields.size()));
      continue;
    }
    c.add(ln, fields[col[0]], fields[col[1]], fields[col[2]], col[3] >= 0 ? fields[col[3]] : std::string_view());
  }
  c.flush();
  c.lines = lines.line_number();
}

/// Parses one chunk of CDNOW rows (whitespace-separated).
void parse_cdnow_chunk(Chunk& c, BadRowPolicy policy) {
  detail::LineScanner lines(c.text, false);
  std::string_view line;
  std::string_view f[6];
  c.reserve(28);
  while (lines.next(line)) {
    if (policy == BadRowPolicy::stop && !c.errors.empty()) return;
    size_t n = 0, i = 0;
    while (i < line.size() && n < 6) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i >= line.size()) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      f[n++] = line.substr(i, j - i);
      i = j;
    }
    if (n == 0) continue;
    const size_t ln = lines.line_number();
    if (n == 4) c.add(ln, f[0], f[1], f[3], f[2]);
    else if (n == 5) c.add(ln, f[1], f[2], f[4], f[3]);
    else c.reject(ln, Errc::parse, fmt::format("expected 4 fields (id date quantity amount), got {}", n));
  }
  c.flush();
  c.lines = lines.line_number();
}

/// Runs parse(chunk) over the rows after the header (the BOM already gone), in chunks, and merges them.
template <class Parse>
TransactionLog parse_in_chunks(std::string_view body, size_t first_line, BadRowPolicy policy,
                               std::vector<RowError> header_errors, Parse parse) {
  std::vector<Chunk> chunks = split_chunks(body);
  parse_chunks(chunks, parse);
  return merge_chunks(chunks, first_line, policy, std::move(header_errors));
}

}  // namespace

TransactionLog read_transactions_csv(std::string_view text, BadRowPolicy policy) {
  // The header (or the first data row) is found here; the rows after it are parsed in chunks.
  text = detail::LineScanner::without_bom(text);
  detail::LineScanner lines(text, false);
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;
  std::vector<RowError> header_errors;
  std::array<int, 4> col = {0, 1, 2, -1};  // positions of id, date, amount, quantity
  std::string_view line, body;
  size_t body_line = 1;
  for (std::string_view rest = text; lines.next(line); rest = lines.rest()) {
    if (detail::trim(line).empty()) continue;
    const size_t ln = lines.line_number();
    if (!detail::split_csv(line, fields, scratch)) {
      if (policy == BadRowPolicy::stop) throw Error(Errc::parse, fmt::format("line {}: unterminated quoted field", ln));
      header_errors.push_back(RowError{ln, Errc::parse, "unterminated quoted field"});
      continue;
    }
    int32_t probe;
    if (fields.size() >= 3 && parse_day(fields[1], probe)) {  // no header: this line is the first row
      if (fields.size() >= 4) col[3] = 3;
      body = rest, body_line = ln;
      break;
    }
    std::array<int, 4> found = {-1, -1, -1, -1};
    for (size_t i = 0; i < fields.size(); ++i) {
      const int role = column_role(fields[i]);
      if (role >= 0 && found[static_cast<size_t>(role)] < 0) found[static_cast<size_t>(role)] = static_cast<int>(i);
    }
    if (found[0] < 0 || found[1] < 0 || found[2] < 0)
      throw Error(Errc::parse, fmt::format("line {}: header needs customer_id, date and amount columns, got '{}'", ln, line));
    col = found;
    body = lines.rest(), body_line = ln + 1;
    break;
  }
  return parse_in_chunks(body, body_line, policy, std::move(header_errors),
                         [&](Chunk& c) { parse_csv_chunk(c, col, policy); });
}

TransactionLog read_cdnow(std::string_view text, BadRowPolicy policy) {
  text = detail::LineScanner::without_bom(text);
  detail::LineScanner lines(text, false);
  std::string_view first;
  size_t body_line = 1;
  // An optional header: a first line that does not start with a digit.
  if (lines.next(first)) {
    const std::string_view t = detail::trim(first);
    if (!t.empty() && !(t[0] >= '0' && t[0] <= '9')) text = lines.rest(), body_line = 2;
  }
  return parse_in_chunks(text, body_line, policy, {}, [&](Chunk& c) { parse_cdnow_chunk(c, policy); });
}

TransactionLog read_transactions_file(const std::string& path, BadRowPolicy policy) {
  const crmkit::detail::FileBuffer file = crmkit::detail::read_file_buffer(path, "transactions");
  const std::string_view text = file.view();
  const std::string_view first_line = text.substr(0, text.find('\n'));
  if (first_line.find(',') != std::string_view::npos || text.empty()) return read_transactions_csv(text, policy);
  return read_cdnow(text, policy);
}

void TransactionLog::sort_customers_by_id() {
  const size_t k = customer_ids.size();
  // Sorted by (the first 8 bytes as a big-endian number, then the whole id): the same order as
  // comparing the ids byte-wise, with most comparisons decided without touching the strings.
  struct Entry {
    uint64_t prefix;
    uint32_t index;
  };
  std::vector<Entry> order(k);
  for (uint32_t i = 0; i < k; ++i) {
    unsigned char b[8] = {};
    std::memcpy(b, customer_ids[i].data(), std::min<size_t>(8, customer_ids[i].size()));
    uint64_t p = 0;
    for (unsigned char c : b) p = p << 8 | c;
    order[i] = Entry{p, i};
  }
  std::sort(order.begin(), order.end(), [&](const Entry& a, const Entry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return customer_ids[a.index] < customer_ids[b.index];
  });
  std::vector<uint32_t> new_index(k);
  std::vector<std::string> ids(k);
  for (uint32_t i = 0; i < k; ++i) {
    new_index[order[i].index] = i;
    ids[i] = std::move(customer_ids[order[i].index]);
  }
  customer_ids.swap(ids);
  for (uint32_t& c : customer) c = new_index[c];
}

}  // namespace crmkit::value
