// SLA scheduler: a sweep over 1 million open clocks in which 1 % fire; memory per clock;
// clock operations.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "crmkit/calendar.hpp"
#include "crmkit/sla.hpp"

using namespace crmkit;
using namespace crmkit::sla;

namespace {

constexpr size_t kClocks = 1'000'000;

const Calendar& china() {
  static const Calendar cal = Calendar::from_file(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  return cal;
}

/// The 24 first-response and resolution targets of the default policy (channel x severity).
std::vector<TargetId> default_targets(Scheduler& scheduler) {
  Policy p = Policy::from_file(CRMKIT_SOURCE_DIR "/data/policies/default.json", china());
  std::vector<TargetId> targets;
  for (const char* ch : {"phone", "web", "system"})
    for (const char* sev : {"low", "normal", "high", "critical"}) {
      CaseAttributes a{ch, "service", sev, ""};
      targets.push_back(scheduler.intern(p.target("first_response", a)));
      targets.push_back(scheduler.intern(p.target("resolution", a)));
    }
  return targets;
}

/// 1M running clocks on the China 2026 calendar with targets from the default policy (phone 2 h,
/// web 24 h, resolution 8-80 h by severity), started at staggered instants over January 2026.
struct Fleet {
  Scheduler scheduler;
  Instant first_start;
  Fleet() {
    const std::vector<TargetId> targets = default_targets(scheduler);
    std::mt19937_64 rng(11);
    first_start = parse_instant("2026-01-05T09:00:00+08:00");
    for (size_t i = 0; i < kClocks; ++i) {
      ClockId id = scheduler.create(targets[rng() % targets.size()]);
      scheduler.start(id, first_start + Duration::seconds(static_cast<int64_t>(i * 2)));  // over ~23 days
    }
  }
};

const Fleet& fleet() {
  static const Fleet f;
  return f;
}

/// The sweep instant at which about `target` events are due (binary search on copies).
Instant instant_firing(const Scheduler& s, Instant from, size_t target) {
  int64_t lo = from.unix_seconds(), hi = lo + 86400 * 60;
  size_t lo_count = 0, hi_count = SIZE_MAX;
  std::vector<ClockEvent> out;
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    Scheduler copy = s;
    out.clear();
    copy.sweep(Instant::from_unix_seconds(mid), out);
    if (out.size() < target) lo = mid, lo_count = out.size();
    else hi = mid, hi_count = out.size();
  }
  // Crossings come in lumps (clocks started overnight share their deadlines): take the closer side.
  return Instant::from_unix_seconds(target - lo_count < hi_count - target ? lo : hi);
}

void BM_SweepOnePercentOfMillion(benchmark::State& state) {
  const Fleet& f = fleet();
  // Advance past the first week so the heap holds a realistic mix, then find the 1 % window.
  Scheduler base = f.scheduler;
  std::vector<ClockEvent> out;
  Instant warm = f.first_start + Duration::days(7);
  base.sweep(warm, out);
  Instant now = instant_firing(base, warm, kClocks / 100);
  size_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Scheduler s = base;
    out.clear();
    out.reserve(kClocks / 50);
    state.ResumeTiming();
    s.sweep(now, out);
    benchmark::DoNotOptimize(out.data());
    fired = out.size();
  }
  state.counters["open_clocks"] = static_cast<double>(base.size());
  state.counters["fired"] = static_cast<double>(fired);
  state.counters["bytes_per_clock"] = static_cast<double>(base.memory_bytes()) / static_cast<double>(base.size());
}
BENCHMARK(BM_SweepOnePercentOfMillion)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_StartPauseResumeStop(benchmark::State& state) {
  Policy p = Policy::from_file(CRMKIT_SOURCE_DIR "/data/policies/default.json", china());
  Scheduler s;
  TargetId t = s.intern(p.target("resolution", CaseAttributes{"web", "service", "normal", ""}));
  Instant at = parse_instant("2026-03-02T09:00:00+08:00");
  for (auto _ : state) {
    ClockId c = s.create(t);
    s.start(c, at);
    s.pause(c, at + Duration::hours(3));
    s.resume(c, at + Duration::hours(20));
    s.stop(c, at + Duration::hours(30));
  }
  state.SetItemsProcessed(state.iterations() * 4);
}
BENCHMARK(BM_StartPauseResumeStop);

