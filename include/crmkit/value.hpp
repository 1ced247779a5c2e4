// crmkit/value.hpp — transaction logs, customer summaries and lifetime value (BG/NBD, Gamma-Gamma).
//
// The pieces, in the order a caller uses them:
//   1. read a transaction log (CSV or the CDNOW master format) into a TransactionLog,
//   2. summarize it per customer (x, t_x, T, m) for a calibration end — or read summaries directly,
//   3. fit BgNbd and GammaGamma by maximum likelihood,
//   4. predict purchases, P(alive), spend and CLV; rank likely-lost customers for win-back.
//
// Models are plain value types (their parameters) with const member functions; fitting is a static
// function over a span of summaries. Nothing here keeps global state, so every function may be
// called from several threads at once. Functions that throw throw crmkit::Error and leave their
// arguments unchanged. The batch functions take plain arrays so that a C ABI can wrap them directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/time.hpp"

namespace crmkit::value {

// ---- transactions ----------------------------------------------------------------------------

/// What a reader does with a row it cannot use (bad date, NaN/negative/unparseable amount,
/// missing field): `stop` throws at the first one, `skip` records it in TransactionLog::bad_rows.
enum class BadRowPolicy { stop, skip };

/// One rejected input row: its 1-based line number in the input and what was wrong with it.
struct BadRow {
  std::size_t line = 0;
  std::string message;
};

/// A transaction log as struct-of-arrays: row i is (customer[i], day[i], amount[i], quantity[i]).
/// Customer ids are interned to dense indices 0..customer_count()-1 in the order of their first
/// appearance; customer_ids maps an index back to the external id.
struct TransactionLog {
  std::vector<std::string> customer_ids;  ///< dense index -> external id
  std::vector<uint32_t> customer;         ///< per row: dense customer index
  std::vector<int32_t> day;               ///< per row: purchase date, days since 1970-01-01
  std::vector<double> amount;             ///< per row: amount (finite, >= 0)
  std::vector<double> quantity;           ///< per row: quantity (1 when the input has none)
  std::vector<BadRow> bad_rows;           ///< rows skipped under BadRowPolicy::skip

