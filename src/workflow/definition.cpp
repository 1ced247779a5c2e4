// Workflow definitions (JSON), their validation, and the policy's workflow rules.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <nlohmann/json.hpp>

#include "crmkit/error.hpp"
#include "workflow/internal.hpp"
#include "common/files.hpp"

namespace crmkit::workflow {

using json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what, Errc code = Errc::invalid_argument) {
  throw Error(code, fmt::format("{}: {}", where, what));
}

std::string str(const json& j, const std::string& where) {
  if (!j.is_string()) bad(where, "expected a string");
  std::string s = j.get<std::string>();
  if (s.empty()) bad(where, "must not be empty");
  return s;
}

std::vector<std::string> str_list(const json& j, const std::string& where) {
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(str(j, where));
    return out;
  }
  if (!j.is_array()) bad(where, "expected an array of strings");
  for (size_t i = 0; i < j.size(); ++i) out.push_back(str(j[i], fmt::format("{}[{}]", where, i)));
  return out;
}

constexpr const char* kKindNames[] = {"open", "waiting", "resolved", "closed", "review", "terminal"};
constexpr const char* kEffectNames[] = {"none",   "receive", "assign",     "escalate",
                                        "callback", "reopen", "merge", "compensate", "approve_compensation",
                                        "reclassify", "handover", "appoint", "reschedule", "visit", "not_at_home", "link", "broadcast",
                                        "promise"};
static_assert(std::size(kEffectNames) == static_cast<size_t>(Effect::promise) + 1);
constexpr const char* kOpNames[] = {"start", "pause", "resume", "stop", "restart", "open", "close"};
static_assert(std::size(kOpNames) == static_cast<size_t>(ClockAction::close) + 1);

/// Field names are identifiers: they are JSON keys of events and of the case.
bool identifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

uint8_t small_count(const json& v, const std::string& where) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 64) bad(where, "expected an integer 0..64");
  return static_cast<uint8_t>(v.get<int64_t>());
}

FieldDef parse_field(const std::string& name, const json& f, const std::string& where) {
  if (!identifier(name)) bad(where, "a field name is 1..64 letters, digits or '_'");
  if (field_from_name(name)) bad(where, fmt::format("'{}' is a built-in field", name), Errc::conflict);
  for (const char* r : kReservedFieldNames)
    if (name == r) bad(where, fmt::format("'{}' is reserved", name), Errc::conflict);
  if (!f.is_object()) bad(where, "expected an object {\"type\": ...}");
  for (const auto& [key, _] : f.items())
    if (key != "type" && key != "values" && key != "personal" && key != "mask" && key != "required_at" && key != "label" &&
        key != "description" && key != "group_by")
      bad(fmt::format("{}.{}", where, key), "unknown key (expected type, values, personal, mask, required_at, label, description, group_by)");
  FieldDef fd;
  fd.name = name;
  if (!f.contains("type")) bad(where + ".type", "missing");
  const std::string type = str(f["type"], where + ".type");
  static constexpr FieldType kTypes[] = {FieldType::string, FieldType::number, FieldType::instant, FieldType::boolean,
                                         FieldType::enumeration};
  bool known = false;
  for (FieldType t : kTypes)
    if (type == field_type_name(t)) fd.type = t, known = true;
  if (!known) bad(where + ".type", fmt::format("unknown type '{}' (string, number, instant, boolean, enum)", type));
  if (auto it = f.find("values"); it != f.end()) {
    if (fd.type != FieldType::enumeration) bad(where + ".values", "only an enum field lists values");
    fd.values = str_list(*it, where + ".values");
  }
  if (fd.type == FieldType::enumeration && fd.values.empty()) bad(where + ".values", "an enum field lists at least one value");
  if (auto it = f.find("personal"); it != f.end()) {
    if (!it->is_boolean()) bad(where + ".personal", "expected true or false");
    fd.personal = it->get<bool>();
    if (fd.personal && fd.type != FieldType::string) bad(where + ".personal", "only a string field can be personal");
  }
  if (auto it = f.find("mask"); it != f.end()) {
    if (!fd.personal) bad(where + ".mask", "only a personal field is masked");
    if (!it->is_object()) bad(where + ".mask", "expected {\"keep_first\": n, \"keep_last\": n}");
    for (const auto& [key, v] : it->items()) {
      if (key == "keep_first") fd.mask.keep_first = small_count(v, where + ".mask.keep_first");
      else if (key == "keep_last") fd.mask.keep_last = small_count(v, where + ".mask.keep_last");
      else bad(fmt::format("{}.mask.{}", where, key), "unknown key (expected keep_first, keep_last)");
    }
  }
  if (auto it = f.find("required_at"); it != f.end()) fd.required_at = str_list(*it, where + ".required_at");
  if (auto it = f.find("label"); it != f.end()) fd.label = str(*it, where + ".label");
  if (auto it = f.find("group_by"); it != f.end()) {
    if (!it->is_boolean()) bad(where + ".group_by", "expected true or false");
    fd.group_by = it->get<bool>();
    if (fd.group_by && fd.type != FieldType::string && fd.type != FieldType::enumeration)
      bad(where + ".group_by", "only a string or enum field groups the KPI report");
    if (fd.group_by && fd.personal) bad(where + ".group_by", "a personal field does not group a report");
  }
  return fd;
}

