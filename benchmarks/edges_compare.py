#!/usr/bin/env python3
"""End-to-end jobs as a user runs them (files in, files out), crmkit against its peer, in one sitting.

Usage: /usr/bin/python3 benchmarks/edges_compare.py BUILD_DIR [--old OLD_CLI] [--rounds N]
                                                   [--jobs rfm,predict,deadline,replay]
Inputs are generated with fixed seeds. Each job runs crmkit and its peer (pandas from Debian, or
an older crmkit build given with --old) alternately, prints every time, the medians and the ratio,
and checks that the outputs agree. For the file-reading jobs it prints the machine's floor on the
same file: a plain read (`wc -l`) and a minimal parse (benchmarks/floor_parse: split every line at
its commas and convert the last field with from_chars, one core).
The lifetimes figures quoted for `predict` were measured on this machine class on 2026-12-05
(issue 29); lifetimes cannot be installed here.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default="build")
ap.add_argument("--old", help="an older crmkit CLI to compare with")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--jobs", default="rfm,predict,deadline,replay")
args = ap.parse_args()
crmkit = os.path.join(args.build, "tools", "crmkit")
floor_parse = os.path.join(args.build, "benchmarks", "floor_parse")
jobs = args.jobs.split(",")
tmp = tempfile.mkdtemp(prefix="crmkit-edges-")
LIFETIMES = {"predict-1m": 25.3, "predict-cdnow100": 9.66}  # seconds, issue 29 (2026-12-05)


def timed(cmd, stdin=None, stdout=None):
    t0 = time.perf_counter()
    with open(stdin or os.devnull, "rb") as fin, open(stdout or os.devnull, "wb") as fout:
        subprocess.run(cmd, stdin=fin, stdout=fout, check=True)
    return time.perf_counter() - t0


def timed_call(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def alternate(runners):
    """runners: {name: zero-argument function returning seconds}; one warm-up each, then rounds
    in alternating order. Returns {name: [seconds...]}."""
    for run in runners.values():
        run()
    times = {name: [] for name in runners}
    names = list(runners)
    for i in range(args.rounds):
        for name in (names if i % 2 == 0 else names[::-1]):
            times[name].append(runners[name]())
    return times


def report(title, times, rows=None, floor=None):
    print(f"\n== {title}")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        rate = f", {rows / med[k]:,.0f} rows/s" if rows else ""
        print(f"  {k:<22} " + " ".join(f"{t:.3f}" for t in v) + f" s; median {med[k]:.3f} s{rate}")
    names = list(times)
    for other in names[1:]:
        print(f"  {other} / {names[0]} = {med[other] / med[names[0]]:.2f}x (time ratio; > 1: {names[0]} faster)")
    if floor:
        for k, v in floor.items():
            print(f"  floor: {k:<15} {v:.3f} s ({names[0]} = {med[names[0]] / v:.1f}x the floor)")
    return med


def floors(path):
    out = {"wc -l": statistics.median(timed_call(lambda: subprocess.run(["wc", "-l", path], capture_output=True, check=True))
                                      for _ in range(3))}
    if os.path.exists(floor_parse):
        out["minimal parse"] = statistics.median(
            timed_call(lambda: subprocess.run([floor_parse, path], capture_output=True, check=True)) for _ in range(3))
    return out


# ---- RFM: 10 M transactions of 1 M customers --------------------------------------------------
if "rfm" in jobs:
    n_tx, n_cust = 10_000_000, 1_000_000
    rng = np.random.default_rng(3)
    tx = os.path.join(tmp, "tx.csv")
    start = np.datetime64("2022-01-01")
    pd.DataFrame({
        "customer_id": np.char.add("C", rng.integers(0, n_cust, n_tx).astype(str)),
        "date": (start + rng.integers(0, 730, n_tx).astype("timedelta64[D]")).astype(str),
        "amount": np.round(rng.gamma(2.0, 40.0, n_tx), 2),
    }).to_csv(tx, index=False)
    asof = "2023-12-31"
    print(f"rfm: {n_tx:,} transactions of {n_cust:,} customers, {os.path.getsize(tx) / 1e6:.0f} MB CSV")

    def pandas_rfm():
        t = pd.read_csv(tx, parse_dates=["date"])
        t = t[t["date"] <= asof]
        g = t.groupby("customer_id").agg(last=("date", "max"), frequency=("date", "size"), monetary=("amount", "sum"))
        g["recency_days"] = (pd.Timestamp(asof) - g["last"]).dt.days
        for col, asc in (("recency_days", False), ("frequency", True), ("monetary", True)):
            g[col[0]] = pd.qcut(g[col].rank(method="first", ascending=asc), 5, labels=[1, 2, 3, 4, 5]).astype(int)
        g["rfm"] = g["r"] * 100 + g["f"] * 10 + g["m"]
        g.drop(columns="last").to_csv(os.path.join(tmp, "rfm_pandas.csv"))

    cmd = ["rfm", "--transactions", tx, "--asof", asof]
    runners = {"crmkit rfm": lambda: timed([crmkit] + cmd, stdout=os.path.join(tmp, "rfm_new.csv")),
               "pandas recipe": lambda: timed_call(pandas_rfm)}
    if args.old:
        runners["old crmkit rfm"] = lambda: timed([args.old] + cmd, stdout=os.path.join(tmp, "rfm_old.csv"))
    report("crmkit rfm (CSV in, CSV out) vs the pandas recipe (read_csv, groupby, qcut)", alternate(runners), n_tx,
           floors(tx))
    ours = pd.read_csv(os.path.join(tmp, "rfm_new.csv"))
    theirs = pd.read_csv(os.path.join(tmp, "rfm_pandas.csv"))
    m = ours.merge(theirs, on="customer_id", suffixes=("", "_pd"))
    same = all((m[c] == m[c + "_pd"]).all() for c in ("recency_days", "frequency"))
    money = np.abs(m["monetary"] - m["monetary_pd"]).max()
    print(f"  customers {len(ours):,} (pandas {len(theirs):,}); recency and frequency equal: {same}; "
          f"largest monetary difference {money:.2g}")
    if args.old:
        old_out = open(os.path.join(tmp, "rfm_old.csv"), "rb").read()
        print(f"  output byte-identical to the old build: {old_out == open(os.path.join(tmp, 'rfm_new.csv'), 'rb').read()}")


# ---- value predict: 1 M simulated customers; CDNOW's summary 100 times ------------------------
def simulate_summary(path, n, seed):
    """BG/NBD customers with CDNOW's parameters (r, alpha, a, b = 0.243, 4.414, 0.793, 2.426) over
    27-39 weeks whole days, spend from Gamma-Gamma (p, q, v = 6.25, 3.74, 15.44) in cents."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.243, 1 / 4.414, n)
    p = rng.beta(0.793, 2.426, n)
    T = rng.integers(27 * 7, 39 * 7 + 1, n) / 7.0
    t, x, tx = np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1.0, idx.size) / np.maximum(lam[idx], 1e-12)
        bought = idx[t[idx] <= T[idx]]
        x[bought] += 1
        tx[bought] = t[bought]
        alive[idx[t[idx] > T[idx]]] = False
        alive[bought[rng.random(bought.size) < p[bought]]] = False
    tx = np.floor(tx * 7) / 7
    nu = rng.gamma(3.74, 1 / 15.44, n)
    z = np.where(x > 0, rng.gamma(6.25 * np.maximum(x, 1), 1.0) / (nu * np.maximum(x, 1)), 0.0)
    pd.DataFrame({"ID": np.arange(1, n + 1), "x": x, "t_x": np.round(tx, 6), "T": np.round(T, 6),
                  "zbar": np.round(z, 2)}).to_csv(path, index=False)


