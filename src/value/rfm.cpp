// RFM scoring: one aggregation pass; quintile thresholds by counting (whole numbers) or a
// histogram of the top key bits followed by selection in the few buckets that hold them.
#include "crmkit/rfm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <climits>
#include <cstring>
#include <cmath>
#include <nlohmann/json.hpp>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "common/files.hpp"
#include "common/money_errors.hpp"
#include "common/parallel.hpp"
#include "value/log_reader.hpp"

namespace crmkit::rfm {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(Errc::invalid_argument, fmt::format("{}: {}", where, what));
}

std::array<double, 4> cuts_field(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() != 4) bad(where, "expected 4 ascending cut points");
  std::array<double, 4> c{};
  for (size_t i = 0; i < 4; ++i) {
    if (!j[i].is_number() || !std::isfinite(j[i].get<double>())) bad(fmt::format("{}[{}]", where, i), "expected a number");
    c[i] = j[i].get<double>();
    if (i > 0 && !(c[i] > c[i - 1])) bad(fmt::format("{}[{}]", where, i), "cut points must be ascending");
  }
  return c;
}

std::array<uint8_t, 2> range_field(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number_integer() || !j[1].is_number_integer())
    bad(where, "expected [low, high] scores");
  int lo = j[0].get<int>(), hi = j[1].get<int>();
  if (lo < 1 || hi > 5 || lo > hi) bad(where, "scores must satisfy 1 <= low <= high <= 5");
  return {static_cast<uint8_t>(lo), static_cast<uint8_t>(hi)};
}

/// Quintile scores are score = 1 + #{k : v > threshold_k}, with threshold_k the ceil(k·N/5)-th
/// smallest value (k = 1..4): the same as 1 + floor(5·L/N) with L = #values strictly below v.
/// The 0-based position of threshold_k in sorted order:
size_t threshold_rank(int k, size_t n) { return (static_cast<size_t>(k) * n + 4) / 5 - 1; }

/// The thresholds by selection (nth_element): the median split first, then each half, so that
/// every element is partitioned about twice, not four times. `values` is reordered.
std::array<double, 4> select_thresholds(double* b, size_t n) {
  std::array<double, 4> t{};
  auto pos = [&](int k) { return static_cast<std::ptrdiff_t>(threshold_rank(k, n)); };
  double* e = b + n;
  // (Equal positions, for n < 5, need no further work: that element is already in place.)
  std::nth_element(b, b + pos(2), e);
  if (pos(1) < pos(2)) std::nth_element(b, b + pos(1), b + pos(2));
  if (pos(3) > pos(2)) std::nth_element(b + pos(2) + 1, b + pos(3), e);
  if (pos(4) > pos(3)) std::nth_element(b + pos(3) + 1, b + pos(4), e);
  for (int k = 1; k <= 4; ++k) t[k - 1] = b[pos(k)];
  return t;
}

/// The same thresholds for whole numbers in a small range, by counting (O(n + range)).
bool integer_thresholds(const double* values, size_t n, std::array<double, 4>& t) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; ++i)  // first: fractional amounts leave at once
    if (values[i] != std::floor(values[i])) return false;
  auto [lo_it, hi_it] = std::minmax_element(values, values + n);
  const double lo = *lo_it, hi = *hi_it;
  if (!(hi - lo <= 4'000'000)) return false;  // also for infinite values (an overflowing total)
  std::vector<uint32_t> count(static_cast<size_t>(hi - lo) + 1, 0);
  for (size_t i = 0; i < n; ++i) ++count[static_cast<size_t>(values[i] - lo)];
  size_t seen = 0;
  int k = 1;
  for (size_t b = 0; b < count.size() && k <= 4; ++b) {
    seen += count[b];
    while (k <= 4 && seen > threshold_rank(k, n)) t[k++ - 1] = lo + static_cast<double>(b);
  }
  return true;
}

/// An unsigned key with the order of the doubles (no NaN here; -0 sorts before +0, which compare
/// equal as doubles, so a threshold found by key is still the right value).
inline uint64_t order_key(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return (u >> 63) ? ~u : u | (uint64_t{1} << 63);
}

