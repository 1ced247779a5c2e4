"""SLA policies (targets per clock by channel, category, severity, tier) and clock schedulers."""
from __future__ import annotations

import ctypes as _c
import json as _json
import os
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Union

from ._lib import Handle, c_int, check, declare, encode, from_unix, take_string, to_unix
from .calendar import Calendar

_P = _c.c_void_p
_u64 = _c.c_uint64
_i64 = _c.c_int64


class _Status(_c.Structure):
    _fields_ = [("state", _c.c_int), ("elapsed_seconds", _i64), ("remaining_seconds", _i64),
                ("target_seconds", _i64), ("has_due", _c.c_int), ("due", _i64), ("breached", _c.c_int),
                ("warnings_fired", _c.c_int)]


class _Event(_c.Structure):
    _fields_ = [("clock", _u64), ("kind", _c.c_int), ("index", _c.c_int), ("fraction", _c.c_double), ("at", _i64)]


_policy_from_json = declare("crmkit_policy_from_json", _c.c_char_p, _P, _c.POINTER(_P))
_policy_from_file = declare("crmkit_policy_from_file", _c.c_char_p, _P, _c.POINTER(_P))
_policy_free = declare("crmkit_policy_free", _P, restype=None)
_policy_clocks = declare("crmkit_policy_clocks", _P, _c.POINTER(_P))
_policy_target = declare("crmkit_policy_target", _P, _c.c_char_p, _c.c_char_p, _c.POINTER(_P))
_clocks_new = declare("crmkit_clocks_new", _c.POINTER(_P))
_clocks_free = declare("crmkit_clocks_free", _P, restype=None)
_clocks_create = declare("crmkit_clocks_create", _P, _P, _c.c_char_p, _c.c_char_p, _c.POINTER(_u64))
_ops = {name: declare(f"crmkit_clocks_{name}", _P, _u64, _i64) for name in ("start", "pause", "resume", "stop")}
_clocks_retarget = declare("crmkit_clocks_retarget", _P, _u64, _P, _c.c_char_p, _c.c_char_p, _i64)
_clocks_status = declare("crmkit_clocks_status", _P, _u64, _i64, _c.POINTER(_Status))
_clocks_sweep = declare("crmkit_clocks_sweep", _P, _i64, _c.POINTER(_Event), _c.c_size_t, _c.POINTER(_c.c_size_t))
_clocks_size = declare("crmkit_clocks_size", _P, _c.POINTER(_c.c_size_t), _c.POINTER(_c.c_size_t))

_STATES = ("idle", "running", "paused", "stopped")


def _case(case: Optional[Union[dict, str]]) -> Optional[bytes]:
    if case is None:
        return None
    return (case if isinstance(case, str) else _json.dumps(case)).encode("utf-8")


class Policy(Handle):
    """An SLA policy loaded from JSON, counting business time in `calendar`."""

    _free = _policy_free

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike], calendar: Calendar) -> "Policy":
        p = _P()
        check(_policy_from_file(encode(path), calendar._h(), _c.byref(p)))
        return cls(p)

    @classmethod
    def from_json(cls, spec: Union[str, dict], calendar: Calendar) -> "Policy":
        text = spec if isinstance(spec, str) else _json.dumps(spec)
        p = _P()
        check(_policy_from_json(text.encode("utf-8"), calendar._h(), _c.byref(p)))
        return cls(p)

    def clocks(self) -> List[str]:
        s = _P()
        check(_policy_clocks(self._h(), _c.byref(s)))
        return _json.loads(take_string(s))

    def target(self, clock: str, case: Optional[dict] = None) -> dict:
        """{"clock", "kind", "duration_seconds" (business, elapsed) or "due_field" and
        "due_offset_seconds" (instant), "warnings", "escalate_to", "rule"} for a case
        ({"channel", "category", "severity", "tier", "fields": {name: value}})."""
        s = _P()
        check(_policy_target(self._h(), clock.encode("utf-8"), _case(case), _c.byref(s)))
        return _json.loads(take_string(s))


@dataclass(frozen=True)
class ClockStatus:
    state: str
    elapsed_seconds: int
    remaining_seconds: int
    target_seconds: int
    due: Optional[Any]
    breached: bool
    warnings_fired: int


@dataclass(frozen=True)
class ClockEvent:
    clock: int
    kind: str  # "warning" or "breach"
    index: int
    fraction: float
    at: Any  # datetime (UTC)


class Clocks(Handle):
    """A set of SLA clocks (a scheduler). Safe to share between threads."""

    _free = _clocks_free

    def __init__(self):
        p = _P()
        check(_clocks_new(_c.byref(p)))
        super().__init__(p)

    def create(self, policy: Policy, clock: str, case: Optional[dict] = None) -> int:
        out = _u64()
        check(_clocks_create(self._h(), policy._h(), clock.encode("utf-8"), _case(case), _c.byref(out)))
        return out.value

    def start(self, clock_id: int, at) -> None:
        check(_ops["start"](self._h(), c_int(clock_id, _u64, "clock_id"), to_unix(at)))

    def pause(self, clock_id: int, at) -> None:
        check(_ops["pause"](self._h(), c_int(clock_id, _u64, "clock_id"), to_unix(at)))

    def resume(self, clock_id: int, at) -> None:
        check(_ops["resume"](self._h(), c_int(clock_id, _u64, "clock_id"), to_unix(at)))

    def stop(self, clock_id: int, at) -> None:
        check(_ops["stop"](self._h(), c_int(clock_id, _u64, "clock_id"), to_unix(at)))

    def retarget(self, clock_id: int, policy: Policy, clock: str, case: Optional[dict], at) -> None:
        check(_clocks_retarget(self._h(), c_int(clock_id, _u64, "clock_id"), policy._h(), clock.encode("utf-8"), _case(case), to_unix(at)))

    def status(self, clock_id: int, as_of) -> ClockStatus:
        s = _Status()
        check(_clocks_status(self._h(), c_int(clock_id, _u64, "clock_id"), to_unix(as_of), _c.byref(s)))
        return ClockStatus(_STATES[s.state], s.elapsed_seconds, s.remaining_seconds, s.target_seconds,
                           from_unix(s.due) if s.has_due else None, bool(s.breached), s.warnings_fired)

    def sweep(self, now) -> List[ClockEvent]:
        """Every warning and breach up to `now` not yet reported, in time order."""
        events: List[ClockEvent] = []
        buf = (_Event * 256)()
        n = _c.c_size_t()
        t = to_unix(now)
        while True:
            check(_clocks_sweep(self._h(), t, buf, len(buf), _c.byref(n)))
            for e in buf[: n.value]:
                events.append(ClockEvent(e.clock, "breach" if e.kind == 1 else "warning", e.index, e.fraction,
                                         from_unix(e.at)))
            if n.value < len(buf):
                return events

    def __len__(self) -> int:
        n = _c.c_size_t()
        check(_clocks_size(self._h(), _c.byref(n), None))
        return n.value

    def memory_bytes(self) -> int:
        b = _c.c_size_t()
        check(_clocks_size(self._h(), None, _c.byref(b)))
        return b.value
