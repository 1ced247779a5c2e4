#!/usr/bin/env bash
# Durable store figures, in one run: events/s with full durability (one event per transaction
# and batches of 1,000), and recovery of about 1 million events with and without a snapshot.
# Usage: store_compare.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
crmkit=$build/tools/crmkit
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crmkit-store-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

"$crmkit" complaints generate --cases 155000 --seed 1 --start 2026-01-01 --days 91 --out "$tmp/events.jsonl"
n=$(wc -l < "$tmp/events.jsonl")
head -20000 "$tmp/events.jsonl" > "$tmp/small.jsonl"
: > "$tmp/empty.jsonl"
echo "disk: $(df -h "$tmp" | tail -1 | awk '{print $1" ("$2")"}'); events: $n"

t0=$(now); "$crmkit" complaints replay --events "$tmp/small.jsonl" --db "$tmp/single.db" --batch 1 --quiet --kpi /dev/null; t1=$(now)
printf 'full durability, 1 event per transaction   : %8.0f events/s (20,000 events in %.2f s)\n' "$(echo "20000 / $(secs $t0 $t1)" | bc -l)" "$(secs $t0 $t1)"
t0=$(now); "$crmkit" complaints replay --events "$tmp/events.jsonl" --db "$tmp/batch.db" --batch 1000 --quiet --kpi /dev/null; t1=$(now)
printf 'full durability, batches of 1,000          : %8.0f events/s (%d events in %.2f s, snapshots every 100,000 records)\n' "$(echo "$n / $(secs $t0 $t1)" | bc -l)" "$n" "$(secs $t0 $t1)"
t0=$(now); "$crmkit" complaints replay --events "$tmp/events.jsonl" --db "$tmp/nosnap.db" --batch 1000 --snapshot-every 0 --quiet --kpi /dev/null; t1=$(now)
printf 'full durability, batches of 1,000, no snaps: %8.0f events/s\n' "$(echo "$n / $(secs $t0 $t1)" | bc -l)"
t0=$(now); "$crmkit" complaints replay --events "$tmp/empty.jsonl" --db "$tmp/batch.db" --kpi /dev/null 2>"$tmp/rec1"; t1=$(now)
printf 'recovery of %d events with a snapshot      : %.2f s  (%s)\n' "$n" "$(secs $t0 $t1)" "$(grep -o 'recovered.*' "$tmp/rec1" | head -1)"
t0=$(now); "$crmkit" complaints replay --events "$tmp/empty.jsonl" --db "$tmp/nosnap.db" --kpi /dev/null 2>"$tmp/rec2"; t1=$(now)
printf 'recovery of %d events without a snapshot   : %.2f s  (%s)\n' "$n" "$(secs $t0 $t1)" "$(grep -o 'recovered.*' "$tmp/rec2" | head -1)"
echo "store sizes: $(du -h "$tmp/batch.db" | cut -f1) with snapshots, $(du -h "$tmp/nosnap.db" | cut -f1) without"
