"""Customer lifetime value: BG/NBD + Gamma-Gamma fits, predictions and CLV over plain arrays.

Inputs are sequences or numpy arrays / pandas Series (used without copying when they are
contiguous float64); outputs are numpy arrays when the inputs were, lists otherwise.
"""
from __future__ import annotations

import ctypes as _c
from dataclasses import dataclass
from typing import Any, Optional

from . import _rows
from ._lib import (Column, InvalidArgument, c_int, check, declare, out_array, require_finite_nonnegative, result,
                   same_length)

_pd = _c.POINTER(_c.c_double)


class _BgNbd(_c.Structure):
    _fields_ = [("r", _c.c_double), ("alpha", _c.c_double), ("a", _c.c_double), ("b", _c.c_double)]


class _GammaGamma(_c.Structure):
    _fields_ = [("p", _c.c_double), ("q", _c.c_double), ("v", _c.c_double)]


class _ClvOptions(_c.Structure):
    _fields_ = [("horizon_months", _c.c_int), ("monthly_discount", _c.c_double), ("period", _c.c_int),
                ("margin", _c.c_double)]


_bg_fit = declare("crmkit_value_bgnbd_fit", _pd, _pd, _pd, _c.c_size_t, _c.POINTER(_BgNbd), _pd)
_gg_fit = declare("crmkit_value_gammagamma_fit", _pd, _pd, _c.c_size_t, _c.POINTER(_GammaGamma), _pd,
                  _c.POINTER(_c.c_size_t))
_predict = declare("crmkit_value_predict", _c.POINTER(_BgNbd), _c.POINTER(_GammaGamma), _pd, _pd, _pd, _pd,
                   _c.c_size_t, _c.c_double, _c.POINTER(_ClvOptions), _pd, _pd, _pd, _pd)
_simple = declare("crmkit_value_simple_clv", _c.c_double, _c.c_double, _c.c_double, _c.c_int, _pd)
_summarize = declare("crmkit_value_summarize", _c.POINTER(_c.c_uint32), _c.POINTER(_c.c_int32), _pd, _c.c_size_t,
                     _c.c_size_t, _c.c_int32, _c.c_int, _pd, _pd, _pd, _pd, _c.POINTER(_c.c_uint8))

_summarize_minor = declare("crmkit_value_summarize_minor", _c.POINTER(_c.c_uint32), _c.POINTER(_c.c_int32),
                           _c.POINTER(_c.c_int64), _c.c_size_t, _c.c_size_t, _c.c_int32, _c.c_int, _pd, _pd, _pd, _pd,
                           _c.POINTER(_c.c_uint8))

_PERIODS = {"day": 0, "week": 1}
_ID_COLUMNS = ("ID", "id", "customer_id")  # a summary's customer id column, first found
_FIELD_NAMES = {"x": "x (repeat purchases)", "t_x": "t_x", "T": "T", "m": "m (mean spend)"}  # in errors


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    loglik: float = float("nan")


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float
    loglik: float = float("nan")
    customers: int = 0  # customers the fit used (x > 0 and m > 0)
    excluded_zero_spend: int = 0  # customers with x > 0 and m == 0 left out of the fit


def _summary_columns(summary: Any, x=None, t_x=None, T=None, m=None):
    """Columns from a DataFrame/dict with x,t_x,T[,m] or frequency,recency,T[,monetary_value] names."""
    if summary is not None:
        cols = summary if isinstance(summary, dict) else {c: summary[c] for c in summary.columns}
        def pick(*names):
            for n in names:
                if n in cols:
                    return cols[n]
            return None
        x, t_x, T = pick("x", "frequency"), pick("t_x", "recency"), pick("T")
        m = pick("m", "zbar", "monetary_value")
        if x is None or t_x is None or T is None:
            raise InvalidArgument("summary needs columns x,t_x,T (or frequency,recency,T)")
    return x, t_x, T, m


def _summary_ids(summary: Any):
    """The customer ids of a summary with an ID column (for error messages), else None."""
    if summary is None:
        return None
    cols = summary if isinstance(summary, dict) else {c: summary[c] for c in summary.columns}
    for name in _ID_COLUMNS:
        if name in cols:
            col = cols[name]
            return col.tolist() if hasattr(col, "tolist") else list(col)
    return None


def fit_bgnbd(summary: Any = None, *, x=None, t_x=None, T=None) -> BgNbd:
    """Maximum-likelihood BG/NBD fit (raises NoConvergence if it does not converge)."""
    x, t_x, T, _ = _summary_columns(summary, x, t_x, T)
    cx, ct, cT = Column(x, _c.c_double, "x"), Column(t_x, _c.c_double, "t_x"), Column(T, _c.c_double, "T")
    n = same_length(cx, ct, cT)
    out, ll = _BgNbd(), _c.c_double()
    check(_bg_fit(cx.ptr, ct.ptr, cT.ptr, n, _c.byref(out), _c.byref(ll)))
    return BgNbd(out.r, out.alpha, out.a, out.b, ll.value)


