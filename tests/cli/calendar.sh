#!/usr/bin/env bash
# crmkit calendar deadline / elapsed / check end to end.
set -euo pipefail
crmkit=$1
root=$2
cal=$root/data/calendars/cn-2026.json
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(printf 'start_utc,add_seconds\n2026-09-30T09:00:00Z,7200\r\n2026-03-09T03:30:00Z,3600\n2026-03-09T09:00:00Z,3600\n' |
      "$crmkit" calendar deadline --calendar "$cal")
expected='start_utc,add_seconds,deadline_utc
2026-09-30T09:00:00Z,7200,2026-10-08T02:00:00Z
2026-03-09T03:30:00Z,3600,2026-03-09T06:00:00Z
2026-03-09T09:00:00Z,3600,2026-03-09T10:00:00Z'
[[ "$out" == "$expected" ]] || fail "deadline output: $out"

# Other columns pass through: rows with quotes (commas inside), rows without, an empty last field.
out=$(printf 'ticket,start_utc,note,add_seconds,owner\nT-1,2026-03-09T03:30:00Z,"late, again",3600,\n"T,2","2026-03-09T09:00:00Z",plain,"3600",ann\n' |
      "$crmkit" calendar deadline --calendar "$cal")
expected='ticket,start_utc,note,add_seconds,owner,deadline_utc
T-1,2026-03-09T03:30:00Z,"late, again",3600,,2026-03-09T06:00:00Z
"T,2","2026-03-09T09:00:00Z",plain,"3600",ann,2026-03-09T10:00:00Z'
[[ "$out" == "$expected" ]] || fail "deadline with other columns: $out"
if err=$(printf 'start_utc,add_seconds\n2026-03-09T03:30:00Z,3600,extra\n' | "$crmkit" calendar deadline --calendar "$cal" 2>&1 >/dev/null); then
  fail "a row with an extra field accepted"
fi
[[ "$err" == *"line 2: expected 2 fields, found 3"* ]] || fail "extra field: $err"

out=$(printf 'from_utc,to_utc\n2026-03-09T01:00:00Z,2026-03-10T01:00:00Z\n2026-10-01T00:00:00Z,2026-10-08T00:00:00Z\n' |
      "$crmkit" calendar elapsed --calendar "$cal")
expected='from_utc,to_utc,business_seconds
2026-03-09T01:00:00Z,2026-03-10T01:00:00Z,27000
2026-10-01T00:00:00Z,2026-10-08T00:00:00Z,0'
[[ "$out" == "$expected" ]] || fail "elapsed output: $out"

# A bad row names its line and fails; nothing half-written matters because output is all-or-nothing.
if err=$(printf 'start_utc,add_seconds\n2026-03-09T01:00:00Z,60\nyesterday,60\n' | "$crmkit" calendar deadline --calendar "$cal" 2>&1 >/dev/null); then
  fail "bad timestamp accepted"
fi
[[ "$err" == *"line 3"* ]] || fail "error does not name the line: $err"
if err=$(printf 'start_utc,add_seconds\n2026-03-09T01:00:00Z,-5\n' | "$crmkit" calendar deadline --calendar "$cal" 2>&1 >/dev/null); then
  fail "negative seconds accepted"
fi
if err=$(printf 'start,seconds\n' | "$crmkit" calendar deadline --calendar "$cal" 2>&1 >/dev/null); then
  fail "wrong header accepted"
fi
[[ "$err" == *"start_utc"* ]] || fail "header error unclear: $err"

# A bad calendar is refused with the field named.
bad=$(mktemp)
echo '{"zone":"Asia/Shanghai","week":{"mon":[["13:00","12:00"]]}}' > "$bad"
if err=$("$crmkit" calendar check --calendar "$bad" 2>&1); then fail "bad calendar accepted"; fi
[[ "$err" == *"calendar.week.mon[0]"* ]] || fail "bad calendar error unclear: $err"
rm -f "$bad"
"$crmkit" calendar check --calendar "$cal" | grep -q "holidays: 33" || fail "check summary"

# Recurring holidays: the shipped US federal calendar's rules, listed and used.
us=$root/data/calendars/us-federal.json
out=$("$crmkit" calendar holidays --calendar "$us" --year 2027)
expected='date,name
2027-01-01,New Year'"'"'s Day
2027-01-18,"Birthday of Martin Luther King, Jr."
2027-02-15,Washington'"'"'s Birthday
2027-05-31,Memorial Day
2027-06-18,Juneteenth National Independence Day
2027-07-05,Independence Day
2027-09-06,Labor Day
2027-10-11,Columbus Day
2027-11-11,Veterans Day
2027-11-25,Thanksgiving Day
2027-12-24,Christmas Day
2027-12-31,New Year'"'"'s Day'
[[ "$out" == "$expected" ]] || fail "holidays output: $out"
[[ $("$crmkit" calendar holidays --calendar "$root/data/calendars/uk-england-wales.json" --year 2020 --to-year 2029 | wc -l) == 84 ]] ||
  fail "UK 2020..2029 should list 83 bank holidays (8 a year, 2 more in 2022, 1 more in 2023)"
