// Per-customer summaries (x, t_x, T, m) from a transaction log, and the summary CSV reader.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <deque>
#include <iterator>
#include <cmath>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "crmkit/value.hpp"
#include "common/money_errors.hpp"
#include "common/parallel.hpp"
#include "value/text_scan.hpp"

namespace crmkit::value {

namespace {

/// The summaries of n transactions whose amounts are given in minor units by amount_minor(i)
/// (already checked to be in [0, kMaxMinorUnits]). Repeat spend is summed in integer minor units,
/// so m does not depend on row order.
template <class MinorOf>
void summarize_minor_units(const uint32_t* customer, const int32_t* day, MinorOf amount_minor, std::size_t n,
                           std::size_t n_customers, int32_t end_day, PeriodUnit unit, CustomerSummary* out,
                           uint8_t* observed) {
  // Group the calibration-period rows by customer (counting sort), then walk each group by day.
  std::vector<uint32_t> start(n_customers + 1, 0);
  for (size_t i = 0; i < n; ++i)
    if (day[i] <= end_day) ++start[customer[i] + 1];
  for (size_t c = 0; c < n_customers; ++c) start[c + 1] += start[c];
  struct DayAmount {
    int32_t day;
    int64_t minor;
  };
  std::vector<DayAmount> rows(start[n_customers]);
  {
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (size_t i = 0; i < n; ++i)
      if (day[i] <= end_day) rows[fill[customer[i]]++] = DayAmount{day[i], amount_minor(i)};
  }
  // First every total is checked, then outputs are written: a refused call writes nothing.
  for (size_t c = 0; c < n_customers; ++c) {
    int64_t total = 0;
    for (uint32_t k = start[c]; k < start[c + 1]; ++k)
      if (!money::add(total, rows[k].minor))
        throw crmkit::detail::total_past_limit(c);
  }
  const double scale = 1.0 / days_per_period(unit);
  for (size_t c = 0; c < n_customers; ++c) {
    auto* b = rows.data() + start[c];
    auto* e = rows.data() + start[c + 1];
    out[c] = CustomerSummary{};
    observed[c] = b != e;
    if (b == e) continue;
    std::sort(b, e, [](const DayAmount& l, const DayAmount& r) { return l.day < r.day; });
    int32_t first = b->day, last = b->day;
    int64_t repeat_total = 0;
    int64_t distinct = 1;
    for (auto* p = b + 1; p != e; ++p) {
      if (p->day != last) {
        ++distinct;
        last = p->day;
      }
      if (p->day != first) repeat_total += p->minor;
    }
    out[c].x = static_cast<double>(distinct - 1);
    // In 64 bits: days are any int32_t, so their difference may not fit in one.
    out[c].t_x = static_cast<double>(int64_t{last} - first) * scale;
    out[c].T = static_cast<double>(int64_t{end_day} - first) * scale;
    out[c].m = distinct > 1 ? money::average(repeat_total, distinct - 1) : 0.0;
  }
}

void check_sizes(const uint32_t* customer, std::size_t n, std::size_t n_customers) {
  // The counting sort counts rows in uint32_t, and customer indices are uint32_t.
  if (n > UINT32_MAX) throw Error(Errc::limit, fmt::format("{} transactions: at most {} per call", n, UINT32_MAX));
  if (n_customers > UINT32_MAX)
    throw Error(Errc::limit, fmt::format("{} customers: at most {} per call", n_customers, UINT32_MAX));
  for (size_t i = 0; i < n; ++i)
    if (customer[i] >= n_customers)
      throw Error(Errc::invalid_argument,
                  fmt::format("transaction {}: customer index {} >= customer count {}", i, customer[i], n_customers));
}

}  // namespace

void summarize_columns(const uint32_t* customer, const int32_t* day, const double* amount, std::size_t n,
                       std::size_t n_customers, int32_t end_day, PeriodUnit unit, CustomerSummary* out,
                       uint8_t* observed) {
  check_sizes(customer, n, n_customers);
  for (size_t i = 0; i < n; ++i)
    if (!money::admissible(amount[i])) throw crmkit::detail::bad_amount(fmt::format("transaction {}", i), amount[i]);
  summarize_minor_units(customer, day, [amount](size_t i) { return money::to_minor(amount[i]); }, n, n_customers,
                        end_day, unit, out, observed);
}

void summarize_columns_minor(const uint32_t* customer, const int32_t* day, const int64_t* amount_minor, std::size_t n,
                             std::size_t n_customers, int32_t end_day, PeriodUnit unit, CustomerSummary* out,
                             uint8_t* observed) {
  check_sizes(customer, n, n_customers);
  for (size_t i = 0; i < n; ++i)
    if (!money::admissible_minor(amount_minor[i]))
      throw crmkit::detail::bad_minor_amount(fmt::format("transaction {}", i), amount_minor[i]);
  summarize_minor_units(customer, day, [amount_minor](size_t i) { return amount_minor[i]; }, n, n_customers, end_day,
                        unit, out, observed);
}

SummaryTable summarize(const TransactionLog& log, CivilDate calibration_end, PeriodUnit unit) {
  const size_t k = log.customer_count();
  std::vector<CustomerSummary> all(k);
  std::vector<uint8_t> observed(k);
  summarize_columns(log.customer.data(), log.day.data(), log.amount.data(), log.size(), k,
                    static_cast<int32_t>(calibration_end.days_since_epoch()), unit, all.data(), observed.data());
  SummaryTable table;
  for (size_t c = 0; c < k; ++c) {
    if (!observed[c]) continue;
    table.ids.push_back(log.customer_ids[c]);
    table.rows.push_back(all[c]);
  }
  return table;
}

namespace {

/// The summary rows of a chunk of whole lines (its first line numbered first_line), appended to out.
void parse_summary_rows(std::string_view chunk, size_t first_line, const std::array<int, 5>& col, SummaryTable& out) {
  static const char* kNames[] = {"id", "x", "t_x", "T", "m"};
  detail::LineScanner lines(chunk, false);
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;
  std::string_view line;
  out.ids.reserve(chunk.size() / 16);
  out.rows.reserve(chunk.size() / 16);
  while (lines.next(line)) {
    if (detail::trim(line).empty()) continue;
    const size_t ln = first_line + lines.line_number() - 1;
    if (!detail::split_csv(line, fields, scratch)) throw Error(Errc::parse, fmt::format("line {}: unterminated quote", ln));
    if (static_cast<size_t>(col[0]) >= fields.size()) throw Error(Errc::parse, fmt::format("line {}: missing ID", ln));
    const std::string_view id = fields[static_cast<size_t>(col[0])];
    double v[5] = {0, 0, 0, 0, 0};
    for (size_t role = 1; role < 5; ++role) {
      if (col[role] < 0) continue;
      if (static_cast<size_t>(col[role]) >= fields.size())
        throw Error(Errc::parse, fmt::format("line {} (customer '{}'): missing field {}", ln, id, kNames[role]));
      std::string_view f = fields[static_cast<size_t>(col[role])];
      if (!detail::parse_number(f, v[role]) || !std::isfinite(v[role]))
        throw Error(Errc::parse,
                    fmt::format("line {} (customer '{}'): field {} '{}' is not a finite number", ln, id, kNames[role], f));
      if (v[role] < 0)
        throw Error(Errc::invalid_argument,
                    fmt::format("line {} (customer '{}'): field {} '{}' is negative", ln, id, kNames[role], f));
    }
    if (v[2] > v[3] + 1e-9)
      throw Error(Errc::invalid_argument,
                  fmt::format("line {} (customer '{}'): t_x {} is greater than T {}", ln, id, v[2], v[3]));
    out.ids.emplace_back(id);
    out.rows.push_back(CustomerSummary{v[1], v[2], v[3], v[4]});
  }
}

}  // namespace

SummaryTable read_summary_csv(std::string_view text) {
  // The header here; the rows after it in chunks on every core, merged in file order.
  detail::LineScanner lines(text);
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;  // deque: growing keeps earlier fields valid
  std::string_view line;
  std::array<int, 5> col = {-1, -1, -1, -1, -1};  // id, x, t_x, T, m
  while (lines.next(line)) {
    if (detail::trim(line).empty()) continue;
    const size_t ln = lines.line_number();
    if (!detail::split_csv(line, fields, scratch)) throw Error(Errc::parse, fmt::format("line {}: unterminated quote", ln));
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string_view name = fields[i];
      int role = -1;
      if (name == "ID" || name == "id" || name == "customer_id" || name == "Id") role = 0;
      else if (name == "x" || name == "frequency") role = 1;
      else if (name == "t_x" || name == "recency") role = 2;
      else if (name == "T") role = 3;
      else if (name == "zbar" || name == "monetary_value" || name == "m") role = 4;
      if (role >= 0 && col[static_cast<size_t>(role)] < 0) col[static_cast<size_t>(role)] = static_cast<int>(i);
    }
    if (col[0] < 0 || col[1] < 0 || col[2] < 0 || col[3] < 0)
      throw Error(Errc::parse,
                  fmt::format("line {}: summary header must be ID,x,t_x,T[,zbar] or ID,frequency,recency,T"
                              "[,monetary_value], got '{}'",
                              ln, line));
    break;
  }
  const std::vector<std::string_view> chunks = crmkit::detail::line_chunks(lines.rest(), size_t{1} << 20);
  const std::vector<size_t> first = crmkit::detail::first_lines(chunks, lines.line_number() + 1);
  std::vector<SummaryTable> parts(chunks.size());
  crmkit::detail::run_each(chunks.size(), [&](size_t k) { parse_summary_rows(chunks[k], first[k], col, parts[k]); });
  SummaryTable table = std::move(parts[0]);
  for (size_t k = 1; k < parts.size(); ++k) {
    table.ids.insert(table.ids.end(), std::make_move_iterator(parts[k].ids.begin()), std::make_move_iterator(parts[k].ids.end()));
    table.rows.insert(table.rows.end(), parts[k].rows.begin(), parts[k].rows.end());
  }
  return table;
}

}  // namespace crmkit::value
