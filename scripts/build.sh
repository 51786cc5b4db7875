#!/usr/bin/env bash
# Configures (once) and builds dsv4c in build/. Set-up first: scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22
fi
# Clones in other folders share the compiler cache.
export CCACHE_BASEDIR="$PWD"
ninja -C build "$@"