  std::size_t size() const { return customer.size(); }
  std::size_t customer_count() const { return customer_ids.size(); }
  /// Renumbers customers so that index order is ascending id order (byte-wise); makes results
  /// independent of row order. O(n + k log k) for n rows and k customers.
  void sort_customers_by_id();
};

/// Parses a CSV transaction log. Columns: customer id, date, amount and optionally quantity, found
/// by header names (customer_id|customer|id, date|datetime|timestamp, amount|value|monetary,
/// quantity|qty) or, without a header, in that order. Dates are "YYYY-MM-DD", "YYYYMMDD" or RFC 3339
/// instants (the date part as written is the purchase day). Fields may be double-quoted.
/// Throws Error(parse) for a malformed row or missing column and Error(invalid_argument) for a NaN,
/// infinite or negative amount — naming the line — unless policy is skip. Empty text -> empty log.
TransactionLog read_transactions_csv(std::string_view text, BadRowPolicy policy = BadRowPolicy::stop);

/// Parses the CDNOW master format: whitespace-separated `customer_id YYYYMMDD quantity amount`
/// (an optional header line is ignored). The 5-column CDNOW sample format
/// `master_id sample_id YYYYMMDD quantity amount` is accepted too (the sample id is used).
TransactionLog read_cdnow(std::string_view text, BadRowPolicy policy = BadRowPolicy::stop);

/// Reads a file, choosing the CSV reader when its first line contains a comma, else read_cdnow.
/// Throws Error(io) when the file cannot be read.
TransactionLog read_transactions_file(const std::string& path, BadRowPolicy policy = BadRowPolicy::stop);

// ---- customer summaries ----------------------------------------------------------------------

/// The unit of t_x and T (and of the model's time scale).
enum class PeriodUnit { day, week };

/// Days per period unit (1 or 7).
constexpr double days_per_period(PeriodUnit u) { return u == PeriodUnit::week ? 7.0 : 1.0; }

/// The BG/NBD / Gamma-Gamma sufficient statistics of one customer (docs/domain.md#customer-lifetime-value).
struct CustomerSummary {
  double x = 0;    ///< repeat purchases: distinct purchase days - 1
  double t_x = 0;  ///< time from the first to the last purchase
  double T = 0;    ///< time from the first purchase to the end of the calibration period
  double m = 0;    ///< mean amount of the repeat purchases (each purchase day's total); 0 if x = 0.
                   ///< Summed exactly in minor units: money::average(repeat total, x).
};

/// Summaries with the customers' external ids (ids[i] belongs to rows[i]).
struct SummaryTable {
  std::vector<std::string> ids;
  std::vector<CustomerSummary> rows;
};

/// Summarizes a log for a calibration period ending on `calibration_end` (inclusive). Several
/// transactions on one day are one purchase (as in Fader & Hardie's CDNOW summaries); times are
/// whole days converted to `unit` (weeks are fractional: days / 7). Customers whose first purchase
/// is after the calibration end are left out; one whose first purchase is on it has x = t_x = T = 0.
/// Rows are in customer index order.
SummaryTable summarize(const TransactionLog& log, CivilDate calibration_end, PeriodUnit unit = PeriodUnit::week);

/// The same over plain arrays of n transactions of n_customers dense customer indices. Writes one
/// summary per customer index to out[n_customers] and observed[c] = 1 when customer c has a
/// purchase on or before end_day (else 0 and a zero summary). Amounts are summed exactly in minor
/// units (crmkit/money.hpp), so m does not depend on row order. Throws Error(invalid_argument)
/// for a customer index >= n_customers or an amount that is NaN, infinite, negative or above
/// money::kMaxAmount (naming the row), Error(limit) when a customer's total passes
/// money::kMaxAmount (naming the customer index); nothing is written then.
void summarize_columns(const uint32_t* customer, const int32_t* day, const double* amount, std::size_t n,
                       std::size_t n_customers, int32_t end_day, PeriodUnit unit, CustomerSummary* out,
                       uint8_t* observed);
/// The same with amounts already in integer minor units (1/10,000; 0..money::kMaxMinorUnits).
void summarize_columns_minor(const uint32_t* customer, const int32_t* day, const int64_t* amount_minor,
                             std::size_t n, std::size_t n_customers, int32_t end_day, PeriodUnit unit,
                             CustomerSummary* out, uint8_t* observed);

/// Reads summaries from CSV with header `ID,x,t_x,T,zbar` or `ID,frequency,recency,T[,monetary_value]`
/// (customer_id is accepted for ID; m is 0 when absent). Throws Error(parse) naming the line and
/// field for a malformed value, Error(invalid_argument) for negative values or t_x > T.
SummaryTable read_summary_csv(std::string_view text);

// ---- model fitting -----------------------------------------------------------------------------

/// Options of the maximum-likelihood fits (BFGS in log-parameters with analytic gradients).
struct FitOptions {
  int max_iterations = 500;
  double gradient_tolerance = 1e-9;  ///< on the gradient of the mean log-likelihood (log-parameters)
  double penalizer = 0.0;            ///< L2 penalty coefficient on the parameters (as in lifetimes)
};

/// BG/NBD (Fader, Hardie & Lee 2005): purchases while alive are Poisson(λ), λ ~ Gamma(r, α); after
/// each purchase the customer drops out with probability p, p ~ Beta(a, b).
struct BgNbd {
  double r = 1, alpha = 1, a = 1, b = 1;

