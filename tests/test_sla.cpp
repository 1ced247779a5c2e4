// SLA policies, clocks and the scheduler: rules, tiers, bad policies, pause across nights and
// weekends, DST, retargeting, each warning and breach exactly once, sweep order, and a random
// comparison with a brute-force reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "crmkit/error.hpp"
#include "test_support.hpp"
#include "crmkit/sla.hpp"

using namespace crmkit;
using namespace crmkit::sla;

namespace {

using testing::code_of;
using testing::error_of;

const std::string kData = CRMKIT_SOURCE_DIR "/data/";

Calendar china() { return Calendar::from_file(kData + "calendars/cn-2026.json"); }
Policy default_policy(const Calendar& cal) { return Policy::from_file(kData + "policies/default.json", cal); }
Instant at(const char* text) { return parse_instant(text); }

CaseAttributes attrs(std::string channel, std::string severity = "normal", std::string tier = "", std::string category = "service") {
  return CaseAttributes{std::move(channel), std::move(category), std::move(severity), std::move(tier)};
}

}  // namespace

TEST_CASE("parse_duration") {
  CHECK(parse_duration("2h").count_seconds() == 7200);
  CHECK(parse_duration("90m").count_seconds() == 5400);
  CHECK(parse_duration("1h30m").count_seconds() == 5400);
  CHECK(parse_duration("3d").count_seconds() == 3 * 86400);
  CHECK(parse_duration("45s").count_seconds() == 45);
  CHECK(parse_duration("1d2h3m4s").count_seconds() == 86400 + 7200 + 180 + 4);
  CHECK(parse_duration("3600").count_seconds() == 3600);
  for (const char* bad : {"", "h", "2", "2x", "30m2h", "2h2h", "-2h", "1.5h", "2 h", "99999999999999999999h"})
    if (std::string(bad) != "2") CHECK_MESSAGE(code_of([&] { (void)parse_duration(bad); }) == Errc::parse, bad);
}

TEST_CASE("The default policy gives the targets of docs/domain.md#time-targets") {
  Calendar cal = china();
  Policy p = default_policy(cal);
  CHECK(p.clock_names() == std::vector<std::string>{"callback", "callback_goal", "contact_after_dispatch", "corrective_action", "crisis_report", "first_response",
                                                         "progress_update", "promised_contact", "reply", "resolution"});
  CHECK(p.has_clock("resolution"));
  CHECK_FALSE(p.has_clock("nope"));
  CHECK(p.default_warnings() == std::vector<double>{0.5, 0.75, 0.9});

  Target phone = p.target("first_response", attrs("phone"));
  CHECK(phone.duration == Duration::hours(2));
  CHECK(phone.escalate_to == 1);
  CHECK(phone.calendar.id() == cal.id());
  CHECK(phone.rule == "first_response: channel=phone -> 2h");
  CHECK(p.target("first_response", attrs("system")).duration == Duration::hours(8));
  CHECK(p.target("first_response", attrs("forum")).duration == Duration::hours(24));   // list value
  CHECK(p.target("first_response", attrs("carrier-pigeon")).duration == Duration::hours(24));  // default
  CHECK(p.target("first_response", attrs("carrier-pigeon")).rule == "first_response: default 1d");
  CHECK(p.target("contact_after_dispatch", attrs("web")).duration == Duration::hours(2));

  // Severity rules, with their own escalation level.
  Target critical = p.target("resolution", attrs("web", "critical"));
  CHECK(critical.duration == Duration::hours(8));
  CHECK(critical.escalate_to == 2);
  CHECK(p.target("resolution", attrs("web", "high")).escalate_to == 1);
  CHECK(p.target("resolution", attrs("web", "normal")).duration == Duration::hours(40));

  // Tiers: multipliers rounded to whole seconds, diamond counts on 24x7.
  Target gold = p.target("first_response", attrs("phone", "normal", "gold"));
  CHECK(gold.duration == Duration::minutes(90));
  CHECK(gold.rule == "first_response: channel=phone -> 2h; tier gold x0.75 -> 1h30m");
  Target diamond = p.target("first_response", attrs("phone", "normal", "diamond"));
  CHECK(diamond.duration == Duration::hours(1));
  CHECK(diamond.calendar.id() != cal.id());
  CHECK(diamond.calendar.is_working(at("2026-10-01T03:00:00+08:00")));  // a holiday night
  CHECK(p.target("first_response", attrs("phone", "normal", "unknown-tier")).duration == Duration::hours(2));

  // The callback clock counts calendar time.
  Target callback = p.target("callback", attrs("phone"));
  CHECK(callback.duration == Duration::days(3));
  CHECK(callback.calendar.is_working(at("2026-10-01T03:00:00+08:00")));
  CHECK(code_of([&] { (void)p.target("nope", attrs("phone")); }) == Errc::not_found);
}

TEST_CASE("Tier multipliers round to whole seconds and never reach zero") {
  Calendar cal;
  Policy p = Policy::from_json(R"({"clocks":{"c":{"target":7}},"tiers":{"t":{"multiplier":0.1},"h":{"multiplier":0.5}}})", cal);
  CHECK(p.target("c", attrs("x", "n", "t")).duration == Duration::seconds(1));
  CHECK(p.target("c", attrs("x", "n", "h")).duration == Duration::seconds(4));  // 3.5 rounds half away from zero
}

