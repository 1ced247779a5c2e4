"""Business calendars: deadlines and business time on working hours, holidays and make-up days."""
from __future__ import annotations

import ctypes as _c
import datetime as _dt
import json as _json
import os
from typing import Any, Union

from ._lib import Column, Handle, c_int, check, declare, encode, from_unix, out_array, result, same_length, take_string, to_unix

_P = _c.c_void_p
_i64 = _c.c_int64
_pi64 = _c.POINTER(_c.c_int64)
_from_json = declare("crmkit_calendar_from_json", _c.c_char_p, _c.POINTER(_P))
_from_file = declare("crmkit_calendar_from_file", _c.c_char_p, _c.POINTER(_P))
_always = declare("crmkit_calendar_always_open", _c.POINTER(_P))
_free = declare("crmkit_calendar_free", _P, restype=None)
_to_json = declare("crmkit_calendar_to_json", _P, _c.POINTER(_P))
_add = declare("crmkit_calendar_add", _P, _i64, _i64, _pi64)
_between = declare("crmkit_calendar_between", _P, _i64, _i64, _pi64)
_is_working = declare("crmkit_calendar_is_working", _P, _i64, _c.POINTER(_c.c_int))
_next_working = declare("crmkit_calendar_next_working", _P, _i64, _pi64)
_add_batch = declare("crmkit_calendar_add_batch", _P, _pi64, _pi64, _c.c_size_t, _pi64)
_holidays = declare("crmkit_calendar_holidays", _P, _c.c_int32, _c.c_int32, _c.POINTER(_P))
_import_ics = declare("crmkit_calendar_import_ics", _c.c_char_p, _c.c_size_t, _P, _c.c_int, _c.POINTER(_P), _c.POINTER(_P))
_between_batch = declare("crmkit_calendar_between_batch", _P, _pi64, _pi64, _c.c_size_t, _pi64)

Instant = Union[int, _dt.datetime, str]


def _like(t: Any, seconds: int):
    """Returns an instant in the caller's style: datetime in -> UTC datetime out, else int."""
    return from_unix(seconds) if isinstance(t, (_dt.datetime, str)) else seconds


def _seconds(d: Any) -> int:
    """Seconds of a timedelta (whole seconds) or an integer, range-checked for int64."""
    if isinstance(d, _dt.timedelta):
        d = d // _dt.timedelta(seconds=1)
    return c_int(d, _i64, "business")


class Calendar(Handle):
    """A business calendar (time zone, working intervals per weekday, holidays, make-up days).

    >>> with Calendar.from_file("data/calendars/cn-2026.json") as cal:
    ...     cal.add("2026-09-30T17:00:00+08:00", 7200)
    """

    _free = _free

    @classmethod
    def from_json(cls, spec: Union[str, dict]) -> "Calendar":
        text = spec if isinstance(spec, str) else _json.dumps(spec)
        p = _P()
        check(_from_json(text.encode("utf-8"), _c.byref(p)))
        return cls(p)

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike]) -> "Calendar":
        p = _P()
        check(_from_file(encode(path), _c.byref(p)))
        return cls(p)

    @classmethod
    def always_open(cls) -> "Calendar":
        p = _P()
        check(_always(_c.byref(p)))
        return cls(p)

    @classmethod
    def from_ics(cls, ics: Union[str, bytes, os.PathLike], base: "Calendar", *, skip_timed: bool = False) -> "Calendar":
        """A copy of `base` with the all-day events of an iCalendar file (a path, or the text as
        str/bytes) as holidays: one-off events and bounded recurrences as dates, yearly ones as
        recurring rules (libical parses the file). Events with a time of day refuse the file
        (CrmkitError naming the event) unless skip_timed. The new calendar's `import_report`
        says what was imported: {"events", "rules", "holidays", "skipped"}."""
        if isinstance(ics, bytes):
            data = ics
        elif isinstance(ics, str) and ics.lstrip().upper().startswith("BEGIN:"):
            data = ics.encode("utf-8")
        else:
            with open(ics, "rb") as fh:
                data = fh.read()
        if not isinstance(base, Calendar):
            raise TypeError(f"base: expected a Calendar, got {type(base).__name__}")
        p, rep = _P(), _P()
        check(_import_ics(data, len(data), base._h(), 1 if skip_timed else 0, _c.byref(p), _c.byref(rep)))
        cal = cls(p)
        cal.import_report = _json.loads(take_string(rep))
        return cal

    def holidays(self, year: int, to_year: Union[int, None] = None) -> list:
        """The holidays in force in [year, to_year] (at most 100 years) as (datetime.date, name)
        pairs in date order: explicit ones and those of the recurring rules, after make-up days."""
        last = year if to_year is None else to_year
        s = _P()
        check(_holidays(self._h(), c_int(year, _c.c_int32, "year"), c_int(last, _c.c_int32, "to_year"), _c.byref(s)))
        return [(_dt.date.fromisoformat(h["date"]), h["name"]) for h in _json.loads(take_string(s))["holidays"]]

    def to_json(self) -> str:
        s = _P()
        check(_to_json(self._h(), _c.byref(s)))
        return take_string(s)

    def add(self, start: Instant, business: Any):
        """The instant at which `business` (seconds or timedelta) of working time has elapsed."""
        out = _c.c_int64()
        check(_add(self._h(), to_unix(start), _seconds(business), _c.byref(out)))
        return _like(start, out.value)

    def between(self, start: Instant, end: Instant) -> int:
        """Working seconds in [start, end)."""
        out = _c.c_int64()
        check(_between(self._h(), to_unix(start), to_unix(end), _c.byref(out)))
        return out.value

    def is_working(self, t: Instant) -> bool:
        out = _c.c_int()
        check(_is_working(self._h(), to_unix(t), _c.byref(out)))
        return bool(out.value)

    def next_working(self, t: Instant):
        out = _c.c_int64()
        check(_next_working(self._h(), to_unix(t), _c.byref(out)))
        return _like(t, out.value)

    def add_batch(self, starts, business_seconds):
        """Deadlines for arrays of unix-second starts and business seconds (lists or numpy int64
        arrays, used without copying); returns a numpy array when given numpy, else a list."""
        s, b = Column(starts, _c.c_int64, "starts"), Column(business_seconds, _c.c_int64, "business_seconds")
        n = same_length(s, b)
        buf, ptr = out_array(_c.c_int64, n, s.is_numpy)
        check(_add_batch(self._h(), s.ptr, b.ptr, n, ptr))
        return result(buf, s.is_numpy)

    def between_batch(self, starts, ends):
        s, e = Column(starts, _c.c_int64, "starts"), Column(ends, _c.c_int64, "ends")
        n = same_length(s, e)
        buf, ptr = out_array(_c.c_int64, n, s.is_numpy)
        check(_between_batch(self._h(), s.ptr, e.ptr, n, ptr))
        return result(buf, s.is_numpy)
