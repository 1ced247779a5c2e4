// Classification and its clocks: the target set of a case's attributes (channel, category,
// severity, tier and the declared fields the policy's rules match), reclassification midway with
// every clock keeping its elapsed and paused time, instant targets due at an event field's time,
// and the crisis process (escalated at once, crisis clocks started).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "crmkit/error.hpp"
#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"

namespace crmkit::workflow {

namespace {

[[noreturn]] void refuse(Errc code, const Event& e, const std::string& what) {
  throw Error(code, fmt::format("event '{}' (case '{}', {}): {}", e.id, e.case_id, e.type, what));
}

/// A declared value as the policy matches it: strings as they are, numbers and booleans as
/// their JSON literal.
std::string attribute_text(const Attribute& a) {
  switch (a.kind) {
    case Attribute::Kind::number: return format_number(a.number);
    case Attribute::Kind::boolean: return a.boolean ? "true" : "false";
    default: return a.text;
  }
}

std::string item_text(const RecordItem& item) {
  if (item.wire == Wire::f64) return format_number(item.real);
  if (item.wire == Wire::byte) return item.integer ? "true" : "false";
  return std::string(item.text);
}

constexpr Field kClassFields[] = {Field::channel, Field::category, Field::severity, Field::tier};

/// Equal targets by value: a restored scheduler holds copies of the targets interned before the
/// snapshot under other ids (its calendars are new objects).
bool same_target(const sla::Target& a, const sla::Target& b) {
  return a.kind == b.kind && a.duration == b.duration && a.due_field == b.due_field && a.due_offset == b.due_offset &&
         a.warnings == b.warnings && a.escalate_to == b.escalate_to && a.rule == b.rule &&
         (a.calendar.id() == b.calendar.id() || a.calendar.to_json() == b.calendar.to_json());
}

bool contains_symbol(const std::vector<uint32_t>& v, uint32_t s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

std::optional<std::string> Engine::Impl::field_text(const Event& e, const Plan& p, uint8_t field) const {
  const auto code = static_cast<uint8_t>(kFirstDeclaredCode + field);
  for (size_t k = e.attributes.size(); k-- > 0;)
    if (p.attr_codes[k] == code) return attribute_text(e.attributes[k]);
  if (!p.c) return std::nullopt;
  std::optional<std::string> last;
  for (const Record& r : p.c->events)
    decode_data(p.c->pool, r, *p.w->d, [&](const RecordItem& item) {
      if (item.code == code) last = item_text(item);
    });
  return last;
}

std::vector<uint32_t> Engine::Impl::case_rule_syms(const CaseRec& c) const {
  const LoadedWorkflow& w = wf(c);
  std::vector<uint32_t> out(w.rule_fields.size(), 0);
  if (out.empty()) return out;
  for (const Record& r : c.events)
    decode_data(c.pool, r, *w.d, [&](const RecordItem& item) {
      for (size_t i = 0; i < w.rule_fields.size(); ++i)
        if (item.code == kFirstDeclaredCode + w.rule_fields[i]) out[i] = static_cast<uint32_t>(std::max<int64_t>(syms.find(item_text(item)), 0));
    });
  return out;
}

const Calendar& Engine::Impl::business_calendar(const Event& e, const Plan& p, std::string_view clock) const {
  if (e.has(Field::tier) || !p.c) return p.w->policy.business_calendar(clock, e.tier);
  // The clock's name lives in the workflow's definition: its address names (workflow, clock).
  const CalendarKey key{clock.data(), p.c->tier};
  if (auto it = business_calendars.find(key); it != business_calendars.end()) return *it->second;
  const Calendar& cal = p.w->policy.business_calendar(clock, syms.str(p.c->tier));
  business_calendars.emplace(key, &cal);
  return cal;
}

Engine::Impl::BusinessDay Engine::Impl::business_day(const Calendar& cal, Instant at) const {
  const int64_t t = at.unix_seconds();
  const CalendarKey key{cal.id(), static_cast<uint32_t>(cal.zone().to_civil(at).date.days_since_epoch())};
  if (auto it = business_days.find(key); it != business_days.end() && t < it->second.close) return it->second;
  // After the day's close (or not seen yet): the day of the next working instant.
  const Instant open = cal.next_working(at);
  const CivilDate date = cal.zone().to_civil(open).date;
  const auto intervals = cal.intervals_on(date);
  if (intervals.empty()) throw Error(Errc::internal, "a working instant on a day without working hours");
  BusinessDay day;
  day.close = intervals.back().second.unix_seconds();
  day.around_the_clock = intervals.front().first.unix_seconds() == day.close - 86400;
  if (business_days.size() > 100'000) business_days.clear();  // bounded: a day per calendar is what replays use
  business_days[CalendarKey{cal.id(), static_cast<uint32_t>(date.days_since_epoch())}] = day;
  return day;
}

Instant Engine::Impl::instant_due(const Event& e, const Plan& p, const sla::Target& t, std::string_view clock) const {
  if (t.due_field == sla::kEndOfBusinessDay) {
    // The end of the business day the event falls in (after hours: of the next business day).
    try {
      const Calendar& cal = business_calendar(e, p, clock);
      const BusinessDay day = business_day(cal, e.at);
      Instant end = Instant::from_unix_seconds(day.close);
      if (day.around_the_clock) {
        // Worked around the clock (a 7x24 tier): the day is the policy's own calendar's, ending at its midnight.
        const TimeZone& home = p.w->policy.business_calendar(clock, "").zone();
        end = home.from_civil(CivilTime{home.to_civil(e.at).date.plus_days(1), 0});
      }
      const Instant due = end + t.due_offset;
      if (!in_supported_range(due)) throw Error(Errc::invalid_argument, fmt::format("outside the supported range {}", kSupportedRangeText));
      return due;
    } catch (const Error& err) {
      refuse(err.code(), e, fmt::format("clock '{}' cannot be due at the end of the business day: {}", clock, err.what()));
    }
  }
  const int field = p.w->d->field_index(t.due_field);
  const std::optional<std::string> text = field >= 0 ? field_text(e, p, static_cast<uint8_t>(field)) : std::nullopt;
  Instant at;
  if (!text || text->empty() || !try_parse_instant(*text, at))
    refuse(Errc::invalid_argument, e, fmt::format("missing data.{}: clock '{}' is due at that time", t.due_field, clock));
  const int64_t due = at.unix_seconds() + t.due_offset.count_seconds();
  if (due < kFirstSupportedUnixSeconds || due > kLastSupportedUnixSeconds)
    refuse(Errc::invalid_argument, e, fmt::format("data.{}: clock '{}' would be due outside the supported range {}", t.due_field, clock,
                                                  kSupportedRangeText));
  return Instant::from_unix_seconds(due);
}

const sla::Target& Engine::Impl::planned_target(const Plan& p, uint8_t slot) const {
  if (!p.new_targets.empty()) return p.new_targets[slot];
  const uint32_t ts = p.target_set >= 0 ? static_cast<uint32_t>(p.target_set) : p.c->target_set;
  return scheduler.target(target_sets[ts].target[slot]);
}

void Engine::Impl::check_classification(const Event& e, const Plan& p) const {
  const bool reclassify = p.t->effect == Effect::reclassify;
  const LoadedWorkflow& w = *p.w;
  if (p.receive) return;
  bool changes = false;
  for (Field f : kClassFields) {
    if (!e.has(f)) continue;
    if (!reclassify)
      refuse(Errc::invalid_argument, e,
             fmt::format("data.{}: a case's classification changes only with a reclassify event (which records a reason)", field_name(f)));
    changes = true;
  }
  for (size_t k = 0; k < e.attributes.size(); ++k)
    for (uint8_t field : w.rule_fields)
      if (p.attr_codes[k] == kFirstDeclaredCode + field) {
        if (!reclassify)
          refuse(Errc::invalid_argument, e,
                 fmt::format("data.{}: the SLA policy's rules match this field, so it changes only with a reclassify event (which records a "
                             "reason)",
                             e.attributes[k].key));
        changes = true;
      }
  // A reclassify may also set other declared fields (a group-complaint flag, say): recorded, no retarget.
  if (reclassify && !changes && e.attributes.empty())
    refuse(Errc::invalid_argument, e, "a reclassify event gives at least one of data.channel, data.category, data.severity, data.tier or a declared field");
}

void Engine::Impl::plan_targets(const Event& e, Plan& p) const {
  const LoadedWorkflow& w = *p.w;
  const Definition::Impl* const d = w.d;
  const CaseRec* const c = p.c;
  const bool reclassify = p.t->effect == Effect::reclassify;
  if (!p.receive && !reclassify) {
    // An event setting a due field moves the running instant clocks due at it.
    if (w.due_fields.empty() || e.attributes.empty()) return;
    for (uint8_t s = 0; s < d->clocks.size(); ++s) {
      if (!c->clock_id[s] || static_cast<sla::ClockState>(c->clock_state[s]) != sla::ClockState::running) continue;
      // A clock this event stops or starts anew (a promise kept by the contact that makes the
      // next one) is not moved: its actions say what happens to it.
      if (std::any_of(p.t->clocks.begin(), p.t->clocks.end(), [s](const CompiledTransition::Act& a) { return a.clock == s; })) continue;
      const sla::Target& t = scheduler.target(scheduler.target_of(c->clock_id[s]));
      if (t.kind != sla::TargetKind::instant) continue;
      const int field = d->field_index(t.due_field);
      const auto code = static_cast<uint8_t>(kFirstDeclaredCode + field);
      if (std::find(p.attr_codes.begin(), p.attr_codes.end(), code) == p.attr_codes.end()) continue;
      const Instant due = instant_due(e, p, t, d->clocks[s]);
      if (due != *scheduler.status(c->clock_id[s], e.at).fixed_due) p.retargets.push_back({s, due, true});
    }
    return;
  }
  // The classification after this event: the event's values over the case's.
  std::array<std::string_view, 4> text;
  bool known = true;
  for (size_t k = 0; k < 4; ++k) {
    const Field f = kClassFields[k];
    if (p.receive || e.has(f)) {
      text[k] = e.text(f);
      if (p.symbols[k] < 0 && !text[k].empty()) p.symbols[k] = syms.find(text[k]);
      if (p.symbols[k] < 0 && !text[k].empty()) known = false;
    } else {
      const uint32_t sym = k == 0 ? c->channel : k == 1 ? c->category : k == 2 ? c->severity : c->tier;
      p.symbols[k] = sym;
      text[k] = syms.str(sym);
    }
  }
  std::vector<uint32_t> rule_syms;
  for (uint8_t field : w.rule_fields) {
    std::string v = field_text(e, p, field).value_or("");
    const int64_t sym = v.empty() ? 0 : syms.find(v);
    if (sym < 0) known = false;
    rule_syms.push_back(static_cast<uint32_t>(std::max<int64_t>(sym, 0)));
    p.rule_syms.push_back(sym);
    p.rule_values.push_back(std::move(v));
  }
  if (known) {
    const auto sym = [&](size_t k) { return static_cast<uint32_t>(std::max<int64_t>(p.symbols[k], 0)); };
    p.target_set = find_target_set(p.workflow, sym(0), sym(1), sym(2), sym(3), rule_syms);
  }
  if (p.target_set < 0) {
    sla::CaseAttributes a{std::string(text[0]), std::string(text[1]), std::string(text[2]), std::string(text[3]), {}};
    for (size_t i = 0; i < w.rule_fields.size(); ++i) a.fields.emplace_back(d->fields[w.rule_fields[i]].name, p.rule_values[i]);
    for (size_t i = 0; i < d->clocks.size(); ++i) {
      try {
        p.new_targets.push_back(w.policy.target(d->clocks[i], a));
      } catch (const Error& err) {
        refuse(err.code(), e, fmt::format("clock '{}': {}", d->clocks[i], err.what()));
      }
    }
  }
  // A crisis: received with, or changed to, one of the crisis severities.
  const auto& crisis = bound[p.workflow].crisis_severities;
  const bool crisis_now = p.symbols[2] > 0 && contains_symbol(crisis, static_cast<uint32_t>(p.symbols[2]));
  p.crisis = crisis_now && (p.receive || !contains_symbol(crisis, c->severity));
  if (p.receive) return;
  // Every clock that has not stopped takes its new target (an instant: due at the case's time).
  for (uint8_t s = 0; s < d->clocks.size(); ++s) {
    const auto st = static_cast<sla::ClockState>(c->clock_state[s]);
    if (!c->clock_id[s] || st == sla::ClockState::stopped) continue;
    const sla::Target& t = planned_target(p, s);
    if (t.kind == sla::TargetKind::instant && st == sla::ClockState::paused)
      refuse(Errc::invalid_state, e,
             fmt::format("clock '{}' is paused and its new target is a fixed instant, which does not pause", d->clocks[s]));
    std::optional<Instant> due;
    if (t.kind == sla::TargetKind::instant) due = instant_due(e, p, t, d->clocks[s]);
    p.retargets.push_back({s, due, false});
  }
}

void Engine::Impl::effect_reclassify(CaseRec& c, const Event& e, const Plan& p) {
  for (size_t k = 0; k < 4; ++k) {
    if (!e.has(kClassFields[k])) continue;
    const uint32_t sym = p.symbols[k] >= 0 ? static_cast<uint32_t>(p.symbols[k]) : syms.intern(e.text(kClassFields[k]));
    (k == 0 ? c.channel : k == 1 ? c.category : k == 2 ? c.severity : c.tier) = sym;
  }
  c.target_set = intern_target_set(p);
}

void Engine::Impl::apply_retargets(CaseRec& c, const Plan& p, Instant at, uint32_t record) {
  const TargetSet& ts = target_sets[c.target_set];
  for (const Plan::Retarget& r : p.retargets) {
    const uint32_t clock = c.clock_id[r.slot];
    const sla::TargetId target = r.moved_due ? scheduler.target_of(clock) : ts.target[r.slot];
    const bool same_due = !r.due || scheduler.status(clock, at).fixed_due == r.due;
    const sla::TargetId current = scheduler.target_of(clock);
    if (same_due && (target == current || same_target(scheduler.target(target), scheduler.target(current))))
      continue;  // nothing changes for this clock
    scheduler.retarget(clock, target, at, r.due);
    RetargetRec rec;
    rec.at = at.unix_seconds();
    rec.record = record;
    rec.target = target;
    rec.slot = r.slot;
    rec.instance = c.clock_instance[r.slot];
    rec.moved_due = r.moved_due;
    c.retargets.push_back(rec);
  }
}

void Engine::Impl::enter_crisis(CaseRec& c, size_t idx, const Event& e, const Plan& p, Record& rec, ApplyResult& out) {
  const LoadedWorkflow& w = *p.w;
  rec.flags |= kRecCrisis;
  if (w.crisis_level > c.level) c.level = static_cast<uint8_t>(w.crisis_level);
  for (size_t k = 0; k < w.crisis_slots.size(); ++k) {
    const uint8_t s = w.crisis_slots[k];
    if (c.clock_id[s]) continue;  // started by this event's transition, or ran before
    start_clock(c, idx, s, e.at, p.crisis_due[k]);
    ClockChange& change = out.clocks.emplace_back();
    change.clock = w.d->clocks[s];
    change.op = ClockAction::start;
    change.due = p.crisis_due[k];
  }
}

}  // namespace crmkit::workflow
