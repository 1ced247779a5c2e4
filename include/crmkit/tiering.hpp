// crmkit/tiering.hpp — customer tiers (docs/domain.md#customer-tiers).
//
// - Individual customers: diamond / gold / silver / basic from the average monthly spend over a
//   trailing window of whole months ending on the as-of date (thresholds configurable).
// - Enterprise customers: ten grades 1A–5A and 1B–5B: the letter is the account class (A key /
//   industry accounts, B commercial), the digit the annual-revenue band (1 highest).
// - Periodic re-rating with hysteresis: an upgrade applies at once; a downgrade only after the
//   configured number of consecutive periods below the current tier's threshold (the counter
//   resets whenever the customer qualifies again), so customers do not flap.
// - The customer pyramid by revenue or profit (top 1 % vip, next 4 % major, next 15 % ordinary,
//   the rest small: shares of customers ranked by value) and A/B/C classes by lifetime value
//   (A: the customers making the first 70 % of total CLV, B the next 20 %, C the rest).
// Ties (pyramid and A/B/C, as for RFM): equal values always get the same level or class. A
// customer's position is the number of customers with a strictly larger value, so a tie that
// straddles an edge goes up whole and a level may hold a few more customers than its share.
// Every result carries the rule that produced it. Every function validates the config
// (Config::validate) and throws crmkit::Error on bad input; none keeps state.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/time.hpp"
#include "crmkit/value.hpp"

namespace crmkit::tiering {

struct TierThreshold {
  std::string tier;
  double min_monthly_spend = 0;  ///< qualifies when the average monthly spend >= this
};

struct Config {
  int window_months = 12;
  /// Highest tier first; the last one should have 0 (the base tier).
  std::vector<TierThreshold> individual{{"diamond", 2000}, {"gold", 500}, {"silver", 100}, {"basic", 0}};
  int downgrade_after = 2;  ///< consecutive periods below before a downgrade
  /// Annual revenue lower bounds of bands 1..5 for class A and for class B (descending, last 0).
  std::vector<double> enterprise_a{10'000'000, 2'000'000, 500'000, 100'000, 0};
  std::vector<double> enterprise_b{5'000'000, 1'000'000, 200'000, 50'000, 0};
  /// Pyramid levels, top first, with the share of customers in each (the last takes the rest).
  std::vector<std::pair<std::string, double>> pyramid{{"vip", 0.01}, {"major", 0.04}, {"ordinary", 0.15}, {"small", 0.80}};
  double abc_a_share = 0.70, abc_b_share = 0.20;  ///< cumulative CLV shares of A and B

  /// JSON (data/tiers/default.json): {"individual": {"window_months": 12, "downgrade_after": 2,
  ///   "thresholds": [{"tier": "diamond", "min_monthly_spend": 2000}, ...]},
  ///   "enterprise": {"A": [10000000, ...5 bounds], "B": [...]},
  ///   "pyramid": [{"level": "vip", "share": 0.01}, ...], "abc": {"a": 0.7, "b": 0.2}}
  /// Missing fields keep the defaults above; "description" fields are ignored.
  /// Error(parse) for malformed JSON, Error(invalid_argument) naming the field.
  static Config from_json(std::string_view json);
  static Config from_file(const std::string& path);  ///< Error(io) if unreadable; errors name the file
  /// Error(invalid_argument) naming the field for a config built in code that is unusable
  /// (window 1..120 months, downgrade_after 1..100, thresholds descending to a base tier of 0,
  /// five descending bands ending at 0 per class, pyramid shares summing to 1, a + b <= 1).
  void validate() const;
};

struct Grade {
  std::string tier;
  std::string reason;
};

/// The tier an average monthly spend qualifies for. Error(invalid_argument) for NaN or < 0.
Grade individual_tier(double average_monthly_spend, const Config& config);

/// The most consecutive periods below a tier that a history or a re-rating may carry.
inline constexpr int kMaxPeriodsBelow = 1000;
/// Longest individual-tier window (months of spend averaged): 1..120.
inline constexpr int kMaxWindowMonths = 120;
/// Most periods below a tier before a downgrade (downgrade_after): 1..100.
inline constexpr int kMaxDowngradeAfter = 100;

/// A re-rating with hysteresis.
struct Rerating {
  std::string tier;       ///< the tier after this period
  std::string previous;   ///< empty for a customer without history
  std::string change;     ///< "new", "upgrade", "downgrade", "same", "held" (below, but not long enough)
  int periods_below = 0;  ///< consecutive periods below the tier held (0 after a change)
  std::string reason;
};

/// Re-rates one customer: `qualified` is this period's grade, `previous` the tier held and
/// `periods_below` the consecutive periods already spent below it. An upgrade applies at once; a
/// period below the tier held is "held" (counter + 1) until the counter reaches downgrade_after,
/// then the customer drops to the tier qualified for now (counter 0); qualifying again for the
/// tier held resets the counter. Empty or unknown previous tiers give "new". Error(invalid_argument)
/// when qualified.tier is not a configured tier or periods_below > kMaxPeriodsBelow.
Rerating rerate(const Grade& qualified, std::string_view previous, int periods_below, const Config& config);

/// Enterprise grade "1A".."5B". Error(invalid_argument) for a class other than 'A'/'B' or a bad revenue.
Grade enterprise_grade(char account_class, double annual_revenue, const Config& config);

/// Pyramid level of each value (revenue or profit), by the configured shares of customers ranked
/// by value: level i holds the positions p (customers strictly above) with
/// p < (share_0 + … + share_i) · n. Equal values share a level (see the tie rule above).
/// Error(invalid_argument) for a non-finite value.
std::vector<Grade> pyramid(std::span<const double> values, const Config& config);

/// A/B/C by CLV: customers ranked by CLV; A while the share of total CLV held by the customers
/// with a strictly larger CLV is below abc_a_share, B below abc_a_share + abc_b_share, else C
/// (so the customer who crosses 70 % is still A, and equal CLVs share a class). Negative CLV
/// counts as 0 in the shares. Error(invalid_argument) for a non-finite CLV.
std::vector<Grade> abc_by_clv(std::span<const double> clv, const Config& config);

/// Individual tiers of every customer of a log as of a date: the spend in the trailing
/// window_months divided by window_months. The window is whole calendar months, the as-of
/// date's month being the last (12 months to 1998-06-30 start on 1997-07-01; a mid-month as-of
/// date sees a partial last month). Transactions after the as-of date are ignored.
struct TierRow {
  std::string customer_id;
  double average_monthly_spend = 0;
  Rerating rating;
};

/// An earlier grade of a customer: tier held and consecutive periods below it.
struct History {
  std::vector<std::string> customer_ids, tiers;
  std::vector<int> periods_below;
  /// CSV with a header naming customer_id (or id), tier and optionally periods_below (0 when
  /// absent or empty), in any order, other columns ignored — the output of `crmkit tiers
  /// --history` is itself a valid history for the next period. Error(parse) naming the line for a
  /// missing column, a bad periods_below (not 0..kMaxPeriodsBelow) or a customer listed twice.
  static History from_csv(std::string_view text);
};

/// Rows: the log's customers with a purchase up to the as-of date, in customer index order, then
/// the history's customers without one (re-rated with spend 0, so their downgrade counter moves
/// on), in history order. With a history, each row is re-rated against the grade held (rerate).
std::vector<TierRow> individual_tiers(const value::TransactionLog& log, CivilDate asof, const Config& config,
                                      const History* history = nullptr);

}  // namespace crmkit::tiering
