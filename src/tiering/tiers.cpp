// Customer tiers: individual thresholds with hysteresis, enterprise grades, pyramid, A/B/C.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "crmkit/error.hpp"
#include "crmkit/tiering.hpp"

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
        if (k == "window_months") c.window_months = static_cast<int>(number(x, where + ".window_months", 1, 120));
        else if (k == "downgrade_after") c.downgrade_after = static_cast<int>(number(x, where + ".downgrade_after", 1, 100));
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
    } else if (key != "description") {
      bad(where, "unknown field");
    }
  }
  return c;
}

Config Config::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::io, fmt::format("cannot read tiers config {}", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    return from_json(ss.str());
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", path, e.what()));
  }
}

Grade individual_tier(double spend, const Config& c) {
  if (!std::isfinite(spend) || spend < 0)
    throw Error(Errc::invalid_argument, fmt::format("average monthly spend must be finite and >= 0, got {}", spend));
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
  Rerating r;
  r.previous = std::string(previous);
  const int now = rank_of(c, qualified.tier), before = rank_of(c, previous);
  if (before < 0) {
    r.tier = qualified.tier;
    r.change = previous.empty() ? "new" : "new";
    r.reason = qualified.reason;
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
  if (account_class != 'A' && account_class != 'B')
    throw Error(Errc::invalid_argument, fmt::format("account class must be A or B, got '{}'", account_class));
  if (!std::isfinite(revenue) || revenue < 0)
    throw Error(Errc::invalid_argument, fmt::format("annual revenue must be finite and >= 0, got {}", revenue));
  const auto& b = account_class == 'A' ? c.enterprise_a : c.enterprise_b;
  for (size_t i = 0; i < b.size(); ++i)
    if (revenue >= b[i])
      return {fmt::format("{}{}", i + 1, account_class),
              fmt::format("class {} ({}), annual revenue {} >= {} (band {})", account_class,
                          account_class == 'A' ? "key account" : "commercial account", money(revenue), money(b[i]), i + 1)};
  return {fmt::format("5{}", account_class), "lowest band"};
}

std::vector<Grade> pyramid(std::span<const double> values, const Config& c) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(values[i])) throw Error(Errc::invalid_argument, fmt::format("value {} is not finite", i));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
  std::vector<Grade> out(n);
  double cumulative = 0;
  size_t level = 0, rank = 0;
  for (size_t i : order) {
    // The level whose cumulative share of customers contains this rank.
    while (level + 1 < c.pyramid.size() && static_cast<double>(rank) >= (cumulative + c.pyramid[level].second) * static_cast<double>(n) - 1e-9) {
      cumulative += c.pyramid[level].second;
      ++level;
    }
    out[i] = {c.pyramid[level].first, fmt::format("rank {} of {} by value ({}: top {:.0f}%-{:.0f}%)", rank + 1, n, c.pyramid[level].first,
                                                  cumulative * 100, (cumulative + c.pyramid[level].second) * 100)};
    ++rank;
  }
  return out;
}

std::vector<Grade> abc_by_clv(std::span<const double> clv, const Config& c) {
  const size_t n = clv.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(clv[i])) throw Error(Errc::invalid_argument, fmt::format("CLV {} is not finite", i));
    total += std::max(0.0, clv[i]);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return clv[a] > clv[b]; });
  std::vector<Grade> out(n);
  double before = 0;
  for (size_t i : order) {
    double share = total > 0 ? before / total : 1.0;
    const char* cls = share < c.abc_a_share ? "A" : share < c.abc_a_share + c.abc_b_share ? "B" : "C";
    out[i] = {cls, fmt::format("CLV {} with {:.1f}% of total CLV ranked above", money(clv[i]), share * 100)};
    before += std::max(0.0, clv[i]);
  }
  return out;
}

History History::from_csv(std::string_view text) {
  History h;
  size_t pos = 0, line_no = 0;
  int col_tier = -1, col_below = -1, col_id = -1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> f;
    for (size_t s = 0;;) {
      size_t c = line.find(',', s);
      f.push_back(line.substr(s, c == std::string_view::npos ? std::string_view::npos : c - s));
      if (c == std::string_view::npos) break;
      s = c + 1;
    }
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
    int below = 0;
    if (col_below >= 0 && !f[col_below].empty()) {
      try {
        below = std::stoi(std::string(f[col_below]));
      } catch (...) {
        throw Error(Errc::parse, fmt::format("history line {}: periods_below '{}' is not a number", line_no, f[col_below]));
      }
      if (below < 0 || below > 1000) throw Error(Errc::parse, fmt::format("history line {}: periods_below out of range", line_no));
    }
    h.customer_ids.emplace_back(f[col_id]);
    h.tiers.emplace_back(f[col_tier]);
    h.periods_below.push_back(below);
  }
  return h;
}

std::vector<TierRow> individual_tiers(const value::TransactionLog& log, CivilDate asof, const Config& c, const History* history) {
  // The window: whole calendar months ending on the as-of date, e.g. 12 months to 1998-06-30 start 1997-07-01.
  int y = asof.year, m = asof.month - c.window_months + 1;
  while (m < 1) m += 12, --y;
  const int64_t first = CivilDate{y, m, 1}.days_since_epoch(), last = asof.days_since_epoch();
  std::vector<double> spend(log.customer_count(), 0.0);
  std::vector<uint8_t> seen(log.customer_count(), 0);
  for (size_t i = 0; i < log.size(); ++i) {
    if (log.day[i] > last) continue;
    seen[log.customer[i]] = 1;
    if (log.day[i] >= first) spend[log.customer[i]] += log.amount[i];
  }
  std::unordered_map<std::string_view, size_t> past;
  if (history)
    for (size_t i = 0; i < history->customer_ids.size(); ++i) past[history->customer_ids[i]] = i;
  std::vector<TierRow> rows;
  for (size_t k = 0; k < log.customer_count(); ++k) {
    if (!seen[k]) continue;
    TierRow row;
    row.customer_id = log.customer_ids[k];
    row.average_monthly_spend = spend[k] / c.window_months;
    Grade g = individual_tier(row.average_monthly_spend, c);
    if (auto it = past.find(row.customer_id); history && it != past.end())
      row.rating = rerate(g, history->tiers[it->second], history->periods_below[it->second], c);
    else
      row.rating = rerate(g, "", 0, c);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace crmkit::tiering
