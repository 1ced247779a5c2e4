// The complaint workflow engine: validation, the fold of events into cases, SLA clocks,
// escalation, callbacks, repeats, compensation; queries and JSON.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "crmkit/error.hpp"
#include "workflow/engine_impl.hpp"
#include "common/files.hpp"

namespace crmkit::workflow {

namespace {

[[noreturn]] void refuse(Errc code, const Event& e, const std::string& what) {
  throw Error(code, fmt::format("event '{}' (case '{}', {}): {}", e.id, e.case_id, e.type, what));
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool contains(const std::vector<std::string>& v, std::string_view x) {
  for (const auto& s : v)
    if (s == x) return true;
  return false;
}

}  // namespace

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
                                               m.d->clocks[i], join(m.policy.clock_names())));
  m.role_limit.assign(m.d->roles.size(), int64_t{0});
  for (const auto& [role, limit] : m.rules.compensation_limits) {
    int r = m.d->role_index(role);
    if (r < 0)
      throw Error(Errc::not_found, fmt::format("policy.compensation_limits.{}: unknown role (the workflow has {})", role,
                                               join(m.d->roles)));
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

// ---- apply -------------------------------------------------------------------------------

namespace {

uint32_t target_set_for(Engine::Impl& m, uint32_t channel, uint32_t category, uint32_t severity, uint32_t tier) {
  const bool narrow = channel < 65536 && category < 65536 && severity < 65536 && tier < 65536;
  const uint64_t nkey = (uint64_t{channel} << 48) | (uint64_t{category} << 32) | (uint64_t{severity} << 16) | tier;
  if (narrow) {
    if (uint32_t* v = m.target_set_index.find(nkey)) return *v;
  }
  char key[16];
  std::memcpy(key, &channel, 4);
  std::memcpy(key + 4, &category, 4);
  std::memcpy(key + 8, &severity, 4);
  std::memcpy(key + 12, &tier, 4);
  std::string k(key, 16);
  if (!narrow)
    if (auto it = m.target_set_index_wide.find(k); it != m.target_set_index_wide.end()) return it->second;
  sla::CaseAttributes a{m.syms.s(channel), m.syms.s(category), m.syms.s(severity), m.syms.s(tier)};
  TargetSet ts;
  for (size_t i = 0; i < m.d->clocks.size(); ++i) {
    sla::Target t = m.policy.target(m.d->clocks[i], a);
    ts.target[i] = m.scheduler.intern(t);
    ts.escalate_to[i] = static_cast<int8_t>(std::clamp(t.escalate_to, -1, 100));
  }
  uint32_t id = static_cast<uint32_t>(m.target_sets.size());
  m.target_sets.push_back(ts);
  if (narrow) m.target_set_index.set(nkey, id);
  else m.target_set_index_wide.emplace(std::move(k), id);
  return id;
}

}  // namespace

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
  Impl& m = *impl_;
  const Definition::Impl& d = *m.d;

  // ---- validation: nothing changes until every check passed ----
  if (e.id.empty()) throw Error(Errc::invalid_argument, fmt::format("event without an id (case '{}', {})", e.case_id, e.type));
  if (e.case_id.empty()) refuse(Errc::invalid_argument, e, "missing 'case'");
  if (e.id.size() > 65535) refuse(Errc::limit, e, "id too long");
  // SLA deadlines are computed up to the end of 2499 and targets are at most 100 years, so event
  // times are limited to 1900..2399: later clock operations can then never fail half-way.
  if (e.at.unix_seconds() < -2208988800LL || e.at.unix_seconds() >= 13569465600LL)
    refuse(Errc::invalid_argument, e, fmt::format("time {} is outside the supported range 1900-01-01 .. 2399-12-31", e.at.unix_seconds()));
  const int type = static_cast<int>(m.type_names.find(e.type)) - 1;
  if (type < 0) refuse(Errc::invalid_argument, e, fmt::format("unknown event type '{}'", e.type));
  const bool receive = type == d.receive_type;

  CaseRec* c = m.find_case(e.case_id);
  if (c) {
    // The case's audit trail and pool are about to be appended to: start loading their ends
    // while the event's own fields are checked.
    __builtin_prefetch(c->events.data() + c->events.size());
    __builtin_prefetch(c->pool.data() + c->pool.size());
  }
  for (uint32_t bits = e.present | (e.note.empty() ? 0u : 1u << static_cast<unsigned>(Field::note)); bits; bits &= bits - 1) {
    Field f = static_cast<Field>(__builtin_ctz(bits));
    size_t n = e.text(f).size();
    if (n > (f == Field::description ? kMaxDescriptionBytes : kMaxFieldBytes))
      refuse(Errc::limit, e, fmt::format("data.{} is {} bytes (at most {})", field_name(f), n,
                                         f == Field::description ? kMaxDescriptionBytes : kMaxFieldBytes));
  }
  for (const std::string* s : {&e.id, &e.case_id, &e.actor})
    if (s->size() > kMaxFieldBytes) refuse(Errc::limit, e, "id, case or actor too long");
  const uint16_t id_tag = Record::tag_of(e.id);
  if (c) {
    if (c->may_hold(id_tag)) {  // a record may have this id: compare
      const size_t n = e.id.size();
      for (const Record& r : c->events) {
        if (r.id_tag != id_tag || r.id_len != n || std::memcmp(c->pool.data() + r.off, e.id.data(), n) != 0) continue;
        if (r.type != static_cast<uint16_t>(type))
          refuse(Errc::conflict, e, fmt::format("id already used by a '{}' event of this case", r.type == kSystemType ? "escalate" : d.types[r.type]));
        out.clear();
        out.event_id = e.id;
        out.case_id = e.case_id;
        out.type = d.types[static_cast<size_t>(type)];
        out.duplicate = true;
        out.from_state = out.to_state = d.states[c->state].name;
        out.escalation_before = out.escalation_after = c->level;
        return;
      }
    }
    if (receive) refuse(Errc::conflict, e, "the case already exists");
  } else if (!receive) {
    refuse(Errc::not_found, e, fmt::format("unknown case '{}'", e.case_id));
  }
  if (!c && receive && m.cases.size() >= kMaxCases)
    refuse(Errc::limit, e, fmt::format("the engine holds the maximum of {} cases", kMaxCases));
  if (e.actor.empty()) refuse(Errc::invalid_argument, e, "missing 'actor'");
  const int role = static_cast<int>(m.role_names.find(e.role)) - 1;
  if (role < 0) refuse(Errc::permission, e, fmt::format("unknown role '{}' (roles: {})", e.role, join(d.roles)));
  if (c && e.at.unix_seconds() < c->last_at)
    refuse(Errc::invalid_argument, e,
           fmt::format("timestamp {} is before the case's last event at {}", format_utc(e.at),
                       format_utc(Instant::from_unix_seconds(c->last_at))));

  // Transition selection.
  const uint8_t state = c ? c->state : kNoState;
  const CompiledTransition* t = nullptr;
  bool state_ok = false;
  for (uint16_t ti : d.by_type[static_cast<size_t>(type)]) {
    const CompiledTransition& ct = d.compiled[ti];
    if (!receive && !ct.from(state)) continue;
    state_ok = true;
    bool match = true;
    for (const auto& cond : ct.when) {
      if (!e.has(cond.field)) {
        match = false;
        continue;
      }
      if (!contains(cond.values, e.text(cond.field))) match = false;
    }
    if (match) {
      t = &ct;
      break;
    }
  }
  if (!state_ok) {
    std::vector<std::string> allowed;
    for (uint16_t ti : d.by_type[static_cast<size_t>(type)])
      for (size_t s = 0; s < d.states.size(); ++s)
        if (d.compiled[ti].from(static_cast<uint8_t>(s)) && !contains(allowed, d.states[s].name)) allowed.push_back(d.states[s].name);
    refuse(Errc::invalid_state, e, fmt::format("not allowed in state '{}' (allowed in: {})", d.states[state].name, join(allowed)));
  }
  if (!t) {
    // Name the condition that failed.
    for (uint16_t ti : d.by_type[static_cast<size_t>(type)]) {
      const CompiledTransition& ct = d.compiled[ti];
      if (!receive && !ct.from(state)) continue;
      for (const auto& cond : ct.when)
        if (!e.has(cond.field)) refuse(Errc::invalid_argument, e, fmt::format("missing data.{}", field_name(cond.field)));
    }
    std::vector<std::string> ok;
    Field field = Field::count_;
    for (uint16_t ti : d.by_type[static_cast<size_t>(type)]) {
      const CompiledTransition& ct = d.compiled[ti];
      if (!receive && !ct.from(state)) continue;
      for (const auto& cond : ct.when) {
        field = cond.field;
        for (const auto& v : cond.values)
          if (!contains(ok, v)) ok.push_back(v);
      }
    }
    refuse(Errc::invalid_argument, e,
           fmt::format("data.{} '{}' is not accepted here (expected one of: {})", field_name(field), e.text(field), join(ok)));
  }
  if (!t->role_ok(static_cast<uint8_t>(role)))
    refuse(Errc::permission, e, fmt::format("role '{}' may not fire '{}' (allowed: {})", e.role, e.type, join(d.transitions[t->index].roles)));
  if (uint32_t missing = t->required_mask & ~e.present) {
    for (size_t i = 0; i < static_cast<size_t>(Field::count_); ++i)
      if ((missing >> i) & 1u) refuse(Errc::invalid_argument, e, fmt::format("missing data.{}", field_name(static_cast<Field>(i))));
  }
  for (size_t i = 0; i < static_cast<size_t>(Field::count_); ++i) {
    Field f = static_cast<Field>(i);
    if (!((t->required_mask >> i) & 1u)) continue;
    if (f != Field::manual && f != Field::level && f != Field::amount && e.text(f).empty())
      refuse(Errc::invalid_argument, e, fmt::format("data.{} is empty", field_name(f)));
  }
  // Listed values: channel, category, severity and tier by symbol (found now, reused when a
  // receive stores them), outcome and decision by text.
  std::array<int64_t, static_cast<size_t>(Field::count_)> symbol_of;
  symbol_of.fill(-1);
  for (Field f : Impl::kSymbolFields) {
    const auto& accepted = m.accepted_symbols[static_cast<size_t>(f)];
    int64_t& sym = symbol_of[static_cast<size_t>(f)];
    if (accepted.empty() || !e.has(f)) continue;
    sym = m.syms.find(e.text(f));
    if (sym < 0 || std::find(accepted.begin(), accepted.end(), static_cast<uint32_t>(sym)) == accepted.end())
      refuse(Errc::invalid_argument, e,
             fmt::format("data.{} '{}' is not one of: {}", field_name(f), e.text(f), join(d.values[static_cast<size_t>(f)])));
  }
  for (Field f : {Field::outcome, Field::decision}) {
    const auto& vals = d.values[static_cast<size_t>(f)];
    if (!vals.empty() && e.has(f) && !contains(vals, e.text(f)))
      refuse(Errc::invalid_argument, e, fmt::format("data.{} '{}' is not one of: {}", field_name(f), e.text(f), join(vals)));
  }

  // Effect-specific checks.
  const Effect effect = t->effect;
  const int64_t now = e.at.unix_seconds();
  CaseRec* into = nullptr;
  int64_t limit_cents = 0;
  bool unlimited = false;
  if (role < static_cast<int>(m.role_limit.size())) {
    unlimited = !m.role_limit[static_cast<size_t>(role)].has_value();
    limit_cents = m.role_limit[static_cast<size_t>(role)].value_or(0);
  }
  bool exhausted = false;
  switch (effect) {
    case Effect::receive:
      if (e.has(Field::level) && e.level > d.max_level)
        refuse(Errc::invalid_argument, e, fmt::format("data.level {} is above the highest level {}", e.level, d.max_level));
      break;
    case Effect::escalate:
      if (e.level > d.max_level)
        refuse(Errc::invalid_argument, e, fmt::format("data.level {} is above the highest level {}", e.level, d.max_level));
      if (e.level <= c->level)
        refuse(Errc::invalid_state, e,
               fmt::format("the case is already at escalation level {}; escalation is never lowered", c->level));
      break;
    case Effect::callback: {
      bool manual_tier = false;
      for (uint32_t tier : m.manual_tiers)
        if (tier == c->tier && tier != 0) manual_tier = true;
      if ((manual_tier || (c->flags & kCaseManualRequired)) && !e.manual)
        refuse(Errc::invalid_state, e,
               manual_tier ? fmt::format("a manual callback is required for tier '{}'", m.syms.s(c->tier))
                           : std::string("a manual callback is required after an unreachable automatic callback"));
      if (e.outcome == "unreachable" && t->exhausted_to != kNoState && c->attempts + 1 >= m.rules.callback_max_attempts)
        exhausted = true;
      break;
    }
    case Effect::reopen:
      if (m.kind(c->state) == StateKind::closed && c->closed_at != kNone &&
          now - c->closed_at > int64_t{m.rules.reopen_window_days} * 86400)
        refuse(Errc::invalid_state, e,
               fmt::format("the reopen window of {} days has passed (closed at {})", m.rules.reopen_window_days,
                           format_utc(Instant::from_unix_seconds(c->closed_at))));
      break;
    case Effect::merge: {
      if (e.into == e.case_id) refuse(Errc::invalid_argument, e, "a case cannot be merged into itself");
      into = m.find_case(e.into);
      if (!into) refuse(Errc::not_found, e, fmt::format("data.into: unknown case '{}'", e.into));
      if (m.kind(into->state) == StateKind::terminal)
        refuse(Errc::invalid_state, e, fmt::format("data.into: case '{}' is {}", e.into, d.states[into->state].name));
      break;
    }
    case Effect::compensate:
      if (e.amount_cents <= 0) refuse(Errc::invalid_argument, e, "data.amount must be positive");
      break;
    case Effect::approve_compensation: {
      if (e.amount_cents <= 0) refuse(Errc::invalid_argument, e, "data.amount must be positive");
      if (std::find(c->comp_pending.begin(), c->comp_pending.end(), e.amount_cents) == c->comp_pending.end())
        refuse(Errc::invalid_state, e, fmt::format("no compensation of {} is pending approval", format_cents(e.amount_cents)));
      if (!unlimited && e.amount_cents > limit_cents)
        refuse(Errc::permission, e,
               fmt::format("role '{}' may approve up to {}; {} needs a higher role", e.role, format_cents(limit_cents),
                           format_cents(e.amount_cents)));
      break;
    }
    default: break;
  }
  if (c && c->events.size() >= 100000) refuse(Errc::limit, e, "the case has 100000 events");
  // The clock targets of a new case (interning may allocate but changes no case).
  uint32_t tset = 0, s_channel = 0, s_category = 0, s_severity = 0, s_tier = 0;
  if (receive) {
    auto symbol = [&](Field f, const std::string& text) {
      const int64_t found = symbol_of[static_cast<size_t>(f)];
      return found >= 0 ? static_cast<uint32_t>(found) : m.syms.intern(text);
    };
    s_channel = symbol(Field::channel, e.channel);
    s_category = symbol(Field::category, e.category);
    s_severity = symbol(Field::severity, e.severity);
    s_tier = symbol(Field::tier, e.tier);
    tset = target_set_for(m, s_channel, s_category, s_severity, s_tier);
  }

  // ---- mutation ----
  const uint32_t actor = m.syms.intern(e.actor);
  out.clear();
  out.event_id = e.id;
  out.case_id = e.case_id;
  out.type = d.types[static_cast<size_t>(type)];
  size_t idx;
  if (receive) {
    uint32_t cid = m.case_ids.intern(e.case_id);
    idx = cid - 1;
    m.cases.emplace_back();
    c = &m.cases.back();
    c->events.reserve(8);
    c->pool.reserve(160);
    c->channel = s_channel;
    c->category = s_category;
    c->severity = s_severity;
    c->customer = m.syms.intern(e.customer);
    c->tier = s_tier;
    c->first_owner = c->owner = actor;
    c->received_at = now;
    c->received_offset_minutes = static_cast<int16_t>(e.utc_offset / 60);
    c->target_set = tset;
    c->state = t->to;
    if (e.has(Field::level) && e.level > 0) {
      c->level = static_cast<uint8_t>(e.level);
      c->flags |= kCaseOverLevel;
    }
    out.created = true;
    out.from_state = {};
    out.over_level = c->flags & kCaseOverLevel;
    // Repeat complaint: same customer and category, within the window after an earlier closing.
    if (c->customer != 0) {
      uint64_t key = (uint64_t{c->customer} << 32) | c->category;
      if (const uint32_t* found = m.repeat_index.find(key)) {
        const uint32_t prev_index = *found;
        const CaseRec& prev = m.cases[prev_index - 1];
        if (m.kind(prev.state) == StateKind::closed && prev.closed_at != kNone && now >= prev.closed_at &&
            now - prev.closed_at <= int64_t{m.rules.reopen_window_days} * 86400) {
          c->repeat_of = prev.repeat_of ? prev.repeat_of : prev_index;
          out.repeat_of = m.case_id(c->repeat_of - 1);
        }
      }
    }
  } else {
    idx = m.index_of(*c);
    out.from_state = d.states[c->state].name;
  }
  out.escalation_before = receive ? 0 : c->level;

  // Audit record.
  Record rec;
  rec.at = now;
  rec.off = static_cast<uint32_t>(c->pool.size());
  rec.id_len = static_cast<uint16_t>(e.id.size());
  rec.id_tag = id_tag;
  rec.actor = actor;
  rec.type = static_cast<uint16_t>(type);
  rec.offset_minutes = static_cast<int16_t>(e.utc_offset / 60);
  rec.role = static_cast<uint8_t>(role);
  rec.from = state;
  rec.data_len = encode_record(e, c->pool);
  if (c->repeat_of && receive) rec.flags |= kRecRepeat;
  if (receive && (c->flags & kCaseOverLevel)) rec.flags |= kRecOverLevel;

  // Effects.
  uint8_t to = t->stay ? c->state : t->to;
  switch (effect) {
    case Effect::assign:
      c->department = m.syms.intern(e.department);
      c->owner = m.syms.intern(e.owner);
      break;
    case Effect::escalate:
      c->level = static_cast<uint8_t>(e.level);
      break;
    case Effect::callback:
      if (e.outcome == "very_satisfied") c->satisfaction = Satisfaction::very_satisfied, c->ratings[0] += c->ratings[0] < 255;
      else if (e.outcome == "satisfied") c->satisfaction = Satisfaction::satisfied, c->ratings[1] += c->ratings[1] < 255;
      else if (e.outcome == "unsatisfied") {
        c->satisfaction = Satisfaction::unsatisfied, c->ratings[2] += c->ratings[2] < 255;
        c->reopens += c->reopens < 255;
      }
      if (e.outcome == "unreachable") {
        c->attempts += c->attempts < 255;
        if (!e.manual) c->flags |= kCaseManualRequired;
        if (exhausted) {
          to = t->exhausted_to;
          c->satisfaction = Satisfaction::unknown;
          c->flags |= kCaseExhausted;
          rec.flags |= kRecExhausted;
          out.attempts_exhausted = true;
        }
      } else {
        c->attempts = 0;
        c->flags &= static_cast<uint8_t>(~kCaseManualRequired);
      }
      break;
    case Effect::reopen:
      c->reopens += c->reopens < 255;
      break;
    case Effect::merge:
      c->merged_into = static_cast<uint32_t>(m.index_of(*into) + 1);
      break;
    case Effect::compensate:
      if (unlimited || e.amount_cents <= limit_cents) {
        c->comp_granted += e.amount_cents;
        rec.flags |= kRecCompGranted;
        out.compensation = "granted";
      } else {
        c->comp_pending.push_back(e.amount_cents);
        rec.flags |= kRecCompPending;
        out.compensation = "pending";
      }
      break;
    case Effect::approve_compensation: {
      auto it = std::find(c->comp_pending.begin(), c->comp_pending.end(), e.amount_cents);
      c->comp_pending.erase(it);
      c->comp_granted += e.amount_cents;
      rec.flags |= kRecCompApproved;
      out.compensation = "approved";
      break;
    }
    default: break;
  }

  // Clock actions.
  const TargetSet& ts = m.target_sets[c->target_set];
  auto push_change = [&](uint8_t slot, ClockAction::Op op, std::optional<Instant> due) {
    ClockChange& change = out.clocks.emplace_back();  // fields written in place: no temporary to copy
    change.clock = d.clocks[slot];
    change.op = op;
    change.due = due;
  };
  auto create_and_start = [&](uint8_t slot) {
    sla::ClockId id = m.scheduler.create(ts.target[slot]);
    if (id > UINT32_MAX) throw Error(Errc::limit, "more than 4 billion SLA clocks");
    m.scheduler.start(id, e.at);
    if (m.clock_case.size() < id) {
      m.clock_case.resize(id, 0);
      m.clock_slot.resize(id, 0);
    }
    m.clock_case[id - 1] = static_cast<uint32_t>(idx);
    m.clock_slot[id - 1] = slot;
    c->clock_id[slot] = static_cast<uint32_t>(id);
    c->clock_state[slot] = static_cast<uint8_t>(sla::ClockState::running);
    c->clock_instance[slot] += c->clock_instance[slot] < 255;
    const sla::Target& tg = m.scheduler.target(ts.target[slot]);
    return tg.calendar.add(e.at, tg.business);
  };
  auto stop_clock = [&](uint8_t slot, bool report) {
    auto st = static_cast<sla::ClockState>(c->clock_state[slot]);
    if (!c->clock_id[slot] || (st != sla::ClockState::running && st != sla::ClockState::paused)) return;
    m.scheduler.stop(c->clock_id[slot], e.at);
    c->clock_state[slot] = static_cast<uint8_t>(sla::ClockState::stopped);
    if (report) push_change(slot, ClockAction::stop, std::nullopt);
  };
  for (const auto& act : t->clocks) {
    const uint8_t s = act.clock;
    const auto st = static_cast<sla::ClockState>(c->clock_state[s]);
    switch (act.op) {
      case ClockAction::start:
        if (!c->clock_id[s]) push_change(s, ClockAction::start, create_and_start(s));
        break;
      case ClockAction::pause:
        if (c->clock_id[s] && st == sla::ClockState::running) {
          m.scheduler.pause(c->clock_id[s], e.at);
          c->clock_state[s] = static_cast<uint8_t>(sla::ClockState::paused);
          push_change(s, ClockAction::pause, std::nullopt);
        }
        break;
      case ClockAction::resume:
        if (c->clock_id[s] && st == sla::ClockState::paused) {
          m.scheduler.resume(c->clock_id[s], e.at);
          c->clock_state[s] = static_cast<uint8_t>(sla::ClockState::running);
          push_change(s, ClockAction::resume, m.scheduler.status(c->clock_id[s], e.at).due);
        }
        break;
      case ClockAction::stop:
        stop_clock(s, true);
        break;
      case ClockAction::restart:
        if (c->clock_id[s]) {
          if (m.scheduler.status(c->clock_id[s], e.at).breached) c->flags |= kCaseBreached;
          stop_clock(s, false);
        }
        push_change(s, ClockAction::restart, create_and_start(s));
        break;
    }
  }

  // State change and its consequences.
  const StateKind new_kind = m.kind(to);
  if (to != c->state || receive) {
    if (new_kind == StateKind::closed || new_kind == StateKind::terminal)
      for (uint8_t s = 0; s < d.clocks.size(); ++s) stop_clock(s, true);
    if (new_kind == StateKind::resolved) {
      c->resolved_at = now;
      c->flags |= kCaseEverResolved;
      c->attempts = 0;
    }
    if (new_kind == StateKind::closed) {
      c->closed_at = now;
      if (c->customer != 0) m.repeat_index.set((uint64_t{c->customer} << 32) | c->category, static_cast<uint32_t>(idx + 1));
    }
  }
  c->state = to;
  rec.to = to;
  c->last_at = std::max(c->last_at, now);
  c->add_record(rec);

  out.to_state = d.states[to].name;
  out.escalation_after = c->level;
  out.callback_attempts = c->attempts;
  out.manual_callback_required = c->flags & kCaseManualRequired;
  if (!out.repeat_of && c->repeat_of && receive) out.repeat_of = m.case_id(c->repeat_of - 1);
}

