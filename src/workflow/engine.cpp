// The complaint workflow engine: construction, and the public calls that change it — apply,
// apply_batch, sweep — each under the exclusive lock: validate (apply_plan.cpp), journal,
// commit (apply_commit.cpp). Queries are in queries.cpp, JSON in case_json.cpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include "crmkit/error.hpp"
#include "workflow/engine_impl.hpp"
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

Engine::Engine(Definition definition, sla::Policy policy, Rules rules, TimeZone report_zone)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.def = std::move(definition);
  m.d = &m.def.impl();
  m.policy = std::move(policy);
  m.rules = std::move(rules);
  m.zone = std::move(report_zone);
  for (size_t i = 0; i < m.d->clocks.size(); ++i)
    if (!m.policy.has_clock(m.d->clocks[i]))
      throw Error(Errc::not_found, fmt::format("workflow.clocks[{}]: unknown clock '{}': the SLA policy defines {}", i,
                                               m.d->clocks[i], fmt::join(m.policy.clock_names(), ", ")));
  m.role_limit.assign(m.d->roles.size(), int64_t{0});
  for (const auto& [role, limit] : m.rules.compensation_limits) {
    int r = m.d->role_index(role);
    if (r < 0)
      throw Error(Errc::not_found, fmt::format("policy.compensation_limits.{}: unknown role (the workflow has {})", role,
                                               fmt::join(m.d->roles, ", ")));
    m.role_limit[static_cast<size_t>(r)] = limit;
  }
  m.escalate_type = m.d->type_index("escalate");
  for (const auto& t : m.d->types) m.type_names.intern(t);
  for (const auto& r : m.d->roles) m.role_names.intern(r);
  m.bind_symbols();
}

Engine Engine::from_files(const std::string& workflow_path, const std::string& policy_path,
                          const std::string& calendar_path) {
  Calendar cal = Calendar::from_file(calendar_path);
  // One read of the policy file: the SLA part and the workflow rules both live in it.
  const std::string policy_text = detail::read_file(policy_path, "policy");
  auto in_file = [&](auto&& parse) {
    try {
      return parse();
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("{}: {}", policy_path, e.what()));
    }
  };
  sla::Policy policy = in_file([&] { return sla::Policy::from_json(policy_text, cal); });
  Rules rules = in_file([&] { return Rules::from_json(policy_text); });
  return Engine(Definition::from_file(workflow_path), std::move(policy), std::move(rules), cal.zone());
}

Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

const Definition& Engine::definition() const { return impl_->def; }
const Rules& Engine::rules() const { return impl_->rules; }


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

void Engine::Impl::apply_locked(const Event& e, ApplyResult& out) {
  check_writable();
  const bool sweep_first = options.sweep_before_apply && sweep_due_by(e.at);
  Plan& p = plan_buf;
  if (!plan(e, p, out, sweep_first)) return;  // a duplicate: nothing to record
  if (journal) {
    journal_json = to_json(e);
    JournalEntry entries[2];
    size_t n = 0;
    if (sweep_first) entries[n++] = JournalEntry{JournalEntry::Kind::sweep, {}, {}, {}, e.at};
    entries[n++] = JournalEntry{JournalEntry::Kind::event, e.case_id, e.id, journal_json, e.at};
    journal->write(std::span<const JournalEntry>(entries, n));  // throws having written nothing: nothing changed
  }
  if (sweep_first) sweep_locked(e.at, nullptr);
  commit(e, p, out);
  snapshot_if_wanted();
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
      if (!m.plan(e, m.plan_buf, out, sweep_first)) {
        ++result.duplicates;
        result.duplicate_indexes.push_back(i);
        continue;
      }
      if (m.journal) {
        if (sweep_first) entries.push_back(JournalEntry{JournalEntry::Kind::sweep, {}, {}, {}, e.at});
        const std::string& case_id = texts.emplace_back(e.case_id);
        const std::string& id = texts.emplace_back(e.id);
        const std::string& json = texts.emplace_back(to_json(e));
        entries.push_back(JournalEntry{JournalEntry::Kind::event, case_id, id, json, e.at});
      }
      if (sweep_first) m.sweep_locked(e.at, count_sweep);
      m.commit(e, m.plan_buf, out);
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
