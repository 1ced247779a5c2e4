// The C++ API: a complaint through the workflow engine (receive, dispatch, resolve, callback),
// SLA sweeps, then RFM and tiers of the CDNOW customers. Usage: example_cpp_engine_and_value DATA_DIR
#include <fmt/core.h>

#include <map>
#include <string>

#include "crmkit/error.hpp"
#include "crmkit/rfm.hpp"
#include "crmkit/tiering.hpp"
#include "crmkit/workflow.hpp"

using namespace crmkit;

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : "data";
  auto engine = workflow::Engine::from_files(data + "/workflows/default.json", data + "/policies/default.json",
                                             data + "/calendars/cn-2026.json");
  const char* events[] = {
      R"({"id":"e1","case":"C-7","type":"receive","at":"2026-03-02T10:00:00+08:00","actor":"u-1","role":"agent",
          "data":{"channel":"web","category":"installation","severity":"high","customer":"K-9"}})",
      R"({"id":"e2","case":"C-7","type":"acknowledge","at":"2026-03-02T10:20:00+08:00","actor":"u-1","role":"agent"})",
      R"({"id":"e3","case":"C-7","type":"dispatch","at":"2026-03-02T10:30:00+08:00","actor":"u-1","role":"agent",
          "data":{"department":"installation","owner":"u-5"}})",
      R"({"id":"e4","case":"C-7","type":"wait_customer","at":"2026-03-02T11:00:00+08:00","actor":"u-5","role":"agent",
          "data":{"reason":"visit appointment on Thursday"}})",
      R"({"id":"e5","case":"C-7","type":"resume","at":"2026-03-05T09:00:00+08:00","actor":"u-5","role":"agent"})",
      R"({"id":"e6","case":"C-7","type":"resolve","at":"2026-03-05T15:00:00+08:00","actor":"u-5","role":"agent",
          "data":{"resolution":"router replaced"}})",
      R"({"id":"e7","case":"C-7","type":"callback","at":"2026-03-06T10:00:00+08:00","actor":"u-2","role":"agent",
          "data":{"outcome":"very_satisfied"}})",
  };
  for (const char* json : events) {
    workflow::Event e = workflow::parse_event(json);
    for (const auto& fired : engine.sweep(e.at)) fmt::print("SLA {}\n", workflow::to_json(fired));
    auto r = engine.apply(e);
    fmt::print("{:<14} {} -> {}\n", e.type, r.from_state, r.to_state);
  }
  try {  // a refusal changes nothing and says why
    engine.apply_json(R"({"id":"e8","case":"C-7","type":"reopen","at":"2026-05-30T10:00:00+08:00","actor":"u-2","role":"agent","data":{"reason":"again"}})");
  } catch (const Error& err) {
    fmt::print("refused ({}): {}\n", errc_name(err.code()), err.what());
  }
  auto c = engine.get("C-7");
  fmt::print("case {}: {}, owner {} (first contact {})\n", c->id, c->state, c->owner, c->first_owner);
  for (const auto& k : c->clocks)  // the resolution clock was paused while waiting for the customer
    fmt::print("  clock {:<24} {:>6} s of {:>6} s{}\n", k.name, k.elapsed.count_seconds(), k.target.count_seconds(),
               k.breached ? "  BREACHED" : "");

  auto log = value::read_transactions_file(data + "/cdnow/CDNOW_master.txt");
  log.sort_customers_by_id();
  auto rfm_table = rfm::score(log, CivilDate{1998, 6, 30});
  std::map<std::string, int> segments;
  for (uint16_t s : rfm_table.segment) ++segments[rfm_table.segment_names[s]];
  for (const auto& [name, n] : segments) fmt::print("RFM {:<20} {}\n", name, n);
  auto tiers = tiering::individual_tiers(log, CivilDate{1998, 6, 30}, tiering::Config::from_file(data + "/tiers/default.json"));
  std::map<std::string, int> counts;
  for (const auto& t : tiers) ++counts[t.rating.tier];
  for (const auto& [tier, n] : counts) fmt::print("tier {:<8} {}\n", tier, n);
  return c->state == "closed" ? 0 : 1;
}
