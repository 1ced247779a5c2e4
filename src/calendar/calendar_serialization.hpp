// Private: Boost.Serialization of calendars (SLA targets in scheduler snapshots). A calendar is
// stored as its spec: zone, the intervals of each weekday (Monday first), holidays, make-up
// working days with their intervals, and its name; loading compiles the spec again, which
// validates it like any calendar (a bad one makes the snapshot Error(corrupt)).
//
//   DayInterval:  begin i32, end i32 (seconds after midnight)
//   CivilDate:    year i32, month i32, day i32
//   CalendarSpec: zone text, 7 x (u64 n, n x DayInterval), u64 n, n x CivilDate (holidays),
//                 u64 n, n x (CivilDate, u64 m, m x DayInterval) (make-up days), name text
//   (text: u64 length, bytes)
//   Class version 2 (crmkit 0.6) appends the recurring holidays: u64 n, n x HolidayRule:
//     name text, kind u8, month i32, day i32, weekday i32, nth i32, offset i32, days i32,
//     observed u8, from i32, to i32, u64 m, m x i32 (except years); then the names of explicit
//     holidays: u64 n, n x (CivilDate, text).
//   Class version 1 (no rules) is read as well.
#pragma once

#include <boost/serialization/level.hpp>
#include <boost/serialization/tracking.hpp>
#include <boost/serialization/version.hpp>
#include <utility>

#include "common/snapshot_archive.hpp"
#include "crmkit/calendar.hpp"

// The small parts are written without per-object class information (their layout is part of
// the snapshot format); a calendar carries its class version (written once per archive).
BOOST_CLASS_IMPLEMENTATION(crmkit::DayInterval, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::DayInterval, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(crmkit::CivilDate, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::CivilDate, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(crmkit::CalendarSpec, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::CalendarSpec, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(crmkit::HolidayRule, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::HolidayRule, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::Calendar, 2)
BOOST_CLASS_TRACKING(crmkit::Calendar, boost::serialization::track_never)

namespace crmkit {

template <class Archive>
void serialize(Archive& ar, DayInterval& d, const unsigned /*version*/) {
  ar & d.begin & d.end;
}

template <class Archive>
void serialize(Archive& ar, CivilDate& d, const unsigned /*version*/) {
  ar & d.year & d.month & d.day;
}

template <class Archive>
void serialize(Archive& ar, HolidayRule& r, const unsigned /*version*/) {
  detail::text(ar, r.name, "a holiday rule's name");
  // Enums as their numbers (fixed in crmkit/calendar.hpp); validate_rule() refuses others on load.
  auto kind = static_cast<uint8_t>(r.kind), observed = static_cast<uint8_t>(r.observed);
  ar & kind & r.month & r.day & r.weekday & r.nth & r.offset & r.days & observed & r.from_year & r.to_year;
  if constexpr (Archive::is_loading::value) {
    r.kind = static_cast<HolidayRule::Kind>(kind);
    r.observed = static_cast<HolidayRule::Observed>(observed);
  }
  detail::sequence(ar, r.except_years, "a holiday rule's exceptions");
}

template <class Archive>
void serialize(Archive& ar, CalendarSpec& s, const unsigned /*version*/) {
  detail::text(ar, s.zone, "a calendar's zone");
  for (auto& day : s.week) detail::sequence(ar, day, "a calendar's weekday");
  detail::sequence(ar, s.holidays, "a calendar's holidays");
  detail::sequence(
      ar, s.workdays,
      [](Archive& a, std::pair<CivilDate, std::vector<DayInterval>>& day) {
        a & day.first;
        detail::sequence(a, day.second, "a make-up day");
      },
      "a calendar's make-up days");
  detail::text(ar, s.name, "a calendar's name");
}

template <class Archive>
void holiday_names(Archive& ar, CalendarSpec& s) {
  detail::sequence(
      ar, s.holiday_names,
      [](Archive& a, std::pair<CivilDate, std::string>& h) {
        a & h.first;
        detail::text(a, h.second, "a holiday's name");
      },
      "a calendar's holiday names");
}

template <class Archive>
void serialize(Archive& ar, Calendar& c, const unsigned version) {
  if (version != 1) detail::check_class_version<Calendar>(version, "a calendar");
  if constexpr (Archive::is_saving::value) {
    ar & c.spec();
    auto& spec = const_cast<CalendarSpec&>(c.spec());  // saving reads it only
    detail::sequence(ar, spec.rules, "a calendar's rules");
    holiday_names(ar, spec);
  } else {
    CalendarSpec spec;
    ar & spec;
    if (version >= 2) {
      detail::sequence(ar, spec.rules, "a calendar's rules");
      holiday_names(ar, spec);
    }
    c = Calendar(std::move(spec));
  }
}

}  // namespace crmkit
