// The complaint workflow engine: construction, and the public calls that change it — apply,
// apply_batch, sweep — each under the exclusive lock: validate (apply_plan.cpp), journal,
// commit (apply_commit.cpp). Queries are in queries.cpp, JSON in case_json.cpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>

#include "crmkit/error.hpp"
#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"
#include "common/files.hpp"

namespace crmkit::workflow {

void ApplyResult::clear() {
  event_id.clear();
  case_id.clear();
  type = {};
  duplicate = created = false;
  from_state = to_state = {};
  escalation_before = escalation_after = 0;
  clocks.clear();
  repeat_of.reset();
  over_level = false;
  compensation = {};
  callback_attempts = 0;
  manual_callback_required = false;
  attempts_exhausted = false;
  outside_responsibility = false;
  covered.clear();
}

const char* satisfaction_name(Satisfaction s) noexcept {
  switch (s) {
    case Satisfaction::very_satisfied: return "very_satisfied";
    case Satisfaction::satisfied: return "satisfied";
    case Satisfaction::unsatisfied: return "unsatisfied";
    case Satisfaction::unknown: return "unknown";
    default: return "none";
  }
}

// ---- construction ------------------------------------------------------------------------

LoadedWorkflow::LoadedWorkflow(Definition definition, sla::Policy p, Rules r)
    : def(std::move(definition)), d(&def.impl()), policy(std::move(p)), rules(std::move(r)) {
  for (size_t i = 0; i < d->clocks.size(); ++i)
    if (!policy.has_clock(d->clocks[i]))
      throw Error(Errc::not_found, fmt::format("workflow.clocks[{}]: unknown clock '{}' (workflow '{}'): the SLA policy defines {}", i,
                                               d->clocks[i], d->name, fmt::join(policy.clock_names(), ", ")));
  role_limit.assign(d->roles.size(), int64_t{0});
  for (const auto& [role, limit] : rules.compensation_limits) {
    int r = d->role_index(role);
    if (r < 0)
      throw Error(Errc::not_found, fmt::format("policy.compensation_limits.{}: unknown role (workflow '{}' has {})", role, d->name,
                                               fmt::join(d->roles, ", ")));
    role_limit[static_cast<size_t>(r)] = limit;
  }
  remedy_roles.fill(~uint64_t{0});
  for (const auto& [remedy, roles] : rules.remedy_roles) {
    uint64_t mask = 0;
    for (const std::string& role : roles) {
      const int r = d->role_index(role);
      if (r < 0)
        throw Error(Errc::not_found, fmt::format("policy.compensation.remedies.{}: unknown role '{}' (workflow '{}' has {})",
                                                 remedy_name(remedy), role, d->name, fmt::join(d->roles, ", ")));
      mask |= uint64_t{1} << r;
    }
    remedy_roles[static_cast<size_t>(remedy)] = mask;
  }
  // First-contact responsibility: the types it covers and the role that overrides it.
  const auto& fc = rules.first_contact;
  responsibility_types.assign(d->types.size(), 0);
  responsibility_override = d->roles.size();
  if (fc.mode != Rules::FirstContact::Mode::off) {
    for (size_t t = 0; t < d->types.size(); ++t) responsibility_types[t] = !fc.events_given && static_cast<int>(t) != d->receive_type;
    // A policy may serve several workflows (Engine::from_files): a type this one lacks is skipped.
    for (const std::string& type : fc.events)
      if (const int t = d->type_index(type); t >= 0) responsibility_types[static_cast<size_t>(t)] = 1;
    if (!fc.override_role.empty()) {
      const int r = d->role_index(fc.override_role);
      if (r < 0)
        throw Error(Errc::not_found, fmt::format("policy.first_contact.override_role: unknown role '{}' (workflow '{}' has {})",
                                                 fc.override_role, d->name, fmt::join(d->roles, ", ")));
      responsibility_override = static_cast<size_t>(r);
    }
  }
  goal_slots.assign(d->clocks.size(), 0);
  for (size_t s = 0; s < d->clocks.size(); ++s) goal_slots[s] = policy.is_goal(d->clocks[s]);
  escalate_type = d->type_index("escalate");
  // What the policy names of the workflow: declared fields of a type it can match or count to.
  for (const std::string& name : policy.condition_fields()) {
    const int i = d->field_index(name);
    if (i < 0 || d->fields[static_cast<size_t>(i)].type == FieldType::instant)
      throw Error(Errc::not_found, fmt::format("policy: a rule matches '{}', which workflow '{}' does not declare as a string, enum, "
                                               "number or boolean field",
                                               name, d->name));
    rule_fields.push_back(static_cast<uint8_t>(i));
  }
  for (const std::string& name : policy.due_fields(d->clocks)) {  // the workflow's clocks only
    const int i = d->field_index(name);
    if (i < 0 || d->fields[static_cast<size_t>(i)].type != FieldType::instant)
      throw Error(Errc::not_found,
                  fmt::format("policy: an instant target is due at data.{}, which workflow '{}' does not declare as an instant field", name,
                              d->name));
    due_fields.push_back(static_cast<uint8_t>(i));
  }
  for (size_t k = 0; k < rules.crisis.start.size(); ++k) {
    const auto slot = std::find(d->clocks.begin(), d->clocks.end(), rules.crisis.start[k]);
    if (slot == d->clocks.end())
      throw Error(Errc::not_found, fmt::format("policy.crisis.start[{}]: '{}' is not a clock of workflow '{}' ({})", k, rules.crisis.start[k],
                                               d->name, fmt::join(d->clocks, ", ")));
    crisis_slots.push_back(static_cast<uint8_t>(slot - d->clocks.begin()));
  }
  if (rules.crisis.escalate_to > d->max_level)
    throw Error(Errc::invalid_argument, fmt::format("policy.crisis.escalate_to: {} is above workflow '{}''s highest level {}",
                                                    rules.crisis.escalate_to, d->name, d->max_level));
  crisis_level = rules.crisis.escalate_to;
  for (const auto& t : d->types) type_names.intern(t);
  for (const auto& role : d->roles) role_names.intern(role);
  fingerprint = definition_fingerprint(*d);
}

std::string Registry::names() const {
  std::string out;
  for (const auto& w : workflows) out += fmt::format("{}{} v{}", out.empty() ? "" : ", ", w->d->name, w->d->version);
  return out;
}

void Engine::Impl::add_workflow(std::shared_ptr<const LoadedWorkflow> w) {
  if (config.find(w->d->name, w->d->version) >= 0)
    throw Error(Errc::conflict, fmt::format("workflow '{}' version {} is loaded already", w->d->name, w->d->version));
  if (config.workflows.size() >= kMaxWorkflows)
    throw Error(Errc::limit, fmt::format("an engine holds at most {} workflow versions", kMaxWorkflows));
  if (config.family_of(w->d->name) < 0) {
    config.families.push_back(w->d->name);
    repeat_index.emplace_back();
  }
  const_cast<LoadedWorkflow&>(*w).family = static_cast<uint32_t>(config.family_of(w->d->name));
  config.defs.push_back(w->d);
  config.workflows.push_back(std::move(w));
  config.default_index = config.newest(config.families[0]);
  bind_symbols();
}

Engine::Engine(Definition definition, sla::Policy policy, Rules rules, TimeZone report_zone)
    : impl_(std::make_unique<Impl>()) {
  impl_->config.zone = std::move(report_zone);
  impl_->add_workflow(std::make_shared<LoadedWorkflow>(std::move(definition), std::move(policy), std::move(rules)));
}

void Engine::add_workflow(Definition definition, sla::Policy policy, Rules rules) {
  auto w = std::make_shared<LoadedWorkflow>(std::move(definition), std::move(policy), std::move(rules));
  std::unique_lock lock(impl_->mutex);
  impl_->add_workflow(std::move(w));
}

std::vector<Definition> Engine::workflows() const {
  std::shared_lock lock(impl_->mutex);
  std::vector<Definition> out;
  for (const auto& w : impl_->config.workflows) out.push_back(w->def);
  return out;
}

namespace {

/// The policy read twice from one text: its SLA part and the workflow rules.
std::pair<sla::Policy, Rules> read_policy(const std::string& policy_path, const Calendar& cal) {
  const std::string policy_text = detail::read_file(policy_path, "policy");
  auto in_file = [&](auto&& parse) {
    try {
      return parse();
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("{}: {}", policy_path, e.what()));
    }
  };
  return {in_file([&] { return sla::Policy::from_json(policy_text, cal); }), in_file([&] { return Rules::from_json(policy_text); })};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> workflow_sources(const std::vector<std::string>& workflow_paths,
                                                                  const std::string& policy_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool policy_folder = fs::is_directory(policy_path, ec);
  auto policy_for = [&](const fs::path& workflow) {
    if (!policy_folder) return policy_path;
    const fs::path p = fs::path(policy_path) / workflow.filename();
    if (!fs::is_regular_file(p, ec))
      throw Error(Errc::not_found, fmt::format("{}: no policy for workflow {} (a policy folder holds one per workflow file name)",
                                               p.string(), workflow.string()));
    return p.string();
  };
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& path : workflow_paths) {
    if (!fs::is_directory(path, ec)) {
      out.emplace_back(path, policy_for(path));
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    if (ec) throw Error(Errc::io, fmt::format("{}: cannot list the folder: {}", path, ec.message()));
    if (files.empty()) throw Error(Errc::not_found, fmt::format("{}: a workflow folder without .json files", path));
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.emplace_back(f.string(), policy_for(f));
  }
  if (out.empty()) throw Error(Errc::invalid_argument, "no workflow given");
  return out;
}

Engine Engine::from_files(const std::string& workflow_path, const std::string& policy_path, const std::string& calendar_path) {
  return from_files(std::vector<std::string>{workflow_path}, policy_path, calendar_path);
}

Engine Engine::from_files(const std::vector<std::string>& workflow_paths, const std::string& policy_path,
                          const std::string& calendar_path) {
  const auto sources = workflow_sources(workflow_paths, policy_path);
  Calendar cal = Calendar::from_file(calendar_path);
  std::optional<Engine> engine;
  for (const auto& source : sources) {
    const std::string& workflow = source.first;  // (a structured binding cannot be captured before C++20 in clang)
    auto [sla_policy, rules] = read_policy(source.second, cal);
    Definition def = [&] {
      try {
        return Definition::from_file(workflow);
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: {}", workflow, e.what()));
      }
    }();
    if (!engine) engine.emplace(std::move(def), std::move(sla_policy), std::move(rules), cal.zone());
    else engine->add_workflow(std::move(def), std::move(sla_policy), std::move(rules));
  }
  return std::move(*engine);
}

Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

// A loaded workflow lives as long as the engine (the registry only grows): the references stay valid.
const Definition& Engine::definition() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->config.default_workflow().def;
}
const Rules& Engine::rules() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->config.default_workflow().rules;
}


