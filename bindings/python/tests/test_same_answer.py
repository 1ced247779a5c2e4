"""Same data, same answer: every Python entry point (crmkit.rfm, crmkit.value, crmkit.dask) gives
the same scores, summaries, fits, errors and skip counts for the same transactions, in any row
order and any partitioning (docs/domain.md#money for the money rule)."""
import numpy as np
import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import crmkit  # noqa: E402
from crmkit import rfm, value  # noqa: E402

cdask = pytest.importorskip("crmkit.dask")

ASOF = "1998-06-30"
COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "segment"]


@pytest.fixture(scope="module")
def cdnow():
    from conftest import DATA  # the module-scoped fixture cannot take the function-scoped `data`
    df = pd.read_csv(DATA / "cdnow" / "CDNOW_master.txt", sep=r"\s+", header=0,
                     names=["customer_id", "date", "qty", "amount"], dtype={"customer_id": str, "date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df[["customer_id", "date", "amount"]]


def local_rfm(df, config):
    out = rfm.score(df["customer_id"], df["date"], df["amount"], ASOF, config)
    return pd.DataFrame(out)[COLUMNS].sort_values("customer_id").reset_index(drop=True)


def dask_rfm(df, parts, config):
    out = cdask.rfm(dd.from_pandas(df, npartitions=parts, sort=False), asof=ASOF, config=config).compute()
    out = out[COLUMNS].sort_values("customer_id").reset_index(drop=True)
    return out.astype({c: "int64" for c in ("recency_days", "frequency", "r", "f", "m", "rfm")})


@pytest.mark.parametrize("config", [None, {"monetary": "average"}])
def test_cdnow_scores_equal_in_any_order_and_partitioning(client, cdnow, config):
    want = local_rfm(cdnow, config)
    assert len(want) == 23570
    want = want.astype({c: "int64" for c in ("recency_days", "frequency", "r", "f", "m", "rfm")})
    # The shuffles of the issue report (random_state=7 moved customer 14704 across a quintile edge).
    for seed in (7, 1, 2, 3, 4):
        got = local_rfm(cdnow.sample(frac=1, random_state=seed), config)
        got = got.astype({c: "int64" for c in ("recency_days", "frequency", "r", "f", "m", "rfm")})
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"local, shuffle {seed}")
    for parts in (1, 3, 7):
        got = dask_rfm(cdnow, parts, config)
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"dask, {parts} partitions")
    row = want.set_index("customer_id").loc["14704"]
    if config is None:
        assert row["monetary"] == 133.95


def test_cdnow_summaries_and_gamma_gamma_equal(client, cdnow):
    local = pd.DataFrame(value.summarize(cdnow["customer_id"], cdnow["date"], cdnow["amount"], "1997-09-30"))
    local = local.sort_values("id").reset_index(drop=True)
    for parts in (1, 3, 7):
        got = cdask.summarize(dd.from_pandas(cdnow.sample(frac=1, random_state=parts), npartitions=parts, sort=False),
                              asof="1997-09-30").compute().sort_values("id").reset_index(drop=True)
        pd.testing.assert_frame_equal(got[["id", "x", "t_x", "T", "m"]], local, check_exact=True,
                                      check_dtype=False, obj=f"dask summarize, {parts} partitions")
    want = value.fit_gammagamma(local)
    got = cdask.fit_gammagamma(dd.from_pandas(local, npartitions=3))
    assert want.excluded_zero_spend == got.excluded_zero_spend > 0
    assert want.customers == got.customers
    assert (got.p, got.q, got.v) == pytest.approx((want.p, want.q, want.v), rel=1e-9)


def test_gamma_gamma_refuses_nan_m_naming_the_customer_everywhere(client):
    s = pd.DataFrame({"id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0], "t_x": [1.0, 2.0, 3.0], "T": [4.0, 4.0, 4.0],
                      "m": [5.0, np.nan, 7.0]})
    with pytest.raises(crmkit.InvalidArgument, match=r"customer 'b': m \(mean spend\) must be a finite number"):
        value.fit_gammagamma(s)
    with pytest.raises(crmkit.InvalidArgument, match=r"customer 'b': m \(mean spend\) must be a finite number"):
        cdask.fit_gammagamma(dd.from_pandas(s, npartitions=2))


# ---- the same rows read the same way by every entry point --------------------------------------

def entry_points(df, missing="raise"):
    """Scores and summaries of df by the four entry points, each as a sorted frame (and the skip
    counts of each)."""
    out = {}
    r = rfm.score(df["customer_id"], df["date"], df["amount"], "2024-06-30", missing=missing)
    out["rfm.score"] = (pd.DataFrame(r)[["customer_id", "recency_days", "frequency", "monetary"]], r.skipped_rows)
    s = value.summarize(df["customer_id"], df["date"], df["amount"], "2024-06-30", missing=missing)
    out["value.summarize"] = (pd.DataFrame(s), s.skipped_rows)
    ddf = dd.from_pandas(df, npartitions=2, sort=False)
    d = cdask.rfm(ddf, asof="2024-06-30", missing=missing)
    out["dask.rfm"] = (d.compute()[["customer_id", "recency_days", "frequency", "monetary"]],
                       int(dd.compute(d.skipped_rows)[0]) if missing == "skip" else 0)
    d = cdask.summarize(ddf, asof="2024-06-30", missing=missing)
    out["dask.summarize"] = (d.compute(), int(dd.compute(d.skipped_rows)[0]) if missing == "skip" else 0)
    for k, (frame, skipped) in out.items():
        key = frame.columns[0]
        frame = frame.sort_values(key).reset_index(drop=True)
        out[k] = (frame.astype({c: "int64" for c in ("recency_days", "frequency") if c in frame}), skipped)
    return out


