// crmkit/limits.hpp — the input-size limits of the readers outside the workflow engine.
//
// Hostile input must fail fast with Error(limit) (CRMKIT_ELIMIT) instead of exhausting memory or
// time. The other documented limits live next to what they limit: the supported time range in
// crmkit/time.hpp, CLV horizons and periods in crmkit/value.hpp, event and case limits in
// crmkit/workflow.hpp. README.md ("Limits") lists them all with the error each gives.
#pragma once

#include <cstddef>

namespace crmkit {

/// Largest data file read whole: transaction logs, summary CSVs, tier histories, enterprise
/// account lists and event logs (1 GiB). A bigger regular file is refused before it is read; a
/// pipe is read up to this many bytes, then refused. Error(limit) naming the file.
inline constexpr std::size_t kMaxDataFileBytes = std::size_t{1} << 30;

/// Largest configuration file: calendars, SLA policies, workflow definitions, tier and RFM
/// configs, tz database (TZif) files (16 MiB). Error(limit) naming the file.
inline constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;

}  // namespace crmkit
