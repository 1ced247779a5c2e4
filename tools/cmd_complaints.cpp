// crmkit complaints replay|generate|check — the complaint workflow from the command line.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "cli.hpp"
#include "complaint_generator.hpp"
#include "work_order_generator.hpp"
#include "crmkit/durable.hpp"
#include "crmkit/error.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/workflow.hpp"

namespace {

using namespace crmkit;

struct Out {
  std::FILE* f = nullptr;
  bool owned = false;
  std::string path;
  explicit Out(const std::string& p) : path(p) {
    if (p.empty() || p == "-") {
      f = stdout;
    } else {
      f = std::fopen(p.c_str(), "wb");
      if (!f) throw Error(Errc::io, fmt::format("cannot write '{}'", p));
      owned = true;
    }
  }
  void write(std::string_view s) {
    if (std::fwrite(s.data(), 1, s.size(), f) != s.size()) throw Error(Errc::io, fmt::format("cannot write '{}'", path.empty() ? "-" : path));
  }
  void close() {
    if (!f) return;
    bool ok = std::fflush(f) == 0;
    if (owned) ok = std::fclose(f) == 0 && ok;
    f = nullptr;
    if (!ok) throw Error(Errc::io, fmt::format("cannot write '{}'", path.empty() ? "-" : path));
  }
  ~Out() {
    if (f && owned) std::fclose(f);
  }
};

struct ReplayArgs {
  std::vector<std::string> workflows;
  std::string policy, calendar, events, until, cases_out, kpi_out, db, durability = "full";
  std::string personal_data_role;  ///< --personal-data-role: cases written unmasked
  std::vector<std::string> kpi_targets;  ///< --kpi-target measure=target, overriding the policy's
  bool quiet = false;
  int64_t batch = 1000;  ///< events per apply_batch (with --db: per transaction)
  int64_t snapshot_every = 100'000;
};

/// --kpi-target measure=target (">0.95", ">=1", "maximise", "minimise"); Error(invalid_argument)
/// naming the option for an unknown measure or a bad target.
std::vector<std::pair<std::string, kpi::Target>> kpi_targets(const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, kpi::Target>> out;
  kpi::Targets known;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq), where = "--kpi-target " + name;
    if (eq == std::string::npos || !known.find(name))
      throw Error(Errc::invalid_argument, fmt::format("--kpi-target {}: expected measure=target with a measure of: {}", arg,
                                                      fmt::join(kpi::Targets::names(), ", ")));
    out.emplace_back(name, kpi::Target::parse(std::string_view(arg).substr(eq + 1), where));
  }
  return out;
}

void write_outputs(const ReplayArgs& a, const workflow::Engine& engine, Instant final_time) {
  if (!a.cases_out.empty() || a.kpi_out.empty()) {
    Out out(a.cases_out);
    std::string buf;
    workflow::ReadOptions read;
    read.with_events = false;
    read.as_of = final_time;
    read.personal_data_role = a.personal_data_role;
    engine.for_each_case(
        [&](const workflow::Case& c) {
          buf += workflow::to_json(c, false);
          buf.push_back('\n');
          if (buf.size() > (1 << 20)) {
            out.write(buf);
            buf.clear();
          }
        },
        read);
    out.write(buf);
    out.close();
  }
  if (!a.kpi_out.empty()) {
    kpi::Options o;
    o.as_of = final_time;
    o.targets = kpi_targets(a.kpi_targets);
    Out out(a.kpi_out);
    out.write(kpi::to_json(engine.kpi(o)));
    out.close();
  }
}

/// The engine a replay drives: in memory, or on the durable store with --db (which keeps the
/// events, so a later run with the same --db continues from there: already-applied ids are
/// reported as duplicates). Either way the clocks are swept to each accepted event's time.
workflow::Engine replay_engine(const ReplayArgs& a) {
  const auto paths = cli::workflow_paths(a.workflows, a.policy);
  const std::vector<std::string>& wf = paths.first;
  const std::string& pol = paths.second;
  const std::string cal = a.calendar.empty() ? cli::data_path("calendars/cn-2026.json") : a.calendar;
  workflow::EngineOptions eo;
  eo.sweep_before_apply = true;
  if (a.db.empty()) {
    workflow::Engine engine = workflow::Engine::from_files(wf, pol, cal);
    engine.set_options(eo);
    return engine;
  }
  store::DurableOptions o;
  o.durability = store::parse_durability(a.durability);
  o.snapshot_every = a.snapshot_every;
  o.engine = eo;
  store::RecoveryReport rec;
  workflow::Engine engine = store::open_engine(a.db, [&] { return workflow::Engine::from_files(wf, pol, cal); }, o, &rec);
  for (const auto& w : rec.warnings) fmt::print(stderr, "store: {}\n", w);
  if (!a.quiet && rec.replayed + rec.snapshot_seq > 0)
    fmt::print(stderr, "store {}: recovered {} cases ({}snapshot, {} journal records replayed, journal at seq {})\n", a.db,
               engine.size(), rec.used_snapshot ? "" : "no ", rec.replayed, rec.last_seq);
  return engine;
}

