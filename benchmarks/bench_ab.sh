#!/usr/bin/env bash
# A/B of one Google Benchmark in two builds, run alternately in one sitting (the machine's state
# changes over minutes; alternating lets both builds see it). Prints every run, the medians, the
# minima and their ratios.
# Usage: benchmarks/bench_ab.sh OLD_BENCH_BINARY NEW_BENCH_BINARY FILTER [ROUNDS]
set -euo pipefail
old=$1 new=$2 filter=$3 rounds=${4:-10}
o=() n=()
for _ in $(seq 1 "$rounds"); do
  o+=("$("$old" --benchmark_filter="$filter" --benchmark_min_time=0.3 2>/dev/null | awk '/^BM/ {print $2; exit}')")
  n+=("$("$new" --benchmark_filter="$filter" --benchmark_min_time=0.3 2>/dev/null | awk '/^BM/ {print $2; exit}')")
done
echo "old: ${o[*]}"
echo "new: ${n[*]}"
"${PYTHON:-/usr/bin/python3}" - "${o[*]}" "${n[*]}" <<'PY'
import statistics as s, sys
o, n = ([float(x) for x in a.split()] for a in sys.argv[1:3])
print(f"median old {s.median(o):.1f} new {s.median(n):.1f} ratio {s.median(n) / s.median(o):.3f}; "
      f"min old {min(o):.1f} new {min(n):.1f} ratio {min(n) / min(o):.3f}")
PY
