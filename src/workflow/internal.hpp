// Internal structures of the workflow module.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crmkit/workflow.hpp"

namespace crmkit::workflow {

inline constexpr size_t kMaxClocks = 8;
inline constexpr size_t kMaxStates = 250;
inline constexpr size_t kMaxRoles = 60;
inline constexpr uint8_t kNoState = 255;

/// A transition compiled to indices.
struct CompiledTransition {
  uint16_t type = 0;                 ///< event type index
  uint64_t from_mask[4] = {0, 0, 0, 0};  ///< bit per state
  uint8_t to = kNoState;             ///< kNoState with stay
  bool stay = false;
  uint64_t roles_mask = 0;           ///< bit per role
  uint32_t required_mask = 0;        ///< bit per Field
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
  int max_level = 3;
  std::vector<StateDef> states;
  std::vector<TransitionDef> transitions;
  std::vector<std::string> roles;
  std::vector<std::string> clocks;
  std::array<std::vector<std::string>, static_cast<size_t>(Field::count_)> values;
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
  CallbackMeaning outcome_meaning(std::string_view v) const {
    for (const auto& [name, meaning] : outcomes)
      if (name == v) return meaning;
    return CallbackMeaning::none;
  }
  int clock_index(std::string_view c) const {
    for (size_t i = 0; i < clocks.size(); ++i)
      if (clocks[i] == c) return static_cast<int>(i);
    return -1;
  }
};

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

}  // namespace crmkit::workflow