TEST_CASE("A bad policy is refused with the field named") {
  Calendar cal;
  auto err = [&](const char* json) { return error_of([&] { (void)Policy::from_json(json, cal); }); };
  CHECK(code_of([&] { (void)Policy::from_json("{\"clocks\":", cal); }) == Errc::parse);
  CHECK(err("[]").find("policy") != std::string::npos);
  CHECK(err("{}").find("policy.clocks") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"2q"}}})").find("policy.clocks.a.target") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":0}}})").find("positive") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{}}})").find("policy.clocks.a.target") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","calendar":"mars"}}})").find("unknown calendar 'mars'") != std::string::npos);
  CHECK(code_of([&] { (void)Policy::from_json(R"({"clocks":{"a":{"target":"1h","calendar":"mars"}}})", cal); }) == Errc::not_found);
  CHECK(err(R"({"warnings":[0.5,0.4],"clocks":{"a":{"target":"1h"}}})").find("policy.warnings[1]") != std::string::npos);
  CHECK(err(R"({"warnings":[1.5],"clocks":{"a":{"target":"1h"}}})").find("(0, 1)") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","rules":[{"when":{"colour":[]},"target":"1h"}]}}})")
            .find("policy.clocks.a.rules[0].when.colour") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","rules":[{"when":{"channel":"x"}}]}}})").find("rules[0]: sets nothing") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","rules":[{"when":{"channel":"x"},"targt":"2h"}]}}})").find("rules[0].targt") != std::string::npos);
  // Kinds: each takes what it needs and nothing else.
  CHECK(err(R"({"clocks":{"a":{"target":"1h","kind":"wall"}}})").find("policy.clocks.a.kind") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","kind":"elapsed","calendar":"24x7"}}})").find("policy.clocks.a.calendar") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"kind":"instant"}}})").find("policy.clocks.a.field: missing") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"kind":"instant","field":"f","target":"1h"}}})").find("policy.clocks.a.target") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"kind":"instant","field":"f","offset":"-3x"}}})").find("policy.clocks.a.offset") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","offset":"1h"}}})").find("only an instant target takes an offset") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"kind":"instant","field":"f","rules":[{"when":{"tier":"x"},"kind":"business"}]}}})")
            .find("rules[0].target: missing") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","escalate_on_breach":16}}})").find("escalate_on_breach") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h","bogus":1}}})").find("policy.clocks.a.bogus") != std::string::npos);
  CHECK(err(R"({"clocks":{"a":{"target":"1h"}},"tiers":{"gold":{"multiplier":-1}}})").find("policy.tiers.gold.multiplier") != std::string::npos);
  CHECK(code_of([&] { (void)Policy::from_file("/nonexistent/policy.json", cal); }) == Errc::io);
  // Named calendars supplied by the caller.
  Policy named = Policy::from_json(R"({"clocks":{"a":{"target":"1h","calendar":"cn"}}})", cal, {{"cn", china()}});
  CHECK(named.target("a", {}).calendar.spec().zone == "Asia/Shanghai");
}

TEST_CASE("A clock pauses across nights and weekends and keeps its business time") {
  Calendar cal = china();
  Scheduler s;
  Policy p = default_policy(cal);
  TargetId resolution = s.intern(p.target("resolution", attrs("web", "high")));  // 16 business hours
  CHECK(s.intern(p.target("resolution", attrs("phone", "high"))) == resolution);  // same target: same id
  ClockId c = s.create(resolution);
  CHECK(s.status(c, at("2026-03-02T09:00:00+08:00")).state == ClockState::idle);
  s.start(c, at("2026-03-06T16:00:00+08:00"));  // Friday 16:00: 2 business hours left that day
  auto st = s.status(c, at("2026-03-06T18:00:00+08:00"));
  CHECK(st.elapsed == Duration::hours(2));
  REQUIRE(st.due);
  // 14 h more from Monday 09:00: Mon 7.5 h, Tue 6.5 h -> Tue 09:00 + 6.5 h = 17:00 (lunch 12:00-13:30).
  CHECK(*st.due == at("2026-03-10T17:00:00+08:00"));
  s.pause(c, at("2026-03-06T17:00:00+08:00"));  // waiting for the customer over the weekend
  st = s.status(c, at("2026-03-09T12:00:00+08:00"));
  CHECK(st.state == ClockState::paused);
  CHECK(st.elapsed == Duration::hours(1));
  CHECK_FALSE(st.due);
  s.resume(c, at("2026-03-09T12:30:00+08:00"));  // resumed during lunch: counts from 13:30
  st = s.status(c, at("2026-03-09T14:30:00+08:00"));
  CHECK(st.elapsed == Duration::hours(2));
  REQUIRE(st.due);
  // 15 h left from Mon 13:30: Mon 4.5 h (to 18:00), Tue 7.5 h, Wed 3 h -> Wed 12:00.
  CHECK(*st.due == at("2026-03-11T12:00:00+08:00"));
  CHECK(st.remaining == Duration::hours(14));
  s.stop(c, at("2026-03-10T09:30:00+08:00"));
  st = s.status(c, at("2026-03-20T00:00:00+08:00"));
  CHECK(st.state == ClockState::stopped);
  CHECK(st.elapsed == Duration::hours(6));  // Fri 1 h + Mon 13:30-18:00 4.5 h + Tue 0.5 h
  CHECK_FALSE(st.breached);
}

TEST_CASE("Warnings and the breach fire once each, at the crossing instant, in order") {
  Calendar cal = china();
  Scheduler s;
  Policy p = default_policy(cal);
  ClockId c = s.create(s.intern(p.target("first_response", attrs("phone"))));  // 2 h: 1 h, 1.5 h, 1.8 h, 2 h
  s.start(c, at("2026-03-09T11:00:00+08:00"));
  std::vector<ClockEvent> out;
  s.sweep(at("2026-03-09T11:59:59+08:00"), out);
  CHECK(out.empty());
  REQUIRE(s.next_fire());
  CHECK(*s.next_fire() == at("2026-03-09T12:00:00+08:00"));
  s.sweep(at("2026-03-09T20:00:00+08:00"), out);  // swept late: the instants are the crossings
  REQUIRE(out.size() == 4);
  CHECK(out[0].kind == ClockEvent::warning);
  CHECK(out[0].at == at("2026-03-09T12:00:00+08:00"));
  CHECK(out[0].fraction == 0.5);
  CHECK(out[1].at == at("2026-03-09T14:00:00+08:00"));  // 1.5 h: lunch skipped
  CHECK(out[1].index == 1);
  CHECK(out[2].at == at("2026-03-09T14:18:00+08:00"));
  CHECK(out[3].kind == ClockEvent::breach);
  CHECK(out[3].at == at("2026-03-09T14:30:00+08:00"));
  CHECK(out[3].fraction == 1.0);
  out.clear();
  s.sweep(at("2026-04-01T00:00:00+08:00"), out);
  CHECK(out.empty());  // nothing fires twice
  auto st = s.status(c, at("2026-03-09T15:00:00+08:00"));
  CHECK(st.breached);
  CHECK(st.warnings_fired == 3);
  CHECK(st.remaining == -Duration::minutes(30));
  CHECK_FALSE(s.next_fire());
}

