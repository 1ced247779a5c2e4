#!/usr/bin/env bash
# crmkit complaints generate / replay / check end to end.
set -euo pipefail
crmkit=$1
root=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Deterministic generator.
"$crmkit" complaints generate --cases 300 --seed 5 --start 2026-03-02 --days 30 > "$tmp/log.jsonl"
"$crmkit" complaints generate --cases 300 --seed 5 --start 2026-03-02 --days 30 > "$tmp/log2.jsonl"
cmp -s "$tmp/log.jsonl" "$tmp/log2.jsonl" || fail "generator is not deterministic"
[[ $(grep -c '"type":"receive"' "$tmp/log.jsonl") == 300 ]] || fail "expected 300 receive events"
head -1 "$tmp/log.jsonl" | grep -q '"id":"e-1","case":"C-1","type":"receive"' || fail "first line: $(head -1 "$tmp/log.jsonl")"

# Replay: one case per line, KPI report, exit 0.
"$crmkit" complaints replay --events "$tmp/log.jsonl" --until 2026-04-15T00:00:00+08:00 \
  --cases "$tmp/cases.jsonl" --kpi "$tmp/kpi.json" 2> "$tmp/err" || fail "clean replay failed: $(cat "$tmp/err")"
[[ $(wc -l < "$tmp/cases.jsonl") == 300 ]] || fail "expected 300 case lines"
grep -q 'replayed' "$tmp/err" || fail "no summary on stderr"
python3 - "$tmp/cases.jsonl" "$tmp/kpi.json" <<'PY' || fail "output shape"
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
for c in cases:
    for k in ("id", "state", "owner", "department", "escalation_level", "clocks", "satisfaction", "reopen_count", "repeat_of"):
        assert k in c, (k, c)
    for k in c["clocks"]:
        assert set(("name", "due", "state", "breached")) <= set(k), k
assert any(c["state"] == "closed" for c in cases)
kpi = json.load(open(sys.argv[2]))
assert kpi["overall"]["received"] == 300
for m in ("satisfaction", "timeliness", "closure", "callback", "first_time_resolution", "repeat", "over_level"):
    assert set(("value", "numerator", "denominator", "target", "met")) <= set(kpi["overall"][m]), m
for b in ("by_day", "by_week", "by_month", "by_department", "by_channel", "by_category", "by_tier"):
    assert kpi[b], b
assert "dissatisfaction_reasons" in kpi
PY

# Same log twice: same output.
"$crmkit" complaints replay --events "$tmp/log.jsonl" --until 2026-04-15T00:00:00+08:00 --quiet \
  --cases "$tmp/cases2.jsonl" --kpi "$tmp/kpi2.json"
cmp -s "$tmp/cases.jsonl" "$tmp/cases2.jsonl" || fail "replay not deterministic (cases)"
cmp -s "$tmp/kpi.json" "$tmp/kpi2.json" || fail "replay not deterministic (kpi)"

# A bad line is reported with its number; the replay goes on; exit status 1.
{ head -5 "$tmp/log.jsonl"
  echo '{"id":"bad-1","case":"C-404","type":"acknowledge","at":"2026-03-02T10:00:00+08:00","actor":"u","role":"agent"}'
  echo 'not json'
  sed -n '6,$p' "$tmp/log.jsonl"; } > "$tmp/bad.jsonl"
set +e
"$crmkit" complaints replay --events "$tmp/bad.jsonl" --until 2026-04-15T00:00:00+08:00 --cases "$tmp/cases3.jsonl" 2> "$tmp/err3"
rc=$?
set -e
[[ $rc == 1 ]] || fail "exit status $rc, expected 1"
grep -q '^line 6: rejected (not_found):.*C-404' "$tmp/err3" || fail "line 6 not reported: $(cat "$tmp/err3")"
grep -q '^line 7: rejected (parse)' "$tmp/err3" || fail "line 7 not reported: $(cat "$tmp/err3")"
cmp -s "$tmp/cases.jsonl" "$tmp/cases3.jsonl" || fail "the rest of the log was not applied"

