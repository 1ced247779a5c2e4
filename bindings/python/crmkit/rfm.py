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


def _day(d: Union[str, _dt.date]) -> int:
    if isinstance(d, str):
        d = _dt.date.fromisoformat(d)
    return (d - _EPOCH).days


def segment_names(config: Optional[Union[str, dict]] = None):
    out = _c.c_void_p()
    check(_names(_config(config), _c.byref(out)))
    return _json.loads(take_string(out))


def score(customer_ids, dates, amounts, asof: Union[str, _dt.date], config: Optional[Union[str, dict]] = None) -> Dict[str, Any]:
    """RFM per customer. customer_ids: any hashable ids per transaction; dates: datetime.date,
    ISO strings, or numpy datetime64 values; amounts: numbers. Returns columns
    customer_id, recency_days, frequency, monetary, r, f, m, rfm, segment for customers with a
    purchase on or before `asof` (numpy arrays when numpy is installed, else lists)."""
    ids = customer_ids.tolist() if hasattr(customer_ids, "tolist") else list(customer_ids)
    index: Dict[Any, int] = {}
    dense = [index.setdefault(c, len(index)) for c in ids]
    days = _days(dates)
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
    check(_rfm_score(cust.ptr, day.ptr, amount.ptr, n, k, _day(asof), _config(config), rec, bufs["frequency"][1],
                     bufs["monetary"][1], r, f, m, seg, bufs["present"][1]))
    names = segment_names(config)
    keys = list(index.keys())
    present = list(bufs["present"][0])
    keep = [i for i in range(k) if present[i]]
    freq, mon = list(bufs["frequency"][0]), list(bufs["monetary"][0])
    cols = {
        "customer_id": [keys[i] for i in keep],
        "recency_days": [rec[i] for i in keep],
        "frequency": [int(freq[i]) for i in keep],
        "monetary": [float(mon[i]) for i in keep],
        "r": [r[i] for i in keep],
        "f": [f[i] for i in keep],
        "m": [m[i] for i in keep],
        "rfm": [r[i] * 100 + f[i] * 10 + m[i] for i in keep],
        "segment": [names[seg[i]] for i in keep],
    }
    if as_np:
        for name in ("recency_days", "frequency", "monetary", "r", "f", "m", "rfm"):
            cols[name] = _np.asarray(cols[name])
    return cols


def _days(dates):
    if _np is not None and isinstance(dates, _np.ndarray) and _np.issubdtype(dates.dtype, _np.datetime64):
        return dates.astype("datetime64[D]").astype("int64").astype("int32")
    if hasattr(dates, "dt"):  # pandas Series of datetimes
        return dates.to_numpy().astype("datetime64[D]").astype("int64").astype("int32")
    out = []
    for d in dates:
        if isinstance(d, _dt.datetime):
            d = d.date()
        elif isinstance(d, str):
            d = _dt.date.fromisoformat(d[:10])
        elif not isinstance(d, _dt.date):
            raise InvalidArgument(f"dates: expected dates or ISO strings, got {type(d).__name__}")
        out.append((d - _EPOCH).days)
    return out
