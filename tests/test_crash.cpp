// Crash safety of the durable store: a child appends events and reports each acknowledged id on
// a pipe; the parent kills it with SIGKILL at random moments, reopens the store and checks that
// every acknowledged event is there, whole, in order. Also: a WAL truncated at random offsets
// (power loss before the pages reached the disk) never corrupts the database.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "crmkit/error.hpp"
#include "crmkit/durable.hpp"
#include "crmkit/kpi.hpp"
#include "crmkit/store.hpp"
#include "engine_fixture.hpp"

using namespace crmkit;
namespace fs = std::filesystem;

namespace {

std::string event_json(int64_t n) {
  // A body long enough to span pages now and then, with a checkable shape.
  return "{\"id\":\"e-" + std::to_string(n) + "\",\"case\":\"C-" + std::to_string(n % 97) +
         "\",\"type\":\"receive\",\"data\":{\"description\":\"" + std::string(static_cast<size_t>(n % 700), 'x') + "\"}}";
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-lock"}) std::remove((path + suffix).c_str());
}

/// Child: append events n = start, start+1, ... forever (batches of 1..8), acknowledging each
/// committed batch's ids on the pipe.
[[noreturn]] void child_writer(const std::string& path, int64_t start, int fd, unsigned seed) {
  try {
    auto s = store::Store::open(path);
    std::mt19937 rng(seed);
    int64_t n = start;
    std::vector<std::string> ids, bodies, cases;
    for (;;) {
      size_t batch = 1 + rng() % 8;
      ids.clear();
      bodies.clear();
      cases.clear();
      for (size_t k = 0; k < batch; ++k, ++n) {
        ids.push_back("e-" + std::to_string(n));
        cases.push_back("C-" + std::to_string(n % 97));
        bodies.push_back(event_json(n));
      }
      std::vector<store::Record> recs;
      for (size_t k = 0; k < batch; ++k) recs.push_back({ids[k], cases[k], bodies[k]});
      s.append(recs);
      std::string ack = std::to_string(n - 1) + "\n";  // every id up to n-1 is acknowledged
      if (write(fd, ack.data(), ack.size()) < 0) _exit(3);
    }
  } catch (...) {
    _exit(2);
  }
}

/// Lets a child writer run, reading its acknowledgements (lines "N\n" on fd): first until one
/// arrives when `wait_for_first` (opening and recovering take a while, longer under sanitizers;
/// at most 60 s), then for `run_for`; then kills it with SIGKILL and drains what it wrote before
/// dying. Raises `highest` to the largest N read; returns the child's wait status.
int run_then_kill(pid_t pid, int fd, bool wait_for_first, std::chrono::microseconds run_for, int64_t& highest) {
  std::string buffer;
  char chunk[4096];
  auto take = [&](ssize_t got) {
    if (got > 0) buffer.append(chunk, static_cast<size_t>(got));
    return got > 0;
  };
  if (wait_for_first)
    for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
         buffer.find('\n') == std::string::npos && std::chrono::steady_clock::now() < give_up;)
      if (!take(read(fd, chunk, sizeof chunk))) break;
  for (auto deadline = std::chrono::steady_clock::now() + run_for; std::chrono::steady_clock::now() < deadline;) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    timeval tv{0, 1000};
    if (select(fd + 1, &set, nullptr, nullptr, &tv) > 0 && !take(read(fd, chunk, sizeof chunk))) break;
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  while (take(read(fd, chunk, sizeof chunk))) {
  }
  close(fd);
  for (size_t pos = 0, nl; (nl = buffer.find('\n', pos)) != std::string::npos; pos = nl + 1)
    highest = std::max<int64_t>(highest, std::stoll(buffer.substr(pos, nl - pos)));
  return status;
}

}  // namespace

TEST_CASE("Every acknowledged event survives SIGKILL, none is half there (many rounds)") {
  const std::string path = (fs::temp_directory_path() / ("crmkit-crash-" + std::to_string(getpid()) + ".db")).string();
  remove_db(path);
  std::mt19937 rng(20261122);
  int64_t acknowledged = 0;  // highest acknowledged event number
  const int rounds = 200;
  for (int round = 0; round < rounds; ++round) {
    int64_t start;
    {
      auto s = store::Store::open(path);
      start = s.last_seq() + 1;
    }
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      child_writer(path, start, fds[1], static_cast<unsigned>(rng()));
    }
    close(fds[1]);
    // Let it run between 0 and 30 ms, reading acknowledgements, then kill it.
    const int status = run_then_kill(pid, fds[0], false, std::chrono::microseconds(rng() % 30000), acknowledged);
    if (WIFEXITED(status)) FAIL("writer exited by itself with status " << WEXITSTATUS(status));

    auto s = store::Store::open(path);
    REQUIRE(s.last_seq() >= acknowledged);
    if (round % 20 == 0 || round == rounds - 1) {
      auto report = s.check();
      REQUIRE_MESSAGE(report.ok, (report.problems.empty() ? "" : report.problems[0]));
      int64_t expect = 1;
      bool intact = true;
      s.scan(0, [&](const store::Entry& e) {
        intact = intact && e.seq == expect && e.event_id == "e-" + std::to_string(expect) && e.json == event_json(expect);
        ++expect;
      });
      REQUIRE(intact);
    }
  }
  MESSAGE("crash rounds: " << rounds << ", acknowledged events: " << acknowledged);
  CHECK(acknowledged > 0);
  remove_db(path);
}

