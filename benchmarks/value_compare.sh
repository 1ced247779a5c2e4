#!/usr/bin/env bash
# Customer value comparisons (see value_compare.py). Usage: value_compare.sh BUILD_DIR
exec "${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/value_compare.py" "$@"
