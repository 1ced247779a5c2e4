// Lifetime value: transaction readers, summaries, BG/NBD, Gamma-Gamma, CLV — against docs/domain.md#reference-figures.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <fstream>
#include <sstream>

#include "crmkit/error.hpp"
#include "crmkit/value.hpp"

using namespace crmkit;
using namespace crmkit::value;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
const std::string kData = CRMKIT_SOURCE_DIR "/data/cdnow/";

double round_to(double v, int decimals) {
  double s = std::pow(10.0, decimals);
  return std::round(v * s) / s;
}

std::vector<CustomerSummary> cdnow_summary() {
  return read_summary_csv(slurp(kData + "cdnow_customers_summary.csv")).rows;
}

/// CDNOW's summary with spend, and both models fitted to it.
struct CdnowModels {
  std::vector<CustomerSummary> rows = read_summary_csv(slurp(kData + "cdnow_customers_summary_with_transactions.csv")).rows;
  BgNbd bg = BgNbd::fit(rows).model;
  GammaGamma gg = GammaGamma::fit(rows).model;
};
}  // namespace

TEST_CASE("BG/NBD reproduces the CDNOW reference fit (docs/domain.md#reference-figures)") {
  auto rows = cdnow_summary();
  REQUIRE(rows.size() == 2357);
  auto fit = BgNbd::fit(rows);
  CHECK(round_to(fit.model.r, 3) == doctest::Approx(0.243));
  CHECK(round_to(fit.model.alpha, 3) == doctest::Approx(4.414));
  CHECK(round_to(fit.model.a, 3) == doctest::Approx(0.793));
  CHECK(round_to(fit.model.b, 3) == doctest::Approx(2.426));
  CHECK(fit.log_likelihood == doctest::Approx(-9582.4).epsilon(0).scale(1).epsilon(0.05 / 9582.4));
  CHECK(std::fabs(fit.log_likelihood - -9582.4) < 0.1);
  CHECK(fit.customers == 2357);
  CHECK(fit.model.log_likelihood(rows) == doctest::Approx(fit.log_likelihood));

  CustomerSummary c{2, 30.43, 38.86, 0};
  CHECK(round_to(fit.model.conditional_expected_purchases(c, 39), 3) == doctest::Approx(1.226));
  CHECK(round_to(fit.model.probability_alive(c), 3) == doctest::Approx(0.727));
}

TEST_CASE("Both summary header styles read the same figures") {
  auto a = read_summary_csv(slurp(kData + "cdnow_customers_summary.csv"));
  auto b = read_summary_csv(slurp(kData + "cdnow_customers_summary_with_transactions.csv"));
  REQUIRE(a.rows.size() == b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    CHECK(a.ids[i] == b.ids[i]);
    CHECK(a.rows[i].x == b.rows[i].x);
    CHECK(a.rows[i].t_x == doctest::Approx(b.rows[i].t_x).epsilon(1e-9));
  }
  CHECK(a.rows[0].m == 0);
  CHECK(b.rows[0].m == doctest::Approx(22.35));
}

TEST_CASE("Gamma-Gamma reproduces the CDNOW reference fit (docs/domain.md#reference-figures)") {
  auto rows = read_summary_csv(slurp(kData + "cdnow_customers_summary_with_transactions.csv")).rows;
  auto fit = GammaGamma::fit(rows);
  CHECK(fit.customers == 946);
  // Within one unit of the printed digit: the exact MLE is p = 6.2488, q = 3.7446, γ = 15.4477
  // (checked independently with scipy); the paper prints γ truncated to 15.44.
  CHECK(std::fabs(fit.model.p - 6.25) <= 0.01);
  CHECK(std::fabs(fit.model.q - 3.74) <= 0.01);
  CHECK(std::fabs(fit.model.v - 15.44) <= 0.01);
  CHECK(fit.model.v == doctest::Approx(15.4477).epsilon(1e-4));
  CHECK(fit.log_likelihood == doctest::Approx(-4055.9232).epsilon(1e-7));
  // E[M | x, m] shrinks m towards the population mean.
  CustomerSummary c{2, 30.43, 38.86, 22.35};
  double spend = fit.model.expected_spend(c);
  CHECK(spend > 22.35);
  CHECK(spend < fit.model.mean_spend());
  // (γ + x·m)·p / (p·x + q − 1)
  CHECK(spend == doctest::Approx((fit.model.v + 2 * 22.35) * fit.model.p / (fit.model.p * 2 + fit.model.q - 1)));
  CHECK(fit.model.expected_spend(CustomerSummary{0, 0, 38.86, 0}) == doctest::Approx(fit.model.mean_spend()));
}

