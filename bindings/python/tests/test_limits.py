"""Hostile inputs through the bindings: array lengths, integers ctypes would wrap, NaN/negative
spend named by customer id, and the C library's limits."""
import math

import pytest

import crmkit
from crmkit import _lib, rfm, tiers, value
from crmkit.calendar import Calendar

np = pytest.importorskip("numpy")


def test_individual_checks_the_length_of_periods_below():
    # A 1-element periods_below for 3 customers was read past its end by the C side.
    with pytest.raises(crmkit.InvalidArgument, match="periods_below has 1 elements, expected 3"):
        tiers.individual([100, 600, 2500], previous=["gold", "gold", "gold"], periods_below=[1])
    with pytest.raises(crmkit.InvalidArgument, match="periods_below"):
        tiers.individual([100, 600], periods_below=np.zeros(5, dtype="int32"))


def test_individual_checks_the_length_of_previous():
    with pytest.raises(crmkit.InvalidArgument, match="previous has 1 elements, expected 2"):
        tiers.individual([100, 600], previous=["gold"])
    with pytest.raises(crmkit.InvalidArgument, match="previous"):
        tiers.individual([100], previous=["gold", "silver"])
    out = tiers.individual([10, 600], previous=["gold", None], periods_below=[0, 0])  # 10: silver
    assert out["change"] == ["held", "new"]


def test_integers_that_do_not_fit_are_refused_not_wrapped():
    with pytest.raises(crmkit.InvalidArgument, match="periods_below: 4294967296 does not fit"):
        tiers.individual([100], previous=["gold"], periods_below=[2**32])
    with pytest.raises(crmkit.InvalidArgument, match="does not fit"):
        tiers.individual([100], previous=["gold"], periods_below=np.array([2**40]))
    with Calendar.always_open() as cal:
        with pytest.raises(crmkit.InvalidArgument, match="instant"):
            cal.add(2**70, 10)  # ctypes turned it into 0
        with pytest.raises(crmkit.InvalidArgument, match="does not fit"):
            cal.add_batch([2**64], [1])


def test_periods_below_above_the_maximum():
    with pytest.raises(crmkit.InvalidArgument, match="periods_below"):
        tiers.individual([100], previous=["gold"], periods_below=[2**31 - 1])


def test_nan_or_negative_spend_names_the_customer_id():
    for bad in (math.nan, math.inf, -3.0):
        with pytest.raises(crmkit.InvalidArgument, match=r"row 1 \(customer 'bob'\): amount"):
            value.summarize(["ann", "bob"], ["2024-01-01", "2024-01-02"], [10.0, bad], "2024-02-01")
        with pytest.raises(crmkit.InvalidArgument, match=r"row 1 \(customer 'bob'\): amount"):
            rfm.score(["ann", "bob"], ["2024-01-01", "2024-01-02"], np.array([10.0, bad]), asof="2024-02-01")
    bg = value.BgNbd(0.24, 4.4, 0.79, 2.4)
    gg = value.GammaGamma(6.25, 3.74, 15.4)
    summary = {"ID": ["c1", "c2"], "x": [2, 1], "t_x": [30, 10], "T": [38, 38], "m": [20.0, math.nan]}
    with pytest.raises(crmkit.InvalidArgument, match="customer 'c2': m"):
        value.predict(bg, gg, summary)
    with pytest.raises(crmkit.InvalidArgument, match="row 1: m"):  # no ids: the row
        value.predict(bg, gg, x=[2, 1], t_x=[30, 10], T=[38, 38], m=[20.0, -1.0])


def test_clv_limits():
    bg = value.BgNbd(0.24, 4.4, 0.79, 2.4)
    gg = value.GammaGamma(6.25, 3.74, 15.4)
    with pytest.raises(crmkit.LimitExceeded, match="horizon_months"):
        value.predict(bg, gg, x=[2], t_x=[30], T=[38], m=[20.0], horizon_months=2**31 - 1)
    with pytest.raises(crmkit.LimitExceeded, match="periods"):
        value.simple_clv(100, 0.8, 0.01, 2**31 - 1)


def test_time_outside_the_supported_range():
    with pytest.raises(crmkit.InvalidArgument, match="supported range"):
        _lib.to_unix("1899-12-31T23:59:59Z")
    assert _lib.to_unix("2499-12-31T23:59:59Z") == 16725225599


def test_devices_are_not_files():
    with pytest.raises(crmkit.InvalidArgument, match="/dev/zero"):
        Calendar.from_file("/dev/zero")
    with pytest.raises(crmkit.InvalidArgument, match="/dev/zero"):
        tiers.names("/dev/zero")  # the binding reads tier configs itself


def test_scalar_integers_that_do_not_fit_are_refused_not_wrapped():
    # ctypes kept the low bits: periods=2**32+5 computed 5 periods, horizon 2**32+12 was 12.
    assert value.simple_clv(100, 0.8, 0.1, 5) > 0
    for bad in (2**32 + 5, 2**31, -2**31 - 1, 2**64):
        with pytest.raises(crmkit.InvalidArgument, match="periods"):
            value.simple_clv(100, 0.8, 0.1, bad)
    bg = value.BgNbd(0.24, 4.4, 0.79, 2.4)
    gg = value.GammaGamma(6.25, 3.74, 15.4)
    with pytest.raises(crmkit.InvalidArgument, match="horizon_months"):
        value.predict(bg, gg, x=[2], t_x=[30], T=[38], m=[20.0], horizon_months=2**32 + 12)
    with pytest.raises(crmkit.InvalidArgument, match="periods"):
        value.simple_clv(100, 0.8, 0.1, True)
    with Calendar.always_open() as cal:
        t = 1_790_000_000
        assert cal.add(t, 60) == t + 60
        for bad in (2**64 + 60, 2**63, -2**63 - 1):
            with pytest.raises(crmkit.InvalidArgument, match="business"):
                cal.add(t, bad)
        with pytest.raises(crmkit.InvalidArgument, match="business"):
            cal.add(t, 1.5)


def test_clock_ids_that_do_not_fit_are_refused():
    from crmkit.sla import Clocks
    clocks = Clocks()
    with pytest.raises(crmkit.InvalidArgument, match="clock_id"):
        clocks.start(2**64 + 1, 0)
    with pytest.raises(crmkit.InvalidArgument, match="clock_id"):
        clocks.status(-1, 0)
