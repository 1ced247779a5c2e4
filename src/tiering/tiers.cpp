// Customer tiers: individual thresholds with hysteresis, enterprise grades, pyramid, A/B/C.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "crmkit/tiering.hpp"
#include "common/checks.hpp"
#include "common/files.hpp"
#include "common/money_errors.hpp"

namespace crmkit::tiering {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(Errc::invalid_argument, fmt::format("{}: {}", where, what));
}

double number(const json& j, const std::string& where, double lo, double hi) {
  if (!j.is_number() || !std::isfinite(j.get<double>()) || j.get<double>() < lo || j.get<double>() > hi)
    bad(where, fmt::format("expected a number in [{}, {}]", lo, hi));
  return j.get<double>();
}

std::vector<double> bands(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() != 5) bad(where, "expected 5 descending revenue lower bounds (bands 1..5)");
  std::vector<double> b;
  for (size_t i = 0; i < 5; ++i) {
    b.push_back(number(j[i], fmt::format("{}[{}]", where, i), 0, 1e15));
    if (i > 0 && !(b[i] < b[i - 1])) bad(fmt::format("{}[{}]", where, i), "bounds must be descending");
  }
  return b;
}

int rank_of(const Config& c, std::string_view tier) {
  for (size_t i = 0; i < c.individual.size(); ++i)
    if (c.individual[i].tier == tier) return static_cast<int>(i);
  return -1;
}

std::string money(double v) { return fmt::format("{:.2f}", v); }

}  // namespace

Config Config::from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, "tiers config: malformed JSON");
  if (!j.is_object()) bad("tiers", "expected a JSON object");
  Config c;
  for (const auto& [key, v] : j.items()) {
    const std::string where = "tiers." + key;
    if (key == "individual") {
      if (!v.is_object()) bad(where, "expected an object");
      for (const auto& [k, x] : v.items()) {
        if (k == "window_months") c.window_months = static_cast<int>(number(x, where + ".window_months", 1, kMaxWindowMonths));
        else if (k == "downgrade_after") c.downgrade_after = static_cast<int>(number(x, where + ".downgrade_after", 1, kMaxDowngradeAfter));
        else if (k == "thresholds") {
          if (!x.is_array() || x.empty()) bad(where + ".thresholds", "expected a non-empty array, highest tier first");
          c.individual.clear();
          for (size_t i = 0; i < x.size(); ++i) {
            const std::string w = fmt::format("{}.thresholds[{}]", where, i);
            if (!x[i].is_object() || !x[i].contains("tier") || !x[i]["tier"].is_string())
              bad(w, "expected {\"tier\": ..., \"min_monthly_spend\": ...}");
            TierThreshold t{x[i]["tier"].get<std::string>(), number(x[i].value("min_monthly_spend", json(0)), w + ".min_monthly_spend", 0, 1e12)};
            if (t.tier.empty() || rank_of(c, t.tier) >= 0) bad(w + ".tier", "empty or duplicate tier");
            if (!c.individual.empty() && !(t.min_monthly_spend < c.individual.back().min_monthly_spend))
              bad(w + ".min_monthly_spend", "thresholds must be descending");
            c.individual.push_back(std::move(t));
          }
          if (c.individual.back().min_monthly_spend != 0) bad(where + ".thresholds", "the last (base) tier must have min_monthly_spend 0");
        } else if (k != "description") bad(where + "." + k, "unknown field");
      }
    } else if (key == "enterprise") {
      if (!v.is_object()) bad(where, "expected {\"A\": [...], \"B\": [...]}");
      for (const auto& [k, x] : v.items()) {
        if (k == "A") c.enterprise_a = bands(x, where + ".A");
        else if (k == "B") c.enterprise_b = bands(x, where + ".B");
        else if (k != "description") bad(where + "." + k, "unknown account class (A or B)");
      }
      if (c.enterprise_a.back() != 0 || c.enterprise_b.back() != 0) bad(where, "band 5 must start at 0");
    } else if (key == "pyramid") {
      if (!v.is_array() || v.size() < 2) bad(where, "expected at least two levels");
      c.pyramid.clear();
      double total = 0;
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string w = fmt::format("{}[{}]", where, i);
        if (!v[i].is_object() || !v[i].contains("level") || !v[i]["level"].is_string()) bad(w, "expected {\"level\": ..., \"share\": ...}");
        double share = number(v[i].value("share", json(0)), w + ".share", 0, 1);
        total += share;
        c.pyramid.emplace_back(v[i]["level"].get<std::string>(), share);
      }
      if (std::fabs(total - 1) > 1e-6) bad(where, fmt::format("shares must sum to 1, got {}", total));
    } else if (key == "abc") {
      if (!v.is_object()) bad(where, "expected {\"a\": 0.7, \"b\": 0.2}");
      c.abc_a_share = number(v.value("a", json(0.7)), where + ".a", 0, 1);
      c.abc_b_share = number(v.value("b", json(0.2)), where + ".b", 0, 1);
      if (c.abc_a_share + c.abc_b_share > 1) bad(where, "a + b must be <= 1");
    } else if (key == "schema") {  // the document format version (docs/schemas/tiers.schema.json)
      if (!v.is_number_integer() || v.get<int64_t>() != 1) bad(where, "expected 1");
    } else if (key != "description") {
      bad(where, "unknown field");
    }
  }
  c.validate();
  return c;
}