void Engine::set_options(const EngineOptions& options) {
  std::unique_lock lock(impl_->mutex);
  impl_->options = options;
}
EngineOptions Engine::options() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->options;
}

void Engine::attach_journal(std::unique_ptr<Journal> journal) {
  std::unique_lock lock(impl_->mutex);
  impl_->journal = std::move(journal);
  impl_->journal_failed = false;
}

int64_t Engine::journal_position() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->journal ? impl_->journal->position() : 0;
}

void Engine::save_snapshot() {
  std::unique_lock lock(impl_->mutex);
  Impl& m = *impl_;
  if (!m.journal) throw Error(Errc::invalid_state, "the engine has no store to keep a snapshot in (open it on a store)");
  m.check_writable();
  m.journal->put_snapshot(m.snapshot_bytes(), kSnapshotFormat);
}

// ---- changes -------------------------------------------------------------------------------

void Engine::Impl::check_writable() const {
  if (journal_failed)
    throw Error(Errc::io, "a batch was applied in memory but its journal write failed: reopen the store to recover the journaled state");
}

bool Engine::Impl::sweep_due_by(Instant at) const {
  const std::optional<Instant> next = scheduler.next_fire();
  return next && *next <= at;
}

void Engine::Impl::snapshot_if_wanted() noexcept {
  if (!journal) return;
  try {
    if (journal->wants_snapshot()) journal->put_snapshot(snapshot_bytes(), kSnapshotFormat);
  } catch (...) {
    // A snapshot only shortens recovery: the journal already holds everything.
  }
}

