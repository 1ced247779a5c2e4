"""Dates of transactions: a missing one is refused (or skipped on request), never 1970-01-01; a
datetime's date is its own wall-clock date (tz-aware in its own zone, naive as written)."""
import datetime as dt
import math
import os
import subprocess
import sys
import time
import warnings

import pytest

import crmkit
from crmkit import rfm, value

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

IDS = ["ann", "bob", "cy"]
AMOUNTS = [10.0, 20.0, 30.0]


def _missing_date_columns():
    yield ["2024-01-01", None, "2024-01-03"]
    yield ["2024-01-01", math.nan, "2024-01-03"]
    yield [dt.date(2024, 1, 1), pd.NaT, dt.date(2024, 1, 3)]
    yield pd.Series(pd.to_datetime(["2024-01-01", None, "2024-01-03"]))
    yield pd.Series(pd.to_datetime(["2024-01-01", None, "2024-01-03"])).dt.tz_localize("Asia/Shanghai")
    yield np.array(["2024-01-01", "NaT", "2024-01-03"], dtype="datetime64[D]")
    yield [np.datetime64("2024-01-01"), np.datetime64("NaT"), np.datetime64("2024-01-03")]


@pytest.mark.parametrize("dates", list(_missing_date_columns()))
def test_a_missing_date_names_the_row_and_customer(dates):
    with pytest.raises(crmkit.InvalidArgument, match=r"row 1 \(customer 'bob'\) has no date"):
        value.summarize(IDS, dates, AMOUNTS, "2024-02-01")
    with pytest.raises(crmkit.InvalidArgument, match=r"row 1 \(customer 'bob'\) has no date"):
        rfm.score(IDS, dates, AMOUNTS, asof="2024-02-01")


@pytest.mark.parametrize("dates", list(_missing_date_columns()))
def test_missing_skip_leaves_the_rows_out_and_counts_them(dates):
    with pytest.warns(rfm.MissingDateWarning, match="1 transaction"):
        s = value.summarize(IDS, dates, AMOUNTS, "2024-02-01", missing="skip")
    assert s["id"] == ["ann", "cy"] and s.skipped_rows == 1
    with pytest.warns(rfm.MissingDateWarning):
        r = rfm.score(IDS, dates, np.array(AMOUNTS), asof="2024-02-01", missing="skip")
    assert list(r["customer_id"]) == ["ann", "cy"] and r.skipped_rows == 1
    assert list(r["recency_days"]) == [31, 29]  # not 1970-01-01 (19754 days before asof)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert value.summarize(IDS, ["2024-01-01"] * 3, AMOUNTS, "2024-02-01").skipped_rows == 0
    with pytest.raises(crmkit.InvalidArgument, match="missing"):
        value.summarize(IDS, dates, AMOUNTS, "2024-02-01", missing="drop")


def test_missing_or_out_of_range_asof_is_refused():
    with pytest.raises(crmkit.InvalidArgument, match="asof"):
        rfm.score(IDS, ["2024-01-01"] * 3, AMOUNTS, asof=pd.NaT)
    with pytest.raises(crmkit.InvalidArgument, match="calibration_end"):
        value.summarize(IDS, ["2024-01-01"] * 3, AMOUNTS, None)


def test_day_numbers_outside_int32_are_refused_not_wrapped():
    far = np.array(["2024-01-01", "2024-01-02", "5881611-01-01"], dtype="datetime64[D]")  # 2**31 + days
    with pytest.raises(crmkit.InvalidArgument, match=r"row 2 \(customer 'cy'\).*int32"):
        rfm.score(IDS, far, AMOUNTS, asof="2024-02-01")
    with pytest.raises(crmkit.InvalidArgument, match="asof.*int32"):
        rfm.score(IDS, ["2024-01-01"] * 3, AMOUNTS, asof=np.datetime64("5881611-01-01"))


def _shanghai_evening_and_morning():
    # 2024-03-01 07:00 in Shanghai is 2024-02-29 23:00 UTC: its date is March 1st.
    return ["2024-03-01 07:00", "2024-03-01 23:30", "2024-03-05 00:30"]


def test_a_tz_aware_column_keeps_its_own_local_dates():
    local = pd.Series(pd.to_datetime(_shanghai_evening_and_morning())).dt.tz_localize("Asia/Shanghai")
    naive = [dt.date(2024, 3, 1), dt.date(2024, 3, 1), dt.date(2024, 3, 5)]
    want = rfm.score(["a", "a", "b"], naive, AMOUNTS, asof="2024-03-10")
    for dates in (local, pd.DatetimeIndex(local), list(local), local.dt.to_pydatetime().tolist(),
                  local.astype(object)):
        got = rfm.score(["a", "a", "b"], dates, AMOUNTS, asof="2024-03-10")
        assert list(got["recency_days"]) == list(want["recency_days"]) == [9, 5]
    s = value.summarize(["a", "a", "a"], local, AMOUNTS, "2024-03-10", period="day")
    assert s["x"] == [1.0] and s["t_x"] == [4.0] and s["T"] == [9.0]


def test_naive_datetimes_are_taken_as_written_whatever_the_machine_zone():
    code = ("import datetime as dt, numpy as np, pandas as pd\n"
            "from crmkit import rfm\n"
            "d = [dt.datetime(2024, 3, 1, 23, 30), dt.datetime(2024, 3, 1, 0, 15)]\n"
            "for dates in (d, np.array(d, dtype=object), pd.Series(d), np.array(d, dtype='datetime64[ns]')):\n"
            "    r = rfm.score(['a', 'b'], dates, [1.0, 2.0], asof=dt.datetime(2024, 3, 2, 23, 59))\n"
            "    assert list(r['recency_days']) == [1, 1], list(r['recency_days'])\n")
    for zone in ("Pacific/Kiritimati", "America/Los_Angeles", "UTC"):
        env = dict(os.environ, TZ=zone)
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
