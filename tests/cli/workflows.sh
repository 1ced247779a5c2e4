#!/usr/bin/env bash
# Several workflows from the CLI: the shipped folder by default, --workflow repeated, complaints check.
set -euo pipefail
crmkit=$1
root=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$crmkit" complaints check)
for name in "default version 1 (default)" "inquiry version 1" "suggestion version 1" "warranty version 1"; do
  grep -q "workflow OK: $name" <<<"$out" || fail "check: no $name in: $out"
done
"$crmkit" complaints check --workflow "$root/data/workflows/default.json" | grep -q "workflow OK: default version 1" || fail "check one"

cat > "$tmp/mixed.jsonl" <<'LOG'
{"id":"c1","case":"C-1","type":"receive","at":"2026-03-02T09:00:00+08:00","actor":"u","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K-1"}}
{"id":"i1","case":"I-1","type":"receive","at":"2026-03-02T09:00:00+08:00","actor":"u","role":"agent","data":{"workflow":"inquiry","channel":"web","category":"billing","customer":"K-2"}}
{"id":"i2","case":"I-1","type":"answer","at":"2026-03-02T10:00:00+08:00","actor":"u","role":"agent","data":{"resolution":"explained"}}
LOG
# Default: every shipped workflow with its policy.
"$crmkit" complaints replay --events "$tmp/mixed.jsonl" --cases "$tmp/cases.jsonl" --kpi "$tmp/kpi.json" --quiet
grep -q '"id":"I-1","workflow":"inquiry","workflow_version":1,"state":"answered"' "$tmp/cases.jsonl" || fail "inquiry case: $(cat "$tmp/cases.jsonl")"
grep -q '"by_workflow":\[{"key":"default"' "$tmp/kpi.json" || fail "kpi by_workflow"
# --workflow given twice, with a policy folder.
"$crmkit" complaints replay --events "$tmp/mixed.jsonl" --workflow "$root/data/workflows/default.json" \
  --workflow "$root/data/workflows/inquiry.json" --policy "$root/data/policies" --cases "$tmp/two.jsonl" --quiet
cmp -s "$tmp/cases.jsonl" "$tmp/two.jsonl" || fail "two --workflow differ from the folder"
# Only the complaint workflow: the inquiry is refused, naming the workflow and the line.
if "$crmkit" complaints replay --events "$tmp/mixed.jsonl" --workflow "$root/data/workflows/default.json" --quiet \
  --kpi /dev/null 2>"$tmp/err"; then fail "unknown workflow accepted"; fi
grep -q "line 2: rejected (not_found): .*workflow 'inquiry' is not loaded" "$tmp/err" || fail "unknown workflow: $(cat "$tmp/err")"
# A policy folder without a workflow's policy.
mkdir "$tmp/policies"
cp "$root/data/policies/default.json" "$tmp/policies/"
if "$crmkit" complaints check --workflow "$root/data/workflows" --policy "$tmp/policies" 2>"$tmp/err"; then fail "missing policy accepted"; fi
grep -q "no policy for workflow" "$tmp/err" || fail "missing policy: $(cat "$tmp/err")"
echo "workflows CLI OK"
