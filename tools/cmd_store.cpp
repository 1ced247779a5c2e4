// crmkit store check|export — inspect a durable store file.
#include <fmt/core.h>

#include "cli.hpp"
#include "crmkit/store.hpp"

namespace {

using namespace crmkit;

/// Personal data in exports (domain.md §2.2): a run of 7 or more digits — a phone or ID number —
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

void setup(CLI::App& app) {
  auto* store = app.add_subcommand("store", "Inspect a durable store (SQLite journal + snapshots)");
  store->require_subcommand(1);

  static std::string check_db;
  auto* check = store->add_subcommand("check", "Verify the database, the journal and every snapshot's checksum");
  check->add_option("--db", check_db, "Store file")->required();
  check->callback([] {
    auto s = store::Store::open(check_db, {store::Durability::full, false});
    auto r = s.check();
    fmt::print("{}: {} journal records (last seq {}), {} snapshots ({} bad)\n", check_db, r.events, r.last_seq, r.snapshots,
               r.bad_snapshots);
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
    auto s = store::Store::open(export_db, {store::Durability::full, false});
    std::string out;
    s.scan(after, [&](const store::Entry& e) {
      if (e.kind != 'e') return;  // sweeps are journal bookkeeping, not events
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
