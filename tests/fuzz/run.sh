#!/usr/bin/env bash
# Runs every fuzzer in BUILD/tests/fuzz for SECONDS each on its seed corpus (tests/fuzz/corpus/NAME),
# with ASan + UBSan; exits non-zero at the first crash, leak, timeout or sanitizer report.
set -euo pipefail
build=${1:?usage: run.sh BUILD [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for exe in "$build"/tests/fuzz/fuzz_*; do
  [[ -x "$exe" ]] || continue
  name=$(basename "$exe")
  seeds="$here/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  echo "== $name (${seconds}s)"
  if ! "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=0 \
       "$work" > "$work.log" 2>&1; then
    tail -60 "$work.log"
    echo "FUZZ FAILURE: $name (crash input in the current directory)" >&2
    status=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$work.log" | tail -1 || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