void parse_fields(const json& j, Definition::Impl& d) {
  if (!j.is_object()) bad("workflow.fields", "expected an object {name: {\"type\": ...}}");
  if (j.size() > kMaxDeclaredFields) bad("workflow.fields", fmt::format("at most {} fields", kMaxDeclaredFields), Errc::limit);
  for (const auto& [name, f] : j.items()) d.fields.push_back(parse_field(name, f, "workflow.fields." + name));
  // nlohmann's objects iterate in key order already; sorted here too because the position is the record code.
  std::sort(d.fields.begin(), d.fields.end(), [](const FieldDef& a, const FieldDef& b) { return a.name < b.name; });
}

/// required_at names event types: compiled to per-type lists once the transitions are known.
void compile_required_fields(Definition::Impl& d) {
  d.required_fields.clear();  // stays empty when no field is required anywhere: apply skips the check
  if (std::none_of(d.fields.begin(), d.fields.end(), [](const FieldDef& f) { return !f.required_at.empty(); })) return;
  d.required_fields.assign(d.types.size(), {});
  for (size_t i = 0; i < d.fields.size(); ++i)
    for (size_t k = 0; k < d.fields[i].required_at.size(); ++k) {
      const int type = d.type_index(d.fields[i].required_at[k]);
      if (type < 0)
        bad(fmt::format("workflow.fields.{}.required_at[{}]", d.fields[i].name, k),
            fmt::format("unknown event type '{}'", d.fields[i].required_at[k]), Errc::not_found);
      d.required_fields[static_cast<size_t>(type)].push_back(static_cast<uint8_t>(i));
    }
}

}  // namespace

const char* state_kind_name(StateKind k) noexcept { return kKindNames[static_cast<int>(k)]; }
namespace {
constexpr const char* kRemedyNames[kRemedyCount] = {"money", "repair", "replace", "redo", "non_property"};
}
const char* remedy_name(Remedy r) noexcept {
  const auto i = static_cast<size_t>(r);
  return i < kRemedyCount ? kRemedyNames[i] : "?";
}
std::optional<Remedy> remedy_from_name(std::string_view name) noexcept {
  for (size_t i = 0; i < kRemedyCount; ++i)
    if (name == kRemedyNames[i]) return static_cast<Remedy>(i);
  return std::nullopt;
}

const char* effect_name(Effect e) noexcept { return kEffectNames[static_cast<int>(e)]; }
const char* field_name(Field f) noexcept { return f < Field::count_ ? builtin(f).name : "?"; }
std::optional<Field> field_from_name(std::string_view name) noexcept {
  for (size_t i = 0; i < static_cast<size_t>(Field::count_); ++i)
    if (name == kBuiltinFields[i].name) return static_cast<Field>(i);
  return std::nullopt;
}
const char* field_type_name(FieldType t) noexcept {
  switch (t) {
    case FieldType::string: return "string";
    case FieldType::number: return "number";
    case FieldType::instant: return "instant";
    case FieldType::boolean: return "boolean";
    case FieldType::list: return "list";
    default: return "enum";
  }
}
const char* clock_op_name(ClockAction::Op op) noexcept { return kOpNames[static_cast<int>(op)]; }

Definition Definition::from_file(const std::string& path) { return from_json(detail::read_file(path, "workflow")); }

