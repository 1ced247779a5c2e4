// C ABI: SLA policies and clock schedulers.
#include <fmt/core.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/checks.hpp"
#include "crmkit/calendar.hpp"
#include "crmkit/sla.hpp"
#include "handle_types.hpp"
#include "handles.hpp"

using namespace crmkit;
using namespace crmkit::capi;
using nlohmann::json;

namespace {

sla::CaseAttributes parse_case(const char* case_json) {
  sla::CaseAttributes a;
  if (!case_json || !*case_json) return a;
  json j = json::parse(case_json, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, "case: malformed JSON");
  if (!j.is_object()) throw Error(Errc::invalid_argument, "case: expected a JSON object");
  auto field = [&](const char* key, std::string& into) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_string()) throw Error(Errc::invalid_argument, fmt::format("case.{}: expected a string", key));
    into = it->get<std::string>();
  };
  for (const auto& [key, _] : j.items())
    if (key != "channel" && key != "category" && key != "severity" && key != "tier" && key != "fields")
      throw Error(Errc::invalid_argument, fmt::format("case.{}: unknown key (expected channel, category, severity, tier, fields)", key));
  field("channel", a.channel);
  field("category", a.category);
  field("severity", a.severity);
  field("tier", a.tier);
  if (auto it = j.find("fields"); it != j.end()) {
    if (!it->is_object()) throw Error(Errc::invalid_argument, "case.fields: expected an object of field name -> value");
    for (const auto& [key, value] : it->items()) {
      if (value.is_string()) a.fields.emplace_back(key, value.get<std::string>());
      else if (value.is_boolean() || value.is_number()) a.fields.emplace_back(key, value.dump());
      else throw Error(Errc::invalid_argument, fmt::format("case.fields.{}: expected a string, number or boolean", key));
    }
  }
  return a;
}

/// The due of an instant target for a case: its field's time plus the offset.
Instant due_of(const sla::Target& t, const sla::CaseAttributes& a) {
  const std::string_view text = a.get(t.due_field);
  if (text.empty())
    throw Error(Errc::invalid_argument, fmt::format("case.fields.{}: missing (clock '{}' is due at that time)", t.due_field, t.clock));
  Instant at;
  if (!try_parse_instant(text, at))
    throw Error(Errc::invalid_argument, fmt::format("case.fields.{}: '{}' is not an RFC 3339 timestamp", t.due_field, text));
  const int64_t due = at.unix_seconds() + t.due_offset.count_seconds();
  if (due < kFirstSupportedUnixSeconds || due > kLastSupportedUnixSeconds)
    throw Error(Errc::invalid_argument, fmt::format("case.fields.{}: the due is outside the supported range", t.due_field));
  return Instant::from_unix_seconds(due);
}

const sla::Policy* get_policy(const crmkit_policy* h) {
  auto* p = check_handle<crmkit_policy>(h, "policy");
  return p ? &p->policy : nullptr;
}

template <class F>
int load_policy(const crmkit_calendar* cal, crmkit_policy** out, F&& load) {
  CRMKIT_REQUIRE(out);
  auto* c = check_handle<crmkit_calendar>(cal, "calendar");
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    *out = make_handle(new crmkit_policy{load(c->cal)});
    return ok();
  });
}

/// Runs f(clocks) under the handle's lock.
template <class F>
int with_clocks(crmkit_clocks* h, F&& f) {
  auto* c = check_handle<crmkit_clocks>(h, "clocks");
  if (!c) return CRMKIT_EINVAL;
  return guard([&] {
    std::lock_guard lock(c->mu);
    f(*c);
    return ok();
  });
}

}  // namespace