// ---- sweep -------------------------------------------------------------------------------

std::vector<SweepEvent> Engine::sweep(Instant now) {
  std::vector<SweepEvent> out;
  sweep(now, out);
  return out;
}

size_t Engine::sweep(Instant now, std::vector<SweepEvent>& out) {
  std::unique_lock lock(impl_->mutex);
  Impl& m = *impl_;
  const Definition::Impl& d = *m.d;
  m.sweep_buf.clear();
  m.scheduler.sweep(now, m.sweep_buf);
  size_t before = out.size();
  for (const sla::ClockEvent& ev : m.sweep_buf) {
    if (ev.clock == 0 || ev.clock > m.clock_case.size()) continue;
    const uint32_t idx = m.clock_case[ev.clock - 1];
    const uint8_t slot = m.clock_slot[ev.clock - 1];
    CaseRec& c = m.cases[idx];
    SweepEvent se;
    se.case_id = m.case_id(idx);
    se.clock = d.clocks[slot];
    se.kind = ev.kind;
    se.at = ev.at;
    se.fraction = ev.fraction;
    if (ev.kind == sla::ClockEvent::breach) {
      c.flags |= kCaseBreached;
      const int to = std::min<int>(m.target_sets[c.target_set].escalate_to[slot], d.max_level);
      if (to > c.level && m.kind(c.state) != StateKind::terminal) {
        se.escalated_from = c.level;
        se.escalated_to = to;
        Record rec;
        rec.at = ev.at.unix_seconds();
        rec.off = static_cast<uint32_t>(c.pool.size());
        std::string id = fmt::format("sla:{}#{}:breach", d.clocks[slot], c.clock_instance[slot]);
        rec.id_len = static_cast<uint16_t>(id.size());
        rec.id_tag = Record::tag_of(id);
        c.pool.append(id);
        c.pool.push_back(static_cast<char>(Field::level));
        c.pool.push_back(static_cast<char>(to));
        std::string reason = fmt::format("SLA breach: {}", d.clocks[slot]);
        c.pool.push_back(static_cast<char>(Field::reason));
        put_u32(c.pool, static_cast<uint32_t>(reason.size()));
        c.pool.append(reason);
        rec.data_len = static_cast<uint32_t>(c.pool.size() - rec.off - rec.id_len);
        rec.actor = m.system_actor;
        rec.type = m.escalate_type >= 0 ? static_cast<uint16_t>(m.escalate_type) : kSystemType;
        rec.offset_minutes = c.received_offset_minutes;
        rec.role = kSystemRole;
        rec.from = rec.to = c.state;
        rec.flags = kRecSystem;
        c.add_record(rec);
        c.level = static_cast<uint8_t>(to);
        c.last_at = std::max(c.last_at, rec.at);
      }
    }
    out.push_back(std::move(se));
  }
  return out.size() - before;
}