/// The thresholds of arbitrary doubles: a histogram of the top 16 key bits finds the bucket of
/// each threshold rank; only those buckets' elements are then selected from (two passes over the
/// data instead of the several of nth_element over everything).
std::array<double, 4> thresholds(const double* v, size_t n, std::vector<double>& scratch) {
  std::array<double, 4> t{};
  if (n == 0) return t;
  if (integer_thresholds(v, n, t)) return t;
  if (n < 4096) {
    scratch.assign(v, v + n);
    return select_thresholds(scratch.data(), n);
  }
  std::vector<uint32_t> hist(1 << 16, 0);
  for (size_t i = 0; i < n; ++i) ++hist[order_key(v[i]) >> 48];
  // For each threshold: its bucket and its rank inside the bucket.
  std::array<uint32_t, 4> bucket{};
  std::array<size_t, 4> inner{};
  {
    size_t below = 0;
    int k = 1;
    for (uint32_t b = 0; b < hist.size() && k <= 4; ++b) {
      while (k <= 4 && below + hist[b] > threshold_rank(k, n)) {
        bucket[k - 1] = b;
        inner[k - 1] = threshold_rank(k, n) - below;
        ++k;
      }
      below += hist[b];
    }
  }
  for (int k = 0; k < 4; ++k) {
    if (k > 0 && bucket[k] == bucket[k - 1]) {  // same bucket as the previous threshold: reuse it
      std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(inner[k]), scratch.end());
      t[k] = scratch[inner[k]];
      continue;
    }
    scratch.clear();
    scratch.reserve(hist[bucket[k]]);
    for (size_t i = 0; i < n; ++i)
      if ((order_key(v[i]) >> 48) == bucket[k]) scratch.push_back(v[i]);
    std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(inner[k]), scratch.end());
    t[k] = scratch[inner[k]];
  }
  return t;
}

uint8_t score_by(const std::array<double, 4>& thresholds, double v) {
  uint8_t s = 1;
  for (double t : thresholds) s += v > t;
  return s;
}

}  // namespace

const std::vector<SegmentRule>& default_segments() {
  // The usual R × F grid (rfm.hpp), with its lowest cell split off as "lost". The rules do not
  // overlap except lost / hibernating, where lost comes first.
  static const std::vector<SegmentRule> map = {
      {"champions", {5, 5}, {4, 5}, {1, 5}},      {"loyal", {3, 4}, {4, 5}, {1, 5}},
      {"potential_loyalist", {4, 5}, {2, 3}, {1, 5}}, {"new", {5, 5}, {1, 1}, {1, 5}},
      {"promising", {4, 4}, {1, 1}, {1, 5}},      {"need_attention", {3, 3}, {3, 3}, {1, 5}},
      {"about_to_sleep", {3, 3}, {1, 2}, {1, 5}}, {"at_risk", {1, 2}, {3, 4}, {1, 5}},
      {"cant_lose", {1, 2}, {5, 5}, {1, 5}},      {"lost", {1, 1}, {1, 1}, {1, 5}},
      {"hibernating", {1, 2}, {1, 2}, {1, 5}},
  };
  return map;
}

const std::vector<SegmentRule>& Config::segment_map() const { return segments.empty() ? default_segments() : segments; }

std::vector<std::string> segment_names(const Config& config) {
  std::vector<std::string> names;
  for (const auto& s : config.segment_map()) names.push_back(s.name);
  names.push_back(config.fallback_segment);
  return names;
}

