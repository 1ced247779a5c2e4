#include <doctest/doctest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

int seq = 0;
std::string ev(const std::string& c, const std::string& type, const std::string& at, const std::string& role = "agent",
               const std::string& data = "") {
  return fmt::format(R"({{"id":"k-{}","case":"{}","type":"{}","at":"{}","actor":"u-1","role":"{}","data":{{{}}}}})", ++seq, c, type,
                     at, role, data);
}
std::string at(const std::string& hhmm, int day) { return fmt::format("2026-03-{:02}T{}:00+08:00", day, hhmm); }
std::string rd(const std::string& channel, const std::string& customer, const std::string& category, const std::string& tier) {
  return fmt::format(R"("channel":"{}","category":"{}","severity":"normal","customer":"{}","tier":"{}")", channel, category, customer, tier);
}

Engine small_log() {
  Engine e = Engine::from_files(CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                                CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  // C-1: handled in time, satisfied.
  e.apply_json(ev("C-1", "receive", at("09:00", 9), "agent", rd("phone", "K-1", "service", "basic")));
  e.apply_json(ev("C-1", "acknowledge", at("09:10", 9)));
  e.apply_json(ev("C-1", "dispatch", at("09:20", 9), "agent", R"("department":"network","owner":"u-100")"));
  e.apply_json(ev("C-1", "contact", at("09:30", 9)));
  e.apply_json(ev("C-1", "resolve", at("10:00", 9), "agent", R"("resolution":"x")"));
  e.apply_json(ev("C-1", "callback", at("10:30", 9), "agent", R"("outcome":"satisfied")"));
  // C-2: unsatisfied once (reopen), then very satisfied.
  e.apply_json(ev("C-2", "receive", at("09:00", 9), "agent", rd("web", "K-2", "billing", "gold")));
  e.apply_json(ev("C-2", "acknowledge", at("09:10", 9)));
  e.apply_json(ev("C-2", "dispatch", at("09:20", 9), "agent", R"("department":"billing","owner":"u-101")"));
  e.apply_json(ev("C-2", "contact", at("09:30", 9)));
  e.apply_json(ev("C-2", "resolve", at("10:00", 9), "agent", R"("resolution":"x")"));
  e.apply_json(ev("C-2", "callback", at("10:30", 9), "agent", R"("outcome":"unsatisfied","reason":"took too long","manual":true)"));
  e.apply_json(ev("C-2", "resolve", at("11:00", 9), "agent", R"("resolution":"y")"));
  e.apply_json(ev("C-2", "callback", at("11:30", 9), "agent", R"("outcome":"very_satisfied","manual":true)"));
  // C-3: over-level, nothing done: first response (phone, 2 h) breached by Tuesday 12:00.
  e.apply_json(ev("C-3", "receive", at("09:00", 10), "agent", rd("phone", "K-3", "service", "basic") + R"(,"level":1)"));
  // C-4: repeat of C-1 (same customer and category), rejected.
  e.apply_json(ev("C-4", "receive", at("09:30", 10), "agent", rd("web", "K-1", "service", "basic")));
  e.apply_json(ev("C-4", "reject", at("09:40", 10), "supervisor", R"("reason":"duplicate")"));
  return e;
}

}  // namespace

