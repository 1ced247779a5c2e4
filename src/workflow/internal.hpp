// Internal structures of the workflow module.
#pragma once

#include <algorithm>
#include <array>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crmkit/workflow.hpp"

namespace crmkit::workflow {

inline constexpr size_t kMaxClocks = 16;
/// Engine snapshots of class version 4 and before hold 8 clocks per case and target set.
inline constexpr size_t kMaxClocksBeforeVersion5 = 8;
inline constexpr size_t kMaxStates = 250;
inline constexpr size_t kMaxRoles = 60;
inline constexpr uint8_t kNoState = 255;

// ---- the field table ----------------------------------------------------------------------
// One table says, for every field, how it is parsed, validated, stored in a record, written as
// JSON and masked: the built-in fields (codes 0..Field::count_ - 1, their Field values) below, the declared
// fields of a definition after them (code kFirstDeclaredCode + position in Definition::fields()).
// Codes are persisted: a new built-in field takes the next free code (the end of Field).

/// How a value is laid out in a record after its code byte (record_codec.hpp).
enum class Wire : uint8_t { text, byte, i64, f64 };

struct BuiltinField {
  const char* name;
  FieldType type;  ///< as shown (level and amount are numbers)
  Wire wire;
  bool free_text;  ///< free text: digit runs are masked when read masked
  size_t max_bytes;
};
inline constexpr BuiltinField kBuiltinFields[] = {
    {"channel", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"category", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"severity", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"customer", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"tier", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"description", FieldType::string, Wire::text, true, kMaxDescriptionBytes},
    {"department", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"owner", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"reason", FieldType::string, Wire::text, true, kMaxFieldBytes},
    {"resolution", FieldType::string, Wire::text, true, kMaxFieldBytes},
    {"outcome", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"manual", FieldType::boolean, Wire::byte, false, 0},
    {"level", FieldType::number, Wire::byte, false, 0},
    {"into", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"amount", FieldType::number, Wire::i64, false, 0},
    {"decision", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"note", FieldType::string, Wire::text, true, kMaxFieldBytes},
    // Not stored in records: the case keeps its workflow version (CaseRec::workflow).
    {"workflow", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"workflow_version", FieldType::number, Wire::i64, false, 0},
    {"remedy", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"to", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"result", FieldType::string, Wire::text, true, kMaxFieldBytes},
    {"cases", FieldType::list, Wire::text, false, kMaxEventJsonBytes},
    {"order", FieldType::string, Wire::text, false, kMaxFieldBytes},
    {"case", FieldType::string, Wire::text, false, kMaxFieldBytes},
};
static_assert(std::size(kBuiltinFields) == static_cast<size_t>(Field::count_));
inline constexpr const BuiltinField& builtin(Field f) { return kBuiltinFields[static_cast<size_t>(f)]; }
inline constexpr bool is_text(Field f) { return builtin(f).wire == Wire::text; }
/// The record code of the first declared field (codes up to it are reserved for built-ins).
inline constexpr uint8_t kFirstDeclaredCode = 64;
static_assert(kFirstDeclaredCode + kMaxDeclaredFields <= 255);
/// Names a declared field may not take: the built-in fields' and the audit trail's own entries.
inline constexpr const char* kReservedFieldNames[] = {"compensation", "attempts_exhausted", "automatic"};
inline Wire declared_wire(FieldType t) {
  return t == FieldType::number ? Wire::f64 : t == FieldType::boolean ? Wire::byte : Wire::text;
}

/// A transition compiled to indices.
struct CompiledTransition {
  uint16_t type = 0;                 ///< event type index
  uint64_t from_mask[4] = {0, 0, 0, 0};  ///< bit per state
  uint8_t to = kNoState;             ///< kNoState with stay
  bool stay = false;
  uint64_t roles_mask = 0;           ///< bit per role
  uint32_t required_mask = 0;        ///< bit per Field
  std::vector<uint8_t> required_declared;  ///< declared fields (positions) the event must give
  struct Cond {
    Field field;
    std::vector<std::string> values;
  };
  std::vector<Cond> when;
  struct Act {
    ClockAction::Op op;
    uint8_t clock;
  };
  std::vector<Act> clocks;
  Effect effect = Effect::none;
  uint8_t exhausted_to = kNoState;
  size_t index = 0;                  ///< position in the definition (for messages)