std::string Engine::Impl::journal_text(const Event& e, const Plan& p) const {
  if (!p.receive || (e.has(Field::workflow) && e.has(Field::workflow_version))) return to_json(e);
  // A receive is journaled with the workflow version it got: replayed after a newer version was
  // loaded, it gets the same one.
  Event pinned = e;
  pinned.workflow = p.w->d->name;
  pinned.workflow_version = p.w->d->version;
  pinned.set(Field::workflow);
  pinned.set(Field::workflow_version);
  return to_json(pinned);
}

void Engine::Impl::apply_locked(const Event& e, ApplyResult& out) {
  check_writable();
  const bool sweep_first = options.sweep_before_apply && sweep_due_by(e.at);
  const Event* const ev = prepare(e, out, sweep_first);
  if (!ev) return;  // a duplicate: nothing to record
  if (journal) {
    journal_json = journal_text(*ev, plan_buf);
    JournalEntry entries[2];
    size_t n = 0;
    if (sweep_first) entries[n++] = JournalEntry{JournalEntry::Kind::sweep, {}, {}, {}, e.at};
    entries[n++] = JournalEntry{JournalEntry::Kind::event, e.case_id, e.id, journal_json, e.at};
    journal->write(std::span<const JournalEntry>(entries, n));  // throws having written nothing: nothing changed
  }
  if (sweep_first) sweep_locked(e.at, nullptr);
  commit_prepared(*ev, out);
  snapshot_if_wanted();
}

