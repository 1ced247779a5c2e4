"""RFM scores and segments over plain arrays (lists, numpy arrays or pandas columns)."""
from __future__ import annotations

import ctypes as _c
import datetime as _dt
import json as _json
from typing import Any, Dict, Optional, Union

from ._lib import (Column, InvalidArgument, _np, check, declare, out_array, require_finite_nonnegative, result,
                   same_length, take_string)

_rfm_score = declare("crmkit_rfm_score", _c.POINTER(_c.c_uint32), _c.POINTER(_c.c_int32), _c.POINTER(_c.c_double),
                     _c.c_size_t, _c.c_size_t, _c.c_int32, _c.c_char_p, _c.POINTER(_c.c_int32), _c.POINTER(_c.c_int64),
                     _c.POINTER(_c.c_double), _c.POINTER(_c.c_uint8), _c.POINTER(_c.c_uint8), _c.POINTER(_c.c_uint8),
                     _c.POINTER(_c.c_uint16), _c.POINTER(_c.c_uint8))
_names = declare("crmkit_rfm_segment_names", _c.c_char_p, _c.POINTER(_c.c_void_p))

_EPOCH = _dt.date(1970, 1, 1)


def _config(config: Optional[Union[str, dict]]) -> Optional[bytes]:
    if config is None:
        return None
    return (config if isinstance(config, str) else _json.dumps(config)).encode("utf-8")


_INT32 = (-2**31, 2**31 - 1)


def _is_missing(d: Any) -> bool:
    """None, NaN, pd.NaT, numpy NaT or pd.NA."""
    if d is None or type(d).__name__ == "NAType":
        return True
    try:
        return bool(d != d)  # NaN and NaT are the values unequal to themselves
    except Exception:
        return False


def _one_day(d: Any) -> int:
    """Days since 1970-01-01 of one date: the date as written (a datetime's own wall-clock date,
    in its own time zone if it has one, never converted to UTC or to the machine's zone)."""
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


def _day(d: Any, name: str = "asof") -> int:
    """A single date argument (asof, calibration_end) as an int32 day number."""
    if _is_missing(d):
        raise InvalidArgument(f"{name}: a date is required, got {d!r}")
    try:
        day = _one_day(d)
    except InvalidArgument as e:
        raise InvalidArgument(f"{name}: {e}") from None
    if not _INT32[0] <= day <= _INT32[1]:
        raise InvalidArgument(f"{name}: {d!r} is {day} days from 1970-01-01, outside the int32 day range")
    return day


def segment_names(config: Optional[Union[str, dict]] = None):
    out = _c.c_void_p()
    check(_names(_config(config), _c.byref(out)))
    return _json.loads(take_string(out))


def score(customer_ids, dates, amounts, asof: Union[str, _dt.date], config: Optional[Union[str, dict]] = None, *,
          missing: str = "raise") -> Dict[str, Any]:
    """RFM per customer. customer_ids: any hashable ids per transaction; dates: datetime.date,
    datetime (its own wall-clock date: a tz-aware one in its own zone, a naive one as written),
    ISO strings, numpy datetime64 or a pandas datetime column (tz-aware ones keep their local
    dates); amounts: numbers. Returns columns customer_id, recency_days, frequency, monetary,
    r, f, m, rfm, segment for customers with a purchase on or before `asof` (numpy arrays when
    numpy is installed, else lists).

    A missing date (None, NaN, NaT) raises InvalidArgument naming its row and customer id;
    with missing="skip" such transactions are left out, the result's ``skipped_rows`` says how
    many and a MissingDateWarning is issued."""
    ids = customer_ids.tolist() if hasattr(customer_ids, "tolist") else list(customer_ids)
    days, keep = _days(dates, ids, missing)
    skipped = 0 if keep is None else len(ids) - len(keep)
    if keep is not None:
        ids, days, amounts = _take(ids, keep), _take(days, keep), _take(amounts, keep)
    index: Dict[Any, int] = {}
    dense = [index.setdefault(c, len(index)) for c in ids]
    cust = Column(dense, _c.c_uint32, "customer_ids") if _np is None else Column(_np.asarray(dense, dtype="uint32"), _c.c_uint32, "customer_ids")
    day = Column(days, _c.c_int32, "dates")
    amount = Column(amounts, _c.c_double, "amounts")
    n = same_length(cust, day, amount)
    require_finite_nonnegative(amount, "amount", ids)
    k = len(index)
    as_np = _np is not None
    bufs = {"monetary": out_array(_c.c_double, k, as_np), "frequency": out_array(_c.c_int64, k, as_np),
            "present": out_array(_c.c_uint8, k, as_np)}
    rec = (_c.c_int32 * k)()
    r, f, m = (_c.c_uint8 * k)(), (_c.c_uint8 * k)(), (_c.c_uint8 * k)()
    seg = (_c.c_uint16 * k)()
    check(_rfm_score(cust.ptr, day.ptr, amount.ptr, n, k, _day(asof, "asof"), _config(config), rec, bufs["frequency"][1],
                     bufs["monetary"][1], r, f, m, seg, bufs["present"][1]))
    names = segment_names(config)
    keys = list(index.keys())
    present = list(bufs["present"][0])
    keep = [i for i in range(k) if present[i]]
    freq, mon = list(bufs["frequency"][0]), list(bufs["monetary"][0])
    cols = Columns({
        "customer_id": [keys[i] for i in keep],
        "recency_days": [rec[i] for i in keep],
        "frequency": [int(freq[i]) for i in keep],
        "monetary": [float(mon[i]) for i in keep],
        "r": [r[i] for i in keep],
        "f": [f[i] for i in keep],
        "m": [m[i] for i in keep],
        "rfm": [r[i] * 100 + f[i] * 10 + m[i] for i in keep],
        "segment": [names[seg[i]] for i in keep],
    })
    if as_np:
        for name in ("recency_days", "frequency", "monetary", "r", "f", "m", "rfm"):
            cols[name] = _np.asarray(cols[name])
    return _note_skipped(cols, skipped, "rfm.score")


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


