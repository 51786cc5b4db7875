#!/usr/bin/env bash
# Prepares a GPU check of the first CUDA lowering: for a few V4 kernels, the
# PTX (`dsv4c ptx`) and inputs + reference-target outputs
# (`dsv4c run-kernel --target reference --out-dir`), plus run.sh, which the
# GPU machine runs with the runtime-only build's cuda_kernel_check:
#   bash tests/cuda/prepare_device_check.sh build/tools/dsv4c/dsv4c bundles/cuda
#   (on the GPU machine) bash bundles/cuda/run.sh /path/to/cuda_kernel_check
set -euo pipefail
dsv4c=$1 out=$2
k=$(cd "$(dirname "$0")/../../models/v4/kernels" && pwd)
rm -rf "$out" && mkdir -p "$out"
echo 'set -u; check=$1; dir=$(dirname "$0"); rc=0' > "$out/run.sh"

# name file grid tolerance "run-kernel --arg specs" "device args"
add() {
  local name=$1 file=$2 grid=$3 tol=$4 specs=$5 dev=$6
  "$dsv4c" ptx "$k/$file" -o "$out/$file.ptx"
  mkdir -p "$out/$name"
  # shellcheck disable=SC2086
  "$dsv4c" run-kernel "$k/$file" --kernel "$name" --target reference \
    --grid "$grid" $specs --out-dir "$out/$name" > /dev/null
  echo "\$check \"\$dir/$file.ptx\" $name $grid $tol ${dev//@/\$dir/$name/} || rc=1" \
    >> "$out/run.sh"
}

add rmsnorm rmsnorm.mlir 16,1,1 1e-2 \
  "--arg x=random:16x512 --arg w=random:512 --arg y=zeros:16x512 --arg rows=16 --arg dim=512 --arg eps=1e-6" \
  "in:@x.npy in:@w.npy out:@y.npy i:16 i:512 f:1e-6"
add swiglu swiglu.mlir 10,2,1 1e-2 \
  "--arg g=random:37x300 --arg u=random:37x300 --arg rw=random:37 --arg o=zeros:37x300 --arg m=37 --arg n=300 --arg nw=37 --arg limit=0.5" \
  "in:@g.npy in:@u.npy in:@rw.npy out:@o.npy i:37 i:300 i:37 f:0.5"
add rope_table rope.mlir 4,1,1 1e-5 \
  "--arg tab=zeros:64x32x2 --arg npos=64 --arg rd=64 --arg base=10000 --arg yarn=0 --arg factor=1 --arg low=0 --arg high=1" \
  "out:@tab.npy i:64 i:64 f:10000 i:0 f:1 f:0 f:1"
# Split over K in 2 slices: the last program of each of the 9 blocks adds
# them (tile.atomic_add on sem, which must end at 0 again).
add linear_fp8 linear_fp8.mlir 3,3,2 1e-2 \
  "--arg x=random:37x256 --arg xs=random:37x2 --arg w=random:150x256 --arg ws=random:2x2 --arg y=zeros:37x150 --arg part=zeros:2x37x150 --arg sem=zeros:9 --arg m=37 --arg n=150 --arg k=256 --arg splits=2" \
  "in:@x.npy in:@xs.npy in:@w.npy in:@ws.npy out:@y.npy out:@part.npy out:@sem.npy i:37 i:150 i:256 i:2"
echo 'exit $rc' >> "$out/run.sh"
echo "prepared $out ($(ls "$out" | wc -l) entries)"
