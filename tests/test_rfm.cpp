// RFM: quintiles with ties at the edges, recency reversed, cut points, segments, windows, edge
// cases (one purchase, empty input, first purchase on the as-of date), CDNOW end to end.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <cstdio>
#include <unistd.h>
#include <sys/stat.h>
#include <thread>

#include <fmt/format.h>

#include "crmkit/error.hpp"
#include "test_support.hpp"
#include "crmkit/limits.hpp"
#include "crmkit/money.hpp"
#include "crmkit/rfm.hpp"

using namespace crmkit;
using namespace crmkit::rfm;

namespace {
value::TransactionLog csv(const std::string& rows) { return value::read_transactions_csv("customer_id,date,amount\n" + rows); }
size_t row_of(const Table& t, const std::string& id) {
  auto it = std::find(t.ids.begin(), t.ids.end(), id);
  REQUIRE(it != t.ids.end());
  return static_cast<size_t>(it - t.ids.begin());
}
}  // namespace

TEST_CASE("Quintile scores: 1 + floor(5 L / N), equal values share a score") {
  CHECK(quintile_scores({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, false) == std::vector<uint8_t>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
  // Ties at an edge: the three 4s all have L = 3 -> 1 + floor(15/10) = 2.
  CHECK(quintile_scores({1, 2, 3, 4, 4, 4, 7, 8, 9, 10}, false) == std::vector<uint8_t>{1, 1, 2, 2, 2, 2, 4, 4, 5, 5});
  // Order does not matter.
  CHECK(quintile_scores({10, 4, 9, 1, 4, 8, 2, 4, 7, 3}, false) == std::vector<uint8_t>{5, 2, 5, 1, 2, 4, 1, 2, 4, 2});
  // Lower is better (recency): the smallest value scores 5.
  CHECK(quintile_scores({1, 2, 3, 4, 5}, true) == std::vector<uint8_t>{5, 4, 3, 2, 1});
  CHECK(quintile_scores({7, 7, 7}, false) == std::vector<uint8_t>{1, 1, 1});  // all equal: nobody is better
  CHECK(quintile_scores({42}, false) == std::vector<uint8_t>{1});
  CHECK(quintile_scores({}, false).empty());
}

TEST_CASE("Quintiles of fractional values agree with the rule for every size (order statistics path)") {
  std::mt19937 rng(9);
  for (size_t n = 1; n <= 40; ++n) {
    std::vector<double> v(n);
    for (auto& x : v) x = static_cast<double>(rng() % 7) + 0.25;  // many ties, not whole numbers
    for (bool lower : {false, true}) {
      auto s = quintile_scores(v, lower);
      for (size_t i = 0; i < n; ++i) {
        size_t worse = 0;
        for (double y : v) worse += lower ? y > v[i] : y < v[i];
        CHECK(s[i] == 1 + (5 * worse) / n);
      }
    }
  }
}

TEST_CASE("Quintiles of large inputs (histogram selection) agree with the rule") {
  std::mt19937_64 rng(21);
  auto check = [](const std::vector<double>& v, bool lower) {
    std::vector<double> sorted(v);
    if (lower)
      for (double& x : sorted) x = -x;
    std::sort(sorted.begin(), sorted.end());
    auto s = quintile_scores(v, lower);
    size_t bad = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const double key = lower ? -v[i] : v[i];
      const size_t worse = static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), key) - sorted.begin());
      bad += s[i] != 1 + 5 * worse / v.size();
    }
    return bad;
  };
  for (size_t n : {4096u, 5003u, 100000u}) {
    std::vector<double> wide(n), narrow(n), tied(n), mixed(n);
    for (size_t i = 0; i < n; ++i) {
      wide[i] = std::exp(std::uniform_real_distribution<double>(-20, 20)(rng));            // many buckets
      narrow[i] = 1000.0 + std::uniform_real_distribution<double>(0, 1e-9)(rng);           // one bucket
      tied[i] = 0.5 * static_cast<double>(rng() % 7);                                     // few values, heavy ties
      mixed[i] = (rng() % 3 == 0 ? -1.0 : 1.0) * std::uniform_real_distribution<double>(0, 1e6)(rng);  // signs
    }
    tied[0] = 0.0;
    for (const auto* v : {&wide, &narrow, &tied, &mixed})
      for (bool lower : {false, true}) CHECK_MESSAGE(check(*v, lower) == 0, "n=" << n << " lower=" << lower);
  }
  // Whole numbers over a huge range skip the counting path but give the same rule.
  std::vector<double> big(9000);
  for (auto& x : big) x = static_cast<double>(rng() % 1'000'000'000);
  CHECK(check(big, false) == 0);
  // Infinite totals (an overflowing sum) are ordered, not a crash.
  std::vector<double> inf(5000, INFINITY);
  inf[0] = 1;
  CHECK(check(inf, false) == 0);
}

