"""Customer tiers: individual tiers with hysteresis, enterprise grades, pyramid, A/B/C by CLV.

Without a config every function uses the shipped rules, data/tiers/default.json (individual
tiers by average monthly spend: diamond >= 50, gold >= 18, silver >= 4, else basic), the same
default as the CLI's and the C API's (a NULL config). A wheel carries its copy as
crmkit/data/tiers/default.json; a source checkout reads the repository's data/tiers/default.json.
"""
from __future__ import annotations

import ctypes as _c
import json as _json
import os
import pathlib
from functools import lru_cache
from typing import List, Optional, Sequence, Union

from ._lib import Column, InvalidArgument, check, declare, read_config_file, require_length, take_string

_names = declare("crmkit_tiers_names", _c.c_char_p, _c.POINTER(_c.c_void_p))
_individual = declare("crmkit_tiers_individual", _c.c_char_p, _c.POINTER(_c.c_double), _c.POINTER(_c.c_char_p),
                      _c.POINTER(_c.c_int32), _c.c_size_t, _c.POINTER(_c.c_int32), _c.POINTER(_c.c_int32),
                      _c.POINTER(_c.c_int32))
_enterprise = declare("crmkit_tiers_enterprise", _c.c_char_p, _c.c_char_p, _c.POINTER(_c.c_double), _c.c_size_t,
                      _c.c_char_p)
_pyramid = declare("crmkit_tiers_pyramid", _c.c_char_p, _c.POINTER(_c.c_double), _c.c_size_t, _c.POINTER(_c.c_int32))
_abc = declare("crmkit_tiers_abc", _c.c_char_p, _c.POINTER(_c.c_double), _c.c_size_t, _c.c_char_p)

_CHANGES = ["new", "same", "upgrade", "downgrade", "held"]


def default_config_path() -> Optional[pathlib.Path]:
    """The shipped default tier rules: the package's copy (crmkit/data/tiers/default.json, in a
    wheel), else the source checkout's data/tiers/default.json; None if neither exists."""
    here = pathlib.Path(__file__).resolve().parent
    for path in (here / "data" / "tiers" / "default.json", here.parent.parent.parent / "data" / "tiers" / "default.json"):
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def _default_text() -> Optional[bytes]:
    path = default_config_path()
    # Without the file the C library's NULL default is used: the same rules, built in.
    return read_config_file(path).encode("utf-8") if path is not None else None


def _config(config: Optional[Union[str, dict, os.PathLike]]) -> Optional[bytes]:
    """A config as JSON text: a dict, JSON text, or a path to a JSON file; None = the shipped
    data/tiers/default.json."""
    if config is None:
        return _default_text()
    if isinstance(config, dict):
        return _json.dumps(config).encode("utf-8")
    text = str(config)
    if not text.lstrip().startswith("{"):
        text = read_config_file(text)
    return text.encode("utf-8")


def names(config=None) -> dict:
    out = _c.c_void_p()
    check(_names(_config(config), _c.byref(out)))
    return _json.loads(take_string(out))


def individual(avg_monthly_spend, previous: Optional[Sequence[Optional[str]]] = None,
               periods_below: Optional[Sequence[int]] = None, config=None) -> dict:
    """Tiers from average monthly spend, re-rated against `previous` tiers with hysteresis.
    Returns {"tier": [...], "change": [...], "periods_below": [...]}."""
    cfg = _config(config)
    spend = Column(avg_monthly_spend, _c.c_double, "avg_monthly_spend")
    n = spend.n
    prev = None
    if previous is not None:
        previous = list(previous)
        if len(previous) != n:  # the C side reads n entries
            raise InvalidArgument(f"previous has {len(previous)} elements, expected {n}")
        prev = (_c.c_char_p * n)(*[p.encode("utf-8") if p else None for p in previous])
    below = Column(periods_below, _c.c_int32, "periods_below") if periods_below is not None else None
    require_length(below, n, "periods_below")
    tier, held, change = (_c.c_int32 * n)(), (_c.c_int32 * n)(), (_c.c_int32 * n)()
    check(_individual(cfg, spend.ptr, prev, below.ptr if below else None, n, tier, held, change))
    labels = names(config)["individual"]
    return {"tier": [labels[t] for t in tier], "change": [_CHANGES[c] for c in change], "periods_below": list(held)}


def enterprise(account_class: Sequence[str], annual_revenue, config=None) -> List[str]:
    """Grades "1A".."5B" from account class ('A' key account, 'B' commercial) and annual revenue."""
    classes = "".join(account_class).encode("ascii")
    rev = Column(annual_revenue, _c.c_double, "annual_revenue")
    if len(classes) != rev.n:
        raise InvalidArgument("account_class and annual_revenue differ in length")
    out = _c.create_string_buffer(3 * rev.n + 1)
    check(_enterprise(_config(config), classes, rev.ptr, rev.n, out))
    raw = out.raw
    return [raw[3 * i:3 * i + 2].decode() for i in range(rev.n)]


def pyramid(values, config=None) -> List[str]:
    v = Column(values, _c.c_double, "values")
    out = (_c.c_int32 * v.n)()
    check(_pyramid(_config(config), v.ptr, v.n, out))
    labels = names(config)["pyramid"]
    return [labels[i] for i in out]


def abc(clv, config=None) -> List[str]:
    v = Column(clv, _c.c_double, "clv")
    out = _c.create_string_buffer(v.n + 1)
    check(_abc(_config(config), v.ptr, v.n, out))
    return [chr(b) for b in out.raw[: v.n]]
