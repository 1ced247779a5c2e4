// Transaction log readers: CSV and the CDNOW master format.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "crmkit/value.hpp"
#include "value/text_scan.hpp"
#include "common/files.hpp"

namespace crmkit::value {
namespace {

using detail::parse_day;
using detail::parse_number;

/// Rejects a row: throws under `stop`, records it under `skip`.
struct RowSink {
  TransactionLog& log;
  BadRowPolicy policy;

  void reject(size_t line, Errc code, std::string message) {
    std::string full = fmt::format("line {}: {}", line, message);
    if (policy == BadRowPolicy::stop) throw Error(code, full);
    log.bad_rows.push_back(BadRow{line, std::move(full)});
  }

  /// Validates and appends one row; false if it was rejected.
  bool add(detail::IdInterner& interner, size_t line, std::string_view id, std::string_view date,
           std::string_view amount_text, std::string_view quantity_text) {
    if (id.empty()) {
      reject(line, Errc::parse, "empty customer id");
      return false;
    }
    int32_t day;
    if (!parse_day(date, day)) {
      reject(line, Errc::parse, fmt::format("date '{}' is not YYYY-MM-DD, YYYYMMDD or an RFC 3339 instant", date));
      return false;
    }
    double amount;
    if (!parse_number(amount_text, amount)) {
      reject(line, Errc::parse, fmt::format("amount '{}' is not a number", amount_text));
      return false;
    }
    if (!money::admissible(amount)) {
      reject(line, Errc::invalid_argument,
             fmt::format("amount '{}' must be a finite number in [0, {}]", amount_text, money::kMaxAmount));
      return false;
    }
    double quantity = 1;
    if (!quantity_text.empty()) {
      if (!parse_number(quantity_text, quantity) || !std::isfinite(quantity) || quantity < 0) {
        reject(line, Errc::invalid_argument, fmt::format("quantity '{}' must be a finite number >= 0", quantity_text));
        return false;
      }
    }
    log.customer.push_back(interner.intern(id));
    log.day.push_back(day);
    log.amount.push_back(amount);
    log.quantity.push_back(quantity);
    return true;
  }
};

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

void reserve_rows(TransactionLog& log, std::string_view text, size_t bytes_per_row) {
  size_t rows = text.size() / bytes_per_row + 16;
  log.customer.reserve(rows);
  log.day.reserve(rows);
  log.amount.reserve(rows);
  log.quantity.reserve(rows);
}

}  // namespace

TransactionLog read_transactions_csv(std::string_view text, BadRowPolicy policy) {
  TransactionLog log;
  detail::IdInterner interner(log.customer_ids);
  RowSink sink{log, policy};
  detail::LineScanner lines(text);
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;  // deque: growing keeps earlier fields valid
  std::string_view line;
  int col[4] = {0, 1, 2, -1};  // positions of id, date, amount, quantity
  bool first = true;
  reserve_rows(log, text, 24);
  while (lines.next(line)) {
    if (detail::trim(line).empty()) continue;
    size_t ln = lines.line_number();
    if (!detail::split_csv(line, fields, scratch)) {
      sink.reject(ln, Errc::parse, "unterminated quoted field");
      continue;
    }
    if (first) {
      first = false;
      int32_t probe;
      bool data_row = fields.size() >= 3 && parse_day(fields[1], probe);
      if (!data_row) {  // a header: find the columns by name
        int found[4] = {-1, -1, -1, -1};
        for (size_t i = 0; i < fields.size(); ++i) {
          int role = column_role(fields[i]);
          if (role >= 0 && found[role] < 0) found[role] = static_cast<int>(i);
        }
        if (found[0] < 0 || found[1] < 0 || found[2] < 0)
          throw Error(Errc::parse, fmt::format("line {}: header needs customer_id, date and amount columns, got '{}'",
                                               ln, line));
        std::copy(found, found + 4, col);
        continue;
      }
      if (fields.size() >= 4) col[3] = 3;
    }
    int needed = std::max({col[0], col[1], col[2], col[3]});
    if (static_cast<int>(fields.size()) <= needed) {
      sink.reject(ln, Errc::parse, fmt::format("expected at least {} fields, got {}", needed + 1, fields.size()));
      continue;
    }
    sink.add(interner, ln, fields[col[0]], fields[col[1]], fields[col[2]],
             col[3] >= 0 ? fields[col[3]] : std::string_view());
  }
  return log;
}

TransactionLog read_cdnow(std::string_view text, BadRowPolicy policy) {
  TransactionLog log;
  detail::IdInterner interner(log.customer_ids);
  RowSink sink{log, policy};
  detail::LineScanner lines(text);
  std::string_view line;
  std::string_view f[6];
  reserve_rows(log, text, 28);
  while (lines.next(line)) {
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
    size_t ln = lines.line_number();
    if (ln == 1 && !(f[0][0] >= '0' && f[0][0] <= '9')) continue;  // header line
    if (n == 4) {
      sink.add(interner, ln, f[0], f[1], f[3], f[2]);
    } else if (n == 5) {
      sink.add(interner, ln, f[1], f[2], f[4], f[3]);
    } else {
      sink.reject(ln, Errc::parse, fmt::format("expected 4 fields (id date quantity amount), got {}", n));
    }
  }
  return log;
}

TransactionLog read_transactions_file(const std::string& path, BadRowPolicy policy) {
  const std::string text = crmkit::detail::read_file(path, "transactions");
  std::string_view first_line = std::string_view(text).substr(0, text.find('\n'));
  if (first_line.find(',') != std::string_view::npos || text.empty()) return read_transactions_csv(text, policy);
  return read_cdnow(text, policy);
}

void TransactionLog::sort_customers_by_id() {
  const size_t k = customer_ids.size();
  std::vector<uint32_t> order(k);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return customer_ids[a] < customer_ids[b]; });
  std::vector<uint32_t> new_index(k);
  std::vector<std::string> ids(k);
  for (uint32_t i = 0; i < k; ++i) {
    new_index[order[i]] = i;
    ids[i] = std::move(customer_ids[order[i]]);
  }
  customer_ids.swap(ids);
  for (uint32_t& c : customer) c = new_index[c];
}

}  // namespace crmkit::value