TEST_CASE("Scores, codes and segments of a small log") {
  // asof 2024-03-31. a: recent, frequent, big; e: one old small purchase.
  auto log = csv(
      "a,2024-03-30,100\na,2024-03-01,100\na,2024-02-01,100\na,2024-01-01,100\n"
      "b,2024-03-20,50\nb,2024-01-10,50\nb,2023-12-01,50\n"
      "c,2024-02-15,20\nc,2024-01-15,20\n"
      "d,2023-12-20,5\nd,2023-06-01,5\n"
      "e,2023-01-01,1\n"
      "f,2024-05-01,999\n");  // after the as-of date: ignored entirely
  Table t = score(log, CivilDate{2024, 3, 31});
  REQUIRE(t.size() == 5);
  size_t a = row_of(t, "a"), e = row_of(t, "e");
  CHECK(t.recency_days[a] == 1);
  CHECK(t.frequency[a] == 4);
  CHECK(t.monetary[a] == 400);
  CHECK(t.r[a] == 5);
  CHECK(t.f[a] == 5);
  CHECK(t.m[a] == 5);
  CHECK(t.code[a] == 555);
  CHECK(t.segment_names[t.segment[a]] == "champions");
  CHECK(t.recency_days[e] == 455);
  CHECK(t.code[e] == 111);
  CHECK(t.segment_names[t.segment[e]] == "lost");
  CHECK(std::find(t.ids.begin(), t.ids.end(), "f") == t.ids.end());

  Config avg;
  avg.monetary = Config::Monetary::average;
  Table ta = score(log, CivilDate{2024, 3, 31}, avg);
  CHECK(ta.monetary[row_of(ta, "b")] == 50);
  // A window of 90 days drops d and e and counts only recent purchases.
  Config window;
  window.window_days = 90;
  Table tw = score(log, CivilDate{2024, 3, 31}, window);
  CHECK(tw.size() == 3);
  CHECK(tw.frequency[row_of(tw, "a")] == 3);  // 2024-01-01 is 90 days before: outside
}

TEST_CASE("Edge cases: empty input, one purchase, first purchase on the as-of date") {
  CHECK(score(value::TransactionLog{}, CivilDate{2024, 1, 1}).size() == 0);
  auto log = csv("x,2024-01-01,10\n");
  Table t = score(log, CivilDate{2024, 1, 1});
  REQUIRE(t.size() == 1);
  CHECK(t.recency_days[0] == 0);
  CHECK(t.frequency[0] == 1);
  CHECK(t.code[0] == 111);  // one customer: nobody is worse
  CHECK(score(log, CivilDate{2023, 12, 31}).size() == 0);  // before the first purchase
}

TEST_CASE("Fixed cut points") {
  Config c = Config::from_json(R"({"scoring":"cut_points","cuts":{"recency":[7,30,90,365],"frequency":[2,3,5,10],"monetary":[10,50,100,500]}})");
  auto log = csv("a,2024-03-30,600\nb,2024-01-01,10\nb,2024-01-02,10\nc,2022-01-01,5\n");
  Table t = score(log, CivilDate{2024, 3, 31}, c);
  size_t a = row_of(t, "a"), b = row_of(t, "b"), cc = row_of(t, "c");
  CHECK(t.r[a] == 5);   // 1 day <= 7
  CHECK(t.f[a] == 1);   // 1 < 2
  CHECK(t.m[a] == 5);   // 600 >= 500
  CHECK(t.r[b] == 3);   // 89 days: > 7, > 30, <= 90
  CHECK(t.f[b] == 2);
  CHECK(t.m[b] == 2);   // 20 >= 10
  CHECK(t.r[cc] == 1);  // > 365 days
  CHECK(t.m[cc] == 1);
}