namespace {
/// The fields an effect works on must be there: an appointment's window (declared instants start
/// and end, given by the event), a reschedule's who and why, the other case a link names.
void check_effect_fields(const Definition::Impl& d, const TransitionDef& td, const CompiledTransition& ct, const std::string& where) {
  const char* effect = kEffectNames[static_cast<size_t>(td.effect)];
  auto needs_declared = [&](const char* name, FieldType type) {
    const int f = d.field_index(name);
    if (f < 0 || d.fields[static_cast<size_t>(f)].type != type ||
        std::find(td.required_declared.begin(), td.required_declared.end(), name) == td.required_declared.end())
      bad(where + ".required", fmt::format("a transition with effect \"{}\" requires data.{}, a declared {} field", effect, name,
                                           field_type_name(type)));
  };
  auto needs_builtin = [&](Field f) {
    if (!(ct.required_mask & (1u << static_cast<unsigned>(f))))
      bad(where + ".required", fmt::format("a transition with effect \"{}\" requires data.{}", effect, field_name(f)));
  };
  switch (td.effect) {
    case Effect::appoint:
      needs_declared("start", FieldType::instant);
      needs_declared("end", FieldType::instant);
      break;
    case Effect::reschedule:
      needs_declared("start", FieldType::instant);
      needs_declared("end", FieldType::instant);
      needs_declared("by", FieldType::enumeration);
      needs_builtin(Field::reason);
      break;
    case Effect::promise:
      needs_declared("by", FieldType::instant);
      break;
    case Effect::link: {
      const uint32_t partner = (1u << static_cast<unsigned>(Field::order)) | (1u << static_cast<unsigned>(Field::case_ref));
      if (!(ct.required_mask & partner))
        bad(where + ".required", "a transition with effect \"link\" requires data.order (a case of this workflow) or data.case (of another)");
      if (td.stay == false) bad(where + ".stay", "a link records the other case: it does not change the state (\"stay\": true)");
      break;
    }
    default: break;
  }
}
}  // namespace

