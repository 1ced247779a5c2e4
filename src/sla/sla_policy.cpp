// SLA policies: targets per clock from rules on the case's attributes, tier entitlements.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "crmkit/error.hpp"
#include "crmkit/sla.hpp"
#include "common/files.hpp"

namespace crmkit::sla {

using nlohmann::json;

namespace {

/// One condition set: attribute -> accepted values (empty map = always).
struct Condition {
  std::vector<std::pair<std::string, std::vector<std::string>>> terms;  // attribute, values
  std::string text;                                                     // "channel=phone"

  bool matches(const CaseAttributes& a) const {
    for (const auto& [attr, values] : terms) {
      const std::string_view v = a.get(attr);
      if (std::find(values.begin(), values.end(), v) == values.end()) return false;
    }
    return true;
  }
};

/// What a clock or rule sets about its target (a rule inherits the rest from its clock).
struct Spec {
  TargetKind kind = TargetKind::business;
  Duration target;        // business, elapsed
  std::string field;      // instant
  Duration offset;        // instant
  int escalate_to = -1;
};

struct Rule {
  Condition when;
  Spec spec;
};

struct ClockDef {
  Spec spec;
  bool goal = false;  // "goal": true: passing the target is a warning, never a breach
  std::vector<Rule> rules;
  std::string calendar;  // empty: the policy's
  std::vector<double> warnings;
  bool has_warnings = false;
};

struct TierDef {
  double multiplier = 1.0;
  std::string calendar;  // empty: the clock's
};

}  // namespace

std::string format_duration(Duration d) {
  int64_t s = d.count_seconds();
  if (s < 0) return "-" + format_duration(Duration::seconds(s == INT64_MIN ? INT64_MAX : -s));
  std::string out;
  if (s >= 86400 && s % 86400 == 0) return fmt::format("{}d", s / 86400);
  if (s >= 3600) {
    out += fmt::format("{}h", s / 3600);
    s %= 3600;
  }
  if (s >= 60) {
    out += fmt::format("{}m", s / 60);
    s %= 60;
  }
  if (s > 0 || out.empty()) out += fmt::format("{}s", s);
  return out;
}

const char* target_kind_name(TargetKind k) noexcept {
  switch (k) {
    case TargetKind::business: return "business";
    case TargetKind::elapsed: return "elapsed";
    case TargetKind::instant: return "instant";
  }
  return "?";
}

std::optional<TargetKind> target_kind_from_name(std::string_view name) noexcept {
  for (TargetKind k : {TargetKind::business, TargetKind::elapsed, TargetKind::instant})
    if (name == target_kind_name(k)) return k;
  return std::nullopt;
}

std::string_view CaseAttributes::get(std::string_view name) const {
  if (name == "channel") return channel;
  if (name == "category") return category;
  if (name == "severity") return severity;
  if (name == "tier") return tier;
  for (const auto& [key, value] : fields)
    if (key == name) return value;
  return {};
}

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(Errc::invalid_argument, fmt::format("{}: {}", where, what));
}

Duration duration_field(const json& j, const std::string& where) {
  Duration d;
  if (j.is_number_integer() || j.is_number_unsigned()) {
    d = Duration::seconds(j.get<int64_t>());
  } else if (j.is_number_float()) {
    double v = j.get<double>();
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 1e15) bad(where, "a target in seconds must be a whole number");
    d = Duration::seconds(static_cast<int64_t>(v));
  } else if (j.is_string()) {
    try {
      d = parse_duration(j.get<std::string>());
    } catch (const Error& e) {
      throw Error(Errc::parse, fmt::format("{}: {}", where, e.what()));
    }
  } else {
    bad(where, "expected a duration such as \"2h\", \"90m\", \"1h30m\" or seconds");
  }
  if (d.count_seconds() <= 0) bad(where, "the target must be positive");
  if (d.count_seconds() > int64_t{100} * 366 * 86400) bad(where, "the target is longer than 100 years");
  return d;
}

std::vector<double> warnings_field(const json& j, const std::string& where) {
  if (!j.is_array()) bad(where, "expected an array of fractions such as [0.5, 0.75, 0.9]");
  if (j.size() > static_cast<size_t>(kMaxWarnings)) bad(where, fmt::format("at most {} warnings", kMaxWarnings));
  std::vector<double> w;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number()) bad(fmt::format("{}[{}]", where, i), "expected a number");
    double f = j[i].get<double>();
    if (!(f > 0 && f < 1)) bad(fmt::format("{}[{}]", where, i), fmt::format("a warning fraction must be in (0, 1), got {}", f));
    if (!w.empty() && !(f > w.back())) bad(fmt::format("{}[{}]", where, i), "warning fractions must be ascending");
    w.push_back(f);
  }
  return w;
}