Config Config::from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Errc::parse, "rfm config: malformed JSON");
  if (!j.is_object()) bad("rfm", "expected a JSON object");
  Config c;
  for (const auto& [key, v] : j.items()) {
    const std::string where = "rfm." + key;
    if (key == "scoring") {
      if (v == "quintiles") c.scoring = Scoring::quintiles;
      else if (v == "cut_points") c.scoring = Scoring::cut_points;
      else bad(where, "expected \"quintiles\" or \"cut_points\"");
    } else if (key == "monetary") {
      if (v == "total") c.monetary = Monetary::total;
      else if (v == "average") c.monetary = Monetary::average;
      else bad(where, "expected \"total\" or \"average\"");
    } else if (key == "window_days") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 36600) bad(where, "expected 0..36600 days");
      c.window_days = v.get<int>();
    } else if (key == "cuts") {
      if (!v.is_object()) bad(where, "expected {\"recency\": [...], \"frequency\": [...], \"monetary\": [...]}");
      for (const auto& [dim, cuts] : v.items()) {
        if (dim == "recency") c.recency_cuts = cuts_field(cuts, where + ".recency");
        else if (dim == "frequency") c.frequency_cuts = cuts_field(cuts, where + ".frequency");
        else if (dim == "monetary") c.monetary_cuts = cuts_field(cuts, where + ".monetary");
        else bad(where + "." + dim, "unknown dimension");
      }
    } else if (key == "segments") {
      if (!v.is_array() || v.empty()) bad(where, "expected a non-empty array of rules");
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string w = fmt::format("{}[{}]", where, i);
        const json& s = v[i];
        if (!s.is_object() || !s.contains("name") || !s["name"].is_string() || s["name"].get_ref<const std::string&>().empty())
          bad(w, "expected {\"name\": ..., \"r\": [lo, hi], \"f\": [lo, hi], \"m\": [lo, hi]}");
        SegmentRule rule;
        rule.name = s["name"].get<std::string>();
        if (s.contains("r")) rule.r = range_field(s["r"], w + ".r");
        if (s.contains("f")) rule.f = range_field(s["f"], w + ".f");
        if (s.contains("m")) rule.m = range_field(s["m"], w + ".m");
        c.segments.push_back(std::move(rule));
      }
    } else if (key == "fallback_segment") {
      if (!v.is_string() || v.get_ref<const std::string&>().empty()) bad(where, "expected a name");
      c.fallback_segment = v.get<std::string>();
    } else if (key != "description") {
      bad(where, "unknown field");
    }
  }
  c.validate();
  return c;
}

Config Config::from_file(const std::string& path) {
  return detail::parse_file(path, "rfm config", [](const std::string& text) { return from_json(text); });
}

void Config::validate() const {
  if (window_days < 0 || window_days > 36600) bad("rfm.window_days", fmt::format("expected 0..36600 days, got {}", window_days));
  auto cuts = [](const std::array<double, 4>& c, const char* where) {
    for (size_t i = 0; i < 4; ++i) {
      if (!std::isfinite(c[i])) bad(fmt::format("{}[{}]", where, i), "expected a finite number");
      if (i > 0 && !(c[i] > c[i - 1])) bad(fmt::format("{}[{}]", where, i), "cut points must be ascending");
    }
  };
  cuts(recency_cuts, "rfm.cuts.recency");
  cuts(frequency_cuts, "rfm.cuts.frequency");
  cuts(monetary_cuts, "rfm.cuts.monetary");
  if (segments.size() > 1000) bad("rfm.segments", "at most 1000 rules");
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    const std::string w = fmt::format("rfm.segments[{}]", i);
    if (s.name.empty()) bad(w + ".name", "expected a name");
    for (auto [range, dim] : {std::pair{&s.r, ".r"}, std::pair{&s.f, ".f"}, std::pair{&s.m, ".m"}})
      if ((*range)[0] < 1 || (*range)[1] > 5 || (*range)[0] > (*range)[1]) bad(w + dim, "scores must satisfy 1 <= low <= high <= 5");
  }
  if (fallback_segment.empty()) bad("rfm.fallback_segment", "expected a name");
}

std::vector<uint8_t> quintile_scores(const std::vector<double>& values, bool lower_is_better) {
  std::vector<uint8_t> out(values.size());
  if (values.empty()) return out;
  std::vector<double> keyed(values), scratch;
  if (lower_is_better)
    for (double& v : keyed) v = -v;
  const auto t = thresholds(keyed.data(), keyed.size(), scratch);
  for (size_t i = 0; i < values.size(); ++i) out[i] = score_by(t, keyed[i]);
  return out;
}