const Event* Engine::Impl::prepare(const Event& e, ApplyResult& out, bool sweep_first) {
  covered_count = 0;
  if (!e.has(Field::cases)) {
    if (!plan(e, plan_buf, out, sweep_first)) return nullptr;
    if (plan_buf.t->effect == Effect::link) prepare_link_partner(e, sweep_first);
    if (plan_buf.t->effect == Effect::broadcast && !e.has(Field::case_ref)) prepare_broadcast(e, sweep_first);
    return &e;
  }
  // The callback covers its own case whether data.cases names it or not: recorded with it first.
  covering = e;
  covering.case_list.clear();
  covering.case_list.push_back(e.case_id);
  for (const std::string& id : e.case_list) {
    if (id == e.case_id) continue;
    if (std::find(covering.case_list.begin(), covering.case_list.end(), id) != covering.case_list.end())
      throw Error(Errc::invalid_argument, fmt::format("event '{}' (case '{}', {}): data.cases names case '{}' twice", e.id, e.case_id, e.type, id));
    covering.case_list.push_back(id);
  }
  covering.cases = case_list_json(covering.case_list);
  if (!plan(covering, plan_buf, out, sweep_first)) return nullptr;
  const size_t n = covering.case_list.size() - 1;
  if (covered_events.size() < n) covered_events.resize(n), covered_plans.resize(n);
  for (size_t k = 0; k < n; ++k) {
    Event& other = covered_events[k];
    other = covering;
    other.case_id = covering.case_list[k + 1];
    plan_other_case(e, k, "data.cases", sweep_first);
    const uint32_t customer = plan_buf.c->customer;
    if (covered_plans[k].c->customer != customer || customer == 0)
      throw Error(Errc::invalid_argument,
                  fmt::format("event '{}' (case '{}', {}): data.cases: case '{}' is customer '{}''s, this one customer '{}''s: one callback "
                              "covers one customer's cases",
                              e.id, e.case_id, e.type, other.case_id, syms.str(covered_plans[k].c->customer), syms.str(customer)));
  }
  covered_count = n;
  return &covering;
}

void Engine::Impl::prepare_link_partner(const Event& e, bool sweep_first) {
  // The other case records the same event, pointing back at this one.
  if (covered_events.empty()) covered_events.resize(1), covered_plans.resize(1);
  Event& other = covered_events[0];
  other = e;
  const bool order = e.has(Field::order);
  other.case_id = order ? e.order : e.case_ref;
  (order ? other.order : other.case_ref) = e.case_id;
  plan_other_case(e, 0, order ? "data.order" : "data.case", sweep_first);
  covered_count = 1;
}

void Engine::Impl::prepare_broadcast(const Event& e, bool sweep_first) {
  const CaseRec& c = *plan_buf.c;
  size_t n = 0;
  for_each_linked_case(c, *plan_buf.w->d, [&](std::string_view id) {
    const CaseRec* other = find_case(id);
    if (!other) return;
    const StateKind k = kind(*other);
    if ((k != StateKind::open && k != StateKind::waiting) || def(*other).type_index(e.type) < 0) return;
    if (covered_events.size() <= n) covered_events.resize(n + 1), covered_plans.resize(n + 1);
    Event& copy = covered_events[n];
    copy = e;
    copy.case_id = id;
    copy.case_ref = e.case_id;
    copy.set(Field::case_ref);
    plan_other_case(e, n, "a linked case", sweep_first);
    ++n;
  });
  covered_count = n;
}

void Engine::Impl::plan_other_case(const Event& e, size_t k, std::string_view key, bool sweep_first) {
  const Event& other = covered_events[k];
  try {
    if (!plan(other, covered_plans[k], covered_out, sweep_first)) throw Error(Errc::conflict, fmt::format("it holds an event '{}' already", e.id));
  } catch (const Error& err) {
    throw Error(err.code(),
                fmt::format("event '{}' (case '{}', {}): {}: case '{}': {}", e.id, e.case_id, e.type, key, other.case_id, err.what()));
  }
}

