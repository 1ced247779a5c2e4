// Queries: a case as a value, find() over indexes, due clocks from the scheduler's heap, O(1)
// counts.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <mutex>

#include "crmkit/error.hpp"
#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"

namespace crmkit::workflow {

namespace {

/// An item of a record as a FieldValue (the built-in flags apart), masked unless `unmasked`.
FieldValue field_value(const RecordItem& item, const Definition::Impl& d, bool unmasked) {
  FieldValue v;
  if (item.builtin()) {
    const BuiltinField& b = builtin(item.field());
    v.name = b.name;
    v.type = b.type;
    if (item.field() == Field::manual) v.text = item.integer ? "true" : "false";
    else if (item.field() == Field::amount) v.text = format_cents(item.integer);
    else if (b.wire == Wire::byte) v.text = std::to_string(item.integer);
    else if (b.free_text && !unmasked) v.text = mask_free_text(item.text), v.masked = v.text != item.text;
    else v.text = item.text;
    return v;
  }
  const FieldDef& f = d.fields[item.code - kFirstDeclaredCode];
  v.name = f.name;
  v.type = f.type;
  if (item.wire == Wire::f64) v.text = format_number(item.real);
  else if (item.wire == Wire::byte) v.text = item.integer ? "true" : "false";
  else if (f.personal && !unmasked) v.text = mask_value(item.text, f.mask), v.masked = true;
  else v.text = item.text;
  return v;
}

}  // namespace

void Engine::Impl::check_personal_data_role(std::string_view role) const {
  // One role reads every case: it must be entitled in every loaded workflow.
  for (const auto& w : config.workflows) workflow::check_personal_data_role(w->def, role);
}

Case Engine::Impl::materialize(size_t idx, const ReadOptions& options) const {
  const CaseRec& c = cases[idx];
  const Definition::Impl* const d = &def(c);
  const bool unmasked = !options.personal_data_role.empty();
  Case out;
  out.id = case_id(idx);
  out.state = d->states[c.state].name;
  out.kind = kind(c);
  out.workflow = d->name;
  out.workflow_version = d->version;
  out.channel = syms.s(c.channel);
  out.category = syms.s(c.category);
  out.severity = syms.s(c.severity);
  out.customer = syms.s(c.customer);
  out.tier = syms.s(c.tier);
  out.owner = syms.s(c.owner);
  out.department = syms.s(c.department);
  out.first_owner = syms.s(c.first_owner);
  out.escalation_level = c.level;
  out.over_level = c.flags & kCaseOverLevel;
  if (c.repeat_of) out.repeat_of = case_id(c.repeat_of - 1);
  if (c.merged_into) out.merged_into = case_id(c.merged_into - 1);
  out.received_at = Instant::from_unix_seconds(c.received_at);
  out.last_event_at = Instant::from_unix_seconds(c.last_at);
  if (c.resolved_at != kNone) out.resolved_at = Instant::from_unix_seconds(c.resolved_at);
  if (c.closed_at != kNone) out.closed_at = Instant::from_unix_seconds(c.closed_at);
  out.satisfaction = c.satisfaction;
  out.callback_attempts = c.attempts;
  out.manual_callback_required = c.flags & kCaseManualRequired;
  out.reopen_count = c.reopens;
  out.compensation_granted_cents = c.comp_granted;
  for (const PendingComp& pc : c.comp_pending) {
    out.compensation_pending_cents.push_back(pc.cents);
    out.compensation_pending_remedies.push_back(pc.remedy);
  }
  out.personal_data_masked = !unmasked;
  const Instant at = options.as_of.value_or(Instant::from_unix_seconds(c.last_at));
  for (size_t s = 0; s < d->clocks.size(); ++s) {
    if (!c.clock_id[s]) continue;
    sla::ClockStatus st = scheduler.status(c.clock_id[s], at);
    ClockInfo ci;
    ci.name = d->clocks[s];
    ci.state = st.state;
    ci.kind = st.kind;
    ci.due = st.kind == sla::TargetKind::instant ? st.fixed_due : st.due;
    ci.breached = st.breached;
    ci.elapsed = st.elapsed;
    ci.paused = st.paused;
    ci.target = st.total;
    ci.rule = scheduler.target(st.target).rule;
    ci.instance = c.clock_instance[s];
    ci.goal = wf(c).goal_slots[s];
    for (const RetargetRec& r : c.retargets) {
      if (r.slot != s || r.instance != c.clock_instance[s] || r.at > at.unix_seconds()) continue;
      const sla::Target& t = scheduler.target(r.target);
      ClockRetarget rt;
      rt.at = Instant::from_unix_seconds(r.at);
      rt.kind = t.kind;
      rt.target = t.duration;
      rt.rule = t.rule;
      if (r.record < c.events.size()) {
        const Record& rec = c.events[r.record];
        rt.event = record_id(c.pool, rec);
        if (r.moved_due) {
          rt.reason = fmt::format("data.{} changed", t.due_field);
        } else {
          decode_data(c.pool, rec, *d, [&](const RecordItem& item) {
            if (item.code == static_cast<uint8_t>(Field::reason)) rt.reason = field_value(item, *d, unmasked).text;
          });
        }
        // An instant's due as it stood after this retarget: the field's value then, plus the offset.
        if (t.kind == sla::TargetKind::instant) {
          const int field = d->field_index(t.due_field);
          std::optional<std::string> text;
          for (size_t k = 0; k <= r.record; ++k)
            decode_data(c.pool, c.events[k], *d, [&](const RecordItem& item) {
              if (field >= 0 && item.code == kFirstDeclaredCode + field) text = std::string(item.text);
            });
          Instant when;
          if (text && try_parse_instant(*text, when)) rt.due = Instant::from_unix_seconds(when.unix_seconds() + t.due_offset.count_seconds());
        }
      }
      ci.retargets.push_back(std::move(rt));
    }
    out.clocks.push_back(std::move(ci));
  }
  if (!c.events.empty()) {
    // The description is stored with the receive event.
    decode_data(c.pool, c.events.front(), *d, [&](const RecordItem& item) {
      if (item.code == static_cast<uint8_t>(Field::description)) out.description = field_value(item, *d, unmasked).text;
    });
  }
  // The declared fields: the last value each record gave (records are few per case; a field
  // table per case would cost every case memory for what is read rarely).
  if (!d->fields.empty()) {
    std::vector<std::optional<RecordItem>> last(d->fields.size());
    for (const Record& r : c.events)
      decode_data(c.pool, r, *d, [&](const RecordItem& item) {
        if (!item.builtin()) last[item.code - kFirstDeclaredCode] = item;
      });
    for (const auto& item : last)
      if (item && !(item->wire == Wire::text && item->text.empty())) out.fields.push_back(field_value(*item, *d, unmasked));
  }
  for_each_linked_case(c, *d, [&](std::string_view id) { out.links.emplace_back(id); });
  if (!options.with_events) return out;
  out.events.reserve(c.events.size());
  for (const Record& r : c.events) {
    AuditEntry a;
    a.id = record_id(c.pool, r);
    a.type = r.type == kSystemType ? "escalate" : d->types[r.type];
    a.actor = syms.s(r.actor);
    a.role = r.role == kSystemRole ? "system" : d->roles[r.role];
    a.at = Instant::from_unix_seconds(r.at);
    a.utc_offset = r.offset_minutes * 60;
    if (r.from != kNoState) a.from_state = d->states[r.from].name;
    if (r.to != kNoState) a.to_state = d->states[r.to].name;
    decode_data(c.pool, r, *d, [&](const RecordItem& item) { a.data.push_back(field_value(item, *d, unmasked)); });
    const auto flag = [&](const char* name, FieldType type, const char* text) { a.data.push_back(FieldValue{name, type, text, false}); };
    if (r.flags & kRecCompGranted) flag("compensation", FieldType::string, "granted");
    if (r.flags & kRecCompPending) flag("compensation", FieldType::string, "pending");
    if (r.flags & kRecCompApproved) flag("compensation", FieldType::string, "approved");
    if (r.flags & kRecExhausted) flag("attempts_exhausted", FieldType::boolean, "true");
    if (r.flags & kRecSystem) flag("automatic", FieldType::boolean, "true");
    if (r.flags & kRecCrisis) flag("crisis", FieldType::boolean, "true");
    out.events.push_back(std::move(a));
  }
  return out;
}

std::optional<Case> Engine::get(std::string_view case_id, std::optional<Instant> as_of) const {
  ReadOptions o;
  o.as_of = as_of;
  return get(case_id, o);
}

std::optional<Case> Engine::get(std::string_view case_id, const ReadOptions& options) const {
  std::shared_lock lock(impl_->mutex);
  impl_->check_personal_data_role(options.personal_data_role);
  const CaseRec* c = impl_->find_case(case_id);
  if (!c) return std::nullopt;
  return impl_->materialize(impl_->index_of(*c), options);
}

// ---- find ----------------------------------------------------------------------------------

size_t CaseIndexes::bytes() const { return entries * sizeof(uint32_t) + keys * 64; }

void Engine::Impl::index_case(size_t idx) {
  const CaseRec& c = cases[idx];
  const auto i = static_cast<uint32_t>(idx);
  CaseIndexes& ix = indexes;
  auto add = [&](std::vector<uint32_t>& list) {
    if (!list.empty() && list.back() == i) return;
    ix.keys += list.empty();
    ++ix.entries;
    list.push_back(i);
  };
  add(ix.by_state[uint32_t{c.workflow} << 8 | c.state]);
  add(ix.by_owner[c.owner]);
  if (c.department) add(ix.by_department[c.department]);
  if (c.customer) add(ix.by_customer[c.customer]);
}

const CaseIndexes& Engine::Impl::built_indexes() const {
  // Built once under the shared lock of a query (apply, which keeps them current, holds the
  // exclusive one): the index mutex orders concurrent first queries.
  std::lock_guard guard(index_mutex);
  if (!indexes.built) {
    auto& self = const_cast<Impl&>(*this);
    for (size_t i = 0; i < cases.size(); ++i) self.index_case(i);
    indexes.built = true;
  }
  return indexes;
}

std::vector<std::string> Engine::find(const Query& q) const {
  std::shared_lock lock(impl_->mutex);
  const Impl& m = *impl_;
  for (const auto* level : {&q.escalation_level, &q.min_escalation_level})
    if (*level && (**level < 0 || **level > sla::kMaxEscalationLevel))
      throw Error(Errc::invalid_argument, fmt::format("query: escalation level {} is outside 0..{}", **level, sla::kMaxEscalationLevel));
  std::vector<std::string> out;
  // A state is asked by name: its index in each workflow that has it (-1 where none does).
  std::vector<int> state_in;
  if (q.state) {
    bool known = false;
    for (const auto& w : m.config.workflows) known |= state_in.emplace_back(w->d->state_index(*q.state)) >= 0;
    if (!known) throw Error(Errc::invalid_argument, fmt::format("query.state: unknown state '{}'", *q.state));
  }
  const bool by_state = q.state.has_value();
  auto sym = [&](const std::optional<std::string>& s) -> int64_t { return s ? m.syms.find(*s) : -2; };
  const int64_t owner = sym(q.owner), dept = sym(q.department), cust = sym(q.customer);
  if (owner == -1 || dept == -1 || cust == -1) return out;  // a value no case ever had
  auto matches = [&](const CaseRec& c) {
    return (!by_state || c.state == state_in[c.workflow]) && (owner < 0 || c.owner == owner) && (dept < 0 || c.department == dept) &&
           (cust < 0 || c.customer == cust) && (!q.escalation_level || c.level == *q.escalation_level) &&
           (!q.min_escalation_level || c.level >= *q.min_escalation_level);
  };
  // The smallest index list among the keys asked, else every case.
  const std::vector<uint32_t>* candidates = nullptr;
  std::vector<uint32_t> in_state;  // the state's lists of every workflow, together
  if (by_state || owner >= 0 || dept >= 0 || cust >= 0) {
    const CaseIndexes& ix = m.built_indexes();
    static const std::vector<uint32_t> none;
    auto consider = [&](const std::vector<uint32_t>* list) {
      if (!candidates || list->size() < candidates->size()) candidates = list;
    };
    auto in = [&](const auto& map, int64_t key) {
      auto it = map.find(static_cast<uint32_t>(key));
      consider(it == map.end() ? &none : &it->second);
    };
    if (by_state) {
      for (size_t w = 0; w < state_in.size(); ++w)
        if (state_in[w] >= 0)
          if (auto it = ix.by_state.find(static_cast<uint32_t>(w << 8 | static_cast<size_t>(state_in[w]))); it != ix.by_state.end())
            in_state.insert(in_state.end(), it->second.begin(), it->second.end());
      consider(&in_state);
    }
    if (owner >= 0) in(ix.by_owner, owner);
    if (dept >= 0) in(ix.by_department, dept);
    if (cust >= 0) in(ix.by_customer, cust);
  }
  if (!candidates) {
    for (size_t i = 0; i < m.cases.size() && out.size() < q.limit; ++i)
      if (matches(m.cases[i])) out.push_back(m.case_id(i));
    return out;
  }
  // A case appears in a list once per time it took the key: sort, dedupe, check it still has it.
  std::vector<uint32_t> hits;
  for (uint32_t i : *candidates)
    if (matches(m.cases[i])) hits.push_back(i);
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  for (size_t k = 0; k < hits.size() && out.size() < q.limit; ++k) out.push_back(m.case_id(hits[k]));
  return out;
}

std::vector<std::string> Engine::by_state(std::string_view state) const {
  Query q;
  q.state = std::string(state);
  return find(q);
}
std::vector<std::string> Engine::by_owner(std::string_view owner) const {
  Query q;
  q.owner = std::string(owner);
  return find(q);
}
std::vector<std::string> Engine::by_department(std::string_view department) const {
  Query q;
  q.department = std::string(department);
  return find(q);
}
std::vector<std::string> Engine::by_escalation_level(int level) const {
  Query q;
  q.escalation_level = level;
  return find(q);
}

// ---- due clocks ------------------------------------------------------------------------------

std::vector<DueClock> Engine::due_before(const DueQuery& q) const {
  std::shared_lock lock(impl_->mutex);
  const Impl& m = *impl_;
  std::vector<sla::ClockId> ids;
  m.scheduler.running_candidates_before(q.before, ids);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  struct Hit {
    int64_t due;
    uint32_t idx;
    uint8_t slot;
  };
  std::vector<Hit> hits;
  for (sla::ClockId id : ids) {
    if (id == 0 || id > m.clock_case.size()) continue;
    const uint32_t idx = m.clock_case[id - 1];
    const uint8_t slot = m.clock_slot[id - 1];
    const CaseRec& c = m.cases[idx];
    if (c.clock_id[slot] != id) continue;  // an earlier instance
    const sla::ClockStatus st = m.scheduler.status(id, Instant::from_unix_seconds(c.last_at));
    if (st.state == sla::ClockState::running && st.due && *st.due < q.before) hits.push_back({st.due->unix_seconds(), idx, slot});
  }
  // (due, case in order of receipt, clock) order; the cursor is the last clock of the previous page.
  auto before = [](const Hit& a, const Hit& b) {
    return a.due != b.due ? a.due < b.due : a.idx != b.idx ? a.idx < b.idx : a.slot < b.slot;
  };
  std::sort(hits.begin(), hits.end(), before);
  size_t start = 0;
  if (q.after) {
    const CaseRec* c = m.find_case(q.after->case_id);
    const int slot = c ? m.def(*c).clock_index(q.after->clock) : -1;
    if (!c || slot < 0) throw Error(Errc::invalid_argument, "due_before: the cursor names an unknown case or clock");
    const Hit cursor{q.after->due.unix_seconds(), static_cast<uint32_t>(m.index_of(*c)), static_cast<uint8_t>(slot)};
    start = static_cast<size_t>(std::upper_bound(hits.begin(), hits.end(), cursor, before) - hits.begin());
  }
  std::vector<DueClock> out;
  for (size_t k = start; k < hits.size() && out.size() < q.limit; ++k)
    out.push_back({m.case_id(hits[k].idx), m.def(m.cases[hits[k].idx]).clocks[hits[k].slot], Instant::from_unix_seconds(hits[k].due)});
  return out;
}

std::vector<DueClock> Engine::due_before(Instant t) const {
  DueQuery q;
  q.before = t;
  q.limit = SIZE_MAX;
  return due_before(q);
}

void Engine::for_each_case(const std::function<void(const Case&)>& f, bool with_events, std::optional<Instant> as_of) const {
  ReadOptions o;
  o.with_events = with_events;
  o.as_of = as_of;
  for_each_case(f, o);
}

void Engine::for_each_case(const std::function<void(const Case&)>& f, const ReadOptions& options) const {
  std::shared_lock lock(impl_->mutex);
  impl_->check_personal_data_role(options.personal_data_role);
  for (size_t i = 0; i < impl_->cases.size(); ++i) f(impl_->materialize(i, options));
}

size_t Engine::size() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->cases.size();
}

EngineStats Engine::stats() const {
  std::shared_lock lock(impl_->mutex);
  const Impl& m = *impl_;
  EngineStats s;
  s.cases = m.cases.size();
  s.open_cases = m.counters.open;
  s.closed_cases = m.counters.closed;
  s.events = m.counters.events;
  s.bytes_open_cases = m.counters.bytes_open;
  s.bytes_closed_cases = m.counters.bytes_closed;
  s.bytes_cases = m.counters.bytes_open + m.counters.bytes_closed + (m.cases.capacity() - m.cases.size()) * sizeof(CaseRec);
  s.clocks = m.scheduler.size();
  s.bytes_scheduler = m.scheduler.memory_bytes();
  s.bytes_index = m.case_ids.bytes() + m.syms.bytes() + m.clock_case.capacity() * 5;
  for (const FlatMap64& index : m.repeat_index) s.bytes_index += index.bytes();  // one per workflow family: O(families)
  {
    std::lock_guard guard(m.index_mutex);
    if (m.indexes.built) s.bytes_index += m.indexes.bytes();
  }
  return s;
}

}  // namespace crmkit::workflow
