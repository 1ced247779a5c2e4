"""crmkit — customer-care rules (business calendars, SLA clocks, complaint workflow, RFM, CLV, tiers).

Pure ctypes bindings over libcrmkit.so; needs only the standard library (numpy and pandas are used
when present: arrays are passed without copying and results come back as arrays).
"""
from ._lib import (Conflict, Corrupt, Error, InternalError, InvalidArgument, InvalidState, IOFailure,
                   LimitExceeded, Locked, NoConvergence, NotFound, OutOfMemory, ParseError, PermissionDenied,
                   VersionError)
from ._lib import lib as _clib
from .calendar import Calendar
from .sla import Clocks, ClockEvent, ClockStatus, Policy
from .engine import Case, Engine
from . import rfm, tiers, value

__version__ = _clib.crmkit_version().decode()


def version() -> str:
    """The version of the loaded libcrmkit."""
    return _clib.crmkit_version().decode()


__all__ = ["rfm", "tiers", "Calendar", "Policy", "Engine", "Case", "Clocks", "ClockEvent", "ClockStatus", "value", "version", "Error", "InvalidArgument", "ParseError", "NotFound", "InvalidState",
           "PermissionDenied", "Conflict", "IOFailure", "Locked", "VersionError", "LimitExceeded", "Corrupt",
           "NoConvergence", "InternalError", "OutOfMemory"]