TEST_CASE("Crossings deferred between sweeps: next_fire sees them, the sweep orders them") {
  Calendar cal = china();
  Scheduler s;
  Policy p = default_policy(cal);
  const TargetId two_hours = s.intern(p.target("first_response", attrs("phone")));  // warnings at 1 h, 1.5 h, 1.8 h
  // Clocks stopped in reverse start order after crossing their first warning: the crossings are
  // appended unordered and must come out by instant.
  std::vector<ClockId> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(s.create(two_hours));
    s.start(ids.back(), at("2026-03-09T09:00:00+08:00") + Duration::minutes(i));
  }
  for (int i = 4; i >= 0; --i) s.stop(ids[static_cast<size_t>(i)], at("2026-03-09T10:29:00+08:00"));
  REQUIRE(s.next_fire());
  CHECK(*s.next_fire() == at("2026-03-09T10:00:00+08:00"));  // the first clock's 50 % crossing
  std::vector<ClockEvent> out;
  s.sweep(at("2026-03-09T10:29:00+08:00"), out);
  REQUIRE(out.size() == 5);
  for (size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i].clock == ids[i]);
    CHECK(out[i].at == at("2026-03-09T10:00:00+08:00") + Duration::minutes(static_cast<int64_t>(i)));
  }
  CHECK_FALSE(s.next_fire());
}

TEST_CASE("Crossings inside a segment that ends before a sweep still fire, once") {
  Calendar cal = china();
  Scheduler s;
  Policy p = default_policy(cal);
  TargetId t = s.intern(p.target("first_response", attrs("phone")));
  ClockId paused = s.create(t), stopped = s.create(t);
  s.start(paused, at("2026-03-09T09:00:00+08:00"));
  s.start(stopped, at("2026-03-09T09:00:00+08:00"));
  s.pause(paused, at("2026-03-09T10:40:00+08:00"));  // past 50 % and 75 %
  s.stop(stopped, at("2026-03-09T11:30:00+08:00"));  // past the breach
  std::vector<ClockEvent> out;
  s.sweep(at("2026-03-09T12:00:00+08:00"), out);
  REQUIRE(out.size() == 6);
  std::vector<std::tuple<ClockId, int, int64_t>> got;
  for (auto& e : out) got.emplace_back(e.clock, e.kind == ClockEvent::breach ? 9 : e.index, e.at.unix_seconds());
  const int64_t nine = at("2026-03-09T09:00:00+08:00").unix_seconds();
  CHECK(got == std::vector<std::tuple<ClockId, int, int64_t>>{
                   {paused, 0, nine + 3600}, {stopped, 0, nine + 3600}, {paused, 1, nine + 5400},
                   {stopped, 1, nine + 5400}, {stopped, 2, nine + 6480}, {stopped, 9, nine + 7200}});
  s.resume(paused, at("2026-03-09T13:30:00+08:00"));
  out.clear();
  s.sweep(at("2026-03-09T18:00:00+08:00"), out);
  REQUIRE(out.size() == 2);  // 90 % and the breach, not the 50 %/75 % again
  CHECK(out[0].at == at("2026-03-09T13:38:00+08:00"));
  CHECK(out[1].at == at("2026-03-09T13:50:00+08:00"));
}

TEST_CASE("A DST zone: business time across New York's switch dates") {
  Calendar ny = Calendar::from_json(R"({"zone":"America/New_York","week":{
      "mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],
      "fri":[["09:00","17:00"]],"sat":[],"sun":[["00:00","24:00"]]}})");
  Policy p = Policy::from_json(R"({"clocks":{"resolution":{"target":"30h"}}})", ny);
  Scheduler s;
  ClockId spring = s.create(s.intern(p.target("resolution", {})));
  s.start(spring, at("2026-03-07T12:00:00-05:00"));  // Saturday: counts from Sunday 00:00 (EST)
  // Sunday 2026-03-08 lasts 23 h (02:00 -> 03:00), then Monday 09:00 EDT + 7 h = 16:00 EDT.
  auto st = s.status(spring, at("2026-03-08T12:00:00-05:00"));
  REQUIRE(st.due);
  CHECK(*st.due == at("2026-03-09T16:00:00-04:00"));
  CHECK(st.elapsed == Duration::hours(12));
  ClockId autumn = s.create(s.intern(p.target("resolution", {})));
  s.start(autumn, at("2026-10-31T12:00:00-04:00"));
  // Sunday 2026-11-01 lasts 25 h, then Monday 09:00 EST + 5 h = 14:00 EST.
  st = s.status(autumn, at("2026-11-01T23:59:00-05:00"));
  REQUIRE(st.due);
  CHECK(*st.due == at("2026-11-02T14:00:00-05:00"));
  CHECK(st.elapsed == Duration::hours(25) - Duration::minutes(1));
  std::vector<ClockEvent> out;
  s.sweep(at("2026-11-30T00:00:00Z"), out);
  CHECK(out.size() == 8);
}

TEST_CASE("Retarget midway keeps elapsed time; thresholds already crossed fire at the next sweep") {
  Calendar cal = china();
  Policy p = default_policy(cal);
  Scheduler s;
  TargetId normal = s.intern(p.target("resolution", attrs("web", "normal")));      // 40 h
  TargetId critical = s.intern(p.target("resolution", attrs("web", "critical")));  // 8 h
  ClockId c = s.create(normal);
  s.start(c, at("2026-03-09T09:00:00+08:00"));
  s.pause(c, at("2026-03-10T09:00:00+08:00"));  // 7.5 h elapsed, no threshold of 40 h crossed
  std::vector<ClockEvent> out;
  s.sweep(at("2026-03-10T09:00:00+08:00"), out);
  CHECK(out.empty());
  // Severity raised to critical while paused: 7.5 h of 8 h used: 50 %, 75 % and 90 % crossed.
  s.retarget(c, critical, at("2026-03-10T10:00:00+08:00"));
  auto st = s.status(c, at("2026-03-10T10:00:00+08:00"));
  CHECK(st.elapsed == Duration::minutes(450));
  CHECK(st.remaining == Duration::minutes(30));
  CHECK(st.target == critical);
  s.sweep(at("2026-03-10T10:00:00+08:00"), out);
  REQUIRE(out.size() == 3);
  for (auto& e : out) CHECK(e.at == at("2026-03-10T10:00:00+08:00"));
  CHECK(out[2].fraction == 0.9);
  s.resume(c, at("2026-03-10T11:00:00+08:00"));
  out.clear();
  s.sweep(at("2026-03-10T23:00:00+08:00"), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == ClockEvent::breach);
  CHECK(out[0].at == at("2026-03-10T11:30:00+08:00"));
  // Back to a longer target: warnings already fired stay fired, nothing fires again.
  s.retarget(c, normal, at("2026-03-11T09:00:00+08:00"));
  out.clear();
  s.sweep(at("2026-06-01T00:00:00+08:00"), out);
  REQUIRE(out.size() == 0);  // every threshold of the 40 h target (50/75/90 %, breach) already fired by index
  // 7.5 h + Tue 11:00-12:00 and 13:30-18:00 = 13 h
  CHECK(s.status(c, at("2026-03-11T09:00:00+08:00")).elapsed == Duration::hours(13));
}