namespace {

/// One customer's purchases in the window: total in minor units (money.hpp), last day, count.
/// 16 bytes: a transaction touches one cache line, not three arrays.
struct Acc {
  int64_t minor;
  int32_t last;
  int32_t count;
};
constexpr Acc kNoPurchase{0, INT32_MIN, 0};

/// The first day of the window (INT32_MIN: no window).
int32_t window_start(int32_t asof_day, const Config& config) {
  return config.window_days > 0
             ? static_cast<int32_t>(std::max<int64_t>(int64_t{asof_day} - config.window_days + 1, INT32_MIN))
             : INT32_MIN;
}

/// a + b saturating at kMaxMinorUnits + 1 (a total past the limit, refused when scored). In uint64:
/// two values <= kMaxMinorUnits + 1 add without wrapping (< 2^64).
inline int64_t saturated_total(int64_t a, int64_t b) {
  return static_cast<int64_t>(
      std::min<uint64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b), money::kMaxMinorUnits + 1));
}

/// Adds a purchase.
inline void add_purchase(Acc& x, int64_t minor, int32_t day) {
  ++x.count;
  x.minor = saturated_total(x.minor, minor);
  if (day > x.last) x.last = day;
}

/// One customer's totals merged into another's (the partials of two chunks of a file).
inline void merge_purchases(Acc& into, const Acc& from) {
  into.count += from.count;
  into.minor = saturated_total(into.minor, from.minor);
  into.last = std::max(into.last, from.last);
}

template <class NameOf>
void score_totals(std::vector<Acc> acc, int32_t asof_day, const Config& config, NameOf name_of, int32_t* recency_days,
                  int64_t* frequency, double* monetary, uint8_t* r, uint8_t* f, uint8_t* m, uint16_t* segment,
                  uint8_t* present);

/// score_columns over amounts given in minor units by minor_of(i), which validates the row's
/// amount (throwing, naming row i) and converts it. Totals are integers, so monetary values,
/// thresholds and scores do not depend on row order.
template <class MinorOf>
void score_minor_units(const uint32_t* customer, const int32_t* day, MinorOf minor_of, size_t n, size_t n_customers,
                       int32_t asof_day, const Config& config, int32_t* recency_days, int64_t* frequency,
                       double* monetary, uint8_t* r, uint8_t* f, uint8_t* m, uint16_t* segment, uint8_t* present) {
  config.validate();
  if (n > static_cast<size_t>(INT32_MAX))
    throw Error(Errc::limit, fmt::format("{} transactions: at most {} per call", n, INT32_MAX));
  const int32_t first_day = window_start(asof_day, config);
  // Rows are checked in the same pass; the outputs are written only after it succeeds.
  std::vector<Acc> acc(n_customers, kNoPurchase);
  constexpr size_t kAhead = 48;  // prefetch distance: customers are in random order in big logs (48 measured >= 16)
  // Totals are plain sums when no total can pass kMaxMinorUnits: n rows of at most the largest
  // amount seen. Otherwise (amounts near the limit) the pass is run again with totals that
  // saturate at kMaxMinorUnits + 1 (a branchless min per row, a few per cent slower).
  auto accumulate = [&](auto saturate) {
    int64_t largest = 0;
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n && customer[i + kAhead] < n_customers) __builtin_prefetch(&acc[customer[i + kAhead]], 1);
      const uint32_t c = customer[i];
      if (c >= n_customers)
        throw Error(Errc::invalid_argument, fmt::format("transaction {}: customer index {} >= customer count {}", i, c, n_customers));
      const int64_t a = minor_of(i);
      largest = std::max(largest, a);
      const int32_t d = day[i];
      if (d > asof_day || d < first_day) continue;
      Acc& x = acc[c];
      if constexpr (decltype(saturate)::value) {
        add_purchase(x, a, d);
      } else {  // in the plain pass a wrapped sum is discarded (that pass's bound says none can happen)
        ++x.count;
        x.minor = static_cast<int64_t>(static_cast<uint64_t>(x.minor) + static_cast<uint64_t>(a));
        if (d > x.last) x.last = d;
      }
    }
    return largest;
  };
  const int64_t largest = accumulate(std::false_type{});
  if (n > 0 && largest > money::kMaxMinorUnits / static_cast<int64_t>(n)) {
    std::fill(acc.begin(), acc.end(), kNoPurchase);
    accumulate(std::true_type{});
  }
  score_totals(std::move(acc), asof_day, config, [](size_t c) { return c; }, recency_days, frequency, monetary, r, f, m,
               segment, present);
}

