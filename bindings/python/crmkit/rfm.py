"""RFM scores and segments over plain arrays (lists, numpy arrays or pandas columns)."""
from __future__ import annotations

import ctypes as _c
import datetime as _dt
import json as _json
from typing import Any, Dict, Optional, Union

from . import _rows
from ._lib import Column, _np, check, declare, out_array, same_length, take_string

_rfm_score = declare("crmkit_rfm_score", _c.POINTER(_c.c_uint32), _c.POINTER(_c.c_int32), _c.POINTER(_c.c_double),
                     _c.c_size_t, _c.c_size_t, _c.c_int32, _c.c_char_p, _c.POINTER(_c.c_int32), _c.POINTER(_c.c_int64),
                     _c.POINTER(_c.c_double), _c.POINTER(_c.c_uint8), _c.POINTER(_c.c_uint8), _c.POINTER(_c.c_uint8),
                     _c.POINTER(_c.c_uint16), _c.POINTER(_c.c_uint8))
_names = declare("crmkit_rfm_segment_names", _c.c_char_p, _c.POINTER(_c.c_void_p))

# The one row reader of every entry point (crmkit/_rows.py); the old private names stay for callers.
_is_missing, _one_day, _day, _take = _rows.is_missing, _rows.one_day, _rows.day, _rows.take
Columns, MissingDateWarning, MissingIdWarning, MissingValueWarning = (
    _rows.Columns, _rows.MissingDateWarning, _rows.MissingIdWarning, _rows.MissingValueWarning)


def _config(config: Optional[Union[str, dict]]) -> Optional[bytes]:
    if config is None:
        return None
    return (config if isinstance(config, str) else _json.dumps(config)).encode("utf-8")


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

    Rows are read by the rule of every entry point (crmkit._rows): a missing date or customer
    id (None, NaN, NaT, pd.NA) raises InvalidArgument naming its row (and customer id); with
    missing="skip" such transactions are left out, the result's ``skipped_rows`` says how many
    and a MissingDateWarning / MissingIdWarning is issued. An amount must be a finite number in
    [0, 9e14]; money is summed exactly (docs/domain.md#money)."""
    rows = _rows.read(customer_ids, dates, amounts, missing)
    ids = rows.ids
    index: Dict[Any, int] = {}
    dense = [index.setdefault(c, len(index)) for c in ids]
    cust = Column(dense, _c.c_uint32, "customer_ids") if _np is None else Column(_np.asarray(dense, dtype="uint32"), _c.c_uint32, "customer_ids")
    day = Column(rows.days, _c.c_int32, "dates")
    amount = Column(rows.amounts, _c.c_double, "amounts")
    n = same_length(cust, day, amount)
    k = len(index)
    as_np = _np is not None
    bufs = {"monetary": out_array(_c.c_double, k, as_np), "frequency": out_array(_c.c_int64, k, as_np),
            "present": out_array(_c.c_uint8, k, as_np)}
    rec = (_c.c_int32 * k)()
    r, f, m = (_c.c_uint8 * k)(), (_c.c_uint8 * k)(), (_c.c_uint8 * k)()
    seg = (_c.c_uint16 * k)()
    keys = list(index.keys())
    _rows.call_naming_customer(lambda: check(_rfm_score(cust.ptr, day.ptr, amount.ptr, n, k, _day(asof, "asof"), _config(config), rec, bufs["frequency"][1],
                     bufs["monetary"][1], r, f, m, seg, bufs["present"][1])), keys)
    names = segment_names(config)
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
    return _rows.note_skipped(cols, rows, "rfm.score")