TEST_CASE("Refused operations change nothing") {
  Calendar cal = china();
  Policy p = default_policy(cal);
  Scheduler s;
  ClockId c = s.create(s.intern(p.target("first_response", attrs("phone"))));
  CHECK(code_of([&] { s.resume(c, at("2026-03-09T09:00:00+08:00")); }) == Errc::invalid_state);
  CHECK(code_of([&] { s.pause(c, at("2026-03-09T09:00:00+08:00")); }) == Errc::invalid_state);
  s.start(c, at("2026-03-09T10:00:00+08:00"));
  CHECK(code_of([&] { s.start(c, at("2026-03-09T10:30:00+08:00")); }) == Errc::invalid_state);
  CHECK(code_of([&] { s.pause(c, at("2026-03-09T09:59:59+08:00")); }) == Errc::invalid_argument);
  CHECK(code_of([&] { s.pause(999, at("2026-03-09T11:00:00+08:00")); }) == Errc::not_found);
  CHECK(code_of([&] { s.retarget(c, 77, at("2026-03-09T11:00:00+08:00")); }) == Errc::not_found);
  CHECK(code_of([&] { (void)s.create(77); }) == Errc::not_found);
  auto st = s.status(c, at("2026-03-09T10:30:00+08:00"));
  CHECK(st.state == ClockState::running);
  CHECK(st.elapsed == Duration::minutes(30));
  s.stop(c, at("2026-03-09T10:45:00+08:00"));
  CHECK(code_of([&] { s.stop(c, at("2026-03-09T11:00:00+08:00")); }) == Errc::invalid_state);
  CHECK(code_of([&] { s.resume(c, at("2026-03-09T11:00:00+08:00")); }) == Errc::invalid_state);
  CHECK(code_of([&] { s.retarget(c, 0, at("2026-03-09T11:00:00+08:00")); }) == Errc::invalid_state);
  CHECK(s.status(c, at("2026-03-09T12:00:00+08:00")).elapsed == Duration::minutes(45));
  // A clock whose deadline cannot be computed (past the supported years) does not start.
  ClockId d = s.create(s.intern(p.target("first_response", attrs("phone"))));
  CHECK(code_of([&] { s.start(d, Instant::from_unix_seconds(100000000000)); }) == Errc::invalid_argument);
  CHECK(s.status(d, Instant::from_unix_seconds(0)).state == ClockState::idle);
}

TEST_CASE("Erase, copy and memory") {
  Calendar cal = china();
  Policy p = default_policy(cal);
  Scheduler s;
  TargetId t = s.intern(p.target("first_response", attrs("phone")));
  ClockId a = s.create(t), b = s.create(t);
  s.start(a, at("2026-03-09T09:00:00+08:00"));
  s.start(b, at("2026-03-09T09:00:00+08:00"));
  Scheduler copy = s;
  s.erase(a);
  CHECK_FALSE(s.contains(a));
  CHECK(s.contains(b));
  CHECK(s.size() == 1);
  CHECK(code_of([&] { (void)s.status(a, at("2026-03-09T09:00:00+08:00")); }) == Errc::not_found);
  std::vector<ClockEvent> out;
  s.sweep(at("2026-03-10T00:00:00+08:00"), out);
  CHECK(out.size() == 4);  // only b
  out.clear();
  copy.sweep(at("2026-03-10T00:00:00+08:00"), out);
  CHECK(out.size() == 8);  // the copy is independent
  CHECK(copy.size() == 2);
  CHECK(s.memory_bytes() > 0);
  CHECK(s.memory_bytes() < 1000);
  ClockId c = s.create(t);
  CHECK(c == 3);  // ids are never reused
}

