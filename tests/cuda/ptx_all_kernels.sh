#!/usr/bin/env bash
# Every V4 kernel file through `dsv4c ptx`; each kernel must be an .entry,
# and the files with tensor-core dots must use the matrix instruction their
# operands call for (mma below), and the files with dots stage their
# operand loads into shared memory with cp.async.
# Where ptxas is installed (CUDA), it must accept the PTX for sm_90a; where
# it is not (CI), the test says so and checks the PTX only.
# usage: ptx_all_kernels.sh DSV4C KERNELS_DIR WORK_DIR
set -euo pipefail
dsv4c=$1 kernels=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
ptxas=$(command -v ptxas || true)
[ -z "$ptxas" ] && [ -x /usr/local/cuda/bin/ptxas ] && ptxas=/usr/local/cuda/bin/ptxas
# The bf16 dots (m16n8k16) and the FP8 / FP4 ones (e4m3, m16n8k32). (The
# MoE gate's dot is dense.mlir's matmul_bf16_f32; moe_gate only routes.)
declare -A mma=(
  [dense]=m16n8k16.row.col.f32.bf16.bf16.f32
  [head]=m16n8k16.row.col.f32.bf16.bf16.f32
  [sparse_attention]=m16n8k16.row.col.f32.bf16.bf16.f32
  [indexer]=m16n8k16.row.col.f32.bf16.bf16.f32
  [linear_fp8]=m16n8k32.row.col.f32.e4m3.e4m3.f32
  [linear_fp4]=m16n8k32.row.col.f32.e4m3.e4m3.f32
)
n=0
for f in "$kernels"/*.mlir; do
  b=$(basename "$f" .mlir)
  "$dsv4c" ptx "$f" -o "$work/$b.ptx"
  for k in $(sed -n 's/^tile\.kernel @\([A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
    grep -q "^\.visible \.entry $k(" "$work/$b.ptx" ||
      { echo "FAIL: no .entry $k in $b.ptx"; exit 1; }
    n=$((n + 1))
  done
  if [ -n "${mma[$b]:-}" ]; then
    grep -q "mma\.sync\.aligned\.${mma[$b]}" "$work/$b.ptx" ||
      { echo "FAIL: no mma.sync.aligned.${mma[$b]} in $b.ptx"; exit 1; }
    grep -q "cp\.async\.cg\.shared\.global" "$work/$b.ptx" ||
      { echo "FAIL: no cp.async into shared memory in $b.ptx"; exit 1; }
  fi
  # Row reductions over a warp (reduce-to-warp-shuffles).
  if [ "$b" = rmsnorm ]; then
    grep -q "shfl\.sync\.bfly\.b32" "$work/$b.ptx" ||
      { echo "FAIL: no shfl.sync.bfly in $b.ptx"; exit 1; }
  fi
  if [ -n "$ptxas" ]; then
    "$ptxas" -arch=sm_90a "$work/$b.ptx" -o "$work/$b.cubin"
  fi
done
if [ -n "$ptxas" ]; then
  echo "PASS: $n kernels to PTX (${#mma[@]} files on mma.sync and cp.async, rmsnorm on shfl.sync), assembled by $ptxas for sm_90a"
else
  echo "PASS: $n kernels to PTX (${#mma[@]} files on mma.sync and cp.async, rmsnorm on shfl.sync); ptxas not found (no CUDA here), so the PTX was not assembled"
fi
