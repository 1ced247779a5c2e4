#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds two tiny consumers against it:
# one with find_package(crmkit CONFIG) (C++ API), one with pkg-config (C ABI).
set -euo pipefail
build=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here/cmake_consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
cc -std=c99 -Wall -Werror "$here/c_consumer.c" $(pkg-config --cflags --libs crmkit) -o "$work/c_consumer"
LD_LIBRARY_PATH="$(pkg-config --variable=libdir crmkit)" "$work/c_consumer"
echo "install consumers OK"