void replay(const ReplayArgs& a) {
  if (a.batch < 1) throw Error(Errc::invalid_argument, "--batch must be at least 1");
  (void)kpi_targets(a.kpi_targets);  // a typo is refused before the replay, not after it
  const auto t0 = std::chrono::steady_clock::now();
  workflow::Engine engine = replay_engine(a);
  if (!a.personal_data_role.empty()) {  // refused before anything is applied: get() checks the role first
    workflow::ReadOptions role;
    role.personal_data_role = a.personal_data_role;
    (void)engine.get("", role);
  }
  std::optional<Instant> until;
  if (!a.until.empty()) until = parse_instant(a.until);
  const detail::FileBuffer file = cli::read_file(a.events);
  const std::string_view text = file.view();
  const auto t1 = std::chrono::steady_clock::now();

  std::vector<std::string_view> batch;
  std::vector<size_t> batch_lines;
  cli::Progress progress("replay", !a.quiet);
  size_t batch_end = 0;  // bytes of the log read so far
  size_t applied = 0, duplicates = 0, rejected = 0, breaches = 0, escalations = 0;
  constexpr size_t kListedDuplicates = 10;  // a re-run over a store would list every event
  size_t duplicates_listed = 0;
  int64_t latest = INT64_MIN;
  workflow::Event e;
  auto flush = [&] {
    if (batch.empty()) return;
    const workflow::BatchResult r = engine.apply_batch(batch);
    applied += r.applied;
    duplicates += r.duplicates;
    if (r.latest_at) latest = std::max(latest, r.latest_at->unix_seconds());
    breaches += r.breaches;
    escalations += r.escalations;
    for (const auto& rej : r.rejected) {
      ++rejected;
      fmt::print(stderr, "line {}: rejected ({}): {}\n", batch_lines[rej.index], errc_name(rej.code), rej.message);
    }
    if (!a.quiet)
      for (size_t i : r.duplicate_indexes) {
        if (duplicates_listed++ >= kListedDuplicates) break;
        workflow::parse_event(batch[i], e);
        fmt::print(stderr, "line {}: event '{}' of case '{}' was already applied (duplicate id, ignored)\n", batch_lines[i], e.id,
                   e.case_id);
      }
    batch.clear();
    batch_lines.clear();
    progress.update(static_cast<double>(batch_end) / static_cast<double>(std::max<size_t>(text.size(), 1)),
                    fmt::format("{} events", applied + duplicates + rejected));
  };
  cli::for_each_line(text, [&](std::string_view line, size_t line_no) {
    batch_end = static_cast<size_t>(line.data() + line.size() - text.data());
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    batch.push_back(line);  // parsed (once) by the batch, which reports bad lines by index
    batch_lines.push_back(line_no);
    if (static_cast<int64_t>(batch.size()) >= a.batch) flush();
  });
  flush();
  progress.done();
  if (!a.quiet && duplicates > kListedDuplicates)
    fmt::print(stderr, "({} more duplicates not listed)\n", duplicates - kListedDuplicates);
  Instant final_time = Instant::from_unix_seconds(latest == INT64_MIN ? 0 : latest);
  if (until) {
    if (*until > final_time) final_time = *until;
    engine.sweep(*until, [&](const workflow::SweepEvent& f) {
      breaches += f.kind == sla::ClockEvent::breach;
      escalations += f.escalated_to >= 0;
    });
  }
  const auto t2 = std::chrono::steady_clock::now();
  write_outputs(a, engine, final_time);
  const auto t3 = std::chrono::steady_clock::now();
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  if (!a.quiet)
    fmt::print(stderr,
               "replayed {} events into {} cases ({} duplicates, {} rejected; {} SLA breaches, {} automatic escalations){} "
               "in {:.3f} s (load {:.3f} s, apply {:.3f} s = {:.0f} events/s, output {:.3f} s)\n",
               applied, engine.size(), duplicates, rejected, breaches, escalations,
               a.db.empty() ? std::string() : fmt::format(" through store {}", a.db), secs(t3 - t0), secs(t1 - t0),
               secs(t2 - t1), (applied + rejected + duplicates) / std::max(1e-9, secs(t2 - t1)), secs(t3 - t2));
  if (rejected) throw CLI::RuntimeError(1);
}