int level_field(const json& j, const std::string& where) {
  if (j.is_null()) return -1;
  if (!j.is_number_integer()) bad(where, fmt::format("expected an escalation level 0..{} or null", kMaxEscalationLevel));
  int v = j.get<int>();
  if (v < 0 || v > kMaxEscalationLevel) bad(where, fmt::format("escalation level must be 0..{}, got {}", kMaxEscalationLevel, v));
  return v;
}

std::string string_field(const json& j, const std::string& where) {
  if (!j.is_string()) bad(where, "expected a string");
  return j.get<std::string>();
}

bool is_builtin_attribute(std::string_view key) {
  return key == "channel" || key == "category" || key == "severity" || key == "tier";
}

Condition condition_field(const json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "expected an object such as {\"channel\": \"phone\"}");
  Condition c;
  for (const auto& [key, value] : j.items()) {
    // Other names are declared fields of the workflow: it checks them when it loads the policy.
    if (key.empty() || key.size() > 64) bad(where + "." + key, "an attribute name must have 1..64 characters");
    std::vector<std::string> values;
    if (value.is_string()) {
      values.push_back(value.get<std::string>());
    } else if (value.is_array() && !value.empty()) {
      for (size_t i = 0; i < value.size(); ++i) values.push_back(string_field(value[i], fmt::format("{}.{}[{}]", where, key, i)));
    } else {
      bad(where + "." + key, "expected a string or a non-empty array of strings");
    }
    if (!c.text.empty()) c.text += ", ";
    c.text += key + "=" + (values.size() == 1 ? values[0] : fmt::format("{}", fmt::join(values, "|")));
    c.terms.emplace_back(key, std::move(values));
  }
  return c;
}

/// A signed duration: "-30m", "2h", seconds.
Duration offset_field(const json& j, const std::string& where) {
  if (j.is_string()) {
    std::string text = j.get<std::string>();
    const bool negative = !text.empty() && text[0] == '-';
    Duration d;
    try {
      d = parse_duration(negative ? std::string_view(text).substr(1) : std::string_view(text));
    } catch (const Error& e) {
      throw Error(Errc::parse, fmt::format("{}: {}", where, e.what()));
    }
    if (d.count_seconds() > int64_t{100} * 366 * 86400) bad(where, "the offset is longer than 100 years");
    return negative ? Duration::seconds(-d.count_seconds()) : d;
  }
  if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    if (v < -int64_t{100} * 366 * 86400 || v > int64_t{100} * 366 * 86400) bad(where, "the offset is longer than 100 years");
    return Duration::seconds(v);
  }
  bad(where, "expected an offset such as \"-30m\", \"1h\" or seconds");
}

/// The target keys of a clock or a rule object over `base` (a rule's clock); checks the result.
Spec spec_field(const json& j, const std::string& where, const Spec& base, bool has_base) {
  Spec s = base;
  if (auto it = j.find("kind"); it != j.end()) {
    const auto kind = it->is_string() ? target_kind_from_name(it->get<std::string>()) : std::nullopt;
    if (!kind) bad(where + ".kind", "expected \"business\", \"elapsed\" or \"instant\"");
    if (*kind != s.kind && *kind == TargetKind::instant) s.target = Duration{};
    if (*kind != s.kind && s.kind == TargetKind::instant) s.field.clear(), s.offset = Duration{};
    s.kind = *kind;
  }
  const auto target = j.find("target");
  const auto field = j.find("field");
  const auto offset = j.find("offset");
  const auto at = j.find("at");
  if (s.kind == TargetKind::instant) {
    if (target != j.end()) bad(where + ".target", "an instant target has no duration: it is due at data.<field> + offset");
    if (j.contains("calendar")) bad(where + ".calendar", "an instant target counts to a fixed time: it takes no calendar");
    if (field != j.end() && at != j.end()) bad(where + ".at", "an instant target is due at data.<field> or at the end of the business day, not both");
    if (field != j.end()) {
      s.field = string_field(*field, where + ".field");
      if (s.field.empty() || s.field.size() > 64) bad(where + ".field", "a field name must have 1..64 characters");
    }
    if (at != j.end()) {
      if (string_field(*at, where + ".at") != "end_of_business_day") bad(where + ".at", "expected \"end_of_business_day\"");
      s.field = std::string(kEndOfBusinessDay);
    }
    if (s.field.empty()) bad(where + ".field", "missing: an instant target names the event field that gives its deadline");
    if (offset != j.end()) s.offset = offset_field(*offset, where + ".offset");
  } else {
    if (field != j.end()) bad(where + ".field", fmt::format("only an instant target takes a field (this one is {})", target_kind_name(s.kind)));
    if (at != j.end()) bad(where + ".at", fmt::format("only an instant target takes \"at\" (this one is {})", target_kind_name(s.kind)));
    if (offset != j.end()) bad(where + ".offset", fmt::format("only an instant target takes an offset (this one is {})", target_kind_name(s.kind)));
    if (s.kind == TargetKind::elapsed && j.contains("calendar"))
      bad(where + ".calendar", "an elapsed target counts wall-clock time: it takes no calendar");
    if (target != j.end()) s.target = duration_field(*target, where + ".target");
    if (s.target.count_seconds() <= 0) bad(where + ".target", has_base ? "missing (the clock is not a duration)" : "missing");
  }
  if (auto it = j.find("escalate_on_breach"); it != j.end()) s.escalate_to = level_field(*it, where + ".escalate_on_breach");
  return s;
}

