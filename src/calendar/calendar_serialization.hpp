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
BOOST_CLASS_VERSION(crmkit::Calendar, 1)
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
void serialize(Archive& ar, Calendar& c, const unsigned version) {
  detail::check_class_version<Calendar>(version, "a calendar");
  if constexpr (Archive::is_saving::value) {
    ar & c.spec();
  } else {
    CalendarSpec spec;
    ar & spec;
    c = Calendar(std::move(spec));
  }
}

}  // namespace crmkit
