"""crmkit over Dask DataFrames: customer summaries, RFM, BG/NBD + Gamma-Gamma fits and CLV for
transaction logs that do not fit one machine, partitioned any way (not necessarily by customer).

Dask (dask[dataframe] and, for clusters, distributed) is optional: ``import crmkit`` never needs
it; ``import crmkit.dask`` raises ImportError without it.

Every worker must load libcrmkit.so: install the crmkit wheel on each worker, or set
CRMKIT_LIBRARY to the library's path in the workers' environment (a LocalCluster's worker
processes inherit the client's environment), or ship the package with ``client.upload_file``.

What is exact and how:

* rows: every partition is read by the rule of the single-machine entry points (crmkit._rows):
  dates as written (tz-aware columns keep their local dates), a missing customer id or date
  raises InvalidArgument naming its index label, or with missing="skip" is left out and counted
  in the result's ``skipped_rows`` (a dask Scalar); amounts are checked and turned into integer
  minor units of 1/10,000 by the library's rule (docs/domain.md#money).
* summarize: each partition is reduced to distinct (customer, day) pairs with exact minor-unit
  sums, the pairs are shuffled by customer, and every shuffled partition is summarized by the C
  kernel over minor units. Distinct purchase days and sums are thus merged exactly: the
  summaries equal the single machine's bit for bit in any partitioning.
* rfm: per-customer count, exact minor-unit total and last day are merged by a groupby;
  quintile thresholds come from the global value counts of the three columns (one pass), so
  scores equal rfm.score's (1 + floor(5·L/N)) in any partitioning; segments are crmkit's own
  rules, looked up from a 125-cell table that crmkit.rfm.score computes once on the client.
* fit_bgnbd / fit_gammagamma: each partition is reduced to a weighted table of distinct
  (x, t_x, T) (resp. (x, m)) profiles; the tables are merged and crmkit's weighted fitter runs
  once on the client. Only the profile table reaches the client, never customer rows. When the
  merged profile table itself is too large for one machine (continuous T or m over billions of
  customers), the fit would need distributed gradient steps (each worker evaluating the
  likelihood and gradient over its profiles per BFGS iteration); that is not implemented.
* predict: crmkit.value.predict per partition (map_partitions).
"""
from __future__ import annotations

import ctypes as _c
import json as _json
from typing import Any, Optional, Union

try:
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd
except ImportError as e:  # pragma: no cover - exercised only without dask
    raise ImportError("crmkit.dask needs dask[dataframe] with numpy and pandas (Debian: python3-dask; "
                      "pip: dask[dataframe]); crmkit itself works without them") from e

from . import _rows
from . import rfm as _rfm
from . import value as _value
from ._lib import Column, InvalidArgument, LimitExceeded, check, declare, require_finite_nonnegative

_pd = _c.POINTER(_c.c_double)
_bg_fit_w = declare("crmkit_value_bgnbd_fit_weighted", _pd, _pd, _pd, _pd, _c.c_size_t,
                    _c.POINTER(_value._BgNbd), _pd)
_gg_fit_w = declare("crmkit_value_gammagamma_fit_weighted", _pd, _pd, _pd, _c.c_size_t,
                    _c.POINTER(_value._GammaGamma), _pd, _pd)

_SUMMARY = ("x", "t_x", "T", "m")


# Totals are int64 minor units; a float64 sum rides along so that a total past the limit is
# refused (naming the customer), as the C kernels refuse it, before an int64 sum could wrap: all
# amounts are >= 0, so a float sum below this bound means every int64 partial sum is exact.
_FLOAT_TOTAL_BOUND = 9.1e14


def _read_part(df: pd.DataFrame, customer: str, date: str, amount: str, missing: str) -> pd.DataFrame:
    """The rows of a partition read by the rule of every entry point (crmkit._rows): customer,
    day (int64), minor (int64 minor units) and amount (float64). Errors name the row by the
    partition's index label (the row number for a frame read with a default index)."""
    rows = _rows.read(df[customer], df[date], df[amount], missing, labels=df.index)
    amt = np.asarray(rows.amounts, dtype="float64")
    return pd.DataFrame({"customer": pd.Series(rows.ids, dtype=df[customer].dtype if len(rows.ids) else object),
                         "day": np.asarray(rows.days, dtype="int64"), "minor": _rows.to_minor(amt), "amount": amt})


