// C ABI: the complaint workflow engine.
#include <fmt/core.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "handle_types.hpp"
#include "handles.hpp"

struct crmkit_engine {
  std::unique_ptr<crmkit::workflow::Engine> engine;
};

using namespace crmkit;
using namespace crmkit::capi;
using nlohmann::json;

namespace {

std::string read_file(const char* path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::io, fmt::format("cannot read {} {}", what, path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

workflow::Engine build(const std::string& workflow_json, const std::string& policy_json, const std::string& calendar_json) {
  Calendar cal = Calendar::from_json(calendar_json);
  sla::Policy policy = sla::Policy::from_json(policy_json, cal);
  workflow::Rules rules = workflow::Rules::from_json(policy_json);
  return workflow::Engine(workflow::Definition::from_json(workflow_json), std::move(policy), std::move(rules), cal.zone());
}

workflow::Engine* get(crmkit_engine* h) {
  auto* p = check_handle<crmkit_engine>(h, "engine");
  return p ? p->engine.get() : nullptr;
}

std::optional<Instant> instant_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) return Instant::from_unix_seconds(it->get<int64_t>());
  if (!it->is_string()) throw Error(Errc::invalid_argument, fmt::format("options.{}: expected an RFC 3339 instant", key));
  return parse_instant(it->get<std::string>());
}

json parse_object(const char* text, const char* what) {
  if (!text || !*text) return json::object();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, fmt::format("{}: malformed JSON", what));
  if (!j.is_object()) throw Error(Errc::invalid_argument, fmt::format("{}: expected a JSON object", what));
  return j;
}

}  // namespace

extern "C" {

int crmkit_engine_from_json(const char* workflow_json, const char* policy_json, const char* calendar_json,
                            crmkit_engine** out) {
  CRMKIT_REQUIRE(workflow_json);
  CRMKIT_REQUIRE(policy_json);
  CRMKIT_REQUIRE(calendar_json);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    auto engine = std::make_unique<workflow::Engine>(build(workflow_json, policy_json, calendar_json));
    *out = make_handle(new crmkit_engine{std::move(engine)});
    return ok();
  });
}

int crmkit_engine_from_files(const char* workflow_path, const char* policy_path, const char* calendar_path,
                             crmkit_engine** out) {
  CRMKIT_REQUIRE(workflow_path);
  CRMKIT_REQUIRE(policy_path);
  CRMKIT_REQUIRE(calendar_path);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    auto engine = std::make_unique<workflow::Engine>(workflow::Engine::from_files(workflow_path, policy_path, calendar_path));
    *out = make_handle(new crmkit_engine{std::move(engine)});
    return ok();
  });
}

void crmkit_engine_free(crmkit_engine* e) { free_handle(e); }

int crmkit_engine_apply(crmkit_engine* h, const char* event_json, char** out) {
  CRMKIT_REQUIRE(event_json);
  workflow::Engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    workflow::ApplyResult r = e->apply_json(event_json);
    if (out) *out = dup_string(workflow::to_json(r));
    return ok();
  });
}

int crmkit_engine_sweep(crmkit_engine* h, int64_t now, char** out_json, size_t* out_count) {
  workflow::Engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    auto fired = e->sweep(Instant::from_unix_seconds(now));
    if (out_json) {
      std::string s = "[";
      for (size_t i = 0; i < fired.size(); ++i) {
        if (i) s += ',';
        s += workflow::to_json(fired[i]);
      }
      s += ']';
      *out_json = dup_string(s);
    }
    if (out_count) *out_count = fired.size();
    return ok();
  });
}

int crmkit_engine_get_case(crmkit_engine* h, const char* case_id, char** out) {
  CRMKIT_REQUIRE(case_id);
  CRMKIT_REQUIRE(out);
  workflow::Engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    auto c = e->get(case_id);
    if (!c) throw Error(Errc::not_found, fmt::format("case '{}' not found", case_id));
    *out = dup_string(workflow::to_json(*c, true));
    return ok();
  });
}

int crmkit_engine_find(crmkit_engine* h, const char* query_json, char** out) {
  CRMKIT_REQUIRE(out);
  workflow::Engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    json j = parse_object(query_json, "query");
    workflow::Query q;
    auto text = [&](const char* key, std::optional<std::string>& into) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return;
      if (!it->is_string()) throw Error(Errc::invalid_argument, fmt::format("query.{}: expected a string", key));
      into = it->get<std::string>();
    };
    auto number = [&](const char* key, auto& into) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return;
      if (!it->is_number_integer() || it->get<int64_t>() < 0)
        throw Error(Errc::invalid_argument, fmt::format("query.{}: expected an integer >= 0", key));
      into = static_cast<std::remove_reference_t<decltype(*&into)>>(it->get<int64_t>());
    };
    text("state", q.state);
    text("owner", q.owner);
    text("department", q.department);
    text("customer", q.customer);
    std::optional<int> level, min_level;
    int level_v = -1, min_v = -1;
    size_t limit = SIZE_MAX;
    number("escalation_level", level_v);
    number("min_escalation_level", min_v);
    number("limit", limit);
    if (level_v >= 0) q.escalation_level = level_v;
    if (min_v >= 0) q.min_escalation_level = min_v;
    q.limit = limit;
    *out = dup_string(json(e->find(q)).dump());
    return ok();
  });
}

int crmkit_engine_due_before(crmkit_engine* h, int64_t t, char** out) {
  CRMKIT_REQUIRE(out);
  workflow::Engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    json arr = json::array();
    for (const auto& d : e->due_before(Instant::from_unix_seconds(t)))
      arr.push_back({{"case", d.case_id}, {"clock", d.clock}, {"due", format_utc(d.due)}});
    *out = dup_string(arr.dump());
    return ok();
  });
}

int crmkit_engine_kpi(crmkit_engine* h, const char* options_json, char** out) {
  CRMKIT_REQUIRE(out);
  workflow::Engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    json j = parse_object(options_json, "options");
    kpi::Options o;
    o.from = instant_field(j, "from");
    o.to = instant_field(j, "to");
    o.as_of = instant_field(j, "as_of");
    if (auto it = j.find("top_reasons"); it != j.end()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 1000)
        throw Error(Errc::invalid_argument, "options.top_reasons: expected an integer 0..1000");
      o.top_reasons = it->get<size_t>();
    }
    *out = dup_string(kpi::to_json(e->kpi(o)));
    return ok();
  });
}

int crmkit_engine_stats(crmkit_engine* h, size_t* out_cases, size_t* out_events, size_t* out_bytes) {
  workflow::Engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    auto s = e->stats();
    if (out_cases) *out_cases = s.cases;
    if (out_events) *out_events = s.events;
    if (out_bytes) *out_bytes = s.bytes_cases + s.bytes_index + s.bytes_scheduler;
    return ok();
  });
}

}  // extern "C"