namespace {
/// The segment of one (r, f, m) cell under a config, by scoring one customer with cut points
/// chosen so that the customer gets exactly those scores.
std::string segment_of(int r, int f, int m, Config c = {}) {
  c.scoring = Config::Scoring::cut_points;
  c.recency_cuts = {0, 1, 2, 3};  // 5 - #(cuts < days): days = 5 - r
  c.frequency_cuts = {2, 3, 4, 5};  // 1 + #(cuts <= rows): rows = f
  c.monetary_cuts = {20, 30, 40, 50};  // amount = 10 m
  std::string rows = "customer_id,date,amount\n";
  const CivilDate asof{2024, 6, 30};
  for (int i = 0; i < f; ++i) {
    rows += fmt::format("x,{},{}\n", asof.plus_days(-(5 - r)).to_string(), i == 0 ? 10.0 * m : 0.0);
  }
  Table t = score(value::read_transactions_csv(rows), asof, c);
  REQUIRE(t.size() == 1);
  REQUIRE(t.code[0] == r * 100 + f * 10 + m);
  return t.segment_names[t.segment[0]];
}
}  // namespace

TEST_CASE("The default segment map is the usual R x F grid (M not used)") {
  // Rows R = 5..1, columns F = 1..5 (rfm.hpp).
  const char* grid[5][5] = {
      {"new", "potential_loyalist", "potential_loyalist", "champions", "champions"},
      {"promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"},
      {"about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"},
      {"hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"},
      {"lost", "hibernating", "at_risk", "at_risk", "cant_lose"},
  };
  for (int r = 5; r >= 1; --r)
    for (int f = 1; f <= 5; ++f)
      for (int m : {1, 3, 5}) CHECK_MESSAGE(segment_of(r, f, m) == grid[5 - r][f - 1], "r=" << r << " f=" << f << " m=" << m);
  // The shipped config spells out the same map; with it the scores and segments are the same.
  Config shipped = Config::from_file(CRMKIT_SOURCE_DIR "/data/rfm/segments.json");
  REQUIRE(shipped.segments.size() == default_segments().size());
  for (size_t i = 0; i < shipped.segments.size(); ++i) {
    CHECK(shipped.segments[i].name == default_segments()[i].name);
    CHECK(shipped.segments[i].r == default_segments()[i].r);
    CHECK(shipped.segments[i].f == default_segments()[i].f);
    CHECK(shipped.segments[i].m == default_segments()[i].m);
  }
  CHECK(segment_names(shipped) == segment_names(Config{}));
  // A map that does not cover a cell sends it to the fallback; the first matching rule wins.
  Config partial = Config::from_json(R"({"segments":[{"name":"best","r":[4,5],"f":[4,5]},{"name":"also","r":[5,5]}],"fallback_segment":"rest"})");
  CHECK(segment_of(5, 5, 1, partial) == "best");
  CHECK(segment_of(5, 1, 1, partial) == "also");
  CHECK(segment_of(1, 1, 1, partial) == "rest");
  Config by_m = Config::from_json(R"({"segments":[{"name":"big","m":[5,5]}]})");
  CHECK(segment_of(1, 1, 5, by_m) == "big");
  CHECK(segment_of(1, 1, 4, by_m) == "other");
}

TEST_CASE("Custom maps and config errors name the field") {
  Config c = Config::from_json(R"({"segments":[{"name":"top","r":[5,5],"f":[5,5],"m":[5,5]}],"fallback_segment":"rest"})");
  CHECK(segment_names(c) == std::vector<std::string>{"top", "rest"});
  auto err = [](const char* json) { return testing::error_of([&] { (void)Config::from_json(json); }); };
  CHECK(err(R"({"scoring":"deciles"})").find("rfm.scoring") != std::string::npos);
  CHECK(err(R"({"cuts":{"recency":[3,2,1,0]}})").find("rfm.cuts.recency[1]") != std::string::npos);
  CHECK(err(R"({"segments":[{"name":"x","r":[0,9]}]})").find("rfm.segments[0].r") != std::string::npos);
  CHECK(err(R"({"colour":1})").find("rfm.colour") != std::string::npos);
  CHECK(err("{").find("malformed") != std::string::npos);
}

TEST_CASE("Raw arrays refuse bad indices and amounts") {
  uint32_t cust[] = {0, 3};
  int32_t day[] = {1, 2};
  double amount[] = {1, 2};
  int32_t rec[2];
  int64_t freq[2];
  double mon[2];
  uint8_t r[2], f[2], m[2], present[2];
  uint16_t seg[2];
  CHECK_THROWS_AS(score_columns(cust, day, amount, 2, 2, 10, {}, rec, freq, mon, r, f, m, seg, present), Error);
  cust[1] = 1;
  amount[1] = -2;
  CHECK_THROWS_AS(score_columns(cust, day, amount, 2, 2, 10, {}, rec, freq, mon, r, f, m, seg, present), Error);
}

