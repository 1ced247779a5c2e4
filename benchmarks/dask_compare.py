#!/usr/bin/env python3
"""summarize + RFM + BG/NBD/Gamma-Gamma fit + CLV: crmkit.dask on a LocalCluster vs single-process
crmkit vs a pandas recipe, on synthetic transactions generated inside the workers.

    CRMKIT_LIBRARY=build/libcrmkit.so PYTHONPATH=bindings/python \\
        /usr/bin/python3 benchmarks/dask_compare.py --rows 10000000 --workers 2

Data: --customers customers with gamma purchase rates and an alive window each (BG/NBD-like);
partition i of --partitions draws its rows with seed (--seed, i), so every run and every path sees
the same transactions; rows are in random order, not partitioned by customer. The single-process
and pandas paths generate the same partitions in-process (generation is not timed).
"""
import argparse
import time

import numpy as np
import pandas as pd

ASOF = "2025-06-30"
DAY0 = np.datetime64("2023-07-01", "D")
SPAN = 730


def customer_table(customers, seed):
    rng = np.random.default_rng([seed, 0xC0FFEE])
    weight = rng.gamma(0.6, 1.0, customers)
    start = rng.integers(0, SPAN - 30, customers)
    life = np.minimum(rng.exponential(240.0, customers) + 1, SPAN - start)
    return weight / weight.sum(), start, life


def partition(i, rows, customers, seed):
    p, start, life = customer_table(customers, seed)
    rng = np.random.default_rng([seed, i])
    cust = rng.choice(customers, size=rows, p=p)
    day = start[cust] + (rng.random(rows) * life[cust]).astype("int64")
    amount = np.round(rng.gamma(2.0, 20.0, rows), 2) + 1.0
    return pd.DataFrame({"customer_id": cust.astype("int64"), "date": (DAY0 + day.astype("timedelta64[D]")).astype("datetime64[ns]"),
                         "amount": amount})


def timed(label, fn, times):
    t0 = time.perf_counter()
    out = fn()
    times[label] = time.perf_counter() - t0
    print(f"  {label:<10} {times[label]:8.2f} s", flush=True)
    return out


def run_dask(args):
    import dask.dataframe as dd
    import distributed
    import crmkit.dask as cdask
    cluster = distributed.LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1,
                                       dashboard_address=None, memory_limit=args.memory_limit)
    client = distributed.Client(cluster)
    rows = args.rows // args.partitions
    ddf = dd.from_map(partition, range(args.partitions), rows=rows, customers=args.customers, seed=args.seed,
                      meta=partition(0, 0, 1, 0))
    ddf = ddf.persist()
    distributed.wait(ddf)  # generated inside the workers; not timed
    times = {}
    print(f"dask ({args.workers} workers, {args.partitions} partitions):")
    summary = timed("summarize", lambda: distributed.wait(s := cdask.summarize(ddf, asof=ASOF).persist()) and s, times)
    timed("rfm", lambda: distributed.wait(cdask.rfm(ddf, asof=ASOF).persist()), times)
    bg, gg = timed("fit", lambda: (cdask.fit_bgnbd(summary), cdask.fit_gammagamma(summary)), times)
    timed("clv", lambda: distributed.wait(cdask.predict(summary, bg, gg).persist()), times)
    n_customers = len(summary)
    client.close()
    cluster.close()
    return times, bg, gg, n_customers


def local_frame(args):
    rows = args.rows // args.partitions
    return pd.concat([partition(i, rows, args.customers, args.seed) for i in range(args.partitions)],
                     ignore_index=True)


def run_single(df):
    from crmkit import rfm, value
    times = {}
    print("single-process crmkit:")
    ids, dates, amounts = df["customer_id"].to_numpy(), df["date"].to_numpy(), df["amount"].to_numpy()
    s = timed("summarize", lambda: pd.DataFrame(value.summarize(ids, dates, amounts, ASOF)), times)
    timed("rfm", lambda: rfm.score(ids, dates, amounts, ASOF), times)
    bg, gg = timed("fit", lambda: (value.fit_bgnbd(s), value.fit_gammagamma(s)), times)
    timed("clv", lambda: value.predict(bg, gg, s), times)
    return times, bg, gg, len(s)


