"""The one reader of transaction rows for every Python entry point (crmkit.rfm, crmkit.value and
crmkit.dask): customer ids, dates and amounts read, checked and left out by one rule.

* A date is the date as written: a datetime's own wall-clock date (a tz-aware one in its own
  zone, never converted to UTC or to the machine's zone; a naive one as is), a datetime.date,
  an ISO string (its first 10 characters) or a numpy datetime64.
* A missing date or customer id (None, NaN, NaT, pd.NA) raises InvalidArgument naming the row
  (and, for a date, the customer id); with missing="skip" the row is left out, the result's
  ``skipped_rows`` says how many, and a MissingDateWarning / MissingIdWarning is issued.
* An amount must be a finite number in [0, 9e14] (docs/domain.md#money); InvalidArgument names
  the row and the customer id otherwise.
* Money is rounded to integer minor units of 1/10,000 by the library's rule (amount * 10000
  rounded to nearest, ties to even): ``to_minor`` is that rule over a numpy array.
"""
from __future__ import annotations

import datetime as _dt
import warnings as _warnings
from typing import Any, List, Optional, Sequence, Tuple

from ._lib import InvalidArgument, _np

_EPOCH = _dt.date(1970, 1, 1)
_INT32 = (-2**31, 2**31 - 1)
MAX_AMOUNT = 9e14  # money::kMaxAmount
MINOR_PER_UNIT = 10_000  # money::kMinorPerUnit
MAX_MINOR_UNITS = 9_000_000_000_000_000_000  # money::kMaxMinorUnits


class MissingValueWarning(UserWarning):
    """Transactions without a date or a customer id were skipped (missing="skip"); the count is
    also the result's ``skipped_rows``."""


class MissingDateWarning(MissingValueWarning):
    """Transactions without a date were skipped (missing="skip")."""


class MissingIdWarning(MissingValueWarning):
    """Transactions without a customer id were skipped (missing="skip")."""


class Columns(dict):
    """The result columns (a dict, so pd.DataFrame(result) works). ``skipped_rows``: the number of
    transactions left out because they had no date or no customer id (missing="skip"); 0
    otherwise."""

    skipped_rows = 0


def is_missing(v: Any) -> bool:
    """None, NaN, pd.NaT, numpy NaT or pd.NA."""
    if v is None or type(v).__name__ == "NAType":
        return True
    try:
        return bool(v != v)  # NaN and NaT are the values unequal to themselves
    except Exception:
        return False


def one_day(d: Any) -> int:
    """Days since 1970-01-01 of one date, as written (see the module's rule)."""
    if isinstance(d, str):
        try:
            d = _dt.date.fromisoformat(d[:10])
        except ValueError:
            raise InvalidArgument(f"expected an ISO date (YYYY-MM-DD...), got {d!r}") from None
    elif isinstance(d, _dt.datetime):  # also pandas Timestamp: .date() is its wall-clock date
        d = d.date()
    elif _np is not None and isinstance(d, _np.datetime64):
        return int(d.astype("datetime64[D]").astype("int64"))
    elif not isinstance(d, _dt.date):
        raise InvalidArgument(f"expected a date, datetime, datetime64 or ISO string, got {type(d).__name__}")
    return d.toordinal() - _EPOCH.toordinal()


def day(d: Any, name: str = "asof") -> int:
    """A single date argument (asof, calibration_end) as an int32 day number."""
    if is_missing(d):
        raise InvalidArgument(f"{name}: a date is required, got {d!r}")
    try:
        n = one_day(d)
    except InvalidArgument as e:
        raise InvalidArgument(f"{name}: {e}") from None
    if not _INT32[0] <= n <= _INT32[1]:
        raise InvalidArgument(f"{name}: {d!r} is {n} days from 1970-01-01, outside the int32 day range")
    return n


def _wall_clock_datetime64(dates):
    """A numpy datetime64 array of the wall-clock times of a pandas datetime Series / Index
    (a tz-aware one keeps its local times: its UTC instant would move dates across midnight),
    or None when `dates` is not one."""
    dtype = getattr(dates, "dtype", None)
    if dtype is None or not (hasattr(dates, "dt") or hasattr(dates, "tz_localize")):
        return None
    if getattr(dtype, "tz", None) is not None:
        dates = dates.dt.tz_localize(None) if hasattr(dates, "dt") else dates.tz_localize(None)
    elif not (_np is not None and _np.issubdtype(dtype, _np.datetime64)):
        return None
    return dates.to_numpy()


