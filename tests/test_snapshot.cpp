// Engine snapshots: a restored engine equals the original (every case, audit trail, clock, KPI)
// and keeps behaving the same; truncated, corrupt, foreign or newer snapshots are refused and
// leave the engine unchanged.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crmkit/error.hpp"
#include "test_support.hpp"
#include "engine_fixture.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"

using namespace crmkit;

namespace {

using testing::code_of;

using testing::engine_dump;
using testing::fresh_engine;
using testing::kData;
using testing::quarter_lines;

void replay(workflow::Engine& e, const std::vector<std::string>& lines, size_t from, size_t to) {
  for (size_t i = from; i < to && i < lines.size(); ++i) {
    auto ev = workflow::parse_event(lines[i]);
    e.sweep(ev.at);
    e.apply(ev);
  }
}

}  // namespace

TEST_CASE("A restored engine equals the original and keeps behaving the same") {
  const auto lines = quarter_lines();
  REQUIRE(lines.size() > 10000);
  workflow::Engine a = fresh_engine();
  replay(a, lines, 0, 12000);
  const std::string bytes = a.snapshot();
  workflow::Engine b = fresh_engine();
  b.restore(bytes);
  CHECK(b.size() == a.size());
  CHECK((engine_dump(b) == engine_dump(a)));
  // The rest of the quarter on both: same results, same state.
  replay(a, lines, 12000, lines.size());
  replay(b, lines, 12000, lines.size());
  auto sa = a.sweep(parse_instant("2026-04-30T00:00:00Z"));
  auto sb = b.sweep(parse_instant("2026-04-30T00:00:00Z"));
  CHECK(sa.size() == sb.size());
  CHECK((engine_dump(b) == engine_dump(a)));
  // A snapshot of the restored engine restores to the same state again. (Bytes may differ: targets
  // interned after a restore are not deduplicated against restored ones, which changes no result.)
  workflow::Engine c = fresh_engine();
  c.restore(b.snapshot());
  CHECK((engine_dump(c) == engine_dump(a)));
}

TEST_CASE("Bad snapshots are refused and change nothing") {
  const auto lines = quarter_lines();
  workflow::Engine a = fresh_engine();
  replay(a, lines, 0, 500);
  const std::string bytes = a.snapshot();
  workflow::Engine b = fresh_engine();
  const std::string empty = engine_dump(b);
  CHECK(code_of([&] { b.restore(bytes.substr(0, bytes.size() / 2)); }) == Errc::corrupt);  // truncated
  CHECK(code_of([&] { b.restore(""); }) == Errc::corrupt);
  CHECK(code_of([&] { b.restore("garbage that is not an archive"); }) == Errc::corrupt);
  std::string flipped = bytes;
  flipped[flipped.size() / 3] = flipped[flipped.size() / 3] == '7' ? '8' : '7';  // a digit changed somewhere
  Errc flipped_code = code_of([&] { b.restore(flipped); });
  CHECK((flipped_code == Errc::corrupt || flipped_code == Errc::ok));  // the store's CRC-32 catches what parsing cannot
  if (flipped_code == Errc::ok) b = fresh_engine();
  std::string newer = bytes;
  // The header: the magic's length (its bytes are in the binary payload), then the format number.
  auto pos = newer.find("serialization::archive 18 22 1 ");
  REQUIRE(pos != std::string::npos);
  newer.replace(pos, 31, "serialization::archive 18 22 9 ");
  CHECK(code_of([&] { b.restore(newer); }) == Errc::version);
  CHECK((engine_dump(b) == empty));
  // A snapshot of another configuration.
  std::ifstream in(kData + "workflows/default.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string wf = ss.str();
  auto at = wf.find("\"contact\"");
  REQUIRE(at != std::string::npos);
  wf.replace(at, 9, "\"reached\"");
  Calendar cal = Calendar::from_file(kData + "calendars/cn-2026.json");
  workflow::Engine other(workflow::Definition::from_json(wf), sla::Policy::from_file(kData + "policies/default.json", cal),
                         workflow::Rules::from_file(kData + "policies/default.json"), cal.zone());
  CHECK(code_of([&] { other.restore(bytes); }) == Errc::corrupt);
  // Only into an empty engine.
  CHECK(code_of([&] { a.restore(bytes); }) == Errc::invalid_state);
  b.restore(bytes);
  CHECK((engine_dump(b) == engine_dump(a)));
}

TEST_CASE("A restored engine applies its own rules' tiers (symbols re-bound to the restored table)") {
  // The snapshot's symbol table replaces the engine's; the manual-callback tiers of the restoring
  // engine's rules must name the same strings afterwards.
  auto event = [](const std::string& c, const std::string& id, const std::string& type, const std::string& hhmm,
                  const std::string& fields) {
    return R"({"id":")" + id + R"(","case":")" + c + R"(","type":")" + type + R"(","at":"2026-03-09T)" + hhmm +
           R"(:00+08:00","actor":"u-7","role":"agent","data":{)" + fields + "}}";
  };
  workflow::Engine a = fresh_engine();  // default rules: diamond, gold, 1A... need manual callbacks
  for (const char* tier : {"silver", "diamond"}) {
    const std::string c = std::string("C-") + tier;
    a.apply_json(event(c, c + "-1", "receive", "09:00",
                       R"("channel":"phone","category":"service","severity":"normal","customer":"K-)" + c + R"(","tier":")" +
                           tier + R"(")"));
    a.apply_json(event(c, c + "-2", "acknowledge", "09:05", ""));
    a.apply_json(event(c, c + "-3", "dispatch", "09:10", R"("department":"billing","owner":"u-8")"));
    a.apply_json(event(c, c + "-4", "resolve", "10:00", R"("resolution":"fixed")"));
  }
  Calendar cal = Calendar::from_file(kData + "calendars/cn-2026.json");
  workflow::Rules rules = workflow::Rules::from_file(kData + "policies/default.json");
  rules.manual_callback_tiers = {"silver"};
  workflow::Engine b(workflow::Definition::from_file(kData + "workflows/default.json"),
                     sla::Policy::from_file(kData + "policies/default.json", cal), rules, cal.zone());
  b.restore(a.snapshot());
  const std::string automatic = R"("outcome":"satisfied","manual":false)";
  CHECK(code_of([&] { b.apply_json(event("C-silver", "C-silver-5", "callback", "11:00", automatic)); }) == Errc::invalid_state);
  CHECK(b.apply_json(event("C-diamond", "C-diamond-5", "callback", "11:00", automatic)).to_state == "closed");
  CHECK(code_of([&] { a.apply_json(event("C-diamond", "C-diamond-5", "callback", "11:00", automatic)); }) == Errc::invalid_state);
}
