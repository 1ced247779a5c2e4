// C ABI: the complaint workflow engine.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "crmkit/durable.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"
#include "handle_types.hpp"
#include "handles.hpp"

struct crmkit_engine {
  crmkit::workflow::Engine engine;  // in memory, or with the store's journal attached
  crmkit::Calendar calendar;        // the policies' "default" calendar (crmkit_engine_add_workflow)
};

using namespace crmkit;
using namespace crmkit::capi;
using nlohmann::json;

namespace {

/// A workflow definition with its policy (the SLA part and the workflow rules of one text), the
/// policy's "default" calendar being `cal`.
struct WorkflowParts {
  workflow::Definition definition;
  sla::Policy policy;
  workflow::Rules rules;
};
WorkflowParts workflow_parts(const char* workflow_json, const char* policy_json, const Calendar& cal) {
  sla::Policy policy = sla::Policy::from_json(policy_json, cal);
  workflow::Rules rules = workflow::Rules::from_json(policy_json);
  return {workflow::Definition::from_json(workflow_json), std::move(policy), std::move(rules)};
}

crmkit_engine* get(crmkit_engine* h) { return check_handle<crmkit_engine>(h, "engine"); }

std::optional<Instant> instant_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  Instant t;
  if (it->is_number_integer() && !(it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
    t = Instant::from_unix_seconds(it->get<int64_t>());
  else if (it->is_string())
    t = parse_instant(it->get<std::string>());
  else
    throw Error(Errc::invalid_argument, fmt::format("{}: expected an RFC 3339 instant or Unix seconds", key));
  if (!in_supported_range(t))
    throw Error(Errc::invalid_argument, fmt::format("{}: {} is outside the supported range {}", key, it->dump(), kSupportedRangeText));
  return t;
}

/// A JSON object of options; every key must be one of `known` (a typo is an error, not a default).
json parse_object(const char* text, const char* what, std::initializer_list<const char*> known) {
  if (!text || !*text) return json::object();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, fmt::format("{}: malformed JSON", what));
  if (!j.is_object()) throw Error(Errc::invalid_argument, fmt::format("{}: expected a JSON object", what));
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    std::string names;
    for (const char* k : known) {
      ok = ok || key == k;
      names += (names.empty() ? "" : ", ") + std::string(k);
    }
    if (!ok) throw Error(Errc::invalid_argument, fmt::format("{}: unknown key '{}' (known: {})", what, key, names));
  }
  return j;
}

bool bool_field(const json& j, const char* what, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw Error(Errc::invalid_argument, fmt::format("{}.{}: expected true or false", what, key));
  return it->get<bool>();
}

std::optional<int64_t> int_field(const json& j, const char* what, const char* key, int64_t min, int64_t max) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) ||
      it->get<int64_t>() < min || it->get<int64_t>() > max)
    throw Error(Errc::invalid_argument, fmt::format("{}.{}: expected an integer {}..{}", what, key, min, max));
  return it->get<int64_t>();
}

workflow::EngineOptions engine_options(const json& j, const char* what) {
  workflow::EngineOptions o;
  o.sweep_before_apply = bool_field(j, what, "sweep_before_apply", o.sweep_before_apply);
  return o;
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
    Calendar cal = Calendar::from_json(calendar_json);
    WorkflowParts w = workflow_parts(workflow_json, policy_json, cal);
    workflow::Engine engine(std::move(w.definition), std::move(w.policy), std::move(w.rules), cal.zone());
    *out = make_handle(new crmkit_engine{std::move(engine), std::move(cal)});
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
    *out = make_handle(
        new crmkit_engine{workflow::Engine::from_files(workflow_path, policy_path, calendar_path), Calendar::from_file(calendar_path)});
    return ok();
  });
}

void crmkit_engine_free(crmkit_engine* e) { free_handle(e); }

int crmkit_engine_add_workflow(crmkit_engine* h, const char* workflow_json, const char* policy_json) {
  CRMKIT_REQUIRE(workflow_json);
  CRMKIT_REQUIRE(policy_json);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  return guard([&] {
    WorkflowParts w = workflow_parts(workflow_json, policy_json, handle->calendar);
    handle->engine.add_workflow(std::move(w.definition), std::move(w.policy), std::move(w.rules));
    return ok();
  });
}

int crmkit_engine_workflows(crmkit_engine* h, char** out) {
  CRMKIT_REQUIRE(out);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  return guard([&] {
    json arr = json::array();
    const std::string default_name = handle->engine.definition().name();
    for (const auto& d : handle->engine.workflows())
      arr.push_back({{"name", d.name()}, {"version", d.version()}, {"default", d.name() == default_name}});
    *out = dup_string(arr.dump());
    return ok();
  });
}

