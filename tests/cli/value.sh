#!/usr/bin/env bash
# crmkit value fit / predict, rfm and tiers end to end on the shipped CDNOW data.
set -euo pipefail
crmkit=$1
root=$2
cdnow=$root/data/cdnow
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The reference figures of domain.md §6, from both summary header styles.
for f in cdnow_customers_summary.csv cdnow_customers_summary_with_transactions.csv; do
  out=$("$crmkit" value fit --summary "$cdnow/$f")
  [[ "$out" == *'"r": 0.242593'* && "$out" == *'"alpha": 4.41353'* && "$out" == *'"a": 0.792886'* && "$out" == *'"b": 2.42575'* ]] ||
    fail "bgnbd parameters: $out"
  [[ "$out" == *'"loglik": -9582.42'* && "$out" == *'"customers": 2357'* ]] || fail "loglik/customers: $out"
done
out=$("$crmkit" value fit --summary "$cdnow/cdnow_customers_summary_with_transactions.csv")
[[ "$out" == *'"p": 6.2488'* && "$out" == *'"q": 3.74459'* && "$out" == *'"v": 15.4477'* ]] || fail "gamma-gamma: $out"

out=$("$crmkit" value predict --summary "$cdnow/cdnow_customers_summary_with_transactions.csv" --t 39 --horizon-months 12 --discount 0.01 --period week)
[[ $(echo "$out" | head -1) == "id,expected_purchases,p_alive,expected_spend,clv" ]] || fail "predict header"
[[ $(echo "$out" | wc -l) == 2358 ]] || fail "predict rows"
[[ $(echo "$out" | sed -n 2p) == 1,1.2259*,0.7266*,* ]] || fail "customer 1 (x=2, t_x=30.43, T=38.86): $(echo "$out" | sed -n 2p)"

# Summaries built from transactions.
out=$("$crmkit" value fit --transactions "$cdnow/CDNOW_master.txt" --calibration-end 1997-09-30)
[[ "$out" == *'"customers": 23570'* ]] || fail "fit from transactions: $out"

# RFM and tiers.
out=$("$crmkit" rfm --transactions "$cdnow/CDNOW_master.txt" --asof 1998-06-30)
[[ $(echo "$out" | head -1) == "customer_id,recency_days,frequency,monetary,r,f,m,rfm,segment" ]] || fail "rfm header"
[[ $(echo "$out" | wc -l) == 23571 ]] || fail "rfm rows"
[[ $(echo "$out" | grep -c ',champions$') -gt 100 ]] || fail "no champions"
out=$("$crmkit" tiers --transactions "$cdnow/CDNOW_master.txt" --asof 1998-06-30)
[[ $(echo "$out" | head -1) == "customer_id,tier,reason" ]] || fail "tiers header"
for t in diamond gold silver basic; do [[ $(echo "$out" | grep -c ",$t,") -gt 0 ]] || fail "no $t"; done
printf 'customer_id,tier,periods_below\n00001,diamond,0\n' > "$tmp/history.csv"
out=$("$crmkit" tiers --transactions "$cdnow/CDNOW_master.txt" --asof 1998-06-30 --history "$tmp/history.csv" | sed -n 2p)
[[ "$out" == 00001,diamond,diamond,held,1,* ]] || fail "history/hysteresis: $out"

# Bad rows: stop by default naming the line; --skip-bad-rows reports and goes on.
printf 'customer_id,date,amount\na,2024-01-01,5\nb,2024-13-45,5\nc,2024-01-02,NaN\nd,2024-01-03,7\n' > "$tmp/bad.csv"
if err=$("$crmkit" rfm --transactions "$tmp/bad.csv" --asof 2024-02-01 2>&1 >/dev/null); then fail "bad rows accepted"; fi
[[ "$err" == *"line 3"* ]] || fail "error does not name the line: $err"
out=$("$crmkit" rfm --transactions "$tmp/bad.csv" --asof 2024-02-01 --skip-bad-rows 2>"$tmp/err")
[[ $(echo "$out" | wc -l) == 3 ]] || fail "skip: $out"
grep -q ":3: skipped" "$tmp/err" && grep -q ":4: skipped" "$tmp/err" || fail "skipped rows not reported: $(cat "$tmp/err")"
# Empty input: a header and nothing else.
printf 'customer_id,date,amount\n' > "$tmp/empty.csv"
[[ $("$crmkit" rfm --transactions "$tmp/empty.csv" --asof 2024-02-01 | wc -l) == 1 ]] || fail "empty input"
echo "value CLI OK"