def run_pandas(df):
    """The usual pandas recipe for the summary and RFM aggregates (scores by rank-based qcut);
    fits and CLV have no pandas equivalent, so they are not timed here."""
    times = {}
    print("pandas recipe (summarize and rfm only):")
    end = pd.Timestamp(ASOF)

    def summarize():
        d = df[df["date"] <= end]
        daily = d.groupby(["customer_id", "date"], sort=False)["amount"].sum().reset_index()
        g = daily.groupby("customer_id")
        first, last, n = g["date"].min(), g["date"].max(), g["date"].size()
        total = g["amount"].sum()
        first_amount = daily.merge(first.rename("first"), left_on="customer_id", right_index=True)
        first_amount = first_amount[first_amount["date"] == first_amount["first"]].set_index("customer_id")["amount"]
        x = n - 1
        return pd.DataFrame({"x": x, "t_x": (last - first).dt.days / 7.0, "T": (end - first).dt.days / 7.0,
                             "m": ((total - first_amount) / x.where(x > 0)).fillna(0.0)})

    def rfm():
        d = df[df["date"] <= end]
        g = d.groupby("customer_id")
        out = pd.DataFrame({"recency": (end - g["date"].max()).dt.days, "frequency": g["date"].size(),
                            "monetary": g["amount"].sum()})
        for c, asc in (("recency", False), ("frequency", True), ("monetary", True)):
            out[c[0]] = pd.qcut(out[c].rank(method="first", ascending=asc), 5, labels=False) + 1
        return out

    timed("summarize", summarize, times)
    timed("rfm", rfm, times)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000_000, help="transactions (default: the 100 M target)")
    ap.add_argument("--customers", type=int, default=None, help="default: rows / 20")
    ap.add_argument("--partitions", type=int, default=None, help="default: one per 1 M rows, at least 4")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="auto")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--skip-single", action="store_true", help="only the Dask path (when one process cannot hold it)")
    args = ap.parse_args()
    args.customers = args.customers or max(args.rows // 20, 100)
    args.partitions = args.partitions or max(args.rows // 1_000_000, 4)
    print(f"{args.rows:,} transactions, {args.customers:,} customers, {args.partitions} partitions", flush=True)

    dask_t, bg, gg, n = run_dask(args)
    print(f"  customers {n:,}; BG/NBD r={bg.r:.6g} alpha={bg.alpha:.6g} a={bg.a:.6g} b={bg.b:.6g}; "
          f"Gamma-Gamma p={gg.p:.6g} q={gg.q:.6g} v={gg.v:.6g}")
    if args.skip_single:
        return
    df = local_frame(args)
    single_t, bg1, gg1, n1 = run_single(df)
    rel_bg = max(abs(a - b) / abs(b) for a, b in zip((bg.r, bg.alpha, bg.a, bg.b), (bg1.r, bg1.alpha, bg1.a, bg1.b)))
    rel_gg = max(abs(a - b) / abs(b) for a, b in zip((gg.p, gg.q, gg.v), (gg1.p, gg1.q, gg1.v)))
    print(f"  single: {n1:,} customers (dask: {n:,}); largest relative parameter difference from dask: "
          f"BG/NBD {rel_bg:.2g}, Gamma-Gamma {rel_gg:.2g} (m can differ in its last bit: amounts are added "
          f"in another order)")
    pandas_t = run_pandas(df)
    print("\nstage       dask s   single s  pandas s  dask/single")
    for stage in ("summarize", "rfm", "fit", "clv"):
        p = pandas_t.get(stage)
        print(f"{stage:<10} {dask_t[stage]:8.2f} {single_t[stage]:9.2f} {p if p is not None else float('nan'):9.2f}"
              f" {dask_t[stage] / single_t[stage]:10.2f}")
    total_d, total_s = sum(dask_t.values()), sum(single_t.values())
    print(f"{'total':<10} {total_d:8.2f} {total_s:9.2f} {sum(pandas_t.values()):9.2f} {total_d / total_s:10.2f}")


if __name__ == "__main__":
    main()