extern "C" {

int crmkit_policy_from_json(const char* text, const crmkit_calendar* cal, crmkit_policy** out) {
  CRMKIT_REQUIRE(text);
  return load_policy(cal, out, [&](const Calendar& c) { return sla::Policy::from_json(text, c); });
}

int crmkit_policy_from_file(const char* path, const crmkit_calendar* cal, crmkit_policy** out) {
  CRMKIT_REQUIRE(path);
  return load_policy(cal, out, [&](const Calendar& c) { return sla::Policy::from_file(path, c); });
}

void crmkit_policy_free(crmkit_policy* p) { free_handle(p); }

int crmkit_policy_clocks(const crmkit_policy* h, char** out) {
  CRMKIT_REQUIRE(out);
  const sla::Policy* p = get_policy(h);
  if (!p) return CRMKIT_EINVAL;
  return guard([&] {
    *out = dup_string(json(p->clock_names()).dump());
    return ok();
  });
}

int crmkit_policy_target(const crmkit_policy* h, const char* clock, const char* case_json, char** out) {
  CRMKIT_REQUIRE(clock);
  CRMKIT_REQUIRE(out);
  const sla::Policy* p = get_policy(h);
  if (!p) return CRMKIT_EINVAL;
  return guard([&] {
    sla::Target t = p->target(clock, parse_case(case_json));
    json j = {{"clock", t.clock}, {"kind", sla::target_kind_name(t.kind)}};
    if (t.kind == sla::TargetKind::instant) {
      j["due_field"] = t.due_field;
      j["due_offset_seconds"] = t.due_offset.count_seconds();
    } else {
      j["duration_seconds"] = t.duration.count_seconds();
    }
    j["warnings"] = t.warnings;
    j["escalate_to"] = t.escalate_to;
    j["rule"] = t.rule;
    *out = dup_string(j.dump());
    return ok();
  });
}

int crmkit_clocks_new(crmkit_clocks** out) {
  CRMKIT_REQUIRE(out);
  return guard([&] {
    *out = make_handle(new crmkit_clocks{});
    return ok();
  });
}

void crmkit_clocks_free(crmkit_clocks* c) { free_handle(c); }

int crmkit_clocks_create(crmkit_clocks* h, const crmkit_policy* ph, const char* clock, const char* case_json,
                         uint64_t* out_id) {
  CRMKIT_REQUIRE(clock);
  CRMKIT_REQUIRE(out_id);
  const sla::Policy* p = get_policy(ph);
  if (!p) return CRMKIT_EINVAL;
  return with_clocks(h, [&](crmkit_clocks& c) {
    const sla::CaseAttributes a = parse_case(case_json);
    sla::Target t = p->target(clock, a);
    std::optional<Instant> due;
    if (t.kind == sla::TargetKind::instant) due = due_of(t, a);
    const sla::TargetId target = c.scheduler.intern(t);
    c.dues.reserve(c.dues.size() + 1);  // nothing fails after the clock exists
    *out_id = c.scheduler.create(target);
    if (due) c.dues.emplace(*out_id, *due);
  });
}

int crmkit_clocks_start(crmkit_clocks* h, uint64_t id, int64_t at) {
  return with_clocks(h, [&](crmkit_clocks& c) {
    auto due = c.dues.find(id);
    c.scheduler.start(id, Instant::from_unix_seconds(at), due == c.dues.end() ? std::nullopt : std::optional<Instant>(due->second));
  });
}

#define CRMKIT_CLOCK_OP(name)                                                                       \
  int crmkit_clocks_##name(crmkit_clocks* h, uint64_t id, int64_t at) {                             \
    return with_clocks(h, [&](crmkit_clocks& c) { c.scheduler.name(id, Instant::from_unix_seconds(at)); }); \
  }
CRMKIT_CLOCK_OP(pause)
CRMKIT_CLOCK_OP(resume)
CRMKIT_CLOCK_OP(stop)
#undef CRMKIT_CLOCK_OP

int crmkit_clocks_retarget(crmkit_clocks* h, uint64_t id, const crmkit_policy* ph, const char* clock,
                           const char* case_json, int64_t at) {
  CRMKIT_REQUIRE(clock);
  const sla::Policy* p = get_policy(ph);
  if (!p) return CRMKIT_EINVAL;
  return with_clocks(h, [&](crmkit_clocks& c) {
    const sla::CaseAttributes a = parse_case(case_json);
    sla::Target t = p->target(clock, a);
    if (!c.scheduler.contains(id)) throw Error(Errc::not_found, fmt::format("clock {} not found", id));
    std::optional<Instant> due;
    if (t.kind == sla::TargetKind::instant) due = due_of(t, a);
    c.dues.reserve(c.dues.size() + 1);
    c.scheduler.retarget(id, c.scheduler.intern(t), Instant::from_unix_seconds(at), due);
    if (due) c.dues.insert_or_assign(id, *due);
  });
}

int crmkit_clocks_status(crmkit_clocks* h, uint64_t id, int64_t as_of, crmkit_clock_status* out) {
  CRMKIT_REQUIRE(out);
  return with_clocks(h, [&](crmkit_clocks& c) {
    sla::ClockStatus s = c.scheduler.status(id, Instant::from_unix_seconds(as_of));
    crmkit_clock_status r{};
    r.state = static_cast<int>(s.state);
    r.elapsed_seconds = s.elapsed.count_seconds();
    r.remaining_seconds = s.remaining.count_seconds();
    r.target_seconds = s.total.count_seconds();
    r.has_due = s.due.has_value();
    r.due = s.due ? s.due->unix_seconds() : 0;
    r.breached = s.breached;
    r.warnings_fired = s.warnings_fired;
    *out = r;
  });
}

int crmkit_clocks_sweep(crmkit_clocks* h, int64_t now, crmkit_clock_event* events, size_t capacity,
                        size_t* out_count) {
  CRMKIT_REQUIRE(out_count);
  if (capacity > 0) CRMKIT_REQUIRE(events);
  return with_clocks(h, [&](crmkit_clocks& c) {
    detail::checked_product(capacity, sizeof(crmkit_clock_event), "capacity");  // a count no array can hold
    std::vector<sla::ClockEvent> fired;
    c.scheduler.sweep(Instant::from_unix_seconds(now), fired);
    c.pending.insert(c.pending.end(), fired.begin(), fired.end());
    size_t n = 0;
    for (; n < capacity && !c.pending.empty(); ++n) {
      const auto& e = c.pending.front();
      events[n] = crmkit_clock_event{e.clock, e.kind == sla::ClockEvent::breach ? CRMKIT_CLOCK_BREACH : CRMKIT_CLOCK_WARNING,
                                     e.index, e.fraction, e.at.unix_seconds()};
      c.pending.pop_front();
    }
    *out_count = n;
  });
}

int crmkit_clocks_size(crmkit_clocks* h, size_t* out_count, size_t* out_bytes) {
  return with_clocks(h, [&](crmkit_clocks& c) {
    if (out_count) *out_count = c.scheduler.size();
    if (out_bytes) *out_bytes = c.scheduler.memory_bytes();
  });
}

}  // extern "C"