void check_keys(const json& j, const std::string& where, std::initializer_list<std::string_view> keys) {
  for (const auto& [key, _] : j.items())
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      bad(where + "." + key, fmt::format("unknown field (expected one of: {})", fmt::join(keys, ", ")));
}

}  // namespace

struct Policy::Impl {
  std::vector<double> warnings{0.5, 0.75, 0.9};
  std::string calendar = "default";
  std::map<std::string, Calendar, std::less<>> calendars;
  std::map<std::string, ClockDef, std::less<>> clocks;
  std::map<std::string, TierDef, std::less<>> tiers;

  const Calendar& calendar_named(const std::string& name, const std::string& where) const {
    auto it = calendars.find(name);
    if (it == calendars.end())
      throw Error(Errc::not_found, fmt::format("{}: unknown calendar '{}' (known: {})", where, name, known_calendars()));
    return it->second;
  }

  /// The calendar a case of `tier` counts business time on: the tier's, else `base` (a clock's, or
  /// the policy's when empty).
  const Calendar& tier_or(std::string_view tier, const std::string& base) const {
    const std::string* name = base.empty() ? &calendar : &base;
    if (!tier.empty())
      if (auto t = tiers.find(tier); t != tiers.end() && !t->second.calendar.empty()) name = &t->second.calendar;
    return calendar_named(*name, "policy");
  }

  std::string known_calendars() const {
    std::string s;
    for (const auto& [name, _] : calendars) s += (s.empty() ? "" : ", ") + name;
    return s;
  }
};

Duration parse_duration(std::string_view text) {
  auto fail = [&] {
    throw Error(Errc::parse, fmt::format("bad duration '{}' (use e.g. \"2h\", \"90m\", \"1h30m\", \"3d\", \"45s\" or seconds)", text));
  };
  if (text.empty() || text.size() > 40) fail();
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (text.size() > 15) fail();
    return Duration::seconds(std::stoll(std::string(text)));
  }
  int64_t total = 0;
  size_t i = 0;
  int last_rank = 5;
  while (i < text.size()) {
    size_t j = i;
    int64_t n = 0;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') {
      if (j - i >= 12) fail();
      n = n * 10 + (text[j] - '0');
      ++j;
    }
    if (j == i || j >= text.size()) fail();
    int rank;
    int64_t unit;
    switch (text[j]) {
      case 'd': rank = 4, unit = 86400; break;
      case 'h': rank = 3, unit = 3600; break;
      case 'm': rank = 2, unit = 60; break;
      case 's': rank = 1, unit = 1; break;
      default: fail();
    }
    if (rank >= last_rank) fail();  // units in order d, h, m, s, each once
    last_rank = rank;
    total += n * unit;
    i = j + 1;
  }
  return Duration::seconds(total);
}