void Config::validate() const {
  if (window_months < 1 || window_months > kMaxWindowMonths)
    bad("tiers.individual.window_months", fmt::format("expected 1..{}, got {}", kMaxWindowMonths, window_months));
  if (downgrade_after < 1 || downgrade_after > kMaxDowngradeAfter)
    bad("tiers.individual.downgrade_after", fmt::format("expected 1..{}, got {}", kMaxDowngradeAfter, downgrade_after));
  if (individual.empty()) bad("tiers.individual.thresholds", "expected at least one tier");
  for (size_t i = 0; i < individual.size(); ++i) {
    const std::string w = fmt::format("tiers.individual.thresholds[{}]", i);
    if (individual[i].tier.empty()) bad(w + ".tier", "empty tier name");
    if (!std::isfinite(individual[i].min_monthly_spend) || individual[i].min_monthly_spend < 0)
      bad(w + ".min_monthly_spend", "expected a finite number >= 0");
    if (i > 0 && !(individual[i].min_monthly_spend < individual[i - 1].min_monthly_spend))
      bad(w + ".min_monthly_spend", "thresholds must be descending");
    for (size_t j = 0; j < i; ++j)
      if (individual[j].tier == individual[i].tier) bad(w + ".tier", "duplicate tier");
  }
  if (individual.back().min_monthly_spend != 0) bad("tiers.individual.thresholds", "the last (base) tier must have min_monthly_spend 0");
  for (auto [b, where] : {std::pair{&enterprise_a, "tiers.enterprise.A"}, std::pair{&enterprise_b, "tiers.enterprise.B"}}) {
    if (b->size() != 5) bad(where, "expected 5 descending revenue lower bounds (bands 1..5)");
    for (size_t i = 0; i < 5; ++i) {
      if (!std::isfinite((*b)[i]) || (*b)[i] < 0) bad(fmt::format("{}[{}]", where, i), "expected a finite number >= 0");
      if (i > 0 && !((*b)[i] < (*b)[i - 1])) bad(fmt::format("{}[{}]", where, i), "bounds must be descending");
    }
    if (b->back() != 0) bad(where, "band 5 must start at 0");
  }
  if (pyramid.size() < 2) bad("tiers.pyramid", "expected at least two levels");
  double total = 0;
  for (size_t i = 0; i < pyramid.size(); ++i) {
    if (pyramid[i].first.empty()) bad(fmt::format("tiers.pyramid[{}].level", i), "empty level name");
    if (!(pyramid[i].second >= 0 && pyramid[i].second <= 1)) bad(fmt::format("tiers.pyramid[{}].share", i), "expected a share in [0, 1]");
    total += pyramid[i].second;
  }
  if (std::fabs(total - 1) > 1e-6) bad("tiers.pyramid", fmt::format("shares must sum to 1, got {}", total));
  if (!(abc_a_share >= 0 && abc_b_share >= 0 && abc_a_share + abc_b_share <= 1 + 1e-12))
    bad("tiers.abc", "a and b must be >= 0 with a + b <= 1");
}

