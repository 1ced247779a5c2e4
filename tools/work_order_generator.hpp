// Deterministic synthetic work-order event logs (JSON lines) for the shipped work-order workflow
// (data/workflows/work-order.json): installation, move and fault-repair orders over `days` days
// from `start` (China time), dispatched to teams and technicians, appointed, confirmed a second
// time, notified half an hour before, visited (mostly on time), rescheduled by the customer or
// the company, nobody at home now and then (a notice, a new appointment), completed, called back
// (manual for the important tiers; some unsatisfied sending the order back for another visit),
// a few cancelled, some joined with the customer's second order (one visit). Events are in time
// order; ids w-1, w-2, ..., cases W-1, W-2, ... by receipt. The same options give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crmkit::gen {

struct WorkOrderLogOptions {
  uint64_t orders = 2000;
  uint64_t seed = 1;
  std::string start = "2026-03-01";  ///< YYYY-MM-DD (local date, +08:00)
  int days = 31;
  /// Tiers that get manual callbacks (as in data/policies/work-order.json).
  std::vector<std::string> manual_tiers = {"diamond", "gold", "1A", "2A", "3A", "1B"};
};

/// Throws std::invalid_argument for a bad start date or zero days. One JSON object per line, in
/// time order, with a trailing newline.
std::string generate_work_order_jsonl(const WorkOrderLogOptions& options);

}  // namespace crmkit::gen
