// The built-in effects of a transition, one function each, run by commit after validation.
#include <algorithm>

#include "workflow/engine_impl.hpp"

namespace crmkit::workflow {

namespace {
void saturating_increment(uint8_t& v) { v += v < 255; }
}  // namespace

void Engine::Impl::effect_assign(CaseRec& c, const Event& e) {
  c.department = syms.intern(e.department);
  c.owner = syms.intern(e.owner);
}

void Engine::Impl::effect_escalate(CaseRec& c, const Event& e) {
  // Never lowered: a sweep before the event may already have raised the level past an
  // older clock instance's breach.
  c.level = static_cast<uint8_t>(std::max<int>(c.level, e.level));
}

void Engine::Impl::effect_callback(CaseRec& c, const Event& e, const Plan& p, Record& rec, uint8_t& to, ApplyResult& out) {
  // An automatic "unsatisfied" that leaves the case resolved is no rating yet (问清具体原因如实记录);
  // one that sends the case back to handling is a rating and a reopen. (The workflow decides which
  // by its transitions: the default one splits them by data.manual.)
  const StateKind to_kind = kind(c, to);
  const bool reopens = to_kind == StateKind::open || to_kind == StateKind::waiting;
  const bool owes_manual = owes_manual_callback(p.outcome, e.manual, to_kind);
  switch (p.outcome) {
    case CallbackMeaning::very_satisfied:
      c.satisfaction = Satisfaction::very_satisfied;
      saturating_increment(c.ratings[0]);
      break;
    case CallbackMeaning::satisfied:
      c.satisfaction = Satisfaction::satisfied;
      saturating_increment(c.ratings[1]);
      break;
    case CallbackMeaning::unsatisfied:
      if (owes_manual) break;
      c.satisfaction = Satisfaction::unsatisfied;
      saturating_increment(c.ratings[2]);
      if (reopens) saturating_increment(c.reopens);
      break;
    default: break;
  }
  if (owes_manual) {
    c.flags |= kCaseManualRequired;
  } else if (p.outcome == CallbackMeaning::unreachable) {
    saturating_increment(c.attempts);
    if (!e.manual) c.flags |= kCaseManualRequired;
    if (p.exhausted) {
      to = p.t->exhausted_to;
      c.satisfaction = Satisfaction::unknown;
      c.flags |= kCaseExhausted;
      rec.flags |= kRecExhausted;
      out.attempts_exhausted = true;
    }
  } else {
    c.attempts = 0;
    c.flags &= static_cast<uint8_t>(~kCaseManualRequired);
  }
}

void Engine::Impl::effect_reopen(CaseRec& c) { saturating_increment(c.reopens); }

void Engine::Impl::effect_handover(CaseRec& c, const Event& e) { c.first_owner = syms.intern(e.to); }

void Engine::Impl::effect_merge(CaseRec& c, const Plan& p) { c.merged_into = static_cast<uint32_t>(index_of(*p.into) + 1); }

void Engine::Impl::effect_compensate(CaseRec& c, const Event& e, const Plan& p, Record& rec, ApplyResult& out) {
  if (p.comp_granted) {
    c.comp_granted += e.amount_cents;
    rec.flags |= kRecCompGranted;
    out.compensation = "granted";
  } else {
    c.comp_pending.push_back({e.amount_cents, p.remedy});
    rec.flags |= kRecCompPending;
    out.compensation = "pending";
  }
}

void Engine::Impl::effect_approve_compensation(CaseRec& c, const Event& e, const Plan& p, Record& rec, ApplyResult& out) {
  c.comp_pending.erase(std::find(c.comp_pending.begin(), c.comp_pending.end(), PendingComp{e.amount_cents, p.remedy}));  // found by validation
  c.comp_granted += e.amount_cents;
  rec.flags |= kRecCompApproved;
  out.compensation = "approved";
}

}  // namespace crmkit::workflow