def _count_missing(df: pd.DataFrame, customer: str, date: str) -> pd.Series:
    """Rows the reader leaves out under missing="skip" (no customer id or no date), as a
    one-element Series."""
    return pd.Series([int((df[customer].isna() | df[date].isna()).sum())], dtype="int64")


def _skipped(ddf, customer: str, date: str, missing: str):
    """A dask Scalar counting the rows skipped for a missing id or date (0 under missing='raise',
    where such a row raises instead)."""
    if missing != "skip":
        return 0
    return ddf.map_partitions(_count_missing, customer, date, meta=("skipped", "int64")).sum()


def _refuse_large_totals(customers, minor, approx) -> None:
    """LimitExceeded naming the first customer whose total passes money::kMaxAmount."""
    over = np.flatnonzero((approx > _FLOAT_TOTAL_BOUND) | (minor > _rows.MAX_MINOR_UNITS) | (minor < 0))
    if over.size:
        raise LimitExceeded(f"customer {customers[int(over[0])]!r}: total amount above {_rows.MAX_AMOUNT:.0f} "
                            "(money::kMaxAmount)")


# ---- summarize ------------------------------------------------------------------------------

def _day_pairs(df: pd.DataFrame, customer: str, date: str, amount: str, end_day: int, missing: str) -> pd.DataFrame:
    part = _read_part(df, customer, date, amount, missing)
    part = part[part["day"].to_numpy() <= end_day]
    out = part.groupby(["customer", "day"], sort=False, as_index=False).agg(minor=("minor", "sum"),
                                                                            approx=("amount", "sum"))
    out["day"] = out["day"].astype("int32")
    return out


def _summarize_part(pairs: pd.DataFrame, end_day: int, period: str, id_dtype) -> pd.DataFrame:
    if len(pairs) == 0:
        return _summary_meta(id_dtype)
    codes, uniques = pd.factorize(pairs["customer"], sort=False)
    k = len(uniques)
    approx = np.bincount(codes, weights=pairs["approx"].to_numpy(dtype="float64"), minlength=k)
    _refuse_large_totals(uniques, np.zeros(k, dtype="int64"), approx)
    cust = np.ascontiguousarray(codes, dtype="uint32")
    day = np.ascontiguousarray(pairs["day"].to_numpy(), dtype="int32")
    minor = np.ascontiguousarray(pairs["minor"].to_numpy(), dtype="int64")
    outs = [np.empty(k, dtype="float64") for _ in range(4)]
    seen = np.empty(k, dtype="uint8")
    ptr = lambda a, t: a.ctypes.data_as(_c.POINTER(t))
    keys = list(uniques)
    _rows.call_naming_customer(lambda: check(_value._summarize_minor(
        ptr(cust, _c.c_uint32), ptr(day, _c.c_int32), ptr(minor, _c.c_int64), len(cust), k, end_day,
        _value._PERIODS[period], *(ptr(o, _c.c_double) for o in outs), ptr(seen, _c.c_uint8))), keys)
    keep = seen.astype(bool)
    out = pd.DataFrame({"id": pd.Series(np.asarray(keys, dtype=object)[keep], dtype=id_dtype)})
    for name, col in zip(_SUMMARY, outs):
        out[name] = col[keep]
    return out


def _summary_meta(id_dtype) -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series([], dtype=id_dtype), **{n: pd.Series([], dtype="float64") for n in _SUMMARY}})


