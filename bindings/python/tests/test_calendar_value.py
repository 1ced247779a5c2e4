import math
import os
import pathlib
import datetime as dt

import pytest

import crmkit
from crmkit import value

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")


def test_version():
    assert crmkit.version().count(".") == 2


def test_calendar_deadline_over_national_day(data):
    with crmkit.Calendar.from_file(data / "calendars" / "cn-2026.json") as cal:
        due = cal.add("2026-09-30T17:00:00+08:00", 7200)
        assert due == dt.datetime(2026, 10, 8, 2, 0, tzinfo=dt.timezone.utc)
        start = int(dt.datetime(2026, 9, 30, 9, 0, tzinfo=dt.timezone.utc).timestamp())
        assert cal.add(start, 3600) == start + 3600
        assert cal.between("2026-09-30T17:00:00+08:00", due) == 7200
        assert cal.is_working("2026-10-10T10:00:00+08:00")  # make-up Saturday
        assert not cal.is_working("2026-10-01T10:00:00+08:00")
        assert cal.next_working("2026-10-01T10:00:00+08:00") == dt.datetime(2026, 10, 8, 1, 0, tzinfo=dt.timezone.utc)
        assert "Asia/Shanghai" in cal.to_json()


def test_calendar_batch_numpy_and_lists(data):
    cal = crmkit.Calendar.from_file(data / "calendars" / "cn-2026.json")
    t0 = crmkit._lib.to_unix("2026-03-02T09:00:00+08:00")
    starts = np.full(1000, t0, dtype=np.int64) + np.arange(1000, dtype=np.int64) * 3600
    adds = np.full(1000, 7200, dtype=np.int64)
    out = cal.add_batch(starts, adds)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    assert out[0] == t0 + 7200
    assert list(cal.between_batch(starts, out)) == [7200] * 1000
    assert cal.add_batch([t0], [7200]) == [t0 + 7200]
    with pytest.raises(crmkit.InvalidArgument, match="row 1"):
        cal.add_batch([t0, t0], [1, -1])
    with pytest.raises(crmkit.InvalidArgument):
        cal.add_batch([t0, t0], [1])
    cal.close()
    with pytest.raises(crmkit.InvalidState):
        cal.add(t0, 1)
    cal.close()  # closing twice is fine


def test_calendar_errors():
    with pytest.raises(crmkit.ParseError):
        crmkit.Calendar.from_json('{"zone":')
    with pytest.raises(crmkit.NotFound, match="zone"):
        crmkit.Calendar.from_json({"zone": "Nowhere/Land"})
    with pytest.raises(crmkit.IOFailure):
        crmkit.Calendar.from_file("/nonexistent/calendar.json")
    with pytest.raises(crmkit.InvalidArgument, match="naive"):
        crmkit.Calendar.always_open().add(dt.datetime(2026, 1, 1), 5)
    with crmkit.Calendar.always_open() as cal:
        assert cal.add(0, 90) == 90


