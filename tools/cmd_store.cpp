// crmkit store check|export — inspect a durable store file.
#include <fmt/core.h>

#include "cli.hpp"
#include "crmkit/store.hpp"

namespace {

using namespace crmkit;

/// Personal data in exports (docs/domain.md#case-records-and-personal-data): a run of 7 or more digits — a phone or ID number —
/// keeps its last 4 digits, e.g. 13812345678 -> *******5678.
std::string mask_personal_numbers(const std::string& text) {
  std::string out = text;
  size_t i = 0;
  while (i < out.size()) {
    if (out[i] < '0' || out[i] > '9') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && out[j] >= '0' && out[j] <= '9') ++j;
    if (j - i >= 7)
      for (size_t k = i; k + 4 < j; ++k) out[k] = '*';
    i = j;
  }
  return out;
}

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
  static bool unmasked = false;
  auto* exp = store->add_subcommand("export", "Write the journal's events as JSON lines on stdout, in order");
  exp->add_option("--db", export_db, "Store file")->required();
  exp->add_option("--after", after, "Only events after this journal position");
  exp->add_flag("--unmasked", unmasked, "Do not mask personal numbers (phones, ID numbers: runs of 7+ digits keep their last 4)");
  exp->callback([] {
    auto s = store::Store::open(export_db, existing_store());
    std::string out;
    s.scan(after, [&](const store::Entry& e) {
      if (e.kind != store::RecordKind::event) return;  // sweeps are journal bookkeeping, not events
      out += unmasked ? e.json : mask_personal_numbers(e.json);
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
