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


def test_the_default_tier_rules_are_the_shipped_file_everywhere(data):
    # Python's default was 2000/500/100 built in, the CLI's data/tiers/default.json (50/18/4).
    import ctypes
    import json

    cfg = data / "tiers" / "default.json"
    spend = [2500, 600, 50, 49.99, 18, 17.99, 4, 3.99, 0]
    want = tiers.individual(spend, config=cfg)
    assert tiers.individual(spend) == want
    assert want["tier"] == ["diamond", "diamond", "diamond", "gold", "gold", "silver", "silver", "basic", "basic"]
    assert tiers.names() == tiers.names(cfg)
    assert tiers.default_config_path().read_bytes() == cfg.read_bytes()
    # The C API's NULL config is the same rules.
    fn = crmkit._lib.lib.crmkit_tiers_individual
    n = len(spend)
    out = (ctypes.c_int32 * n)()
    assert fn(None, (ctypes.c_double * n)(*spend), None, None, n, out, None, None) == 0
    labels = json.loads(cfg.read_text())["individual"]["thresholds"]
    assert [labels[i]["tier"] for i in out] == want["tier"]
    values = [float((i * 37) % 100) for i in range(100)]
    assert tiers.pyramid(values) == tiers.pyramid(values, config=cfg)
    assert tiers.abc([900, 500, 300, 100, 60, 1]) == tiers.abc([900, 500, 300, 100, 60, 1], config=cfg)