void Engine::Impl::commit_prepared(const Event& e, ApplyResult& out) {
  commit(e, plan_buf, out);
  for (size_t k = 0; k < covered_count; ++k) {
    commit(covered_events[k], covered_plans[k], covered_out);
    out.covered.push_back(covered_events[k].case_id);
  }
}

ApplyResult Engine::apply(const Event& e) {
  ApplyResult r;
  apply(e, r);
  return r;
}

ApplyResult Engine::apply_json(std::string_view json) {
  Event e;
  parse_event(json, e);
  return apply(e);
}

void Engine::apply(const Event& e, ApplyResult& out) {
  // The event is read field by field below; when it is not in cache (a host applying events it
  // parsed earlier) loading all its lines at once overlaps their latencies.
  for (size_t off = 0; off < sizeof(Event); off += 64) __builtin_prefetch(reinterpret_cast<const char*>(&e) + off);
  std::unique_lock lock(impl_->mutex);
  impl_->apply_locked(e, out);
}

BatchResult Engine::apply_batch(std::span<const std::string_view> event_jsons) {
  std::unique_lock lock(impl_->mutex);
  Impl& m = *impl_;
  m.check_writable();
  BatchResult result;
  std::deque<std::string> texts;  // stable storage for the journal entries' views
  std::vector<JournalEntry> entries;
  Event e;
  ApplyResult out;
  const Impl::SweepSink count_sweep = [&](SweepEvent& s) {
    result.breaches += s.kind == sla::ClockEvent::breach;
    result.escalations += s.escalated_to >= 0;
  };
  for (size_t i = 0; i < event_jsons.size(); ++i) {
    try {
      parse_event(event_jsons[i], e);
      if (!result.latest_at || e.at > *result.latest_at) result.latest_at = e.at;
      const bool sweep_first = m.options.sweep_before_apply && m.sweep_due_by(e.at);
      const Event* const ev = m.prepare(e, out, sweep_first);
      if (!ev) {
        ++result.duplicates;
        result.duplicate_indexes.push_back(i);
        continue;
      }
      if (m.journal) {
        if (sweep_first) entries.push_back(JournalEntry{JournalEntry::Kind::sweep, {}, {}, {}, e.at});
        const std::string& case_id = texts.emplace_back(e.case_id);
        const std::string& id = texts.emplace_back(e.id);
        const std::string& json = texts.emplace_back(m.journal_text(*ev, m.plan_buf));
        entries.push_back(JournalEntry{JournalEntry::Kind::event, case_id, id, json, e.at});
      }
      if (sweep_first) m.sweep_locked(e.at, count_sweep);
      m.commit_prepared(*ev, out);
      ++result.applied;
    } catch (const Error& err) {
      result.rejected.push_back({i, err.code(), err.what()});
    }
  }
  if (m.journal && !entries.empty()) {
    try {
      m.journal->write(entries);
    } catch (const Error& err) {
      m.journal_failed = true;  // memory is ahead of the journal now
      throw Error(Errc::io, fmt::format("the batch's {} events were not journaled: {}; reopen the store", result.applied, err.what()));
    }
    m.snapshot_if_wanted();
  }
  return result;
}

std::vector<SweepEvent> Engine::sweep(Instant now) {
  std::vector<SweepEvent> out;
  sweep(now, out);
  return out;
}

size_t Engine::sweep(Instant now, std::vector<SweepEvent>& out) {
  return impl_->sweep_journaled(now, [&](SweepEvent& s) { out.push_back(std::move(s)); });
}

size_t Engine::sweep(Instant now, const std::function<void(const SweepEvent&)>& on_event) {
  return impl_->sweep_journaled(now, [&](SweepEvent& s) { on_event(s); });
}

size_t Engine::Impl::sweep_journaled(Instant now, const SweepSink& sink) {
  std::unique_lock lock(mutex);
  check_writable();
  if (!sweep_due_by(now)) return 0;
  if (journal) {
    const JournalEntry entry{JournalEntry::Kind::sweep, {}, {}, {}, now};
    journal->write(std::span<const JournalEntry>(&entry, 1));
  }
  const size_t fired = sweep_locked(now, sink);
  snapshot_if_wanted();
  return fired;
}

void Engine::Impl::recount() {
  counters = {};
  for (const CaseRec& c : cases) count_case(c, true, false, 0, c.events.size());
  std::lock_guard guard(index_mutex);
  indexes = {};
}

}  // namespace crmkit::workflow