TEST_CASE("Summaries from the CDNOW sample transactions match the published summary") {
  auto log = read_transactions_file(kData + "CDNOW_sample.txt");
  CHECK(log.bad_rows.empty());
  auto table = summarize(log, CivilDate{1997, 9, 30}, PeriodUnit::week);
  auto ref = read_summary_csv(slurp(kData + "cdnow_customers_summary_with_transactions.csv"));
  REQUIRE(table.rows.size() == ref.rows.size());
  // Both are in customer id order (the sample's ids are 1..2357 in file order).
  for (size_t i = 0; i < ref.rows.size(); ++i) {
    CHECK(std::stoi(table.ids[i]) == std::stoi(ref.ids[i]));
    CHECK(table.rows[i].x == ref.rows[i].x);
    CHECK(table.rows[i].t_x == doctest::Approx(ref.rows[i].t_x).epsilon(0.006 / std::max(1.0, ref.rows[i].t_x)));
    CHECK(std::fabs(table.rows[i].T - ref.rows[i].T) < 0.006);
    CHECK(std::fabs(table.rows[i].m - ref.rows[i].m) < 0.0101);
  }
  // And the fit on them gives the reference parameters.
  auto fit = BgNbd::fit(table.rows);
  CHECK(round_to(fit.model.r, 3) == doctest::Approx(0.243));
  CHECK(round_to(fit.model.b, 3) == doctest::Approx(2.426));
}

TEST_CASE("The CDNOW master file reads and summarizes all 23,570 customers") {
  auto log = read_transactions_file(kData + "CDNOW_master.txt");
  CHECK(log.size() == 69659);
  CHECK(log.customer_count() == 23570);
  auto table = summarize(log, CivilDate{1997, 9, 30});
  CHECK(table.rows.size() == 23570);
}

TEST_CASE("Summary edge cases") {
  SUBCASE("one purchase, several transactions on one day, first purchase on the calibration end") {
    auto log = read_transactions_csv(
        "customer_id,date,amount\n"
        "a,2024-01-01,10\n"
        "b,2024-01-01,5\n"
        "b,2024-01-01,7\n"
        "c,2024-01-29,3\n"
        "c,2024-01-15,4\n"
        "c,2024-01-15,6\n"
        "c,2024-01-01,2\n"
        "d,2024-01-29,9\n"
        "e,2024-02-10,1\n");
    auto t = summarize(log, CivilDate{2024, 1, 29}, PeriodUnit::day);
    REQUIRE(t.rows.size() == 4);  // e starts after the calibration end
    CHECK(t.ids[0] == "a");
    CHECK(t.rows[0].x == 0);
    CHECK(t.rows[0].t_x == 0);
    CHECK(t.rows[0].T == 28);
    CHECK(t.rows[0].m == 0);
    CHECK(t.rows[1].x == 0);  // two transactions on one day are one purchase
    CHECK(t.rows[2].x == 2);
    CHECK(t.rows[2].t_x == 28);
    CHECK(t.rows[2].m == doctest::Approx((10.0 + 3.0) / 2));
    CHECK(t.ids[3] == "d");
    CHECK(t.rows[3].x == 0);
    CHECK(t.rows[3].T == 0);
    auto w = summarize(log, CivilDate{2024, 1, 29}, PeriodUnit::week);
    CHECK(w.rows[0].T == doctest::Approx(4.0));
    // A customer whose first purchase is the calibration end: P(alive) = 1, finite expectations.
    BgNbd m{0.243, 4.414, 0.793, 2.426};
    CHECK(m.probability_alive(t.rows[3]) == 1.0);
    double e = m.conditional_expected_purchases(t.rows[3], 39);
    CHECK(e == doctest::Approx(m.expected_purchases(39)));
  }
  SUBCASE("empty input") {
    auto log = read_transactions_csv("");
    CHECK(log.size() == 0);
    CHECK(summarize(log, CivilDate{2024, 1, 1}).rows.empty());
    auto header_only = read_transactions_csv("customer_id,date,amount\n");
    CHECK(header_only.size() == 0);
    CHECK(read_summary_csv("").rows.empty());
    CHECK_THROWS_AS(BgNbd::fit({}), Error);
    CHECK_THROWS_AS(GammaGamma::fit({}), Error);
    CHECK(predict(BgNbd{}, GammaGamma{1, 2, 1}, {}, 10).empty());
  }
}