if "predict" in jobs:
    sim = os.path.join(tmp, "sim.csv")
    simulate_summary(sim, 1_000_000, 7)
    cdnow100 = os.path.join(tmp, "cdnow100.csv")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "cdnow", "cdnow_customers_summary_with_transactions.csv")
    base = pd.read_csv(src)
    rep = pd.concat([base] * 100, ignore_index=True)
    rep.iloc[:, 0] = np.arange(1, len(rep) + 1)
    rep.to_csv(cdnow100, index=False)
    for label, path, key in (("1 M simulated customers", sim, "predict-1m"),
                             (f"CDNOW summary x 100 ({len(rep):,} rows)", cdnow100, "predict-cdnow100")):
        cmd = ["value", "predict", "--summary", path, "--t", "39"]
        runners = {"crmkit value predict": lambda: timed([crmkit] + cmd, stdout=os.path.join(tmp, "pred_new.csv"))}
        if args.old:
            runners["old crmkit"] = lambda: timed([args.old] + cmd, stdout=os.path.join(tmp, "pred_old.csv"))
        med = report(f"value predict (fit + CLV, CSV in and out), {label}", alternate(runners))
        print(f"  lifetimes (issue 29's figure) {LIFETIMES[key]} s -> {LIFETIMES[key] / med['crmkit value predict']:.0f}x")


