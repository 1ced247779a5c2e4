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
echo "calendar CLI OK"