/// The scores of per-customer totals. Refuses (naming the customer by name_of(index)) a total
/// above kMaxAmount or a recency that does not fit; writes nothing then.
template <class NameOf>
void score_totals(std::vector<Acc> acc, int32_t asof_day, const Config& config, NameOf name_of, int32_t* recency_days,
                  int64_t* frequency, double* monetary, uint8_t* r, uint8_t* f, uint8_t* m, uint16_t* segment,
                  uint8_t* present) {
  const size_t n_customers = acc.size();
  for (size_t c = 0; c < n_customers; ++c) {
    if (acc[c].minor > money::kMaxMinorUnits) [[unlikely]]
      throw crmkit::detail::total_past_limit(name_of(c));
    if (acc[c].count > 0 && int64_t{asof_day} - acc[c].last > INT32_MAX) [[unlikely]]
      throw Error(Errc::invalid_argument,
                  fmt::format("customer {}: recency of {} days does not fit", name_of(c), int64_t{asof_day} - acc[c].last));
  }
  // The first pass succeeded: from here on only outputs are written.
  std::vector<uint32_t> idx;  // the customers present
  idx.reserve(n_customers);
  for (size_t c = 0; c < n_customers; ++c) {
    const Acc& x = acc[c];
    frequency[c] = x.count;
    if (x.count == 0) {
      recency_days[c] = 0;
      monetary[c] = 0;
      r[c] = f[c] = m[c] = 0;
      segment[c] = 0;
      present[c] = 0;
      continue;
    }
    present[c] = 1;
    recency_days[c] = static_cast<int32_t>(int64_t{asof_day} - x.last);
    monetary[c] = config.monetary == Config::Monetary::average ? money::average(x.minor, x.count) : money::to_amount(x.minor);
    idx.push_back(static_cast<uint32_t>(c));
  }
  std::vector<Acc>().swap(acc);  // give the memory back before the scoring buffers are allocated
  if (config.scoring == Config::Scoring::quintiles) {
    std::vector<double> v(idx.size()), scratch;
    // Scores by the tie rule; values are keyed so that higher is better (recency negated).
    auto apply = [&](auto value_of, uint8_t* out) {
      for (size_t k = 0; k < idx.size(); ++k) v[k] = value_of(idx[k]);
      const auto t = thresholds(v.data(), v.size(), scratch);
      for (size_t k = 0; k < idx.size(); ++k) out[idx[k]] = score_by(t, v[k]);
    };
    apply([&](uint32_t c) { return -static_cast<double>(recency_days[c]); }, r);
    apply([&](uint32_t c) { return static_cast<double>(frequency[c]); }, f);
    apply([&](uint32_t c) { return monetary[c]; }, m);
  } else {
    for (uint32_t c : idx) {
      uint8_t rs = 5, fs = 1, ms = 1;
      for (double cut : config.recency_cuts) rs -= recency_days[c] > cut;
      for (double cut : config.frequency_cuts) fs += static_cast<double>(frequency[c]) >= cut;
      for (double cut : config.monetary_cuts) ms += monetary[c] >= cut;
      r[c] = rs, f[c] = fs, m[c] = ms;
    }
  }
  // The segment of each of the 125 (r, f, m) cells: the first rule containing it, else the fallback.
  const auto& map = config.segment_map();
  std::array<uint16_t, 125> cell{};
  for (int i = 0; i < 125; ++i) {
    const int rs = i / 25 + 1, fs = i / 5 % 5 + 1, ms = i % 5 + 1;
    cell[static_cast<size_t>(i)] = static_cast<uint16_t>(map.size());
    for (size_t k = 0; k < map.size(); ++k) {
      const auto& rule = map[k];
      if (rs >= rule.r[0] && rs <= rule.r[1] && fs >= rule.f[0] && fs <= rule.f[1] && ms >= rule.m[0] && ms <= rule.m[1]) {
        cell[static_cast<size_t>(i)] = static_cast<uint16_t>(k);
        break;
      }
    }
  }
  for (uint32_t c : idx) segment[c] = cell[static_cast<size_t>((r[c] - 1) * 25 + (f[c] - 1) * 5 + (m[c] - 1))];
}

}  // namespace

