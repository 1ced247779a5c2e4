#!/usr/bin/env bash
# crmkit complaints replay --db, crmkit store check / export end to end.
set -euo pipefail
crmkit=$1
root=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$root/data/complaints/quarter-2026q1.jsonl

"$crmkit" complaints replay --events "$log" --kpi "$tmp/memory.json" --quiet
"$crmkit" complaints replay --events "$log" --db "$tmp/q.db" --kpi "$tmp/durable.json" --quiet
cmp -s "$tmp/memory.json" "$tmp/durable.json" || fail "the durable replay's KPIs differ from the in-memory replay"
# A second run recovers the store: every event is a duplicate, the KPIs are the same.
"$crmkit" complaints replay --events "$log" --db "$tmp/q.db" --kpi "$tmp/again.json" 2>"$tmp/err" >/dev/null
grep -q "recovered 3075 cases" "$tmp/err" || fail "no recovery message: $(cat "$tmp/err")"
grep -q "0 events into 3075 cases (23101 duplicates, 0 rejected" "$tmp/err" || fail "second run: $(tail -1 "$tmp/err")"
cmp -s "$tmp/memory.json" "$tmp/again.json" || fail "KPIs after recovery differ"

out=$("$crmkit" store check --db "$tmp/q.db")
[[ "$out" == *"ok" ]] || fail "store check: $out"
# The journal end is printed; a host that saw a longer journal is told commits were lost.
grep -q "^journal end: seq [0-9]*, " <<<"$out" || fail "no journal end: $out"
end=$(sed -n 's/^journal end: seq \([0-9]*\),.*/\1/p' <<<"$out")
"$crmkit" store check --db "$tmp/q.db" --expect-seq "$end" >/dev/null || fail "--expect-seq $end"
if "$crmkit" store check --db "$tmp/q.db" --expect-seq $((end + 1)) >/dev/null 2>"$tmp/err"; then fail "--expect-seq past the end accepted"; fi
grep -q "the last commits were lost" "$tmp/err" || fail "expect-seq: $(cat "$tmp/err")"
# A row edited behind the store's back fails its checksum: check is not ok, export refuses.
if command -v sqlite3 >/dev/null; then
  cp "$tmp/q.db" "$tmp/edited.db"
  sqlite3 "$tmp/edited.db" "UPDATE events SET body = replace(body, '2026-', '2027-') WHERE seq = 5"
  if "$crmkit" store check --db "$tmp/edited.db" >"$tmp/out"; then fail "edited row: check ok"; fi
  grep -q "problem: journal: journal record 5 (event .* of case .*) fails its checksum" "$tmp/out" || fail "edited row: $(cat "$tmp/out")"
  grep -q "NOT OK" "$tmp/out" || fail "edited row: no NOT OK"
  if "$crmkit" store export --db "$tmp/edited.db" >/dev/null 2>"$tmp/err"; then fail "edited row: export succeeded"; fi
  grep -q "fails its checksum" "$tmp/err" || fail "edited row export: $(cat "$tmp/err")"
fi
# A store reachable by two names (a hard link) is refused.
ln "$tmp/q.db" "$tmp/twice.db"
if "$crmkit" store check --db "$tmp/twice.db" 2>"$tmp/err" >/dev/null; then fail "hard-linked store accepted"; fi
grep -q "hard links" "$tmp/err" || fail "hard link: $(cat "$tmp/err")"
rm "$tmp/twice.db"
"$crmkit" store export --db "$tmp/q.db" > "$tmp/export.jsonl"
[[ $(wc -l < "$tmp/export.jsonl") == 23101 ]] || fail "export count"
head -1 "$tmp/export.jsonl" | grep -q '"id":"e-1"' || fail "export order"

