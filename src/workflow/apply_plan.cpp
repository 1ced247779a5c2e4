// Validation of one event: every check, and every computation that can fail (clock deadlines,
// limits, targets of a new case), against the current state, without changing it. The result
// is a Plan that commit (apply_commit.cpp) carries out without failing.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "crmkit/error.hpp"
#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"

namespace crmkit::workflow {

namespace {

[[noreturn]] void refuse(Errc code, const Event& e, const std::string& what) {
  throw Error(code, fmt::format("event '{}' (case '{}', {}): {}", e.id, e.case_id, e.type, what));
}

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

/// The value a transition's condition compares: the field's text; for manual "true" or "false"
/// (absent: an automatic callback).
std::string_view condition_text(const Event& e, Field f) {
  if (f == Field::manual) return e.manual ? "true" : "false";
  return e.text(f);
}

bool condition_holds(const Event& e, Field f, const std::vector<std::string>& values) {
  return (f == Field::manual || e.has(f)) && contains(values, condition_text(e, f));
}

/// Sizes, ids and the time range: checks that need no state.
void check_shape(const Event& e) {
  if (e.id.empty()) throw Error(Errc::invalid_argument, fmt::format("event without an id (case '{}', {})", e.case_id, e.type));
  if (e.case_id.empty()) refuse(Errc::invalid_argument, e, "missing 'case'");
  if (e.id.size() > kMaxFieldBytes || e.case_id.size() > kMaxFieldBytes || e.actor.size() > kMaxFieldBytes)
    refuse(Errc::limit, e, fmt::format("id, case or actor longer than {} bytes", kMaxFieldBytes));
  if (!in_supported_range(e.at))
    refuse(Errc::invalid_argument, e, fmt::format("time {} is outside the supported range {}", e.at.unix_seconds(), kSupportedRangeText));
  for (uint32_t bits = e.present | (e.note.empty() ? 0u : 1u << static_cast<unsigned>(Field::note)); bits; bits &= bits - 1) {
    const Field f = static_cast<Field>(__builtin_ctz(bits));
    const size_t n = e.text(f).size();
    const size_t max = builtin(f).max_bytes;
    if (n > max) refuse(Errc::limit, e, fmt::format("data.{} is {} bytes (at most {})", field_name(f), n, max));
  }
}

}  // namespace

bool Engine::Impl::plan(const Event& e, Plan& p, ApplyResult& out, bool sweep_to_event) const {
  check_shape(e);
  p.reset();
  p.c = const_cast<CaseRec*>(find_case(e.case_id));
  CaseRec* const c = p.c;
  if (c) {
    // The case's audit trail and pool are about to be appended to: start loading their ends
    // while the event's own fields are checked.
    __builtin_prefetch(c->events.data() + c->events.size());
    __builtin_prefetch(c->pool.data() + c->pool.size());
  }
  select_workflow(e, p);
  const Definition::Impl* const d = p.w->d;
  const int type = static_cast<int>(p.w->type_names.find(e.type)) - 1;
  if (type < 0) refuse(Errc::invalid_argument, e, fmt::format("unknown event type '{}' (workflow '{}' v{})", e.type, d->name, d->version));
  p.type = type;
  p.receive = type == d->receive_type;
  p.id_tag = Record::tag_of(e.id);
  if (c) {
    if (c->may_hold(p.id_tag)) {  // a record may have this id: compare
      const size_t n = e.id.size();
      for (const Record& r : c->events) {
        if (r.id_tag != p.id_tag || r.id_len != n || std::memcmp(c->pool.data() + r.off, e.id.data(), n) != 0) continue;
        if (r.type != static_cast<uint16_t>(type))
          refuse(Errc::conflict, e,
                 fmt::format("id already used by a '{}' event of this case", r.type == kSystemType ? "escalate" : d->types[r.type]));
        out.clear();
        out.event_id = e.id;
        out.case_id = e.case_id;
        out.type = d->types[static_cast<size_t>(type)];
        out.duplicate = true;
        out.from_state = out.to_state = d->states[c->state].name;
        out.escalation_before = out.escalation_after = c->level;
        return false;
      }
    }
    if (p.receive) refuse(Errc::conflict, e, "the case already exists");
  } else if (!p.receive) {
    refuse(Errc::not_found, e, fmt::format("unknown case '{}'", e.case_id));
  }
  if (!c && cases.size() >= kMaxCases) refuse(Errc::limit, e, fmt::format("the engine holds the maximum of {} cases", kMaxCases));
  if (e.actor.empty()) refuse(Errc::invalid_argument, e, "missing 'actor'");
  const int role = static_cast<int>(p.w->role_names.find(e.role)) - 1;
  if (role < 0) refuse(Errc::permission, e, fmt::format("unknown role '{}' (roles: {})", e.role, fmt::join(d->roles, ", ")));
  p.role = static_cast<uint8_t>(role);
  if (c && e.at.unix_seconds() < c->last_at)
    refuse(Errc::invalid_argument, e,
           fmt::format("timestamp {} is before the case's last event at {}", format_utc(e.at),
                       format_utc(Instant::from_unix_seconds(c->last_at))));
  if (c && c->events.size() >= kMaxEventsPerCase)
    refuse(Errc::limit, e, fmt::format("the case has the maximum of {} events", kMaxEventsPerCase));
  p.data_bytes = encoded_data_size(e);
  if (!pool_fits(c ? c->pool.size() : 0, e.id.size() + p.data_bytes))
    refuse(Errc::limit, e, fmt::format("the case's event data would pass {} bytes", kMaxCasePoolBytes));

  select_transition(e, p);
  if (e.has(Field::cases) && p.t->effect != Effect::callback)
    refuse(Errc::invalid_argument, e, "data.cases: only a callback covers several cases");
  if (c && p.w->needs_responsibility(static_cast<size_t>(type), p.role)) check_responsibility(e, p);
  check_values(e, p);
  if (!e.attributes.empty() || !p.w->d->required_fields.empty() || !p.t->required_declared.empty()) check_attributes(e, p);
  // Most events carry no classification value: one test of the field bits before the call.
  constexpr uint32_t kClassBits = 1u << static_cast<unsigned>(Field::channel) | 1u << static_cast<unsigned>(Field::category) |
                                  1u << static_cast<unsigned>(Field::severity) | 1u << static_cast<unsigned>(Field::tier);
  if (!p.receive && ((e.present & kClassBits) || p.t->effect == Effect::reclassify || (!e.attributes.empty() && !p.w->rule_fields.empty())))
    check_classification(e, p);
  check_effect(e, p, sweep_to_event);
  plan_targets(e, p);
  plan_clocks(e, p);
  return true;
}

void Engine::Impl::select_workflow(const Event& e, Plan& p) const {
  const bool named = e.has(Field::workflow), versioned = e.has(Field::workflow_version);
  if (p.c) {
    // The case keeps the version it was received under; an event naming another is refused.
    p.workflow = p.c->workflow;
    p.w = config.workflows[p.workflow].get();
    if ((named && e.workflow != p.w->d->name) || (versioned && e.workflow_version != p.w->d->version))
      refuse(Errc::invalid_argument, e,
             fmt::format("data.workflow: the case is under workflow '{}' v{}", p.w->d->name, p.w->d->version));
    return;
  }
  const std::string& name = named ? e.workflow : config.families[0];
  const int w = versioned ? config.find(name, e.workflow_version) : named ? config.newest(name) : config.default_index;
  if (w < 0)
    refuse(Errc::not_found, e,
           versioned ? fmt::format("data.workflow_version: workflow '{}' version {} is not loaded (loaded: {})", name, e.workflow_version,
                                   config.names())
                     : fmt::format("data.workflow: workflow '{}' is not loaded (loaded: {})", name, config.names()));
  p.workflow = static_cast<uint8_t>(w);
  p.w = config.workflows[static_cast<size_t>(w)].get();
}

void Engine::Impl::select_transition(const Event& e, Plan& p) const {
  const Definition::Impl* const d = p.w->d;
  const uint8_t state = p.c ? p.c->state : kNoState;
  p.from = state;
  p.t = nullptr;
  bool state_ok = false;
  const auto& candidates = d->by_type[static_cast<size_t>(p.type)];
  for (uint16_t ti : candidates) {
    const CompiledTransition& ct = d->compiled[ti];
    if (!p.receive && !ct.from(state)) continue;
    state_ok = true;
    bool match = true;
    for (const auto& cond : ct.when)
      if (!condition_holds(e, cond.field, cond.values)) match = false;
    if (match) {
      p.t = &ct;
      break;
    }
  }
  if (!state_ok) {
    std::vector<std::string> allowed;
    for (uint16_t ti : candidates)
      for (size_t s = 0; s < d->states.size(); ++s)
        if (d->compiled[ti].from(static_cast<uint8_t>(s)) && !contains(allowed, d->states[s].name)) allowed.push_back(d->states[s].name);
    refuse(Errc::invalid_state, e, fmt::format("not allowed in state '{}' (allowed in: {})", d->states[state].name, fmt::join(allowed, ", ")));
  }
  if (!p.t) {
    // Name the condition that failed.
    std::vector<std::string> ok;
    Field field = Field::count_;
    for (uint16_t ti : candidates) {
      const CompiledTransition& ct = d->compiled[ti];
      if (!p.receive && !ct.from(state)) continue;
      for (const auto& cond : ct.when) {
        if (!e.has(cond.field) && cond.field != Field::manual)
          refuse(Errc::invalid_argument, e, fmt::format("missing data.{}", field_name(cond.field)));
        field = cond.field;
        for (const auto& v : cond.values)
          if (!contains(ok, v)) ok.push_back(v);
      }
    }
    refuse(Errc::invalid_argument, e,
           fmt::format("data.{} '{}' is not accepted here (expected one of: {})", field_name(field), condition_text(e, field),
                       fmt::join(ok, ", ")));
  }
  const CompiledTransition& t = *p.t;
  if (!t.role_ok(p.role))
    refuse(Errc::permission, e, fmt::format("role '{}' may not fire '{}' (allowed: {})", e.role, e.type, fmt::join(d->transitions[t.index].roles, ", ")));
  // The note is no "present" bit of its own (the top-level "note" and data.note are one field).
  const uint32_t present = e.present | (e.note.empty() ? 0u : 1u << static_cast<unsigned>(Field::note));
  if (uint32_t missing = t.required_mask & ~present)
    refuse(Errc::invalid_argument, e, fmt::format("missing data.{}", field_name(static_cast<Field>(__builtin_ctz(missing)))));
  for (uint32_t bits = t.required_mask; bits; bits &= bits - 1) {
    const Field f = static_cast<Field>(__builtin_ctz(bits));
    if (is_text(f) && e.text(f).empty())
      refuse(Errc::invalid_argument, e, fmt::format("data.{} is empty", field_name(f)));
  }
}

void Engine::Impl::check_values(const Event& e, Plan& p) const {
  const Definition::Impl* const d = p.w->d;
  const BoundSymbols& symbols = bound[p.workflow];
  // Listed values: channel, category, severity and tier by symbol (found now, reused when a
  // receive stores them), outcome and decision by text.
  for (size_t k = 0; k < std::size(kSymbolFields); ++k) {
    const Field f = kSymbolFields[k];
    const auto& accepted = symbols.accepted[static_cast<size_t>(f)];
    if (!e.has(f) || (accepted.empty() && !p.receive)) continue;  // the symbol is needed to check or to store it
    const int64_t sym = syms.find(e.text(f));
    p.symbols[k] = sym;
    if (accepted.empty()) continue;
    if (sym < 0 || std::find(accepted.begin(), accepted.end(), static_cast<uint32_t>(sym)) == accepted.end())
      refuse(Errc::invalid_argument, e,
             fmt::format("data.{} '{}' is not one of: {}", field_name(f), e.text(f), fmt::join(d->values[static_cast<size_t>(f)], ", ")));
  }
  for (Field f : {Field::outcome, Field::decision}) {
    const auto& vals = d->values[static_cast<size_t>(f)];
    if (!vals.empty() && e.has(f) && !contains(vals, e.text(f)))
      refuse(Errc::invalid_argument, e, fmt::format("data.{} '{}' is not one of: {}", field_name(f), e.text(f), fmt::join(vals, ", ")));
  }
  if (e.has(Field::outcome)) p.outcome = d->outcome_meaning(e.outcome);
}

namespace {

/// Whether an attribute's JSON value suits a declared field; the refusal names the field.
void check_attribute(const Event& e, const Attribute& a, const FieldDef& f) {
  const bool is_string = a.kind == Attribute::Kind::string;
  const bool ok = f.type == FieldType::number    ? a.kind == Attribute::Kind::number
                  : f.type == FieldType::boolean ? a.kind == Attribute::Kind::boolean
                                                 : is_string;
  if (!ok) {
    const char* expected = f.type == FieldType::number    ? "a number"
                           : f.type == FieldType::boolean ? "true or false"
                           : f.type == FieldType::instant ? "an RFC 3339 timestamp (a string)"
                                                          : "a string";
    refuse(Errc::invalid_argument, e, fmt::format("data.{} must be {} (a {} field)", a.key, expected, field_type_name(f.type)));
  }
  if (f.type == FieldType::enumeration && !contains(f.values, a.text))
    refuse(Errc::invalid_argument, e, fmt::format("data.{} '{}' is not one of: {}", a.key, a.text, fmt::join(f.values, ", ")));
  if (f.type == FieldType::instant) {
    Instant t;
    if (!try_parse_instant(a.text, t))
      refuse(Errc::invalid_argument, e, fmt::format("data.{} '{}' is not an RFC 3339 timestamp", a.key, a.text));
    if (!in_supported_range(t))
      refuse(Errc::invalid_argument, e, fmt::format("data.{} {} is outside the supported range {}", a.key, a.text, kSupportedRangeText));
  }
}

}  // namespace

void Engine::Impl::check_attributes(const Event& e, Plan& p) const {
  const Definition::Impl* const d = p.w->d;
  for (const Attribute& a : e.attributes) {
    const int i = d->field_index(a.key);
    if (i < 0) {
      std::vector<std::string_view> names;
      for (const FieldDef& f : d->fields) names.push_back(f.name);
      refuse(Errc::invalid_argument, e,
             names.empty() ? fmt::format("data.{}: not a field of workflow '{}' (it declares no fields)", a.key, d->name)
                           : fmt::format("data.{}: not a field of workflow '{}' (declared: {})", a.key, d->name, fmt::join(names, ", ")));
    }
    check_attribute(e, a, d->fields[static_cast<size_t>(i)]);
    if ((i == d->window_start || i == d->window_end) && p.t->effect != Effect::appoint && p.t->effect != Effect::reschedule)
      refuse(Errc::invalid_argument, e,
             fmt::format("data.{}: the visit window changes only with an appoint or a reschedule (which records who asked and why)", a.key));
    if (i == d->promise_by && p.t->effect != Effect::promise)
      refuse(Errc::invalid_argument, e, fmt::format("data.{}: a promised contact is made only by a promise (a contact with the customer)", a.key));
    p.attr_codes.push_back(static_cast<uint8_t>(kFirstDeclaredCode + i));
  }
  for (uint8_t i : p.t->required_declared) {
    const auto code = static_cast<uint8_t>(kFirstDeclaredCode + i);
    const FieldDef& f = d->fields[i];
    size_t k = 0;
    while (k < e.attributes.size() && p.attr_codes[k] != code) ++k;
    if (k == e.attributes.size()) refuse(Errc::invalid_argument, e, fmt::format("missing data.{}", f.name));
    if (declared_wire(f.type) == Wire::text && e.attributes[k].text.empty())
      refuse(Errc::invalid_argument, e, fmt::format("data.{} is empty", f.name));
  }
  if (d->required_fields.empty()) return;
  for (uint8_t i : d->required_fields[static_cast<size_t>(p.type)]) {
    const auto code = static_cast<uint8_t>(kFirstDeclaredCode + i);
    const FieldDef& f = d->fields[i];
    const auto held = [&](std::string_view text) { return declared_wire(f.type) != Wire::text || !text.empty(); };
    bool has = false;
    bool given = false;
    for (size_t k = 0; k < e.attributes.size(); ++k)
      if (p.attr_codes[k] == code) given = true, has = held(e.attributes[k].text);
    if (!given && p.c)
      for (const Record& r : p.c->events)
        decode_data(p.c->pool, r, *d, [&](const RecordItem& item) {
          if (item.code == code) has = held(item.text);
        });
    if (!has)
      refuse(Errc::invalid_argument, e,
             fmt::format("missing data.{}: a '{}' event needs the case to hold it (workflow.fields.{}.required_at)", f.name, e.type, f.name));
  }
}

int Engine::Impl::level_after_sweep(const CaseRec& c, Instant at) const {
  const Definition::Impl* const d = &def(c);
  int level = c.level;
  if (kind(c) == StateKind::terminal) return level;
  for (size_t s = 0; s < d->clocks.size(); ++s) {
    if (!c.clock_id[s] || wf(c).goal_slots[s] || !scheduler.status(c.clock_id[s], at).breached) continue;
    level = std::max(level, std::min<int>(scheduler.target(scheduler.target_of(c.clock_id[s])).escalate_to, d->max_level));
  }
  return level;
}

void Engine::Impl::check_effect(const Event& e, Plan& p, bool sweep_to_event) const {
  const Definition::Impl* const d = p.w->d;
  const Rules& rules = p.w->rules;
  const auto& role_limit = p.w->role_limit;
  const CaseRec* c = p.c;
  const int64_t now = e.at.unix_seconds();
  int64_t limit_cents = 0;
  bool unlimited = false;
  if (p.role < role_limit.size()) {
    unlimited = !role_limit[p.role].has_value();
    limit_cents = role_limit[p.role].value_or(0);
  }
  switch (p.t->effect) {
    case Effect::receive:
      if (e.has(Field::level) && e.level > d->max_level)
        refuse(Errc::invalid_argument, e, fmt::format("data.level {} is above the highest level {}", e.level, d->max_level));
      if (e.has(Field::level) && e.level < 0) refuse(Errc::invalid_argument, e, fmt::format("data.level {} is negative", e.level));
      break;
    case Effect::escalate: {
      if (e.level > d->max_level)
        refuse(Errc::invalid_argument, e, fmt::format("data.level {} is above the highest level {}", e.level, d->max_level));
      // With sweep_before_apply the sweep to this event's time may raise the level first.
      const int level = sweep_to_event ? level_after_sweep(*c, e.at) : c->level;
      if (e.level <= level)
        refuse(Errc::invalid_state, e, fmt::format("the case is already at escalation level {}; escalation is never lowered", level));
      break;
    }
    case Effect::callback: {
      bool manual_tier = false;
      if (rules.manual_tiers_mode == Rules::ManualTiers::required)
        for (uint32_t tier : bound[p.workflow].manual_tiers)
          if (tier == c->tier && tier != 0) manual_tier = true;
      if ((manual_tier || (c->flags & kCaseManualRequired)) && !e.manual)
        refuse(Errc::invalid_state, e,
               manual_tier ? fmt::format("a manual callback is required for tier '{}'", syms.s(c->tier))
                           : std::string("a manual callback is owed: the automatic callback was unreachable or unsatisfied"));
      if (p.outcome == CallbackMeaning::unreachable && p.t->exhausted_to != kNoState && c->attempts + 1 >= rules.callback_max_attempts)
        p.exhausted = true;
      break;
    }
    case Effect::handover:
      if (syms.find(e.to) == static_cast<int64_t>(c->first_owner))
        refuse(Errc::invalid_argument, e, fmt::format("data.to: '{}' is the case's first-contact owner already", e.to));
      break;
    case Effect::reopen:
      if (kind(*c) == StateKind::closed && c->closed_at != kNone &&
          now - c->closed_at > int64_t{rules.reopen_window_days} * 86400)
        refuse(Errc::invalid_state, e,
               fmt::format("the reopen window of {} days has passed (closed at {})", rules.reopen_window_days,
                           format_utc(Instant::from_unix_seconds(c->closed_at))));
      break;
    case Effect::merge: {
      if (e.into == e.case_id) refuse(Errc::invalid_argument, e, "a case cannot be merged into itself");
      p.into = const_cast<CaseRec*>(find_case(e.into));
      if (!p.into) refuse(Errc::not_found, e, fmt::format("data.into: unknown case '{}'", e.into));
      if (kind(*p.into) == StateKind::terminal)
        refuse(Errc::invalid_state, e, fmt::format("data.into: case '{}' is {}", e.into, def(*p.into).states[p.into->state].name));
      if (p.into->workflow != c->workflow && wf(*p.into).family != p.w->family)
        refuse(Errc::invalid_argument, e,
               fmt::format("data.into: case '{}' is under workflow '{}', this one under '{}'", e.into, def(*p.into).name, d->name));
      break;
    }
    case Effect::compensate: {
      check_remedy(e, p);
      // The limit is per case and cumulative: what was granted, what awaits approval, and this.
      const int64_t pending = pending_cents(*c);
      const int64_t total = c->comp_granted + pending + e.amount_cents;
      if (total > kMaxCaseCompensationCents)
        refuse(Errc::limit, e, fmt::format("the case's compensation would pass {}", format_cents(kMaxCaseCompensationCents)));
      p.comp_granted = unlimited || total <= limit_cents;
      if (!p.comp_granted && rules.compensation_over_limit == Rules::OverLimit::refuse)
        refuse(Errc::permission, e,
               fmt::format("role '{}' may grant up to {} per case; this would take the case to {} (granted {}, pending {}, now {})",
                           e.role, format_cents(limit_cents), format_cents(total), format_cents(c->comp_granted),
                           format_cents(pending), format_cents(e.amount_cents)));
      break;
    }
    case Effect::approve_compensation: {
      check_remedy(e, p);
      const PendingComp wanted{e.amount_cents, p.remedy};
      if (std::find(c->comp_pending.begin(), c->comp_pending.end(), wanted) == c->comp_pending.end())
        refuse(Errc::invalid_state, e,
               fmt::format("no {} compensation of {} is pending approval", remedy_name(p.remedy), format_cents(e.amount_cents)));
      // The approver's limit covers the case's total once this is granted (what stays pending included).
      const int64_t pending = pending_cents(*c);
      const int64_t total = c->comp_granted + pending;
      if (!unlimited && total > limit_cents)
        refuse(Errc::permission, e,
               fmt::format("role '{}' may approve up to {} per case; the case's total would be {} (granted {}, pending {}): it needs a "
                           "higher role",
                           e.role, format_cents(limit_cents), format_cents(total), format_cents(c->comp_granted),
                           format_cents(pending)));
      break;
    }
    case Effect::appoint:
    case Effect::reschedule: check_window(e, p); break;
    case Effect::link: check_link(e, p); break;
    case Effect::broadcast: check_broadcast(e, p); break;
    case Effect::promise: check_promise(e, p); break;
    default: break;
  }
}

namespace {
/// The instant a declared field of the event gives (validated by check_attributes).
std::optional<Instant> given_instant(const Event& e, const Plan& p, int field) {
  const auto code = static_cast<uint8_t>(kFirstDeclaredCode + field);
  Instant t;
  for (size_t k = e.attributes.size(); k-- > 0;)
    if (p.attr_codes[k] == code && try_parse_instant(e.attributes[k].text, t)) return t;
  return std::nullopt;
}
}  // namespace

void Engine::Impl::check_window(const Event& e, const Plan& p) const {
  const Definition::Impl& d = *p.w->d;
  const int start_field = d.window_start, end_field = d.window_end;
  const std::optional<Instant> start = given_instant(e, p, start_field), end = given_instant(e, p, end_field);
  if (!start || !end) refuse(Errc::invalid_argument, e, fmt::format("missing data.{}", start ? "end" : "start"));
  if (*end <= *start)
    refuse(Errc::invalid_argument, e, fmt::format("data.end {} is not after data.start {}", format_utc(*end), format_utc(*start)));
  if (*start < e.at)
    refuse(Errc::invalid_argument, e,
           fmt::format("data.start {} is before the event ({}): a visit window is agreed ahead of the visit", format_utc(*start),
                       format_utc(e.at)));
  if (p.t->effect != Effect::reschedule) return;
  // The window in force: the last start and end the case's records gave.
  std::optional<Instant> held_start, held_end;
  for (const Record& r : p.c->events)
    decode_data(p.c->pool, r, d, [&](const RecordItem& item) {
      Instant t;
      if (item.code == kFirstDeclaredCode + start_field && try_parse_instant(item.text, t)) held_start = t;
      if (item.code == kFirstDeclaredCode + end_field && try_parse_instant(item.text, t)) held_end = t;
    });
  if (held_start == start && held_end == end)
    refuse(Errc::invalid_argument, e, fmt::format("the window {} to {} is the one agreed already", format_utc(*start), format_utc(*end)));
}

void Engine::Impl::check_promise(const Event& e, const Plan& p) const {
  const std::optional<Instant> by = given_instant(e, p, p.w->d->promise_by);
  if (!by) refuse(Errc::invalid_argument, e, "missing data.by: the instant of the next contact promised");
  if (*by <= e.at)
    refuse(Errc::invalid_argument, e,
           fmt::format("data.by {} is not after the event ({}): a contact is promised ahead", format_utc(*by), format_utc(e.at)));
}

void Engine::Impl::check_link(const Event& e, Plan& p) const {
  const bool order = e.has(Field::order);
  if (order && e.has(Field::case_ref)) refuse(Errc::invalid_argument, e, "data.order and data.case: a link names one other case");
  const char* key = order ? "order" : "case";
  const std::string& other = order ? e.order : e.case_ref;
  if (other == e.case_id) refuse(Errc::invalid_argument, e, fmt::format("data.{}: a case cannot be linked to itself", key));
  p.into = const_cast<CaseRec*>(find_case(other));
  if (!p.into) refuse(Errc::not_found, e, fmt::format("data.{}: unknown case '{}'", key, other));
  const CaseRec& o = *p.into;
  if (kind(o) == StateKind::terminal)
    refuse(Errc::invalid_state, e, fmt::format("data.{}: case '{}' is {}", key, other, def(o).states[o.state].name));
  const bool same_workflow = wf(o).family == p.w->family;
  if (order && !same_workflow)
    refuse(Errc::invalid_argument, e,
           fmt::format("data.order: case '{}' is under workflow '{}', this one under '{}' (data.case links cases of two workflows)", other,
                       def(o).name, p.w->d->name));
  if (!order && same_workflow)
    refuse(Errc::invalid_argument, e,
           fmt::format("data.case: case '{}' is under this workflow '{}' too (data.order joins two of one workflow)", other, p.w->d->name));
  // One customer's cases link to each other; a case without a customer (an incident) to any case.
  const bool customerless = o.customer == 0 || p.c->customer == 0;
  if (customerless ? order : o.customer != p.c->customer)
    refuse(Errc::invalid_argument, e,
           fmt::format("data.{}: case '{}' is customer '{}''s, this one customer '{}''s: links join one customer's cases{}", key, other,
                       syms.str(o.customer), syms.str(p.c->customer), order ? "" : " (or a case without a customer, an incident, and any case)"));
  bool linked = false;
  size_t links = 0, other_links = 0;
  for_each_linked_case(*p.c, *p.w->d, [&](std::string_view id) { linked |= id == other, ++links; });
  if (linked) refuse(Errc::conflict, e, fmt::format("data.{}: case '{}' is linked to this one already", key, other));
  for_each_linked_case(o, def(o), [&](std::string_view) { ++other_links; });
  if (std::max(links, other_links) >= kMaxLinkedCases)
    refuse(Errc::limit, e, fmt::format("data.{}: case '{}' has {} linked cases, the most one case may have", key,
                                       links >= kMaxLinkedCases ? e.case_id : other, kMaxLinkedCases));
}

void Engine::Impl::check_broadcast(const Event& e, const Plan& p) const {
  if (!e.has(Field::case_ref)) return;  // the event itself: prepare_broadcast plans its copies
  bool linked = false;
  for_each_linked_case(*p.c, *p.w->d, [&](std::string_view id) { linked |= id == e.case_ref; });
  if (!linked)
    refuse(Errc::invalid_argument, e,
           fmt::format("data.case: case '{}' is not linked to this one (a {} copied from a case names the case it came from)", e.case_ref,
                       e.type));
}

void Engine::Impl::check_responsibility(const Event& e, Plan& p) const {
  const CaseRec& c = *p.c;
  const int64_t actor = syms.find(e.actor);
  if (actor > 0 && (static_cast<uint32_t>(actor) == c.first_owner || static_cast<uint32_t>(actor) == c.owner)) return;
  if (p.w->rules.first_contact.mode == Rules::FirstContact::Mode::record) {
    p.outside_responsibility = true;
    return;
  }
  const std::string& over = p.w->rules.first_contact.override_role;
  refuse(Errc::permission, e,
         fmt::format("actor '{}' is not responsible for the case (first-contact owner '{}', handling owner '{}'): a handover, or a {}, "
                     "may change that (首问负责制)",
                     e.actor, syms.str(c.first_owner), syms.str(c.owner), over.empty() ? std::string("policy change") : "role '" + over + "' or above"));
}

void Engine::Impl::check_remedy(const Event& e, Plan& p) const {
  if (e.has(Field::remedy)) {
    const auto r = remedy_from_name(e.remedy);
    if (!r) refuse(Errc::invalid_argument, e, fmt::format("data.remedy '{}' is not one of: money, repair, replace, redo, non_property", e.remedy));
    p.remedy = *r;
  }
  const bool costed = p.remedy == Remedy::money || p.remedy == Remedy::non_property;
  if (costed && !e.has(Field::amount)) refuse(Errc::invalid_argument, e, fmt::format("missing data.amount (a {} remedy)", remedy_name(p.remedy)));
  if (costed && e.amount_cents <= 0) refuse(Errc::invalid_argument, e, "data.amount must be positive");
  if (!((p.w->remedy_roles[static_cast<size_t>(p.remedy)] >> p.role) & 1u)) {
    std::vector<std::string_view> allowed;
    for (const auto& [remedy, roles] : p.w->rules.remedy_roles)
      if (remedy == p.remedy) allowed.assign(roles.begin(), roles.end());
    refuse(Errc::permission, e, fmt::format("role '{}' may not grant a {} remedy (allowed: {})", e.role, remedy_name(p.remedy), fmt::join(allowed, ", ")));
  }
}

void Engine::Impl::plan_clocks(const Event& e, Plan& p) const {
  const Definition::Impl* const d = p.w->d;
  const CaseRec* c = p.c;
  auto target_of = [&](uint8_t slot) -> const sla::Target& { return planned_target(p, slot); };
  auto deadline = [&](uint8_t slot, Duration remaining) -> Instant {
    const sla::Target& tg = target_of(slot);
    if (tg.kind == sla::TargetKind::instant) return instant_due(e, p, tg, d->clocks[slot]);
    try {
      return tg.calendar.add(e.at, remaining);
    } catch (const Error& err) {
      refuse(err.code(), e, fmt::format("clock '{}' cannot get a deadline: {}", d->clocks[slot], err.what()));
    }
  };
  for (const auto& act : p.t->clocks) {
    const uint8_t s = act.clock;
    const bool exists = c && c->clock_id[s];
    const auto st = exists ? static_cast<sla::ClockState>(c->clock_state[s]) : sla::ClockState::idle;
    std::optional<Instant> due;
    switch (act.op) {
      case ClockAction::start:
        if (!exists) due = deadline(s, target_of(s).duration), ++p.new_clocks;
        break;
      case ClockAction::open:
        if (exists && (st == sla::ClockState::running || st == sla::ClockState::paused)) {
          const sla::ClockStatus now = scheduler.status(c->clock_id[s], e.at);
          const std::optional<Instant> when = now.fixed_due ? now.fixed_due : now.due;
          refuse(Errc::invalid_state, e,
                 fmt::format("clock '{}' is {}{}: what it tracks must be completed before another is opened", d->clocks[s],
                             st == sla::ClockState::running ? "running" : "paused", when ? " (due " + format_utc(*when) + ")" : ""));
        }
        [[fallthrough]];
      case ClockAction::restart:
        due = deadline(s, target_of(s).duration), ++p.new_clocks;
        break;
      case ClockAction::close:
        if (!exists || (st != sla::ClockState::running && st != sla::ClockState::paused))
          refuse(Errc::invalid_state, e, fmt::format("clock '{}' is not running: nothing it tracks is open", d->clocks[s]));
        break;
      case ClockAction::resume:
        if (exists && st == sla::ClockState::paused) {
          const sla::ClockStatus now = scheduler.status(c->clock_id[s], e.at);
          // Past its target already: running again, but with no deadline ahead (as status() says).
          if (now.remaining.count_seconds() >= 0) due = deadline(s, now.remaining);
        }
        break;
      default: break;
    }
    p.due.push_back(due);
  }
  if (p.crisis)
    for (uint8_t s : p.w->crisis_slots) {
      const bool exists = c && c->clock_id[s];
      p.crisis_due.push_back(exists ? std::nullopt : std::optional<Instant>(deadline(s, target_of(s).duration)));
      p.new_clocks += !exists;
    }
  if (clock_case.size() + p.new_clocks > UINT32_MAX) refuse(Errc::limit, e, "the engine holds the maximum of 4294967295 SLA clocks");
}

}  // namespace crmkit::workflow
