# Python: a deadline, and lifetime value on the CDNOW summary with pandas.
import sys

import pandas as pd

import crmkit
from crmkit import value

data = sys.argv[1] if len(sys.argv) > 1 else "data"
with crmkit.Calendar.from_file(f"{data}/calendars/cn-2026.json") as cal:
    print("due", cal.add("2026-09-30T17:00:00+08:00", 2 * 3600))  # 2026-10-08 02:00 UTC

df = pd.read_csv(f"{data}/cdnow/cdnow_customers_summary_with_transactions.csv")
bg, gg = value.fit_bgnbd(df), value.fit_gammagamma(df)
df = df.assign(**value.predict(bg, gg, df, t=39, horizon_months=12, monthly_discount=0.01))
print(f"r={bg.r:.3f} alpha={bg.alpha:.3f} a={bg.a:.3f} b={bg.b:.3f}")
print(df.nlargest(3, "clv")[["ID", "x", "p_alive", "clv"]])