# Personal data is masked in exports and case output unless a role of personal_data_roles asks.
printf '{"id":"p1","case":"P-1","type":"receive","at":"2026-03-30T10:00:00+08:00","actor":"u","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K-1","description":"call 13812345678","customer_name":"王小明","phone":"13900001111"}}\n' > "$tmp/p.jsonl"
"$crmkit" complaints replay --events "$tmp/p.jsonl" --db "$tmp/q.db" --quiet --kpi /dev/null
"$crmkit" store export --db "$tmp/q.db" > "$tmp/masked.jsonl"
"$crmkit" store export --db "$tmp/q.db" --personal-data-role supervisor > "$tmp/unmasked.jsonl"
tail -1 "$tmp/masked.jsonl" | grep -q 'call \*\*\*\*\*\*\*5678' || fail "not masked"
tail -1 "$tmp/masked.jsonl" | grep -q '"customer_name":"王\*\*","phone":"\*\*\*\*\*\*\*1111"' || fail "fields not masked: $(tail -1 "$tmp/masked.jsonl")"
if grep -q '13812345678\|13900001111\|王小明' "$tmp/masked.jsonl"; then fail "personal data in the masked export"; fi
tail -1 "$tmp/unmasked.jsonl" | grep -q '13812345678' || fail "unmasked export"
tail -1 "$tmp/unmasked.jsonl" | grep -q '"phone":"13900001111"' || fail "unmasked export: phone"
if "$crmkit" store export --db "$tmp/q.db" --personal-data-role agent >/dev/null 2>"$tmp/err"; then fail "agent may not unmask"; fi
grep -q "personal_data_roles" "$tmp/err" || fail "export role: $(cat "$tmp/err")"
# The replay's case lines: masked, or unmasked for an entitled role; an unentitled one changes nothing.
"$crmkit" complaints replay --events "$tmp/p.jsonl" --cases "$tmp/cases.jsonl" --quiet
grep -q '"phone":"\*\*\*\*\*\*\*1111"' "$tmp/cases.jsonl" || fail "replay cases not masked: $(cat "$tmp/cases.jsonl")"
if grep -q '13900001111\|13812345678' "$tmp/cases.jsonl"; then fail "personal data in replay --cases"; fi
"$crmkit" complaints replay --events "$tmp/p.jsonl" --cases "$tmp/cases.jsonl" --quiet --personal-data-role director
grep -q '"phone":"13900001111"' "$tmp/cases.jsonl" || fail "replay --personal-data-role"
before=$("$crmkit" store check --db "$tmp/q.db" | grep "journal end")
if "$crmkit" complaints replay --events "$tmp/p.jsonl" --db "$tmp/q.db" --personal-data-role agent --quiet 2>"$tmp/err"; then fail "replay: agent unmasked"; fi
grep -q "personal_data_roles" "$tmp/err" || fail "replay role: $(cat "$tmp/err")"
[[ "$("$crmkit" store check --db "$tmp/q.db" | grep "journal end")" == "$before" ]] || fail "a refused replay changed the store"
# An undeclared field is refused, naming the key and the line.
printf '{"id":"p2","case":"P-2","type":"receive","at":"2026-03-30T10:00:00+08:00","actor":"u","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K-1","favourite_colour":"blue"}}\n' > "$tmp/bad.jsonl"
if "$crmkit" complaints replay --events "$tmp/bad.jsonl" --quiet --kpi /dev/null 2>"$tmp/err"; then fail "undeclared field accepted"; fi
grep -q "line 1: rejected (invalid_argument): .*data.favourite_colour: not a field of workflow 'default'" "$tmp/err" || fail "undeclared: $(cat "$tmp/err")"

# Not a store; a missing store.
echo "not a database at all, just text........................................................" > "$tmp/junk.db"
if "$crmkit" store check --db "$tmp/junk.db" 2>"$tmp/err"; then fail "junk accepted"; fi
grep -q "corrupt" "$tmp/err" || fail "junk: $(cat "$tmp/err")"
if "$crmkit" store check --db "$tmp/none.db" 2>/dev/null; then fail "missing store accepted"; fi
echo "store CLI OK"