# Duplicate ids are no-ops, not rejections.
{ cat "$tmp/log.jsonl"; head -3 "$tmp/log.jsonl"; } > "$tmp/dup.jsonl"
"$crmkit" complaints replay --events "$tmp/dup.jsonl" --until 2026-04-15T00:00:00+08:00 --cases "$tmp/cases4.jsonl" 2> "$tmp/err4" \
  || fail "duplicates rejected: $(cat "$tmp/err4")"
grep -q 'already applied' "$tmp/err4" || fail "duplicate not reported"
cmp -s "$tmp/cases.jsonl" "$tmp/cases4.jsonl" || fail "duplicates changed the result"

# The shipped demo log replays cleanly with the shipped defaults.
"$crmkit" complaints replay --events "$root/data/complaints/quarter-2026q1.jsonl" --quiet --kpi "$tmp/q.json" --cases "$tmp/q.jsonl" \
  || fail "shipped quarter log"
[[ $(wc -l < "$tmp/q.jsonl") -ge 2900 ]] || fail "shipped log: too few cases"
# Its incidents reach their complaints; a typo in a KPI target is refused before anything is replayed.
grep -q '"links":\["INC-' "$tmp/q.jsonl" || fail "shipped log: no complaint linked to an incident"
/usr/bin/python3 - "$tmp/q.json" <<'PY' || fail "shipped quarter KPIs"
import json, sys
k = json.load(open(sys.argv[1]))
o = k["overall"]
assert o["repeat"]["numerator"] < o["repeats"] and o["justified"] > 0, o["repeats"]
assert set(o["ended"]) == {"rejected", "withdrawn", "merged"}
assert [h["measure"] for h in o["handling_times"]] == ["first_response", "resolution", "callback"]
assert {w["key"] for w in k["by_workflow"]} == {"default", "incident"}
assert k["targets"]["satisfaction"] == ">0.95"
PY
if "$crmkit" complaints replay --events "$root/data/complaints/quarter-2026q1.jsonl" --kpi /dev/null --kpi-target "satisfacton=>0.9" \
  2>"$tmp/err5"; then fail "a misspelt --kpi-target accepted"; fi
grep -q "satisfacton" "$tmp/err5" || fail "--kpi-target error: $(cat "$tmp/err5")"
"$crmkit" complaints replay --events "$root/data/complaints/quarter-2026q1.jsonl" --quiet --kpi "$tmp/q2.json" --cases /dev/null \
  --kpi-target "satisfaction=>0.99" || fail "--kpi-target"
grep -q '"satisfaction":{"value":[0-9.]*,"numerator":[0-9]*,"denominator":[0-9]*,"target":">0.99"' "$tmp/q2.json" || fail "--kpi-target not applied"

# The demo replays its logs without a rejection and reports the staff measures and incidents.
"$crmkit" demo --html "$tmp/report.html" > "$tmp/demo.txt" 2>&1 || fail "demo: $(tail -3 "$tmp/demo.txt")"
[[ $(grep -c "(0 rejected)" "$tmp/demo.txt") == 2 ]] || fail "demo: $(grep -i rejected "$tmp/demo.txt")"
for text in "Handling times" "By severity" "incidents (mass faults) with 69 cases linked" "agent not trained on the new plans"; do
  grep -q "$text" "$tmp/demo.txt" || fail "demo: no '$text'"
  grep -q "$text" "$tmp/report.html" || fail "demo report: no '$text'"
done

# A large generated log replays without a rejection (a case still owing its callback is never appealed).
"$crmkit" complaints generate --cases 120000 --out "$tmp/big.jsonl" || fail "generate 120000 cases"
"$crmkit" complaints replay --events "$tmp/big.jsonl" --quiet --kpi /dev/null --cases /dev/null || fail "the generated 120,000 cases"
rm -f "$tmp/big.jsonl"

# Work orders: the shipped month is the generator's, replays alone with its own workflow and policy,
# and together with the complaint quarter under every shipped workflow.
"$crmkit" work-orders generate --out "$tmp/wo.jsonl" || fail "work-orders generate"
cmp -s "$tmp/wo.jsonl" "$root/data/work-orders/month-2026-03.jsonl" || fail "the shipped work-order month is not the generator's output"
"$crmkit" complaints replay --workflow "$root/data/workflows/work-order.json" --policy "$root/data/policies/work-order.json" \
  --events "$root/data/work-orders/month-2026-03.jsonl" --quiet --kpi "$tmp/wo-kpi.json" --cases "$tmp/wo-cases.jsonl" \
  || fail "shipped work-order month, alone"