  /// Total log-likelihood of the summaries (x, t_x, T; m ignored).
  double log_likelihood(std::span<const CustomerSummary> customers) const;
  /// E[X(t)]: expected purchases of a new customer in (0, t].
  double expected_purchases(double t) const;
  /// E[X(t) | x, t_x, T]: expected purchases in the next t periods after T.
  double conditional_expected_purchases(const CustomerSummary& c, double t) const;
  /// P(alive at T | x, t_x, T).
  double probability_alive(const CustomerSummary& c) const;

  struct Fit;
  /// Maximum-likelihood fit. Throws Error(invalid_argument) for empty input or a summary with a
  /// negative, non-finite or inconsistent (t_x > T) value, naming its index; Error(no_convergence)
  /// when the optimizer does not converge within options.max_iterations.
  static Fit fit(std::span<const CustomerSummary> customers, const FitOptions& options = {});
  /// The same fit with customers[i] counted weights[i] times (finite, >= 0; one per row): a
  /// table of distinct profiles with counts gives the fit of the customers it stands for.
  static Fit fit_weighted(std::span<const CustomerSummary> customers, std::span<const double> weights,
                          const FitOptions& options = {});
};

struct BgNbd::Fit {
  BgNbd model;
  double log_likelihood = 0;
  std::size_t customers = 0;
  int iterations = 0;
};

/// Gamma-Gamma spend model (Fader & Hardie 2013): a customer's transaction values are Gamma(p, ν),
/// ν ~ Gamma(q, γ). Fitted on customers with x > 0 (m = mean repeat transaction value).
struct GammaGamma {
  double p = 1, q = 1, v = 1;  ///< v is γ

  /// Log-likelihood over the customers with x > 0 and m > 0 (others are ignored, as in fit).
  double log_likelihood(std::span<const CustomerSummary> customers) const;
  /// Population mean spend per transaction p·γ/(q−1). Throws Error(invalid_argument) if q <= 1.
  double mean_spend() const;
  /// E[M | x, m]: the posterior mean spend per transaction (the population mean when x = 0).
  /// Throws Error(invalid_argument) if q <= 1.
  double expected_spend(const CustomerSummary& c) const;