TEST_CASE("A WAL truncated at random offsets never corrupts the database") {
  const std::string base = (fs::temp_directory_path() / ("crmkit-wal-" + std::to_string(getpid()))).string();
  const std::string path = base + ".db";
  remove_db(path);
  // A writer killed mid-stream leaves a WAL that was never checkpointed.
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  { store::Store::open(path); }
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    child_writer(path, 1, fds[1], 7);
  }
  close(fds[1]);
  std::string acks;
  char chunk[4096];
  while (acks.size() < 2000) {
    ssize_t got = read(fds[0], chunk, sizeof chunk);
    if (got <= 0) break;
    acks.append(chunk, static_cast<size_t>(got));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(fds[0]);
  REQUIRE(fs::exists(path + "-wal"));
  const auto wal_size = fs::file_size(path + "-wal");
  REQUIRE(wal_size > 0);

  std::mt19937 rng(99);
  int64_t previous_last = -1;
  for (int round = 0; round < 40; ++round) {
    const std::string copy = base + "-copy.db";
    remove_db(copy);
    fs::copy_file(path, copy);
    fs::copy_file(path + "-wal", copy + "-wal");
    fs::resize_file(copy + "-wal", rng() % (wal_size + 1));
    auto s = store::Store::open(copy);
    auto report = s.check();
    REQUIRE_MESSAGE(report.ok, (report.problems.empty() ? "" : report.problems[0]));
    int64_t expect = 1;
    bool intact = true;
    s.scan(0, [&](const store::Entry& e) {
      intact = intact && e.seq == expect && e.json == event_json(expect);
      ++expect;
    });
    REQUIRE(intact);  // a prefix of the journal, every event whole
    previous_last = std::max(previous_last, s.last_seq());
    remove_db(copy);
  }
  CHECK(previous_last > 0);
  remove_db(path);
}

using testing::engine_dump;
using testing::fresh_engine;
using testing::quarter_lines;

TEST_CASE("The durable engine: SIGKILL at random moments loses no acknowledged event and recovers exactly") {
  const std::string path = (fs::temp_directory_path() / ("crmkit-crash-engine-" + std::to_string(getpid()) + ".db")).string();
  remove_db(path);
  const auto lines = quarter_lines();
  std::mt19937 rng(7);
  size_t acknowledged = 0;  // events 0..acknowledged-1 of the log were acknowledged
  const int rounds = 100;
  for (int round = 0; round < rounds && acknowledged < lines.size(); ++round) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const size_t start = acknowledged;
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      try {
        store::DurableOptions o;  // full durability
        o.snapshot_every = 700;   // snapshots get written (and interrupted) too
        o.engine.sweep_before_apply = true;
        workflow::Engine d = store::open_engine(path, fresh_engine, o);
        // Resume where the acknowledged prefix ends (an unacknowledged event may have made it: it is a duplicate then).
        for (size_t i = start; i < lines.size(); ++i) {
          d.apply_json(lines[i]);
          std::string ack = std::to_string(i + 1) + "\n";
          if (write(fds[1], ack.data(), ack.size()) < 0) _exit(3);
        }
      } catch (...) {
        _exit(2);
      }
      _exit(0);
    }
    close(fds[1]);
    // Kill at a random moment after the first acknowledgement of the round: every round makes progress.
    int64_t highest = static_cast<int64_t>(acknowledged);
    const int status = run_then_kill(pid, fds[0], true, std::chrono::microseconds(rng() % 40000), highest);
    acknowledged = static_cast<size_t>(highest);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) FAIL("writer failed with status " << WEXITSTATUS(status));
  }
  // Recovered state: every acknowledged event is in it, and it equals a clean replay of the journal.
  store::DurableOptions o;
  o.snapshot_every = 0;
  o.engine.sweep_before_apply = true;
  store::RecoveryReport recovery;
  workflow::Engine d = store::open_engine(path, fresh_engine, o, &recovery);
  size_t journaled = 0;
  workflow::Engine replayed = fresh_engine();
  replayed.set_options(o.engine);
  for (size_t i = 0; i < acknowledged; ++i) {
    auto e = workflow::parse_event(lines[i]);
    auto c = d.get(e.case_id);
    REQUIRE_MESSAGE(c.has_value(), "acknowledged event " << i << " lost its case");
    bool found = false;
    for (const auto& a : c->events) found = found || a.id == e.id;
    REQUIRE_MESSAGE(found, "acknowledged event " << e.id << " lost");
    ++journaled;
  }
  // The journal holds a prefix of the log (no half events): replaying that prefix gives the same engine.
  for (size_t i = 0; i < lines.size(); ++i) {
    auto e = workflow::parse_event(lines[i]);
    const auto c = d.get(e.case_id);
    if (!c) break;
    bool found = false;
    for (const auto& a : c->events) found = found || a.id == e.id;
    if (!found) break;
    replayed.apply(e);
  }
  CHECK((engine_dump(replayed) == engine_dump(d)));
  MESSAGE("engine crash rounds: " << rounds << ", acknowledged events: " << acknowledged << ", recovered with snapshot: "
                                  << recovery.used_snapshot << ", replayed records: " << recovery.replayed);
  CHECK(journaled == acknowledged);
  CHECK(acknowledged >= static_cast<size_t>(rounds));
  remove_db(path);
}
