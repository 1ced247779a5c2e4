#!/usr/bin/env bash
# The shared library exports only crmkit_* symbols (defined, dynamic).
set -euo pipefail
lib=$1
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^crmkit_' | grep -v '^$' || true)
if [[ -n "$bad" ]]; then
  echo "symbols exported that are not crmkit_*:" >&2
  echo "$bad" | head -20 >&2
  exit 1
fi
count=$(nm -D --defined-only "$lib" | grep -c ' crmkit_' || true)
[[ "$count" -gt 10 ]] || { echo "too few crmkit_ symbols exported: $count" >&2; exit 1; }
echo "exports OK: $count crmkit_ symbols, nothing else"
