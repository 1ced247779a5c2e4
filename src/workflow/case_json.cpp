// JSON of the engine's values: a case, an apply result, a sweep event (their layout is in
// include/crmkit/workflow.hpp, beside the to_json declarations).
#include <fmt/format.h>

#include "workflow/engine_impl.hpp"

namespace crmkit::workflow {

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
/// "name":value, the value a JSON number or boolean by its type, else a string.
void append_member(std::string& out, const FieldValue& v) {
  json_str(out, v.name);
  out.push_back(':');
  if (v.type == FieldType::number || v.type == FieldType::boolean || v.type == FieldType::list) out += v.text;
  else json_str(out, v.text);
}
void opt_instant(std::string& out, const std::optional<Instant>& t) {
  if (t) json_instant(out, *t);
  else out += "null";
}
}  // namespace

std::string to_json(const Case& c, bool with_events) {
  std::string o;
  o.reserve(512 + (with_events ? c.events.size() * 160 : 0));
  o += "{\"schema\":1,\"id\":";  // docs/schemas/case.schema.json, format version 1
  json_str(o, c.id);
  o += ",\"workflow\":";
  json_str(o, c.workflow);
  o += fmt::format(",\"workflow_version\":{},\"state\":", c.workflow_version);
  json_str(o, c.state);
  for (auto [k, v] : {std::pair<const char*, const std::string*>{"channel", &c.channel}, {"category", &c.category},
                      {"severity", &c.severity}, {"customer", &c.customer}, {"tier", &c.tier}, {"description", &c.description}, {"owner", &c.owner},
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
  o += ",\"links\":";
  o += case_list_json(c.links);
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
  o += "],\"pending_remedies\":[";
  for (size_t i = 0; i < c.compensation_pending_remedies.size(); ++i) {
    if (i) o.push_back(',');
    o += '"';
    o += remedy_name(c.compensation_pending_remedies[i]);
    o += '"';
  }
  o += "]},\"clocks\":[";
  for (size_t i = 0; i < c.clocks.size(); ++i) {
    const ClockInfo& k = c.clocks[i];
    if (i) o.push_back(',');
    o += "{\"name\":";
    json_str(o, k.name);
    o += fmt::format(",\"instance\":{},\"state\":\"{}\",\"kind\":\"{}\",\"due\":", k.instance, clock_state_name(k.state),
                     sla::target_kind_name(k.kind));
    opt_instant(o, k.due);
    o += fmt::format(",\"goal\":{},\"breached\":{},\"elapsed_seconds\":{},\"paused_seconds\":", k.goal, k.breached, k.elapsed.count_seconds());
    o += k.paused ? std::to_string(k.paused->count_seconds()) : std::string("null");
    o += fmt::format(",\"target_seconds\":{},\"rule\":", k.target.count_seconds());
    json_str(o, k.rule);
    o += ",\"retargets\":[";
    for (size_t r = 0; r < k.retargets.size(); ++r) {
      const ClockRetarget& t = k.retargets[r];
      o += r ? ",{\"at\":" : "{\"at\":";
      json_instant(o, t.at);
      o += ",\"event\":";
      json_str(o, t.event);
      o += ",\"reason\":";
      json_str(o, t.reason);
      o += fmt::format(",\"kind\":\"{}\",", sla::target_kind_name(t.kind));
      if (t.due) {
        o += "\"due\":";
        json_instant(o, *t.due);
      } else {
        o += fmt::format("\"target_seconds\":{}", t.target.count_seconds());
      }
      o += ",\"rule\":";
      json_str(o, t.rule);
      o.push_back('}');
    }
    o += "]}";
  }
  o += "],\"fields\":{";
  for (size_t i = 0; i < c.fields.size(); ++i) {
    if (i) o.push_back(',');
    append_member(o, c.fields[i]);
  }
  o += c.personal_data_masked ? "},\"personal_data\":\"masked\"" : "},\"personal_data\":\"unmasked\"";
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
        if (k) o.push_back(',');
        append_member(o, a.data[k]);
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
  o += fmt::format(",\"callback_attempts\":{},\"manual_callback_required\":{},\"attempts_exhausted\":{},\"outside_responsibility\":{},\"covered\":",
                   r.callback_attempts, r.manual_callback_required, r.attempts_exhausted, r.outside_responsibility);
  o += case_list_json(r.covered);
  o += '}';
  return o;
}

std::string to_json(const SweepEvent& s) {
  std::string o = "{\"schema\":1,\"case\":";  // docs/schemas/sweep-event.schema.json, format version 1
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