def same_error_everywhere(df, pattern):
    for name, call in [
        ("rfm.score", lambda: rfm.score(df["customer_id"], df["date"], df["amount"], "2024-06-30")),
        ("value.summarize", lambda: value.summarize(df["customer_id"], df["date"], df["amount"], "2024-06-30")),
        ("dask.rfm", lambda: cdask.rfm(dd.from_pandas(df, npartitions=2, sort=False), asof="2024-06-30").compute()),
        ("dask.summarize",
         lambda: cdask.summarize(dd.from_pandas(df, npartitions=2, sort=False), asof="2024-06-30").compute()),
    ]:
        with pytest.raises(crmkit.InvalidArgument, match=pattern):
            call()


def frame(ids, dates, amounts=None):
    return pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts or [10.0] * len(ids)})


def test_missing_date_same_error_or_same_skip(client):
    df = frame(["a", "b", "a", "c"], pd.to_datetime(["2024-01-01", None, "2024-02-01", "2024-03-01"]))
    same_error_everywhere(df, r"dates: row 1 \(customer 'b'\) has no date \(NaT\)")
    with pytest.warns(rfm.MissingDateWarning):
        got = entry_points(df, "skip")
    assert {k: s for k, (_, s) in got.items()} == dict.fromkeys(got, 1)
    r, s = got["rfm.score"][0], got["value.summarize"][0]
    pd.testing.assert_frame_equal(got["dask.rfm"][0], r, check_dtype=False)
    pd.testing.assert_frame_equal(got["dask.summarize"][0], s, check_dtype=False)
    assert list(r["customer_id"]) == ["a", "c"]  # not 1970-01-01 for b


@pytest.mark.parametrize("absent", [None, np.nan, pd.NA])
def test_missing_customer_id_same_error_or_same_skip(client, absent):
    df = frame(["a", "b", absent, "a"], pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01", "2024-03-01"]),
               [1.0, 2.0, 4.0, 8.0])
    df["customer_id"] = df["customer_id"].astype(object)
    same_error_everywhere(df, r"customer_ids: row 2 has no customer id")
    with pytest.warns(rfm.MissingIdWarning):
        got = entry_points(df, "skip")
    assert {k: s for k, (_, s) in got.items()} == dict.fromkeys(got, 1)
    r = got["rfm.score"][0]
    assert list(r["customer_id"]) == ["a", "b"] and list(r["monetary"]) == [9.0, 2.0]  # no customer "nan"
    pd.testing.assert_frame_equal(got["dask.rfm"][0], r, check_dtype=False)
    pd.testing.assert_frame_equal(got["dask.summarize"][0], got["value.summarize"][0], check_dtype=False)


def test_tz_aware_dates_keep_their_local_date_everywhere(client):
    # 01:30 in Shanghai is the previous day in UTC: the local date counts.
    dates = pd.to_datetime(["2024-01-05 01:30", "2024-03-01 01:30", "2024-01-10 12:00"]).tz_localize("Asia/Shanghai")
    df = frame(["a", "a", "b"], dates)
    got = entry_points(df)
    r = got["rfm.score"][0]
    assert list(r["recency_days"]) == [121, 172]  # 2024-03-01 and 2024-01-10 to 2024-06-30
    s = got["value.summarize"][0]
    assert s.loc[0, "T"] == (pd.Timestamp("2024-06-30") - pd.Timestamp("2024-01-05")).days / 7
    pd.testing.assert_frame_equal(got["dask.rfm"][0], r, check_dtype=False)
    pd.testing.assert_frame_equal(got["dask.summarize"][0], s, check_dtype=False)


def test_bad_amount_same_error_everywhere(client):
    df = frame(["a", "b"], pd.to_datetime(["2024-01-01", "2024-01-02"]), [1.0, -2.0])
    same_error_everywhere(df, r"amounts: row 1 \(customer 'b'\): amount must be a finite number in \[0, 900000000000000\]")


def test_total_past_the_money_limit_same_error_everywhere(client):
    df = frame(["a", "b", "b"], pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]), [1.0, 9e14, 9e14])
    for call in (lambda: rfm.score(df["customer_id"], df["date"], df["amount"], "2024-06-30"),
                 lambda: value.summarize(df["customer_id"], df["date"], df["amount"], "2024-06-30"),
                 lambda: cdask.rfm(dd.from_pandas(df, npartitions=2, sort=False), asof="2024-06-30").compute(),
                 lambda: cdask.summarize(dd.from_pandas(df, npartitions=2, sort=False), asof="2024-06-30").compute()):
        with pytest.raises(crmkit.LimitExceeded, match=r"customer 'b': total amount above 900000000000000"):
            call()


def test_amounts_rounded_to_four_decimals_by_one_rule(client):
    # 0.1 + 0.2 is 0.30000000000000004 as a float; in minor units it is 0.3 in any order.
    df = frame(["a"] * 3 + ["b"], pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01"]),
               [0.1, 0.2, 0.30000000000000004, 0.00015])
    got = entry_points(df)
    r = got["rfm.score"][0]
    assert list(r["monetary"]) == [0.6, 0.0001]
    pd.testing.assert_frame_equal(got["dask.rfm"][0], r, check_dtype=False)
    s = got["value.summarize"][0]
    assert s.loc[0, "m"] == 0.25  # (0.2 + 0.3) / 2
    pd.testing.assert_frame_equal(got["dask.summarize"][0], s, check_dtype=False)
