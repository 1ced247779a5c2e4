import datetime as dt

import pytest

import crmkit
from crmkit import rfm, tiers

pd = pytest.importorskip("pandas")


def test_rfm_small_log_lists():
    out = rfm.score(["a", "a", "b", "c"], ["2024-03-30", "2024-01-01", "2024-02-01", "2023-01-01"], [100, 50, 20, 5],
                    asof="2024-03-31")
    assert list(out["customer_id"]) == ["a", "b", "c"]
    assert list(out["recency_days"]) == [1, 59, 455]
    assert list(out["frequency"]) == [2, 1, 1]
    assert out["segment"][0] in rfm.segment_names()


def test_rfm_cdnow_with_pandas(data):
    df = pd.read_csv(data / "cdnow" / "CDNOW_master.txt", sep=r"\s+", names=["id", "date", "qty", "amount"],
                     skiprows=1, dtype={"id": str})
    df["date"] = pd.to_datetime(df["date"].astype(str))
    out = pd.DataFrame(rfm.score(df["id"], df["date"], df["amount"], asof=dt.date(1998, 6, 30)))
    assert len(out) == 23570
    assert set(out["r"]) == {1, 2, 3, 4, 5}
    # The CLI computes the same scores.
    assert out.loc[out.customer_id == "00003", "rfm"].item() == 555


def test_rfm_errors():
    with pytest.raises(crmkit.InvalidArgument, match="amount"):
        rfm.score(["a"], ["2024-01-01"], [float("nan")], asof="2024-02-01")
    with pytest.raises(crmkit.InvalidArgument, match="rfm.scoring"):
        rfm.score(["a"], ["2024-01-01"], [1.0], asof="2024-02-01", config={"scoring": "deciles"})


def test_tiers(data):
    cfg = data / "tiers" / "default.json"
    out = tiers.individual([60, 20, 5, 0], config=cfg)
    assert out["tier"] == ["diamond", "gold", "silver", "basic"]
    assert out["change"] == ["new"] * 4
    held = tiers.individual([5], previous=["gold"], periods_below=[0], config=cfg)
    assert held == {"tier": ["gold"], "change": ["held"], "periods_below": [1]}
    assert tiers.individual([5], previous=["gold"], periods_below=[1], config=cfg)["change"] == ["downgrade"]
    assert tiers.enterprise(["A", "B"], [20e6, 60e3]) == ["1A", "4B"]
    assert tiers.pyramid(list(range(100))).count("vip") == 1
    assert tiers.abc([700, 100, 100, 50, 50]) == ["A", "B", "B", "C", "C"]
    with pytest.raises(crmkit.InvalidArgument, match="row 1"):
        tiers.individual([1, -1])
    with pytest.raises(crmkit.InvalidArgument):
        tiers.enterprise(["Z"], [1.0])
