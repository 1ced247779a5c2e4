// Customer value: BG/NBD and Gamma-Gamma fits on CDNOW (×1 and ×100), CLV for 235,700 customers,
// RFM on 10 million transactions of 1 million customers.
#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "crmkit/rfm.hpp"
#include "crmkit/value.hpp"

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

/// CLV when every customer has a distinct profile (no reuse of repeated (x, t_x, T)).
void BM_ClvPredictDistinct(benchmark::State& state) {
  std::vector<CustomerSummary> rows = cdnow(100);
  std::mt19937_64 rng(3);
  for (auto& r : rows) {
    r.T += std::uniform_real_distribution<double>(0, 1e-3)(rng);
    r.t_x = std::min(r.t_x, r.T);
  }
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

BENCHMARK_MAIN();