Definition Definition::from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, "workflow: malformed JSON");
  if (!j.is_object()) bad("workflow", "expected a JSON object");
  static constexpr std::string_view kKeys[] = {"name", "version", "description", "max_escalation_level", "callback_outcomes", "roles", "clocks",
                                               "values", "states", "transitions", "fields", "personal_data_roles"};
  for (const auto& [key, value] : j.items()) {
    if (key == "schema") {  // the document format version (docs/schemas/workflow.schema.json)
      if (!value.is_number_integer() || value.get<int64_t>() != 1) bad("workflow.schema", "expected 1");
      continue;
    }
    if (!key.empty() && key[0] == '_') continue;  // "_comment" and the like
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
      bad("workflow." + key, "unknown key (expected name, version, description, max_escalation_level, callback_outcomes, roles, clocks, values, "
                             "states, transitions, fields, personal_data_roles)");
  }
  auto d = std::make_shared<Impl>();
  d->name = j.contains("name") ? str(j["name"], "workflow.name") : "workflow";
  if (auto it = j.find("version"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxWorkflowVersion)
      bad("workflow.version", fmt::format("expected an integer 1..{}", kMaxWorkflowVersion));
    d->version = it->get<int>();
  }

  if (auto it = j.find("max_escalation_level"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > sla::kMaxEscalationLevel)
      bad("workflow.max_escalation_level", fmt::format("expected an integer 0..{}", sla::kMaxEscalationLevel));
    d->max_level = it->get<int>();
  }

  // roles
  if (!j.contains("roles")) bad("workflow.roles", "missing");
  d->roles = str_list(j["roles"], "workflow.roles");
  if (d->roles.empty()) bad("workflow.roles", "at least one role is needed");
  if (d->roles.size() > kMaxRoles) bad("workflow.roles", fmt::format("at most {} roles", kMaxRoles), Errc::limit);
  for (size_t i = 0; i < d->roles.size(); ++i)
    for (size_t k = 0; k < i; ++k)
      if (d->roles[i] == d->roles[k]) bad(fmt::format("workflow.roles[{}]", i), fmt::format("duplicate role '{}'", d->roles[i]), Errc::conflict);

  // clocks
  if (j.contains("clocks")) d->clocks = str_list(j["clocks"], "workflow.clocks");
  if (d->clocks.size() > kMaxClocks) bad("workflow.clocks", fmt::format("at most {} clocks", kMaxClocks), Errc::limit);
  for (size_t i = 0; i < d->clocks.size(); ++i)
    for (size_t k = 0; k < i; ++k)
      if (d->clocks[i] == d->clocks[k]) bad(fmt::format("workflow.clocks[{}]", i), fmt::format("duplicate clock '{}'", d->clocks[i]), Errc::conflict);

  // enumerations
  if (auto it = j.find("values"); it != j.end()) {
    if (!it->is_object()) bad("workflow.values", "expected an object");
    for (const auto& [key, val] : it->items()) {
      auto f = field_from_name(key);
      if (!f) bad(fmt::format("workflow.values.{}", key), "unknown field", Errc::not_found);
      d->values[static_cast<size_t>(*f)] = str_list(val, fmt::format("workflow.values.{}", key));
    }
  }

  if (auto it = j.find("fields"); it != j.end()) parse_fields(*it, *d);
  if (auto it = j.find("personal_data_roles"); it != j.end()) {
    d->personal_roles = str_list(*it, "workflow.personal_data_roles");
    for (size_t i = 0; i < d->personal_roles.size(); ++i)
      if (d->role_index(d->personal_roles[i]) < 0)
        bad(fmt::format("workflow.personal_data_roles[{}]", i), fmt::format("unknown role '{}'", d->personal_roles[i]), Errc::not_found);
  }

  // callback outcomes: value -> meaning
  static constexpr CallbackMeaning kMeanings[] = {CallbackMeaning::very_satisfied, CallbackMeaning::satisfied,
                                                  CallbackMeaning::unsatisfied, CallbackMeaning::unreachable};
  if (auto it = j.find("callback_outcomes"); it != j.end()) {
    if (!it->is_object() || it->empty()) bad("workflow.callback_outcomes", "expected a non-empty object of outcome -> meaning");
    for (const auto& [key, val] : it->items()) {
      const std::string where = fmt::format("workflow.callback_outcomes.{}", key);
      const std::string meaning = str(val, where);
      CallbackMeaning m = CallbackMeaning::none;
      for (CallbackMeaning k : kMeanings)
        if (meaning == callback_meaning_name(k)) m = k;
      if (m == CallbackMeaning::none)
        bad(where, fmt::format("unknown meaning '{}' (very_satisfied, satisfied, unsatisfied or unreachable)", meaning));
      d->outcomes.emplace_back(key, m);
    }
  } else {
    for (CallbackMeaning k : kMeanings) d->outcomes.emplace_back(callback_meaning_name(k), k);
  }

  // states
  if (!j.contains("states") || !j["states"].is_array() || j["states"].empty()) bad("workflow.states", "expected a non-empty array");
  const json& states = j["states"];
  if (states.size() > kMaxStates) bad("workflow.states", fmt::format("at most {} states", kMaxStates), Errc::limit);
  for (size_t i = 0; i < states.size(); ++i) {
    const std::string where = fmt::format("workflow.states[{}]", i);
    const json& s = states[i];
    if (!s.is_object()) bad(where, "expected an object");
    StateDef sd;
    if (!s.contains("name")) bad(where + ".name", "missing");
    sd.name = str(s["name"], where + ".name");
    if (d->state_index(sd.name) >= 0) bad(where + ".name", fmt::format("duplicate state '{}'", sd.name), Errc::conflict);
    std::string kind = s.contains("kind") ? str(s["kind"], where + ".kind") : "open";
    bool found = false;
    for (int k = 0; k < 6; ++k)
      if (kind == kKindNames[k]) sd.kind = static_cast<StateKind>(k), found = true;
    if (!found) bad(where + ".kind", fmt::format("unknown kind '{}' (open, waiting, resolved, closed, review, terminal)", kind));
    if (s.contains("label")) sd.label = str(s["label"], where + ".label");
    d->states.push_back(std::move(sd));
  }

  // transitions
  if (!j.contains("transitions") || !j["transitions"].is_array() || j["transitions"].empty())
    bad("workflow.transitions", "expected a non-empty array");
  const json& ts = j["transitions"];
  int receive_count = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const std::string where = fmt::format("workflow.transitions[{}]", i);
    const json& t = ts[i];
    if (!t.is_object()) bad(where, "expected an object");
    for (const auto& [key, _] : t.items())
      if (key != "event" && key != "from" && key != "to" && key != "stay" && key != "roles" && key != "required" &&
          key != "when" && key != "clocks" && key != "effect" && key != "on_attempts_exhausted" && key != "description")
        bad(fmt::format("{}.{}", where, key), "unknown key");
    TransitionDef td;
    CompiledTransition ct;
    ct.index = i;
    if (!t.contains("event")) bad(where + ".event", "missing");
    td.event = str(t["event"], where + ".event");
    if (t.contains("effect")) {
      std::string e = str(t["effect"], where + ".effect");
      bool found = false;
      for (int k = 0; k < static_cast<int>(std::size(kEffectNames)); ++k)
        if (e == kEffectNames[k]) td.effect = static_cast<Effect>(k), found = true;
      if (!found) bad(where + ".effect", fmt::format("unknown effect '{}'", e), Errc::not_found);
    }
    ct.effect = td.effect;
    if (t.contains("from")) td.from = str_list(t["from"], where + ".from");
    for (size_t k = 0; k < td.from.size(); ++k) {
      int s = d->state_index(td.from[k]);
      if (s < 0) bad(fmt::format("{}.from[{}]", where, k), fmt::format("unknown state '{}'", td.from[k]), Errc::not_found);
      ct.from_mask[s >> 6] |= uint64_t{1} << (s & 63);
    }
    if (td.effect == Effect::receive) {
      ++receive_count;
      if (!td.from.empty()) bad(where + ".from", "a receive transition creates the case: it has no from-states");
    } else if (td.from.empty()) {
      bad(where + ".from", "missing: a transition applies in at least one state (only a receive transition has none)");
    }
    if (t.contains("stay")) {
      if (!t["stay"].is_boolean()) bad(where + ".stay", "expected true or false");
      td.stay = t["stay"].get<bool>();
    }
    if (t.contains("to")) {
      if (t["to"].is_null()) bad(where + ".to", "a transition to nowhere (null); use \"stay\": true to keep the state");
      td.to = str(t["to"], where + ".to");
      int s = d->state_index(td.to);
      if (s < 0) bad(where + ".to", fmt::format("a transition to nowhere: unknown state '{}'", td.to), Errc::not_found);
      if (td.stay) bad(where, "both \"to\" and \"stay\"");
      ct.to = static_cast<uint8_t>(s);
    } else if (!td.stay) {
      bad(where + ".to", "missing: a transition to nowhere (give \"to\" or \"stay\": true)");
    }
    if (td.stay && td.effect == Effect::receive) bad(where + ".stay", "a receive transition needs a \"to\" state");
    ct.stay = td.stay;
    if (!t.contains("roles")) bad(where + ".roles", "missing");
    td.roles = str_list(t["roles"], where + ".roles");
    if (td.roles.empty()) bad(where + ".roles", "at least one role");
    for (size_t k = 0; k < td.roles.size(); ++k) {
      int r = d->role_index(td.roles[k]);
      if (r < 0) bad(fmt::format("{}.roles[{}]", where, k), fmt::format("unknown role '{}'", td.roles[k]), Errc::not_found);
      ct.roles_mask |= uint64_t{1} << r;
    }
    if (t.contains("required")) {
      auto req = str_list(t["required"], where + ".required");
      for (size_t k = 0; k < req.size(); ++k) {
        auto f = field_from_name(req[k]);
        if (f) {
          td.required.push_back(*f);
          ct.required_mask |= 1u << static_cast<unsigned>(*f);
          continue;
        }
        // A declared field: this event itself must give it.
        const int declared = d->field_index(req[k]);
        if (declared < 0)
          bad(fmt::format("{}.required[{}]", where, k), fmt::format("unknown field '{}' (neither built in nor declared)", req[k]),
              Errc::not_found);
        td.required_declared.push_back(req[k]);
        ct.required_declared.push_back(static_cast<uint8_t>(declared));
      }
    }
    if (t.contains("when")) {
      if (!t["when"].is_object()) bad(where + ".when", "expected an object {field: [values]}");
      for (const auto& [key, val] : t["when"].items()) {
        auto f = field_from_name(key);
        if (!f) bad(fmt::format("{}.when.{}", where, key), "unknown field", Errc::not_found);
        std::vector<std::string> vals;
        if (*f == Field::manual) {
          // A boolean condition: true for a manual callback, false for an automatic one (absent).
          if (!val.is_array()) bad(fmt::format("{}.when.manual", where), "expected [true] or [false]");
          for (const auto& v : val) {
            if (!v.is_boolean()) bad(fmt::format("{}.when.manual", where), "expected [true] or [false]");
            vals.push_back(v.get<bool>() ? "true" : "false");
          }
        } else {
          if (!is_text(*f)) bad(fmt::format("{}.when.{}", where, key), "conditions apply to text fields and manual only");
          vals = str_list(val, fmt::format("{}.when.{}", where, key));
        }
        if (vals.empty()) bad(fmt::format("{}.when.{}", where, key), "at least one value");
        td.when.emplace_back(*f, vals);
        ct.when.push_back({*f, std::move(vals)});
      }
    }
    if (t.contains("clocks")) {
      const json& c = t["clocks"];
      if (!c.is_object()) bad(where + ".clocks", "expected an object {\"start\": [clocks], ...}");
      for (const auto& [op, names] : c.items()) {
        int o = -1;
        for (int k = 0; k < static_cast<int>(std::size(kOpNames)); ++k)
          if (op == kOpNames[k]) o = k;
        if (o < 0) bad(fmt::format("{}.clocks.{}", where, op), "unknown clock action (start, pause, resume, stop, restart, open, close)");
        auto list = str_list(names, fmt::format("{}.clocks.{}", where, op));
        for (size_t k = 0; k < list.size(); ++k) {
          int ci = d->clock_index(list[k]);
          if (ci < 0)
            bad(fmt::format("{}.clocks.{}[{}]", where, op, k), fmt::format("unknown clock '{}' (declare it in workflow.clocks)", list[k]),
                Errc::not_found);
          td.clocks.push_back({static_cast<ClockAction::Op>(o), list[k]});
          ct.clocks.push_back({static_cast<ClockAction::Op>(o), static_cast<uint8_t>(ci)});
        }
      }
      // Deterministic order regardless of key order in the file: stop and close, pause, resume, restart and open, start.
      auto rank = [](ClockAction::Op op) {
        switch (op) {
          case ClockAction::stop:
          case ClockAction::close: return 0;
          case ClockAction::pause: return 1;
          case ClockAction::resume: return 2;
          case ClockAction::restart:
          case ClockAction::open: return 3;
          default: return 4;
        }
      };
      std::stable_sort(ct.clocks.begin(), ct.clocks.end(), [&](const auto& a, const auto& b) { return rank(a.op) < rank(b.op); });
      std::stable_sort(td.clocks.begin(), td.clocks.end(), [&](const auto& a, const auto& b) { return rank(a.op) < rank(b.op); });
    }
    if (t.contains("on_attempts_exhausted")) {
      if (td.effect != Effect::callback) bad(where + ".on_attempts_exhausted", "only for a transition with effect \"callback\"");
      td.on_attempts_exhausted = str(t["on_attempts_exhausted"], where + ".on_attempts_exhausted");
      int s = d->state_index(td.on_attempts_exhausted);
      if (s < 0)
        bad(where + ".on_attempts_exhausted", fmt::format("a transition to nowhere: unknown state '{}'", td.on_attempts_exhausted),
            Errc::not_found);
      ct.exhausted_to = static_cast<uint8_t>(s);
    }
    check_effect_fields(*d, td, ct, where);
    int type = d->type_index(td.event);
    if (type < 0) {
      if (d->types.size() >= 65535) bad(where, "too many event types", Errc::limit);
      type = static_cast<int>(d->types.size());
      d->types.push_back(td.event);
      d->by_type.emplace_back();
    }
    ct.type = static_cast<uint16_t>(type);
    if (td.effect == Effect::receive) d->receive_type = ct.type;
    d->by_type[type].push_back(static_cast<uint16_t>(d->compiled.size()));
    d->compiled.push_back(std::move(ct));
    d->transitions.push_back(std::move(td));
  }
  compile_required_fields(*d);
  d->type_effects.assign(d->types.size(), 0);
  d->open_slots.assign(d->clocks.size(), 0);
  for (const CompiledTransition& ct : d->compiled) {
    for (const auto& act : ct.clocks)
      if (act.op == ClockAction::open) d->open_slots[act.clock] = 1;
    d->type_effects[ct.type] |= 1u << static_cast<unsigned>(ct.effect);
    if (ct.effect == Effect::appoint || ct.effect == Effect::reschedule) d->window_start = d->field_index("start"), d->window_end = d->field_index("end");
    if (ct.effect == Effect::reschedule) d->window_by = d->field_index("by");
    if (ct.effect == Effect::promise) d->promise_by = d->field_index("by");
  }
  if (receive_count == 0) bad("workflow.transitions", "no transition with \"effect\": \"receive\" creates cases");
  if (receive_count > 1) bad("workflow.transitions", "more than one receive transition", Errc::conflict);
  for (const auto& ct : d->compiled)
    if (ct.effect != Effect::receive && ct.type == d->receive_type)
      bad(fmt::format("workflow.transitions[{}].event", ct.index), "the receive event type cannot have other transitions", Errc::conflict);

  // Reachability from the receive transition's state.
  std::vector<char> reached(d->states.size(), 0);
  std::deque<int> queue;
  for (const auto& ct : d->compiled)
    if (ct.effect == Effect::receive) reached[ct.to] = 1, queue.push_back(ct.to);
  while (!queue.empty()) {
    int s = queue.front();
    queue.pop_front();
    for (const auto& ct : d->compiled) {
      if (ct.effect == Effect::receive || !ct.from(static_cast<uint8_t>(s))) continue;
      for (uint8_t to : {ct.to, ct.exhausted_to})
        if (to != kNoState && !reached[to]) reached[to] = 1, queue.push_back(to);
    }
  }
  for (size_t i = 0; i < d->states.size(); ++i)
    if (!reached[i])
      bad(fmt::format("workflow.states[{}]", i), fmt::format("state '{}' is unreachable: no transition leads to it from receipt", d->states[i].name));

  Definition def;
  def.impl_ = std::move(d);
  return def;
}

