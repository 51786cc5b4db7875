#!/usr/bin/env bash
# Installs every Debian package dsv4c needs to build and test. Idempotent: a
# second run installs nothing and takes seconds.
set -euo pipefail

packages=(
  # Toolchain: LLVM/MLIR 22 (shared libLLVM/libMLIR), clang and lld.
  llvm-22-dev libmlir-22-dev mlir-22-tools clang-22 lld-22 llvm-22-tools
  # Build.
  cmake ninja-build ccache g++ python3 python3-pip
  # Tests and benchmarks.
  libgtest-dev libgmock-dev libbenchmark-dev
  # NumPy checks that our .npy files load in NumPy.
  python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
