#!/usr/bin/env bash
# make bench: every Google Benchmark binary, then the comparison scripts, all in one run so
# that ratios are measured on the same machine state. Usage: benchmarks/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ)"
for exe in "$build"/benchmarks/bench_*; do
  [[ -x "$exe" ]] || continue
  echo "== $(basename "$exe")"
  # Three repetitions: the median is the figure, the cv (coefficient of variation) the noise.
  "$exe" --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>/dev/null \
    | grep -v "_mean \|_stddev "
done
echo "== calendar: crmkit vs pandas CustomBusinessHour"
"$python" "$here/calendar_compare.py" "$build"
for script in "$here"/*_compare.sh; do
  [[ -f "$script" ]] || continue
  echo "== $(basename "$script" .sh)"
  bash "$script" "$build"
done
echo "== edges: every job end to end (files in, files out) against its peer"
"$python" "$here/edges_compare.py" "$build" --rounds 3
