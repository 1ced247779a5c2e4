// Fault injection on the journal: a clean store (some records checkpointed into the database
// file, the last transactions still in the WAL) is copied, damaged one way per trial — bytes
// flipped in the database file, a row edited through raw SQL without its checksum, the WAL
// truncated, bytes flipped in the WAL — and opened (with expect_seq = the clean journal end for
// the WAL trials), scanned and checked. A trial must end in an Error from open or scan, a check()
// that is not ok, or exactly the clean entries: never different entries with every step
// succeeding. Deterministic seed.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "crmkit/error.hpp"
#include "crmkit/store.hpp"

using namespace crmkit;
using namespace crmkit::store;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void remove_store(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

std::string event_json(int n) {
  return "{\"id\":\"e-" + std::to_string(n) + "\",\"n\":" + std::to_string(n) + ",\"text\":\"" +
         std::string(static_cast<size_t>(n * 37 % 600), static_cast<char>('a' + n % 26)) + "\"}";
}

/// The clean store's files (bytes) and what scanning it gives.
struct CleanStore {
  std::string db, wal;
  std::vector<Entry> entries;
  int64_t last_seq = 0;
};

/// Appends `batches` transactions of `per_batch` records (an event each, a sweep now and then).
void append_batches(Store& s, int& n, int batches, int per_batch) {
  for (int b = 0; b < batches; ++b) {
    std::vector<std::string> ids, cases, bodies;
    for (int k = 0; k < per_batch; ++k, ++n) {
      ids.push_back(n % 17 == 0 ? "" : "e-" + std::to_string(n));
      cases.push_back(n % 17 == 0 ? "" : "C/" + std::to_string(n % 13));  // slashes in case ids too
      bodies.push_back(n % 17 == 0 ? std::to_string(1700000000 + n) : event_json(n));
    }
    std::vector<Record> records;
    for (size_t k = 0; k < ids.size(); ++k)
      records.push_back({ids[k], cases[k], bodies[k], ids[k].empty() ? RecordKind::sweep : RecordKind::event});
    s.append(records);
  }
}

/// Six transactions checkpointed into the database file, then three more left in the WAL (the
/// files are copied while the writer still has them open: closing would checkpoint them).
CleanStore make_clean_store(const std::string& path) {
  remove_store(path);
  CleanStore clean;
  int n = 1;
  {
    auto s = Store::open(path, {Durability::off});
    append_batches(s, n, 6, 50);
  }
  auto s = Store::open(path, {Durability::off});
  append_batches(s, n, 3, 40);
  s.put_snapshot(s.last_seq(), 1, "state");
  clean.db = read_bytes(path);
  clean.wal = read_bytes(path + "-wal");
  s.scan(0, [&](const Entry& e) { clean.entries.push_back(e); });
  clean.last_seq = s.last_seq();
  return clean;
}

enum class Fault { flip_db, edit_row, truncate_wal, flip_wal };
const char* fault_name(Fault f) {
  switch (f) {
    case Fault::flip_db: return "flip db bytes";
    case Fault::edit_row: return "edit a row";
    case Fault::truncate_wal: return "truncate the WAL";
    case Fault::flip_wal: return "flip WAL bytes";
  }
  return "?";
}

void flip_bytes(std::string& bytes, std::mt19937& rng) {
  const int flips = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
}

/// Changes one field of one row with raw SQL (every edit changes something), leaving its checksum
/// as it was.
void edit_row(const std::string& path, int64_t last_seq, std::mt19937& rng) {
  static const char* const edits[] = {
      "UPDATE events SET body = body || ' ' WHERE seq = ?1",
      "UPDATE events SET body = substr(body, 1, length(body) - 1) WHERE seq = ?1",
      "UPDATE events SET body = 'X' || substr(body, 2) WHERE seq = ?1",
      "UPDATE events SET case_id = coalesce(case_id, '') || 'x' WHERE seq = ?1",
      "UPDATE events SET event_id = 'forged' WHERE seq = ?1",
      "UPDATE events SET kind = 3 - kind WHERE seq = ?1",
      "UPDATE events SET seq = seq + 100000 WHERE seq = ?1",
  };
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, edits[rng() % std::size(edits)], -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_int64(st, 1, 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(last_seq)));
  REQUIRE(sqlite3_step(st) == SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/// Writes the clean files at `path` and applies the fault.
void damage(const std::string& path, const CleanStore& clean, Fault fault, std::mt19937& rng) {
  remove_store(path);
  std::string db = clean.db, wal = clean.wal;
  if (fault == Fault::flip_db) flip_bytes(db, rng);
  if (fault == Fault::flip_wal) flip_bytes(wal, rng);
  if (fault == Fault::truncate_wal) wal.resize(rng() % (wal.size() + 1));
  write_bytes(path, db);
  write_bytes(path + "-wal", wal);
  if (fault == Fault::edit_row) edit_row(path, clean.last_seq, rng);
}

enum class Outcome { open_error, scan_error, check_not_ok, intact, undetected };
const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::open_error: return "open error";
    case Outcome::scan_error: return "scan error";
    case Outcome::check_not_ok: return "check not ok";
    case Outcome::intact: return "entries intact";
    case Outcome::undetected: return "UNDETECTED";
  }
  return "?";
}

