#!/usr/bin/env bash
# The CUDA target on a GPU machine, as users deploy it: build only the
# runtime (no LLVM/MLIR there), then with bundles compiled on the dev machine
#   1. the driver check,
#   2. the conformance pack bundles/conform, when there is one: every tile
#      op, every V4 kernel and the tiny model end to end vs the reference,
#   3. single kernels vs the reference target (prepare_device_check.sh), when
#      bundles/cuda exists,
#   4. V4 end to end: the same bundle on --target cpu and --target cuda,
#      logits compared step by step (compare_logits.py), and cuda with
#      graphs (the default) vs --no-graphs, bit for bit; tokens sampled on
#      the device with graphs, without, and on the host, equal,
#   5. with bundles/bench, the V4 kernels at V4-Flash decode shapes timed
#      beside PyTorch eager, torch.compile and the hardware limits
#      (bench/cuda_v4_kernels.py),
#   6. compute-sanitizer memcheck and racecheck on the pack's kernel cases
#      (and on a short model run with DSV4C_SANITIZE_MODEL=1).
# Dev machine:
#   dsv4c conform --target cuda --export bundles/conform
#   dsv4c conform --target cuda --bench --export bundles/bench
#   dsv4c compile MODEL --target cpu --cpu x86-64-v3 --target cuda \
#     --embed-weights -o bundles/NAME.dsv4
# GPU machine (OUT: where logs and logits go):
#   bash tests/cuda/device_run.sh OUT bundles/NAME.dsv4...
set -uo pipefail
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
rt=build-rt
mkdir -p "$out"
# Packs carried packed (the device tool carries at most 64 MiB):
#   tar czf bundles/carry/packs.tgz -C bundles conform bench
if [[ -f bundles/carry/packs.tgz ]]; then
  tar xzf bundles/carry/packs.tgz -C bundles || exit 1
fi
cmake -G Ninja -S . -B $rt -DDSV4C_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
  > "$out/cmake.log" 2>&1 &&
  ninja -C $rt dsv4-run cuda_driver_check cuda_kernel_check > "$out/build.log" 2>&1 ||
  { tail -30 "$out/cmake.log" "$out/build.log"; exit 1; }
rc=0
echo "== driver"
$rt/cuda_driver_check || rc=1
run=$rt/tools/runner/dsv4-run
if [[ -f bundles/conform/pack.json ]]; then
  echo "== conformance pack"
  $run conform bundles/conform > "$out/conform.log" 2>&1 || rc=1
  grep -E "FAIL|^ +[a-z]|cases passed|v4.model" "$out/conform.log"
fi
if [[ -f bundles/cuda/run.sh ]]; then
  echo "== kernels vs the reference target"
  bash bundles/cuda/run.sh "$PWD/$rt/cuda_kernel_check" || rc=1
