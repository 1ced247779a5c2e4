"""Score the CDNOW customers with crmkit into a pandas DataFrame: RFM segments, BG/NBD +
Gamma-Gamma CLV, tiers; print the top customers. Usage: python3 score_cdnow.py DATA_DIR"""
import sys

import pandas as pd

import crmkit
from crmkit import rfm, tiers, value

data = sys.argv[1] if len(sys.argv) > 1 else "data"
tx = pd.read_csv(f"{data}/cdnow/CDNOW_master.txt", sep=r"\s+", skiprows=1, names=["id", "date", "qty", "amount"],
                 dtype={"id": str})
tx["date"] = pd.to_datetime(tx["date"].astype(str))

# RFM as of the end of the data (arrays go to the library without copying).
scores = pd.DataFrame(rfm.score(tx["id"], tx["date"], tx["amount"], asof="1998-06-30")).set_index("customer_id")

# Lifetime value: summaries for a calibration period ending 1997-09-30 (weeks), then the models.
cal = tx[tx["date"] <= "1997-09-30"]
daily = cal.groupby(["id", "date"], as_index=False)["amount"].sum()
first = daily.groupby("id")["date"].min()
g = daily.groupby("id")
summary = pd.DataFrame({
    "x": g.size() - 1,
    "t_x": (g["date"].max() - first).dt.days / 7,
    "T": (pd.Timestamp("1997-09-30") - first).dt.days / 7,
})
repeat_spend = daily[daily["date"] > daily["id"].map(first)].groupby("id")["amount"].mean()
summary["m"] = repeat_spend.reindex(summary.index).fillna(0.0)
bg = value.fit_bgnbd(summary)
gg = value.fit_gammagamma(summary[(summary.x > 0) & (summary.m > 0)])
summary = summary.assign(**value.predict(bg, gg, summary, t=39, horizon_months=12, monthly_discount=0.01))

# Tiers from the average monthly spend of the last 12 months.
last_year = tx[(tx["date"] > "1997-06-30") & (tx["date"] <= "1998-06-30")].groupby("id")["amount"].sum() / 12
spend = last_year.reindex(scores.index).fillna(0.0)
scores["tier"] = tiers.individual(spend.to_numpy(), config=f"{data}/tiers/default.json")["tier"]
scores = scores.join(summary[["p_alive", "clv"]])
scores["abc"] = tiers.abc(scores["clv"].fillna(0.0).to_numpy())

print(f"crmkit {crmkit.version()}: {len(scores)} customers; BG/NBD r={bg.r:.3f} alpha={bg.alpha:.3f} a={bg.a:.3f} b={bg.b:.3f}")
print(f"customer equity (12-month CLV): ${scores['clv'].sum():,.0f}")
print(scores["segment"].value_counts().to_string())
print(scores.sort_values("clv", ascending=False).head(10)[["rfm", "segment", "tier", "abc", "p_alive", "clv"]].to_string())
assert len(scores) == 23570 and scores["clv"].notna().all()