def _days(dates, ids, missing: str = "raise"):
    """(day numbers as int32-range ints since 1970-01-01, positions of the rows kept or None when
    all are). Dates are taken as written: a datetime's own wall-clock date (its own time zone
    for an aware one, as is for a naive one). A missing date (None, NaN, NaT) raises
    InvalidArgument naming the row and its customer id, or with missing="skip" leaves the row out."""
    if missing not in ("raise", "skip"):
        raise InvalidArgument(f"missing must be 'raise' or 'skip', got {missing!r}")
    arr = _wall_clock_datetime64(dates)
    if arr is None and _np is not None and isinstance(dates, _np.ndarray) and _np.issubdtype(dates.dtype, _np.datetime64):
        arr = dates
    if arr is not None:
        absent = _np.isnat(arr)
        days = arr.astype("datetime64[D]").astype("int64")
        days[absent] = 0
        bad = list(_np.flatnonzero(absent))
        raw = None
    else:
        raw = dates.tolist() if hasattr(dates, "tolist") else list(dates)
        days, bad = [], []
        for i, d in enumerate(raw):
            if _is_missing(d):
                bad.append(i)
                days.append(0)
                continue
            try:
                days.append(_one_day(d))
            except InvalidArgument as e:
                raise InvalidArgument(f"dates: row {i} (customer {ids[i]!r}): {e}") from None
    if len(days) != len(ids):
        raise InvalidArgument(f"dates has {len(days)} elements, expected {len(ids)} (one per customer id)")
    if bad and missing == "raise":
        i = int(bad[0])
        what = "NaT" if raw is None else repr(raw[i])
        raise InvalidArgument(f"dates: row {i} (customer {ids[i]!r}) has no date ({what}); "
                              f"{len(bad)} row(s) lack one; pass missing='skip' to leave them out")
    keep = None
    if bad:
        gone = set(int(i) for i in bad)
        keep = [i for i in range(len(ids)) if i not in gone]
    if len(days):
        lo, hi = (int(min(days)), int(max(days))) if raw is not None else (int(days.min()), int(days.max()))
        if lo < _INT32[0] or hi > _INT32[1]:
            bad_day = lo if lo < _INT32[0] else hi
            i = list(days).index(bad_day)
            raise InvalidArgument(f"dates: row {i} (customer {ids[i]!r}) is {bad_day} days from 1970-01-01, "
                                  "outside the int32 day range")
    return days, keep


def _take(values, keep):
    """The elements of a sequence / numpy array / pandas Series at the positions `keep`."""
    if keep is None:
        return values
    if hasattr(values, "to_numpy") and _np is not None:
        values = values.to_numpy()
    if _np is not None and isinstance(values, _np.ndarray):
        return values[_np.asarray(keep, dtype="int64")]
    seq = values if isinstance(values, (list, tuple)) else list(values)
    return [seq[i] for i in keep]


class Columns(dict):
    """The result columns (a dict, so pd.DataFrame(result) works). ``skipped_rows``: the number of
    transactions left out because they had no date (missing="skip"); 0 otherwise."""

    skipped_rows = 0


def _note_skipped(cols: "Columns", n_skipped: int, what: str) -> "Columns":
    cols.skipped_rows = n_skipped
    if n_skipped:
        import warnings
        warnings.warn(f"{what}: {n_skipped} transaction(s) without a date were skipped (missing='skip')",
                      MissingDateWarning, stacklevel=3)
    return cols


class MissingDateWarning(UserWarning):
    """Transactions without a date were skipped (missing="skip"); the count is also the result's
    ``skipped_rows``."""