TEST_CASE("Random operations and sweeps agree with a brute-force reference") {
  Calendar cal = china();
  Policy p = default_policy(cal);
  Scheduler s;
  std::mt19937_64 rng(42);
  const char* channels[] = {"phone", "web", "system"};
  const char* severities[] = {"low", "normal", "high", "critical"};
  // Business targets (phone, resolution), elapsed ones (web, system) and instants (a promised
  // contact up to three days ahead, never paused).
  const Policy promise = Policy::from_json(R"({"clocks": {"promise": {"kind": "instant", "field": "by"}}})", cal);
  struct Ref {
    TargetId target;
    std::vector<std::pair<int64_t, int64_t>> segments;  // running [from, to)
    int state = 0;                                        // 0 idle 1 running 2 paused 3 stopped
    int64_t last = 0;
    int64_t due = 0;  // instant targets
  };
  std::map<ClockId, Ref> ref;
  int64_t now = at("2026-01-05T08:00:00+08:00").unix_seconds();
  std::vector<ClockEvent> fired;
  for (int i = 0; i < 400; ++i) {
    TargetId t = rng() % 5 == 0 ? s.intern(promise.target("promise", {}))
                                : s.intern(p.target(rng() % 2 ? "first_response" : "resolution",
                                                    attrs(channels[rng() % 3], severities[rng() % 4], rng() % 5 == 0 ? "gold" : "")));
    ref[s.create(t)] = Ref{t, {}, 0, 0};
  }
  for (int step = 0; step < 6000; ++step) {
    now += static_cast<int64_t>(rng() % 1800);
    ClockId id = 1 + rng() % ref.size();
    Ref& r = ref[id];
    Instant t = Instant::from_unix_seconds(now);
    switch (rng() % 6) {
      case 0:
        if (r.state == 0) {
          r.due = now + static_cast<int64_t>(rng() % (3 * 86400)) - 3600;  // sometimes already past
          s.start(id, t, Instant::from_unix_seconds(r.due));
          r.state = 1;
          r.segments.push_back({now, INT64_MAX});
        }
        break;
      case 1:
        if (r.state == 1 && s.target(r.target).kind != TargetKind::instant) {
          s.pause(id, t);
          r.state = 2;
          r.segments.back().second = now;
        }
        break;
      case 2:
        if (r.state == 2) {
          s.resume(id, t);
          r.state = 1;
          r.segments.push_back({now, INT64_MAX});
        }
        break;
      case 3:
        if (r.state == 1 || r.state == 2) {
          s.stop(id, t);
          if (r.state == 1) r.segments.back().second = now;
          r.state = 3;
        }
        break;
      default:
        if (rng() % 8 == 0) s.sweep(t, fired);
    }
  }
  s.sweep(Instant::from_unix_seconds(now), fired);
  // Reference: business time B(t) of a clock is the sum over its segments; a threshold h is
  // crossed at the first t with B(t) >= h (binary search on whole seconds).
  auto business = [&](const Ref& r, int64_t t) {
    int64_t b = 0;
    const Calendar& counted = s.target(r.target).calendar;  // the policy's, or 24x7 for elapsed and instant targets
    for (auto [from, to] : r.segments)
      if (t > from) b += counted.between(Instant::from_unix_seconds(from), Instant::from_unix_seconds(std::min(t, to))).count_seconds();
    return b;
  };
  std::vector<std::tuple<int64_t, ClockId, int, int>> expected;
  for (auto& [id, r] : ref) {
    if (r.segments.empty()) continue;
    const Target& target = s.target(r.target);
    std::vector<int64_t> thresholds;
    // An instant: the breach at the due, warnings at fractions of the time from the start.
    const int64_t total = target.kind == TargetKind::instant ? std::max<int64_t>(r.due - r.segments.front().first, 0)
                                                            : target.duration.count_seconds();
    for (double f : target.warnings) thresholds.push_back(total == 0 ? 0 : std::max<int64_t>(1, std::llround(f * static_cast<double>(total))));
    thresholds.push_back(total);
    for (size_t k = 0; k < thresholds.size(); ++k) {
      if (business(r, now) < thresholds[k]) continue;
      int64_t lo = r.segments.front().first, hi = now;
      while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (business(r, mid) >= thresholds[k]) hi = mid;
        else lo = mid + 1;
      }
      bool breach = k + 1 == thresholds.size();
      expected.emplace_back(lo, id, breach ? 1 : 0, breach ? 0 : static_cast<int>(k));
    }
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::tuple<int64_t, ClockId, int, int>> got;
  for (auto& e : fired) got.emplace_back(e.at.unix_seconds(), e.clock, e.kind == ClockEvent::breach ? 1 : 0, e.index);
  CHECK(std::is_sorted(got.begin(), got.end(),
                       [](auto& a, auto& b) { return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b)); }));
  std::sort(got.begin(), got.end());
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  CHECK(expected.size() > 200);
}

TEST_CASE("Instants past the supported years are answered as of the last supported second (fuzzer regression)") {
  Calendar cal = china();
  Policy p = default_policy(cal);
  Scheduler s;
  ClockId c = s.create(s.intern(p.target("first_response", attrs("phone"))));
  s.start(c, at("2026-03-09T09:00:00+08:00"));
  std::vector<ClockEvent> out;
  s.sweep(Instant::from_unix_seconds(INT64_MAX / 2), out);
  CHECK(out.size() == 4);
  auto st = s.status(c, Instant::from_unix_seconds(INT64_MAX / 2));
  CHECK(st.breached);
  CHECK(st.elapsed > Duration::hours(1000));
}

TEST_CASE("A snapshot's stored next fire is not believed: a fired-out clock stays silent (fuzzer regression)") {
  Calendar cal = china();
  Policy p = default_policy(cal);
  Scheduler s;
  ClockId c = s.create(s.intern(p.target("first_response", attrs("phone"))));
  const Instant start = at("2026-03-09T09:00:00+08:00");
  s.start(c, start);
  std::vector<ClockEvent> out;
  s.sweep(at("2026-04-01T09:00:00+08:00"), out);
  REQUIRE(out.size() == 4);  // every warning and the breach: nothing is left to fire
  REQUIRE_FALSE(s.next_fire());
  std::string bytes = s.to_bytes();
  // A clock is stored as segment_start, accumulated, last_change, next_fire (8 bytes each, little
  // endian): write a next fire into it as an edited file might.
  int64_t segment_start = start.unix_seconds();
  std::string needle(reinterpret_cast<const char*>(&segment_start), 8);
  const size_t pos = bytes.find(needle);
  REQUIRE(pos != std::string::npos);
  int64_t stored_next = 0;
  std::memcpy(&stored_next, bytes.data() + pos + 24, 8);
  REQUIRE(stored_next == INT64_MAX);
  const int64_t edited = at("2026-04-02T09:00:00+08:00").unix_seconds();
  std::memcpy(bytes.data() + pos + 24, &edited, 8);
  Scheduler restored = Scheduler::from_bytes(bytes);
  CHECK_FALSE(restored.next_fire());
  out.clear();
  restored.sweep(at("2026-05-01T09:00:00+08:00"), out);
  CHECK(out.empty());
  CHECK(restored.to_bytes() == s.to_bytes());  // the derived next fire is written, not the edited one
}