/// 1M running clocks whose starts are staggered by one second of *business* time (so no two
/// clocks of one target cross at the same instant and the sweep window can be cut to exactly
/// 10,000 events = 1 %), targets as above; the heap is warmed by sweeping 20 working days.
struct EvenFleet {
  Scheduler scheduler;
  Instant warm, now;
  size_t fired = 0;
  EvenFleet() {
    const std::vector<TargetId> targets = default_targets(scheduler);
    std::mt19937_64 rng(12);
    const Instant first = parse_instant("2026-01-05T09:00:00+08:00");
    for (size_t i = 0; i < kClocks; ++i) {
      ClockId id = scheduler.create(targets[rng() % targets.size()]);
      scheduler.start(id, china().add(first, Duration::seconds(static_cast<int64_t>(i))));
    }
    std::vector<ClockEvent> out;
    warm = china().add(first, Duration::hours(20 * 7 + 10));  // 20 working days of 7.5 h
    scheduler.sweep(warm, out);
    // Smallest instant at which at least 10,000 events are due.
    int64_t lo = warm.unix_seconds(), hi = lo + 86400 * 30;
    while (hi - lo > 1) {
      int64_t mid = lo + (hi - lo) / 2;
      Scheduler copy = scheduler;
      out.clear();
      copy.sweep(Instant::from_unix_seconds(mid), out);
      (out.size() < kClocks / 100 ? lo : hi) = mid;
    }
    now = Instant::from_unix_seconds(hi);
  }
};

void BM_SweepTenThousandOfMillion(benchmark::State& state) {
  static const EvenFleet f;
  std::vector<ClockEvent> out;
  size_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Scheduler s = f.scheduler;
    out.clear();
    out.reserve(kClocks / 50);
    state.ResumeTiming();
    s.sweep(f.now, out);
    benchmark::DoNotOptimize(out.data());
    fired = out.size();
  }
  state.counters["open_clocks"] = static_cast<double>(f.scheduler.size());
  state.counters["fired"] = static_cast<double>(fired);
  state.counters["bytes_per_clock"] = static_cast<double>(f.scheduler.memory_bytes()) / static_cast<double>(f.scheduler.size());
}
BENCHMARK(BM_SweepTenThousandOfMillion)->Unit(benchmark::kMillisecond)->Iterations(30);

void BM_PauseResumeAmong100k(benchmark::State& state) {
  // pause/resume pairs round-robin over 100k running clocks (each op closes or opens a segment: one
  // Calendar::between or one Calendar::add, plus a heap update).
  Policy p = Policy::from_file(CRMKIT_SOURCE_DIR "/data/policies/default.json", china());
  Scheduler s;
  TargetId t = s.intern(p.target("resolution", CaseAttributes{"web", "service", "low", ""}));
  Instant at = parse_instant("2026-03-02T09:00:00+08:00");
  std::vector<ClockId> ids;
  for (int i = 0; i < 100000; ++i) ids.push_back(s.create(t));
  for (ClockId id : ids) s.start(id, at);  // 100k clocks in the heap, like a busy engine
  size_t k = 0;
  int64_t step = 0;
  for (auto _ : state) {
    ClockId id = ids[k];
    Instant when = at + Duration::seconds(step);
    s.pause(id, when);
    s.resume(id, when + Duration::seconds(1));
    if (++k == ids.size()) k = 0, step += 2;
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_PauseResumeAmong100k);

}  // namespace

BENCHMARK_MAIN();