uint64_t definition_fingerprint(const Definition::Impl& d) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the names
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xFF) * 1099511628211ull;
  };
  for (const auto& s : d.states) mix(s.name);
  for (const auto& t : d.types) mix(t);
  for (const auto& r : d.roles) mix(r);
  for (const auto& c : d.clocks) mix(c);
  // The declared fields' names and types give the record codes their meaning. (Only when there
  // are any: a workflow without declared fields keeps the fingerprint of crmkit 0.2.)
  for (const auto& f : d.fields) {
    mix(f.name);
    mix(field_type_name(f.type));
  }
  return h;
}

const std::string& Definition::name() const { return impl_->name; }
int Definition::version() const { return impl_->version; }
const std::vector<StateDef>& Definition::states() const { return impl_->states; }
const std::vector<TransitionDef>& Definition::transitions() const { return impl_->transitions; }
const std::vector<std::string>& Definition::roles() const { return impl_->roles; }
const std::vector<std::string>& Definition::clocks() const { return impl_->clocks; }
int Definition::max_escalation_level() const { return impl_->max_level; }
CallbackMeaning Definition::callback_meaning(std::string_view outcome) const { return impl_->outcome_meaning(outcome); }
const std::vector<FieldDef>& Definition::fields() const { return impl_->fields; }
const FieldDef* Definition::field(std::string_view name) const {
  const int i = impl_->field_index(name);
  return i < 0 ? nullptr : &impl_->fields[static_cast<size_t>(i)];
}
const std::vector<std::string>& Definition::personal_data_roles() const { return impl_->personal_roles; }

