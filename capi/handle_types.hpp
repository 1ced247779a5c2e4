// The C ABI's opaque handle types, shared by the capi_*.cpp files that take each other's handles.
#pragma once

#include <deque>
#include <mutex>
#include <unordered_map>

#include "crmkit/calendar.hpp"
#include "crmkit/sla.hpp"

struct crmkit_calendar {
  crmkit::Calendar cal;
};

struct crmkit_policy {
  crmkit::sla::Policy policy;
};

struct crmkit_clocks {
  std::mutex mu;
  crmkit::sla::Scheduler scheduler;
  std::deque<crmkit::sla::ClockEvent> pending;  // fired but not yet handed to the caller
  std::unordered_map<uint64_t, crmkit::Instant> dues;  // instant targets: the due the case gave at create/retarget
};