  struct Fit;
  /// Maximum-likelihood fit. The rule (the same for the CLI, the C API and Python): customers
  /// with x = 0 are left out (the model has no repeat spend for them); customers with x > 0 and
  /// m = 0 are left out and counted in Fit::excluded_zero_spend (a Gamma spend is > 0); a
  /// non-finite x or m, or m < 0, is Error(invalid_argument) naming the customer (its row here,
  /// its id in fit_table). Error(invalid_argument) when no customer is left,
  /// Error(no_convergence) when the fit fails.
  static Fit fit(std::span<const CustomerSummary> customers, const FitOptions& options = {});
  static Fit fit_table(const SummaryTable& table, const FitOptions& options = {});
  /// The same fit with customers[i] counted weights[i] times (finite, >= 0; one per row): a
  /// table of distinct profiles with counts gives the fit of the customers it stands for.
  static Fit fit_weighted(std::span<const CustomerSummary> customers, std::span<const double> weights,
                          const FitOptions& options = {});
};

struct GammaGamma::Fit {
  GammaGamma model;
  double log_likelihood = 0;
  std::size_t customers = 0;  ///< customers with x > 0 and m > 0 used
  std::size_t excluded_zero_spend = 0;  ///< customers with x > 0 and m = 0 left out
  int iterations = 0;
};

// ---- lifetime value ------------------------------------------------------------------------------

/// Options of the probabilistic CLV (docs/domain.md#customer-lifetime-value):
/// CLV = margin · Σ_{i=1..H} m̂ · (E[X(k·i)|·] − E[X(k·(i−1))|·]) / (1+d)^i, with k periods per month
/// (4.345 weeks or 30 days, as in the lifetimes library).
struct ClvOptions {
  int horizon_months = 12;
  double monthly_discount = 0.01;
  PeriodUnit unit = PeriodUnit::week;
  double margin = 1.0;  ///< profit share of spend; 1 = revenue CLV
};

/// Longest CLV horizon: 1200 months (100 years). predict() refuses more with Error(limit).
inline constexpr int kMaxHorizonMonths = 1200;
/// Most periods simple_clv sums: 100,000 (273 years of days). More is Error(limit).
inline constexpr int kMaxSimpleClvPeriods = 100'000;

/// Periods per month for a unit: 4.345 (week) or 30 (day).
constexpr double periods_per_month(PeriodUnit u) { return u == PeriodUnit::week ? 4.345 : 30.0; }

/// One customer's predictions.
struct CustomerValue {
  double expected_purchases = 0;  ///< E[X(t) | x, t_x, T] for the requested t
  double p_alive = 0;
  double expected_spend = 0;      ///< E[M | x, m]
  double clv = 0;
};

/// Predicts every customer: expected purchases over t periods, P(alive), expected spend and CLV.
/// Computes each distinct (x, t_x, T) once, so repeated profiles cost nothing. Throws
/// Error(invalid_argument) for bad options (negative t, horizon < 0, discount <= -1, q <= 1), a
/// model parameter that is not finite and > 0, or a summary with a NaN, infinite or negative
/// value (m included) or t_x > T, naming the field and the customer's index; Error(limit) for a
/// horizon above kMaxHorizonMonths.
std::vector<CustomerValue> predict(const BgNbd& bgnbd, const GammaGamma& gg, std::span<const CustomerSummary> customers,
                                   double t, const ClvOptions& options = {});
/// The same for a summary table (rows in table order): errors name the customer's id.
std::vector<CustomerValue> predict_table(const BgNbd& bgnbd, const GammaGamma& gg, const SummaryTable& table, double t,
                                         const ClvOptions& options = {});

/// The CLV of one customer (see ClvOptions).
double clv(const BgNbd& bgnbd, const GammaGamma& gg, const CustomerSummary& c, const ClvOptions& options = {});

/// Simple CLV: Σ_{t=1..periods} margin · retention^(t−1) / (1+discount)^t. Throws
/// Error(invalid_argument) unless 0 <= retention <= 1, discount > -1, margin and discount are
/// finite and periods >= 0; Error(limit) for periods above kMaxSimpleClvPeriods.
double simple_clv(double margin, double retention, double discount, int periods);
/// The same summed to infinity: margin / (1 + discount − retention) (needs discount > retention - 1).
double simple_clv_perpetual(double margin, double retention, double discount);

/// Customer equity: the sum of the customers' CLV, each rounded to minor units and added exactly
/// (docs/domain.md#money), so the same in any order. Throws Error(invalid_argument) naming the
/// customer's index for a CLV that is not finite or whose magnitude passes money::kMaxAmount.
double customer_equity(std::span<const CustomerValue> values);

/// A likely-lost customer and what winning them back is worth.
struct WinBackCandidate {
  std::size_t index = 0;       ///< position in the input
  double p_alive = 0;
  double clv = 0;              ///< remaining expected value (already weighted by P(alive))
  double value_if_alive = 0;   ///< CLV / P(alive): what the customer is worth if still (or again) active
};

/// Customers with P(alive) < p_alive_below, ranked by remaining value (clv) descending; ties by
/// input position. At most `limit` entries (0 = all).
std::vector<WinBackCandidate> win_back_ranking(std::span<const CustomerValue> values, double p_alive_below = 0.5,
                                               std::size_t limit = 0);

/// The Gauss hypergeometric function 2F1(a, b; c; z) for real parameters, c > 0, z < 1, used by the
/// BG/NBD expectations. Uses the Pfaff transformation for z < 0 so that the power series argument is
/// in [0, 1); throws Error(no_convergence) if the series needs more than max_terms terms.
double hyp2f1(double a, double b, double c, double z, int max_terms = 1000000);

}  // namespace crmkit::value