Config Config::from_file(const std::string& path) {
  return detail::parse_file(path, "tiers config", [](const std::string& text) { return from_json(text); });
}

Grade individual_tier(double spend, const Config& c) {
  c.validate();
  detail::require_finite(spend, detail::Sign::nonnegative, "average monthly spend");
  for (const auto& t : c.individual)
    if (spend >= t.min_monthly_spend)
      return {t.tier, t.min_monthly_spend > 0
                          ? fmt::format("avg monthly spend {} over {} months >= {} ({})", money(spend), c.window_months,
                                        money(t.min_monthly_spend), t.tier)
                          : fmt::format("avg monthly spend {} over {} months below every threshold ({})", money(spend),
                                        c.window_months, t.tier)};
  return {c.individual.back().tier, "base tier"};
}

Rerating rerate(const Grade& qualified, std::string_view previous, int periods_below, const Config& c) {
  c.validate();
  Rerating r;
  r.previous = std::string(previous);
  if (periods_below > kMaxPeriodsBelow)  // the counter + 1 below must not overflow
    throw Error(Errc::invalid_argument,
                fmt::format("periods_below {} is above the maximum of {}", periods_below, kMaxPeriodsBelow));
  periods_below = std::max(periods_below, 0);
  const int now = rank_of(c, qualified.tier), before = rank_of(c, previous);
  if (now < 0) throw Error(Errc::invalid_argument, fmt::format("tier '{}' is not one of the configured tiers", qualified.tier));
  if (before < 0) {
    r.tier = qualified.tier;
    r.change = "new";
    r.reason = previous.empty() ? qualified.reason : fmt::format("{}; previous tier '{}' unknown: rated as new", qualified.reason, previous);
    return r;
  }
  if (now < before) {  // a better tier (rank 0 is the highest): upgrade at once
    r.tier = qualified.tier;
    r.change = "upgrade";
    r.reason = qualified.reason + "; upgraded from " + std::string(previous);
  } else if (now == before) {
    r.tier = qualified.tier;
    r.change = "same";
    r.reason = qualified.reason;
  } else if (periods_below + 1 >= c.downgrade_after) {
    r.tier = qualified.tier;
    r.change = "downgrade";
    r.reason = fmt::format("{}; below {} for {} consecutive periods: downgraded", qualified.reason, previous, periods_below + 1);
  } else {
    r.tier = std::string(previous);
    r.change = "held";
    r.periods_below = periods_below + 1;
    r.reason = fmt::format("{}; kept {}: {} of {} periods below before a downgrade", qualified.reason, previous, r.periods_below,
                           c.downgrade_after);
  }
  return r;
}

Grade enterprise_grade(char account_class, double revenue, const Config& c) {
  c.validate();
  if (account_class != 'A' && account_class != 'B')
    throw Error(Errc::invalid_argument, fmt::format("account class must be A or B, got '{}'", account_class));
  detail::require_finite(revenue, detail::Sign::nonnegative, "annual revenue");
  const auto& b = account_class == 'A' ? c.enterprise_a : c.enterprise_b;
  for (size_t i = 0; i < b.size(); ++i)
    if (revenue >= b[i])
      return {fmt::format("{}{}", i + 1, account_class),
              fmt::format("class {} ({}), annual revenue {} >= {} (band {})", account_class,
                          account_class == 'A' ? "key account" : "commercial account", money(revenue), money(b[i]), i + 1)};
  return {fmt::format("5{}", account_class), "lowest band"};
}