def fit_gammagamma(summary: Any = None, *, x=None, m=None) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma fit, with the rule of the C++ core (the CLI's too):
    customers with x == 0 are left out (the model has no repeat spend for them); customers with
    x > 0 and m == 0 are left out as well and counted in the result's ``excluded_zero_spend``
    (a Gamma spend is > 0); a NaN, infinite or negative x or m raises InvalidArgument naming the
    customer id (from the summary's ID / id / customer_id column, else the row). ``customers``
    is how many customers the fit used."""
    ids = _summary_ids(summary)
    if summary is not None:
        x, _, _, m = _summary_columns(summary)
    if m is None:
        raise InvalidArgument("Gamma-Gamma needs the mean repeat spend m (zbar / monetary_value)")
    cx, cm = Column(x, _c.c_double, "x"), Column(m, _c.c_double, "m")
    n = same_length(cx, cm)
    require_finite_nonnegative(cx, _FIELD_NAMES["x"], ids)
    require_finite_nonnegative(cm, _FIELD_NAMES["m"], ids)
    repeaters = sum(1 for i in range(n) if cx.ptr[i] > 0)
    out, ll, used = _GammaGamma(), _c.c_double(), _c.c_size_t()
    check(_gg_fit(cx.ptr, cm.ptr, n, _c.byref(out), _c.byref(ll), _c.byref(used)))
    return GammaGamma(out.p, out.q, out.v, ll.value, used.value, repeaters - used.value)


def predict(bgnbd: BgNbd, gammagamma: GammaGamma, summary: Any = None, *, x=None, t_x=None, T=None, m=None,
            t: float = 39, horizon_months: int = 12, monthly_discount: float = 0.01, period: str = "week",
            margin: float = 1.0) -> dict:
    """Per customer: expected purchases in the next t periods, P(alive), expected spend and CLV
    (monthly discounted sum over horizon_months). Returns a dict of columns."""
    x, t_x, T, m = _summary_columns(summary, x, t_x, T, m)
    if period not in _PERIODS:
        raise InvalidArgument(f"period must be 'day' or 'week', got {period!r}")
    cx, ct, cT = Column(x, _c.c_double, "x"), Column(t_x, _c.c_double, "t_x"), Column(T, _c.c_double, "T")
    cm = Column(m if m is not None else [0.0] * cx.n, _c.c_double, "m")
    n = same_length(cx, ct, cT, cm)
    require_finite_nonnegative(cm, _FIELD_NAMES["m"], _summary_ids(summary))
    bg = _BgNbd(bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b)
    gg = _GammaGamma(gammagamma.p, gammagamma.q, gammagamma.v)
    opts = _ClvOptions(c_int(horizon_months, _c.c_int, "horizon_months"), float(monthly_discount), _PERIODS[period], float(margin))
    as_np = cx.is_numpy
    outs = [out_array(_c.c_double, n, as_np) for _ in range(4)]
    check(_predict(_c.byref(bg), _c.byref(gg), cx.ptr, ct.ptr, cT.ptr, cm.ptr, n, float(t), _c.byref(opts),
                   *(p for _, p in outs)))
    names = ("expected_purchases", "p_alive", "expected_spend", "clv")
    return {name: result(buf, as_np) for name, (buf, _) in zip(names, outs)}


def simple_clv(margin: float, retention: float, discount: float, periods: int) -> float:
    """Sum over t = 1..periods of margin * retention**(t-1) / (1+discount)**t."""
    out = _c.c_double()
    check(_simple(margin, retention, discount, c_int(periods, _c.c_int, "periods"), _c.byref(out)))
    return out.value


def summarize(customer_ids, dates, amounts, calibration_end, period: str = "week", *, missing: str = "raise") -> dict:
    """Per-customer summaries (x, t_x, T, m) from transactions, for a calibration period ending on
    `calibration_end` (inclusive; later purchases are ignored). Purchases on one day are one
    purchase. Returns columns id, x, t_x, T, m for customers with a purchase in the period.

    Rows are read as in rfm.score (crmkit._rows, the rule of every entry point): a datetime's
    own wall-clock date (a tz-aware column keeps its local dates; naive datetimes are taken as
    written); a missing date or customer id (None, NaN, NaT, pd.NA) raises InvalidArgument
    naming its row (and customer id); with missing="skip" such transactions are left out, the
    result's ``skipped_rows`` says how many and a MissingDateWarning / MissingIdWarning is
    issued. m is summed exactly in minor units (docs/domain.md#money)."""
    if period not in _PERIODS:
        raise InvalidArgument(f"period must be 'day' or 'week', got {period!r}")
    rows = _rows.read(customer_ids, dates, amounts, missing)
    ids = rows.ids
    index = {}
    dense = [index.setdefault(c, len(index)) for c in ids]
    cust = Column(dense, _c.c_uint32, "customer_ids")
    day = Column(rows.days, _c.c_int32, "dates")
    amount = Column(rows.amounts, _c.c_double, "amounts")
    n = same_length(cust, day, amount)
    k = len(index)
    outs = [(_c.c_double * k)() for _ in range(4)]
    seen = (_c.c_uint8 * k)()
    end = _rows.day(calibration_end, "calibration_end")
    keys = list(index.keys())
    _rows.call_naming_customer(
        lambda: check(_summarize(cust.ptr, day.ptr, amount.ptr, n, k, end, _PERIODS[period], *outs, seen)), keys)
    keep_customers = [i for i in range(k) if seen[i]]
    cols = _rows.Columns({"id": [keys[i] for i in keep_customers]})
    for name, buf in zip(("x", "t_x", "T", "m"), outs):
        cols[name] = [buf[i] for i in keep_customers]
    return _rows.note_skipped(cols, rows, "value.summarize")