# ---- calendar deadline: 1 M rows ------------------------------------------------------------
if "deadline" in jobs:
    import datetime as dt
    import json
    import random
    HOL = [(1, 1), (1, 2), (2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (4, 6), (5, 1),
           (5, 4), (5, 5), (6, 19), (9, 25), (10, 1), (10, 2), (10, 5), (10, 6), (10, 7)]
    holidays = [dt.date(y, m, d).isoformat() for y in range(2020, 2031) for (m, d) in HOL]
    day = [["09:00", "12:00"], ["13:30", "18:00"]]
    cal = os.path.join(tmp, "cal.json")
    with open(cal, "w") as f:
        json.dump({"zone": "UTC", "week": {k: day for k in ["mon", "tue", "wed", "thu", "fri"]}, "holidays": holidays}, f)
    rnd = random.Random(11)
    t0 = dt.datetime(2020, 1, 1)
    span = int((dt.datetime(2030, 1, 1) - t0).total_seconds() // 60)
    rows = [(t0 + dt.timedelta(minutes=rnd.randrange(span)), rnd.randint(1, 40)) for _ in range(1_000_000)]
    big = os.path.join(tmp, "deadlines.csv")
    with open(big, "w") as f:
        f.write("start_utc,add_seconds\n" + "".join(f"{s:%Y-%m-%dT%H:%M:%S}Z,{h * 3600}\n" for s, h in rows))
    cbh = pd.offsets.CustomBusinessHour(start=["09:00", "13:30"], end=["12:00", "18:00"], holidays=holidays)
    sample = [(pd.Timestamp(s), h) for s, h in rows[:5000]]
    pd_rate = len(sample) / min(timed_call(lambda: [s + cbh * h for s, h in sample]) for _ in range(2))
    cmd = [crmkit, "calendar", "deadline", "--calendar", cal]
    runners = {"crmkit calendar deadline": lambda: timed(cmd, stdin=big, stdout=os.path.join(tmp, "dl_new.csv"))}
    if args.old:
        runners["old crmkit"] = lambda: timed([args.old] + cmd[1:], stdin=big, stdout=os.path.join(tmp, "dl_old.csv"))
    med = report("calendar deadline, 1 M rows (CSV in and out)", alternate(runners), len(rows), floors(big))
    rate = len(rows) / med["crmkit calendar deadline"]
    print(f"  pandas CustomBusinessHour {pd_rate:,.0f} rows/s on 5,000 of them -> {rate / pd_rate:,.0f}x")


# ---- durable replay: 155,000 cases --------------------------------------------------------------
if "replay" in jobs:
    events = os.path.join(tmp, "events.jsonl")
    subprocess.run([crmkit, "complaints", "generate", "--cases", "155000", "--seed", "1", "--start", "2026-01-01",
                    "--days", "91", "--out", events], check=True)
    n = sum(1 for _ in open(events, "rb"))

    def replay(cli, name):
        db = os.path.join(tmp, name + ".db")
        for suffix in ("", "-wal", "-shm", ".lock"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        return timed([cli, "complaints", "replay", "--events", events, "--db", db, "--batch", "1000", "--quiet",
                      "--kpi", os.devnull])

    runners = {"crmkit replay --db": lambda: replay(crmkit, "new")}
    if args.old:
        runners["old crmkit"] = lambda: replay(args.old, "old")
    med = report(f"complaints replay --db, full durability, snapshots on, {n:,} events", alternate(runners), n)