const char* callback_meaning_name(CallbackMeaning m) noexcept {
  switch (m) {
    case CallbackMeaning::very_satisfied: return "very_satisfied";
    case CallbackMeaning::satisfied: return "satisfied";
    case CallbackMeaning::unsatisfied: return "unsatisfied";
    case CallbackMeaning::unreachable: return "unreachable";
    default: return "none";
  }
}
const std::vector<std::string>& Definition::values(Field f) const {
  static const std::vector<std::string> empty;
  return f < Field::count_ ? impl_->values[static_cast<size_t>(f)] : empty;
}

// ---- policy rules ------------------------------------------------------------------------

namespace {
int64_t money_cents(const json& v, const std::string& where) {
  if (!v.is_number()) bad(where, "expected an amount (number) or null");
  double d = v.get<double>();
  if (!std::isfinite(d) || d < 0 || d > 1e13) bad(where, "amount out of range");
  return static_cast<int64_t>(std::llround(d * 100.0));
}
}  // namespace

Rules Rules::from_file(const std::string& path) { return from_json(detail::read_file(path, "policy")); }

Rules Rules::from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, "policy: malformed JSON");
  if (!j.is_object()) bad("policy", "expected a JSON object");
  Rules r;
  static constexpr std::string_view kPolicyKeys[] = {"description", "warnings", "calendar", "clocks", "tiers",
                                                     "compensation_limits", "compensation", "callback", "reopen_window_days",
                                                     "first_contact", "crisis", "kpi_targets"};
  for (const auto& [key, value] : j.items()) {
    if (key == "schema") {  // the document format version (docs/schemas/policy.schema.json)
      if (!value.is_number_integer() || value.get<int64_t>() != 1) bad("policy.schema", "expected 1");
      continue;
    }
    if (!key.empty() && key[0] == '_') continue;  // "_comment" and the like, as in a workflow
    if (std::find(std::begin(kPolicyKeys), std::end(kPolicyKeys), key) == std::end(kPolicyKeys))
      bad("policy." + key, "unknown key (expected description, warnings, calendar, clocks, tiers, compensation_limits, compensation, "
                           "callback, reopen_window_days, first_contact, crisis, kpi_targets)");
  }
  if (auto it = j.find("compensation_limits"); it != j.end()) {
    if (!it->is_object()) bad("policy.compensation_limits", "expected an object {role: amount or null}");
    for (const auto& [role, v] : it->items()) {
      std::string where = "policy.compensation_limits." + role;
      if (v.is_null()) r.compensation_limits.emplace_back(role, std::nullopt);
      else r.compensation_limits.emplace_back(role, money_cents(v, where));
    }
  }
  if (auto it = j.find("compensation"); it != j.end()) {
    if (!it->is_object()) bad("policy.compensation", "expected {\"over_limit\": \"pending\" | \"refuse\", \"remedies\": {remedy: [roles]}}");
    for (const auto& [key, v] : it->items()) {
      if (key == "over_limit") {
        if (v == "pending") r.compensation_over_limit = Rules::OverLimit::pending;
        else if (v == "refuse") r.compensation_over_limit = Rules::OverLimit::refuse;
        else bad("policy.compensation.over_limit", "expected \"pending\" or \"refuse\"");
      } else if (key == "remedies") {
        if (!v.is_object()) bad("policy.compensation.remedies", "expected an object {remedy: [roles]}");
        for (const auto& [name, roles] : v.items()) {
          const auto remedy = remedy_from_name(name);
          if (!remedy) bad("policy.compensation.remedies." + name, "unknown remedy (expected money, repair, replace, redo, non_property)");
          r.remedy_roles.emplace_back(*remedy, str_list(roles, "policy.compensation.remedies." + name));
        }
      } else if (key != "description") {
        bad("policy.compensation." + key, "unknown key (expected over_limit, remedies, description)");
      }
    }
  }
  if (auto it = j.find("callback"); it != j.end()) {
    if (!it->is_object()) bad("policy.callback", "expected an object");
    for (const auto& [key, _] : it->items())
      if (key != "max_attempts" && key != "manual_tiers" && key != "manual_tiers_mode" && key != "description")
        bad("policy.callback." + key, "unknown key (expected max_attempts, manual_tiers, manual_tiers_mode, description)");
    if (auto m = it->find("manual_tiers_mode"); m != it->end()) {
      if (*m == "required") r.manual_tiers_mode = Rules::ManualTiers::required;
      else if (*m == "preferred") r.manual_tiers_mode = Rules::ManualTiers::preferred;
      else bad("policy.callback.manual_tiers_mode", "expected \"required\" or \"preferred\"");
    }
    if (auto m = it->find("max_attempts"); m != it->end()) {
      if (!m->is_number_integer() || m->get<int64_t>() < 1 || m->get<int64_t>() > 100)
        bad("policy.callback.max_attempts", "expected an integer 1..100");
      r.callback_max_attempts = m->get<int>();
    }
    if (auto m = it->find("manual_tiers"); m != it->end()) r.manual_callback_tiers = str_list(*m, "policy.callback.manual_tiers");
  }
  if (auto it = j.find("reopen_window_days"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 3650)
      bad("policy.reopen_window_days", "expected an integer 0..3650");
    r.reopen_window_days = it->get<int>();
  }
  if (auto it = j.find("first_contact"); it != j.end()) {
    if (!it->is_object()) bad("policy.first_contact", "expected {\"mode\": \"enforce\" | \"record\" | \"off\", \"override_role\": role, \"events\": [types]}");
    for (const auto& [key, v] : it->items()) {
      if (key == "mode") {
        if (v == "enforce") r.first_contact.mode = Rules::FirstContact::Mode::enforce;
        else if (v == "record") r.first_contact.mode = Rules::FirstContact::Mode::record;
        else if (v == "off") r.first_contact.mode = Rules::FirstContact::Mode::off;
        else bad("policy.first_contact.mode", "expected \"enforce\", \"record\" or \"off\"");
      } else if (key == "override_role") {
        if (!v.is_string()) bad("policy.first_contact.override_role", "expected a role name");
        r.first_contact.override_role = v.get<std::string>();
      } else if (key == "events") {
        r.first_contact.events = str_list(v, "policy.first_contact.events");
        r.first_contact.events_given = true;
      } else if (key != "description") {
        bad("policy.first_contact." + key, "unknown key (expected mode, override_role, events, description)");
      }
    }
  }
  if (auto it = j.find("crisis"); it != j.end()) {
    if (!it->is_object()) bad("policy.crisis", "expected {\"severity\": [...], \"escalate_to\": level, \"start\": [clocks]}");
    for (const auto& [key, _] : it->items())
      if (key != "severity" && key != "escalate_to" && key != "start" && key != "description")
        bad("policy.crisis." + key, "unknown key (expected severity, escalate_to, start, description)");
    auto severity = it->find("severity");
    if (severity == it->end()) bad("policy.crisis.severity", "missing: the severities that make a case a crisis");
    r.crisis.severities = str_list(*severity, "policy.crisis.severity");
    if (r.crisis.severities.empty()) bad("policy.crisis.severity", "expected at least one severity");
    if (auto e = it->find("escalate_to"); e != it->end() && !e->is_null()) {
      if (!e->is_number_integer() || e->get<int64_t>() < 0 || e->get<int64_t>() > sla::kMaxEscalationLevel)
        bad("policy.crisis.escalate_to", fmt::format("expected an escalation level 0..{} or null", sla::kMaxEscalationLevel));
      r.crisis.escalate_to = e->get<int>();
    }
    if (auto st = it->find("start"); st != it->end()) r.crisis.start = str_list(*st, "policy.crisis.start");
  }
  if (auto it = j.find("kpi_targets"); it != j.end()) {
    if (!it->is_object()) bad("policy.kpi_targets", "expected an object {measure: \">0.95\" | \">=1\" | \"maximise\" | \"minimise\"}");
    kpi::Targets known;
    for (const auto& [name, v] : it->items()) {
      const std::string where = "policy.kpi_targets." + name;
      if (name == "description") continue;
      if (!known.find(name)) bad(where, "unknown measure");
      if (!v.is_string()) bad(where, "expected \">0.95\", \">=1\", \"maximise\" or \"minimise\"");
      r.kpi_targets.emplace_back(name, kpi::Target::parse(v.get<std::string>(), where));
    }
  }
  return r;
}

}  // namespace crmkit::workflow
