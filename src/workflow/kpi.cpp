// Complaint KPIs (docs/domain.md#kpis) over the engine's cases.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

#include "crmkit/kpi.hpp"
#include "workflow/engine_impl.hpp"
#include "workflow/record_codec.hpp"

namespace crmkit::kpi {

std::optional<bool> Target::met(const Rate& r) const {
  auto v = r.value();
  if (!v) return std::nullopt;
  switch (kind) {
    case greater: return *v > threshold;
    case at_least: return *v >= threshold - 1e-12;
    default: return std::nullopt;
  }
}

Target Target::parse(std::string_view text, std::string_view where) {
  const auto fail = [&]() -> Target {
    throw Error(Errc::invalid_argument,
                fmt::format("{}: expected \">0.95\", \">=1\" (a fraction 0..1), \"maximise\" or \"minimise\", got \"{}\"", where,
                            text.substr(0, 64)));
  };
  if (text == "maximise") return {maximise, 0};
  if (text == "minimise") return {minimise, 0};
  Target t;
  if (text.starts_with(">=")) t.kind = at_least, text.remove_prefix(2);
  else if (text.starts_with(">")) t.kind = greater, text.remove_prefix(1);
  else return fail();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, t.threshold);
  if (text.empty() || ec != std::errc() || ptr != end || !(t.threshold >= 0 && t.threshold <= 1)) return fail();
  return t;
}

std::string Target::to_string() const {
  switch (kind) {
    case greater: return fmt::format(">{}", threshold);
    case at_least: return fmt::format(">={}", threshold);
    case maximise: return "maximise";
    case minimise: return "minimise";
  }
  return "maximise";
}

const std::vector<std::string_view>& Targets::names() {
  static const std::vector<std::string_view> n = {"satisfaction", "timeliness", "closure", "callback", "first_time_resolution", "repeat",
                                                  "over_level", "first_visit_fix", "rescheduled", "clock_on_time"};
  return n;
}

Target* Targets::find(std::string_view name) {
  Target* all[] = {&satisfaction, &timeliness, &closure, &callback, &first_time_resolution, &repeat,
                   &over_level, &first_visit_fix, &rescheduled, &clock_on_time};
  static_assert(std::size(all) == 10);
  const auto& n = names();
  for (size_t i = 0; i < n.size(); ++i)
    if (n[i] == name) return all[i];
  return nullptr;
}

