// Transaction log readers: CSV and the CDNOW master format (the machinery in value/log_reader.hpp).
#include <string>
#include <vector>

#include "common/files.hpp"
#include "crmkit/value.hpp"
#include "value/log_reader.hpp"

namespace crmkit::value {
namespace {

/// The rows of a chunk, as TransactionLog holds them.
struct Rows {
  std::vector<uint32_t> customer;
  std::vector<int32_t> day;
  std::vector<double> amount, quantity;
  void reserve(size_t rows) {
    customer.reserve(rows);
    day.reserve(rows);
    amount.reserve(rows);
    quantity.reserve(rows);
  }
  void append(uint32_t c, int32_t d, double a, double q) {
    customer.push_back(c);
    day.push_back(d);
    amount.push_back(a);
    quantity.push_back(q);
  }
};

/// The log of a text: rows in file order, customers numbered by first appearance, bad rows by
/// file line (under stop, the first is thrown).
TransactionLog read_log(const detail::LogLayout& layout, BadRowPolicy policy) {
  auto chunks = detail::parse_body<Rows>(layout, policy);
  TransactionLog log;
  log.bad_rows = detail::bad_rows(layout, chunks, policy);
  const auto global = detail::merge_ids(chunks);
  Rows& rows = chunks[0].sink;
  size_t n = 0;
  for (const auto& c : chunks) n += c.sink.customer.size();
  rows.reserve(n);
  for (size_t k = 1; k < chunks.size(); ++k) {
    const Rows& more = chunks[k].sink;
    for (uint32_t local : more.customer) rows.customer.push_back(global[k][local]);
    rows.day.insert(rows.day.end(), more.day.begin(), more.day.end());
    rows.amount.insert(rows.amount.end(), more.amount.begin(), more.amount.end());
    rows.quantity.insert(rows.quantity.end(), more.quantity.begin(), more.quantity.end());
  }
  log.customer = std::move(rows.customer);
  log.day = std::move(rows.day);
  log.amount = std::move(rows.amount);
  log.quantity = std::move(rows.quantity);
  const auto& ids = chunks[0].ids.keys();  // views into the text or the chunks' copies: copied here
  log.customer_ids.assign(ids.begin(), ids.end());
  return log;
}

}  // namespace

TransactionLog read_transactions_csv(std::string_view text, BadRowPolicy policy) {
  return read_log(detail::csv_layout(text, policy), policy);
}

TransactionLog read_cdnow(std::string_view text, BadRowPolicy policy) { return read_log(detail::cdnow_layout(text), policy); }

TransactionLog read_transactions_file(const std::string& path, BadRowPolicy policy) {
  const crmkit::detail::FileBuffer file = crmkit::detail::read_file_buffer(path, "transactions");
  return read_log(detail::file_layout(file.view(), policy), policy);
}

void TransactionLog::sort_customers_by_id() {
  const std::vector<uint32_t> order = detail::order_by_id(customer_ids);
  const size_t k = order.size();
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