namespace {
/// Customers ranked by value, best first; equal values stay in input order (for a stable output).
std::vector<size_t> ranked(std::span<const double> values, const char* what) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) crmkit::detail::throw_not_finite(values[i], crmkit::detail::Sign::any, fmt::format("{} {}", what, i));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
  return order;
}
}  // namespace

std::vector<Grade> pyramid(std::span<const double> values, const Config& c) {
  c.validate();
  const size_t n = values.size();
  const auto order = ranked(values, "value");
  std::vector<Grade> out(n);
  double cumulative = 0;
  size_t level = 0, above = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    if (k > 0 && values[i] != values[order[k - 1]]) above = k;  // customers with a strictly larger value
    // The level whose cumulative share of customers contains the position `above` (so that equal
    // values share a level: a tie straddling an edge goes up with its first member).
    while (level + 1 < c.pyramid.size() &&
           static_cast<double>(above) >= (cumulative + c.pyramid[level].second) * static_cast<double>(n) - 1e-9) {
      cumulative += c.pyramid[level].second;
      ++level;
    }
    out[i] = {c.pyramid[level].first, fmt::format("rank {} of {} by value ({}: top {:.0f}%-{:.0f}%)", above + 1, n,
                                                  c.pyramid[level].first, cumulative * 100,
                                                  (cumulative + c.pyramid[level].second) * 100)};
  }
  return out;
}

std::vector<Grade> abc_by_clv(std::span<const double> clv, const Config& c) {
  c.validate();
  const size_t n = clv.size();
  const auto order = ranked(clv, "CLV");
  double total = 0;
  for (double v : clv) total += std::max(0.0, v);
  std::vector<Grade> out(n);
  double running = 0, before = 0;  // CLV of the customers ranked above / strictly above this one
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    if (k == 0 || clv[i] != clv[order[k - 1]]) before = running;  // equal CLVs share a class
    const double share = total > 0 ? before / total : 1.0;
    const char* cls = share < c.abc_a_share ? "A" : share < c.abc_a_share + c.abc_b_share ? "B" : "C";
    out[i] = {cls, fmt::format("CLV {} with {:.1f}% of total CLV ranked above ({}: below {:.0f}%)", money(clv[i]), share * 100, cls,
                               (std::string_view(cls) == "A"   ? c.abc_a_share
                                : std::string_view(cls) == "B" ? c.abc_a_share + c.abc_b_share
                                                               : 1.0) *
                                   100)};
    running += std::max(0.0, clv[i]);
  }
  return out;
}

namespace {
/// Splits one CSV record (RFC 4180 double quotes; "" inside quotes is a quote).
void split_csv(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') field += '"', ++i;
      else if (ch == '"') quoted = false;
      else field += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(std::move(field));
      field.clear();
    } else {
      field += ch;
    }
  }
  out.push_back(std::move(field));
}
}  // namespace

History History::from_csv(std::string_view text) {
  History h;
  size_t pos = 0, line_no = 0;
  int col_tier = -1, col_below = -1, col_id = -1;
  std::unordered_map<std::string, size_t> seen;
  std::vector<std::string> f;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    split_csv(line, f);
    if (col_id < 0) {
      for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "customer_id" || f[i] == "id") col_id = static_cast<int>(i);
        else if (f[i] == "tier") col_tier = static_cast<int>(i);
        else if (f[i] == "periods_below") col_below = static_cast<int>(i);
      }
      if (col_id < 0 || col_tier < 0) throw Error(Errc::parse, fmt::format("history line {}: header needs customer_id and tier", line_no));
      continue;
    }
    if (static_cast<int>(f.size()) <= std::max({col_id, col_tier, col_below}))
      throw Error(Errc::parse, fmt::format("history line {}: too few fields", line_no));
    if (f[col_id].empty()) throw Error(Errc::parse, fmt::format("history line {}: empty customer_id", line_no));
    int below = 0;
    if (col_below >= 0 && !f[col_below].empty()) {
      const std::string& v = f[col_below];
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), below);
      if (ec != std::errc() || p != v.data() + v.size())
        throw Error(Errc::parse, fmt::format("history line {}: periods_below '{}' is not a whole number", line_no, v));
      if (below < 0 || below > kMaxPeriodsBelow)
        throw Error(Errc::parse, fmt::format("history line {}: periods_below {} not in 0..{}", line_no, below, kMaxPeriodsBelow));
    }
    if (auto [it, fresh] = seen.emplace(f[col_id], line_no); !fresh)
      throw Error(Errc::parse, fmt::format("history line {}: customer {} already on line {}", line_no, f[col_id], it->second));
    h.customer_ids.push_back(f[col_id]);
    h.tiers.push_back(f[col_tier]);
    h.periods_below.push_back(below);
  }
  return h;
}