Policy Policy::from_json(std::string_view text, const Calendar& default_calendar,
                         const std::map<std::string, Calendar>& calendars) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, "policy: malformed JSON");
  if (!j.is_object()) bad("policy", "expected a JSON object");
  auto impl = std::make_shared<Impl>();
  impl->calendars.emplace("default", default_calendar);
  impl->calendars.emplace("24x7", Calendar());
  for (const auto& [name, cal] : calendars) impl->calendars.insert_or_assign(name, cal);

  if (auto it = j.find("warnings"); it != j.end()) impl->warnings = warnings_field(*it, "policy.warnings");
  if (auto it = j.find("calendar"); it != j.end()) {
    impl->calendar = string_field(*it, "policy.calendar");
    (void)impl->calendar_named(impl->calendar, "policy.calendar");
  }
  auto clocks = j.find("clocks");
  if (clocks == j.end() || !clocks->is_object() || clocks->empty())
    bad("policy.clocks", "expected an object with at least one clock");
  for (const auto& [name, c] : clocks->items()) {
    const std::string where = "policy.clocks." + name;
    if (name.empty() || name.size() > 64) bad(where, "a clock name must have 1..64 characters");
    if (!c.is_object()) bad(where, "expected an object with a \"target\"");
    ClockDef def;
    check_keys(c, where, {"kind", "target", "field", "at", "offset", "rules", "escalate_on_breach", "calendar", "warnings", "goal", "description"});
    def.spec = spec_field(c, where, Spec{}, false);
    if (auto it = c.find("goal"); it != c.end()) {
      if (!it->is_boolean()) bad(where + ".goal", "expected true or false");
      def.goal = it->get<bool>();
    }
    if (auto it = c.find("calendar"); it != c.end()) {
      def.calendar = string_field(*it, where + ".calendar");
      (void)impl->calendar_named(def.calendar, where + ".calendar");
    }
    if (auto it = c.find("warnings"); it != c.end()) {
      def.warnings = warnings_field(*it, where + ".warnings");
      def.has_warnings = true;
    }
    if (auto it = c.find("rules"); it != c.end()) {
      if (!it->is_array()) bad(where + ".rules", "expected an array");
      for (size_t i = 0; i < it->size(); ++i) {
        const json& r = (*it)[i];
        const std::string rw = fmt::format("{}.rules[{}]", where, i);
        if (!r.is_object()) bad(rw, "expected {\"when\": {...}, \"target\": ...}");
        check_keys(r, rw, {"when", "kind", "target", "field", "at", "offset", "escalate_on_breach", "description"});
        Rule rule;
        auto when = r.find("when");
        if (when == r.end()) bad(rw + ".when", "missing");
        rule.when = condition_field(*when, rw + ".when");
        if (!r.contains("kind") && !r.contains("target") && !r.contains("field") && !r.contains("offset") && !r.contains("escalate_on_breach"))
          bad(rw, "sets nothing (give a target, kind, field, offset or escalate_on_breach)");
        rule.spec = spec_field(r, rw, def.spec, true);
        def.rules.push_back(std::move(rule));
      }
    }
    impl->clocks.emplace(name, std::move(def));
  }
  if (auto tiers = j.find("tiers"); tiers != j.end()) {
    if (!tiers->is_object()) bad("policy.tiers", "expected an object of tier name -> {multiplier, calendar}");
    for (const auto& [name, t] : tiers->items()) {
      const std::string where = "policy.tiers." + name;
      if (!t.is_object()) bad(where, "expected {\"multiplier\": ..., \"calendar\": ...}");
      TierDef def;
      check_keys(t, where, {"multiplier", "calendar", "description"});
      if (auto it = t.find("multiplier"); it != t.end()) {
        if (!it->is_number()) bad(where + ".multiplier", "expected a number");
        def.multiplier = it->get<double>();
        if (!(def.multiplier > 0 && def.multiplier <= 100)) bad(where + ".multiplier", "must be in (0, 100]");
      }
      if (auto it = t.find("calendar"); it != t.end()) {
        def.calendar = string_field(*it, where + ".calendar");
        (void)impl->calendar_named(def.calendar, where + ".calendar");
      }
      impl->tiers.emplace(name, def);
    }
  }
  Policy p;
  p.impl_ = std::move(impl);
  return p;
}

Policy Policy::from_file(const std::string& path, const Calendar& default_calendar,
                         const std::map<std::string, Calendar>& calendars) {
  return detail::parse_file(path, "policy",
                            [&](const std::string& text) { return from_json(text, default_calendar, calendars); });
}

std::vector<std::string> Policy::clock_names() const {
  std::vector<std::string> names;
  if (!impl_) return names;
  for (const auto& [name, _] : impl_->clocks) names.push_back(name);
  return names;
}

bool Policy::has_clock(std::string_view clock) const { return impl_ && impl_->clocks.find(clock) != impl_->clocks.end(); }

