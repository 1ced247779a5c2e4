// Deterministic synthetic complaint event logs (JSON lines) for demos, tests and benchmarks.
// Library-independent (standard C++ only), so tests and benchmarks compile it directly.
//
// The log covers `days` days from `start` (China time, +08:00): cases on every channel,
// category, severity and tier, acknowledgements (some late, so SLA breaches escalate),
// dispatches and transfers, waits for the customer, manual escalations, over-level complaints,
// compensation (some above the agent's limit, approved later), callbacks (automatic and manual,
// unsatisfied with reasons, unreachable; attempts exhausted), reopens, repeat complaints,
// merges, rejections, withdrawals and appeals. Events are in time order; ids e-1, e-2, ...
// Besides, `incidents` mass faults (default one per 500 cases) (workflow "incident", cases INC-1, INC-2, ...): complaints of
// many customers about each (C-<cases+1>, ...) linked to it, the customers told of progress and
// resolved at once from the incident, each complaint then called back on its own, the cause
// traced back (root cause, component, supplier, contractor). Their events (ids m-1, m-2, ...)
// come from a random stream of their own: the other cases and events do not change with them.
// Justified complaints (about 70 %) get their cause recorded with their resolution (root cause,
// component, supplier, contractor, responsible department) and about one in 20 of them a
// corrective action (ids a-1, a-2, ...), some done late, some still open.
// The same options give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crmkit::gen {

struct ComplaintLogOptions {
  uint64_t cases = 3000;
  uint64_t seed = 1;
  std::string start = "2026-01-01";  ///< YYYY-MM-DD (local date, +08:00)
  int days = 91;
  int incidents = -1;  ///< mass faults (0..1000); -1: one per 500 cases
  /// Tiers that get manual callbacks (as in data/policies/default.json).
  std::vector<std::string> manual_tiers = {"diamond", "gold", "1A", "2A", "3A", "1B"};
};

struct ComplaintLog {
  std::vector<std::string> lines;  ///< one JSON object per event, in time order
  uint64_t cases = 0;
};

/// Throws std::invalid_argument for a bad start date or zero days.
ComplaintLog generate_complaint_log(const ComplaintLogOptions& options);

/// The log as one string (lines joined with '\n', trailing newline).
std::string generate_complaint_jsonl(const ComplaintLogOptions& options);

}  // namespace crmkit::gen