def summarize(ddf: "dd.DataFrame", *, customer: str = "customer_id", date: str = "date", amount: str = "amount",
              asof: Any, period: str = "week", npartitions: Optional[int] = None,
              missing: str = "raise") -> "dd.DataFrame":
    """Per-customer summaries (id, x, t_x, T, m) as crmkit.value.summarize computes them with
    calibration_end=asof, for a Dask DataFrame of transactions partitioned any way. The result
    is partitioned by customer (hash), in no particular row order. Rows are read by the rule of
    crmkit.value.summarize (dates as written, tz-aware columns in their own zone; a missing id
    or date raises InvalidArgument naming its index label, or with missing="skip" is left out:
    the result's ``skipped_rows`` is a dask Scalar counting those rows). Amounts are summed in
    exact minor units, so the summaries equal the single machine's in any partitioning."""
    if period not in _value._PERIODS:
        raise InvalidArgument(f"period must be 'day' or 'week', got {period!r}")
    _rows.check_missing(missing)  # here, not only on the workers: a typo fails at the call
    end_day = _rows.day(asof, "asof")
    id_dtype = ddf._meta[customer].dtype
    pair_meta = pd.DataFrame({"customer": pd.Series([], dtype=id_dtype), "day": pd.Series([], dtype="int32"),
                              "minor": pd.Series([], dtype="int64"), "approx": pd.Series([], dtype="float64")})
    pairs = ddf.map_partitions(_day_pairs, customer, date, amount, end_day, missing, meta=pair_meta)
    pairs = pairs.shuffle("customer", npartitions=npartitions or ddf.npartitions)
    out = pairs.map_partitions(_summarize_part, end_day, period, id_dtype, meta=_summary_meta(id_dtype))
    object.__setattr__(out, "skipped_rows", _skipped(ddf, customer, date, missing))
    return out


# ---- RFM ------------------------------------------------------------------------------------

def _config_dict(config: Optional[Union[str, dict]]) -> dict:
    if config is None:
        return {}
    return dict(_json.loads(config) if isinstance(config, str) else config)


