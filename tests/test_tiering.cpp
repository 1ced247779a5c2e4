// Tiers: thresholds and window, hysteresis over several periods, enterprise grades, pyramid with
// ties, A/B/C by CLV, config errors, CDNOW end to end.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "crmkit/error.hpp"
#include "test_support.hpp"
#include "crmkit/tiering.hpp"

using namespace crmkit;
using namespace crmkit::tiering;

TEST_CASE("Individual tiers from average monthly spend, with the rule") {
  Config c;
  CHECK(individual_tier(2500, c).tier == "diamond");
  CHECK(individual_tier(2000, c).tier == "diamond");  // the threshold itself qualifies
  CHECK(individual_tier(1999.99, c).tier == "gold");
  CHECK(individual_tier(100, c).tier == "silver");
  CHECK(individual_tier(0, c).tier == "basic");
  CHECK(individual_tier(812.4, c).reason == "avg monthly spend 812.40 over 12 months >= 500.00 (gold)");
  CHECK_THROWS_AS(individual_tier(-1, c), Error);
  CHECK_THROWS_AS(individual_tier(std::nan(""), c), Error);
}

TEST_CASE("Hysteresis: upgrade at once, downgrade after N consecutive periods below") {
  Config c;
  c.downgrade_after = 3;
  auto period = [&](double spend, const Rerating& before) { return rerate(individual_tier(spend, c), before.tier, before.periods_below, c); };
  Rerating r = rerate(individual_tier(600, c), "", 0, c);
  CHECK(r.tier == "gold");
  CHECK(r.change == "new");
  r = period(150, r);  // below gold once
  CHECK(r.tier == "gold");
  CHECK(r.change == "held");
  CHECK(r.periods_below == 1);
  r = period(150, r);
  CHECK(r.tier == "gold");
  CHECK(r.periods_below == 2);
  r = period(700, r);  // qualifies again: the counter resets
  CHECK(r.tier == "gold");
  CHECK(r.change == "same");
  CHECK(r.periods_below == 0);
  r = period(150, r);
  r = period(150, r);
  CHECK(r.change == "held");
  r = period(50, r);  // third consecutive period below: down to what it qualifies for now
  CHECK(r.tier == "basic");
  CHECK(r.change == "downgrade");
  CHECK(r.periods_below == 0);
  CHECK(r.reason.find("3 consecutive periods") != std::string::npos);
  r = period(3000, r);  // upgrade straight to diamond
  CHECK(r.tier == "diamond");
  CHECK(r.change == "upgrade");
  CHECK(r.previous == "basic");
}

