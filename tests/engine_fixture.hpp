// Shared by the engine tests: the shipped configuration, the shipped quarter, and a dump of an
// engine's whole observable state (every case with its audit trail, and the KPI report).
#pragma once

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "crmkit/durable.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "test_support.hpp"

namespace crmkit::testing {

inline const std::string kData = CRMKIT_SOURCE_DIR "/data/";

/// Every shipped workflow with its policy (the shipped quarter holds complaints and incidents).
inline workflow::Engine fresh_engine() {
  return workflow::Engine::from_files(kData + "workflows", kData + "policies", kData + "calendars/cn-2026.json");
}

/// A file's bytes ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// An event of March 2026 in China time: `at` is "DDTHH:MM:SS", `data` the inside of the data object.
inline std::string march_event(const std::string& id, const std::string& type, const std::string& at, const std::string& data = "",
                               const std::string& role = "agent", const std::string& case_id = "K-1", const std::string& actor = "u-1") {
  return fmt::format(R"({{"id":"{}","case":"{}","type":"{}","at":"2026-03-{}+08:00","actor":"{}","role":"{}","data":{{{}}}}})", id,
                     case_id, type, at, actor, role, data);
}

/// The lines of an event log (default: the shipped quarter).
inline std::vector<std::string> quarter_lines(const std::string& path = kData + "complaints/quarter-2026q1.jsonl") {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

/// Everything a case shows, personal data unmasked (a change hidden by a mask still shows).
inline std::string engine_dump(const workflow::Engine& e) {
  std::string out;
  workflow::ReadOptions read;
  if (!e.definition().personal_data_roles().empty()) read.personal_data_role = e.definition().personal_data_roles().front();
  e.for_each_case([&](const workflow::Case& c) { out += workflow::to_json(c, true) + "\n"; }, read);
  kpi::Options o;
  o.as_of = parse_instant("2026-04-30T00:00:00Z");
  return out + kpi::to_json(e.kpi(o));
}

/// A case's clock by name (the test fails when the case has none).
inline const workflow::ClockInfo& clock(const workflow::Case& c, const std::string& name) {
  for (const workflow::ClockInfo& k : c.clocks)
    if (k.name == name) return k;
  FAIL("no clock " << name);
  return c.clocks.front();
}

/// Each refusal has its code and message and leaves the engine (cases, KPIs, journal) as it was.
inline void all_refused(workflow::Engine& e, const std::vector<std::tuple<std::string, Errc, std::string>>& refusals) {
  const std::string before = engine_dump(e);
  const int64_t position = e.journal_position();
  for (const auto& [json, code, message] : refusals) {
    CAPTURE(json);
    CHECK(code_of([&] { (void)e.apply_json(json); }) == code);
    CHECK(error_of([&] { (void)e.apply_json(json); }).find(message) != std::string::npos);
    CHECK((engine_dump(e) == before));
    CHECK(e.journal_position() == position);
  }
}

/// Runs `check` (which applies events and checks them) on an in-memory engine from `make`, then
/// on a durable one, and checks that the store reopened shows the same state; `after_reopen` then
/// gets the reopened engine. Two doctest subcases.
template <class Make, class Check>
void in_memory_and_durable(const Make& make, const Check& check, const std::function<void(workflow::Engine&)>& after_reopen = {}) {
  SUBCASE("in memory") {
    workflow::Engine e = make();
    check(e);
  }
  SUBCASE("durable, and after reopening") {
    TempDb db;
    std::string live;
    {
      workflow::Engine e = store::open_engine(db.path, make);
      check(e);
      live = engine_dump(e);
    }
    workflow::Engine reopened = store::open_engine(db.path, make);
    CHECK((engine_dump(reopened) == live));
    if (after_reopen) after_reopen(reopened);
  }
}

}  // namespace crmkit::testing