TEST_CASE("Bad transaction rows are reported with their line numbers") {
  const char* text =
      "customer_id,date,amount,quantity\n"
      "a,2024-01-01,10,1\n"
      "b,2024-13-01,5,1\n"
      "c,2024-01-02,nan,1\n"
      "d,2024-01-02,-3,1\n"
      "e,2024-01-03T10:00:00+08:00,4.5,2\n"
      "f,not-a-date,1,1\n";
  try {
    (void)read_transactions_csv(text);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::parse);
    CHECK(std::string(e.what()).find("line 3") != std::string::npos);
  }
  auto log = read_transactions_csv(text, BadRowPolicy::skip);
  CHECK(log.size() == 2);
  REQUIRE(log.bad_rows.size() == 4);
  CHECK(log.bad_rows[0].line == 3);
  CHECK(log.bad_rows[1].line == 4);
  CHECK(log.bad_rows[1].message.find("nan") != std::string::npos);
  CHECK(log.bad_rows[2].line == 5);
  CHECK(log.bad_rows[3].line == 7);
  CHECK(log.day[1] == CivilDate{2024, 1, 3}.days_since_epoch());
  CHECK(log.quantity[1] == 2);
  try {
    (void)read_transactions_csv("a,2024-01-01,-1\n");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(std::string(e.what()).find("line 1") != std::string::npos);
  }
  CHECK_THROWS_AS(read_summary_csv("ID,x,t_x,T\n1,2,5,4\n"), Error);
  CHECK_THROWS_AS(read_summary_csv("ID,x,t_x,T\n1,abc,1,4\n"), Error);
  CHECK_THROWS_AS(read_summary_csv("foo,bar\n"), Error);
}

TEST_CASE("Headerless CSV, quoted fields and id renumbering") {
  auto log = read_transactions_csv("\"z, inc\",2024-01-02,3\nb,20240101,2.5\n\"z, inc\",2024-01-05,1\n");
  REQUIRE(log.customer_count() == 2);
  CHECK(log.customer_ids[0] == "z, inc");
  log.sort_customers_by_id();
  CHECK(log.customer_ids[0] == "b");
  CHECK(log.customer[0] == 1);
  CHECK(log.customer[1] == 0);
}

TEST_CASE("2F1 and the expectations agree across the transformations") {
  // 2F1(1,1;2;z) = -ln(1-z)/z
  for (double z : {-50.0, -3.0, -0.9, -0.2, 0.3, 0.9}) CHECK(hyp2f1(1, 1, 2, z) == doctest::Approx(-std::log1p(-z) / z));
  CHECK_THROWS_AS(hyp2f1(1, 1, 2, 1.0), Error);
  BgNbd m{0.243, 4.414, 0.793, 2.426};
  // E[X(t)] = (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))] (Fader, Hardie & Lee eq. 9).
  for (double t : {1.0, 10.0, 39.0, 78.0, 200.0}) {
    double direct = (m.a + m.b - 1) / (m.a - 1) *
                    (1 - std::pow(m.alpha / (m.alpha + t), m.r) * hyp2f1(m.r, m.b, m.a + m.b - 1, t / (m.alpha + t)));
    CHECK(m.expected_purchases(t) == doctest::Approx(direct).epsilon(1e-9));
  }
  // Quadrature fallback (very long horizon) agrees with the series just below its switch-over.
  CustomerSummary c{3, 20, 38.86, 0};
  double t_series = 0.98 * (m.alpha + c.T) / 0.02 * 0.99 / 0.98;  // s/(1+s) just under 0.99
  double below = m.conditional_expected_purchases(c, t_series * 0.999);
  double above = m.conditional_expected_purchases(c, t_series * 1.02);
  CHECK(below < above);
  CHECK(above - below < 0.05 * below);
  // a = 1 exactly and a + b < 1 (C <= 0 for x = 0) stay finite and positive.
  BgNbd a1{0.5, 3, 1.0, 2};
  CHECK(a1.expected_purchases(10) > 0);
  CHECK(std::isfinite(a1.expected_purchases(10)));
  BgNbd small{0.5, 3, 0.3, 0.4};
  double e = small.expected_purchases(10);
  CHECK(std::isfinite(e));
  CHECK(e > 0);
  CHECK(e < 0.5 / 3 * 10);  // below the no-churn Poisson mean r/α·t
  // Large x: no overflow.
  CustomerSummary heavy{400, 38, 38.86, 10};
  double eh = m.conditional_expected_purchases(heavy, 39);
  CHECK(std::isfinite(eh));
  // A heavy buyer silent for 0.86 weeks is probably gone: mpmath gives 38.8109273798 for this case.
  CHECK(eh == doctest::Approx(38.8109273798).epsilon(1e-8));
}