TEST_CASE("Enterprise grades 1A-5A and 1B-5B") {
  Config c;
  CHECK(enterprise_grade('A', 20'000'000, c).tier == "1A");
  CHECK(enterprise_grade('A', 600'000, c).tier == "3A");
  CHECK(enterprise_grade('A', 0, c).tier == "5A");
  CHECK(enterprise_grade('B', 5'000'000, c).tier == "1B");
  CHECK(enterprise_grade('B', 60'000, c).tier == "4B");
  CHECK(enterprise_grade('B', 60'000, c).reason.find("commercial") != std::string::npos);
  CHECK(enterprise_grade('A', 2'000'000, c).tier == "2A");  // a band's lower bound belongs to it
  CHECK(enterprise_grade('A', 1'999'999.99, c).tier == "3A");
  CHECK(enterprise_grade('A', 600'000, c).reason == "class A (key account), annual revenue 600000.00 >= 500000.00 (band 3)");
  Config e = Config::from_json(R"({"enterprise":{"A":[500,400,300,200,0],"B":[50,40,30,20,0]}})");
  CHECK(enterprise_grade('A', 450, e).tier == "2A");
  CHECK(enterprise_grade('B', 450, e).tier == "1B");
  CHECK(enterprise_grade('B', 19.99, e).tier == "5B");
  CHECK_THROWS_AS(enterprise_grade('a', 1, c), Error);
  CHECK_THROWS_AS(enterprise_grade('A', std::nan(""), c), Error);
  CHECK_THROWS_AS(enterprise_grade('C', 1, c), Error);
  CHECK_THROWS_AS(enterprise_grade('A', -1, c), Error);
}

TEST_CASE("Pyramid by value share of customers; equal values share a level") {
  Config c;
  std::vector<double> revenue(200);
  for (size_t i = 0; i < revenue.size(); ++i) revenue[i] = static_cast<double>(i);  // customer 199 is the biggest
  auto g = pyramid(revenue, c);
  std::map<std::string, int> counts;
  for (auto& x : g) ++counts[x.tier];
  CHECK(counts["vip"] == 2);
  CHECK(counts["major"] == 8);
  CHECK(counts["ordinary"] == 30);
  CHECK(counts["small"] == 160);
  CHECK(g[199].tier == "vip");
  CHECK(g[199].reason == "rank 1 of 200 by value (vip: top 0%-1%)");
  CHECK(g[0].tier == "small");
  // A tie straddling the vip/major edge (positions 1..3 of 200) goes up whole.
  std::vector<double> tied = revenue;
  tied[198] = tied[197] = tied[196] = 198.5;  // customer 199 first, then three equal values
  auto t = pyramid(tied, c);
  CHECK(t[199].tier == "vip");
  CHECK(t[198].tier == "vip");
  CHECK(t[197].tier == "vip");
  CHECK(t[196].tier == "vip");
  CHECK(t[195].tier == "major");  // position 4
  counts.clear();
  for (auto& x : t) ++counts[x.tier];
  CHECK(counts["vip"] == 4);
  CHECK(counts["major"] == 6);  // positions 4..9
  // Everybody equal: nobody is above anybody, all in the top level; order does not matter.
  std::vector<double> same(10, 5.0);
  for (auto& x : pyramid(same, c)) CHECK(x.tier == "vip");
  // Small bases: 1 % of 10 customers is position 0 only; 5 % still position 0; 20 % positions 0..1.
  std::vector<double> ten{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  auto p = pyramid(ten, c);
  CHECK(p[0].tier == "vip");
  CHECK(p[1].tier == "ordinary");
  CHECK(p[2].tier == "small");
  // Profit may be negative; the pyramid only ranks.
  auto neg = pyramid(std::vector<double>{-5, 3, -1}, c);
  CHECK(neg[1].tier == "vip");
  CHECK(neg[0].tier == "small");
  CHECK(pyramid(std::vector<double>{}, c).empty());
  CHECK_THROWS_AS(pyramid(std::vector<double>{1, std::nan("")}, c), Error);
  // Configurable levels.
  Config two = Config::from_json(R"({"pyramid":[{"level":"top","share":0.5},{"level":"rest","share":0.5}]})");
  auto q = pyramid(std::vector<double>{1, 2, 3, 4}, two);
  CHECK(q[3].tier == "top");
  CHECK(q[2].tier == "top");
  CHECK(q[1].tier == "rest");
}

TEST_CASE("A/B/C by CLV") {
  Config c;
  std::vector<double> clv{700, 100, 100, 50, 50, 0, -5};
  auto g = abc_by_clv(clv, c);  // total 1000: 700 -> A (0 % before); 100 -> B (70 %); 100 -> B (70 %: tie); 50 -> C (90 %)
  CHECK(g[0].tier == "A");
  CHECK(g[1].tier == "B");
  CHECK(g[2].tier == "B");
  CHECK(g[3].tier == "C");
  CHECK(g[4].tier == "C");
  CHECK(g[6].tier == "C");
  CHECK(g[0].reason.find("0.0% of total CLV ranked above") != std::string::npos);
  // The customer who crosses 70 % is still A; equal CLVs at an edge share the class.
  auto h = abc_by_clv(std::vector<double>{40, 40, 10, 10}, c);  // before: 0, 0 (tie), 80 %, 80 %
  CHECK(h[0].tier == "A");
  CHECK(h[1].tier == "A");
  CHECK(h[2].tier == "B");
  CHECK(h[3].tier == "B");
  // Configurable shares: 50/30/20.
  Config d = Config::from_json(R"({"abc":{"a":0.5,"b":0.3}})");
  auto k = abc_by_clv(std::vector<double>{50, 30, 20}, d);
  CHECK(k[0].tier == "A");
  CHECK(k[1].tier == "B");
  CHECK(k[2].tier == "C");
  // No positive CLV at all: everybody C.
  for (auto& x : abc_by_clv(std::vector<double>{0, -1}, c)) CHECK(x.tier == "C");
  CHECK(abc_by_clv(std::vector<double>{}, c).empty());
  CHECK_THROWS_AS(abc_by_clv(std::vector<double>{INFINITY}, c), Error);
}

TEST_CASE("Trailing window of whole months; configurable thresholds") {
  Config c = Config::from_json(R"({"individual":{"window_months":3,"thresholds":[
      {"tier":"gold","min_monthly_spend":100},{"tier":"silver","min_monthly_spend":10},{"tier":"basic","min_monthly_spend":0}]}})");
  // Window of 3 months to 2024-06-15: 2024-04-01 .. 2024-06-15 (a partial last month).
  auto log = value::read_transactions_csv(
      "customer_id,date,amount\n"
      "a,2024-03-31,9000\n"   // the day before the window: not counted
      "a,2024-04-01,300\n"    // first day of the window
      "b,2024-06-15,29.99\n"  // on the as-of date
      "b,2024-06-16,5000\n"   // after it: ignored
      "c,2023-01-01,50\n");   // no purchase in the window: basic with spend 0
  auto rows = individual_tiers(log, CivilDate{2024, 6, 15}, c);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].customer_id == "a");
  CHECK(rows[0].average_monthly_spend == doctest::Approx(100));
  CHECK(rows[0].rating.tier == "gold");
  CHECK(rows[0].rating.reason == "avg monthly spend 100.00 over 3 months >= 100.00 (gold)");
  CHECK(rows[1].average_monthly_spend == doctest::Approx(29.99 / 3));
  CHECK(rows[1].rating.tier == "basic");
  CHECK(rows[2].average_monthly_spend == 0);
  CHECK(rows[2].rating.tier == "basic");
  CHECK(rows[2].rating.reason.find("below every threshold") != std::string::npos);
  // A window across a year boundary: 12 months to 2024-01-31 start on 2023-02-01.
  Config y;
  auto year = individual_tiers(value::read_transactions_csv("customer_id,date,amount\nx,2023-01-31,24000\nx,2023-02-01,6000\n"),
                               CivilDate{2024, 1, 31}, y);
  CHECK(year[0].average_monthly_spend == doctest::Approx(500));
  CHECK(year[0].rating.tier == "gold");
  CHECK(individual_tiers(value::TransactionLog{}, CivilDate{2024, 1, 1}, y).empty());
}

TEST_CASE("Hysteresis edge cases: immediate downgrade, unknown tiers, multi-level moves") {
  Config c;
  c.downgrade_after = 1;
  CHECK(rerate(individual_tier(150, c), "gold", 0, c).change == "downgrade");  // N = 1: at once
  c.downgrade_after = 2;
  Rerating r = rerate(individual_tier(0, c), "diamond", 0, c);
  CHECK(r.change == "held");
  CHECK(r.tier == "diamond");
  CHECK(r.reason == "avg monthly spend 0.00 over 12 months below every threshold (basic); kept diamond: 1 of 2 periods below before a downgrade");
  r = rerate(individual_tier(600, c), r.tier, r.periods_below, c);  // gold: still below diamond, 2nd period
  CHECK(r.change == "downgrade");
  CHECK(r.tier == "gold");  // to what it qualifies for now, not one step
  CHECK(r.periods_below == 0);
  r = rerate(individual_tier(2000, c), "basic", 5, c);  // straight up two levels, counter cleared
  CHECK(r.change == "upgrade");
  CHECK(r.tier == "diamond");
  CHECK(r.periods_below == 0);
  r = rerate(individual_tier(600, c), "platinum", 0, c);
  CHECK(r.change == "new");
  CHECK(r.reason.find("'platinum' unknown") != std::string::npos);
  CHECK_THROWS_AS(rerate(Grade{"platinum", ""}, "gold", 0, c), Error);
}

TEST_CASE("History files: quoted fields, round trip, customers without purchases, errors") {
  // The output of `crmkit tiers --history` (quoted reasons with commas) is a valid history.
  History h = History::from_csv(
      "customer_id,tier,previous_tier,change,periods_below,reason\r\n"
      "a,gold,gold,held,1,\"avg 1.00, below \"\"gold\"\"\"\r\n"
      "\"gone\",diamond,diamond,same,0,\"x\"\r\n");
  REQUIRE(h.customer_ids.size() == 2);
  CHECK(h.tiers[0] == "gold");
  CHECK(h.periods_below[0] == 1);
  CHECK(h.customer_ids[1] == "gone");
  Config c;  // downgrade after 2
  auto log = value::read_transactions_csv("customer_id,date,amount\na,2024-01-10,12\n");
  auto rows = individual_tiers(log, CivilDate{2024, 1, 31}, c, &h);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].customer_id == "a");
  CHECK(rows[0].rating.change == "downgrade");  // second consecutive period below gold
  CHECK(rows[0].rating.tier == "basic");
  CHECK(rows[1].customer_id == "gone");  // no purchase up to the as-of date: re-rated with spend 0
  CHECK(rows[1].average_monthly_spend == 0);
  CHECK(rows[1].rating.change == "held");
  CHECK(rows[1].rating.periods_below == 1);
  // Several periods in a row through the history: the counter carries over.
  History next;
  for (const auto& row : rows) {
    next.customer_ids.push_back(row.customer_id);
    next.tiers.push_back(row.rating.tier);
    next.periods_below.push_back(row.rating.periods_below);
  }
  auto again = individual_tiers(log, CivilDate{2024, 2, 29}, c, &next);
  CHECK(again[1].rating.change == "downgrade");
  CHECK(again[1].rating.tier == "basic");
  // Columns in another order, periods_below absent.
  History o = History::from_csv("tier,id\nsilver,z\n");
  CHECK(o.customer_ids[0] == "z");
  CHECK(o.periods_below[0] == 0);
  CHECK_THROWS_WITH_AS(History::from_csv("customer_id,tier\nx,gold\ny,basic\nx,silver\n"), doctest::Contains("line 4"), Error);
  CHECK_THROWS_WITH_AS(History::from_csv("customer_id,tier,periods_below\nx,gold,-1\n"), doctest::Contains("line 2"), Error);
  CHECK_THROWS_WITH_AS(History::from_csv("customer_id,tier,periods_below\nx,gold,2.5\n"), doctest::Contains("line 2"), Error);
  CHECK_THROWS_WITH_AS(History::from_csv("customer_id,tier,periods_below\nx\n"), doctest::Contains("line 2"), Error);
  CHECK(History::from_csv("").customer_ids.empty());
}

TEST_CASE("Configs built in code are validated") {
  Config c;
  c.individual.clear();
  CHECK_THROWS_WITH_AS(individual_tier(5, c), doctest::Contains("tiers.individual.thresholds"), Error);
  c = {};
  c.window_months = 0;
  CHECK_THROWS_WITH_AS(individual_tiers(value::TransactionLog{}, CivilDate{2024, 1, 1}, c), doctest::Contains("window_months"), Error);
  c = {};
  c.enterprise_a = {1, 2, 3, 4, 0};
  CHECK_THROWS_WITH_AS(enterprise_grade('A', 5, c), doctest::Contains("tiers.enterprise.A[1]"), Error);
  c = {};
  c.pyramid = {{"all", 0.5}, {"none", 0.2}};
  CHECK_THROWS_WITH_AS(pyramid(std::vector<double>{1}, c), doctest::Contains("sum to 1"), Error);
  c = {};
  c.downgrade_after = 0;
  CHECK_THROWS_WITH_AS(rerate(Grade{"gold", ""}, "gold", 0, c), doctest::Contains("downgrade_after"), Error);
}

TEST_CASE("Config from JSON, with errors naming the field") {
  Config c = Config::from_file(CRMKIT_SOURCE_DIR "/data/tiers/default.json");
  CHECK(c.individual.front().tier == "diamond");
  CHECK(c.individual.back().min_monthly_spend == 0);
  auto err = [](const char* json) { return testing::error_of([&] { (void)Config::from_json(json); }); };
  CHECK(err(R"({"individual":{"thresholds":[{"tier":"a","min_monthly_spend":5},{"tier":"b","min_monthly_spend":9}]}})")
            .find("tiers.individual.thresholds[1].min_monthly_spend") != std::string::npos);
  CHECK(err(R"({"individual":{"thresholds":[{"tier":"a","min_monthly_spend":5}]}})").find("base") != std::string::npos);
  CHECK(err(R"({"enterprise":{"A":[1,2,3,4,5]}})").find("tiers.enterprise.A[1]") != std::string::npos);
  CHECK(err(R"({"pyramid":[{"level":"a","share":0.5},{"level":"b","share":0.2}]})").find("sum to 1") != std::string::npos);
  CHECK(err(R"({"abc":{"a":0.9,"b":0.2}})").find("tiers.abc") != std::string::npos);
  CHECK(err(R"({"bogus":1})").find("tiers.bogus") != std::string::npos);
}

TEST_CASE("CDNOW tiers as of 1998-06-30, with a history") {
  auto log = value::read_transactions_file(CRMKIT_SOURCE_DIR "/data/cdnow/CDNOW_master.txt");
  Config c = Config::from_file(CRMKIT_SOURCE_DIR "/data/tiers/default.json");
  auto rows = individual_tiers(log, CivilDate{1998, 6, 30}, c);
  CHECK(rows.size() == 23570);
  std::map<std::string, int> counts;
  for (auto& r : rows) ++counts[r.rating.tier];
  for (auto& t : c.individual) CHECK_MESSAGE(counts[t.tier] > 0, t.tier);  // every tier shows up
  History h = History::from_csv("customer_id,tier,periods_below\n00001,diamond,0\n00002,basic,0\n");
  auto rated = individual_tiers(log, CivilDate{1998, 6, 30}, c, &h);
  CHECK(rated[0].rating.previous == "diamond");
  CHECK(rated[0].rating.change == "held");  // one period below: kept
  CHECK(rated[0].rating.tier == "diamond");
  CHECK_THROWS_AS(History::from_csv("customer,level\nx,y\n"), Error);
  CHECK_THROWS_AS(History::from_csv("customer_id,tier,periods_below\nx,gold,many\n"), Error);
}