TEST_CASE("CDNOW end to end: quintiles hold about a fifth each") {
  auto log = value::read_transactions_file(CRMKIT_SOURCE_DIR "/data/cdnow/CDNOW_master.txt");
  Table t = score(log, CivilDate{1998, 6, 30});
  CHECK(t.size() == 23570);
  std::map<int, int> r_counts, m_counts;
  for (size_t i = 0; i < t.size(); ++i) {
    ++r_counts[t.r[i]];
    ++m_counts[t.m[i]];
  }
  for (int s = 1; s <= 5; ++s) {
    CHECK(m_counts[s] > 23570 / 5 * 0.8);  // amounts rarely tie
    CHECK(m_counts[s] < 23570 / 5 * 1.2);
  }
  CHECK(r_counts.size() == 5);
}

TEST_CASE("Ties at quintile edges over whole customers, independent of row order") {
  // 10 customers; frequencies 1,1,2,2,3,3,3,3,4,5: the four 3s straddle the 3rd/4th fifth edge
  // (positions 5..8) and all get 1 + floor(5*4/10) = 3; the two 1s get 1, the two 2s 1 + 1 = 2.
  const int freq[] = {1, 1, 2, 2, 3, 3, 3, 3, 4, 5};
  std::vector<std::string> rows;
  for (int c = 0; c < 10; ++c)
    for (int k = 0; k < freq[c]; ++k) rows.push_back(fmt::format("c{},2024-01-{:02},10\n", c, 1 + k));
  std::mt19937 rng(4);
  std::map<std::string, int> first;
  for (int round = 0; round < 5; ++round) {
    std::shuffle(rows.begin(), rows.end(), rng);
    std::string text;
    for (auto& r : rows) text += r;
    Table t = score(csv(text), CivilDate{2024, 1, 31});
    REQUIRE(t.size() == 10);
    for (size_t i = 0; i < t.size(); ++i) {
      const int c = t.ids[i][1] - '0';
      const int expect_f[] = {1, 1, 2, 2, 3, 3, 3, 3, 5, 5};
      CHECK(t.f[i] == expect_f[c]);
      // Monetary = 10 per row: the same ranks as frequency.
      CHECK(t.m[i] == expect_f[c]);
      if (round == 0) first[t.ids[i]] = t.code[i];
      else CHECK(first[t.ids[i]] == t.code[i]);
    }
  }
}

TEST_CASE("Recency is reversed: the most recent fifth scores 5, equal days share a score") {
  // Last purchases 0, 1, 1, 10, 20, 30, 40, 40, 100, 200 days before the as-of date.
  const int days[] = {0, 1, 1, 10, 20, 30, 40, 40, 100, 200};
  std::string text;
  const CivilDate asof{2024, 12, 31};
  for (int c = 0; c < 10; ++c) {
    text += fmt::format("c{},{},1\n", c, asof.plus_days(-days[c]).to_string());
  }
  Table t = score(csv(text), asof);
  // L = customers with more days: 9, 7, 7, 6, 5, 4, 2, 2, 1, 0 -> 1 + floor(5L/10).
  const int expect[] = {5, 4, 4, 4, 3, 3, 2, 2, 1, 1};
  for (size_t i = 0; i < t.size(); ++i) {
    const int c = t.ids[i][1] - '0';
    CHECK(t.recency_days[i] == days[c]);
    CHECK(t.r[i] == expect[c]);
  }
}

TEST_CASE("Frequency counts transaction rows; monetary total or average per row") {
  auto log = csv("a,2024-01-05,10\na,2024-01-05,30\na,2024-01-07,20\nb,2024-01-01,0\n");
  Table t = score(log, CivilDate{2024, 1, 10});
  size_t a = row_of(t, "a"), b = row_of(t, "b");
  CHECK(t.frequency[a] == 3);  // two rows on one day count twice
  CHECK(t.monetary[a] == 60);
  CHECK(t.recency_days[a] == 3);
  CHECK(t.frequency[b] == 1);  // a zero-amount purchase is still a purchase
  CHECK(t.monetary[b] == 0);
  Config avg = Config::from_json(R"({"monetary":"average"})");
  CHECK(score(log, CivilDate{2024, 1, 10}, avg).monetary[a] == doctest::Approx(20));
  // A transaction on the as-of date counts; the day after does not.
  CHECK(score(log, CivilDate{2024, 1, 5}).frequency[row_of(score(log, CivilDate{2024, 1, 5}), "a")] == 2);
}