TEST_CASE("KPIs computed by hand on a small log") {
  Engine e = small_log();
  CHECK(e.get("C-4")->repeat_of == std::optional<std::string>("C-1"));
  kpi::Options o;
  o.as_of = parse_instant(at("12:00", 10));
  kpi::Report r = e.kpi(o);
  const kpi::Measures& m = r.overall;
  CHECK(m.received == 4);
  CHECK(m.very_satisfied == 1);
  CHECK(m.satisfied == 1);
  CHECK(m.unsatisfied == 1);
  CHECK(m.satisfaction.numerator == 2);
  CHECK(m.satisfaction.denominator == 3);
  CHECK(m.timeliness.numerator == 3);
  CHECK(m.timeliness.denominator == 4);
  CHECK(m.closure.numerator == 3);
  CHECK(m.closure.denominator == 4);
  CHECK(m.callback.numerator == 2);
  CHECK(m.callback.denominator == 2);
  CHECK(m.first_time_resolution.numerator == 1);
  CHECK(m.first_time_resolution.denominator == 2);
  CHECK(m.repeat.numerator == 1);
  CHECK(m.over_level.numerator == 1);
  CHECK(r.targets.satisfaction.met(m.satisfaction) == std::optional<bool>(false));
  CHECK(r.targets.callback.met(m.callback) == std::optional<bool>(true));
  CHECK(r.targets.timeliness.met(m.timeliness) == std::optional<bool>(false));
  CHECK_FALSE(r.targets.first_time_resolution.met(m.first_time_resolution).has_value());
  REQUIRE(r.by_day.size() == 2);
  CHECK(r.by_day[0].key == "2026-03-09");
  CHECK(r.by_day[0].received == 2);
  CHECK(r.by_day[1].key == "2026-03-10");
  CHECK(r.by_day[1].timeliness.numerator == 1);
  CHECK(r.by_day[1].timeliness.denominator == 2);
  REQUIRE(r.by_week.size() == 1);
  CHECK(r.by_week[0].key == "2026-W11");
  REQUIRE(r.by_month.size() == 1);
  CHECK(r.by_month[0].key == "2026-03");
  REQUIRE(r.by_department.size() == 3);
  CHECK(r.by_department[0].key == "(none)");
  CHECK(r.by_department[0].received == 2);
  CHECK(r.by_department[1].key == "billing");
  CHECK(r.by_department[1].first_time_resolution.numerator == 0);
  REQUIRE(r.by_channel.size() == 2);
  CHECK(r.by_channel[0].key == "phone");
  CHECK(r.by_channel[0].over_level.numerator == 1);
  REQUIRE(r.by_tier.size() == 2);
  CHECK(r.by_tier[1].key == "gold");
  CHECK(r.by_category.size() == 2);
  REQUIRE(r.dissatisfaction_reasons.size() == 1);
  CHECK(r.dissatisfaction_reasons[0].reason == "took too long");
  CHECK(r.dissatisfaction_reasons[0].count == 1);

  // Before the breach, C-3's running clock is not due yet: it does not count for timeliness.
  o.as_of = parse_instant(at("10:00", 10));
  CHECK(e.kpi(o).overall.timeliness.denominator == 3);
  CHECK(e.kpi(o).overall.timeliness.numerator == 3);

  // Receipt range.
  kpi::Options tue;
  tue.from = parse_instant(at("00:00", 10));
  tue.as_of = parse_instant(at("12:00", 10));
  kpi::Report t = e.kpi(tue);
  CHECK(t.overall.received == 2);
  CHECK_FALSE(t.overall.satisfaction.value().has_value());

  // JSON shape.
  auto j = nlohmann::json::parse(kpi::to_json(r));
  CHECK(j["zone"] == "Asia/Shanghai");
  CHECK(j["as_of"] == "2026-03-10T04:00:00Z");
  CHECK(j["overall"]["received"] == 4);
  CHECK(j["overall"]["satisfaction"]["numerator"] == 2);
  CHECK(j["overall"]["satisfaction"]["target"] == ">0.95");
  CHECK(j["overall"]["satisfaction"]["met"] == false);
  CHECK(j["overall"]["timeliness"]["target"] == ">=1");
  CHECK(j["overall"]["first_time_resolution"]["met"].is_null());
  CHECK(j["by_week"][0]["key"] == "2026-W11");
  CHECK(j["by_day"].size() == 2);
  CHECK(j["dissatisfaction_reasons"][0]["count"] == 1);
  CHECK(j["overall"]["ratings"]["unsatisfied"] == 1);
  CHECK(nlohmann::json::parse(kpi::to_json(t))["overall"]["satisfaction"]["value"].is_null());
}

TEST_CASE("KPI targets") {
  kpi::Rate all{5, 5}, most{19, 20}, none{0, 0};
  kpi::Targets t;
  CHECK(t.timeliness.met(all) == std::optional<bool>(true));
  CHECK(t.satisfaction.met(most) == std::optional<bool>(false));  // 95 % is not > 95 %
  CHECK(t.satisfaction.met(kpi::Rate{96, 100}) == std::optional<bool>(true));
  CHECK_FALSE(t.closure.met(none).has_value());
  CHECK_FALSE(t.repeat.met(most).has_value());
}

TEST_CASE("empty engine gives an empty report") {
  Engine e = Engine::from_files(CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                                CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  kpi::Report r = e.kpi();
  CHECK(r.overall.received == 0);
  CHECK(r.by_day.empty());
  auto j = nlohmann::json::parse(kpi::to_json(r));
  CHECK(j["overall"]["closure"]["value"].is_null());
}
