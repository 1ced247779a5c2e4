#!/usr/bin/env python3
"""A/B timing of two `crmkit rfm` binaries on one 10 M-row CSV (1 M customers), run alternately
in one sitting so that both see the same machine state; prints every run, the medians and the
ratio, and how many customers' scores differ between the two.

Usage: /usr/bin/python3 benchmarks/rfm_cli_ab.py OLD_CLI NEW_CLI [ROUNDS]
(e.g. a build of the previous commit against build/tools/crmkit).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

old, new = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 5
N_TX, N_CUST = 10_000_000, 1_000_000
rng = np.random.default_rng(3)
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "tx.csv")
start = np.datetime64("2022-01-01")
pd.DataFrame({
    "customer_id": np.char.add("C", rng.integers(0, N_CUST, N_TX).astype(str)),
    "date": (start + rng.integers(0, 730, N_TX).astype("timedelta64[D]")).astype(str),
    "amount": np.round(rng.gamma(2.0, 40.0, N_TX), 2),
}).to_csv(path, index=False)
print(f"{N_TX:,} transactions of {N_CUST:,} customers, {os.path.getsize(path) / 1e6:.0f} MB CSV")


def run(cli: str, out: str) -> float:
    t0 = time.perf_counter()
    with open(out, "wb") as fh:  # CSV out to a file, as a user would redirect it
        subprocess.run([cli, "rfm", "--transactions", path, "--asof", "2023-12-31"], check=True, stdout=fh)
    return time.perf_counter() - t0


times = {"old": [], "new": []}
outs = {"old": os.path.join(tmp, "old.csv"), "new": os.path.join(tmp, "new.csv")}
run(old, outs["old"]), run(new, outs["new"])  # warm the page cache
for i in range(rounds):
    for name, cli in (("old", old), ("new", new)) if i % 2 == 0 else (("new", new), ("old", old)):
        times[name].append(run(cli, outs[name]))
for name in ("old", "new"):
    print(f"{name}: " + " ".join(f"{t:.3f}" for t in times[name]) + f" s, median {statistics.median(times[name]):.3f} s")
ratio = statistics.median(times["new"]) / statistics.median(times["old"])
print(f"new / old = {ratio:.3f}")
a, b = pd.read_csv(outs["old"]), pd.read_csv(outs["new"])
m = a.merge(b, on="customer_id", suffixes=("_old", "_new"))
diff = {c: int((m[c + "_old"] != m[c + "_new"]).sum()) for c in ("r", "f", "m", "segment") if c + "_old" in m}
# Scores may differ where an old build summed money in floating point (a total landing on either
# side of a quintile threshold by its last bit); the new one sums exact minor units.
print(f"customers {len(a):,} / {len(b):,}; scores that differ: {diff}")
