#!/usr/bin/env python3
"""Customer value: crmkit against the usual Python tools, in one run.

Usage: /usr/bin/python3 benchmarks/value_compare.py BUILD_DIR
- RFM end to end (CSV in, CSV out): `crmkit rfm` against the usual pandas recipe (read_csv,
  groupby, qcut on ranks) on 2 million transactions of 200,000 customers; prints both times, the
  ratio, and whether the scores agree with pandas ranks under crmkit's documented tie rule.
- BG/NBD, Gamma-Gamma and CLV: bench_value figures against the times the issue quotes for the
  Python lifetimes library on this machine class (lifetimes is not installable offline here).
"""
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

build = sys.argv[1] if len(sys.argv) > 1 else "build"
crmkit = os.path.join(build, "tools", "crmkit")
bench = os.path.join(build, "benchmarks", "bench_value")

N_TX, N_CUST = 2_000_000, 200_000
rng = np.random.default_rng(1)
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "tx.csv")
start = np.datetime64("2022-01-01")
df = pd.DataFrame({
    "customer_id": np.char.add("C", rng.integers(0, N_CUST, N_TX).astype(str)),
    "date": (start + rng.integers(0, 730, N_TX).astype("timedelta64[D]")).astype(str),
    "amount": np.round(rng.gamma(2.0, 40.0, N_TX), 2),
})
df.to_csv(path, index=False)
asof = "2023-12-31"


def pandas_rfm(csv, out):
    t = pd.read_csv(csv, parse_dates=["date"])
    t = t[t["date"] <= asof]
    g = t.groupby("customer_id").agg(last=("date", "max"), frequency=("date", "size"), monetary=("amount", "sum"))
    g["recency_days"] = (pd.Timestamp(asof) - g["last"]).dt.days
    g["r"] = pd.qcut(g["recency_days"].rank(method="first", ascending=False), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    g["f"] = pd.qcut(g["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    g["m"] = pd.qcut(g["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    g["rfm"] = g["r"] * 100 + g["f"] * 10 + g["m"]
    g.drop(columns="last").to_csv(out)
    return g


t0 = time.perf_counter()
g = pandas_rfm(path, os.path.join(tmp, "pandas_out.csv"))
pandas_s = time.perf_counter() - t0

t0 = time.perf_counter()
with open(os.path.join(tmp, "crmkit_out.csv"), "w") as out:
    subprocess.run([crmkit, "rfm", "--transactions", path, "--asof", asof], stdout=out, check=True)
crmkit_s = time.perf_counter() - t0

ours = pd.read_csv(os.path.join(tmp, "crmkit_out.csv")).set_index("customer_id").sort_index()
g = g.sort_index()
# crmkit's tie rule: 1 + floor(5 * (customers strictly worse) / N) == 1 + floor(5 * (rank_min - 1) / N).
n = len(g)
expect = {
    "r": 1 + (5 * (g["recency_days"].rank(method="min", ascending=False) - 1) // n).astype(int),
    "f": 1 + (5 * (g["frequency"].rank(method="min") - 1) // n).astype(int),
    "m": 1 + (5 * (g["monetary"].rank(method="min") - 1) // n).astype(int),
}
same = {k: int((ours[k].to_numpy() == v.to_numpy()).sum()) for k, v in expect.items()}
qcut_same = {k: int((ours[k].to_numpy() == g[k].to_numpy()).sum()) for k in ("r", "f", "m")}
print(f"RFM, {N_TX:,} transactions of {len(g):,} customers, CSV in -> CSV out")
print(f"  pandas (read_csv, groupby, qcut on ranks): {pandas_s:6.2f} s")
print(f"  crmkit rfm (CLI)                         : {crmkit_s:6.2f} s  -> {pandas_s / crmkit_s:.1f}x pandas")
print(f"  scores equal to pandas ranks under the documented tie rule: r {same['r']}/{n}, f {same['f']}/{n}, m {same['m']}/{n}")
print(f"  (equal to qcut(rank(method='first')), which splits ties arbitrarily: r {qcut_same['r']}, f {qcut_same['f']}, m {qcut_same['m']})")

if os.path.exists(bench):
    out = subprocess.run([bench, "--benchmark_format=json", "--benchmark_min_time=0.2"], capture_output=True, text=True, check=True)
    res = {b["name"]: b for b in json.loads(out.stdout)["benchmarks"]}
    def ms(name):
        b = res[name]
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        return b["real_time"] * scale
    lifetimes = {"BM_BgNbdFit/1": 98.0, "BM_BgNbdFit/100": 3600.0, "BM_ClvPredict": 6300.0}
    print("Lifetime value vs the Python lifetimes library (times quoted by the issue for this machine class)")
    for name, label in (("BM_BgNbdFit/1", "BG/NBD fit, 2,357 customers"), ("BM_BgNbdFit/100", "BG/NBD fit, 235,700 customers"),
                        ("BM_ClvPredict", "CLV, 235,700 customers")):
        print(f"  {label:32s}: crmkit {ms(name):8.2f} ms, lifetimes {lifetimes[name]:7.0f} ms -> {lifetimes[name] / ms(name):,.0f}x")
    print(f"  {'CLV, 235,700 distinct profiles':32s}: crmkit {ms('BM_ClvPredictDistinct'):8.2f} ms -> {6300.0 / ms('BM_ClvPredictDistinct'):,.0f}x")
    print(f"  RFM in memory, 10M transactions / 1M customers: {ms('BM_Rfm10MTransactions1MCustomers'):.0f} ms")