fi
tokens=5,17,42,99,3,250,77,8,120,64,33,201,150,12,9,180
for bundle in "$@"; do
  name=$(basename "$bundle" .dsv4)
  echo "== $name end to end: cpu vs cuda (16-token prompt, 16 new tokens)"
  for t in cpu cuda; do
    $run run "$bundle" --target $t --tokens $tokens --max-new-tokens 16 \
      --ignore-eos --dump-logits "$out/$name.$t.npy" --quiet \
      > "$out/$name.$t.txt" 2> "$out/$name.$t.err" ||
      { echo "FAIL  $name on $t:"; tail -5 "$out/$name.$t.err"; rc=1; }
    grep -h "tokens/s" "$out/$name.$t.err" "$out/$name.$t.txt" | sed "s/^/  $t: /"
  done
  python3 "$here/compare_logits.py" "$out/$name.cpu.npy" "$out/$name.cuda.npy" \
    0.05 || rc=1
  # Decode steps replay CUDA graphs by default: the same steps launched one
  # by one must give the same logits bit for bit.
  $run run "$bundle" --target cuda --tokens $tokens --max-new-tokens 16 \
    --ignore-eos --no-graphs --dump-logits "$out/$name.cuda-nographs.npy" \
    --quiet > "$out/$name.cuda-nographs.txt" 2>&1 &&
    cmp -s "$out/$name.cuda.npy" "$out/$name.cuda-nographs.npy" &&
    echo "PASS  $name: graphs and --no-graphs give the same logits bit for bit" ||
    { echo "FAIL  $name: graphs and --no-graphs differ"; rc=1; }
  # Sampling on the device (sample.mlir): graphs replay each step's draws,
  # and the host's choice from downloaded logits (--dump-logits) is the
  # same token (f32 against double: a draw on a boundary within rounding
  # could part them; none has on the tiny models).
  for topp in 0.95 1; do
    sampled=(--target cuda --tokens $tokens --max-new-tokens 16 --ignore-eos
      --temperature 0.8 --top-p $topp --seed 5 --quiet)
    $run run "$bundle" "${sampled[@]}" --dump-tokens "$out/$name.s$topp.npy" \
      > /dev/null 2>&1 &&
      $run run "$bundle" "${sampled[@]}" --no-graphs \
        --dump-tokens "$out/$name.s$topp-nographs.npy" > /dev/null 2>&1 &&
      $run run "$bundle" "${sampled[@]}" --dump-logits "$out/$name.s$topp-l.npy" \
        --dump-tokens "$out/$name.s$topp-host.npy" > /dev/null 2>&1 &&
      cmp -s "$out/$name.s$topp.npy" "$out/$name.s$topp-nographs.npy" &&
      cmp -s "$out/$name.s$topp.npy" "$out/$name.s$topp-host.npy" &&
      echo "PASS  $name: top-p $topp sampled tokens equal with graphs, without, and on the host" ||
      { echo "FAIL  $name: top-p $topp sampled tokens differ (graphs / --no-graphs / host)"; rc=1; }
  done
done
if [[ -f bundles/bench/pack.json ]]; then
  # dsv4c conform --target cuda --bench --export bundles/bench
  echo "== V4 kernels at V4-Flash decode shapes: dsv4c, PyTorch, the limits"
  $run conform bundles/bench --json "$out/bench-times.json" \
    > "$out/bench-dsv4c.txt" 2>&1 || { rc=1; tail -5 "$out/bench-dsv4c.txt"; }
  python3 "$here/../../bench/cuda_v4_kernels.py" bundles/bench \
    "$out/bench-times.json" --json-out "$out/bench.json" \
    2> "$out/bench-torch.log" | tee "$out/bench.txt" || rc=1
fi
cs=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [[ -x $cs && -f bundles/conform/pack.json ]]; then
  # The pack's kernel cases under the sanitizers; the whole model under
  # memcheck takes minutes at this lowering's speed: set
  # DSV4C_SANITIZE_MODEL=1 for it.
  for tool in memcheck racecheck; do
    echo "== compute-sanitizer --tool $tool: the pack's kernel cases"
    $cs --tool $tool --error-exitcode 9 $run conform bundles/conform --no-model \
      > "$out/sanitizer-$tool.log" 2>&1 || rc=1
    grep -E "ERROR SUMMARY|RACECHECK SUMMARY|cases passed" "$out/sanitizer-$tool.log" | sort | uniq -c
  done
  if [[ ${DSV4C_SANITIZE_MODEL:-0} == 1 && $# -gt 0 ]]; then
    echo "== compute-sanitizer --tool memcheck: $1 on cuda, 4-token prompt, 2 new tokens"
    $cs --tool memcheck --error-exitcode 9 $run run "$1" --target cuda \
      --tokens 5,17,42,99 --max-new-tokens 2 --ignore-eos --quiet \
      > "$out/sanitizer-model.log" 2>&1 || rc=1
    grep -E "ERROR SUMMARY" "$out/sanitizer-model.log"
  fi
else
  echo "NOT RUN  compute-sanitizer: not found"
fi
echo "== device_run: $([[ $rc == 0 ]] && echo PASS || echo FAIL)"
exit $rc
