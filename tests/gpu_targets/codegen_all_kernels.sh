#!/usr/bin/env bash
# Every V4 kernel file through `dsv4c codegen` for a compile-only target:
#   hip ARCH     each kernel is a function with a kernel descriptor (K.kd) in
#                a code object that llvm-objdump disassembles
#   level_zero   the SPIR-V passes spirv-val and has an entry point per kernel
# usage: codegen_all_kernels.sh DSV4C KERNELS_DIR WORK_DIR LLVM_BIN TARGET [ARCH]
set -euo pipefail
dsv4c=$1 kernels=$2 work=$3 llvm_bin=$4 target=$5 arch=${6:-}
rm -rf "$work" && mkdir -p "$work"
n=0
for f in "$kernels"/*.mlir; do
  b=$(basename "$f" .mlir)
  case $target in
    hip)
      "$dsv4c" codegen "$f" --target hip --arch "$arch" -o "$work/$b.hsaco"
      "$llvm_bin/llvm-objdump" -d "$work/$b.hsaco" > "$work/$b.dis"
      "$llvm_bin/llvm-readelf" --symbols "$work/$b.hsaco" > "$work/$b.syms"
      grep -q "amdgcn-amd-amdhsa--$arch" <("$llvm_bin/llvm-readelf" --notes "$work/$b.hsaco") ||
        { echo "FAIL: $b.hsaco is not for $arch"; exit 1; }
      ;;
    level_zero)
      "$dsv4c" codegen "$f" --target level_zero -o "$work/$b.spv"
      spirv-val "$work/$b.spv" || { echo "FAIL: spirv-val rejects $b.spv"; exit 1; }
      spirv-dis "$work/$b.spv" > "$work/$b.dis"
      ;;
  esac
  for k in $(sed -n 's/^tile\.kernel @\([A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
    case $target in
      hip)
        grep -q "^[0-9a-f]* <$k>:" "$work/$b.dis" ||
          { echo "FAIL: no code for $k in $b.hsaco"; exit 1; }
        grep -qE " $k\.kd$" "$work/$b.syms" ||
          { echo "FAIL: no kernel descriptor $k.kd in $b.hsaco"; exit 1; }
        ;;
      level_zero)
        grep -q "OpEntryPoint Kernel %$k \"$k\"" "$work/$b.dis" ||
          { echo "FAIL: no entry point $k in $b.spv"; exit 1; }
        ;;
    esac
    n=$((n + 1))
  done
done
case $target in
  hip) echo "PASS: $n kernels to AMDGPU code objects for $arch, disassembled by llvm-objdump" ;;
  level_zero) echo "PASS: $n kernels to SPIR-V, accepted by spirv-val" ;;
esac
