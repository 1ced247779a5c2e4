#include <doctest/doctest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "engine_fixture.hpp"

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
  e.apply_json(ev("C-3", "receive", at("09:00", 10), "agent", rd("phone", "K-3", "service", "basic") + R"(,"level":1,"justified":true)"));
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
  CHECK(m.closure.numerator == 2);    // C-1 and C-2 closed
  CHECK(m.closure.denominator == 3);  // C-4 was rejected: not a valid case, shown apart
  REQUIRE(m.ended.size() == 1);
  CHECK(m.ended[0].state == "rejected");
  CHECK(m.ended[0].count == 1);
  CHECK(m.callback.numerator == 2);
  CHECK(m.callback.denominator == 2);
  CHECK(m.first_time_resolution.numerator == 1);
  CHECK(m.first_time_resolution.denominator == 2);
  CHECK(m.repeats == 1);
  CHECK(m.repeat.numerator == 0);  // C-4 repeats C-1 but was never judged justified
  CHECK(m.over_level_received == 1);
  CHECK(m.over_level.numerator == 1);  // C-3, justified
  CHECK(m.justified == 1);
  // Handling times: first response (acknowledge or reject) 10 minutes for C-1, C-2 and C-4; the
  // first resolution an hour after receipt (C-1, C-2); the rating half an hour after it.
  REQUIRE(m.handling_times.size() == 3);
  CHECK(m.handling_times[0].measure == "first_response");
  CHECK(m.handling_times[0].elapsed.count == 3);
  CHECK(m.handling_times[0].elapsed.median == std::optional<double>(600));
  CHECK(m.handling_times[0].business.p90 == std::optional<double>(600));
  CHECK(m.handling_times[1].measure == "resolution");
  CHECK(m.handling_times[1].elapsed.count == 2);
  CHECK(m.handling_times[1].elapsed.mean == std::optional<double>(3600));
  CHECK(m.handling_times[2].measure == "callback");
  CHECK(m.handling_times[2].business.count == 2);
  CHECK(m.handling_times[2].business.mean == std::optional<double>(1800));
  REQUIRE(r.by_severity.size() == 1);
  CHECK(r.by_severity[0].key == "normal");
  CHECK(r.by_severity[0].received == 4);
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
  CHECK(j["overall"]["ended"]["rejected"] == 1);
  CHECK(j["overall"]["handling_times"][1]["elapsed"]["median"] == 3600);
  CHECK(j["overall"]["handling_times"][0]["business"]["count"] == 3);
  CHECK(j["targets"]["closure"] == ">0.95");
  CHECK(j["targets"]["clock_on_time"] == ">=1");
  CHECK(j["by_severity"][0]["key"] == "normal");
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