bool is_detection_code(Errc code) { return code == Errc::corrupt || code == Errc::io || code == Errc::version; }

/// Opens, scans and checks the damaged store; the first step that notices decides the outcome.
/// Check runs even after a failed scan: it must report, not crash, on any damage.
Outcome open_scan_check(const std::string& path, const CleanStore& clean, Fault fault, std::string& detail) {
  Options options;
  options.durability = Durability::off;
  if (fault == Fault::truncate_wal || fault == Fault::flip_wal) options.expect_seq = clean.last_seq;
  std::optional<Store> s;
  try {
    s.emplace(Store::open(path, options));
  } catch (const Error& e) {
    detail = e.what();
    CHECK_MESSAGE(is_detection_code(e.code()), "open: " << e.what());
    return Outcome::open_error;
  }
  std::vector<Entry> got;
  bool scan_failed = false;
  try {
    s->scan(0, [&](const Entry& e) { got.push_back(e); });
  } catch (const Error& e) {
    detail = e.what();
    CHECK_MESSAGE(is_detection_code(e.code()), "scan: " << e.what());
    scan_failed = true;
  }
  bool check_ok = false;
  try {
    const CheckReport report = s->check();
    check_ok = report.ok;
    if (!check_ok && !scan_failed) detail = report.problems.empty() ? "" : report.problems[0];
  } catch (const Error& e) {
    if (!scan_failed) detail = e.what();
  }
  if (scan_failed) return Outcome::scan_error;
  if (!check_ok) return Outcome::check_not_ok;
  if (got == clean.entries) return Outcome::intact;
  detail = "scan gave " + std::to_string(got.size()) + " entries, the clean store has " + std::to_string(clean.entries.size());
  return Outcome::undetected;
}

}  // namespace

TEST_CASE("Journal faults: every damage is an error, a failed check, or the clean entries exactly") {
  const std::string base = (fs::temp_directory_path() / ("crmkit-faults-" + std::to_string(getpid()))).string();
  const std::string clean_path = base + "-clean.db", trial_path = base + "-trial.db";
  const CleanStore clean = make_clean_store(clean_path);
  remove_store(clean_path);
  REQUIRE(clean.entries.size() == 420);
  REQUIRE(clean.wal.size() > 0);  // the last transactions are only in the WAL

  std::mt19937 rng(20260514);
  {  // The undamaged copy opens to exactly the clean entries (the harness itself is sound).
    std::string detail;
    remove_store(trial_path);
    write_bytes(trial_path, clean.db);
    write_bytes(trial_path + "-wal", clean.wal);
    REQUIRE(open_scan_check(trial_path, clean, Fault::flip_wal, detail) == Outcome::intact);
  }

  const int trials_per_fault = 100;
  std::map<std::pair<Fault, Outcome>, int> counts;
  int lost_commits_caught = 0;  // SQLite dropped WAL frames silently; only expect_seq saw it
  for (Fault fault : {Fault::flip_db, Fault::edit_row, Fault::truncate_wal, Fault::flip_wal}) {
    for (int trial = 0; trial < trials_per_fault; ++trial) {
      damage(trial_path, clean, fault, rng);
      std::string detail;
      const Outcome outcome = open_scan_check(trial_path, clean, fault, detail);
      ++counts[{fault, outcome}];
      if (detail.find("the last commits were lost") != std::string::npos) ++lost_commits_caught;
      CHECK_MESSAGE(outcome != Outcome::undetected, fault_name(fault) << ", trial " << trial << ": " << detail);
      if (fault == Fault::edit_row) CHECK_MESSAGE(outcome != Outcome::intact, "an edited row went unnoticed");
    }
  }
  remove_store(trial_path);

  for (Fault fault : {Fault::flip_db, Fault::edit_row, Fault::truncate_wal, Fault::flip_wal}) {
    std::string line = std::string(fault_name(fault)) + ":";
    for (Outcome o : {Outcome::open_error, Outcome::scan_error, Outcome::check_not_ok, Outcome::intact, Outcome::undetected})
      line += " " + std::string(outcome_name(o)) + " " + std::to_string(counts[{fault, o}]) + ",";
    line.pop_back();
    MESSAGE(line);
  }
  MESSAGE("WAL trials whose lost commits only expect_seq caught (SQLite discarded the frames without an error): "
          << lost_commits_caught);
  // Each kind of damage was actually detected at least once (the trials are not all no-ops).
  CHECK(counts[{Fault::truncate_wal, Outcome::open_error}] > 0);
  CHECK(counts[{Fault::flip_wal, Outcome::open_error}] > 0);
  CHECK(counts[{Fault::flip_db, Outcome::intact}] < trials_per_fault);
}