std::vector<std::string> Policy::condition_fields() const {
  std::vector<std::string> out;
  if (!impl_) return out;
  for (const auto& [_, def] : impl_->clocks)
    for (const Rule& r : def.rules)
      for (const auto& [attr, values] : r.when.terms)
        if (!is_builtin_attribute(attr) && std::find(out.begin(), out.end(), attr) == out.end()) out.push_back(attr);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Policy::due_fields() const {
  std::vector<std::string> names;
  if (impl_)
    for (const auto& [name, _] : impl_->clocks) names.push_back(name);
  return due_fields(names);
}

std::vector<std::string> Policy::due_fields(const std::vector<std::string>& clocks) const {
  std::vector<std::string> out;
  if (!impl_) return out;
  auto add = [&](const Spec& s) {
    if (s.kind == TargetKind::instant && s.field != kEndOfBusinessDay && std::find(out.begin(), out.end(), s.field) == out.end())
      out.push_back(s.field);
  };
  for (const std::string& name : clocks) {
    auto it = impl_->clocks.find(name);
    if (it == impl_->clocks.end()) continue;
    add(it->second.spec);
    for (const Rule& r : it->second.rules) add(r.spec);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<double>& Policy::default_warnings() const {
  static const std::vector<double> defaults{0.5, 0.75, 0.9};
  return impl_ ? impl_->warnings : defaults;
}

bool Policy::is_goal(std::string_view clock) const {
  if (!impl_) return false;
  auto it = impl_->clocks.find(clock);
  return it != impl_->clocks.end() && it->second.goal;
}

const Calendar& Policy::business_calendar(std::string_view clock, std::string_view tier) const {
  if (!impl_) throw Error(Errc::invalid_state, "empty policy");
  auto it = impl_->clocks.find(clock);
  if (it == impl_->clocks.end()) throw Error(Errc::not_found, fmt::format("policy has no clock '{}'", clock));
  return impl_->tier_or(tier, it->second.calendar);
}

const Calendar& Policy::tier_calendar(std::string_view tier) const {
  if (!impl_) throw Error(Errc::invalid_state, "empty policy");
  return impl_->tier_or(tier, {});
}

Target Policy::target(std::string_view clock, const CaseAttributes& a) const {
  if (!impl_) throw Error(Errc::invalid_state, "empty policy");
  auto it = impl_->clocks.find(clock);
  if (it == impl_->clocks.end()) throw Error(Errc::not_found, fmt::format("policy has no clock '{}'", clock));
  const ClockDef& def = it->second;
  const Spec* spec = &def.spec;
  std::string rule = fmt::format("{}: default", clock);
  for (const Rule& r : def.rules) {
    if (!r.when.matches(a)) continue;
    spec = &r.spec;
    rule = fmt::format("{}: {} ->", clock, r.when.text);
    break;
  }
  Target t;
  t.clock = std::string(clock);
  t.kind = spec->kind;
  t.escalate_to = spec->escalate_to;
  t.warnings = def.has_warnings ? def.warnings : impl_->warnings;
  if (t.kind == TargetKind::instant) {
    t.due_field = spec->field;
    t.due_offset = spec->offset;
    t.rule = rule + (spec->field == kEndOfBusinessDay ? std::string(" instant end of business day") : fmt::format(" instant data.{}", spec->field));
    if (spec->offset.count_seconds() != 0) t.rule += (spec->offset.count_seconds() > 0 ? "+" : "") + format_duration(spec->offset);
    t.calendar = impl_->calendar_named("24x7", "policy");
    return t;
  }
  t.duration = spec->target;
  rule += fmt::format(" {}{}", format_duration(spec->target), t.kind == TargetKind::elapsed ? " elapsed" : "");
  std::string calendar = t.kind == TargetKind::elapsed ? "24x7" : def.calendar.empty() ? impl_->calendar : def.calendar;
  bool tier_calendar = false;
  if (!a.tier.empty()) {
    if (auto tier = impl_->tiers.find(a.tier); tier != impl_->tiers.end()) {
      if (tier->second.multiplier != 1.0) {
        double scaled = std::round(static_cast<double>(t.duration.count_seconds()) * tier->second.multiplier);
        t.duration = Duration::seconds(std::max<int64_t>(1, static_cast<int64_t>(scaled)));
        rule += fmt::format("; tier {} x{} -> {}", a.tier, tier->second.multiplier, format_duration(t.duration));
      }
      if (!tier->second.calendar.empty() && t.kind == TargetKind::business) {
        calendar = tier->second.calendar;
        tier_calendar = true;
        rule += fmt::format("; tier {} counts on calendar {}", a.tier, calendar);
      }
    }
  }
  t.calendar = impl_->calendar_named(calendar, "policy");
  if (calendar != "default" && !tier_calendar && t.kind == TargetKind::business) rule += fmt::format(" [calendar {}]", calendar);
  t.rule = std::move(rule);
  return t;
}

}  // namespace crmkit::sla