TEST_CASE("CLV, simple CLV, equity and win-back") {
  const CdnowModels m;
  const auto& [rows, bg, gg] = m;
  ClvOptions o;
  o.horizon_months = 12;
  o.monthly_discount = 0.01;
  auto values = predict(bg, gg, rows, 39, o);
  REQUIRE(values.size() == rows.size());
  CHECK(values[0].expected_purchases == doctest::Approx(bg.conditional_expected_purchases(rows[0], 39)));
  CHECK(values[0].p_alive == doctest::Approx(bg.probability_alive(rows[0])));
  CHECK(values[0].expected_spend == doctest::Approx(gg.expected_spend(rows[0])));
  // The discounted monthly sum over 12 months is a bit below spend × E[X(52.14)].
  double undiscounted = values[0].expected_spend * bg.conditional_expected_purchases(rows[0], 12 * 4.345);
  CHECK(values[0].clv < undiscounted);
  CHECK(values[0].clv > undiscounted / 1.07);
  CHECK(clv(bg, gg, rows[0], o) == doctest::Approx(values[0].clv));
  ClvOptions none = o;
  none.monthly_discount = 0;
  CHECK(clv(bg, gg, rows[0], none) == doctest::Approx(undiscounted));
  CHECK(customer_equity(values) > 0);
  {  // money summed exactly: the same equity in any order; refusals name the customer
    auto reversed = values;
    std::reverse(reversed.begin(), reversed.end());
    auto shuffled = values;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(3));
    CHECK(customer_equity(reversed) == customer_equity(values));
    CHECK(customer_equity(shuffled) == customer_equity(values));
    std::vector<CustomerValue> small(3);
    small[0].clv = 0.1, small[1].clv = 0.2, small[2].clv = -0.05;
    CHECK(customer_equity(small) == 0.25);
    small[1].clv = std::nan("");
    CHECK_THROWS_WITH_AS(customer_equity(small), doctest::Contains("customer 1: clv must be a finite number"), Error);
  }

  auto lost = win_back_ranking(values, 0.3, 10);
  REQUIRE(lost.size() == 10);
  for (size_t i = 1; i < lost.size(); ++i) CHECK(lost[i - 1].clv >= lost[i].clv);
  for (auto& l : lost) CHECK(l.p_alive < 0.3);

  CHECK(simple_clv(100, 0.8, 0.1, 1) == doctest::Approx(100 / 1.1));
  CHECK(simple_clv(100, 0.8, 0.1, 2) == doctest::Approx(100 / 1.1 + 80 / 1.21));
  CHECK(simple_clv(100, 0.8, 0.1, 2000) == doctest::Approx(simple_clv_perpetual(100, 0.8, 0.1)));
  CHECK(simple_clv_perpetual(100, 0.8, 0.1) == doctest::Approx(100 / 0.3));
  CHECK_THROWS_AS(simple_clv(1, 1.5, 0.1, 3), Error);
  CHECK_THROWS_AS(predict(bg, gg, rows, -1), Error);
}

TEST_CASE("predict: every customer's figures as computed alone, and as the per-customer formulas give") {
  // predict shares the series E[X(s) | alive] between customers of equal (x, T) whatever their
  // t_x: CDNOW has hundreds of such groups. Each customer's row must equal (bit for bit) the row
  // of a predict on that customer alone, and the model's per-customer functions (to rounding: they
  // divide by α + T where predict multiplies by its inverse).
  const CdnowModels m;
  const auto& [rows, bg, gg] = m;
  ClvOptions o;
  o.horizon_months = 6;
  o.monthly_discount = 0.02;
  o.margin = 0.3;
  const auto all = predict(bg, gg, rows, 20, o);
  const double k = periods_per_month(o.unit);
  size_t shared = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto alone = predict(bg, gg, std::span<const CustomerSummary>(&rows[i], 1), 20, o);
    CHECK(alone[0].expected_purchases == all[i].expected_purchases);
    CHECK(alone[0].p_alive == all[i].p_alive);
    CHECK(alone[0].clv == all[i].clv);
    CHECK(all[i].expected_purchases == doctest::Approx(bg.conditional_expected_purchases(rows[i], 20)).epsilon(1e-12));
    double prev = 0, total = 0, discount = 1;
    for (int m = 1; m <= o.horizon_months; ++m) {
      const double cur = bg.conditional_expected_purchases(rows[i], k * m);
      discount /= 1 + o.monthly_discount;
      total += (cur - prev) * discount;
      prev = cur;
    }
    CHECK(all[i].clv == doctest::Approx(o.margin * gg.expected_spend(rows[i]) * total).epsilon(1e-11));
    if (i > 0 && rows[i].x == rows[i - 1].x && rows[i].T == rows[i - 1].T && rows[i].t_x != rows[i - 1].t_x) ++shared;
  }
  CHECK(shared > 0);
}