/// A `generate` subcommand of a synthetic log: its size, --seed, --start, --days and --out
/// (stdout without it); `make` writes the log from the options.
template <class Options>
void add_generator(CLI::App& parent, const char* what, const char* count_flag, const char* count_help, uint64_t& count, Options& o,
                   std::string& out_path, std::string (*make)(const Options&)) {
  auto* g = parent.add_subcommand("generate", fmt::format("Writes a deterministic synthetic {} event log (JSON lines) to stdout", what));
  g->add_option(count_flag, count, count_help)->capture_default_str();
  g->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  g->add_option("--start", o.start, "First day (YYYY-MM-DD, China time)")->capture_default_str();
  g->add_option("--days", o.days, "Number of days covered")->capture_default_str();
  g->add_option("--out", out_path, "Write here instead of stdout");
  g->callback([&o, &count, &out_path, make, count_flag] {
    if (count > 50'000'000) throw Error(Errc::limit, fmt::format("{}: at most 50000000", count_flag));
    std::string text;
    try {
      text = make(o);
    } catch (const std::invalid_argument& e) {
      throw Error(Errc::invalid_argument, e.what());
    }
    Out out(out_path);
    out.write(text);
    out.close();
  });
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("complaints", "Complaint workflow: replay an event log, generate synthetic logs, check a workflow");
  cmd->require_subcommand(1);

  static ReplayArgs ra;
  auto* rp = cmd->add_subcommand(
      "replay",
      "Applies a JSON-lines event log in order (SLA clocks advanced to each event's time), writes one JSON line per case "
      "and the KPI report; rejected events are reported on stderr with their line number (exit status 1)");
  cli::add_workflow_options(*rp, ra.workflows, ra.policy);
  rp->add_option("--calendar", ra.calendar, "Business calendar JSON (default: the shipped China 2026 calendar)");
  rp->add_option("--events", ra.events, "Event log (.jsonl)")->required();
  rp->add_option("--until", ra.until, "Advance the clocks to this instant at the end (RFC 3339)");
  rp->add_option("--cases", ra.cases_out, "Write the cases here (JSON lines; '-' = stdout; default stdout unless --kpi is given)");
  rp->add_option("--kpi", ra.kpi_out, "Write the KPI report here (JSON; '-' = stdout)");
  rp->add_option("--kpi-target", ra.kpi_targets,
                 "A KPI target overriding the policy's kpi_targets, as measure=target (satisfaction=>0.9, timeliness=>=1, "
                 "repeat=minimise); repeatable");
  rp->add_flag("--quiet", ra.quiet, "No summary line and no duplicate notices on stderr");
  rp->add_option("--personal-data-role", ra.personal_data_role,
                 "Write the cases' personal data unmasked, as this role (one of the workflow's personal_data_roles)");
  rp->add_option("--db", ra.db, "Persist through this durable store (SQLite file; created if missing, recovered if not)");
  rp->add_option("--durability", ra.durability, "With --db: full (default), normal or off");
  rp->add_option("--batch", ra.batch, "Events per batch (with --db: per transaction)")->capture_default_str();
  rp->add_option("--snapshot-every", ra.snapshot_every, "With --db: journal records between snapshots (0 = none); a snapshot also waits until the journal has grown by the last snapshot's size")->capture_default_str();
  rp->callback([] { replay(ra); });

  static gen::ComplaintLogOptions go;
  static std::string gen_out;
  add_generator(*cmd, "complaint", "--cases", "Number of cases", go.cases, go, gen_out, gen::generate_complaint_jsonl);
  cmd->get_subcommand("generate")
      ->add_option("--incidents", go.incidents, "Mass faults (incidents, 0..1000; -1: one per 500 cases), each with complaints of many customers linked to it")
      ->capture_default_str();

  static gen::WorkOrderLogOptions wo;
  static std::string wo_out;
  auto* wg = app.add_subcommand("work-orders", "Work orders (installation, moves, fault repair): synthetic logs; replay them with `complaints replay`")
                 ->require_subcommand(1);
  add_generator(*wg, "work-order", "--orders", "Number of work orders", wo.orders, wo, wo_out, gen::generate_work_order_jsonl);

  static std::vector<std::string> check_workflows;
  static std::string check_policy, check_calendar;
  auto* ck = cmd->add_subcommand("check", "Validates workflow definitions against their policies and prints a summary of each");
  cli::add_workflow_options(*ck, check_workflows, check_policy);
  ck->add_option("--calendar", check_calendar, "Business calendar JSON (default: the shipped China 2026 calendar)");
  ck->callback([] {
    const auto [wf, pol] = cli::workflow_paths(check_workflows, check_policy);
    workflow::Engine engine =
        workflow::Engine::from_files(wf, pol, check_calendar.empty() ? cli::data_path("calendars/cn-2026.json") : check_calendar);
    for (const auto& d : engine.workflows())
      fmt::print("workflow OK: {} version {}{}\nstates: {}\ntransitions: {}\nroles: {}\nclocks: {}\nfields: {}\n", d.name(), d.version(),
                 d.name() == engine.definition().name() ? " (default)" : "", d.states().size(), d.transitions().size(),
                 d.roles().size(), d.clocks().size(), d.fields().size());
  });
}

CRMKIT_CLI_COMMAND(20, setup);

}  // namespace
