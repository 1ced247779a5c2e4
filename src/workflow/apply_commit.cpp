// Commit of a validated event: the case record, its audit record, clocks and state. Nothing
// here can fail but allocation: every check and every deadline was computed by plan().
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"

namespace crmkit::workflow {

namespace {
/// The narrow key of a target set: four symbols of 16 bits of the first workflow (most
/// deployments) when its policy matches no declared field, else none.
std::optional<uint64_t> narrow_key(uint8_t workflow, uint32_t channel, uint32_t category, uint32_t severity, uint32_t tier,
                                   const std::vector<uint32_t>& rule_syms) {
  if (workflow != 0 || !rule_syms.empty() || channel >= 65536 || category >= 65536 || severity >= 65536 || tier >= 65536)
    return std::nullopt;
  return (uint64_t{channel} << 48) | (uint64_t{category} << 32) | (uint64_t{severity} << 16) | tier;
}
/// 16 bytes of symbols, the workflow index as a 17th byte when it is not 0 or rule fields
/// follow, then 4 bytes per rule field value symbol.
std::string wide_key(uint8_t workflow, uint32_t channel, uint32_t category, uint32_t severity, uint32_t tier,
                     const std::vector<uint32_t>& rule_syms) {
  std::string key(workflow || !rule_syms.empty() ? 17 + 4 * rule_syms.size() : 16, '\0');
  std::memcpy(key.data(), &channel, 4);
  std::memcpy(key.data() + 4, &category, 4);
  std::memcpy(key.data() + 8, &severity, 4);
  std::memcpy(key.data() + 12, &tier, 4);
  if (key.size() > 16) key[16] = static_cast<char>(workflow);
  for (size_t i = 0; i < rule_syms.size(); ++i) std::memcpy(key.data() + 17 + 4 * i, &rule_syms[i], 4);
  return key;
}
}  // namespace

void Engine::Impl::index_target_set(const CaseRec& c) {
  const std::vector<uint32_t> rule_syms = case_rule_syms(c);
  if (auto k = narrow_key(c.workflow, c.channel, c.category, c.severity, c.tier, rule_syms)) target_set_index.set(*k, c.target_set);
  else target_set_index_wide.emplace(wide_key(c.workflow, c.channel, c.category, c.severity, c.tier, rule_syms), c.target_set);
}

int64_t Engine::Impl::find_target_set(uint8_t workflow, uint32_t channel, uint32_t category, uint32_t severity, uint32_t tier,
                                      const std::vector<uint32_t>& rule_syms) const {
  if (auto k = narrow_key(workflow, channel, category, severity, tier, rule_syms)) {
    const uint32_t* v = target_set_index.find(*k);
    return v ? int64_t{*v} : -1;
  }
  auto it = target_set_index_wide.find(wide_key(workflow, channel, category, severity, tier, rule_syms));
  return it == target_set_index_wide.end() ? -1 : int64_t{it->second};
}

uint32_t Engine::Impl::intern_target_set(const Plan& p) {
  if (p.target_set >= 0) return static_cast<uint32_t>(p.target_set);
  // The case's classification symbols are set already (receive, effect_reclassify).
  const CaseRec& c = p.c ? *p.c : cases.back();
  std::vector<uint32_t> rule_syms;
  for (const std::string& v : p.rule_values) rule_syms.push_back(syms.intern(v));
  TargetSet ts;
  for (size_t i = 0; i < p.new_targets.size(); ++i) {
    ts.target[i] = scheduler.intern(p.new_targets[i]);
    ts.escalate_to[i] = static_cast<int8_t>(std::clamp(p.new_targets[i].escalate_to, -1, sla::kMaxEscalationLevel));
  }
  const auto id = static_cast<uint32_t>(target_sets.size());
  target_sets.push_back(ts);
  if (auto k = narrow_key(c.workflow, c.channel, c.category, c.severity, c.tier, rule_syms)) target_set_index.set(*k, id);
  else target_set_index_wide.emplace(wide_key(c.workflow, c.channel, c.category, c.severity, c.tier, rule_syms), id);
  return id;
}

void Engine::Impl::commit(const Event& e, const Plan& p, ApplyResult& out) {
  const Definition::Impl& def = *p.w->d;
  const int64_t now = e.at.unix_seconds();
  const uint32_t actor = syms.intern(e.actor);
  out.clear();
  out.event_id = e.id;
  out.case_id = e.case_id;
  out.type = def.types[static_cast<size_t>(p.type)];
  CaseRec* c = p.c;
  size_t idx;
  size_t bytes_before = 0;
  if (p.receive) {
    idx = case_ids.intern(e.case_id) - 1;
    c = &cases.emplace_back();
    c->events.reserve(8);
    c->pool.reserve(160);
    c->workflow = p.workflow;
    auto symbol = [&](size_t k, const std::string& text) {
      return p.symbols[k] >= 0 ? static_cast<uint32_t>(p.symbols[k]) : syms.intern(text);
    };
    c->channel = symbol(0, e.channel);
    c->category = symbol(1, e.category);
    c->severity = symbol(2, e.severity);
    c->tier = symbol(3, e.tier);
    c->customer = syms.intern(e.customer);
    c->first_owner = c->owner = actor;
    c->received_at = now;
    c->received_offset_minutes = static_cast<int16_t>(e.utc_offset / 60);
    c->target_set = intern_target_set(p);
    c->state = p.t->to;
    if (e.has(Field::level) && e.level > 0) {
      c->level = static_cast<uint8_t>(e.level);
      c->flags |= kCaseOverLevel;
    }
    out.created = true;
    out.over_level = c->flags & kCaseOverLevel;
    link_repeat(*c, idx, now);
    if (c->repeat_of) out.repeat_of = case_id(c->repeat_of - 1);
  } else {
    idx = index_of(*c);
    bytes_before = c->bytes();
    out.from_state = def.states[c->state].name;
  }
  const bool was_closed = !p.receive && is_closed_kind(kind(*c));
  out.escalation_before = p.receive ? 0 : c->level;

  Record rec;
  rec.at = now;
  rec.off = static_cast<uint32_t>(c->pool.size());
  rec.id_len = static_cast<uint16_t>(e.id.size());
  rec.id_tag = p.id_tag;
  rec.actor = actor;
  rec.type = static_cast<uint16_t>(p.type);
  rec.offset_minutes = static_cast<int16_t>(e.utc_offset / 60);
  rec.role = p.role;
  rec.from = p.from;
  rec.data_len = encode_record(e, p.data_bytes, p.attr_codes, c->pool);
  if (c->repeat_of && p.receive) rec.flags |= kRecRepeat;
  if (p.receive && (c->flags & kCaseOverLevel)) rec.flags |= kRecOverLevel;

  uint8_t to = p.t->stay ? c->state : p.t->to;
  switch (p.t->effect) {
    case Effect::assign: effect_assign(*c, e); break;
    case Effect::escalate: effect_escalate(*c, e); break;
    case Effect::callback: effect_callback(*c, e, p, rec, to, out); break;
    case Effect::reopen: effect_reopen(*c); break;
    case Effect::merge: effect_merge(*c, p); break;
    case Effect::compensate: effect_compensate(*c, e, p, rec, out); break;
    case Effect::approve_compensation: effect_approve_compensation(*c, e, p, rec, out); break;
    case Effect::reclassify: effect_reclassify(*c, e, p); break;
    case Effect::handover: effect_handover(*c, e); break;
    default: break;
  }
  if (!p.retargets.empty()) apply_retargets(*c, p, e.at, static_cast<uint32_t>(c->events.size()));
  apply_clock_actions(*c, idx, e, p, out);
  if (p.crisis) enter_crisis(*c, idx, e, p, rec, out);
  enter_state(*c, idx, to, p.receive, now, out);
  rec.to = to;
  c->last_at = std::max(c->last_at, now);
  c->add_record(rec);

  out.to_state = def.states[to].name;
  out.escalation_after = c->level;
  out.callback_attempts = c->attempts;
  out.manual_callback_required = c->flags & kCaseManualRequired;
  out.outside_responsibility = p.outside_responsibility;

  count_case(*c, p.receive, was_closed, bytes_before, 1);
  if (indexes.built) index_case(idx);
}

void Engine::Impl::count_case(const CaseRec& c, bool is_new, bool was_closed, size_t bytes_before, size_t new_events) {
  const bool closed = is_closed_kind(kind(c));
  if (!is_new) {
    (was_closed ? counters.closed : counters.open) -= 1;
    (was_closed ? counters.bytes_closed : counters.bytes_open) -= bytes_before;
  }
  (closed ? counters.closed : counters.open) += 1;
  (closed ? counters.bytes_closed : counters.bytes_open) += c.bytes();
  counters.events += new_events;
}

void Engine::Impl::link_repeat(CaseRec& c, size_t idx, int64_t now) {
  // Repeat complaint: same customer and category as an earlier case of the workflow family that
  // is still open (or under review), or closed within the reopen window. The index holds the
  // latest such case; a later one that ended (merged, withdrawn, rejected) leaves its chain's
  // first case to compare with.
  if (c.customer == 0) return;
  const uint64_t key = (uint64_t{c.customer} << 32) | c.category;
  FlatMap64& index = repeat_index[wf(c).family];
  const uint32_t* found = index.find(key);
  if (found) {
    const auto repeats = [&](const CaseRec& prev) {
      switch (kind(prev)) {
        case StateKind::terminal: return false;
        case StateKind::closed:
          return prev.closed_at != kNone && now >= prev.closed_at && now - prev.closed_at <= int64_t{wf(c).rules.reopen_window_days} * 86400;
        default: return true;
      }
    };
    const uint32_t prev_index = *found;
    const CaseRec& prev = cases[prev_index - 1];
    if (repeats(prev)) c.repeat_of = prev.repeat_of ? prev.repeat_of : prev_index;
    else if (prev.repeat_of && repeats(cases[prev.repeat_of - 1])) c.repeat_of = prev.repeat_of;
  }
  index.set(key, static_cast<uint32_t>(idx + 1));
}

void Engine::Impl::apply_clock_actions(CaseRec& c, size_t idx, const Event& e, const Plan& p, ApplyResult& out) {
  const Definition::Impl& def = *p.w->d;
  auto push_change = [&](uint8_t slot, ClockAction::Op op, std::optional<Instant> due) {
    ClockChange& change = out.clocks.emplace_back();  // fields written in place: no temporary to copy
    change.clock = def.clocks[slot];
    change.op = op;
    change.due = due;
  };
  for (size_t i = 0; i < p.t->clocks.size(); ++i) {
    const auto& act = p.t->clocks[i];
    const uint8_t s = act.clock;
    const auto st = static_cast<sla::ClockState>(c.clock_state[s]);
    switch (act.op) {
      case ClockAction::start:
        if (!c.clock_id[s]) {
          start_clock(c, idx, s, e.at, p.due[i]);
          push_change(s, ClockAction::start, p.due[i]);
        }
        break;
      case ClockAction::pause:
        // A clock counting to a fixed instant does not pause (plan_clocks skips it as well).
        if (c.clock_id[s] && st == sla::ClockState::running && !counts_to_instant(c.clock_id[s])) {
          scheduler.pause(c.clock_id[s], e.at);
          c.clock_state[s] = static_cast<uint8_t>(sla::ClockState::paused);
          push_change(s, ClockAction::pause, std::nullopt);
        }
        break;
      case ClockAction::resume:
        if (c.clock_id[s] && st == sla::ClockState::paused) {
          scheduler.resume(c.clock_id[s], e.at);
          c.clock_state[s] = static_cast<uint8_t>(sla::ClockState::running);
          push_change(s, ClockAction::resume, p.due[i]);
        }
        break;
      case ClockAction::stop:
      case ClockAction::close:  // plan_clocks refused a close of a clock that was not running
        stop_clock(c, s, e.at, &out);
        break;
      case ClockAction::restart:
      case ClockAction::open:  // plan_clocks refused it while the clock runs or is paused
        if (c.clock_id[s]) {
          // Stopped first: its status is then the elapsed time it kept, with no calendar work
          // (a running clock's status counts the open segment and computes its due).
          stop_clock(c, s, e.at, nullptr);
          if (!wf(c).goal_slots[s] && scheduler.status(c.clock_id[s], e.at).breached) c.flags |= kCaseBreached;
        }
        start_clock(c, idx, s, e.at, p.due[i]);
        push_change(s, act.op, p.due[i]);
        break;
    }
  }
}

void Engine::Impl::start_clock(CaseRec& c, size_t idx, uint8_t slot, Instant at, std::optional<Instant> due) {
  const sla::ClockId id = scheduler.create(target_sets[c.target_set].target[slot]);
  scheduler.start(id, at, due);
  if (clock_case.size() < id) {
    clock_case.resize(id, 0);
    clock_slot.resize(id, 0);
  }
  clock_case[id - 1] = static_cast<uint32_t>(idx);
  clock_slot[id - 1] = slot;
  c.clock_id[slot] = static_cast<uint32_t>(id);
  c.clock_state[slot] = static_cast<uint8_t>(sla::ClockState::running);
  c.clock_instance[slot] += c.clock_instance[slot] < 255;
}

void Engine::Impl::stop_clock(CaseRec& c, uint8_t slot, Instant at, ApplyResult* report) {
  const auto st = static_cast<sla::ClockState>(c.clock_state[slot]);
  if (!c.clock_id[slot] || (st != sla::ClockState::running && st != sla::ClockState::paused)) return;
  scheduler.stop(c.clock_id[slot], at);
  c.clock_state[slot] = static_cast<uint8_t>(sla::ClockState::stopped);
  if (report) {
    ClockChange& change = report->clocks.emplace_back();
    change.clock = def(c).clocks[slot];
    change.op = ClockAction::stop;
  }
}

void Engine::Impl::enter_state(CaseRec& c, size_t idx, uint8_t to, bool receive, int64_t now, ApplyResult& out) {
  const StateKind new_kind = kind(c, to);
  if (to != c.state || receive) {
    if (is_closed_kind(new_kind))
      for (uint8_t s = 0; s < def(c).clocks.size(); ++s)
        if (new_kind == StateKind::terminal || !def(c).open_slots[s]) stop_clock(c, s, Instant::from_unix_seconds(now), &out);
    if (new_kind == StateKind::resolved) {
      c.resolved_at = now;
      c.flags |= kCaseEverResolved;
      c.attempts = 0;
    }
    if (new_kind == StateKind::closed) {
      c.closed_at = now;
      if (c.customer != 0) repeat_index[wf(c).family].set((uint64_t{c.customer} << 32) | c.category, static_cast<uint32_t>(idx + 1));
    }
  }
  c.state = to;
}

}  // namespace crmkit::workflow