void score_columns(const uint32_t* customer, const int32_t* day, const double* amount, size_t n, size_t n_customers,
                   int32_t asof_day, const Config& config, int32_t* recency_days, int64_t* frequency, double* monetary,
                   uint8_t* r, uint8_t* f, uint8_t* m, uint16_t* segment, uint8_t* present) {
  // One unsigned compare of the bits admits +0 .. kMaxAmount (doubles >= +0 order as their bits;
  // negatives, NaN and infinities compare above); -0.0 and the refusals take the cold path.
  uint64_t max_bits;
  std::memcpy(&max_bits, &money::kMaxAmount, sizeof max_bits);
  auto minor_of = [amount, max_bits](size_t i) {
    const double a = amount[i];
    uint64_t bits;
    std::memcpy(&bits, &a, sizeof bits);
    if (bits > max_bits) [[unlikely]] {
      if (money::admissible(a)) return int64_t{0};  // -0.0
      throw crmkit::detail::bad_amount(fmt::format("transaction {}", i), a);
    }
    return money::to_minor(a);
  };
  score_minor_units(customer, day, minor_of, n, n_customers, asof_day, config, recency_days, frequency, monetary, r, f,
                    m, segment, present);
}

void score_columns_minor(const uint32_t* customer, const int32_t* day, const int64_t* amount_minor, size_t n,
                         size_t n_customers, int32_t asof_day, const Config& config, int32_t* recency_days,
                         int64_t* frequency, double* monetary, uint8_t* r, uint8_t* f, uint8_t* m, uint16_t* segment,
                         uint8_t* present) {
  auto minor_of = [amount_minor](size_t i) {
    const int64_t a = amount_minor[i];
    if (!money::admissible_minor(a)) [[unlikely]]
      throw crmkit::detail::bad_minor_amount(fmt::format("transaction {}", i), a);
    return a;
  };
  score_minor_units(customer, day, minor_of, n, n_customers, asof_day, config, recency_days, frequency, monetary, r, f,
                    m, segment, present);
}

namespace {

/// score_columns' outputs for k customers, and the table of those present.
struct Columns {
  explicit Columns(size_t k) : recency(k), frequency(k), monetary(k), r(k), f(k), m(k), present(k), segment(k) {}
  std::vector<int32_t> recency;
  std::vector<int64_t> frequency;
  std::vector<double> monetary;
  std::vector<uint8_t> r, f, m, present;
  std::vector<uint16_t> segment;