def test_cdnow_reference_figures(data):
    df = pd.read_csv(data / "cdnow" / "cdnow_customers_summary_with_transactions.csv")
    bg = value.fit_bgnbd(df)
    assert (round(bg.r, 3), round(bg.alpha, 3), round(bg.a, 3), round(bg.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert abs(bg.loglik - -9582.4) < 0.1
    gg = value.fit_gammagamma(df)
    assert gg.customers == 946
    assert abs(gg.p - 6.25) <= 0.01 and abs(gg.q - 3.74) <= 0.01 and abs(gg.v - 15.44) <= 0.01
    pred = value.predict(bg, gg, df, t=39)
    assert isinstance(pred["clv"], np.ndarray) and len(pred["clv"]) == 2357
    assert round(pred["expected_purchases"][0], 3) == 1.226
    assert round(pred["p_alive"][0], 3) == 0.727
    one = value.predict(bg, gg, x=[2], t_x=[30.43], T=[38.86], m=[22.35], t=39)
    assert isinstance(one["clv"], list) and one["clv"][0] == pytest.approx(pred["clv"][0])


def test_value_errors():
    with pytest.raises(crmkit.InvalidArgument):
        value.fit_bgnbd(x=[], t_x=[], T=[])
    with pytest.raises(crmkit.InvalidArgument, match="customer 1"):
        value.fit_bgnbd(x=[1, 1], t_x=[2, 5], T=[3, 3])
    with pytest.raises(crmkit.InvalidArgument, match="row 0"):
        value.fit_gammagamma(x=[1, 2], m=[-1.0, 3.0])
    with pytest.raises(crmkit.InvalidArgument, match="no customers with x > 0 and m > 0"):
        value.fit_gammagamma(x=[1, 2, 0], m=[0.0, 0.0, 5.0])  # m = 0 is left out: nobody is left
    assert value.simple_clv(100, 0.8, 0.1, 2) == pytest.approx(100 / 1.1 + 80 / 1.21)
    with pytest.raises(crmkit.InvalidArgument):
        value.simple_clv(100, 1.5, 0.1, 2)


def test_summarize_matches_the_published_cdnow_summary(data):
    tx = pd.read_csv(data / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", names=["master", "id", "date", "qty", "amount"],
                     dtype={"id": str})
    tx["date"] = pd.to_datetime(tx["date"].astype(str))
    s = pd.DataFrame(value.summarize(tx["id"], tx["date"], tx["amount"], "1997-09-30")).set_index("id")
    ref = pd.read_csv(data / "cdnow" / "cdnow_customers_summary_with_transactions.csv")
    assert len(s) == len(ref) == 2357
    first = s.loc[f"{1:04d}"] if f"{1:04d}" in s.index else s.iloc[0]
    assert first["x"] == ref.loc[0, "x"]
    assert abs(first["t_x"] - ref.loc[0, "t_x"]) < 0.01
    assert abs(first["T"] - ref.loc[0, "T"]) < 0.01
    bg = value.fit_bgnbd(s)
    assert round(bg.r, 3) == 0.243


def _cdnow_master(data):
    ids, dates, amounts = [], [], []
    with open(data / "cdnow" / "CDNOW_master.txt") as fh:
        next(fh)
        for line in fh:
            cid, day, _, amount = line.split()
            ids.append(cid)
            dates.append(f"{day[:4]}-{day[4:6]}-{day[6:]}")
            amounts.append(float(amount))
    return ids, dates, amounts


def test_gammagamma_on_the_shipped_log_follows_the_cores_rule(data):
    # Customer 10244 has x > 0 and m = 0: the fit failed on "customer 10243" (a row index).
    summary = value.summarize(*_cdnow_master(data), "1997-09-30")
    i = summary["id"].index("10244")
    assert summary["x"][i] > 0 and summary["m"][i] == 0
    gg = value.fit_gammagamma(summary)
    zero = sum(1 for x, m in zip(summary["x"], summary["m"]) if x > 0 and m == 0)
    assert zero >= 1 and gg.excluded_zero_spend == zero
    assert gg.customers == sum(1 for x, m in zip(summary["x"], summary["m"]) if x > 0 and m > 0)
    # The CLI applies the same rule to the same log and reports the same counts.
    import json
    import subprocess
    cli = pathlib.Path(os.environ["CRMKIT_LIBRARY"]).parent / "tools" / "crmkit" if "CRMKIT_LIBRARY" in os.environ else None
    if cli is not None and cli.exists():
        out = subprocess.run([str(cli), "value", "fit", "--transactions", str(data / "cdnow" / "CDNOW_master.txt"),
                              "--calibration-end", "1997-09-30"], check=True, capture_output=True, text=True)
        j = json.loads(out.stdout)["gammagamma"]
        assert (j["customers"], j["excluded_zero_spend"]) == (gg.customers, gg.excluded_zero_spend)
        assert j["p"] == pytest.approx(gg.p, rel=1e-5) and j["v"] == pytest.approx(gg.v, rel=1e-5)
    # A negative or NaN mean spend is refused naming the customer id, not its row.
    bad = dict(summary, m=list(summary["m"]))
    bad["m"][i] = -1.0
    with pytest.raises(crmkit.InvalidArgument, match="customer '10244'"):
        value.fit_gammagamma(bad)
    bad["m"][i] = math.nan
    with pytest.raises(crmkit.InvalidArgument, match="customer '10244'"):
        value.fit_gammagamma(bad)
    with pytest.raises(crmkit.InvalidArgument, match="row 1"):  # no ids: the row
        value.fit_gammagamma(x=[2, 1], m=[20.0, -3.0])
