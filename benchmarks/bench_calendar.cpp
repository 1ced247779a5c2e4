// Deadline and elapsed-time throughput on a two-interval calendar with holidays over 10 years.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "crmkit/calendar.hpp"

using namespace crmkit;

namespace {

// 09:00-12:00 + 13:30-18:00 Mon-Fri in Asia/Shanghai, China-style holidays and make-up days
// every year 2020-2030 (the 2026 pattern repeated), so lookups span a real 10-year table.
Calendar ten_year_calendar() {
  CalendarSpec s;
  s.zone = "Asia/Shanghai";
  for (int d = 0; d < 5; ++d) s.week[d] = {{9 * 3600, 12 * 3600}, {13 * 3600 + 1800, 18 * 3600}};
  const int hol[][2] = {{1, 1}, {1, 2}, {2, 16}, {2, 17}, {2, 18}, {2, 19}, {2, 20}, {4, 6}, {5, 1},
                        {5, 4}, {5, 5}, {6, 19}, {9, 25}, {10, 1}, {10, 2}, {10, 5}, {10, 6}, {10, 7}};
  for (int y = 2020; y <= 2030; ++y) {
    for (auto& md : hol) s.holidays.push_back(CivilDate{y, md[0], md[1]});
    for (CivilDate d : {CivilDate{y, 2, 14}, CivilDate{y, 9, 20}, CivilDate{y, 10, 10}})
      if (d.weekday() >= 5) s.workdays.push_back({d, s.week[0]});
  }
  return Calendar(std::move(s));
}

// The shipped US federal calendar: 11 recurring rules (Boost.Date_Time generators, observance)
// expanded over 1900-2499, 09:00-17:00 in America/New_York (DST).
Calendar rule_calendar() { return Calendar::from_file(CRMKIT_SOURCE_DIR "/data/calendars/us-federal.json"); }

struct Inputs {
  std::vector<Instant> start;
  std::vector<Duration> add;
  std::vector<Instant> end;
};

const Inputs& inputs() {
  static const Inputs in = [] {
    Inputs r;
    std::mt19937_64 rng(7);
    const int64_t from = parse_instant("2020-01-01T00:00:00Z").unix_seconds();
    const int64_t span = parse_instant("2030-01-01T00:00:00Z").unix_seconds() - from;
    const size_t n = 1 << 20;
    for (size_t i = 0; i < n; ++i) {
      int64_t s = from + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
      r.start.push_back(Instant::from_unix_seconds(s));
      r.add.push_back(Duration::seconds(static_cast<int64_t>(rng() % (5 * 27000))));  // up to 5 business days
      r.end.push_back(Instant::from_unix_seconds(s + static_cast<int64_t>(rng() % (30 * 86400))));
    }
    return r;
  }();
  return in;
}

// Runs `op(calendar, row)` over the inputs, one row per iteration.
template <class Op>
void over_inputs(benchmark::State& state, const Calendar& cal, Op op) {
  const Inputs& in = inputs();
  const size_t mask = in.start.size() - 1;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(op(cal, in, i));
    i = (i + 1) & mask;
  }
  state.SetItemsProcessed(state.iterations());
}

Instant deadline(const Calendar& cal, const Inputs& in, size_t i) { return cal.add(in.start[i], in.add[i]); }

void BM_Deadline(benchmark::State& state) { over_inputs(state, ten_year_calendar(), deadline); }
BENCHMARK(BM_Deadline);

void BM_DeadlineRuleCalendar(benchmark::State& state) { over_inputs(state, rule_calendar(), deadline); }
BENCHMARK(BM_DeadlineRuleCalendar);

void BM_Elapsed(benchmark::State& state) {
  over_inputs(state, ten_year_calendar(), [](const Calendar& cal, const Inputs& in, size_t i) { return cal.between(in.start[i], in.end[i]); });
}
BENCHMARK(BM_Elapsed);

void BM_IsWorking(benchmark::State& state) {
  over_inputs(state, ten_year_calendar(), [](const Calendar& cal, const Inputs& in, size_t i) { return cal.is_working(in.start[i]); });
}
BENCHMARK(BM_IsWorking);

void BM_BuildCalendar(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ten_year_calendar());
}
BENCHMARK(BM_BuildCalendar)->Unit(benchmark::kMillisecond);

void BM_BuildRuleCalendar(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(rule_calendar());
}
BENCHMARK(BM_BuildRuleCalendar)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
