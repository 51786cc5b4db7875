#!/usr/bin/env bash
# Every V4 kernel file through `dsv4c ptx` for sm_80 (A100), sm_90a
# (Hopper) and sm_120 (consumer Blackwell); each kernel must be an .entry;
# the files with tensor-core dots must use the matrix instruction their
# operands call for (mma below; on sm_80, which has bf16 mma.sync but no
# e4m3 one, the bf16 form for all: FP8/FP4 operands widened in registers),
# and stage their operand loads into shared memory with cp.async. Where
# ptxas is installed (CUDA), it must accept the PTX for each architecture;
# where it is not, the test says so and checks the PTX only.
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
archs=(sm_80 sm_90a sm_120)
n=0
for arch in "${archs[@]}"; do
  mkdir -p "$work/$arch"
  for f in "$kernels"/*.mlir; do
    b=$(basename "$f" .mlir)
    out="$work/$arch/$b.ptx"
    "$dsv4c" ptx "$f" --sm "$arch" -o "$out"
    for k in $(sed -n 's/^tile\.kernel @\([A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
      grep -q "^\.visible \.entry $k(" "$out" ||
        { echo "FAIL: no .entry $k in $arch/$b.ptx"; exit 1; }
      n=$((n + 1))
    done
    if [ -n "${mma[$b]:-}" ]; then
      # sm_80 has no e4m3 form: FP8/FP4 dots widen to bf16 ones there.
      want=${mma[$b]}
      [ "$arch" = sm_80 ] && want=m16n8k16.row.col.f32.bf16.bf16.f32
      grep -q "mma\.sync\.aligned\.$want" "$out" ||
        { echo "FAIL: no mma.sync.aligned.$want in $arch/$b.ptx"; exit 1; }
      grep -q "cp\.async\.cg\.shared\.global" "$out" ||
        { echo "FAIL: no cp.async into shared memory in $arch/$b.ptx"; exit 1; }
    fi
    # Row reductions over a warp (reduce-to-warp-shuffles).
    if [ "$b" = rmsnorm ]; then
      grep -q "shfl\.sync\.bfly\.b32" "$out" ||
        { echo "FAIL: no shfl.sync.bfly in $arch/$b.ptx"; exit 1; }
    fi
    if [ -n "$ptxas" ]; then
      "$ptxas" -arch="$arch" "$out" -o "$work/$arch/$b.cubin" ||
        { echo "FAIL: ptxas -arch=$arch rejected $b.ptx"; exit 1; }
    fi
  done
done
what="$n kernel entries (${#archs[@]} architectures: ${archs[*]}; ${#mma[@]} files on mma.sync and cp.async, rmsnorm on shfl.sync)"
if [ -n "$ptxas" ]; then
  echo "PASS: $what, assembled by $ptxas"
else
  echo "PASS: $what; ptxas not found (no CUDA here), so the PTX was not assembled"
fi
