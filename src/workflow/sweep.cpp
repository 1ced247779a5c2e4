// Sweep: fires the SLA crossings up to an instant and commits the escalations breaches cause.
// A breach's audit record is an engine-made escalate event written through the same codec as
// every other record.
#include <fmt/format.h>

#include <algorithm>

#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"

namespace crmkit::workflow {

size_t Engine::Impl::sweep_locked(Instant now, const SweepSink& sink) {
  sweep_buf.clear();
  scheduler.sweep(now, sweep_buf);
  SweepEvent se;
  size_t fired = 0;
  for (const sla::ClockEvent& ev : sweep_buf) {
    if (ev.clock == 0 || ev.clock > clock_case.size()) continue;
    const uint32_t idx = clock_case[ev.clock - 1];
    const uint8_t slot = clock_slot[ev.clock - 1];
    CaseRec& c = cases[idx];
    const Definition::Impl& d = def(c);
    se.case_id = case_id(idx);
    se.clock = d.clocks[slot];
    se.kind = ev.kind;
    se.at = ev.at;
    se.fraction = ev.fraction;
    se.escalated_from = se.escalated_to = -1;
    // A goal clock's target is an aim: passing it is a warning, never a breach.
    if (ev.kind == sla::ClockEvent::breach && wf(c).goal_slots[slot]) se.kind = sla::ClockEvent::warning;
    if (se.kind == sla::ClockEvent::breach) {
      c.flags |= kCaseBreached;
      // The clock's own target: a reclassification may have moved the case to another target set
      // after this clock stopped.
      const int to = std::min<int>(scheduler.target(scheduler.target_of(ev.clock)).escalate_to, d.max_level);
      if (to > c.level && kind(c) != StateKind::terminal) {
        se.escalated_from = c.level;
        se.escalated_to = to;
        record_breach_escalation(c, slot, ev.at, to);
      }
    }
    ++fired;
    if (sink) sink(se);
  }
  return fired;
}

void Engine::Impl::record_breach_escalation(CaseRec& c, uint8_t slot, Instant at, int level) {
  const size_t bytes_before = c.bytes();
  const bool closed = is_closed_kind(kind(c));
  const LoadedWorkflow& w = wf(c);
  Event& e = breach_event;
  e.clear();
  e.id = fmt::format("sla:{}#{}:breach", w.d->clocks[slot], c.clock_instance[slot]);
  e.level = level;
  e.set(Field::level);
  e.reason = fmt::format("SLA breach: {}", w.d->clocks[slot]);
  e.set(Field::reason);
  Record rec;
  rec.at = at.unix_seconds();
  rec.off = static_cast<uint32_t>(c.pool.size());
  rec.id_len = static_cast<uint16_t>(e.id.size());
  rec.id_tag = Record::tag_of(e.id);
  rec.data_len = encode_record(e, encoded_data_size(e), {}, c.pool);
  rec.actor = system_actor;
  rec.type = w.escalate_type >= 0 ? static_cast<uint16_t>(w.escalate_type) : kSystemType;
  rec.offset_minutes = c.received_offset_minutes;
  rec.role = kSystemRole;
  rec.from = rec.to = c.state;
  rec.flags = kRecSystem;
  c.add_record(rec);
  c.level = static_cast<uint8_t>(level);
  c.last_at = std::max(c.last_at, rec.at);
  count_case(c, false, closed, bytes_before, 1);
}

}  // namespace crmkit::workflow
