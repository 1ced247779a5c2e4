"""crmkit.dask on a 2-process LocalCluster equals the single-machine crmkit functions."""
import numpy as np
import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import crmkit  # noqa: E402
from crmkit import rfm as crfm  # noqa: E402
from crmkit import value  # noqa: E402

cdask = pytest.importorskip("crmkit.dask")

ASOF = "2024-06-30"


def transactions(n=6000, customers=700, seed=7):
    """BG/NBD-like purchases: gamma purchase rates, geometric dropout, staggered starts (about n rows)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.8, 1 / 60.0, customers) * (n / customers / 4.0)  # purchases per day
    start = rng.integers(0, 400, customers)
    ids, days = [], []
    for c in range(customers):
        d = float(start[c])
        ids.append(c), days.append(int(d))
        while rng.random() > 0.15:  # p = 0.15 of dropping out after each purchase
            d += rng.exponential(1 / max(rate[c], 1e-3))
            if d >= 600:
                break
            ids.append(c), days.append(int(d))
    ids, days = np.asarray(ids) * 3 + 1000, np.asarray(days)  # ids not dense
    order = rng.permutation(len(ids))  # rows not sorted by customer or date
    day0 = np.datetime64("2023-01-01", "D")
    dates = day0 + days[order].astype("timedelta64[D]")  # some after ASOF
    amounts = rng.integers(1, 400, len(ids)) * 0.25  # exact sums in any order
    return pd.DataFrame({"customer_id": ids[order], "date": dates.astype("datetime64[ns]"), "amount": amounts})


@pytest.fixture(scope="module")
def tx():
    return transactions()


def ddf_of(df, parts=5):
    # Partitioned by row, not by customer: one customer's rows spread over partitions.
    return dd.from_pandas(df, npartitions=parts, sort=False)


def single_summary(df):
    s = value.summarize(df["customer_id"].to_numpy(), df["date"].to_numpy(), df["amount"].to_numpy(), ASOF)
    return pd.DataFrame(s).sort_values("id").reset_index(drop=True)


def test_summarize_equals_single_machine(client, tx):
    got = cdask.summarize(ddf_of(tx), asof=ASOF).compute().sort_values("id").reset_index(drop=True)
    want = single_summary(tx)
    assert len(got) == len(want) > 500
    assert (got["id"].to_numpy() == want["id"].to_numpy()).all()
    for c in ("x", "t_x", "T", "m"):
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy(), err_msg=c)
    assert (got["x"] > 0).sum() > 100


def test_string_ids(client, tx):
    df = tx.assign(customer_id="c" + tx["customer_id"].astype(str))
    got = cdask.summarize(ddf_of(df), asof=ASOF).compute().sort_values("id").reset_index(drop=True)
    want = single_summary(df)
    assert list(got["id"]) == list(want["id"])
    np.testing.assert_array_equal(got["x"].to_numpy(), want["x"].to_numpy())
    r = cdask.rfm(ddf_of(df), asof=ASOF).compute().sort_values("customer_id")
    s = crfm.score(df["customer_id"].to_numpy(), df["date"].to_numpy(), df["amount"].to_numpy(), ASOF)
    w = pd.DataFrame(s).sort_values("customer_id")
    assert list(r["customer_id"]) == list(w["customer_id"]) and list(r["rfm"]) == list(w["rfm"])


def test_summarize_same_day_split_across_partitions(client):
    # One customer, two purchases on one day in different partitions, one later: x = 1.
    df = pd.DataFrame({"customer_id": [1, 2, 1, 1], "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01",
                                                                            "2024-01-15"]),
                       "amount": [5.0, 1.0, 7.0, 3.0]})
    got = cdask.summarize(ddf_of(df, 4), asof="2024-01-31", period="day").compute().set_index("id")
    assert got.loc[1, "x"] == 1 and got.loc[1, "t_x"] == 14 and got.loc[1, "T"] == 30 and got.loc[1, "m"] == 3.0
    assert got.loc[2, "x"] == 0


@pytest.mark.parametrize("config", [None, {"monetary": "average"}, {"window_days": 200},
                                    {"scoring": "cut_points", "cuts": {"recency": [10, 30, 90, 180],
                                                                       "frequency": [2, 3, 5, 8],
                                                                       "monetary": [10, 50, 100, 300]}}])
def test_rfm_equals_single_machine(client, tx, config):
    got = cdask.rfm(ddf_of(tx), asof=ASOF, config=config).compute().sort_values("customer_id").reset_index(drop=True)
    s = crfm.score(tx["customer_id"].to_numpy(), tx["date"].to_numpy(), tx["amount"].to_numpy(), ASOF, config)
    want = pd.DataFrame(s).sort_values("customer_id").reset_index(drop=True)
    assert len(got) == len(want) > 100
    for c in ("customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm"):
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy(), err_msg=c)
    assert list(got["segment"]) == list(want["segment"])
    assert set(got["r"]) == {1, 2, 3, 4, 5}


def test_rfm_ties_use_the_global_rule(client):
    # Frequencies with heavy ties spread over partitions: 1 + floor(5·L/N) needs global counts.
    rows = []
    for c in range(50):
        for k in range(1 + c % 3):
            rows.append((c, f"2024-01-{1 + k:02d}", 1.0 + c))
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    df["date"] = pd.to_datetime(df["date"])
    got = cdask.rfm(ddf_of(df, 3), asof="2024-02-01").compute().sort_values("customer_id")
    s = crfm.score(df["customer_id"].to_numpy(), df["date"].to_numpy(), df["amount"].to_numpy(), "2024-02-01")
    assert list(got["f"]) == [int(v) for v in s["f"]]
    assert list(got["r"]) == [int(v) for v in s["r"]]


def test_bad_amount_is_refused(client, tx):
    bad = tx.copy()
    bad.loc[bad.index[-1], "amount"] = -1.0
    with pytest.raises(crmkit.InvalidArgument, match="amount"):
        cdask.summarize(ddf_of(bad), asof=ASOF).compute()
    with pytest.raises(crmkit.InvalidArgument, match="amount"):
        cdask.rfm(ddf_of(bad), asof=ASOF).compute()


def test_fits_and_predict_equal_single_machine(client, tx):
    summary = cdask.summarize(ddf_of(tx), asof=ASOF).persist()
    want_summary = single_summary(tx)
    bg = cdask.fit_bgnbd(summary)
    gg = cdask.fit_gammagamma(summary)
    bg1 = value.fit_bgnbd(want_summary)
    gg1 = value.fit_gammagamma(want_summary)
    for a, b in ((bg.r, bg1.r), (bg.alpha, bg1.alpha), (bg.a, bg1.a), (bg.b, bg1.b), (bg.loglik, bg1.loglik),
                 (gg.p, gg1.p), (gg.q, gg1.q), (gg.v, gg1.v), (gg.loglik, gg1.loglik)):
        assert a == b  # sorted-profile likelihoods: the same bits (amounts here are exact binary sums)
    assert gg.customers == gg1.customers
    # The client saw a profile table, smaller than the customer table.
    table = cdask.profile_table(summary, "x", "t_x", "T")
    assert table["count"].sum() == len(want_summary)

    got = cdask.predict(summary, bg1, gg1, t=26).compute().sort_values("id").reset_index(drop=True)
    want = value.predict(bg1, gg1, want_summary, t=26)
    for c in ("expected_purchases", "p_alive", "expected_spend", "clv"):
        np.testing.assert_allclose(got[c].to_numpy(), np.asarray(want[c]), rtol=1e-13, err_msg=c)


def test_weighted_fit_equals_repeated_rows():
    # The C API entry point on its own: weights 2 == each row twice; weight 0 == row absent.
    s = single_summary(transactions(2000, 300, seed=3))
    x, tx, T = (s[c].to_numpy() for c in ("x", "t_x", "T"))
    twice = value.fit_bgnbd(x=np.concatenate([x, x]), t_x=np.concatenate([tx, tx]), T=np.concatenate([T, T]))
    w = np.full(len(x), 2.0)
    out, ll = value._BgNbd(), cdask._c.c_double()
    p = lambda a: np.ascontiguousarray(a, dtype="float64").ctypes.data_as(cdask._pd)
    crmkit._lib.check(cdask._bg_fit_w(p(x), p(tx), p(T), p(w), len(x), cdask._c.byref(out), cdask._c.byref(ll)))
    assert out.r == pytest.approx(twice.r, rel=1e-9) and out.b == pytest.approx(twice.b, rel=1e-9)
    assert ll.value == pytest.approx(twice.loglik, rel=1e-9)
    bad = np.full(len(x), -1.0)
    with pytest.raises(crmkit.InvalidArgument, match="weight"):
        crmkit._lib.check(cdask._bg_fit_w(p(x), p(tx), p(T), p(bad), len(x), cdask._c.byref(out),
                                          cdask._c.byref(ll)))


def test_import_without_dask_gives_clear_error(monkeypatch):
    import subprocess
    import sys
    code = ("import sys; sys.modules['dask'] = None; sys.modules['dask.dataframe'] = None\n"
            "import crmkit\n"
            "try:\n    import crmkit.dask\nexcept ImportError as e:\n    print('IMPORTERROR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "IMPORTERROR" in out and "crmkit.dask needs dask" in out
