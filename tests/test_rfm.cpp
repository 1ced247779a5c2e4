// RFM: quintiles with ties at the edges, recency reversed, cut points, segments, windows, edge
// cases (one purchase, empty input, first purchase on the as-of date), CDNOW end to end.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "crmkit/error.hpp"
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

TEST_CASE("Every R x F cell has a segment in the default map; custom maps and errors") {
  for (int r = 1; r <= 5; ++r)
    for (int f = 1; f <= 5; ++f) {
      bool found = false;
      for (const auto& s : default_segments())
        if (r >= s.r[0] && r <= s.r[1] && f >= s.f[0] && f <= s.f[1]) found = true;
      CHECK_MESSAGE(found, "r=" << r << " f=" << f);
    }
  Config c = Config::from_json(R"({"segments":[{"name":"top","r":[5,5],"f":[5,5],"m":[5,5]}],"fallback_segment":"rest"})");
  CHECK(segment_names(c) == std::vector<std::string>{"top", "rest"});
  auto err = [](const char* json) {
    try {
      (void)Config::from_json(json);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
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