int crmkit_engine_open(const char* db_path, const char* workflow_path, const char* policy_path, const char* calendar_path,
                       const char* options_json, crmkit_engine** out) {
  CRMKIT_REQUIRE(db_path);
  CRMKIT_REQUIRE(workflow_path);
  CRMKIT_REQUIRE(policy_path);
  CRMKIT_REQUIRE(calendar_path);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    json j = parse_object(options_json, "options",
                          {"durability", "snapshot_every", "keep_snapshots", "expect_seq", "sweep_before_apply"});
    store::DurableOptions o;
    if (auto it = j.find("durability"); it != j.end()) {
      if (!it->is_string()) throw Error(Errc::invalid_argument, "options.durability: expected \"full\", \"normal\" or \"off\"");
      o.durability = store::parse_durability(it->get<std::string>());
    }
    o.snapshot_every = int_field(j, "options", "snapshot_every", 0, INT64_MAX).value_or(o.snapshot_every);
    o.keep_snapshots = static_cast<int>(int_field(j, "options", "keep_snapshots", 1, store::kMaxKeepSnapshots).value_or(o.keep_snapshots));
    o.expect_seq = int_field(j, "options", "expect_seq", 0, INT64_MAX);
    o.engine = engine_options(j, "options");
    const std::string wf = workflow_path, pol = policy_path, cal = calendar_path;
    auto factory = [&] { return workflow::Engine::from_files(wf, pol, cal); };
    Calendar calendar = Calendar::from_file(cal);
    *out = make_handle(new crmkit_engine{store::open_engine(db_path, factory, o), std::move(calendar)});
    return ok();
  });
}

int crmkit_engine_set_options(crmkit_engine* h, const char* options_json) {
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    e->engine.set_options(engine_options(parse_object(options_json, "options", {"sweep_before_apply"}), "options"));
    return ok();
  });
}

int crmkit_engine_journal_position(crmkit_engine* h, int64_t* out_seq) {
  CRMKIT_REQUIRE(out_seq);
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    *out_seq = e->engine.journal_position();
    return ok();
  });
}

int crmkit_engine_snapshot(crmkit_engine* h) {
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    e->engine.save_snapshot();
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
    const workflow::BatchResult r = e->engine.apply_batch(lines);
    if (out_applied) *out_applied = r.applied;
    if (out_report_json) {
      json rejected = json::array();
      for (const auto& rej : r.rejected)
        rejected.push_back({{"line", rej.index + 1}, {"code", errc_name(rej.code)}, {"error", rej.message}});
      *out_report_json = dup_string(json{{"schema", 1}, {"applied", r.applied}, {"duplicates", r.duplicates}, {"rejected", rejected}}.dump());
    }
    return ok();
  });
}

int crmkit_engine_apply(crmkit_engine* h, const char* event_json, char** out) {
  CRMKIT_REQUIRE(event_json);
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    workflow::ApplyResult r = e->engine.apply_json(event_json);
    if (out) *out = dup_string(workflow::to_json(r));
    return ok();
  });
}