TEST_CASE("Fitting replicated data gives the same parameters (profiles are weighted)") {
  auto rows = cdnow_summary();
  std::vector<CustomerSummary> big;
  for (int k = 0; k < 20; ++k) big.insert(big.end(), rows.begin(), rows.end());
  auto a = BgNbd::fit(rows), b = BgNbd::fit(big);
  CHECK(b.model.r == doctest::Approx(a.model.r).epsilon(1e-5));
  CHECK(b.model.b == doctest::Approx(a.model.b).epsilon(1e-5));
  CHECK(b.log_likelihood == doctest::Approx(20 * a.log_likelihood).epsilon(1e-9));
}

TEST_CASE("Invalid summaries are rejected with the customer named") {
  std::vector<CustomerSummary> rows{{1, 2, 3, 4}, {1, 5, 3, 4}};
  try {
    (void)BgNbd::fit(rows);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(std::string(e.what()).find("customer 1") != std::string::npos);
  }
  std::vector<CustomerSummary> zero_m{{2, 3, 4, 0}};
  CHECK_THROWS_AS(GammaGamma::fit(zero_m), Error);  // nobody left once m = 0 is left out
  // x > 0 with m = 0 is left out and counted; m < 0 is refused naming the customer id.
  SummaryTable table{{"a", "b", "c", "d"}, {{2, 3, 4, 10}, {1, 2, 4, 0}, {0, 0, 4, 0}, {3, 3, 4, 20}}};
  auto fit = GammaGamma::fit_table(table);
  CHECK(fit.customers == 2);
  CHECK(fit.excluded_zero_spend == 1);
  table.rows[1].m = -1;
  try {
    (void)GammaGamma::fit_table(table);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(std::string(e.what()).find("customer b") != std::string::npos);
  }
  // All x = 0: the BG/NBD fit has no information on a, b — it must not claim success silently with garbage.
  std::vector<CustomerSummary> nobody_returns(50, CustomerSummary{0, 0, 10, 0});
  try {
    auto f = BgNbd::fit(nobody_returns);
    CHECK(std::isfinite(f.log_likelihood));
  } catch (const Error& e) {
    CHECK(e.code() == Errc::no_convergence);
  }
}

TEST_CASE("Several quoted fields with doubled quotes on one line stay intact (fuzzer regression)") {
  std::string text = "customer_id,note,date,amount\n";
  text += "\"a\"\"b\",\"c\"\"d\",\"2024-01-02\",\"1.5\"\n";
  text += "\"e\"\"f\",\"g\"\"h\",\"2024-01-03\",\"2\"\n";
  auto log = read_transactions_csv(text);
  REQUIRE(log.customer_count() == 2);
  CHECK(log.customer_ids[0] == "a\"b");
  CHECK(log.customer_ids[1] == "e\"f");
  CHECK(log.amount[0] == 1.5);
}