namespace {

void optional_number(std::string& o, const std::optional<double>& v) {
  if (v) o += fmt::format("{}", *v);  // shortest digits that read back the same double
  else o += "null";
}

void rate_json(std::string& o, const char* name, const Rate& r, const Target& t) {
  o += ",\"";
  o += name;
  o += "\":{\"value\":";
  optional_number(o, r.value());
  o += fmt::format(",\"numerator\":{},\"denominator\":{},\"target\":\"{}\"", r.numerator, r.denominator, t.to_string());
  o += ",\"met\":";
  auto met = t.met(r);
  o += met ? (*met ? "true" : "false") : "null";
  o += "}";
}

void measures_json(std::string& o, const Measures& m, const Targets& t, bool with_key) {
  o += "{";
  if (with_key) {
    o += "\"key\":";
    workflow::json_str(o, m.key);
    o += ",";
  }
  o += fmt::format("\"received\":{},\"ratings\":{{\"very_satisfied\":{},\"satisfied\":{},\"unsatisfied\":{}}}", m.received,
                   m.very_satisfied, m.satisfied, m.unsatisfied);
  o += fmt::format(",\"callbacks_owed\":{},\"manual_tier_automatic_callbacks\":{},\"handovers\":{},\"outside_responsibility\":{}",
                   m.callbacks_owed, m.manual_tier_automatic_callbacks, m.handovers, m.outside_responsibility);
  o += fmt::format(",\"repeats\":{},\"over_level_received\":{},\"justified\":{},\"breached\":{},\"compensation\":{{\"cases\":{},"
                   "\"granted\":{}}},\"ended\":{{",
                   m.repeats, m.over_level_received, m.justified, m.breached, m.compensated, workflow::format_cents(m.compensation_cents));
  for (size_t i = 0; i < m.ended.size(); ++i) {
    if (i) o.push_back(',');
    workflow::json_str(o, m.ended[i].state);
    o += fmt::format(":{}", m.ended[i].count);
  }
  o += "}";
  rate_json(o, "satisfaction", m.satisfaction, t.satisfaction);
  rate_json(o, "timeliness", m.timeliness, t.timeliness);
  rate_json(o, "closure", m.closure, t.closure);
  rate_json(o, "callback", m.callback, t.callback);
  rate_json(o, "first_time_resolution", m.first_time_resolution, t.first_time_resolution);
  rate_json(o, "repeat", m.repeat, t.repeat);
  rate_json(o, "over_level", m.over_level, t.over_level);
  o += ",\"clocks\":[";
  for (size_t i = 0; i < m.clocks.size(); ++i) {
    o += i ? ",{\"clock\":" : "{\"clock\":";
    workflow::json_str(o, m.clocks[i].clock);
    rate_json(o, "on_time", m.clocks[i].on_time, t.clock_on_time);
    o += "}";
  }
  const Appointments& a = m.appointments;
  o += fmt::format("],\"appointments\":{{\"appointed\":{},\"reschedules_by_customer\":{},\"reschedules_by_company\":{},\"visits\":{},"
                   "\"not_at_home\":{}",
                   a.appointed, a.reschedules_by_customer, a.reschedules_by_company, a.visits, a.not_at_home);
  rate_json(o, "rescheduled_by_customer", a.rescheduled_by_customer, t.rescheduled);
  rate_json(o, "rescheduled_by_company", a.rescheduled_by_company, t.rescheduled);
  rate_json(o, "first_visit_fix", a.first_visit_fix, t.first_visit_fix);
  o += "},\"handling_times\":[";
  for (size_t i = 0; i < m.handling_times.size(); ++i) {
    const HandlingTime& h = m.handling_times[i];
    o += i ? ",{\"measure\":" : "{\"measure\":";
    workflow::json_str(o, h.measure);
    for (auto [name, d] : {std::pair<const char*, const Durations*>{"elapsed", &h.elapsed}, {"business", &h.business}}) {
      o += fmt::format(",\"{}\":{{\"count\":{},\"mean\":", name, d->count);
      optional_number(o, d->mean);
      o += ",\"median\":";
      optional_number(o, d->median);
      o += ",\"p90\":";
      optional_number(o, d->p90);
      o += "}";
    }
    o += "}";
  }
  o += "]}";
}

void measures_list_json(std::string& o, const std::vector<Measures>& list, const Targets& t) {
  o += "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) o.push_back(',');
    measures_json(o, list[i], t, true);
  }
  o += "]";
}

}  // namespace

std::string to_json(const Report& r) {
  std::string o;
  o.reserve(4096);
  o += "{\"schema\":1,\"as_of\":";  // docs/schemas/kpi-report.schema.json, format version 1
  workflow::json_instant(o, r.as_of);
  o += ",\"zone\":";
  workflow::json_str(o, r.zone);
  o += ",\"targets\":{";
  Targets targets = r.targets;
  for (size_t i = 0; i < Targets::names().size(); ++i) {
    const std::string_view name = Targets::names()[i];
    o += fmt::format("{}\"{}\":\"{}\"", i ? "," : "", name, targets.find(name)->to_string());
  }
  o += "},\"overall\":";
  measures_json(o, r.overall, r.targets, false);
  for (auto [name, list] : {std::pair<const char*, const std::vector<Measures>*>{"by_day", &r.by_day}, {"by_week", &r.by_week},
                            {"by_month", &r.by_month}, {"by_department", &r.by_department}, {"by_channel", &r.by_channel},
                            {"by_category", &r.by_category}, {"by_severity", &r.by_severity}, {"by_tier", &r.by_tier},
                            {"by_workflow", &r.by_workflow}, {"by_owner", &r.by_owner}}) {
    o += ",\"";
    o += name;
    o += "\":";
    measures_list_json(o, *list, r.targets);
  }
  o += ",\"by_field\":{";
  for (size_t i = 0; i < r.by_field.size(); ++i) {
    if (i) o.push_back(',');
    workflow::json_str(o, r.by_field[i].first);
    o += ":";
    measures_list_json(o, r.by_field[i].second, r.targets);
  }
  o += "}";
  o += ",\"dissatisfaction_reasons\":[";
  for (size_t i = 0; i < r.dissatisfaction_reasons.size(); ++i) {
    if (i) o.push_back(',');
    o += "{\"reason\":";
    workflow::json_str(o, r.dissatisfaction_reasons[i].reason);
    o += fmt::format(",\"count\":{}}}", r.dissatisfaction_reasons[i].count);
  }
  o += "]}\n";
  return o;
}

}  // namespace crmkit::kpi