int crmkit_engine_sweep(crmkit_engine* h, int64_t now, char** out_json, size_t* out_count) {
  crmkit_engine* e = get(h);
  if (!e) return CRMKIT_EINVAL;
  return guard([&] {
    const Instant t = Instant::from_unix_seconds(now);
    if (!in_supported_range(t)) throw Error(Errc::invalid_argument, fmt::format("sweep: time {} is outside the supported range {}", now, kSupportedRangeText));
    auto fired = e->engine.sweep(t);
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
  const workflow::Engine* e = &handle->engine;
  return guard([&] {
    auto c = e->get(case_id);
    if (!c) throw Error(Errc::not_found, fmt::format("case '{}' not found", case_id));
    *out = dup_string(workflow::to_json(*c, true));
    return ok();
  });
}

int crmkit_engine_get_case_ext(crmkit_engine* h, const char* case_id, const char* options_json, char** out) {
  CRMKIT_REQUIRE(case_id);
  CRMKIT_REQUIRE(out);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->engine;
  return guard([&] {
    json j = parse_object(options_json, "case options", {"as_of", "events", "personal_data_role"});
    workflow::ReadOptions o;
    o.as_of = instant_field(j, "as_of");
    o.with_events = bool_field(j, "case options", "events", o.with_events);
    if (auto it = j.find("personal_data_role"); it != j.end() && !it->is_null()) {
      if (!it->is_string() || it->get<std::string>().empty())
        throw Error(Errc::invalid_argument, "case options.personal_data_role: expected a role name");
      o.personal_data_role = it->get<std::string>();
    }
    auto c = e->get(case_id, o);
    if (!c) throw Error(Errc::not_found, fmt::format("case '{}' not found", case_id));
    *out = dup_string(workflow::to_json(*c, o.with_events));
    return ok();
  });
}

int crmkit_engine_find(crmkit_engine* h, const char* query_json, char** out) {
  CRMKIT_REQUIRE(out);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->engine;
  return guard([&] {
    json j = parse_object(query_json, "query",
                          {"state", "owner", "department", "customer", "escalation_level", "min_escalation_level", "limit"});
    workflow::Query q;
    auto text = [&](const char* key, std::optional<std::string>& into) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return;
      if (!it->is_string()) throw Error(Errc::invalid_argument, fmt::format("query.{}: expected a string", key));
      into = it->get<std::string>();
    };
    text("state", q.state);
    text("owner", q.owner);
    text("department", q.department);
    text("customer", q.customer);
    if (auto v = int_field(j, "query", "escalation_level", 0, sla::kMaxEscalationLevel)) q.escalation_level = static_cast<int>(*v);
    if (auto v = int_field(j, "query", "min_escalation_level", 0, sla::kMaxEscalationLevel)) q.min_escalation_level = static_cast<int>(*v);
    if (auto v = int_field(j, "query", "limit", 0, INT64_MAX)) q.limit = static_cast<size_t>(*v);
    *out = dup_string(json(e->find(q)).dump());
    return ok();
  });
}

namespace {
json due_json(const std::vector<workflow::DueClock>& due) {
  json arr = json::array();
  for (const auto& d : due) arr.push_back({{"case", d.case_id}, {"clock", d.clock}, {"due", format_utc(d.due)}});
  return arr;
}
Instant instant_arg(int64_t t, const char* what) {
  const Instant i = Instant::from_unix_seconds(t);
  if (!in_supported_range(i)) throw Error(Errc::invalid_argument, fmt::format("{}: time {} is outside the supported range {}", what, t, kSupportedRangeText));
  return i;
}
}  // namespace

int crmkit_engine_due_before(crmkit_engine* h, int64_t t, char** out) {
  CRMKIT_REQUIRE(out);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->engine;
  return guard([&] {
    *out = dup_string(due_json(e->due_before(instant_arg(t, "due_before"))).dump());
    return ok();
  });
}

int crmkit_engine_due(crmkit_engine* h, const char* query_json, char** out) {
  CRMKIT_REQUIRE(query_json);
  CRMKIT_REQUIRE(out);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->engine;
  return guard([&] {
    json j = parse_object(query_json, "query", {"before", "limit", "after"});
    workflow::DueQuery q;
    const std::optional<Instant> before = instant_field(j, "before");
    if (!before) throw Error(Errc::invalid_argument, "query.before: required (an RFC 3339 instant)");
    q.before = *before;
    q.limit = static_cast<size_t>(int_field(j, "query", "limit", 0, static_cast<int64_t>(workflow::kMaxDuePage)).value_or(1000));
    if (auto it = j.find("after"); it != j.end() && !it->is_null()) {
      if (!it->is_object() || !it->contains("case") || !it->contains("clock") || !it->contains("due") ||
          !(*it)["case"].is_string() || !(*it)["clock"].is_string())
        throw Error(Errc::invalid_argument, "query.after: expected the last {\"case\",\"clock\",\"due\"} of the previous page");
      q.after = workflow::DueClock{(*it)["case"].get<std::string>(), (*it)["clock"].get<std::string>(), *instant_field(*it, "due")};
    }
    *out = dup_string(due_json(e->due_before(q)).dump());
    return ok();
  });
}

int crmkit_engine_kpi(crmkit_engine* h, const char* options_json, char** out) {
  CRMKIT_REQUIRE(out);
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->engine;
  return guard([&] {
    json j = parse_object(options_json, "options", {"from", "to", "as_of", "top_reasons", "targets"});
    kpi::Options o;
    o.from = instant_field(j, "from");
    o.to = instant_field(j, "to");
    o.as_of = instant_field(j, "as_of");
    if (auto it = j.find("top_reasons"); it != j.end()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
          it->get<int64_t>() > static_cast<int64_t>(kpi::kMaxTopReasons))
        throw Error(Errc::invalid_argument,
                    fmt::format("options.top_reasons: expected an integer 0..{}", kpi::kMaxTopReasons));
      o.top_reasons = it->get<size_t>();
    }
    if (auto it = j.find("targets"); it != j.end()) {
      if (!it->is_object()) throw Error(Errc::invalid_argument, "options.targets: expected an object {measure: \">0.95\" | \">=1\" | \"maximise\" | \"minimise\"}");
      for (const auto& [name, v] : it->items()) {
        const std::string where = "options.targets." + name.substr(0, 64);
        if (!v.is_string()) throw Error(Errc::invalid_argument, where + ": expected \">0.95\", \">=1\", \"maximise\" or \"minimise\"");
        o.targets.emplace_back(name, kpi::Target::parse(v.get<std::string>(), where));
      }
    }
    *out = dup_string(kpi::to_json(e->kpi(o)));
    return ok();
  });
}

int crmkit_engine_stats(crmkit_engine* h, size_t* out_cases, size_t* out_events, size_t* out_bytes) {
  crmkit_engine* handle = get(h);
  if (!handle) return CRMKIT_EINVAL;
  const workflow::Engine* e = &handle->engine;
  return guard([&] {
    auto s = e->stats();
    if (out_cases) *out_cases = s.cases;
    if (out_events) *out_events = s.events;
    if (out_bytes) *out_bytes = s.bytes_cases + s.bytes_index + s.bytes_scheduler;
    return ok();
  });
}

}  // extern "C"