std::vector<TierRow> individual_tiers(const value::TransactionLog& log, CivilDate asof, const Config& c, const History* history) {
  c.validate();
  // The window: whole calendar months ending on the as-of date, e.g. 12 months to 1998-06-30 start 1997-07-01.
  int y = asof.year, m = asof.month - c.window_months + 1;
  while (m < 1) m += 12, --y;
  const int64_t first = CivilDate{y, m, 1}.days_since_epoch(), last = asof.days_since_epoch();
  const size_t k_count = log.customer_count();
  // Spend is summed exactly in minor units (crmkit/money.hpp), so tiers do not depend on row order.
  std::vector<int64_t> spend(k_count, 0);
  std::vector<uint8_t> seen(k_count, 0);
  for (size_t i = 0; i < log.size(); ++i) {
    const uint32_t k = log.customer[i];
    if (k >= k_count) throw Error(Errc::invalid_argument, fmt::format("transaction {}: customer index {} >= {}", i, k, k_count));
    if (!money::admissible(log.amount[i]))
      throw crmkit::detail::bad_amount(fmt::format("transaction {} (customer {})", i, log.customer_ids[k]), log.amount[i]);
    if (log.day[i] > last) continue;
    seen[k] = 1;
    if (log.day[i] >= first && !money::add(spend[k], money::to_minor(log.amount[i])))
      throw Error(Errc::limit, fmt::format("customer {}: total spend above {} (money::kMaxAmount)", log.customer_ids[k],
                                           money::kMaxAmount));
  }
  std::unordered_map<std::string_view, size_t> past;
  if (history) {
    if (history->tiers.size() != history->customer_ids.size() || history->periods_below.size() != history->customer_ids.size())
      throw Error(Errc::invalid_argument, "history: customer_ids, tiers and periods_below differ in length");
    for (size_t i = 0; i < history->customer_ids.size(); ++i) past.emplace(history->customer_ids[i], i);
  }
  std::vector<TierRow> rows;
  std::vector<uint8_t> rated(history ? history->customer_ids.size() : 0, 0);
  auto rate = [&](const std::string& id, int64_t total_minor) {
    TierRow row;
    row.customer_id = id;
    row.average_monthly_spend = money::average(total_minor, c.window_months);
    Grade g = individual_tier(row.average_monthly_spend, c);
    if (auto it = past.find(row.customer_id); it != past.end()) {
      rated[it->second] = 1;
      row.rating = rerate(g, history->tiers[it->second], history->periods_below[it->second], c);
    } else {
      row.rating = rerate(g, "", 0, c);
    }
    rows.push_back(std::move(row));
  };
  for (size_t k = 0; k < k_count; ++k)
    if (seen[k]) rate(log.customer_ids[k], spend[k]);
  // Graded customers without a purchase up to the as-of date keep being re-rated (spend 0), so
  // their downgrade counter advances instead of their grade silently disappearing.
  for (size_t i = 0; i < rated.size(); ++i)
    if (!rated[i]) rate(history->customer_ids[i], 0);
  return rows;
}

}  // namespace crmkit::tiering