def _as_list(values) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _missing_positions(values, raw: list) -> list:
    """Positions of the missing entries of a column (vectorized for pandas / numpy columns)."""
    if _np is not None and hasattr(values, "isna"):
        return [int(i) for i in _np.flatnonzero(values.isna().to_numpy())]
    if _np is not None and isinstance(values, _np.ndarray) and values.dtype.kind in "fmM":
        return [int(i) for i in _np.flatnonzero(values != values)]
    if _np is not None and isinstance(values, _np.ndarray) and values.dtype.kind in "iuSUb":
        return []
    if _np is not None and isinstance(values, _np.ndarray) and values.dtype.kind == "O":
        try:  # pandas' isna walks an object array in C: None, NaN, NaT and pd.NA
            import pandas as _pd
            return [int(i) for i in _np.flatnonzero(_pd.isna(values))]
        except ImportError:
            pass
    return [i for i, v in enumerate(raw) if is_missing(v)]


def _label(labels, i: int):
    return i if labels is None else labels[i]


def read_days(dates, ids: list, labels=None) -> Tuple[Any, list]:
    """(day numbers since 1970-01-01, positions of missing dates). Errors name the row (its
    label when `labels` is given) and the customer id."""
    arr = _wall_clock_datetime64(dates)
    if arr is None and _np is not None and isinstance(dates, _np.ndarray) and _np.issubdtype(dates.dtype, _np.datetime64):
        arr = dates
    if arr is not None:
        absent = _np.isnat(arr)
        days = arr.astype("datetime64[D]").astype("int64")
        days[absent] = 0
        return days, [int(i) for i in _np.flatnonzero(absent)]
    raw = _as_list(dates)
    if len(raw) != len(ids):
        raise InvalidArgument(f"dates has {len(raw)} elements, expected {len(ids)} (one per customer id)")
    days, bad = [], []
    for i, d in enumerate(raw):
        if is_missing(d):
            bad.append(i)
            days.append(0)
            continue
        try:
            days.append(one_day(d))
        except InvalidArgument as e:
            raise InvalidArgument(f"dates: row {_label(labels, i)} (customer {ids[i]!r}): {e}") from None
    return days, bad


def take(values, keep):
    """The elements of a sequence / numpy array / pandas Series at the positions `keep`."""
    if keep is None:
        return values
    if hasattr(values, "to_numpy") and _np is not None:
        values = values.to_numpy()
    if _np is not None and isinstance(values, _np.ndarray):
        return values[_np.asarray(keep, dtype="int64")]
    seq = values if isinstance(values, (list, tuple)) else list(values)
    return [seq[i] for i in keep]


class Rows:
    """Transactions read by the rule: ids (a list), days (ints or an int64 array) and amounts of
    the rows kept, and how many were skipped for a missing id or date."""

    __slots__ = ("ids", "days", "amounts", "skipped_ids", "skipped_dates")

    @property
    def skipped(self) -> int:
        return self.skipped_ids + self.skipped_dates


def check_missing(missing: str) -> None:
    """InvalidArgument unless `missing` is "raise" or "skip"."""
    if missing not in ("raise", "skip"):
        raise InvalidArgument(f"missing must be 'raise' or 'skip', got {missing!r}")


