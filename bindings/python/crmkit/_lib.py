"""Loading libcrmkit, error translation and array plumbing shared by the wrappers.

The library is looked up, in order: the CRMKIT_LIBRARY environment variable, a libcrmkit.so next
to this package (a wheel built by ``pip install ./bindings/python`` ships one), the build trees
of a source checkout (build/, build-*/), then the system loader's search path.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as _dt
import os
import pathlib
from typing import Any, Optional, Sequence

try:  # numpy is optional: used without copying when the caller passes arrays
    import numpy as _np
except ImportError:  # pragma: no cover - exercised on interpreters without numpy
    _np = None

__all__ = ["lib", "Error", "check", "take_string", "to_unix", "from_unix", "c_int"]


# ---- errors ------------------------------------------------------------------------------------

class Error(Exception):
    """A crmkit call failed. ``status`` is the C status code, ``name`` its short name."""

    status = -1
    name = "error"

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class InvalidArgument(Error, ValueError):
    status, name = 1, "invalid_argument"


class ParseError(Error, ValueError):
    status, name = 2, "parse"


class NotFound(Error, LookupError):
    status, name = 3, "not_found"


class InvalidState(Error):
    status, name = 4, "invalid_state"


class PermissionDenied(Error):
    status, name = 5, "permission"


class Conflict(Error):
    status, name = 6, "conflict"


class IOFailure(Error, OSError):
    status, name = 7, "io"


class Locked(Error):
    status, name = 8, "locked"


class VersionError(Error):
    status, name = 9, "version"


class LimitExceeded(Error):
    status, name = 10, "limit"


class Corrupt(Error):
    status, name = 11, "corrupt"


class NoConvergence(Error, ArithmeticError):
    status, name = 12, "no_convergence"


class InternalError(Error):
    status, name = 13, "internal"


class OutOfMemory(Error, MemoryError):
    status, name = 14, "out_of_memory"


_ERRORS = {cls.status: cls for cls in (InvalidArgument, ParseError, NotFound, InvalidState, PermissionDenied,
                                        Conflict, IOFailure, Locked, VersionError, LimitExceeded, Corrupt,
                                        NoConvergence, InternalError, OutOfMemory)}


# ---- loading -----------------------------------------------------------------------------------

def _candidates():
    env = os.environ.get("CRMKIT_LIBRARY")
    if env:
        yield pathlib.Path(env)
    here = pathlib.Path(__file__).resolve().parent
    yield here / "libcrmkit.so"
    root = here.parent.parent.parent  # bindings/python/crmkit -> repo root
    for build in sorted(root.glob("build*")):
        yield build / "libcrmkit.so"
    found = ctypes.util.find_library("crmkit")
    if found:
        yield pathlib.Path(found)


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if path.name != str(path) and not path.exists():
            tried.append(str(path))
            continue
        try:
            return ctypes.CDLL(str(path))
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError("crmkit: libcrmkit.so not found; set CRMKIT_LIBRARY to its path. Tried: " + ", ".join(tried))


lib = _load()

_c = ctypes
lib.crmkit_version.restype = _c.c_char_p
lib.crmkit_version.argtypes = []
lib.crmkit_last_error.restype = _c.c_char_p
lib.crmkit_last_error.argtypes = []
lib.crmkit_status_name.restype = _c.c_char_p
lib.crmkit_status_name.argtypes = [_c.c_int]
lib.crmkit_string_free.restype = None
lib.crmkit_string_free.argtypes = [_c.c_void_p]


def declare(name: str, *argtypes, restype=_c.c_int):
    """Sets a C function's signature; returns the function."""
    fn = getattr(lib, name)
    fn.argtypes = list(argtypes)
    fn.restype = restype
    return fn


def check(status: int) -> None:
    """Raises the Error subclass for a non-zero status with the thread's last-error message."""
    if status != 0:
        message = lib.crmkit_last_error().decode("utf-8", "replace")
        raise _ERRORS.get(status, Error)(message, status)


def take_string(ptr: _c.c_void_p) -> str:
    """Copies a char* the library returned and frees it."""
    if not ptr.value:
        return ""
    try:
        return _c.string_at(ptr.value).decode("utf-8")
    finally:
        lib.crmkit_string_free(ptr)


