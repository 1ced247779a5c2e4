#!/usr/bin/env python3
"""Deadline computation: crmkit against pandas CustomBusinessHour, in one run.

Usage: /usr/bin/python3 benchmarks/calendar_compare.py BUILD_DIR
Prints the pandas rate, the crmkit in-memory rate (bench_calendar), the crmkit CLI end-to-end
rate on 1M rows, the ratios, and how many of the sampled deadlines agree.
"""
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import pandas as pd

build = sys.argv[1] if len(sys.argv) > 1 else "build"
crmkit = os.path.join(build, "tools", "crmkit")
bench = os.path.join(build, "benchmarks", "bench_calendar")

HOL = [(1, 1), (1, 2), (2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (4, 6), (5, 1),
       (5, 4), (5, 5), (6, 19), (9, 25), (10, 1), (10, 2), (10, 5), (10, 6), (10, 7)]
holidays = [dt.date(y, m, d).isoformat() for y in range(2020, 2031) for (m, d) in HOL]
day = [["09:00", "12:00"], ["13:30", "18:00"]]
# UTC zone so that pandas' naive timestamps mean the same instants.
calendar = {"zone": "UTC", "week": {k: day for k in ["mon", "tue", "wed", "thu", "fri"]},
            "holidays": holidays}

rng = random.Random(11)
t0 = dt.datetime(2020, 1, 1)
span_min = int((dt.datetime(2030, 1, 1) - t0).total_seconds() // 60)


def sample(n):
    rows = []
    for _ in range(n):
        s = t0 + dt.timedelta(minutes=rng.randrange(span_min))
        rows.append((s, rng.randint(1, 40)))
    return rows


tmp = tempfile.mkdtemp(prefix="crmkit-cal-")
cal_path = os.path.join(tmp, "cal.json")
with open(cal_path, "w") as f:
    json.dump(calendar, f)

# ---- pandas ----
n_pd = int(os.environ.get("PANDAS_ROWS", "5000"))
rows = sample(n_pd)
cbh = pd.offsets.CustomBusinessHour(start=["09:00", "13:30"], end=["12:00", "18:00"], holidays=holidays)
stamps = [pd.Timestamp(s) for s, _ in rows]
t = time.perf_counter()
pd_out = [ts + cbh * h for ts, (_, h) in zip(stamps, rows)]
pd_secs = time.perf_counter() - t
pd_rate = n_pd / pd_secs

# ---- crmkit CLI on the same rows: agreement ----
def csv_of(rs):
    return "start_utc,add_seconds\n" + "".join(f"{s:%Y-%m-%dT%H:%M:%S}Z,{h * 3600}\n" for s, h in rs)

res = subprocess.run([crmkit, "calendar", "deadline", "--calendar", cal_path], input=csv_of(rows),
                     capture_output=True, text=True, check=True)
ours = [dt.datetime.strptime(line.split(",")[2], "%Y-%m-%dT%H:%M:%SZ") for line in res.stdout.splitlines()[1:]]
same = 0
closing_vs_next_opening = 0
for a, b in zip(ours, pd_out):
    b = b.to_pydatetime()
    if a == b:
        same += 1
    elif a.strftime("%H:%M") in ("12:00", "18:00") and (b - a) > dt.timedelta(0) and \
            b.strftime("%H:%M") in ("13:30", "09:00"):
        # pandas rolls a deadline that lands on a closing time to the next opening; crmkit
        # reports the closing time (docs/domain.md#business-calendars). Same business time, different convention.
        closing_vs_next_opening += 1

# ---- crmkit CLI end to end on 1M rows ----
n_cli = int(os.environ.get("CLI_ROWS", "1000000"))
big = os.path.join(tmp, "rows.csv")
with open(big, "w") as f:
    f.write(csv_of(sample(n_cli)))
t = time.perf_counter()
with open(big) as fin, open(os.devnull, "w") as fout:
    subprocess.run([crmkit, "calendar", "deadline", "--calendar", cal_path], stdin=fin, stdout=fout, check=True)
cli_secs = time.perf_counter() - t

# ---- crmkit in memory (Google Benchmark) ----
out = subprocess.run([bench, "--benchmark_filter=BM_Deadline", "--benchmark_format=json"],
                     capture_output=True, text=True, check=True).stdout
mem_rate = json.loads(out)["benchmarks"][0]["items_per_second"]

print(f"pandas CustomBusinessHour : {pd_rate:12,.0f} deadlines/s ({n_pd} rows in {pd_secs:.2f} s)")
print(f"crmkit in memory          : {mem_rate:12,.0f} deadlines/s  -> {mem_rate / pd_rate:,.0f}x pandas")
print(f"crmkit CLI, 1M rows (CSV) : {n_cli / cli_secs:12,.0f} rows/s ({cli_secs:.2f} s end to end) -> "
      f"{(n_cli / cli_secs) / pd_rate:,.0f}x pandas")
print(f"agreement on {n_pd} rows  : {same} identical, {closing_vs_next_opening} closing-time vs "
      f"next-opening convention, {n_pd - same - closing_vs_next_opening} other")
if same + closing_vs_next_opening != n_pd:
    sys.exit("crmkit and pandas disagree beyond the closing-time convention")