TEST_CASE("2000 clocks, random operations incl. retarget, erase, refused calls and a copy, vs a brute-force reference") {
  // The reference keeps only the history (running segments with their calendar, target periods,
  // sweeps) and recomputes every crossing by binary search on whole seconds of business time.
  Calendar cal = china();
  Policy p = default_policy(cal);
  Scheduler s;
  std::mt19937_64 rng(2026);
  const char* clocks[] = {"first_response", "resolution", "contact_after_dispatch", "callback"};
  const char* channels[] = {"phone", "web", "system", "visit"};
  const char* severities[] = {"low", "normal", "high", "critical"};
  const char* tiers[] = {"", "", "", "gold", "silver", "diamond", "1A"};
  std::vector<TargetId> targets;
  for (int i = 0; i < 60; ++i)
    targets.push_back(s.intern(p.target(clocks[rng() % 4], attrs(channels[rng() % 4], severities[rng() % 4], tiers[rng() % 7]))));
  struct Seg {
    int64_t from, to;
    const Calendar* cal;
  };
  struct Ref {
    int state = 0;  // 0 idle 1 running 2 paused 3 stopped
    int64_t last = INT64_MIN;
    std::vector<Seg> segs;
    std::vector<std::pair<int64_t, TargetId>> periods;  // (from, target); the first from = INT64_MIN
    bool erased = false;
    int64_t visible_until = INT64_MAX;  // erased: events up to the last sweep before the erase
  };
  std::vector<Ref> ref(2000);
  for (auto& r : ref) {
    TargetId t = targets[rng() % targets.size()];
    r.periods.push_back({INT64_MIN, t});
    REQUIRE(s.create(t) == static_cast<ClockId>(&r - ref.data() + 1));
  }
  auto current_cal = [&](const Ref& r) { return &s.target(r.periods.back().second).calendar; };
  int64_t now = at("2026-01-05T08:00:00+08:00").unix_seconds();
  int64_t last_sweep = INT64_MIN;
  std::vector<ClockEvent> fired, copy_fired;
  std::vector<size_t> sweep_ends;
  std::optional<Scheduler> copy;
  size_t copy_from = 0;
  int refused = 0, retargets = 0, erased = 0;
  for (int step = 0; step < 40000; ++step) {
    now += static_cast<int64_t>(rng() % 1200);
    if (step == 20000) {
      copy.emplace(s);  // from here on every operation goes to both
      copy_from = fired.size();
    }
    if (rng() % 40 == 0) {
      s.sweep(Instant::from_unix_seconds(now), fired);
      if (copy) copy->sweep(Instant::from_unix_seconds(now), copy_fired);
      sweep_ends.push_back(fired.size());
      last_sweep = now;
      continue;
    }
    const size_t i = rng() % ref.size();
    const ClockId id = i + 1;
    Ref& r = ref[i];
    const int op = static_cast<int>(rng() % 7);
    int64_t t = now;
    if (rng() % 12 == 0 && r.last != INT64_MIN) t = r.last - 1 - static_cast<int64_t>(rng() % 3600);  // before its last change
    const TargetId nt = targets[rng() % targets.size()];
    const bool do_erase = rng() % 20 == 0;
    // Expected outcome: not_found, then the state rule, then the time rule.
    Errc expect = Errc::ok;
    if (r.erased) expect = Errc::not_found;
    else if ((op == 0 && r.state != 0) || (op == 1 && r.state != 1) || (op == 2 && r.state != 2) ||
             ((op == 3 || op == 4) && r.state == 3))
      expect = Errc::invalid_state;
    else if (op <= 4 && t < r.last) expect = Errc::invalid_argument;
    auto apply = [&](Scheduler& x) {
      switch (op) {
        case 0: x.start(id, Instant::from_unix_seconds(t)); break;
        case 1: x.pause(id, Instant::from_unix_seconds(t)); break;
        case 2: x.resume(id, Instant::from_unix_seconds(t)); break;
        case 3: x.stop(id, Instant::from_unix_seconds(t)); break;
        case 4: x.retarget(id, nt, Instant::from_unix_seconds(t)); break;
        case 5: (void)x.status(id, Instant::from_unix_seconds(now)); break;
        default:
          if (do_erase) x.erase(id);
          else (void)x.state(id);
      }
    };
    std::optional<ClockStatus> before;
    if (!r.erased) before = s.status(id, Instant::from_unix_seconds(now));
    const auto next_before = s.next_fire();
    const Errc got = code_of([&] { apply(s); });
    REQUIRE(got == expect);
    if (copy) REQUIRE(code_of([&] { apply(*copy); }) == expect);
    if (expect != Errc::ok) {
      ++refused;
      if (before) {  // a refused call changes nothing
        ClockStatus after = s.status(id, Instant::from_unix_seconds(now));
        CHECK(after.state == before->state);
        CHECK(after.target == before->target);
        CHECK(after.elapsed == before->elapsed);
        CHECK(after.warnings_fired == before->warnings_fired);
        CHECK(s.next_fire() == next_before);
      }
      continue;
    }
    switch (op) {
      case 0: r.state = 1, r.segs.push_back({t, INT64_MAX, current_cal(r)}); break;
      case 1: r.state = 2, r.segs.back().to = t; break;
      case 2: r.state = 1, r.segs.push_back({t, INT64_MAX, current_cal(r)}); break;
      case 3:
        if (r.state == 1) r.segs.back().to = t;
        r.state = 3;
        break;
      case 4:
        ++retargets;
        r.periods.push_back({t, nt});
        if (r.state == 1) {
          r.segs.back().to = t;
          r.segs.push_back({t, INT64_MAX, current_cal(r)});
        }
        break;
      case 6:
        if (!s.contains(id)) r.erased = true, r.visible_until = last_sweep, ++erased;
        break;
      default: break;
    }
    if (op <= 4) r.last = t;
  }
  s.sweep(Instant::from_unix_seconds(now), fired);
  copy->sweep(Instant::from_unix_seconds(now), copy_fired);
  sweep_ends.push_back(fired.size());

  auto business = [](const Ref& r, int64_t t) {
    int64_t b = 0;
    for (const Seg& g : r.segs)
      if (t > g.from) b += g.cal->between(Instant::from_unix_seconds(g.from), Instant::from_unix_seconds(std::min(t, g.to))).count_seconds();
    return b;
  };
  using Ev = std::tuple<int64_t, ClockId, int, int>;  // instant, clock, breach?, warning index
  std::vector<Ev> expected;
  size_t live = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const Ref& r = ref[i];
    if (!r.erased) {
      ++live;
      CHECK(s.status(i + 1, Instant::from_unix_seconds(now)).elapsed.count_seconds() == business(r, now));
    }
    if (r.segs.empty()) continue;
    uint32_t done = 0;  // bit k: warning k; bit 7: breach (per index, as the contract says)
    for (size_t j = 0; j < r.periods.size(); ++j) {
      const Target& target = s.target(r.periods[j].second);
      const int64_t total = target.duration.count_seconds();
      std::vector<int64_t> th;
      for (double f : target.warnings) th.push_back(std::clamp<int64_t>(std::llround(f * static_cast<double>(total)), 1, total));
      th.push_back(total);
      const int64_t from = j == 0 ? r.segs.front().from : r.periods[j].first;
      const int64_t to = j + 1 < r.periods.size() ? r.periods[j + 1].first : now;
      for (size_t k = 0; k < th.size(); ++k) {
        const bool breach = k + 1 == th.size();
        const uint32_t bit = breach ? 0x80u : (1u << k);
        if (done & bit) continue;
        int64_t when;
        if (j > 0 && business(r, from) >= th[k]) {
          when = from;  // already crossed at the switch
        } else {
          if (business(r, to) < th[k]) continue;
          int64_t lo = from, hi = to;
          while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (business(r, mid) >= th[k]) hi = mid;
            else lo = mid + 1;
          }
          when = lo;
        }
        done |= bit;
        if (when <= r.visible_until) expected.emplace_back(when, i + 1, breach ? 1 : 0, breach ? 0 : static_cast<int>(k));
      }
    }
  }
  CHECK(s.size() == live);
  CHECK(refused > 1000);
  CHECK(retargets > 1000);
  CHECK(erased > 50);
  // Each sweep's events are ordered by instant, then clock id.
  size_t begin = 0;
  for (size_t end : sweep_ends) {
    CHECK(std::is_sorted(fired.begin() + static_cast<std::ptrdiff_t>(begin), fired.begin() + static_cast<std::ptrdiff_t>(end),
                         [](const ClockEvent& a, const ClockEvent& b) { return std::tie(a.at, a.clock) < std::tie(b.at, b.clock); }));
    begin = end;
  }
  std::vector<Ev> got;
  for (const ClockEvent& e : fired) {
    got.emplace_back(e.at.unix_seconds(), e.clock, e.kind == ClockEvent::breach ? 1 : 0, e.index);
    CHECK((e.kind == ClockEvent::breach ? e.fraction == 1.0 : e.fraction > 0 && e.fraction < 1));
  }
  std::sort(got.begin(), got.end());
  CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());  // nothing fires twice
  CHECK(got.size() == expected.size());
  std::sort(expected.begin(), expected.end());
  CHECK(got == expected);
  CHECK(expected.size() > 3000);
  // The copy made halfway fired exactly what the original fired from then on.
  REQUIRE(copy_fired.size() == fired.size() - copy_from);
  for (size_t k = 0; k < copy_fired.size(); ++k) {
    CHECK(copy_fired[k].clock == fired[copy_from + k].clock);
    CHECK(copy_fired[k].at == fired[copy_from + k].at);
    CHECK(copy_fired[k].index == fired[copy_from + k].index);
  }
}

