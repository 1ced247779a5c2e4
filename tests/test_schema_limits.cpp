// The limits the JSON Schemas in docs/schemas state are the library's own constants: one source
// for each limit. A schema that states a different bound (or none where the library has one)
// fails here.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crmkit/durable.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/sla.hpp"
#include "crmkit/tiering.hpp"
#include "crmkit/workflow.hpp"

using nlohmann::json;
using namespace crmkit;

namespace {

json schema(const std::string& name) {
  std::ifstream in(std::string(CRMKIT_SOURCE_DIR) + "/docs/schemas/" + name);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

/// The value of `keyword` at a JSON pointer of a schema (null when absent).
json bound(const std::string& file, const std::string& pointer, const std::string& keyword) {
  const json s = schema(file);
  const json::json_pointer p(pointer);
  REQUIRE_MESSAGE(s.contains(p), file << pointer);
  const json& node = s.at(p);
  return node.contains(keyword) ? node.at(keyword) : json();
}

struct Limit {
  const char* file;
  const char* pointer;
  const char* keyword;
  int64_t value;  // the library's constant
};

}  // namespace

TEST_CASE("Schema bounds equal the library's constants") {
  const Limit limits[] = {
      {"queries.schema.json", "/$defs/find_query/properties/escalation_level", "maximum", sla::kMaxEscalationLevel},
      {"queries.schema.json", "/$defs/find_query/properties/min_escalation_level", "maximum", sla::kMaxEscalationLevel},
      {"queries.schema.json", "/$defs/due_query/properties/limit", "maximum", static_cast<int64_t>(workflow::kMaxDuePage)},
      {"policy.schema.json", "/$defs/level/oneOf/0", "maximum", sla::kMaxEscalationLevel},
      {"policy.schema.json", "/$defs/warnings", "maxItems", sla::kMaxWarnings},
      {"workflow.schema.json", "/properties/max_escalation_level", "maximum", sla::kMaxEscalationLevel},
      {"tiers.schema.json", "/properties/individual/properties/window_months", "maximum", tiering::kMaxWindowMonths},
      {"tiers.schema.json", "/properties/individual/properties/window_months", "minimum", 1},
      {"tiers.schema.json", "/properties/individual/properties/downgrade_after", "maximum", tiering::kMaxDowngradeAfter},
      {"tiers.schema.json", "/properties/individual/properties/downgrade_after", "minimum", 1},
  };
  for (const Limit& l : limits) {
    const json b = bound(l.file, l.pointer, l.keyword);
    CHECK_MESSAGE(b.is_number_integer(), l.file << l.pointer << " has no integer " << l.keyword);
    if (b.is_number_integer()) CHECK_MESSAGE(b.get<int64_t>() == l.value, l.file << l.pointer << " " << l.keyword);
  }
}

TEST_CASE("Schema bounds found by key name equal the library's constants wherever they occur") {
  // Every "escalation_level"-like and "level" integer bound, "top_reasons" and "keep_snapshots",
  // wherever a schema states them.
  struct Named {
    const char* key;
    int64_t max;
  } named[] = {{"escalation_level", sla::kMaxEscalationLevel}, {"min_escalation_level", sla::kMaxEscalationLevel},
               {"max_escalation_level", sla::kMaxEscalationLevel}, {"level", sla::kMaxEscalationLevel},
               {"top_reasons", static_cast<int64_t>(kpi::kMaxTopReasons)}, {"keep_snapshots", store::kMaxKeepSnapshots}};
  size_t seen = 0;
  for (const char* file : {"queries.schema.json", "policy.schema.json", "workflow.schema.json", "event.schema.json",
                           "tiers.schema.json", "calendar.schema.json"}) {
    const json flat = schema(file).flatten();
    for (const auto& [path, v] : flat.items()) {
      if (!path.ends_with("/maximum")) continue;
      for (const Named& n : named) {
        const std::string k = std::string("/") + n.key + "/";
        if (path.find(k) == std::string::npos) continue;
        ++seen;
        CHECK_MESSAGE(v.get<int64_t>() == n.max, file << path);
      }
    }
  }
  CHECK(seen >= 6);
}