TEST_CASE("Cut points: values on a cut point") {
  Config c;
  c.scoring = Config::Scoring::cut_points;
  c.recency_cuts = {7, 30, 90, 365};
  c.frequency_cuts = {2, 3, 5, 10};
  c.monetary_cuts = {10, 50, 100, 500};
  // 7 days is not > 7: r = 5; 30 days: r = 4; frequency 2 >= 2: f = 2; amount 500 >= 500: m = 5.
  auto log = csv("a,2024-03-24,250\na,2024-03-23,250\nb,2024-03-01,10\n");
  Table t = score(log, CivilDate{2024, 3, 31}, c);
  size_t a = row_of(t, "a"), b = row_of(t, "b");
  CHECK(t.recency_days[a] == 7);
  CHECK(t.r[a] == 5);
  CHECK(t.f[a] == 2);
  CHECK(t.m[a] == 5);
  CHECK(t.recency_days[b] == 30);
  CHECK(t.r[b] == 4);
  CHECK(t.f[b] == 1);
  CHECK(t.m[b] == 2);
}

TEST_CASE("Configs built in code are validated; extreme days do not overflow") {
  auto log = csv("a,2024-01-01,1\n");
  Config c;
  c.recency_cuts = {5, 5, 6, 7};
  CHECK_THROWS_WITH_AS(score(log, CivilDate{2024, 2, 1}, c), doctest::Contains("rfm.cuts.recency[1]"), Error);
  c = {};
  c.window_days = -1;
  CHECK_THROWS_WITH_AS(score(log, CivilDate{2024, 2, 1}, c), doctest::Contains("rfm.window_days"), Error);
  c = {};
  c.segments.push_back({"x", {0, 5}, {1, 5}, {1, 5}});
  CHECK_THROWS_WITH_AS(score(log, CivilDate{2024, 2, 1}, c), doctest::Contains("rfm.segments[0].r"), Error);
  c = {};
  c.fallback_segment.clear();
  CHECK_THROWS_AS(score(log, CivilDate{2024, 2, 1}, c), Error);
  CHECK_THROWS_WITH_AS(Config::from_file("/nonexistent/rfm.json"), doctest::Contains("/nonexistent/rfm.json"), Error);
  CHECK_THROWS_WITH_AS(Config::from_json(R"({"window_days": -3})"), doctest::Contains("rfm.window_days"), Error);
  CHECK_THROWS_WITH_AS(Config::from_json(R"({"monetary": "median"})"), doctest::Contains("rfm.monetary"), Error);
  CHECK_THROWS_WITH_AS(Config::from_json(R"({"cuts": {"frequency": [1, 2, 3]}})"), doctest::Contains("rfm.cuts.frequency"), Error);
  CHECK_THROWS_WITH_AS(Config::from_json(R"({"segments": [{"r": [1, 5]}]})"), doctest::Contains("rfm.segments[0]"), Error);
  CHECK_THROWS_WITH_AS(Config::from_json("[1, 2]"), doctest::Contains("JSON object"), Error);

  // Days at the ends of int32: windows and recency are computed without overflow.
  uint32_t cust[] = {0, 1};
  int32_t day[] = {INT32_MIN, INT32_MAX};
  double amount[] = {1, 2};
  int32_t rec[2];
  int64_t freq[2];
  double mon[2];
  uint8_t r[2], f[2], m[2], present[2];
  uint16_t seg[2];
  CHECK_THROWS_WITH_AS(score_columns(cust, day, amount, 2, 2, INT32_MAX, {}, rec, freq, mon, r, f, m, seg, present),
                       doctest::Contains("does not fit"), Error);
  Config w;
  w.window_days = 10;
  score_columns(cust, day, amount, 2, 2, INT32_MIN + 3, w, rec, freq, mon, r, f, m, seg, present);
  CHECK(present[0] == 1);
  CHECK(rec[0] == 3);
  CHECK(present[1] == 0);
  // Empty input through the raw arrays: nothing present, no crash.
  score_columns(nullptr, nullptr, nullptr, 0, 2, 0, {}, rec, freq, mon, r, f, m, seg, present);
  CHECK(present[0] == 0);
  CHECK(present[1] == 0);
  score_columns(nullptr, nullptr, nullptr, 0, 0, 0, {}, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
}

TEST_CASE("Raw arrays and the log give the same scores; quintiles of a big random log follow the rule") {
  std::mt19937_64 rng(11);
  const size_t n = 20000, k = 3000;
  std::vector<uint32_t> cust(n);
  std::vector<int32_t> day(n);
  std::vector<double> amount(n);
  for (size_t i = 0; i < n; ++i) {
    cust[i] = static_cast<uint32_t>(rng() % k);
    day[i] = 19000 + static_cast<int32_t>(rng() % 400);
    amount[i] = static_cast<double>(rng() % 5000) / 100.0;
  }
  std::vector<int32_t> rec(k);
  std::vector<int64_t> freq(k);
  std::vector<double> mon(k);
  std::vector<uint8_t> r(k), f(k), m(k), present(k);
  std::vector<uint16_t> seg(k);
  score_columns(cust.data(), day.data(), amount.data(), n, k, 19300, {}, rec.data(), freq.data(), mon.data(), r.data(), f.data(),
                m.data(), seg.data(), present.data());
  std::vector<size_t> idx;
  for (size_t c = 0; c < k; ++c)
    if (present[c]) idx.push_back(c);
  const size_t N = idx.size();
  REQUIRE(N > 2500);
  for (size_t step = 0; step < N; step += 37) {  // brute-force check of the rule on a sample
    const size_t c = idx[step];
    size_t lr = 0, lf = 0, lm = 0;
    for (size_t d : idx) {
      lr += rec[d] > rec[c];
      lf += freq[d] < freq[c];
      lm += mon[d] < mon[c];
    }
    CHECK(r[c] == 1 + 5 * lr / N);
    CHECK(f[c] == 1 + 5 * lf / N);
    CHECK(m[c] == 1 + 5 * lm / N);
  }
}

// ---- money summed exactly (crmkit/money.hpp) --------------------------------------------------

namespace {
/// The CDNOW log with its rows in a shuffled order (seed), customer ids kept.
value::TransactionLog shuffled(const value::TransactionLog& log, unsigned seed) {
  std::vector<size_t> order(log.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  value::TransactionLog out;
  out.customer_ids = log.customer_ids;
  for (size_t i : order) {
    out.customer.push_back(log.customer[i]);
    out.day.push_back(log.day[i]);
    out.amount.push_back(log.amount[i]);
    out.quantity.push_back(log.quantity[i]);
  }
  return out;
}
}  // namespace

TEST_CASE("Money rule: amounts to minor units of 1/10,000, ties to even, totals exact") {
  CHECK(money::to_minor(133.95) == 1339500);
  CHECK(money::to_minor(0.30000000000000004) == 3000);
  CHECK(money::to_minor(0.00005) == 0);   // 0.5 minor units: ties to even
  CHECK(money::to_minor(0.00015) == 1);   // 1.4999999999999998
  CHECK(money::to_minor(1.00005) == 10001);  // 10000.500000000002
  CHECK(money::to_minor(2.5) == 25000);
  CHECK(money::to_minor(money::kMaxAmount) == money::kMaxMinorUnits);
  CHECK(!money::admissible(-0.01));
  CHECK(!money::admissible(std::nan("")));
  CHECK(!money::admissible(9.000000000000001e14));
  CHECK(money::to_amount(1339500) == 133.95);
  CHECK(money::average(4429 * 3, 3) == 0.4429);
  int64_t total = money::kMaxMinorUnits - 1;
  CHECK(money::add(total, 1));
  CHECK(!money::add(total, 1));
  CHECK(total == money::kMaxMinorUnits);
}

TEST_CASE("CDNOW: the same r, f, m and segment in any row order, monetary total and average") {
  const auto log = value::read_transactions_file(CRMKIT_SOURCE_DIR "/data/cdnow/CDNOW_master.txt");
  for (auto monetary : {Config::Monetary::total, Config::Monetary::average}) {
    Config c;
    c.monetary = monetary;
    const Table base = score(log, CivilDate{1998, 6, 30}, c);
    REQUIRE(base.size() == 23570);
    for (unsigned seed = 1; seed <= 5; ++seed) {
      const Table t = score(shuffled(log, seed), CivilDate{1998, 6, 30}, c);
      REQUIRE(t.ids == base.ids);  // the customer order is the interned order, kept by shuffled()
      CHECK(t.monetary == base.monetary);
      CHECK(t.code == base.code);
      CHECK(t.segment == base.segment);
    }
  }
}

TEST_CASE("score_columns_minor equals score_columns on amounts with at most four decimals") {
  const auto log = value::read_transactions_file(CRMKIT_SOURCE_DIR "/data/cdnow/CDNOW_master.txt");
  const size_t k = log.customer_count(), n = log.size();
  std::vector<int64_t> minor(n);
  for (size_t i = 0; i < n; ++i) minor[i] = std::llround(log.amount[i] * 100) * 100;  // CDNOW has cents
  std::vector<int32_t> rec1(k), rec2(k);
  std::vector<int64_t> freq1(k), freq2(k);
  std::vector<double> mon1(k), mon2(k);
  std::vector<uint8_t> r1(k), f1(k), m1(k), p1(k), r2(k), f2(k), m2(k), p2(k);
  std::vector<uint16_t> s1(k), s2(k);
  const int32_t asof = static_cast<int32_t>(CivilDate{1998, 6, 30}.days_since_epoch());
  score_columns(log.customer.data(), log.day.data(), log.amount.data(), n, k, asof, {}, rec1.data(), freq1.data(),
                mon1.data(), r1.data(), f1.data(), m1.data(), s1.data(), p1.data());
  score_columns_minor(log.customer.data(), log.day.data(), minor.data(), n, k, asof, {}, rec2.data(), freq2.data(),
                      mon2.data(), r2.data(), f2.data(), m2.data(), s2.data(), p2.data());
  CHECK(mon1 == mon2);
  CHECK(m1 == m2);
  CHECK(s1 == s2);
}

TEST_CASE("Money limits: an amount above kMaxAmount or a total past it is refused, nothing written") {
  const uint32_t cust[] = {0, 0};
  const int32_t day[] = {1, 2};
  int32_t rec[1] = {-7};
  int64_t freq[1] = {-7};
  double mon[1] = {-7};
  uint8_t r[1] = {9}, f[1] = {9}, m[1] = {9}, present[1] = {9};
  uint16_t seg[1] = {9};
  const double too_big[] = {1, 9.1e14};
  CHECK_THROWS_WITH_AS(score_columns(cust, day, too_big, 2, 1, 10, {}, rec, freq, mon, r, f, m, seg, present),
                       doctest::Contains("transaction 1: amount must be a finite number in [0, 900000000000000]"),
                       Error);
  const double at_limit[] = {9e14, 9e14};
  try {
    score_columns(cust, day, at_limit, 2, 1, 10, {}, rec, freq, mon, r, f, m, seg, present);
    FAIL("expected Error(limit)");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::limit);
    CHECK(std::string(e.what()).find("customer 0: total amount above") != std::string::npos);
  }
  const int64_t minor_bad[] = {1, -1};
  CHECK_THROWS_WITH_AS(score_columns_minor(cust, day, minor_bad, 2, 1, 10, {}, rec, freq, mon, r, f, m, seg, present),
                       doctest::Contains("transaction 1: amount must be in [0, 9000000000000000000] minor units"), Error);
  CHECK(rec[0] == -7);
  CHECK(mon[0] == -7);
  CHECK(present[0] == 9);
  const double one_limit[] = {9e14, 0};
  score_columns(cust, day, one_limit, 2, 1, 10, {}, rec, freq, mon, r, f, m, seg, present);
  CHECK(mon[0] == 9e14);
}

namespace {
/// score() of the file read as a log and sorted by id: what score_file must equal.
Table score_read(const std::string& path, CivilDate asof, const Config& c, value::BadRowPolicy policy) {
  auto log = value::read_transactions_file(path, policy);
  log.sort_customers_by_id();
  return score(log, asof, c);
}
void check_same(const Table& a, const Table& b) {
  CHECK(a.ids == b.ids);
  CHECK(a.recency_days == b.recency_days);
  CHECK(a.frequency == b.frequency);
  CHECK(a.monetary == b.monetary);
  CHECK(a.code == b.code);
  CHECK(a.segment == b.segment);
  CHECK(a.segment_names == b.segment_names);
}
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = fmt::format("{}/crmkit-rfm-{}-{}", P_tmpdir, ::getpid(), name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}
}  // namespace

TEST_CASE("score_file equals score of the file read, sorted by id: CDNOW, windows, averages") {
  const std::string cdnow = CRMKIT_SOURCE_DIR "/data/cdnow/CDNOW_master.txt";
  for (int window : {0, 90, 365}) {
    for (auto monetary : {Config::Monetary::total, Config::Monetary::average}) {
      Config c;
      c.window_days = window;
      c.monetary = monetary;
      check_same(score_file(cdnow, CivilDate{1997, 12, 31}, c), score_read(cdnow, CivilDate{1997, 12, 31}, c, value::BadRowPolicy::stop));
    }
  }
}

TEST_CASE("score_file on a log parsed in chunks: totals merged exactly, bad rows by line, errors naming ids") {
  // 400,000 rows (> 8 MiB: several chunks) of 30,000 customers, amounts with cents, a bad row every 40,000.
  std::string text = "customer_id,date,amount\n";
  std::mt19937_64 rng(9);
  for (int i = 0; i < 400'000; ++i) {
    if (i % 40'000 == 20'000) {
      text += "bad,2024-13-01,1\n";
      continue;
    }
    text += fmt::format("cust-{:06},2024-{:02}-{:02},{}.{:02}\n", rng() % 30'000, rng() % 12 + 1, rng() % 28 + 1,
                        rng() % 500, rng() % 100);
  }
  REQUIRE(text.size() > (size_t{8} << 20));
  const std::string path = write_temp("big.csv", text);
  std::vector<value::BadRow> skipped;
  const Table t = score_file(path, CivilDate{2024, 6, 30}, {}, value::BadRowPolicy::skip, &skipped);
  check_same(t, score_read(path, CivilDate{2024, 6, 30}, {}, value::BadRowPolicy::skip));
  REQUIRE(skipped.size() == 10);
  CHECK(skipped[0].line == 20'002);
  CHECK(skipped[9].line == 380'002);
  CHECK_THROWS_WITH_AS(score_file(path, CivilDate{2024, 6, 30}), doctest::Contains("line 20002: date '2024-13-01'"), Error);
  std::remove(path.c_str());
  // A customer's total past the limit is refused naming the id, in whichever chunks its rows are.
  const std::string big = write_temp("limit.csv", fmt::format("customer_id,date,amount\nwhale,2024-01-01,{}\nminnow,2024-01-01,1\nwhale,2024-01-02,{}\n",
                                                              money::kMaxAmount, money::kMaxAmount));
  CHECK_THROWS_WITH_AS(score_file(big, CivilDate{2024, 6, 30}), doctest::Contains("customer whale: total amount above"), Error);
  std::remove(big.c_str());
  CHECK_THROWS_AS(score_file("/no/such/file", CivilDate{2024, 6, 30}), Error);
  Config bad;
  bad.window_days = -1;
  CHECK_THROWS_AS(score_file(CRMKIT_SOURCE_DIR "/data/cdnow/CDNOW_master.txt", CivilDate{2024, 6, 30}, bad), Error);
}

TEST_CASE("score_file streams regular files and reads pipes and late headers whole: the same table") {
  const std::string rows = "customer_id,date,amount\na,2024-01-01,10.5\nb,2024-02-01,3\na,2024-03-01,0.0001\n";
  const std::string path = write_temp("small.csv", rows);
  const Table expected = score_read(path, CivilDate{2024, 6, 30}, {}, value::BadRowPolicy::stop);
  REQUIRE(expected.size() == 2);
  check_same(score_file(path, CivilDate{2024, 6, 30}), expected);
  // A pipe: read whole.
  const std::string fifo = fmt::format("{}/crmkit-rfm-fifo-{}", P_tmpdir, ::getpid());
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << rows; });
  const Table piped = score_file(fifo, CivilDate{2024, 6, 30});
  writer.join();
  check_same(piped, expected);
  std::remove(fifo.c_str());
  // The header after more than a block of blank lines: read whole, the same rows and line numbers.
  const std::string late = write_temp("late.csv", std::string(9 << 20, '\n') + rows + "c,2024-01-01,x\n");
  std::vector<value::BadRow> skipped;
  check_same(score_file(late, CivilDate{2024, 6, 30}, {}, value::BadRowPolicy::skip, &skipped), expected);
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].line == (9u << 20) + 5);
  std::remove(late.c_str());
  std::remove(path.c_str());
}

TEST_CASE("Files past kMaxDataFileBytes are refused before they are read, naming the file") {
  const std::string path = write_temp("huge.csv", "customer_id,date,amount\n");
  std::filesystem::resize_file(path, kMaxDataFileBytes + 1);  // sparse: no disk used
  for (auto read : {std::function<void()>([&] { (void)score_file(path, CivilDate{2024, 6, 30}); }),
                    std::function<void()>([&] { (void)value::read_transactions_file(path); })}) {
    try {
      read();
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::limit);
      CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
  }
  std::remove(path.c_str());
}