  /// id_of(c): customer c's id.
  template <class IdOf>
  Table table(IdOf id_of, const Config& config) const {
    Table t;
    t.segment_names = segment_names(config);
    std::vector<uint32_t> row(present.size());  // each present customer's row in the table
    size_t n = 0;
    for (size_t c = 0; c < present.size(); ++c) {
      row[c] = static_cast<uint32_t>(n);
      n += present[c];
    }
    t.ids.resize(n);
    t.recency_days.resize(n);
    t.frequency.resize(n);
    t.monetary.resize(n);
    t.r.resize(n);
    t.f.resize(n);
    t.m.resize(n);
    t.code.resize(n);
    t.segment.resize(n);
    crmkit::detail::run_ranges(present.size(), 65536, [&](size_t begin, size_t end) {  // each row written once
      for (size_t c = begin; c < end; ++c) {
        if (c + 16 < end) __builtin_prefetch(std::string_view(id_of(c + 16)).data());  // ids lie anywhere in memory
        if (!present[c]) continue;
        const size_t i = row[c];
        t.ids[i] = id_of(c);
        t.recency_days[i] = recency[c];
        t.frequency[i] = frequency[c];
        t.monetary[i] = monetary[c];
        t.r[i] = r[c];
        t.f[i] = f[c];
        t.m[i] = m[c];
        t.code[i] = static_cast<uint16_t>(r[c] * 100 + f[c] * 10 + m[c]);
        t.segment[i] = segment[c];
      }
    });
    return t;
  }
};

/// A chunk's per-customer totals as its rows are read (value/log_reader.hpp's Sink).
struct TotalsSink {
  int32_t asof_day = 0, first_day = INT32_MIN;
  std::vector<Acc> acc;  ///< by the chunk's customer index (a new customer is the next index)
  void reserve(size_t) {}
  void prefetch(uint32_t c) const {
    if (c < acc.size()) __builtin_prefetch(&acc[c], 1);
  }
  void append(uint32_t c, int32_t day, double amount, double) {
    if (c == acc.size()) acc.push_back(kNoPurchase);
    if (day > asof_day || day < first_day) return;
    add_purchase(acc[c], money::to_minor(amount), day);
  }
};

}  // namespace

Table score(const value::TransactionLog& log, CivilDate asof, const Config& config) {
  const size_t k = log.customer_count();
  Columns col(k);
  score_columns(log.customer.data(), log.day.data(), log.amount.data(), log.size(), k,
                static_cast<int32_t>(asof.days_since_epoch()), config, col.recency.data(), col.frequency.data(),
                col.monetary.data(), col.r.data(), col.f.data(), col.m.data(), col.segment.data(), col.present.data());
  return col.table([&](size_t c) -> const std::string& { return log.customer_ids[c]; }, config);
}

Table score_file(const std::string& path, CivilDate asof, const Config& config, value::BadRowPolicy policy,
                 std::vector<value::BadRow>* skipped) {
  config.validate();
  const auto asof_day = static_cast<int32_t>(asof.days_since_epoch());
  const TotalsSink sink{asof_day, window_start(asof_day, config), {}};
  // A regular file is streamed (memory for its customers only); a pipe is read whole.
  crmkit::detail::FileBuffer file;
  std::vector<value::detail::Chunk<TotalsSink>> chunks;
  std::vector<value::BadRow> bad;
  if (auto streamed = value::detail::stream_file(path, policy, sink)) {
    chunks = std::move(streamed->chunks);
    bad = std::move(streamed->bad_rows);
  } else {
    file = crmkit::detail::read_file_buffer(path, "transactions");
    const value::detail::LogLayout layout = value::detail::file_layout(file.view(), policy);
    chunks = value::detail::parse_body(layout, policy, sink);
    bad = value::detail::bad_rows(layout, chunks, policy);
  }
  // The chunks' partials merged into chunk 0's customers (which gains the others' ids).
  const auto global = value::detail::merge_ids(chunks);
  const auto& ids = chunks[0].ids.keys();
  std::vector<Acc> merged = std::move(chunks[0].sink.acc);
  merged.resize(ids.size(), kNoPurchase);
  for (size_t k = 1; k < chunks.size(); ++k) {
    const std::vector<Acc>& part = chunks[k].sink.acc;
    for (size_t i = 0; i < part.size(); ++i) merge_purchases(merged[global[k][i]], part[i]);
  }
  // In id order, as score() of a log sorted by id.
  const std::vector<uint32_t> order = value::detail::order_by_id(ids);
  std::vector<Acc> sorted(order.size());
  for (size_t i = 0; i < order.size(); ++i) sorted[i] = merged[order[i]];
  std::vector<Acc>().swap(merged);
  Columns col(order.size());
  auto id_of = [&](size_t c) { return ids[order[c]]; };
  score_totals(std::move(sorted), asof_day, config, id_of, col.recency.data(), col.frequency.data(), col.monetary.data(),
               col.r.data(), col.f.data(), col.m.data(), col.segment.data(), col.present.data());
  if (skipped) *skipped = std::move(bad);
  return col.table(id_of, config);
}

}  // namespace crmkit::rfm