TEST_CASE("A warning crossed before a retarget keeps its own fraction; thresholds past 2499 never fire") {
  Calendar cal;
  Policy p = Policy::from_json(R"({"clocks":{"a":{"target":"10h","warnings":[0.5]},"b":{"target":"20h","warnings":[0.6,0.8]}}})", cal);
  Scheduler s;
  ClockId c = s.create(s.intern(p.target("a", {})));
  s.start(c, at("2026-03-09T00:00:00Z"));
  s.retarget(c, s.intern(p.target("b", {})), at("2026-03-09T06:00:00Z"));  // 50 % of a crossed at 05:00, not swept
  std::vector<ClockEvent> out;
  s.sweep(at("2026-03-09T06:00:00Z"), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].at == at("2026-03-09T05:00:00Z"));
  CHECK(out[0].fraction == doctest::Approx(0.5));
  // A clock whose later thresholds fall after 2499: sweeping to the end fires what it can, no throw.
  Policy longp = Policy::from_json(R"({"clocks":{"x":{"target":"36000d"}}})", cal);
  ClockId l = s.create(s.intern(longp.target("x", {})));
  s.start(l, at("2460-01-01T00:00:00Z"));
  out.clear();
  CHECK_NOTHROW(s.sweep(Instant::from_unix_seconds(INT64_MAX / 4), out));
  CHECK_NOTHROW((void)s.status(l, Instant::from_unix_seconds(INT64_MAX / 4)));
  CHECK_FALSE(s.status(l, at("2470-01-01T00:00:00Z")).due.has_value());
}

