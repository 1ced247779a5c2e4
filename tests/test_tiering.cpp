// Tiers: thresholds and window, hysteresis over several periods, enterprise grades, pyramid with
// ties, A/B/C by CLV, config errors, CDNOW end to end.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "crmkit/error.hpp"
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
  CHECK_THROWS_AS(enterprise_grade('C', 1, c), Error);
  CHECK_THROWS_AS(enterprise_grade('A', -1, c), Error);
}

TEST_CASE("Pyramid by value share of customers, ties by position") {
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
  CHECK(g[0].tier == "small");
  std::vector<double> ties(10, 5.0);
  auto t = pyramid(ties, c);
  CHECK(t[0].tier == "vip");  // 1 % of 10 rounds up to the first customer
  CHECK(t[9].tier == "small");
  CHECK(pyramid(std::vector<double>{}, c).empty());
}

TEST_CASE("A/B/C by CLV") {
  Config c;
  std::vector<double> clv{700, 100, 100, 50, 50, 0, -5};
  auto g = abc_by_clv(clv, c);  // total 1000: 700 -> A (0 % before); 100 -> B (70 %); 100 -> B (80 %); 50 -> C (90 %)
  CHECK(g[0].tier == "A");
  CHECK(g[1].tier == "B");
  CHECK(g[2].tier == "B");
  CHECK(g[3].tier == "C");
  CHECK(g[6].tier == "C");
}

TEST_CASE("Config from JSON, with errors naming the field") {
  Config c = Config::from_file(CRMKIT_SOURCE_DIR "/data/tiers/default.json");
  CHECK(c.individual.front().tier == "diamond");
  CHECK(c.individual.back().min_monthly_spend == 0);
  auto err = [](const char* json) {
    try {
      (void)Config::from_json(json);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
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
