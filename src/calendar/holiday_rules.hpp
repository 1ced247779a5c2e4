// Private: recurring holidays (crmkit/calendar.hpp HolidayRule) — validation, JSON, and the
// expansion of rules into dates year by year with Boost.Date_Time's generators.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "crmkit/calendar.hpp"

namespace crmkit::detail {

/// Rules are expanded over the supported years (crmkit/time.hpp: 1900-01-01 .. 2499-12-31).
inline constexpr int32_t kFirstRuleYear = 1900, kLastRuleYear = 2499;
/// The longest name of a rule or an explicit holiday, in bytes.
inline constexpr size_t kMaxHolidayNameBytes = 200;

/// Whether a name is valid UTF-8 (what every JSON output of it needs).
bool valid_utf8(const std::string& text);

/// Error(invalid_argument) naming `field` (e.g. "calendar.rules[2]") for a rule that cannot be
/// generated: a bad month, day, weekday, nth, offset, days, year range or observance, or a name
/// that is empty, longer than kMaxHolidayNameBytes or not UTF-8.
void validate_rule(const HolidayRule& rule, const std::string& field);

/// The rule with the fields its kind does not use at their defaults (so that equal rules
/// compare equal and JSON round trips are exact).
HolidayRule canonical_rule(HolidayRule rule);

/// One generated day: days since 1970-01-01 and the index of the rule that made it.
struct RuleDay {
  int64_t day;
  uint32_t rule;
};

/// The days the rules make for the years [first_year, last_year] (a day may fall just outside
/// those years: an observed day, an offset), sorted by day; duplicates (two rules on one day)
/// are kept, the first rule first. The rules must be valid.
std::vector<RuleDay> expand_rules(const std::vector<HolidayRule>& rules, int32_t first_year, int32_t last_year);

HolidayRule rule_from_json(const nlohmann::json& j, const std::string& field);
nlohmann::json rule_to_json(const HolidayRule& rule);

}  // namespace crmkit::detail
