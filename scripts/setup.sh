#!/usr/bin/env bash
# Installs every Debian package dsv4c needs to build and test. Idempotent: a
# second run installs nothing and takes seconds.
set -euo pipefail

packages=(
  # Toolchain: LLVM/MLIR 22 (shared libLLVM/libMLIR), clang and lld.
  llvm-22-dev libmlir-22-dev mlir-22-tools clang-22 lld-22 llvm-22-tools
  # libFuzzer and the sanitizers (tests/fuzz).
  libclang-rt-22-dev
  # GPU targets without a device here: SPIR-V validation (level_zero), the
  # Level Zero loader and the HIP runtime (their drivers say "no device").
  spirv-tools libze1 libamdhip64-5
  # The opencl target runs on the CPU through PoCL.
  ocl-icd-libopencl1 pocl-opencl-icd
  # Build.
  cmake ninja-build ccache g++ python3 python3-pip
  # Tests and benchmarks.
  libgtest-dev libgmock-dev libbenchmark-dev
  # NumPy checks that our .npy files load in NumPy.
  python3-numpy python3-pip
  # CPU torch for the independent V4 reference (tests/reference_model).
  python3-torch
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages present"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# HF `tokenizers` (not packaged by Debian) for the tokenizer cross-check,
# into the user site of Debian's python3, pinned.
if ! /usr/bin/python3 -c "import tokenizers" 2>/dev/null; then
  echo "setup: installing tokenizers==0.23.3 from PyPI"
  /usr/bin/python3 -m pip install --quiet --user --break-system-packages \
    tokenizers==0.23.3
fi
echo "setup: done"
