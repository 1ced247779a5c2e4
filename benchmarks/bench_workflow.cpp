// Workflow engine throughput on the realistic generated mixes (tools/complaint_generator, and
// tools/work_order_generator for the work-order workflow).
//   apply(Event)     pre-parsed events, one engine per iteration (construction not timed)
//   apply+sweep      as the replay CLI does: sweep(e.at) before each event
//   apply_json       parsing included
//   parse_event      the JSON parser alone
// Counters: events/s, bytes per open and per closed case (case record + audit trail + pool),
// scheduler bytes per clock.
#include <benchmark/benchmark.h>
#include <functional>
#include <fmt/format.h>

#include "../tools/complaint_generator.cpp"   // library-independent
#include "../tools/work_order_generator.cpp"  // library-independent
#include "crmkit/error.hpp"
#include "crmkit/workflow.hpp"

using namespace crmkit;
using namespace crmkit::workflow;

namespace {

struct Fixture {
  Definition def = Definition::from_file(CRMKIT_SOURCE_DIR "/data/workflows/default.json");
  Calendar cal = Calendar::from_file(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  sla::Policy policy = sla::Policy::from_file(CRMKIT_SOURCE_DIR "/data/policies/default.json", cal);
  Rules rules = Rules::from_file(CRMKIT_SOURCE_DIR "/data/policies/default.json");
  std::vector<std::string> lines;
  std::vector<Event> events;

  explicit Fixture(int cases = 30000, int days = 91) {
    gen::ComplaintLogOptions o;
    o.cases = cases;
    o.seed = 11;
    o.start = "2026-01-01";
    o.days = days;
    o.incidents = 0;  // complaints alone: this engine loads the default workflow only
    lines = gen::generate_complaint_log(o).lines;
    events.reserve(lines.size());
    for (const auto& l : lines) events.push_back(parse_event(l));
  }
  Engine engine() const { return Engine(def, policy, rules, cal.zone()); }
};

const Fixture& fixture() {
  static Fixture f;
  return f;
}

void report(benchmark::State& state, const Engine& e, size_t events) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
  EngineStats s = e.stats();
  state.counters["cases"] = static_cast<double>(s.cases);
  state.counters["B/open_case"] = s.open_cases ? static_cast<double>(s.bytes_open_cases) / s.open_cases : 0;
  state.counters["B/closed_case"] = s.closed_cases ? static_cast<double>(s.bytes_closed_cases) / s.closed_cases : 0;
  state.counters["B/case_all"] =
      static_cast<double>(s.bytes_cases + s.bytes_index + s.bytes_scheduler) / static_cast<double>(std::max<size_t>(1, s.cases));
  state.counters["B/clock"] = s.clocks ? static_cast<double>(s.bytes_scheduler) / s.clocks : 0;
}

/// Applies `events` to a fresh engine per iteration (construction not timed), without sweeps
/// unless `options` ask for them; `make` builds the engine (default: the complaint fixture's).
void apply_all(benchmark::State& state, const std::vector<Event>& events, const std::function<Engine()>& make = {},
               const EngineOptions& options = {}) {
  const Fixture& f = fixture();
  ApplyResult r;
  size_t rejected = 0;
  std::optional<Engine> e;
  for (auto _ : state) {
    state.PauseTiming();
    e.emplace(make ? make() : f.engine());
    e->set_options(options);
    state.ResumeTiming();
    for (const Event& ev : events) {
      try {
        e->apply(ev, r);
      } catch (const Error&) {
        ++rejected;  // without sweeps, a few manual escalations the log expects to follow a breach pass
      }
    }
  }
  report(state, *e, events.size());
  state.counters["rejected"] = static_cast<double>(rejected) / static_cast<double>(state.iterations());
}

void BM_apply_event(benchmark::State& state) { apply_all(state, fixture().events); }
BENCHMARK(BM_apply_event)->Unit(benchmark::kMillisecond)->MinTime(2.0);

/// The same mix at a tenth of the size (3,000 cases over 9 days: the same number of cases open at
/// a time, a tenth of the closed ones, about 7.5 MB against 75 MB): whether the engine's size or
/// the work per event sets the rate.
void BM_apply_event_small(benchmark::State& state) {
  static const Fixture small(3000, 9);
  apply_all(state, small.events);
}
BENCHMARK(BM_apply_event_small)->Unit(benchmark::kMillisecond)->MinTime(2.0);

/// The same mix with the complaint form's declared fields on every receive (customer name,
/// phone, address, occurred_at, product, justified) and an update per case: the cost of typed
/// fields (checked, encoded in the audit record).
void BM_apply_event_with_fields(benchmark::State& state) {
  const Fixture& f = fixture();
  std::vector<Event> events;
  events.reserve(f.events.size() * 2);
  auto attribute = [](const char* key, std::string text) {
    Attribute a;
    a.key = key;
    a.text = std::move(text);
    return a;
  };
  size_t k = 0;
  for (const Event& ev : f.events) {
    events.push_back(ev);
    if (ev.type != "receive") continue;
    Event& e = events.back();
    e.attributes = {attribute("customer_name", "王小明"), attribute("phone", fmt::format("138{:08}", k++)),
                    attribute("address", "北京市朝阳区建国路88号"), attribute("occurred_at", "2026-01-01T08:00:00+08:00"),
                    attribute("product", "broadband")};
    Event update;
    update.id = ev.id + "-u";
    update.case_id = ev.case_id;
    update.type = "update";
    update.at = ev.at;
    update.actor = ev.actor;
    update.role = ev.role;
    Attribute justified;
    justified.key = "justified";
    justified.kind = Attribute::Kind::boolean;
    justified.boolean = true;
    update.attributes = {justified, attribute("remedy_sought", "refund")};
    events.push_back(std::move(update));
  }
  apply_all(state, events);
}
BENCHMARK(BM_apply_event_with_fields)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_apply_event_with_sweep(benchmark::State& state) {
  const Fixture& f = fixture();
  ApplyResult r;
  std::vector<SweepEvent> fired;
  size_t rejected = 0;
  std::optional<Engine> e;
  for (auto _ : state) {
    state.PauseTiming();
    e.emplace(f.engine());
    state.ResumeTiming();
    int64_t latest = INT64_MIN;
    for (const Event& ev : f.events) {
      if (ev.at.unix_seconds() > latest) {
        latest = ev.at.unix_seconds();
        fired.clear();
        e->sweep(ev.at, fired);
      }
      try {
        e->apply(ev, r);
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  report(state, *e, f.events.size());
  state.counters["rejected"] = static_cast<double>(rejected) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_apply_event_with_sweep)->Unit(benchmark::kMillisecond)->MinTime(2.0);

/// What `complaints replay` runs: the engine sweeps to each accepted event's time itself.
void BM_apply_event_sweep_before_apply(benchmark::State& state) {
  EngineOptions options;
  options.sweep_before_apply = true;
  apply_all(state, fixture().events, {}, options);
}
BENCHMARK(BM_apply_event_sweep_before_apply)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_apply_json_with_sweep(benchmark::State& state) {
  const Fixture& f = fixture();
  Event ev;
  ApplyResult r;
  std::vector<SweepEvent> fired;
  std::optional<Engine> e;
  for (auto _ : state) {
    state.PauseTiming();
    e.emplace(f.engine());
    state.ResumeTiming();
    int64_t latest = INT64_MIN;
    for (const std::string& line : f.lines) {
      parse_event(line, ev);
      if (ev.at.unix_seconds() > latest) {
        latest = ev.at.unix_seconds();
        fired.clear();
        e->sweep(ev.at, fired);
      }
      e->apply(ev, r);
    }
  }
  report(state, *e, f.lines.size());
}
BENCHMARK(BM_apply_json_with_sweep)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_apply_json_convenience(benchmark::State& state) {
  // Engine::apply_json(string_view) -> ApplyResult: a fresh Event and result per call.
  const Fixture& f = fixture();
  std::optional<Engine> e;
  size_t rejected = 0;
  for (auto _ : state) {
    state.PauseTiming();
    e.emplace(f.engine());
    state.ResumeTiming();
    for (const std::string& line : f.lines) {
      try {
        benchmark::DoNotOptimize(e->apply_json(line));
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  report(state, *e, f.lines.size());
}
BENCHMARK(BM_apply_json_convenience)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_parse_event(benchmark::State& state) {
  const Fixture& f = fixture();
  Event ev;
  for (auto _ : state)
    for (const std::string& line : f.lines) {
      parse_event(line, ev);
      benchmark::DoNotOptimize(ev.at);
    }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.lines.size()));
}
BENCHMARK(BM_parse_event)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_kpi(benchmark::State& state) {
  const Fixture& f = fixture();
  Engine e = f.engine();
  std::vector<SweepEvent> fired;
  ApplyResult r;
  for (const Event& ev : f.events) {
    e.sweep(ev.at, fired);
    e.apply(ev, r);
  }
  for (auto _ : state) benchmark::DoNotOptimize(e.kpi());
  state.counters["cases"] = static_cast<double>(e.size());
}
BENCHMARK(BM_kpi)->Unit(benchmark::kMillisecond);

/// The work-order mix: 20,000 installation, move and fault-repair orders (a month's generated
/// log) through the shipped work-order workflow, sweeping to each event's time as a replay does.
struct WorkOrderFixture {
  Calendar cal = Calendar::from_file(CRMKIT_SOURCE_DIR "/data/calendars/cn-2026.json");
  Definition def = Definition::from_file(CRMKIT_SOURCE_DIR "/data/workflows/work-order.json");
  sla::Policy policy = sla::Policy::from_file(CRMKIT_SOURCE_DIR "/data/policies/work-order.json", cal);
  Rules rules = Rules::from_file(CRMKIT_SOURCE_DIR "/data/policies/work-order.json");
  std::vector<Event> events;
  WorkOrderFixture() {
    gen::WorkOrderLogOptions o;
    o.orders = 20000;
    o.seed = 11;
    const std::string log = gen::generate_work_order_jsonl(o);
    for (size_t pos = 0; pos < log.size();) {
      const size_t end = log.find('\n', pos);
      events.push_back(parse_event(std::string_view(log).substr(pos, end - pos)));
      pos = end + 1;
    }
  }
};

void BM_apply_work_orders(benchmark::State& state) {
  static const WorkOrderFixture f;
  EngineOptions options;
  options.sweep_before_apply = state.range(0) != 0;
  apply_all(state, f.events, [] { return Engine(f.def, f.policy, f.rules, f.cal.zone()); }, options);
}
BENCHMARK(BM_apply_work_orders)->ArgName("sweep_before_apply")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_memory_midway(benchmark::State& state) {
  // Half of the log applied: a mix of open and closed cases (memory counters only).
  const Fixture& f = fixture();
  std::optional<Engine> e;
  std::vector<SweepEvent> fired;
  ApplyResult r;
  for (auto _ : state) {
    e.emplace(f.engine());
    for (size_t i = 0; i < f.events.size() / 2; ++i) {
      e->sweep(f.events[i].at, fired);
      e->apply(f.events[i], r);
    }
  }
  report(state, *e, f.events.size() / 2);
  EngineStats s = e->stats();
  state.counters["open_cases"] = static_cast<double>(s.open_cases);
  state.counters["closed_cases"] = static_cast<double>(s.closed_cases);
}
BENCHMARK(BM_memory_midway)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