TEST_CASE("KPI handling times: elapsed and business seconds, mean, median and 90th percentile as numpy's") {
  Engine e = Engine::from_files(CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                                CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  // Monday 2026-03-09, office hours 09:00-12:00 and 13:30-18:00. Acknowledged after 10 min, after
  // 3 h across lunch (1 h 30 min of business time), after a night (Monday 17:00 to Tuesday 10:00:
  // 17 h elapsed, 2 h business) and after 30 min.
  const std::pair<const char*, std::pair<std::string, std::string>> cases[] = {
      {"H-1", {at("09:00", 9), at("09:10", 9)}},
      {"H-2", {at("11:00", 9), at("14:00", 9)}},
      {"H-3", {at("17:00", 9), at("10:00", 10)}},
      {"H-4", {at("09:00", 10), at("09:30", 10)}},
  };
  for (const auto& [id, span] : cases) {
    e.apply_json(ev(id, "receive", span.first, "agent", rd("web", id, "service", "basic")));
    e.apply_json(ev(id, "acknowledge", span.second));
  }
  const kpi::HandlingTime h = e.kpi().overall.handling_times[0];
  CHECK(h.measure == "first_response");
  // elapsed 600, 10800, 61200, 1800: sorted 600, 1800, 10800, 61200
  CHECK(h.elapsed.count == 4);
  CHECK(h.elapsed.mean == std::optional<double>((600 + 10800 + 61200 + 1800) / 4.0));
  CHECK(h.elapsed.median == std::optional<double>((1800 + 10800) / 2.0));
  CHECK(h.elapsed.p90.value_or(-1) == doctest::Approx(10800 + (61200 - 10800) * 0.7));  // rank 2.7 of 0..3
  // business 600, 5400, 7200, 1800: sorted 600, 1800, 5400, 7200
  CHECK(h.business.mean == std::optional<double>((600 + 5400 + 7200 + 1800) / 4.0));
  CHECK(h.business.median == std::optional<double>((1800 + 5400) / 2.0));
  CHECK(h.business.p90.value_or(-1) == doctest::Approx(5400 + (7200 - 5400) * 0.7));
  // Nobody resolved: the other two are empty, their statistics null.
  CHECK(e.kpi().overall.handling_times[1].elapsed.count == 0);
  CHECK_FALSE(e.kpi().overall.handling_times[1].elapsed.median.has_value());
  CHECK(nlohmann::json::parse(kpi::to_json(e.kpi()))["overall"]["handling_times"][2]["business"]["p90"].is_null());
}

TEST_CASE("KPI repeat and over-level rates count justified complaints; the case's last judgement stands") {
  Engine e = Engine::from_files(CRMKIT_SOURCE_DIR "/data/workflows/default.json", CRMKIT_SOURCE_DIR "/data/policies/default.json",
                                CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  e.apply_json(ev("J-1", "receive", at("09:00", 9), "agent", rd("web", "K-1", "billing", "basic")));
  // J-2 repeats J-1 while it is still open; judged justified, then not, then justified again.
  CHECK(e.apply_json(ev("J-2", "receive", at("10:00", 9), "agent", rd("web", "K-1", "billing", "basic"))).repeat_of ==
        std::optional<std::string>("J-1"));
  e.apply_json(ev("J-2", "update", at("10:10", 9), "supervisor", R"("justified":true)"));
  e.apply_json(ev("J-2", "update", at("10:20", 9), "supervisor", R"("justified":false)"));
  // J-3 repeats too, judged unjustified.
  e.apply_json(ev("J-3", "receive", at("11:00", 9), "agent", rd("web", "K-1", "billing", "basic") + R"(,"justified":false)"));
  auto m = e.kpi().overall;
  CHECK(m.repeats == 2);
  CHECK(m.repeat.numerator == 0);
  CHECK(m.repeat.denominator == 3);
  CHECK(m.justified == 0);
  e.apply_json(ev("J-2", "update", at("10:30", 9), "supervisor", R"("justified":true)"));
  m = e.kpi().overall;
  CHECK(m.repeat.numerator == 1);
  CHECK(m.justified == 1);
}

TEST_CASE("KPI targets come from the policy and the caller; unknown names and bad texts are refused") {
  CHECK(kpi::Target::parse(">0.9", "t") == kpi::Target{kpi::Target::greater, 0.9});
  CHECK(kpi::Target::parse(">=1", "t") == kpi::Target{kpi::Target::at_least, 1.0});
  CHECK(kpi::Target::parse("minimise", "t").kind == kpi::Target::minimise);
  CHECK(kpi::Target::parse(">=0.333", "t").to_string() == ">=0.333");
  for (const char* bad : {"", ">", ">=", "0.9", ">1.5", ">-0.1", ">nan", ">0.9x", "maximize", ">inf", "< 0.5", "> 0.5"})
    CHECK_THROWS_WITH_AS(kpi::Target::parse(bad, "options.targets.closure"), doctest::Contains("options.targets.closure"), Error);
  kpi::Targets t;
  for (std::string_view name : kpi::Targets::names()) CHECK(t.find(name) != nullptr);
  CHECK(t.find("closur") == nullptr);

  // The default policy's kpi_targets are the sources'; the caller overrides one.
  Engine e = small_log();
  kpi::Options o;
  o.targets = {{"closure", kpi::Target{kpi::Target::at_least, 0.5}}};
  kpi::Report r = e.kpi(o);
  CHECK(r.targets.closure == kpi::Target{kpi::Target::at_least, 0.5});
  CHECK(r.targets.satisfaction == kpi::Target{kpi::Target::greater, 0.95});
  CHECK(r.targets.closure.met(r.overall.closure) == std::optional<bool>(true));
  o.targets = {{"closur", kpi::Target{}}};
  CHECK_THROWS_WITH_AS(e.kpi(o), doctest::Contains("options.targets.closur: unknown measure"), Error);

  // A policy's own targets; a typo in one, or in a top-level key, names it.
  auto policy = nlohmann::json::parse(crmkit::testing::slurp(CRMKIT_SOURCE_DIR "/data/policies/default.json"));
  policy.erase("kpi_targets");
  auto with = [&](const std::string& extra) {
    std::string p = policy.dump();
    p.insert(p.find('{') + 1, extra);
    return p;
  };
  auto rules = Rules::from_json(with(R"("kpi_targets":{"callback":">=1","first_visit_fix":">0.8"},)"));
  CHECK(rules.kpi_targets.size() == 2);
  CHECK_THROWS_WITH_AS(Rules::from_json(with(R"("kpi_targets":{"callbak":">=1"},)")), doctest::Contains("policy.kpi_targets.callbak"),
                       Error);
  CHECK_THROWS_WITH_AS(Rules::from_json(with(R"("kpi_targets":{"callback":"100%"},)")), doctest::Contains("policy.kpi_targets.callback"),
                       Error);
  CHECK_THROWS_WITH_AS(Rules::from_json(with(R"("reopen_window_dayz":3,)")), doctest::Contains("policy.reopen_window_dayz: unknown key"),
                       Error);
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