// ---- queries -----------------------------------------------------------------------------

Case Engine::Impl::materialize(size_t idx, bool with_events, std::optional<Instant> as_of) const {
  const CaseRec& c = cases[idx];
  Case out;
  out.id = case_id(idx);
  out.state = d->states[c.state].name;
  out.kind = kind(c.state);
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
  out.compensation_pending_cents = c.comp_pending;
  const Instant at = as_of.value_or(Instant::from_unix_seconds(c.last_at));
  for (size_t s = 0; s < d->clocks.size(); ++s) {
    if (!c.clock_id[s]) continue;
    sla::ClockStatus st = scheduler.status(c.clock_id[s], at);
    ClockInfo ci;
    ci.name = d->clocks[s];
    ci.state = st.state;
    ci.due = st.due;
    ci.breached = st.breached;
    ci.elapsed = st.elapsed;
    ci.target = scheduler.target(st.target).business;
    ci.instance = c.clock_instance[s];
    out.clocks.push_back(std::move(ci));
  }
  if (!c.events.empty()) {
    // The description is stored with the receive event.
    decode_data(c.pool, c.events.front(), [&](Field f, std::string_view text, int64_t) {
      if (f == Field::description) out.description = text;
    });
  }
  if (!with_events) return out;
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
    decode_data(c.pool, r, [&](Field f, std::string_view text, int64_t num) {
      if (f == Field::manual) a.data.emplace_back("manual", num ? "true" : "false");
      else if (f == Field::level) a.data.emplace_back("level", std::to_string(num));
      else if (f == Field::amount) a.data.emplace_back("amount", format_cents(num));
      else a.data.emplace_back(field_name(f), std::string(text));
    });
    if (r.flags & kRecCompGranted) a.data.emplace_back("compensation", "granted");
    if (r.flags & kRecCompPending) a.data.emplace_back("compensation", "pending");
    if (r.flags & kRecCompApproved) a.data.emplace_back("compensation", "approved");
    if (r.flags & kRecExhausted) a.data.emplace_back("attempts_exhausted", "true");
    if (r.flags & kRecSystem) a.data.emplace_back("automatic", "true");
    out.events.push_back(std::move(a));
  }
  return out;
}