[[ $(wc -l < "$tmp/wo-cases.jsonl") -eq 2000 ]] || fail "work orders: expected 2000 cases"
grep -q '"appointments":{"appointed":19[0-9][0-9],' "$tmp/wo-kpi.json" || fail "work-order KPIs: appointments missing"
cat "$root/data/complaints/quarter-2026q1.jsonl" "$root/data/work-orders/month-2026-03.jsonl" > "$tmp/both.jsonl"
"$crmkit" complaints replay --events "$tmp/both.jsonl" --quiet --kpi "$tmp/both-kpi.json" --cases /dev/null \
  || fail "complaints and work orders together"
grep -q '"key":"work_order","received":2000,' "$tmp/both-kpi.json" || fail "work orders missing from the combined KPI report"
if err=$("$crmkit" work-orders generate --orders 10 --start 2026-13-01 2>&1); then fail "bad start accepted"; fi
[[ "$err" == *"start must be YYYY-MM-DD"* ]] || fail "bad start error unclear: $err"

# A broken workflow is refused naming the spot.
sed 's/"to": "acknowledged"/"to": "acknowleged"/' "$root/data/workflows/default.json" > "$tmp/wf.json"
if err=$("$crmkit" complaints check --workflow "$tmp/wf.json" 2>&1); then fail "bad workflow accepted"; fi
[[ "$err" == *"workflow.transitions[1].to"*"acknowleged"* ]] || fail "bad workflow error unclear: $err"
"$crmkit" complaints check | grep -q "workflow OK: default" || fail "check of the default workflow"

# Progress promises: a promised call kept by a progress update; a promise in the past refused,
# naming its line.
cat > "$tmp/progress.jsonl" <<'JSONL'
{"id":"e1","case":"C-1","type":"receive","at":"2026-03-09T09:00:00+08:00","actor":"u-1","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K-1"}}
{"id":"e2","case":"C-1","type":"promise_contact","at":"2026-03-09T09:30:00+08:00","actor":"u-1","role":"agent","data":{"by":"2026-03-10T17:00:00+08:00"}}
{"id":"e3","case":"C-1","type":"notify_customer","at":"2026-03-10T16:00:00+08:00","actor":"u-1","role":"agent","data":{"note":"the engineer comes tomorrow"}}
JSONL
out=$("$crmkit" complaints replay --events "$tmp/progress.jsonl" --cases - --quiet)
[[ "$out" == *'"name":"promised_contact","instance":1,"state":"stopped","kind":"instant","due":"2026-03-10T09:00:00Z","goal":false,"breached":false'* ]] ||
  fail "promised contact not kept: $out"
[[ "$out" == *'"name":"progress_update","instance":3,"state":"running"'* ]] || fail "progress update not restarted: $out"
echo '{"id":"e4","case":"C-1","type":"promise_contact","at":"2026-03-10T16:30:00+08:00","actor":"u-1","role":"agent","data":{"by":"2026-03-10T16:00:00+08:00"}}' >> "$tmp/progress.jsonl"
if err=$("$crmkit" complaints replay --events "$tmp/progress.jsonl" --quiet 2>&1 >/dev/null); then fail "a promise in the past accepted"; fi
[[ "$err" == *"line 4"*"is not after the event"* ]] || fail "past promise: $err"
# The progress line is for terminals only: a log file or a pipe on stderr never gets one.
"$crmkit" complaints replay --events "$root/data/complaints/quarter-2026q1.jsonl" --kpi /dev/null 2> "$tmp/stderr.txt"
if grep -q $'\r' "$tmp/stderr.txt"; then fail "progress line written to a file"; fi
if command -v script >/dev/null; then  # on a terminal (script's pty): the summary line still ends the output cleanly
  script -qc "'$crmkit' complaints replay --events '$root/data/complaints/quarter-2026q1.jsonl' --kpi /dev/null" /dev/null > "$tmp/tty.txt"
  grep -q "replayed .* events" "$tmp/tty.txt" || fail "replay on a terminal: $(cat "$tmp/tty.txt")"
fi
echo "complaints CLI OK"