def read(customer_ids, dates, amounts=None, missing: str = "raise", labels=None) -> Rows:
    """Reads transactions by the module's rule. `labels` (optional, e.g. a DataFrame's index)
    names rows in errors instead of their positions."""
    check_missing(missing)
    ids = _as_list(customer_ids)
    no_id = _missing_positions(customer_ids, ids)
    if no_id and missing == "raise":
        i = no_id[0]
        raise InvalidArgument(f"customer_ids: row {_label(labels, i)} has no customer id ({ids[i]!r}); "
                              f"{len(no_id)} row(s) lack one; pass missing='skip' to leave them out")
    days, no_date = read_days(dates, ids, labels)
    if len(days) != len(ids):
        raise InvalidArgument(f"dates has {len(days)} elements, expected {len(ids)} (one per customer id)")
    gone_id = set(no_id)
    no_date = [i for i in no_date if i not in gone_id]  # a row without both counts once, as no id
    if no_date and missing == "raise":
        i = no_date[0]
        raise InvalidArgument(f"dates: row {_label(labels, i)} (customer {ids[i]!r}) has no date "
                              f"({_as_list(dates)[i]!r}); {len(no_date)} row(s) lack one; "
                              "pass missing='skip' to leave them out")
    keep = None
    if no_id or no_date:
        gone = gone_id | set(no_date)
        keep = [i for i in range(len(ids)) if i not in gone]
        ids = [ids[i] for i in keep]
        days = take(days, keep)
    if len(days):
        lo, hi = (int(min(days)), int(max(days))) if isinstance(days, list) else (int(days.min()), int(days.max()))
        if lo < _INT32[0] or hi > _INT32[1]:
            bad_day = lo if lo < _INT32[0] else hi
            i = list(days).index(bad_day)
            row = keep[i] if keep is not None else i
            raise InvalidArgument(f"dates: row {_label(labels, row)} (customer {ids[i]!r}) is {bad_day} days from "
                                  "1970-01-01, outside the int32 day range")
    rows = Rows()
    rows.ids, rows.days = ids, days
    rows.amounts = None if amounts is None else _amounts(take(amounts, keep), ids, keep, labels)
    rows.skipped_ids, rows.skipped_dates = len(no_id), len(no_date)
    return rows


def _amounts(amounts, ids: list, keep, labels):
    """Amounts as float64 (a numpy array when numpy is there, else a list), each a finite number
    in [0, MAX_AMOUNT]; InvalidArgument naming the row and customer otherwise."""
    if _np is not None:
        if hasattr(amounts, "to_numpy"):
            amounts = amounts.to_numpy()
        try:
            arr = _np.ascontiguousarray(amounts, dtype="float64")
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"amounts: {e}") from None
        if arr.ndim != 1 or len(arr) != len(ids):
            raise InvalidArgument(f"amounts has {len(arr)} elements, expected {len(ids)} (one per customer id)")
        with _np.errstate(invalid="ignore"):
            bad = _np.flatnonzero(~((arr >= 0) & (arr <= MAX_AMOUNT)))
        if bad.size == 0:
            return arr
        i, value = int(bad[0]), float(arr[int(bad[0])])
    else:
        arr = [float(a) for a in amounts]
        if len(arr) != len(ids):
            raise InvalidArgument(f"amounts has {len(arr)} elements, expected {len(ids)} (one per customer id)")
        i = next((k for k, a in enumerate(arr) if not 0 <= a <= MAX_AMOUNT), -1)
        if i < 0:
            return arr
        value = arr[i]
    row = keep[i] if keep is not None else i
    raise InvalidArgument(f"amounts: row {_label(labels, row)} (customer {ids[i]!r}): amount must be a finite "
                          f"number in [0, {MAX_AMOUNT:.0f}], got {value}")


def to_minor(amounts):
    """Integer minor units (int64 numpy array) of admissible float64 amounts, by the library's
    rule: amount * 10000 in double arithmetic, rounded to nearest, ties to even."""
    return _np.rint(amounts * float(MINOR_PER_UNIT)).astype("int64")


def note_skipped(cols: Columns, rows: Rows, what: str) -> Columns:
    """Sets cols.skipped_rows and warns about what was skipped (missing="skip")."""
    cols.skipped_rows = rows.skipped
    if rows.skipped_dates:
        _warnings.warn(f"{what}: {rows.skipped_dates} transaction(s) without a date were skipped (missing='skip')",
                       MissingDateWarning, stacklevel=3)
    if rows.skipped_ids:
        _warnings.warn(f"{what}: {rows.skipped_ids} transaction(s) without a customer id were skipped "
                       "(missing='skip')", MissingIdWarning, stacklevel=3)
    return cols


def call_naming_customer(fn, keys: Sequence[Any]) -> None:
    """Calls fn() (a checked C call over dense customer indices); an error whose message starts
    with "customer <index>:" is raised again naming the customer's id instead."""
    from ._lib import Error
    try:
        fn()
    except Error as e:
        msg = str(e)
        head, sep, rest = msg.partition(":")
        if sep and head.startswith("customer ") and head[9:].isdigit() and int(head[9:]) < len(keys):
            raise type(e)(f"customer {keys[int(head[9:])]!r}:{rest}") from None
        raise