std::optional<Case> Engine::get(std::string_view case_id, std::optional<Instant> as_of) const {
  std::shared_lock lock(impl_->mutex);
  const CaseRec* c = impl_->find_case(case_id);
  if (!c) return std::nullopt;
  return impl_->materialize(impl_->index_of(*c), true, as_of);
}

std::vector<std::string> Engine::find(const Query& q) const {
  std::shared_lock lock(impl_->mutex);
  const Impl& m = *impl_;
  std::vector<std::string> out;
  int state = -2;
  if (q.state) state = m.d->state_index(*q.state);
  if (state == -1) return out;
  auto sym = [&](const std::optional<std::string>& s) -> int64_t { return s ? m.syms.find(*s) : -2; };
  const int64_t owner = sym(q.owner), dept = sym(q.department), cust = sym(q.customer);
  if (owner == -1 || dept == -1 || cust == -1) return out;
  for (size_t i = 0; i < m.cases.size() && out.size() < q.limit; ++i) {
    const CaseRec& c = m.cases[i];
    if (state >= 0 && c.state != state) continue;
    if (owner >= 0 && c.owner != owner) continue;
    if (dept >= 0 && c.department != dept) continue;
    if (cust >= 0 && c.customer != cust) continue;
    if (q.escalation_level && c.level != *q.escalation_level) continue;
    if (q.min_escalation_level && c.level < *q.min_escalation_level) continue;
    out.push_back(m.case_id(i));
  }
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

std::vector<DueClock> Engine::due_before(Instant t) const {
  std::shared_lock lock(impl_->mutex);
  const Impl& m = *impl_;
  std::vector<DueClock> out;
  for (size_t i = 0; i < m.cases.size(); ++i) {
    const CaseRec& c = m.cases[i];
    for (size_t s = 0; s < m.d->clocks.size(); ++s) {
      if (!c.clock_id[s] || c.clock_state[s] != static_cast<uint8_t>(sla::ClockState::running)) continue;
      sla::ClockStatus st = m.scheduler.status(c.clock_id[s], Instant::from_unix_seconds(c.last_at));
      if (st.due && *st.due < t) out.push_back({m.case_id(i), m.d->clocks[s], *st.due});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const DueClock& a, const DueClock& b) { return a.due < b.due; });
  return out;
}

void Engine::for_each_case(const std::function<void(const Case&)>& f, bool with_events, std::optional<Instant> as_of) const {
  std::shared_lock lock(impl_->mutex);
  for (size_t i = 0; i < impl_->cases.size(); ++i) f(impl_->materialize(i, with_events, as_of));
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
  for (const CaseRec& c : m.cases) {
    const StateKind k = m.kind(c.state);
    const size_t b = c.bytes();
    s.events += c.events.size();
    s.bytes_cases += b;
    if (k == StateKind::closed || k == StateKind::terminal) {
      ++s.closed_cases;
      s.bytes_closed_cases += b;
    } else {
      ++s.open_cases;
      s.bytes_open_cases += b;
    }
  }
  s.bytes_cases += (m.cases.capacity() - m.cases.size()) * sizeof(CaseRec);
  s.clocks = m.scheduler.size();
  s.bytes_scheduler = m.scheduler.memory_bytes();
  s.bytes_index = m.case_ids.bytes() + m.syms.bytes() + m.clock_case.capacity() * 5 +
                  m.repeat_index.bytes();
  return s;
}

// ---- JSON --------------------------------------------------------------------------------

namespace {
const char* clock_state_name(sla::ClockState s) {
  switch (s) {
    case sla::ClockState::idle: return "idle";
    case sla::ClockState::running: return "running";
    case sla::ClockState::paused: return "paused";
    default: return "stopped";
  }
}
void opt_str(std::string& out, const std::optional<std::string>& s) {
  if (s) json_str(out, *s);
  else out += "null";
}
void opt_instant(std::string& out, const std::optional<Instant>& t) {
  if (t) json_instant(out, *t);
  else out += "null";
}
}  // namespace

std::string to_json(const Case& c, bool with_events) {
  std::string o;
  o.reserve(512 + (with_events ? c.events.size() * 160 : 0));
  o += "{\"id\":";
  json_str(o, c.id);
  o += ",\"state\":";
  json_str(o, c.state);
  for (auto [k, v] : {std::pair<const char*, const std::string*>{"channel", &c.channel}, {"category", &c.category},
                      {"severity", &c.severity}, {"customer", &c.customer}, {"tier", &c.tier}, {"owner", &c.owner},
                      {"department", &c.department}, {"first_owner", &c.first_owner}}) {
    o += ",\"";
    o += k;
    o += "\":";
    json_str(o, *v);
  }
  o += fmt::format(",\"escalation_level\":{},\"over_level\":{},\"repeat_of\":", c.escalation_level, c.over_level);
  opt_str(o, c.repeat_of);
  o += ",\"merged_into\":";
  opt_str(o, c.merged_into);
  o += ",\"received_at\":";
  json_instant(o, c.received_at);
  o += ",\"last_event_at\":";
  json_instant(o, c.last_event_at);
  o += ",\"resolved_at\":";
  opt_instant(o, c.resolved_at);
  o += ",\"closed_at\":";
  opt_instant(o, c.closed_at);
  o += fmt::format(",\"satisfaction\":\"{}\",\"callback_attempts\":{},\"manual_callback_required\":{},\"reopen_count\":{}",
                   satisfaction_name(c.satisfaction), c.callback_attempts, c.manual_callback_required, c.reopen_count);
  o += ",\"compensation\":{\"granted\":" + format_cents(c.compensation_granted_cents) + ",\"pending\":[";
  for (size_t i = 0; i < c.compensation_pending_cents.size(); ++i)
    o += (i ? "," : "") + format_cents(c.compensation_pending_cents[i]);
  o += "]},\"clocks\":[";
  for (size_t i = 0; i < c.clocks.size(); ++i) {
    const ClockInfo& k = c.clocks[i];
    if (i) o.push_back(',');
    o += "{\"name\":";
    json_str(o, k.name);
    o += fmt::format(",\"instance\":{},\"state\":\"{}\",\"due\":", k.instance, clock_state_name(k.state));
    opt_instant(o, k.due);
    o += fmt::format(",\"breached\":{},\"elapsed_seconds\":{},\"target_seconds\":{}}}", k.breached, k.elapsed.count_seconds(),
                     k.target.count_seconds());
  }
  o += "]";
  if (with_events) {
    o += ",\"events\":[";
    for (size_t i = 0; i < c.events.size(); ++i) {
      const AuditEntry& a = c.events[i];
      if (i) o.push_back(',');
      o += "{\"id\":";
      json_str(o, a.id);
      o += ",\"type\":";
      json_str(o, a.type);
      o += ",\"at\":";
      json_str(o, format_with_offset(a.at, a.utc_offset));
      o += ",\"actor\":";
      json_str(o, a.actor);
      o += ",\"role\":";
      json_str(o, a.role);
      o += ",\"from\":";
      if (a.from_state.empty()) o += "null";
      else json_str(o, a.from_state);
      o += ",\"to\":";
      json_str(o, a.to_state);
      o += ",\"data\":{";
      for (size_t k = 0; k < a.data.size(); ++k) {
        const auto& [key, val] = a.data[k];
        if (k) o.push_back(',');
        json_str(o, key);
        o.push_back(':');
        if (key == "level" || key == "amount" || key == "manual" || key == "attempts_exhausted" || key == "automatic") o += val;
        else json_str(o, val);
      }
      o += "}}";
    }
    o += "]";
  }
  o += "}";
  return o;
}

std::string to_json(const ApplyResult& r) {
  std::string o;
  o.reserve(320);
  o += "{\"event\":";
  json_str(o, r.event_id);
  o += ",\"case\":";
  json_str(o, r.case_id);
  o += ",\"type\":";
  json_str(o, r.type);
  o += fmt::format(",\"duplicate\":{},\"created\":{},\"from\":", r.duplicate, r.created);
  if (r.from_state.empty()) o += "null";
  else json_str(o, r.from_state);
  o += ",\"to\":";
  json_str(o, r.to_state);
  o += fmt::format(",\"escalation\":{{\"before\":{},\"after\":{}}},\"clocks\":[", r.escalation_before, r.escalation_after);
  for (size_t i = 0; i < r.clocks.size(); ++i) {
    if (i) o.push_back(',');
    o += "{\"clock\":";
    json_str(o, r.clocks[i].clock);
    o += fmt::format(",\"op\":\"{}\",\"due\":", clock_op_name(r.clocks[i].op));
    opt_instant(o, r.clocks[i].due);
    o += "}";
  }
  o += "],\"repeat_of\":";
  opt_str(o, r.repeat_of);
  o += fmt::format(",\"over_level\":{},\"compensation\":", r.over_level);
  if (r.compensation.empty()) o += "null";
  else json_str(o, r.compensation);
  o += fmt::format(",\"callback_attempts\":{},\"manual_callback_required\":{},\"attempts_exhausted\":{}}}", r.callback_attempts,
                   r.manual_callback_required, r.attempts_exhausted);
  return o;
}

std::string to_json(const SweepEvent& s) {
  std::string o = "{\"case\":";
  json_str(o, s.case_id);
  o += ",\"clock\":";
  json_str(o, s.clock);
  o += fmt::format(",\"kind\":\"{}\",\"at\":", s.kind == sla::ClockEvent::breach ? "breach" : "warning");
  json_instant(o, s.at);
  o += fmt::format(",\"fraction\":{},\"escalated_from\":", s.fraction);
  o += s.escalated_from >= 0 ? std::to_string(s.escalated_from) : "null";
  o += ",\"escalated_to\":";
  o += s.escalated_to >= 0 ? std::to_string(s.escalated_to) : "null";
  o += "}";
  return o;
}

}  // namespace crmkit::workflow