def encode(text: Any) -> bytes:
    if isinstance(text, bytes):
        return text
    if isinstance(text, (str, os.PathLike)):
        return os.fsencode(text) if isinstance(text, os.PathLike) else text.encode("utf-8")
    raise TypeError(f"expected str, got {type(text).__name__}")


# ---- files -------------------------------------------------------------------------------------

MAX_CONFIG_FILE_BYTES = 16 << 20  # kMaxConfigFileBytes (crmkit/limits.hpp)


def read_config_file(path: Any) -> str:
    """A configuration file's text, with the C library's rules: a regular file or a pipe (not
    /dev/zero, whose read never ends), at most MAX_CONFIG_FILE_BYTES."""
    import stat
    with open(path, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise InvalidArgument(f"config file '{path}' is not a regular file or a pipe")
        data = fh.read(MAX_CONFIG_FILE_BYTES + 1)
    if len(data) > MAX_CONFIG_FILE_BYTES:
        raise LimitExceeded(f"config file '{path}' is larger than the maximum of {MAX_CONFIG_FILE_BYTES} bytes")
    return data.decode("utf-8")


# ---- time --------------------------------------------------------------------------------------

def to_unix(t: Any) -> int:
    """Unix seconds from an int, an aware datetime, or an RFC 3339 string."""
    if isinstance(t, bool):
        raise TypeError("a bool is not an instant")
    if isinstance(t, int) or (_np is not None and isinstance(t, _np.integer)):
        return c_int(t, _c.c_int64, "instant")  # ctypes would wrap it silently
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            raise InvalidArgument("naive datetime: attach a time zone (an instant needs one)")
        return int(t.timestamp() // 1)
    if isinstance(t, str):
        out = _c.c_int64()
        check(lib.crmkit_time_parse(t.encode("utf-8"), _c.byref(out)))
        return out.value
    raise TypeError(f"expected an instant (int seconds, aware datetime or RFC 3339 str), got {type(t).__name__}")


def from_unix(seconds: int) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)


declare("crmkit_time_parse", _c.c_char_p, _c.POINTER(_c.c_int64))


# ---- arrays ------------------------------------------------------------------------------------

class Column:
    """A contiguous C array view of a Python sequence or numpy array (no copy when it already is
    one of the right dtype); keeps what it points to alive."""

    __slots__ = ("ptr", "n", "_keep", "is_numpy")

    def __init__(self, values: Any, ctype, name: str):
        np_dtype = {_c.c_double: "float64", _c.c_int64: "int64", _c.c_int32: "int32",
                    _c.c_uint32: "uint32", _c.c_uint8: "uint8"}[ctype]
        if hasattr(values, "to_numpy") and _np is not None:  # pandas Series / Index
            values = values.to_numpy()
        if _np is not None and isinstance(values, _np.ndarray):
            if values.ndim != 1:
                raise InvalidArgument(f"{name}: expected a 1-D array")
            if np_dtype == "float64" or values.dtype.kind in "iu":
                if np_dtype != "float64" and values.size:
                    _check_int_range(int(values.min()), int(values.max()), ctype, name)
                arr = _np.ascontiguousarray(values, dtype=np_dtype)
            else:
                raise InvalidArgument(f"{name}: expected integers, got dtype {values.dtype}")
            self._keep = arr
            self.n = arr.shape[0]
            self.ptr = arr.ctypes.data_as(_c.POINTER(ctype))
            self.is_numpy = True
            return
        seq = list(values)
        self.n = len(seq)
        if ctype is not _c.c_double and seq and all(isinstance(v, int) for v in seq):
            _check_int_range(min(seq), max(seq), ctype, name)
        try:
            buf = (ctype * self.n)(*seq)
        except TypeError as e:
            raise InvalidArgument(f"{name}: {e}") from None
        self._keep = buf
        self.ptr = _c.cast(buf, _c.POINTER(ctype))
        self.is_numpy = False


_INT_RANGES = {_c.c_int64: (-2**63, 2**63 - 1), _c.c_int32: (-2**31, 2**31 - 1), _c.c_uint32: (0, 2**32 - 1),
               _c.c_uint8: (0, 255), _c.c_uint64: (0, 2**64 - 1), _c.c_int: (-2**31, 2**31 - 1)}


def c_int(value: Any, ctype, name: str) -> int:
    """`value` as a Python int for a ctypes argument or field of type `ctype`: ctypes would wrap
    an int that does not fit silently (2**32 + 5 as a c_int is 5), so it is refused with
    InvalidArgument naming `name`; so are bools, non-integral floats and non-numbers."""
    if isinstance(value, bool) or (_np is not None and isinstance(value, _np.bool_)):
        raise InvalidArgument(f"{name}: expected an integer, got a bool")
    if isinstance(value, int) or (_np is not None and isinstance(value, _np.integer)):
        v = int(value)
    elif isinstance(value, float) or (_np is not None and isinstance(value, _np.floating)):
        if not float(value).is_integer():
            raise InvalidArgument(f"{name}: expected an integer, got {value!r}")
        v = int(value)
    else:
        raise InvalidArgument(f"{name}: expected an integer, got {type(value).__name__}")
    _check_int_range(v, v, ctype, name)
    return v


def _check_int_range(lo: int, hi: int, ctype, name: str) -> None:
    """ctypes and numpy wrap integers that do not fit silently: refuse them instead."""
    low, high = _INT_RANGES[ctype]
    if lo < low or hi > high:
        bad = lo if lo < low else hi
        raise InvalidArgument(f"{name}: {bad} does not fit in {ctype.__name__} ({low}..{high})")


def require_length(col: Optional[Column], n: int, name: str) -> None:
    """The C side reads n elements of every array it is given: a shorter one would be read past
    its end, a longer one means the caller's columns do not line up."""
    if col is not None and col.n != n:
        raise InvalidArgument(f"{name} has {col.n} elements, expected {n}")


def require_finite_nonnegative(col: Column, name: str, ids: Optional[Sequence[Any]] = None,
                               labels: Optional[Sequence[Any]] = None) -> None:
    """InvalidArgument naming `name` and the customer id (else the row: its label when `labels`
    is given, e.g. a DataFrame's index) of the first NaN, infinite or negative value of a
    float64 column (the C side would only know the row)."""
    if col.n == 0:
        return
    if _np is not None:
        arr = _np.ctypeslib.as_array(col.ptr, shape=(col.n,))
        bad = _np.flatnonzero(~(_np.isfinite(arr) & (arr >= 0)))
        if bad.size == 0:
            return
        i = int(bad[0])
    else:
        i = next((k for k in range(col.n) if not (0 <= col.ptr[k] < float("inf"))), -1)
        if i < 0:
            return
    who = f"customer {ids[i]!r}" if ids is not None else f"row {i if labels is None else labels[i]}"
    raise InvalidArgument(f"{who}: {name} must be a finite number >= 0, got {col.ptr[i]}")


def out_array(ctype, n: int, as_numpy: bool):
    """An output buffer of n elements: a numpy array when as_numpy, else a ctypes array."""
    if as_numpy and _np is not None:
        dtype = {_c.c_double: "float64", _c.c_int64: "int64", _c.c_uint8: "uint8"}[ctype]
        arr = _np.empty(n, dtype=dtype)
        return arr, arr.ctypes.data_as(_c.POINTER(ctype))
    buf = (ctype * n)()
    return buf, _c.cast(buf, _c.POINTER(ctype))


def result(buf, as_numpy: bool):
    return buf if as_numpy and _np is not None else list(buf)


def same_length(*cols: Column) -> int:
    n = cols[0].n
    for col in cols[1:]:
        if col.n != n:
            raise InvalidArgument(f"arrays differ in length ({n} and {col.n})")
    return n


class Handle:
    """Base of the wrappers of opaque handles: close() frees, also as a context manager."""

    _free = None  # the C free function

    def __init__(self, ptr: _c.c_void_p):
        self._ptr = ptr

    def _h(self) -> _c.c_void_p:
        """The live handle; InvalidState once closed."""
        if not self._ptr:
            raise InvalidState(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self) -> None:
        if self._ptr:
            type(self)._free(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