# Thursday 2026-11-26 is Thanksgiving: Wednesday 16:00 EST + 3 h = Friday 11:00 EST.
out=$(printf 'start_utc,add_seconds\n2026-11-25T21:00:00Z,10800\n' | "$crmkit" calendar deadline --calendar "$us")
[[ "$out" == *"2026-11-25T21:00:00Z,10800,2026-11-27T16:00:00Z" ]] || fail "deadline over Thanksgiving: $out"
"$crmkit" calendar check --calendar "$us" | grep -q "holiday rules: 11" || fail "check does not count the rules"
if err=$("$crmkit" calendar holidays --calendar "$us" --year 2027 --to-year 2026 2>&1); then fail "reversed years accepted"; fi
[[ "$err" == *"--to-year"* ]] || fail "reversed years: $err"
if err=$("$crmkit" calendar holidays --calendar "$us" --year 1800 2>&1); then fail "year 1800 accepted"; fi
[[ "$err" == *"1800"* ]] || fail "year 1800: $err"
echo "calendar CLI OK"

# iCalendar import: yearly events become rules, one-off ones dates; a timed event refuses the
# file (named) unless --skip-timed; nothing is written on a refusal.
ics=$root/tests/fixtures/company-holidays.ics
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if "$crmkit" calendar import-ics "$ics" --calendar "$us" >"$tmp/refused.json" 2>"$tmp/err"; then fail "timed event accepted"; fi
grep -q "'Team offsite' (UID offsite@example.com" "$tmp/err" || fail "refusal does not name the event: $(cat "$tmp/err")"
[[ ! -s "$tmp/refused.json" ]] || fail "a refused import wrote output"
"$crmkit" calendar import-ics "$ics" --calendar "$us" --skip-timed --name company >"$tmp/company.json" 2>"$tmp/err"
grep -q "8 events: 5 yearly rules, 8 holiday dates, 1 timed events skipped" "$tmp/err" || fail "import report: $(cat "$tmp/err")"
"$crmkit" calendar check --calendar "$tmp/company.json" | grep -q "holiday rules: 16" || fail "imported rules not kept"
out=$("$crmkit" calendar holidays --calendar "$tmp/company.json" --year 2026 | grep -c "")
[[ "$out" == 22 ]] || fail "2026 should have 21 holidays (11 federal + 14 imported - 4 on the same days), got $((out - 1))"
if err=$("$crmkit" calendar import-ics "$ics" 2>&1); then fail "import without a base accepted"; fi
[[ "$err" == *"--zone"* ]] || fail "missing base: $err"
"$crmkit" calendar import-ics "$ics" --zone Europe/London --skip-timed 2>/dev/null | grep -q '"zone": "Europe/London"' || fail "--zone"
echo "calendar CLI (rules, ics) OK"

# Big inputs are computed on every core: the same rows in the same order as row by row, the first
# bad row in the input reported (whichever core met one first), nothing written then; a UTF-8 BOM.
tmpd=$(mktemp -d)
trap 'rm -rf "$tmp" "$tmpd"' EXIT
awk 'BEGIN { print "start_utc,add_seconds"; for (i = 0; i < 200000; i++) printf "2026-%02d-%02dT%02d:%02d:00Z,%d\n", i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i % 40 + 1) * 1800 }' > "$tmpd/big.csv"
"$crmkit" calendar deadline --calendar "$cal" < "$tmpd/big.csv" > "$tmpd/out.csv"
[[ $(wc -l < "$tmpd/out.csv") == 200001 ]] || fail "big input: $(wc -l < "$tmpd/out.csv") lines"
for n in 2 100001 199999 200001; do
  row=$(sed -n "${n}p" "$tmpd/big.csv")
  one=$(printf 'start_utc,add_seconds\n%s\n' "$row" | "$crmkit" calendar deadline --calendar "$cal" | tail -1)
  [[ $(sed -n "${n}p" "$tmpd/out.csv") == "$one" ]] || fail "big input line $n: $(sed -n "${n}p" "$tmpd/out.csv") vs $one"
done
awk 'NR == 150000 { print "2026-01-01T00:00:00Z,-5"; next } NR == 190000 { print "2026-13-01T00:00:00Z,5"; next } { print }' "$tmpd/big.csv" > "$tmpd/bad.csv"
if "$crmkit" calendar deadline --calendar "$cal" < "$tmpd/bad.csv" > "$tmpd/bad.out" 2> "$tmpd/err"; then fail "bad rows accepted"; fi
grep -q "line 150000: add_seconds '-5'" "$tmpd/err" || fail "first bad row: $(cat "$tmpd/err")"
[[ ! -s "$tmpd/bad.out" ]] || fail "output written despite a bad row"
out=$(printf '\xEF\xBB\xBFstart_utc,add_seconds\r\n2026-09-30T09:00:00Z,7200\r\n' | "$crmkit" calendar deadline --calendar "$cal")
[[ "$out" == $'start_utc,add_seconds,deadline_utc\n2026-09-30T09:00:00Z,7200,2026-10-08T02:00:00Z' ]] || fail "BOM: $out"
echo "calendar CLI (big inputs on every core) OK"
