// crmkit store check|export — inspect a durable store file.
#include <fmt/core.h>

#include <unordered_map>

#include "cli.hpp"
#include "crmkit/store.hpp"
#include "crmkit/workflow.hpp"

namespace {

using namespace crmkit;

/// Inspecting never creates a store.
store::Options existing_store() {
  store::Options o;
  o.create = false;
  return o;
}

/// "seq 42, event e-7 of case C-3", "seq 43, a sweep" or "empty journal".
std::string describe_end(const store::JournalEnd& end) {
  if (end.seq == 0) return "empty journal";
  if (end.kind == store::RecordKind::sweep) return fmt::format("seq {}, a sweep", end.seq);
  return fmt::format("seq {}, event {} of case {}", end.seq, end.event_id, end.case_id);
}

void setup(CLI::App& app) {
  auto* store = app.add_subcommand("store", "Inspect a durable store (SQLite journal + snapshots)");
  store->require_subcommand(1);

  static std::string check_db;
  static int64_t check_expect_seq = -1;
  auto* check = store->add_subcommand("check",
                                      "Verify the database, every journal record's checksum, seq contiguity and every snapshot's checksum");
  check->add_option("--db", check_db, "Store file")->required();
  check->add_option("--expect-seq", check_expect_seq,
                    "The journal position the host last saw: fail (corrupt) if the journal ends before it");
  check->callback([] {
    store::Options o = existing_store();
    if (check_expect_seq >= 0) o.expect_seq = check_expect_seq;
    auto s = store::Store::open(check_db, o);
    auto r = s.check();
    fmt::print("{}: {} journal records (last seq {}), {} bad records, {} snapshots ({} bad)\n", check_db, r.events, r.last_seq,
               r.bad_records, r.snapshots, r.bad_snapshots);
    fmt::print("journal end: {}\n", describe_end(r.end));
    for (const auto& p : r.problems) fmt::print("problem: {}\n", p);
    fmt::print("{}\n", r.ok ? "ok" : "NOT OK");
    if (!r.ok) throw CLI::RuntimeError(1);
  });

  static std::string export_db;
  static int64_t after = 0;
  static std::vector<std::string> export_workflows;
  static std::string export_role;
  auto* exp = store->add_subcommand("export", "Write the journal's events as JSON lines on stdout, in order");
  exp->add_option("--db", export_db, "Store file")->required();
  exp->add_option("--after", after, "Only events after this journal position");
  exp->add_option("--workflow", export_workflows,
                  "The workflows (files or folders, repeatable) whose personal fields are masked: the store's cases name theirs "
                  "(default: the shipped data/workflows/)");
  exp->add_option("--personal-data-role", export_role,
                  "Export personal data unmasked, as this role (one of the workflow's personal_data_roles); otherwise personal "
                  "fields are masked and digit runs of 7+ in free text keep their last 4");
  exp->callback([] {
    std::vector<workflow::Definition> defs;
    for (const auto& [file, policy] : workflow::workflow_sources(
             export_workflows.empty() ? std::vector<std::string>{cli::data_path("workflows")} : export_workflows, ""))
      defs.push_back(workflow::Definition::from_file(file));
    for (const auto& def : defs) workflow::check_personal_data_role(def, export_role);
    const bool unmasked = !export_role.empty();
    // Each case's definition, from its receive (the journal names the workflow version it got).
    std::unordered_map<std::string, const workflow::Definition*> case_def;
    auto definition_of = [&](const workflow::Event& e) -> const workflow::Definition& {
      if (auto it = case_def.find(e.case_id); it != case_def.end()) return *it->second;
      const workflow::Definition* found = &defs.front();
      for (const auto& d : defs)
        if (e.has(workflow::Field::workflow) && d.name() == e.workflow &&
            (!e.has(workflow::Field::workflow_version) || d.version() == e.workflow_version))
          found = &d;
      return *case_def.emplace(e.case_id, found).first->second;
    };
    workflow::Event parsed;
    auto s = store::Store::open(export_db, existing_store());
    std::string out;
    s.scan(after, [&](const store::Entry& e) {
      if (e.kind != store::RecordKind::event) return;  // sweeps are journal bookkeeping, not events
      if (unmasked) out += e.json;
      else {
        // Masked as a case read masks it (docs/domain.md#case-records-and-personal-data).
        workflow::parse_event(e.json, parsed);
        workflow::mask_personal_data(parsed, definition_of(parsed));
        out += workflow::to_json(parsed);
      }
      out += '\n';
      if (out.size() > (1 << 20)) {
        fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    });
    fwrite(out.data(), 1, out.size(), stdout);
  });
}

CRMKIT_CLI_COMMAND(60, setup);

}  // namespace
