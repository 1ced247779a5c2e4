// C ABI: the complaint workflow engine.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "crmkit/durable.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "handle_types.hpp"
#include "handles.hpp"

struct crmkit_engine {
  std::unique_ptr<crmkit::workflow::Engine> engine;          // in memory
  std::unique_ptr<crmkit::store::DurableEngine> durable;     // or on the durable store
  const crmkit::workflow::Engine& view() const { return durable ? durable->engine() : *engine; }
};

using namespace crmkit;
using namespace crmkit::capi;
using nlohmann::json;

namespace {

workflow::Engine build(const std::string& workflow_json, const std::string& policy_json, const std::string& calendar_json) {
  Calendar cal = Calendar::from_json(calendar_json);
  sla::Policy policy = sla::Policy::from_json(policy_json, cal);
  workflow::Rules rules = workflow::Rules::from_json(policy_json);
  return workflow::Engine(workflow::Definition::from_json(workflow_json), std::move(policy), std::move(rules), cal.zone());
}

crmkit_engine* get(crmkit_engine* h) { return check_handle<crmkit_engine>(h, "engine"); }

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
    *out = make_handle(new crmkit_engine{std::move(engine), nullptr});
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
    *out = make_handle(new crmkit_engine{std::move(engine), nullptr});
    return ok();
  });
}

void crmkit_engine_free(crmkit_engine* e) { free_handle(e); }

int crmkit_engine_open(const char* db_path, const char* workflow_path, const char* policy_path, const char* calendar_path,
                       const char* options_json, crmkit_engine** out) {
  CRMKIT_REQUIRE(db_path);
  CRMKIT_REQUIRE(workflow_path);
  CRMKIT_REQUIRE(policy_path);
  CRMKIT_REQUIRE(calendar_path);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    json j = parse_object(options_json, "options");
    store::DurableOptions o;
    if (auto it = j.find("durability"); it != j.end()) {
      if (!it->is_string()) throw Error(Errc::invalid_argument, "options.durability: expected \"full\", \"normal\" or \"off\"");
      o.durability = store::parse_durability(it->get<std::string>());
    }
    if (auto it = j.find("snapshot_every"); it != j.end()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 0)
        throw Error(Errc::invalid_argument, "options.snapshot_every: expected an integer >= 0");
      o.snapshot_every = it->get<int64_t>();
    }
    const std::string wf = workflow_path, pol = policy_path, cal = calendar_path;
    auto factory = [&] { return workflow::Engine::from_files(wf, pol, cal); };
    auto durable = std::make_unique<store::DurableEngine>(store::DurableEngine::open(db_path, factory, o));
    *out = make_handle(new crmkit_engine{nullptr, std::move(durable)});
    return ok();
  });
}

int crmkit_engine_snapshot(crmkit_engine* h) {
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  if (!e->durable) return fail(CRMKIT_ESTATE, "the engine has no store (open it with crmkit_engine_open)");
  return guard([&] {
    e->durable->snapshot();
    return ok();
  });
}

int crmkit_engine_apply_batch(crmkit_engine* h, const char* events_jsonl, size_t* out_applied, char** out_report_json) {
  CRMKIT_REQUIRE(events_jsonl);
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    std::vector<std::string_view> lines;
    std::string_view text(events_jsonl);
    for (size_t pos = 0; pos < text.size();) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) lines.push_back(line);
      pos = end + 1;
    }
    store::BatchResult r;
    if (e->durable) {
      r = e->durable->apply_batch(lines);
    } else {
      for (size_t i = 0; i < lines.size(); ++i) {
        try {
          if (e->engine->apply_json(lines[i]).duplicate) ++r.duplicates;
          else ++r.applied;
        } catch (const Error& err) {
          r.rejected.emplace_back(i, err.what());
        }
      }
    }
    if (out_applied) *out_applied = r.applied;
    if (out_report_json) {
      json rejected = json::array();
      for (const auto& [i, why] : r.rejected) rejected.push_back({{"line", i + 1}, {"error", why}});
      *out_report_json = dup_string(json{{"applied", r.applied}, {"duplicates", r.duplicates}, {"rejected", rejected}}.dump());
    }
    return ok();
  });
}

int crmkit_engine_apply(crmkit_engine* h, const char* event_json, char** out) {
  CRMKIT_REQUIRE(event_json);
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    workflow::ApplyResult r = e->durable ? e->durable->apply_json(event_json) : e->engine->apply_json(event_json);
    if (out) *out = dup_string(workflow::to_json(r));
    return ok();
  });
}

int crmkit_engine_sweep(crmkit_engine* h, int64_t now, char** out_json, size_t* out_count) {
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    const Instant t = Instant::from_unix_seconds(now);
    auto fired = e->durable ? e->durable->sweep(t) : e->engine->sweep(t);
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
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->view();
  return guard([&] {
    auto c = e->get(case_id);
    if (!c) throw Error(Errc::not_found, fmt::format("case '{}' not found", case_id));
    *out = dup_string(workflow::to_json(*c, true));
    return ok();
  });
}

int crmkit_engine_find(crmkit_engine* h, const char* query_json, char** out) {
  CRMKIT_REQUIRE(out);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->view();
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
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->view();
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
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->view();
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
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->view();
  return guard([&] {
    auto s = e->stats();
    if (out_cases) *out_cases = s.cases;
    if (out_events) *out_events = s.events;
    if (out_bytes) *out_bytes = s.bytes_cases + s.bytes_index + s.bytes_scheduler;
    return ok();
  });
}

}  // extern "C"
