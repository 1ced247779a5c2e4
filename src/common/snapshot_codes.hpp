// Private: the codes under which snapshots store enums (format 2). A code is a u8; codes are never
// renumbered: a new enumerator gets the next code (and a new format if old readers must refuse it).
//
//   enum                        code: enumerator
//   workflow::Satisfaction      0 none, 1 very_satisfied, 2 satisfied, 3 unsatisfied, 4 unknown
//   sla::ClockState             0 idle, 1 running, 2 paused, 3 stopped
//   sla::ClockEvent::Kind       0 warning, 1 breach
//   sla::TargetKind             0 business, 1 elapsed, 2 instant
//   workflow::Remedy            0 money, 1 repair, 2 replace, 3 redo, 4 non_property
#pragma once

#include "common/snapshot_archive.hpp"
#include "crmkit/sla.hpp"
#include "crmkit/workflow.hpp"

namespace crmkit::detail {

inline constexpr EnumCodes<workflow::Satisfaction, 5> kSatisfactionCodes{
    "satisfaction",
    {workflow::Satisfaction::none, workflow::Satisfaction::very_satisfied, workflow::Satisfaction::satisfied,
     workflow::Satisfaction::unsatisfied, workflow::Satisfaction::unknown}};

inline constexpr EnumCodes<sla::ClockState, 4> kClockStateCodes{
    "clock state", {sla::ClockState::idle, sla::ClockState::running, sla::ClockState::paused, sla::ClockState::stopped}};

inline constexpr EnumCodes<sla::ClockEvent::Kind, 2> kClockEventKindCodes{"clock event kind",
                                                                          {sla::ClockEvent::warning, sla::ClockEvent::breach}};

inline constexpr EnumCodes<sla::TargetKind, 3> kTargetKindCodes{
    "target kind", {sla::TargetKind::business, sla::TargetKind::elapsed, sla::TargetKind::instant}};

inline constexpr EnumCodes<workflow::Remedy, 5> kRemedyCodes{
    "remedy", {workflow::Remedy::money, workflow::Remedy::repair, workflow::Remedy::replace, workflow::Remedy::redo,
               workflow::Remedy::non_property}};

}  // namespace crmkit::detail