namespace crmkit::workflow {

namespace {

/// The handling times of the report, in Measures::handling_times order.
constexpr std::array<const char*, 3> kHandlingTimes = {"first_response", "resolution", "callback"};
constexpr size_t kHandling = kHandlingTimes.size();

/// Per case, per handling time: (elapsed, business) seconds; -1 when the case has none.
using CaseTimes = std::array<int64_t, 2 * kHandling>;

struct Contribution {
  int64_t ratings[3] = {0, 0, 0};
  bool timed = false, timely = false, concluded = false, valid = true, resolved = false, called_back = false, closed = false,
       first_time = false, repeat = false, over_level = false, justified = true, callback_owed = false, manual_tier_automatic = false;
  std::string_view ended;  ///< the terminal state the case ended in (empty: none)
  int64_t compensation_cents = 0;  ///< granted
  int64_t handovers = 0, outside_responsibility = 0;
  struct ClockDue {
    uint16_t clock = 0;  ///< index in the report's clock names
    bool met = false;
  };
  std::vector<ClockDue> clocks_due;  ///< each clock of the case that is due, and whether it met its target
  int64_t appointments = 0, reschedules_by_customer = 0, reschedules_by_company = 0, visits = 0, not_at_home = 0;
  std::vector<std::pair<std::string_view, std::string_view>> enum_values;  ///< (grouped declared field, the case's value)
  std::vector<std::string_view> unsatisfied_reasons;  ///< of the "unsatisfied" ratings that stand
  /// Instants (unix seconds) of the trail's first state change, first resolution and first
  /// completed callback after it; kNone when the trail has none.
  int64_t first_change = kNone, first_resolved = kNone, first_callback = kNone;
  /// Index into the report's case times (kNone: the case has none).
  int64_t times = kNone;
  /// Back to zero for the next case, keeping the vectors' capacity.
  void reset() {
    auto due = std::move(clocks_due);
    auto values = std::move(enum_values);
    auto reasons = std::move(unsatisfied_reasons);
    *this = Contribution();
    unsatisfied_reasons = std::move(reasons);
    unsatisfied_reasons.clear();
    clocks_due = std::move(due);
    clocks_due.clear();
    enum_values = std::move(values);
    enum_values.clear();
  }
};

/// A bucket's measures, and one handling-time series of its cases at a time, in ascending order.
struct Bucket {
  kpi::Measures m;
  std::vector<int64_t> values;
};

/// Adds a case's contribution to a bucket; its clock rates are indexed like `clock_names` until
/// finish() drops the clocks with none due.
void add(Bucket& b, const Contribution& c, const std::vector<std::string>& clock_names) {
  kpi::Measures& m = b.m;
  ++m.received;
  m.very_satisfied += c.ratings[0];
  m.satisfied += c.ratings[1];
  m.unsatisfied += c.ratings[2];
  m.callbacks_owed += c.callback_owed;
  m.manual_tier_automatic_callbacks += c.manual_tier_automatic;
  m.handovers += c.handovers;
  m.outside_responsibility += c.outside_responsibility;
  m.repeats += c.repeat;
  m.over_level_received += c.over_level;
  m.justified += c.justified;
  m.breached += c.timed && !c.timely;
  m.compensated += c.compensation_cents > 0;
  m.compensation_cents += c.compensation_cents;
  if (!c.ended.empty()) {
    auto it = std::find_if(m.ended.begin(), m.ended.end(), [&](const kpi::StateCount& s) { return s.state == c.ended; });
    if (it == m.ended.end()) m.ended.push_back({std::string(c.ended), 1});
    else ++it->count;
  }
  m.satisfaction.numerator += c.ratings[0] + c.ratings[1];
  m.satisfaction.denominator += c.ratings[0] + c.ratings[1] + c.ratings[2];
  m.timeliness.denominator += c.timed;
  m.timeliness.numerator += c.timed && c.timely;
  m.closure.denominator += c.valid;
  m.closure.numerator += c.valid && c.concluded;
  m.callback.denominator += c.resolved;
  m.callback.numerator += c.resolved && c.called_back;
  m.first_time_resolution.denominator += c.closed;
  m.first_time_resolution.numerator += c.closed && c.first_time;
  m.repeat.denominator += 1;
  m.repeat.numerator += c.repeat && c.justified;
  m.over_level.denominator += 1;
  m.over_level.numerator += c.over_level && c.justified;
  if (!c.clocks_due.empty() && m.clocks.empty()) {
    m.clocks.resize(clock_names.size());
    for (size_t i = 0; i < clock_names.size(); ++i) m.clocks[i].clock = clock_names[i];
  }
  for (const Contribution::ClockDue& due : c.clocks_due) {
    kpi::Rate& rate = m.clocks[due.clock].on_time;
    ++rate.denominator;
    rate.numerator += due.met;
  }
  kpi::Appointments& a = m.appointments;
  const bool appointed = c.appointments > 0;
  a.appointed += appointed;
  a.reschedules_by_customer += c.reschedules_by_customer;
  a.reschedules_by_company += c.reschedules_by_company;
  a.visits += c.visits;
  a.not_at_home += c.not_at_home;
  a.rescheduled_by_customer.denominator += appointed;
  a.rescheduled_by_customer.numerator += appointed && c.reschedules_by_customer > 0;
  a.rescheduled_by_company.denominator += appointed;
  a.rescheduled_by_company.numerator += appointed && c.reschedules_by_company > 0;
  const bool visited_and_done = c.resolved && c.visits > 0;
  a.first_visit_fix.denominator += visited_and_done;
  a.first_visit_fix.numerator += visited_and_done && c.visits == 1 && c.not_at_home == 0 && c.first_time;
}

/// The declared fields the KPI report groups by: the enum fields the SLA policy's rules match (a
/// work order's kind and product: they classify the case) and those declared "group_by".
bool grouped_field(const LoadedWorkflow& w, size_t field) {
  const FieldDef& f = w.d->fields[field];
  return f.group_by || (f.type == FieldType::enumeration &&
                        std::find(w.rule_fields.begin(), w.rule_fields.end(), static_cast<uint8_t>(field)) != w.rule_fields.end());
}

/// The causes a case does not record itself ("group_by" fields without a value), from the cases
/// linked to it (the incident it is part of, the work order it is about): each field takes the
/// last value the first of them that has one gave. One pass over each linked case's trail.
void inherit_linked_values(const Engine::Impl& m, const CaseRec& c, Contribution& k) {
  const Definition::Impl& d = m.def(c);
  std::vector<std::string_view> missing;
  for (const FieldDef& f : d.fields)
    if (f.group_by && std::none_of(k.enum_values.begin(), k.enum_values.end(), [&](const auto& v) { return v.first == f.name; }))
      missing.push_back(f.name);
  if (missing.empty()) return;
  for_each_linked_case(c, d, [&](std::string_view id) {
    const CaseRec* other = missing.empty() ? nullptr : m.find_case(id);
    if (!other) return;
    const Definition::Impl& od = m.def(*other);
    std::vector<std::pair<std::string_view, std::string_view>> found;  // this linked case's last values
    for (const Record& r : other->events)
      if (r.data_len > 0)
        decode_data(other->pool, r, od, [&](const RecordItem& item) {
          if (item.code < kFirstDeclaredCode || !od.fields[item.code - kFirstDeclaredCode].group_by) return;
          const std::string_view name = od.fields[item.code - kFirstDeclaredCode].name;
          if (std::find(missing.begin(), missing.end(), name) == missing.end()) return;
          auto it = std::find_if(found.begin(), found.end(), [&](const auto& v) { return v.first == name; });
          if (it == found.end()) found.emplace_back(name, item.text);
          else it->second = item.text;
        });
    for (const auto& value : found) {
      k.enum_values.push_back(value);
      missing.erase(std::find(missing.begin(), missing.end(), value.first));
    }
  });
}

/// The workflow's declared boolean field "justified" (有理由的投诉): its index, or -1.
int justified_field(const Definition::Impl& d) {
  for (size_t i = 0; i < d.fields.size(); ++i)
    if (d.fields[i].name == "justified" && d.fields[i].type == FieldType::boolean) return static_cast<int>(i);
  return -1;
}

/// One pass along a case's trail: the first-contact and handling owners replayed (the formal
/// handovers, and with first_contact "record" the events accepted from someone responsible for
/// neither), the appointments, reschedules and visits, the grouped fields' values, whether the
/// case was judged justified (the last value given), the instants the handling times end at, the
/// reasons of the "unsatisfied" ratings that stand and whether a manual-callback tier was called
/// back automatically.
void scan_trail(const CaseRec& c, const LoadedWorkflow& w, int justified, bool grouped, bool manual_tier, const Interner& syms,
                Contribution& k) {
  const Definition::Impl& d = *w.d;
  const bool record_mode = w.rules.first_contact.mode == Rules::FirstContact::Mode::record;
  const auto by_code = static_cast<uint8_t>(kFirstDeclaredCode + d.window_by);
  const auto justified_code = static_cast<uint8_t>(kFirstDeclaredCode + justified);
  if (justified >= 0) k.justified = false;  // until the case is judged so
  std::string_view first, owner;
  for (size_t i = 0; i < c.events.size(); ++i) {
    const Record& rec = c.events[i];
    if (rec.type == kSystemType) continue;
    const std::string_view actor = syms.str(rec.actor);
    if (i == 0) first = owner = actor;
    else if (record_mode && w.needs_responsibility(rec.type, rec.role) && actor != first && actor != owner)
      ++k.outside_responsibility;
    const StateKind to = rec.to < d.states.size() ? d.states[rec.to].kind : StateKind::open;
    if (i > 0 && k.first_change == kNone && rec.to != rec.from) k.first_change = rec.at;
    if (k.first_resolved == kNone && to == StateKind::resolved) k.first_resolved = rec.at;
    const bool callback = d.type_has_effect(rec.type, Effect::callback);
    const bool handover = i > 0 && d.type_has_effect(rec.type, Effect::handover);
    const bool assign = i > 0 && d.type_has_effect(rec.type, Effect::assign);
    const bool reschedule = d.window_by >= 0 && d.type_has_effect(rec.type, Effect::reschedule);
    k.handovers += handover;
    if (d.window_start >= 0) {
      k.appointments += d.type_has_effect(rec.type, Effect::appoint);
      k.visits += d.type_has_effect(rec.type, Effect::visit);
      k.not_at_home += d.type_has_effect(rec.type, Effect::not_at_home);
    }
    const bool classifies = grouped && rec.data_len > 0;
    const bool judges = justified >= 0 && rec.data_len > 0;
    if (!handover && !assign && !reschedule && !classifies && !callback && !judges) continue;
    CallbackMeaning outcome = CallbackMeaning::none;
    bool manual = false;
    std::string_view reason;
    decode_data(c.pool, rec, d, [&](const RecordItem& item) {
      if (handover && item.code == static_cast<uint8_t>(Field::to)) first = item.text;
      if (assign && item.code == static_cast<uint8_t>(Field::owner)) owner = item.text;
      if (callback && item.code == static_cast<uint8_t>(Field::outcome)) outcome = d.outcome_meaning(item.text);
      if (callback && item.code == static_cast<uint8_t>(Field::manual)) manual = item.integer != 0;
      if (callback && item.code == static_cast<uint8_t>(Field::reason)) reason = item.text;
      if (judges && item.code == justified_code) k.justified = item.integer != 0;
      if (reschedule && item.code == by_code) {
        k.reschedules_by_customer += item.text == "customer";
        k.reschedules_by_company += item.text == "company";
      }
      if (!classifies || item.code < kFirstDeclaredCode || !grouped_field(w, item.code - kFirstDeclaredCode)) return;
      const FieldDef& f = d.fields[item.code - kFirstDeclaredCode];
      auto it = std::find_if(k.enum_values.begin(), k.enum_values.end(), [&](const auto& v) { return v.first == f.name; });
      if (it == k.enum_values.end()) k.enum_values.emplace_back(f.name, item.text);
      else it->second = item.text;  // the case keeps the last value given
    });
    if (!callback) continue;
    if (!manual) k.manual_tier_automatic |= manual_tier;
    // A rating that stands (an automatic "unsatisfied" owing a manual callback is none).
    if (owes_manual_callback(outcome, manual, to)) continue;
    if (outcome == CallbackMeaning::unsatisfied) k.unsatisfied_reasons.push_back(reason);
    const bool rating = outcome == CallbackMeaning::very_satisfied || outcome == CallbackMeaning::satisfied ||
                        outcome == CallbackMeaning::unsatisfied;
    if (rating && k.first_resolved != kNone && k.first_callback == kNone && rec.at >= k.first_resolved) k.first_callback = rec.at;
  }
}

/// The Thursday of a date's ISO 8601 week (its days since the epoch): the week's key.
int64_t iso_week_thursday(const CivilDate& date) { return date.days_since_epoch() + 3 - date.weekday(); }  // weekday 0 = Monday

/// ISO 8601 week "YYYY-Www" of the week whose Thursday is `thursday_days`.
std::string iso_week(int64_t thursday_days) {
  const CivilDate thursday = CivilDate::from_days_since_epoch(thursday_days);
  const CivilDate jan1{thursday.year, 1, 1};
  const int64_t week = (thursday_days - jan1.days_since_epoch()) / 7 + 1;
  return fmt::format("{:04}-W{:02}", thursday.year, week);
}

/// Mean, median and 90th percentile of ascending `values`, linear between the closest ranks.
kpi::Durations durations(const std::vector<int64_t>& values) {
  kpi::Durations d;
  d.count = static_cast<int64_t>(values.size());
  if (values.empty()) return d;
  __int128 sum = 0;
  for (int64_t v : values) sum += v;
  d.mean = static_cast<double>(sum) / static_cast<double>(values.size());
  const auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<size_t>(pos);
    const double a = static_cast<double>(values[lo]), b = static_cast<double>(values[std::min(lo + 1, values.size() - 1)]);
    const double t = pos - static_cast<double>(lo);
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;  // numpy's lerp: exact at both ends
  };
  d.median = quantile(0.5);
  d.p90 = quantile(0.9);
  return d;
}

/// The handling times of every bucket. Per series (a measure, elapsed or business), the cases'
/// values are dealt to their buckets in ascending order, so each bucket's list comes sorted: one
/// sort of the cases instead of one per bucket, and one series held at a time.
/// `case_buckets[case_begin[i] .. case_begin[i + 1])` are the buckets of timed case i.
void handling_times(const std::vector<CaseTimes>& times, const std::vector<Bucket*>& case_buckets, const std::vector<uint32_t>& case_begin,
                    const std::vector<Bucket*>& buckets) {
  for (Bucket* b : buckets) b->m.handling_times.resize(kHandling);
  std::vector<uint32_t> order;
  for (size_t s = 0; s < 2 * kHandling; ++s) {
    order.clear();
    for (uint32_t i = 0; i < times.size(); ++i)
      if (times[i][s] >= 0) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return times[a][s] < times[b][s]; });
    for (uint32_t i : order)
      for (uint32_t j = case_begin[i]; j < case_begin[i + 1]; ++j) case_buckets[j]->values.push_back(times[i][s]);
    for (Bucket* b : buckets) {
      kpi::HandlingTime& h = b->m.handling_times[s / 2];
      h.measure = kHandlingTimes[s / 2];
      (s % 2 ? h.business : h.elapsed) = durations(b->values);
      b->values.clear();
    }
  }
}

