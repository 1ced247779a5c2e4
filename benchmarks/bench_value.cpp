// Customer value: BG/NBD and Gamma-Gamma fits on CDNOW (×1 and ×100), CLV for 235,700 customers,
// RFM on 10 million transactions of 1 million customers.
#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "crmkit/rfm.hpp"
#include "crmkit/value.hpp"
#include "value/text_scan.hpp"
#include <boost/unordered/unordered_flat_map.hpp>
#include <array>
#include <string>

using namespace crmkit;
using namespace crmkit::value;

namespace {

const std::vector<CustomerSummary>& cdnow(int copies) {
  static std::vector<CustomerSummary> base = [] {
    std::ifstream in(CRMKIT_SOURCE_DIR "/data/cdnow/cdnow_customers_summary_with_transactions.csv");
    std::ostringstream ss;
    ss << in.rdbuf();
    return read_summary_csv(ss.str()).rows;
  }();
  static std::vector<CustomerSummary> times100 = [] {
    std::vector<CustomerSummary> v;
    for (int k = 0; k < 100; ++k) v.insert(v.end(), base.begin(), base.end());
    return v;
  }();
  return copies == 1 ? base : times100;
}

void BM_BgNbdFit(benchmark::State& state) {
  const auto& rows = cdnow(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(BgNbd::fit(rows).model.r);
  state.counters["customers"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_BgNbdFit)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_GammaGammaFit(benchmark::State& state) {
  const auto& rows = cdnow(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(GammaGamma::fit(rows).model.p);
  state.counters["customers"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_GammaGammaFit)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_ClvPredict(benchmark::State& state) {
  const auto& rows = cdnow(100);
  BgNbd bg = BgNbd::fit(cdnow(1)).model;
  GammaGamma gg = GammaGamma::fit(cdnow(1)).model;
  for (auto _ : state) benchmark::DoNotOptimize(predict(bg, gg, rows, 39).data());
  state.counters["customers"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_ClvPredict)->Unit(benchmark::kMillisecond);

/// CDNOW × 100 with T jittered: 235,700 distinct (x, t_x, T) profiles.
const std::vector<CustomerSummary>& cdnow_distinct() {
  static const std::vector<CustomerSummary> rows = [] {
    std::vector<CustomerSummary> out = cdnow(100);
    std::mt19937_64 rng(3);
    for (auto& r : out) {
      r.T += std::uniform_real_distribution<double>(0, 1e-3)(rng);
      r.t_x = std::min(r.t_x, r.T);
    }
    return out;
  }();
  return rows;
}

/// The BG/NBD fit when every customer is a profile of its own (the likelihood's terms on every core).
void BM_BgNbdFitDistinct(benchmark::State& state) {
  const auto& rows = cdnow_distinct();
  for (auto _ : state) benchmark::DoNotOptimize(BgNbd::fit(rows).model.r);
  state.counters["customers"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_BgNbdFitDistinct)->Unit(benchmark::kMillisecond);

/// CLV when every customer has a distinct profile (no reuse of repeated (x, t_x, T)).
void BM_ClvPredictDistinct(benchmark::State& state) {
  const std::vector<CustomerSummary>& rows = cdnow_distinct();
  BgNbd bg = BgNbd::fit(cdnow(1)).model;
  GammaGamma gg = GammaGamma::fit(cdnow(1)).model;
  for (auto _ : state) benchmark::DoNotOptimize(predict(bg, gg, rows, 39).data());
  state.counters["customers"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_ClvPredictDistinct)->Unit(benchmark::kMillisecond);

struct Transactions {
  std::vector<uint32_t> customer;
  std::vector<int32_t> day;
  std::vector<double> amount;
};

const Transactions& ten_million() {
  static Transactions t = [] {
    Transactions r;
    const size_t n = 10'000'000, k = 1'000'000;
    r.customer.resize(n);
    r.day.resize(n);
    r.amount.resize(n);
    std::mt19937_64 rng(5);
    for (size_t i = 0; i < n; ++i) {
      r.customer[i] = static_cast<uint32_t>(rng() % k);
      r.day[i] = 19000 + static_cast<int32_t>(rng() % 730);
      r.amount[i] = static_cast<double>(rng() % 20000) / 100.0;
    }
    return r;
  }();
  return t;
}

void BM_Rfm10MTransactions1MCustomers(benchmark::State& state) {
  const auto& t = ten_million();
  const size_t k = 1'000'000;
  std::vector<int32_t> rec(k);
  std::vector<int64_t> freq(k);
  std::vector<double> mon(k);
  std::vector<uint8_t> r(k), f(k), m(k), present(k);
  std::vector<uint16_t> seg(k);
  rfm::Config config;
  for (auto _ : state)
    rfm::score_columns(t.customer.data(), t.day.data(), t.amount.data(), t.customer.size(), k, 19730, config, rec.data(),
                       freq.data(), mon.data(), r.data(), f.data(), m.data(), seg.data(), present.data());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(t.customer.size()));
}
BENCHMARK(BM_Rfm10MTransactions1MCustomers)->Unit(benchmark::kMillisecond);

}  // namespace

// ---- interning customer ids: the readers' table against Boost 1.81's flat map ----------------
// 10 M ids of 1 M customers ("C123456"), as views into one buffer, in the order of a log. The
// readers' IdTable (common/id_table.hpp) with the readers' pipelining (slot prefetched 8 ids
// ahead) against boost::unordered_flat_map keyed by the same inline-16-byte IdKey, and keyed by
// plain string views (whose comparisons read the ids' bytes wherever they lie).
struct IdLog {
  std::string bytes;
  std::vector<std::string_view> ids;
};
const IdLog& id_log() {
  static const IdLog log = [] {
    IdLog l;
    std::mt19937_64 rng(3);
    std::vector<size_t> at;
    for (int i = 0; i < 10'000'000; ++i) {
      at.push_back(l.bytes.size());
      l.bytes += "C" + std::to_string(rng() % 1'000'000);
    }
    at.push_back(l.bytes.size());
    for (size_t i = 0; i + 1 < at.size(); ++i) l.ids.emplace_back(l.bytes.data() + at[i], at[i + 1] - at[i]);
    return l;
  }();
  return log;
}

void BM_InternIds_IdTable(benchmark::State& state) {
  const auto& ids = id_log().ids;
  for (auto _ : state) {
    crmkit::value::detail::IdTable table;
    std::array<crmkit::value::detail::IdKey, 8> ring;
    uint64_t sum = 0;
    for (size_t i = 0; i < ids.size() + ring.size(); ++i) {
      if (i >= ring.size()) sum += table.intern(ring[i % ring.size()]);
      if (i < ids.size()) {
        ring[i % ring.size()] = crmkit::value::detail::IdKey(ids[i]);
        table.prefetch(ring[i % ring.size()]);
      }
    }
    benchmark::DoNotOptimize(sum);
    state.counters["customers"] = static_cast<double>(table.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}
BENCHMARK(BM_InternIds_IdTable)->Unit(benchmark::kMillisecond);

void BM_InternIds_BoostFlatMapIdKey(benchmark::State& state) {
  struct Eq {
    bool operator()(const crmkit::value::detail::IdKey& a, const crmkit::value::detail::IdKey& b) const {
      return a.head[0] == b.head[0] && a.head[1] == b.head[1] && a.id == b.id;
    }
  };
  struct Hash {
    size_t operator()(const crmkit::value::detail::IdKey& k) const { return k.hash; }
  };
  const auto& ids = id_log().ids;
  for (auto _ : state) {
    boost::unordered_flat_map<crmkit::value::detail::IdKey, uint32_t, Hash, Eq> table;
    uint64_t sum = 0;
    for (std::string_view id : ids) sum += table.try_emplace(crmkit::value::detail::IdKey(id), static_cast<uint32_t>(table.size())).first->second;
    benchmark::DoNotOptimize(sum);
    state.counters["customers"] = static_cast<double>(table.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}
BENCHMARK(BM_InternIds_BoostFlatMapIdKey)->Unit(benchmark::kMillisecond);

void BM_InternIds_BoostFlatMapStringView(benchmark::State& state) {
  const auto& ids = id_log().ids;
  for (auto _ : state) {
    boost::unordered_flat_map<std::string_view, uint32_t, crmkit::detail::StringHash> table;
    uint64_t sum = 0;
    for (std::string_view id : ids) sum += table.try_emplace(id, static_cast<uint32_t>(table.size())).first->second;
    benchmark::DoNotOptimize(sum);
    state.counters["customers"] = static_cast<double>(table.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}
BENCHMARK(BM_InternIds_BoostFlatMapStringView)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