  bool from(uint8_t s) const { return (from_mask[s >> 6] >> (s & 63)) & 1u; }
  bool role_ok(uint8_t r) const { return (roles_mask >> r) & 1u; }
};

struct Definition::Impl {
  std::string name;
  int version = 1;
  int max_level = 3;
  std::vector<StateDef> states;
  std::vector<TransitionDef> transitions;
  std::vector<std::string> roles;
  std::vector<std::string> clocks;
  std::array<std::vector<std::string>, static_cast<size_t>(Field::count_)> values;
  std::vector<FieldDef> fields;              ///< declared, in name order
  std::vector<std::string> personal_roles;   ///< personal_data_roles
  /// Per event type: the declared fields (indexes) the case must hold once it is applied (empty
  /// when the definition requires none anywhere).
  std::vector<std::vector<uint8_t>> required_fields;
  /// The declared start and end of a visit window when a transition has effect appoint or
  /// reschedule (only those events set them), and who asked for a reschedule; else -1.
  int window_start = -1, window_end = -1, window_by = -1;
  /// The declared instant a transition with effect promise commits to (only those events set it); else -1.
  int promise_by = -1;
  /// Callback outcome value -> what it means (default: the four meanings' own names).
  std::vector<std::pair<std::string, CallbackMeaning>> outcomes;
  // compiled
  std::vector<std::string> types;                         ///< event type names
  std::vector<std::vector<uint16_t>> by_type;             ///< type -> transitions (in order)
  std::vector<CompiledTransition> compiled;
  uint16_t receive_type = 0;

  int state_index(std::string_view s) const {
    for (size_t i = 0; i < states.size(); ++i)
      if (states[i].name == s) return static_cast<int>(i);
    return -1;
  }
  int role_index(std::string_view r) const {
    for (size_t i = 0; i < roles.size(); ++i)
      if (roles[i] == r) return static_cast<int>(i);
    return -1;
  }
  int type_index(std::string_view t) const {
    for (size_t i = 0; i < types.size(); ++i)
      if (types[i] == t) return static_cast<int>(i);
    return -1;
  }
  /// Per event type: a bit (1 << Effect) for each effect its transitions have.
  std::vector<uint32_t> type_effects;
  /// Per clock slot: 1 when some transition opens it (ClockAction::open): closing the case leaves it running.
  std::vector<uint8_t> open_slots;
  /// Whether any transition of event type `type` has `effect`.
  bool type_has_effect(uint16_t type, Effect effect) const {
    return type < type_effects.size() && ((type_effects[type] >> static_cast<unsigned>(effect)) & 1u);
  }
  CallbackMeaning outcome_meaning(std::string_view v) const {
    for (const auto& [name, meaning] : outcomes)
      if (name == v) return meaning;
    return CallbackMeaning::none;
  }
  /// A declared field's position, or -1.
  int field_index(std::string_view name) const {
    auto it = std::lower_bound(fields.begin(), fields.end(), name, [](const FieldDef& f, std::string_view n) { return f.name < n; });
    return it != fields.end() && it->name == name ? static_cast<int>(it - fields.begin()) : -1;
  }
  /// How a record code is laid out; false for a code this definition does not have.
  bool wire_of(uint8_t code, Wire& out) const {
    if (code < static_cast<uint8_t>(Field::count_)) return out = kBuiltinFields[code].wire, true;
    if (code < kFirstDeclaredCode || static_cast<size_t>(code - kFirstDeclaredCode) >= fields.size()) return false;
    out = declared_wire(fields[code - kFirstDeclaredCode].type);
    return true;
  }
  bool personal_role(std::string_view role) const {
    return std::find(personal_roles.begin(), personal_roles.end(), role) != personal_roles.end();
  }
  int clock_index(std::string_view c) const {
    for (size_t i = 0; i < clocks.size(); ++i)
      if (clocks[i] == c) return static_cast<int>(i);
    return -1;
  }
};

/// Which configuration records and snapshots of a definition belong to: states, event types,
/// roles, clocks and declared fields (FNV-1a over their names; not the name or version).
uint64_t definition_fingerprint(const Definition::Impl& d);

/// Money as cents with 2 decimals: "150.00".
std::string format_cents(int64_t cents);

/// Small JSON writing helpers (strings escaped per RFC 8259).
void json_escape(std::string& out, std::string_view s);
inline void json_str(std::string& out, std::string_view s) {
  out.push_back('"');
  json_escape(out, s);
  out.push_back('"');
}
void json_instant(std::string& out, Instant t);
/// A finite double as its shortest JSON number that reads back to the same value.
std::string format_number(double v);
/// A list of case ids as canonical JSON text (["C-1","C-2"]).
std::string case_list_json(const std::vector<std::string>& ids);
/// An attribute's value as JSON.
void append_attribute_value(std::string& out, const Attribute& a);

}  // namespace crmkit::workflow