TEST_CASE("Weighted fits: a profile table with counts fits what the customers fit, bit for bit") {
  auto rows = cdnow_summary();
  // The distinct profiles with their counts, in another order (reversed first appearance).
  std::vector<CustomerSummary> profiles;
  std::vector<double> counts;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    size_t k = 0;
    while (k < profiles.size() && !(profiles[k].x == it->x && profiles[k].t_x == it->t_x && profiles[k].T == it->T)) ++k;
    if (k == profiles.size()) {
      profiles.push_back(*it);
      counts.push_back(0);
    }
    counts[k] += 1;
  }
  REQUIRE(profiles.size() < rows.size());
  auto plain = BgNbd::fit(rows);
  auto weighted = BgNbd::fit_weighted(profiles, counts);
  CHECK(weighted.model.r == plain.model.r);
  CHECK(weighted.model.alpha == plain.model.alpha);
  CHECK(weighted.model.a == plain.model.a);
  CHECK(weighted.model.b == plain.model.b);
  CHECK(weighted.log_likelihood == plain.log_likelihood);
  CHECK(weighted.customers == rows.size());
  // Weight 0 is a row left out; a negative or NaN weight, or a count mismatch, is refused.
  std::vector<CustomerSummary> padded = rows;
  padded.push_back(CustomerSummary{40, 1, 2, 0});
  std::vector<double> w(padded.size(), 1.0);
  w.back() = 0;
  CHECK(BgNbd::fit_weighted(padded, w).model.r == plain.model.r);
  w.back() = -1;
  CHECK_THROWS_AS(BgNbd::fit_weighted(padded, w), Error);
  w.back() = std::nan("");
  CHECK_THROWS_AS(BgNbd::fit_weighted(padded, w), Error);
  CHECK_THROWS_AS(BgNbd::fit_weighted(padded, std::vector<double>(3, 1.0)), Error);

  auto spend = read_summary_csv(slurp(kData + "cdnow_customers_summary_with_transactions.csv")).rows;
  auto gg = GammaGamma::fit(spend);
  std::vector<double> twice(spend.size(), 2.0);
  auto gg2 = GammaGamma::fit_weighted(spend, twice);
  CHECK(gg2.customers == 2 * gg.customers);
  CHECK(gg2.model.p == doctest::Approx(gg.model.p).epsilon(1e-9));
  CHECK(gg2.model.q == doctest::Approx(gg.model.q).epsilon(1e-9));
  CHECK(gg2.model.v == doctest::Approx(gg.model.v).epsilon(1e-9));
  CHECK(gg2.log_likelihood == doctest::Approx(2 * gg.log_likelihood).epsilon(1e-12));
  CHECK_THROWS_AS(GammaGamma::fit_weighted(spend, std::vector<double>(spend.size(), 0.0)), Error);
}

TEST_CASE("Summaries: m summed exactly in minor units, the same in any row order; minor entry agrees") {
  const auto log = read_transactions_file(kData + "CDNOW_master.txt");
  const size_t n = log.size(), k = log.customer_count();
  const int32_t end = static_cast<int32_t>(CivilDate{1997, 9, 30}.days_since_epoch());
  std::vector<CustomerSummary> base(k), again(k);
  std::vector<uint8_t> seen(k), seen2(k);
  summarize_columns(log.customer.data(), log.day.data(), log.amount.data(), n, k, end, PeriodUnit::week, base.data(),
                    seen.data());
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937 rng(11);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<uint32_t> c(n);
    std::vector<int32_t> d(n);
    std::vector<double> a(n);
    for (size_t i = 0; i < n; ++i) c[i] = log.customer[order[i]], d[i] = log.day[order[i]], a[i] = log.amount[order[i]];
    summarize_columns(c.data(), d.data(), a.data(), n, k, end, PeriodUnit::week, again.data(), seen2.data());
    for (size_t i = 0; i < k; ++i) {
      REQUIRE(base[i].m == again[i].m);
      REQUIRE(base[i].t_x == again[i].t_x);
    }
  }
  std::vector<int64_t> minor(n);
  for (size_t i = 0; i < n; ++i) minor[i] = std::llround(log.amount[i] * 100) * 100;  // CDNOW has cents
  summarize_columns_minor(log.customer.data(), log.day.data(), minor.data(), n, k, end, PeriodUnit::week, again.data(),
                          seen2.data());
  for (size_t i = 0; i < k; ++i) REQUIRE(base[i].m == again[i].m);
  // A customer with repeat purchases of 0.1 + 0.2 and 0.3: m = 0.3 exactly as a decimal would say.
  const uint32_t cust[] = {0, 0, 0, 0};
  const int32_t day[] = {1, 2, 2, 3};
  const double amount[] = {5, 0.1, 0.2, 0.3};
  CustomerSummary one[1];
  uint8_t obs[1];
  summarize_columns(cust, day, amount, 4, 1, 10, PeriodUnit::day, one, obs);
  CHECK(one[0].m == 0.3);
  const double bad[] = {5, 0.1, 9.5e14, 0.3};
  one[0].m = -1;
  CHECK_THROWS_WITH_AS(summarize_columns(cust, day, bad, 4, 1, 10, PeriodUnit::day, one, obs),
                       doctest::Contains("transaction 2: amount must be a finite number in [0, 900000000000000]"), Error);
  CHECK(one[0].m == -1);
}