def _segment_table(cfg: dict) -> list:
    """segment name of each (r, f, m) cell, index (r-1)*25 + (f-1)*5 + (m-1), by crmkit's own rules:
    rfm.score with cut points that make recency 5-r, frequency f and monetary m score (r, f, m)."""
    probe = dict(cfg)
    probe.update(scoring="cut_points", window_days=0,
                 cuts={"recency": [0.5, 1.5, 2.5, 3.5], "frequency": [1.5, 2.5, 3.5, 4.5],
                       "monetary": [1.5, 2.5, 3.5, 4.5]})
    average = cfg.get("monetary", "total") == "average"
    ids, dates, amounts = [], [], []
    asof = np.datetime64("2000-01-10", "D")
    for cell in range(125):
        r, f, m = cell // 25 + 1, cell // 5 % 5 + 1, cell % 5 + 1
        for k in range(f):
            ids.append(cell)
            dates.append(asof - np.timedelta64(5 - r, "D"))
            amounts.append(float(m) if (average or k == 0) else 0.0)
    out = _rfm.score(ids, np.asarray(dates, dtype="datetime64[D]"), amounts, "2000-01-10", probe)
    table = [None] * 125
    for cid, r, f, m, seg in zip(out["customer_id"], out["r"], out["f"], out["m"], out["segment"]):
        if (int(r), int(f), int(m)) != (cid // 25 + 1, cid // 5 % 5 + 1, cid % 5 + 1):
            raise AssertionError("segment probe scored a cell wrongly")  # would be a crmkit bug
        table[cid] = seg
    return table


def _rfm_partial(df: pd.DataFrame, customer: str, date: str, amount: str, asof_day: int, first_day: int,
                 missing: str) -> pd.DataFrame:
    part = _read_part(df, customer, date, amount, missing)
    day = part["day"].to_numpy()
    part = part[(day <= asof_day) & (day >= first_day)]
    g = part.groupby("customer", sort=False)
    out = pd.DataFrame({"count": g["day"].size(), "total": g["minor"].sum(), "approx": g["amount"].sum(),
                        "last": g["day"].max().astype("int32")})
    return out.rename_axis("customer").reset_index()


def _monetary(total_minor: np.ndarray, count: np.ndarray, average: bool) -> np.ndarray:
    """money::to_amount / money::average over arrays: the same doubles as the C kernels."""
    total = total_minor.astype("float64")
    return total / (count.astype("float64") * float(_rows.MINOR_PER_UNIT)) if average else total / float(_rows.MINOR_PER_UNIT)


def _finish_totals(agg: pd.DataFrame, average: bool) -> pd.DataFrame:
    """Refuses a total past the limit and adds the monetary column (computed once, before the
    per-customer table is persisted, for both the thresholds and the scores)."""
    _refuse_large_totals(agg.index.to_numpy(), agg["total"].to_numpy(), agg["approx"].to_numpy())
    return agg.assign(monetary=_monetary(agg["total"].to_numpy(dtype="int64"), agg["count"].to_numpy(), average))


def _threshold_values(counts: pd.Series) -> list:
    """The 4 quintile thresholds (the ceil(k·N/5)-th smallest values) from value counts."""
    counts = counts.sort_index()
    n = int(counts.sum())
    cum = np.cumsum(counts.to_numpy())
    values = counts.index.to_numpy()
    out = []
    for k in range(1, 5):
        pos = (k * n + 4) // 5 - 1
        out.append(values[int(np.searchsorted(cum, pos, side="right"))])
    return out


def _score_rfm_part(agg: pd.DataFrame, asof_day: int, quint, cuts, table, id_dtype) -> pd.DataFrame:
    rec = (asof_day - agg["last"].to_numpy().astype("int64"))
    freq = agg["count"].to_numpy().astype("int64")
    mon = agg["monetary"].to_numpy(dtype="float64")
    if quint is not None:
        tr, tf, tm = quint
        r = 1 + sum((-rec.astype("float64") > t).astype("int64") for t in tr)
        f = 1 + sum((freq.astype("float64") > t).astype("int64") for t in tf)
        m = 1 + sum((mon > t).astype("int64") for t in tm)
    else:
        r = 5 - sum((rec > c).astype("int64") for c in cuts["recency"])
        f = 1 + sum((freq >= c).astype("int64") for c in cuts["frequency"])
        m = 1 + sum((mon >= c).astype("int64") for c in cuts["monetary"])
    r, f, m = (np.asarray(a, dtype="int64") + np.zeros(len(agg), dtype="int64") for a in (r, f, m))
    seg = np.asarray(table, dtype=object)[(r - 1) * 25 + (f - 1) * 5 + (m - 1)] if len(agg) else np.asarray([], dtype=object)
    return pd.DataFrame({"customer_id": pd.Series(agg.index.to_numpy(), dtype=id_dtype), "recency_days": rec,
                         "frequency": freq, "monetary": mon, "r": r, "f": f, "m": m, "rfm": r * 100 + f * 10 + m,
                         "segment": seg})


def rfm(ddf: "dd.DataFrame", *, customer: str = "customer_id", date: str = "date", amount: str = "amount",
        asof: Any, config: Optional[Union[str, dict]] = None, npartitions: Optional[int] = None,
        missing: str = "raise") -> "dd.DataFrame":
    """crmkit.rfm.score over a Dask DataFrame: columns customer_id, recency_days, frequency,
    monetary, r, f, m, rfm, segment, one row per customer with a purchase in the window. Quintile
    scores use global thresholds (one extra pass over the per-customer table for value counts);
    the value counts of the three columns, not customer rows, are brought to the client.
    Rows are read by crmkit.rfm.score's rule (missing ids and dates: ``missing``, as in
    summarize; ``skipped_rows`` is a dask Scalar) and money is summed in exact minor units, so
    the scores equal crmkit.rfm.score's in any row order and partitioning."""
    _rows.check_missing(missing)  # here, not only on the workers: a typo fails at the call
    cfg = _config_dict(config)
    _rfm.segment_names(cfg or None)  # validates the config with crmkit's own parser
    table = _segment_table(cfg)
    asof_day = _rows.day(asof, "asof")
    window = int(cfg.get("window_days", 0))
    first_day = asof_day - window + 1 if window > 0 else np.iinfo("int32").min
    average = cfg.get("monetary", "total") == "average"
    id_dtype = ddf._meta[customer].dtype
    meta = pd.DataFrame({"customer": pd.Series([], dtype=id_dtype), "count": pd.Series([], dtype="int64"),
                         "total": pd.Series([], dtype="int64"), "approx": pd.Series([], dtype="float64"),
                         "last": pd.Series([], dtype="int32")})
    partial = ddf.map_partitions(_rfm_partial, customer, date, amount, asof_day, first_day, missing, meta=meta)
    agg = partial.groupby("customer").agg({"count": "sum", "total": "sum", "approx": "sum", "last": "max"},
                                       split_out=npartitions or ddf.npartitions)
    agg = agg.map_partitions(_finish_totals, average, meta=agg._meta.assign(monetary=pd.Series([], dtype="float64")))
    agg = agg.persist() if _has_client() else agg
    quint = None
    cuts = None
    if cfg.get("scoring", "quintiles") == "quintiles":
        rec_key = -(asof_day - agg["last"].astype("int64"))
        freq = agg["count"]
        counts = dd.compute(rec_key.value_counts(), freq.value_counts(), agg["monetary"].value_counts())
        quint = tuple([float(v) for v in _threshold_values(c)] if len(c) else [0.0] * 4 for c in counts)
    else:
        cuts = cfg.get("cuts", {})
        if any(k not in cuts for k in ("recency", "frequency", "monetary")):
            raise InvalidArgument("crmkit.dask.rfm: cut_points scoring needs the config's cuts for recency, "
                                  "frequency and monetary")
    out_meta = _score_rfm_part(agg._meta, asof_day, quint or ([0.0] * 4,) * 3, cuts, table, id_dtype)
    out = agg.map_partitions(_score_rfm_part, asof_day, quint, cuts, table, id_dtype, meta=out_meta)
    object.__setattr__(out, "skipped_rows", _skipped(ddf, customer, date, missing))
    return out


def _has_client() -> bool:
    try:
        from distributed import default_client
        default_client()
        return True
    except (ImportError, ValueError):
        return False


# ---- fits -----------------------------------------------------------------------------------

def _columns(summary_ddf, *names):
    cols = {c: c for c in summary_ddf.columns}
    aliases = {"x": ("x", "frequency"), "t_x": ("t_x", "recency"), "T": ("T",), "m": ("m", "zbar", "monetary_value")}
    out = []
    for n in names:
        hit = next((a for a in aliases[n] if a in cols), None)
        if hit is None:
            raise InvalidArgument(f"summary needs a column {n} (or {', '.join(aliases[n][1:]) or 'no alias'})")
        out.append(hit)
    return out


def _check_part(df: pd.DataFrame, cols, names, id_col) -> pd.DataFrame:
    """The single-machine fits' check of each column: InvalidArgument naming the customer id
    (else the index label) of the first NaN, infinite or negative value."""
    ids = df[id_col].tolist() if id_col else None
    for col, name in zip(cols, names):
        require_finite_nonnegative(Column(df[col], _c.c_double, name), _value._FIELD_NAMES[name], ids, df.index)
    return df[list(cols)]


def _id_column(summary_ddf) -> Optional[str]:
    return next((c for c in _value._ID_COLUMNS if c in summary_ddf.columns), None)


def profile_table(summary_ddf: "dd.DataFrame", *names: str) -> pd.DataFrame:
    """The distinct rows of the named summary columns with their customer counts (column
    'count'), merged over all partitions: what the fits see. Values are checked first (NaN,
    infinite or negative: InvalidArgument naming the customer id, as the single-machine fits);
    for ("x", "m") only customers with x > 0 are kept (the Gamma-Gamma rule)."""
    cols = _columns(summary_ddf, *names)
    id_col = _id_column(summary_ddf)
    keep = list(cols) + ([id_col] if id_col else [])
    meta = summary_ddf._meta[list(cols)]
    df = summary_ddf[keep].map_partitions(_check_part, cols, names, id_col, meta=meta)
    if names == ("x", "m"):
        df = df[df[cols[0]] > 0]
    counts = df.groupby(cols).size().compute()
    table = counts.reset_index()
    table.columns = list(names) + ["count"]
    return table


def fit_bgnbd(summary_ddf: "dd.DataFrame") -> _value.BgNbd:
    """crmkit.value.fit_bgnbd over a Dask DataFrame of summaries (x, t_x, T): partitions are
    reduced to distinct (x, t_x, T) profiles with counts, merged, and fitted once with the
    weighted fitter on the client. The parameters equal the single-machine fit's (the likelihood
    is summed over profiles in sorted order on both paths). If the merged profile table itself is
    too large for the client, distributed gradient steps would be needed (not implemented)."""
    t = profile_table(summary_ddf, "x", "t_x", "T")
    x, tx, T, w = (np.ascontiguousarray(t[c].to_numpy(dtype="float64")) for c in ("x", "t_x", "T", "count"))
    out, ll = _value._BgNbd(), _c.c_double()
    p = lambda a: a.ctypes.data_as(_pd)
    check(_bg_fit_w(p(x), p(tx), p(T), p(w), len(x), _c.byref(out), _c.byref(ll)))
    return _value.BgNbd(out.r, out.alpha, out.a, out.b, ll.value)


def fit_gammagamma(summary_ddf: "dd.DataFrame") -> _value.GammaGamma:
    """crmkit.value.fit_gammagamma over a Dask DataFrame of summaries (x, m), with its rule and
    counts: customers with x == 0 are left out; those with x > 0 and m == 0 are left out and
    counted in ``excluded_zero_spend``; ``customers`` is how many the fit used; a NaN, infinite
    or negative x or m raises InvalidArgument naming the customer id. The customers with x > 0
    are reduced to distinct (x, m) pairs with counts, merged and fitted once on the client (the
    same caveat as fit_bgnbd for a profile table too large for one machine)."""
    t = profile_table(summary_ddf, "x", "m")
    x, m, w = (np.ascontiguousarray(t[c].to_numpy(dtype="float64")) for c in ("x", "m", "count"))
    repeaters = int(t["count"].sum())
    out, ll, used = _value._GammaGamma(), _c.c_double(), _c.c_double()
    p = lambda a: a.ctypes.data_as(_pd)
    if len(x) == 0:  # the weighted fitter needs rows; the same error as the single-machine fit
        x, m, w = np.zeros(1), np.zeros(1), np.zeros(1)
    check(_gg_fit_w(p(x), p(m), p(w), len(x), _c.byref(out), _c.byref(ll), _c.byref(used)))
    customers = int(round(used.value))
    return _value.GammaGamma(out.p, out.q, out.v, ll.value, customers, repeaters - customers)


# ---- predict --------------------------------------------------------------------------------

_PREDICTED = ("expected_purchases", "p_alive", "expected_spend", "clv")


def _predict_part(df: pd.DataFrame, bgnbd, gammagamma, id_col, cols, kwargs) -> pd.DataFrame:
    out = pd.DataFrame({id_col: df[id_col].to_numpy()}) if id_col else pd.DataFrame(index=range(len(df)))
    if len(df) == 0:
        for n in _PREDICTED:
            out[n] = np.zeros(0)
        return out
    x, tx, T, m = (np.ascontiguousarray(df[c].to_numpy(dtype="float64")) for c in cols)
    res = _value.predict(bgnbd, gammagamma, x=x, t_x=tx, T=T, m=m, **kwargs)
    for n in _PREDICTED:
        out[n] = np.asarray(res[n], dtype="float64")
    out.index = df.index
    return out


def predict(summary_ddf: "dd.DataFrame", bgnbd: _value.BgNbd, gammagamma: _value.GammaGamma, *, t: float = 39,
            horizon_months: int = 12, monthly_discount: float = 0.01, period: str = "week",
            margin: float = 1.0) -> "dd.DataFrame":
    """crmkit.value.predict per partition: columns id (when the summary has one),
    expected_purchases, p_alive, expected_spend, clv, one row per summary row."""
    cols = tuple(_columns(summary_ddf, "x", "t_x", "T", "m"))
    id_col = _id_column(summary_ddf)
    kwargs = dict(t=t, horizon_months=horizon_months, monthly_discount=monthly_discount, period=period, margin=margin)
    meta = pd.DataFrame({id_col: pd.Series([], dtype=summary_ddf._meta[id_col].dtype)} if id_col else {})
    for n in _PREDICTED:
        meta[n] = pd.Series([], dtype="float64")
    return summary_ddf.map_partitions(_predict_part, bgnbd, gammagamma, id_col, cols, kwargs, meta=meta)


__all__ = ["summarize", "rfm", "fit_bgnbd", "fit_gammagamma", "predict", "profile_table"]
