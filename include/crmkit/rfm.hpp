// crmkit/rfm.hpp — RFM scoring (docs/domain.md#rfm): recency, frequency, monetary; scores 1–5 by
// quintiles or fixed cut points; segments from a configurable map.
//
// For each customer with a purchase on or before the as-of date (and inside the window, when one
// is set; transactions after the as-of date are ignored):
//   recency   = days from the customer's last purchase to the as-of date (0 = bought that day),
//   frequency = number of transaction rows (every row counts, also several on one day; note that
//               value::summarize counts purchase days instead),
//   monetary  = the total of their amounts, or the average per row (Config::monetary), summed
//               exactly in minor units (crmkit/money.hpp): independent of row order.
//
// Quintile scores, and ties (deterministic, independent of row order): a customer's score is
// 1 + floor(5 · L / N), where N is the number of customers scored and L the number whose value is
// strictly worse (smaller frequency or monetary; more recency days). Equal values always get the
// same score, so a quintile may hold more or fewer than N/5 customers when values tie at its edge
// (pandas' rank(method="min") followed by cutting the ranks into fifths gives the same scores).
// Recency is reversed: the most recent fifth scores 5.
// Cut-point scores: 4 ascending cut points c1..c4 per dimension; frequency and monetary score
// 1 + #(c_i <= value); recency scores 5 − #(c_i < days) (recent is 5).
// The combined code is r·100 + f·10 + m (e.g. 545); the segment is the first rule of the map whose
// r, f and m ranges contain the scores, else Config::fallback_segment.
//
// The default map is the usual R × F grid (M is not used; data/rfm/segments.json spells it out):
//
//        F=1             F=2             F=3             F=4         F=5
//   R=5  new             potential_loy.  potential_loy.  champions   champions
//   R=4  promising       potential_loy.  potential_loy.  loyal       loyal
//   R=3  about_to_sleep  about_to_sleep  need_attention  loyal       loyal
//   R=2  hibernating     hibernating     at_risk         at_risk     cant_lose
//   R=1  lost            hibernating     at_risk         at_risk     cant_lose
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/time.hpp"
#include "crmkit/value.hpp"

namespace crmkit::rfm {

struct SegmentRule {
  std::string name;
  std::array<uint8_t, 2> r{1, 5}, f{1, 5}, m{1, 5};  ///< inclusive score ranges
};

struct Config {
  enum class Scoring { quintiles, cut_points } scoring = Scoring::quintiles;
  enum class Monetary { total, average } monetary = Monetary::total;
  int window_days = 0;  ///< 0: all history up to the as-of date
  std::array<double, 4> recency_cuts{30, 90, 180, 365};  ///< days (cut-point scoring)
  std::array<double, 4> frequency_cuts{2, 3, 5, 10};
  std::array<double, 4> monetary_cuts{50, 100, 250, 1000};
  std::vector<SegmentRule> segments;  ///< empty: the default map
  std::string fallback_segment = "other";

  /// JSON: {"scoring": "quintiles"|"cut_points", "monetary": "total"|"average", "window_days": 365,
  ///        "cuts": {"recency": [30,90,180,365], "frequency": [...], "monetary": [...]},
  ///        "segments": [{"name": "champions", "r": [5,5], "f": [4,5], "m": [1,5]}, ...],
  ///        "fallback_segment": "other"}  (a rule's missing r/f/m range means [1,5])
  /// Missing fields keep their defaults; "segments" replaces the whole map; "description" is
  /// ignored. Error(parse) for malformed JSON, Error(invalid_argument) naming the field.
  static Config from_json(std::string_view json);
  static Config from_file(const std::string& path);  ///< Error(io) if unreadable; errors name the file
  /// Error(invalid_argument) naming the field when the config is unusable (window_days outside
  /// 0..36600, cut points not finite and ascending, a score range outside 1..5, an empty name).
  void validate() const;
  /// The segment map in effect (the default one when `segments` is empty).
  const std::vector<SegmentRule>& segment_map() const;
};

/// The default segment map (the R × F grid above; M is not used by it).
const std::vector<SegmentRule>& default_segments();

/// Scores of the customers present, in customer index order of the log.
struct Table {
  std::vector<std::string> ids;
  std::vector<int32_t> recency_days;
  std::vector<int64_t> frequency;
  std::vector<double> monetary;
  std::vector<uint8_t> r, f, m;
  std::vector<uint16_t> code;      ///< r*100 + f*10 + m
  std::vector<uint16_t> segment;   ///< index into segment_names
  std::vector<std::string> segment_names;  ///< the map's names, then the fallback

  size_t size() const { return ids.size(); }
};

/// Scores a transaction log as of a date (transactions after it are ignored). Rows are in the log's
/// customer index order (call log.sort_customers_by_id() first for id order). Empty input gives
/// an empty table. Throws Error(invalid_argument) for a bad config (see Config::validate).
Table score(const value::TransactionLog& log, CivilDate asof, const Config& config = {});

/// Scores a transaction log file (read_transactions_file's formats) without holding its rows: the
/// file is parsed in chunks on every core, each chunk keeping its customers' totals, and the
/// partials are merged; memory grows with customers, not transactions. The result equals
/// score() of read_transactions_file(path, policy) after sort_customers_by_id() (rows in id
/// order). Bad rows as read_transactions_file: under stop the first is thrown (Error(parse) or
/// Error(invalid_argument) naming the line); under skip they are stored in *skipped (when not
/// NULL). Error(io) when the file cannot be read, Error(limit) past kMaxDataFileBytes or for a
/// customer's total above money::kMaxAmount (naming the customer id).
Table score_file(const std::string& path, CivilDate asof, const Config& config = {},
                 value::BadRowPolicy policy = value::BadRowPolicy::stop, std::vector<value::BadRow>* skipped = nullptr);

/// The same over plain arrays (n transactions of n_customers dense indices; day = days since
/// 1970-01-01). Output arrays have n_customers elements; present[c] = 0 for customers without a
/// purchase in the window (their other outputs are 0). segment[c] indexes segment_names(config).
/// Amounts are summed exactly in integer minor units (crmkit/money.hpp): monetary is
/// money::to_amount(total) or money::average(total, frequency), the same in any row order.
/// Throws Error(invalid_argument) for an index >= n_customers, an amount that is NaN, infinite,
/// negative or above money::kMaxAmount, a recency that does not fit in int32 or a bad config;
/// Error(limit) for n > INT32_MAX or a customer's total above money::kMaxAmount (naming the
/// customer index); nothing is written then.
void score_columns(const uint32_t* customer, const int32_t* day, const double* amount, size_t n, size_t n_customers,
                   int32_t asof_day, const Config& config, int32_t* recency_days, int64_t* frequency, double* monetary,
                   uint8_t* r, uint8_t* f, uint8_t* m, uint16_t* segment, uint8_t* present);

/// The same with amounts already in integer minor units (1/10,000; 0..money::kMaxMinorUnits).
void score_columns_minor(const uint32_t* customer, const int32_t* day, const int64_t* amount_minor, size_t n,
                         size_t n_customers, int32_t asof_day, const Config& config, int32_t* recency_days,
                         int64_t* frequency, double* monetary, uint8_t* r, uint8_t* f, uint8_t* m, uint16_t* segment,
                         uint8_t* present);

/// The map's segment names followed by the fallback.
std::vector<std::string> segment_names(const Config& config);

/// Quintile scores of values (higher is better unless `lower_is_better`), by the tie rule above.
std::vector<uint8_t> quintile_scores(const std::vector<double>& values, bool lower_is_better);

}  // namespace crmkit::rfm