/// Completes a bucket: drops the clocks none of its cases had due and sorts the ended states.
void finish(Bucket& b) {
  kpi::Measures& m = b.m;
  m.clocks.erase(std::remove_if(m.clocks.begin(), m.clocks.end(), [](const kpi::ClockRate& r) { return r.on_time.denominator == 0; }),
                 m.clocks.end());
  std::sort(m.ended.begin(), m.ended.end(), [](const kpi::StateCount& a, const kpi::StateCount& b) { return a.state < b.state; });
}

/// Buckets keyed by a number (a symbol, a day), named when the report is built.
using Buckets = std::unordered_map<int64_t, Bucket>;

/// The buckets as a list in order of their names (`name` of each key).
template <class Map, class Name>
std::vector<kpi::Measures> flatten(Map& buckets, const Name& name) {
  std::vector<kpi::Measures> out;
  out.reserve(buckets.size());
  for (auto& [k, v] : buckets) {
    v.m.key = name(k);
    finish(v);
    out.push_back(std::move(v.m));
  }
  std::sort(out.begin(), out.end(), [](const kpi::Measures& a, const kpi::Measures& b) { return a.key < b.key; });
  return out;
}

/// The report's targets: the built-in ones, the default workflow's policy's, then the caller's.
kpi::Targets report_targets(const Registry& config, const kpi::Options& options) {
  kpi::Targets t;
  for (const auto& [name, target] : config.workflows[static_cast<size_t>(config.default_index)]->rules.kpi_targets) *t.find(name) = target;
  for (const auto& [name, target] : options.targets) {
    kpi::Target* slot = t.find(name);
    if (!slot) throw Error(Errc::invalid_argument, fmt::format("options.targets.{}: unknown measure", name.substr(0, 64)));
    *slot = target;
  }
  return t;
}

}  // namespace