TEST_CASE("Three kinds of target: business hours, elapsed hours, a fixed instant") {
  Calendar cal = china();
  Policy p = Policy::from_json(R"({
    "clocks": {
      "reply": {"target": "24h", "rules": [{"when": {"channel": ["web", "forum"]}, "kind": "elapsed"},
                                            {"when": {"channel": "phone"}, "target": "2h"},
                                            {"when": {"product": "broadband"}, "target": "1h"}]},
      "arrival": {"kind": "instant", "field": "appointment_start", "escalate_on_breach": 2},
      "notice": {"kind": "instant", "field": "appointment_start", "offset": "-30m"}},
    "tiers": {"diamond": {"multiplier": 0.5, "calendar": "24x7"}}})",
                               cal);
  CHECK(p.condition_fields() == std::vector<std::string>{"product"});
  CHECK(p.due_fields() == std::vector<std::string>{"appointment_start"});
  Target web = p.target("reply", attrs("web"));
  CHECK(web.kind == TargetKind::elapsed);
  CHECK(web.duration == Duration::hours(24));
  CHECK(web.calendar.id() != cal.id());
  CHECK(web.rule == "reply: channel=web|forum -> 1d elapsed");
  CHECK(p.target("reply", attrs("phone")).kind == TargetKind::business);
  CaseAttributes broadband = attrs("visit");
  broadband.fields = {{"product", "broadband"}};
  CHECK(p.target("reply", broadband).duration == Duration::hours(1));
  CHECK(p.target("reply", attrs("visit")).duration == Duration::hours(24));
  // A tier halves an elapsed target; its calendar is for business targets only.
  Target diamond_web = p.target("reply", attrs("web", "normal", "diamond"));
  CHECK(diamond_web.duration == Duration::hours(12));
  CHECK(diamond_web.kind == TargetKind::elapsed);
  Target notice = p.target("notice", attrs("web", "normal", "diamond"));
  CHECK(notice.kind == TargetKind::instant);
  CHECK(notice.due_field == "appointment_start");
  CHECK(notice.due_offset == Duration::minutes(-30));
  CHECK(notice.rule == "notice: default instant data.appointment_start-30m");

  // A web complaint on Friday evening: 24 elapsed hours are Saturday evening; 24 business
  // hours on the Chinese calendar would be the next Thursday.
  Scheduler s;
  const ClockId elapsed = s.create(s.intern(web));
  const ClockId business = s.create(s.intern(p.target("reply", attrs("email"))));
  const Instant friday = at("2026-03-13T19:00:00+08:00");
  s.start(elapsed, friday);
  s.start(business, friday);
  CHECK(s.status(elapsed, friday).due == at("2026-03-14T19:00:00+08:00"));
  CHECK(s.status(business, friday).due == at("2026-03-19T10:30:00+08:00"));  // 7.5 h a day: Mon, Tue, Wed, 1.5 h Thu
  // An instant clock: due at the appointment whatever the calendar; warnings at fractions of the
  // time from its start; it does not pause.
  const ClockId arrival = s.create(s.intern(p.target("arrival", attrs("web"))));
  CHECK(code_of([&] { s.start(arrival, friday); }) == Errc::invalid_argument);  // no due
  CHECK(s.state(arrival) == ClockState::idle);
  s.start(arrival, friday, at("2026-03-14T07:00:00+08:00"));  // 12 h ahead
  CHECK(code_of([&] { s.pause(arrival, friday); }) == Errc::invalid_state);
  auto st = s.status(arrival, at("2026-03-14T01:00:00+08:00"));
  CHECK(st.kind == TargetKind::instant);
  CHECK(st.due == at("2026-03-14T07:00:00+08:00"));
  CHECK(st.fixed_due == at("2026-03-14T07:00:00+08:00"));
  CHECK(st.total == Duration::hours(12));
  CHECK(st.elapsed == Duration::hours(6));
  std::vector<ClockEvent> out;
  s.sweep(at("2026-03-14T12:00:00+08:00"), out);
  std::vector<std::pair<ClockId, Instant>> arrival_events;
  for (const auto& e : out)
    if (e.clock == arrival) arrival_events.emplace_back(e.index, e.at);
  REQUIRE(arrival_events.size() == 4);
  CHECK(arrival_events[0].second == at("2026-03-14T01:00:00+08:00"));  // 50 %
  CHECK(arrival_events[1].second == at("2026-03-14T04:00:00+08:00"));  // 75 %
  CHECK(arrival_events[2].second == at("2026-03-14T05:48:00+08:00"));  // 90 %
  CHECK(arrival_events[3].second == at("2026-03-14T07:00:00+08:00"));  // breach
  // Moved: a later appointment; what fired stays fired, the due moves.
  s.retarget(arrival, s.target_of(arrival), at("2026-03-14T12:00:00+08:00"), at("2026-03-15T09:00:00+08:00"));
  CHECK(s.status(arrival, at("2026-03-14T12:00:00+08:00")).due == at("2026-03-15T09:00:00+08:00"));
  CHECK(s.status(arrival, at("2026-03-14T12:00:00+08:00")).remaining == Duration::hours(21));
  // A due already past when the clock starts breaches at once.
  const ClockId late = s.create(s.intern(p.target("notice", attrs("web"))));
  s.start(late, at("2026-03-14T12:00:00+08:00"), at("2026-03-14T11:30:00+08:00"));
  CHECK(s.status(late, at("2026-03-14T12:00:00+08:00")).breached);
  out.clear();
  s.sweep(at("2026-03-14T12:00:00+08:00"), out);
  CHECK(std::count_if(out.begin(), out.end(), [&](const ClockEvent& e) { return e.clock == late && e.kind == ClockEvent::breach; }) == 1);
  // And all of it survives a snapshot.
  Scheduler back = Scheduler::from_bytes(s.to_bytes());
  CHECK(back.to_bytes() == s.to_bytes());
  for (ClockId id : {elapsed, business, arrival, late}) {
    const auto a = s.status(id, at("2026-03-16T00:00:00+08:00")), b = back.status(id, at("2026-03-16T00:00:00+08:00"));
    CHECK((a.due == b.due && a.elapsed == b.elapsed && a.total == b.total && a.kind == b.kind && a.fixed_due == b.fixed_due));
  }
}

TEST_CASE("The test of record: 3 h of 8 h elapsed, 2 h paused, retargeted to 4 h: 1 h left, the pause kept") {
  Calendar cal = china();
  Policy p = Policy::from_json(R"({"clocks": {"reply": {"kind": "elapsed", "target": "8h",
                                    "rules": [{"when": {"severity": "critical"}, "target": "4h"}]}}})",
                               cal);
  Scheduler s;
  const ClockId c = s.create(s.intern(p.target("reply", attrs("system"))));
  s.start(c, at("2026-03-14T20:00:00+08:00"));  // a Saturday night: elapsed time counts
  s.pause(c, at("2026-03-14T23:00:00+08:00"));
  s.resume(c, at("2026-03-15T01:00:00+08:00"));
  s.retarget(c, s.intern(p.target("reply", attrs("system", "critical"))), at("2026-03-15T01:00:00+08:00"));
  for (const Scheduler& k : {s, Scheduler::from_bytes(s.to_bytes())}) {
    auto st = k.status(c, at("2026-03-15T01:00:00+08:00"));
    CHECK(st.elapsed == Duration::hours(3));
    CHECK(st.paused == Duration::hours(2));
    CHECK(st.total == Duration::hours(4));
    CHECK(st.remaining == Duration::hours(1));
    CHECK(st.due == at("2026-03-15T02:00:00+08:00"));
  }
  // Paused time also counts while a clock is paused and when it stops paused.
  const ClockId d = s.create(s.intern(p.target("reply", attrs("system"))));
  s.start(d, at("2026-03-15T00:00:00+08:00"));
  s.pause(d, at("2026-03-15T01:00:00+08:00"));
  CHECK(s.status(d, at("2026-03-15T01:30:00+08:00")).paused == Duration::minutes(30));
  s.stop(d, at("2026-03-15T02:00:00+08:00"));
  CHECK(s.status(d, at("2026-03-16T00:00:00+08:00")).paused == Duration::hours(1));
}