kpi::Report Engine::kpi(const kpi::Options& options) const {
  std::shared_lock lock(impl_->mutex);
  const Impl& m = *impl_;
  kpi::Report r;
  r.targets = report_targets(m.config, options);
  r.zone = m.config.zone.name();
  int64_t latest = 0;
  for (const CaseRec& c : m.cases) latest = std::max(latest, c.last_at);
  r.as_of = options.as_of.value_or(Instant::from_unix_seconds(latest));
  Bucket overall;
  Buckets day, week, month, dept, channel, category, severity, tier, workflow, owner;
  std::map<std::string, std::map<std::string, Bucket>> fields;  // grouped field -> value -> bucket
  Contribution k;
  std::vector<CaseTimes> times;
  std::vector<Bucket*> case_buckets;  // per timed case, its buckets (see handling_times)
  std::vector<uint32_t> case_begin;
  // Every clock name of the loaded workflows, sorted; per workflow version, its slots' indexes in it.
  std::vector<std::string> clock_names;
  for (const auto& w : m.config.workflows) clock_names.insert(clock_names.end(), w->d->clocks.begin(), w->d->clocks.end());
  std::sort(clock_names.begin(), clock_names.end());
  clock_names.erase(std::unique(clock_names.begin(), clock_names.end()), clock_names.end());
  std::vector<std::vector<uint16_t>> clock_index;
  std::vector<int> justified;  // per workflow version: its "justified" field, or -1
  std::vector<char> grouped;   // per workflow version: whether it has a field the report groups by
  for (const auto& w : m.config.workflows) {
    auto& slots = clock_index.emplace_back();
    for (const std::string& name : w->d->clocks)
      slots.push_back(static_cast<uint16_t>(std::lower_bound(clock_names.begin(), clock_names.end(), name) - clock_names.begin()));
    justified.push_back(justified_field(*w->d));
    bool any = false;
    for (size_t f = 0; f < w->d->fields.size(); ++f) any |= grouped_field(*w, f);
    grouped.push_back(any);
  }
  // The calendar of each (workflow version, tier) the handling times count business time on.
  std::unordered_map<uint64_t, const Calendar*> calendars;
  const auto calendar_of = [&](const CaseRec& c) -> const Calendar& {
    const uint64_t key = (uint64_t{c.workflow} << 32) | c.tier;
    auto [it, fresh] = calendars.try_emplace(key, nullptr);
    if (fresh) it->second = &m.wf(c).policy.tier_calendar(c.tier ? m.syms.str(c.tier) : std::string_view());
    return *it->second;
  };
  std::unordered_map<std::string, int64_t> reasons;
  for (size_t i = 0; i < m.cases.size(); ++i) {
    const CaseRec& c = m.cases[i];
    const Instant received = Instant::from_unix_seconds(c.received_at);
    if (options.from && received < *options.from) continue;
    if (options.to && received >= *options.to) continue;
    if (c.received_at > r.as_of.unix_seconds()) continue;
    const Definition::Impl& d = m.def(c);
    k.reset();
    for (int j = 0; j < 3; ++j) k.ratings[j] = c.ratings[j];
    bool breached = c.flags & kCaseBreached;
    bool due = breached;
    const StateKind kind = m.kind(c);
    for (size_t s = 0; s < d.clocks.size(); ++s) {
      if (!c.clock_id[s]) continue;
      sla::ClockStatus st = m.scheduler.status(c.clock_id[s], std::max(r.as_of, Instant::from_unix_seconds(c.last_at)));
      // A clock the case's end stopped (cancelled, withdrawn, rejected, merged) met nothing: only
      // its breach counts in the clock's rate.
      const bool ended_unmet = kind == StateKind::terminal && !st.breached;
      if ((st.breached || st.state == sla::ClockState::stopped) && !ended_unmet)
        k.clocks_due.push_back({clock_index[c.workflow][s], !st.breached});
      if (m.wf(c).goal_slots[s]) continue;  // a goal is no promise: not counted in timeliness
      if (st.breached) breached = due = true;
      if (st.state == sla::ClockState::stopped) due = true;
    }
    k.timed = due;
    k.timely = !breached;
    k.concluded = kind == StateKind::closed || kind == StateKind::review;
    k.valid = kind != StateKind::terminal;
    if (!k.valid) k.ended = d.states[c.state].name;
    k.closed = kind == StateKind::closed;
    k.first_time = c.reopens == 0;
    k.resolved = c.flags & kCaseEverResolved;
    k.callback_owed = kind == StateKind::resolved && (c.flags & kCaseManualRequired);
    k.called_back = c.ratings[0] + c.ratings[1] + c.ratings[2] > 0 && !k.callback_owed;
    k.repeat = c.repeat_of != 0;
    k.over_level = c.flags & kCaseOverLevel;
    const auto& manual_tiers = m.bound[c.workflow].manual_tiers;
    const bool manual_tier = c.tier && std::find(manual_tiers.begin(), manual_tiers.end(), c.tier) != manual_tiers.end();
    scan_trail(c, m.wf(c), justified[c.workflow], grouped[c.workflow], manual_tier, m.syms, k);
    inherit_linked_values(m, c, k);
    // A reason is free text: a phone or ID number written into it is masked (the report has no reader role).
    for (const std::string_view reason : k.unsatisfied_reasons)
      ++reasons[reason.empty() ? std::string("(no reason given)") : mask_free_text(reason)];
    k.compensation_cents = c.comp_granted;
    if (k.first_change != kNone || k.first_resolved != kNone) {
      const Calendar& cal = calendar_of(c);
      CaseTimes t;
      t.fill(-1);
      const std::pair<int64_t, int64_t> spans[kHandling] = {
          {c.received_at, k.first_change}, {c.received_at, k.first_resolved}, {k.first_resolved, k.first_callback}};
      for (size_t h = 0; h < kHandling; ++h) {
        const auto [from, to] = spans[h];
        if (from == kNone || to == kNone) continue;
        t[2 * h] = to - from;
        t[2 * h + 1] = cal.between(Instant::from_unix_seconds(from), Instant::from_unix_seconds(to)).count_seconds();
      }
      k.times = static_cast<int64_t>(times.size());
      times.push_back(t);
    }
    if (k.times != kNone) case_begin.push_back(static_cast<uint32_t>(case_buckets.size()));
    const auto put = [&](Bucket& b) {
      add(b, k, clock_names);
      if (k.times != kNone) case_buckets.push_back(&b);
    };
    put(overall);
    const CivilDate date = m.config.zone.to_civil(received).date;
    const int64_t days = date.days_since_epoch();
    put(day[days]);
    put(week[iso_week_thursday(date)]);
    put(month[int64_t{date.year} * 100 + date.month]);
    put(dept[c.department]);
    put(channel[c.channel]);
    put(category[c.category]);
    put(severity[c.severity]);
    put(tier[c.tier]);
    put(workflow[m.wf(c).family]);  // each kind of case apart (complaint, inquiry, ...), all its versions together
    put(owner[c.owner]);
    for (size_t fi = 0; fi < d.fields.size(); ++fi) {
      if (!grouped_field(m.wf(c), fi)) continue;
      const FieldDef& f = d.fields[fi];
      auto it = std::find_if(k.enum_values.begin(), k.enum_values.end(), [&](const auto& v) { return v.first == f.name; });
      const std::string_view given = it == k.enum_values.end() ? std::string_view() : it->second;
      // A free-text value (a root cause) is masked as the reasons are: the report has no reader role.
      const std::string value = given.empty()                  ? std::string("(none)")
                                : f.type == FieldType::string ? mask_free_text(given)
                                                              : std::string(given);
      put(fields[f.name][value]);
    }
  }
  case_begin.push_back(static_cast<uint32_t>(case_buckets.size()));
  std::vector<Bucket*> all{&overall};
  for (Buckets* map : {&day, &week, &month, &dept, &channel, &category, &severity, &tier, &workflow, &owner})
    for (auto& [_, b] : *map) all.push_back(&b);
  for (auto& [_, values] : fields)
    for (auto& [_, b] : values) all.push_back(&b);
  handling_times(times, case_buckets, case_begin, all);
  finish(overall);
  r.overall = std::move(overall.m);
  const auto symbol_or_none = [&](int64_t id) { return id ? m.syms.s(static_cast<uint32_t>(id)) : std::string("(none)"); };
  const auto day_name = [](int64_t d) { return CivilDate::from_days_since_epoch(d).to_string(); };
  r.by_day = flatten(day, day_name);
  r.by_week = flatten(week, iso_week);
  r.by_month = flatten(month, [](int64_t ym) { return fmt::format("{:04}-{:02}", ym / 100, ym % 100); });
  r.by_department = flatten(dept, symbol_or_none);
  r.by_channel = flatten(channel, symbol_or_none);  // an incident has no channel
  r.by_category = flatten(category, symbol_or_none);
  r.by_severity = flatten(severity, symbol_or_none);
  r.by_tier = flatten(tier, symbol_or_none);
  r.by_workflow = flatten(workflow, [&](int64_t family) { return m.config.families[static_cast<size_t>(family)]; });
  r.by_owner = flatten(owner, symbol_or_none);
  for (auto& [name, values] : fields)
    r.by_field.emplace_back(name, flatten(values, [](const std::string& value) { return value; }));
  for (auto& [reason, n] : reasons) r.dissatisfaction_reasons.push_back({reason, n});
  std::sort(r.dissatisfaction_reasons.begin(), r.dissatisfaction_reasons.end(),
            [](const kpi::ReasonCount& a, const kpi::ReasonCount& b) { return a.count != b.count ? a.count > b.count : a.reason < b.reason; });
  if (r.dissatisfaction_reasons.size() > options.top_reasons) r.dissatisfaction_reasons.resize(options.top_reasons);
  return r;
}

}  // namespace crmkit::workflow
