#!/usr/bin/env bash
# V4 end to end on the opencl target (PoCL on the CPU in CI): a tiny
# checkpoint, the same prompt on --target cpu and --target opencl, logits
# compared step by step (relative L2 <= 0.05, as for cuda).
# usage: opencl_tiny_e2e.sh DSV4C WORK_DIR COMPARE_LOGITS_PY
set -euo pipefail
dsv4c=$1 work=$2 compare=$3
rm -rf "$work" && mkdir -p "$work"
"$dsv4c" gen-checkpoint "$work/tiny" --seed 1 > /dev/null 2>&1
tokens=5,17,42,99,3,250,77,8
for t in cpu opencl; do
  "$dsv4c" run "$work/tiny" --target $t --tokens $tokens --max-new-tokens 4 \
    --ignore-eos --dump-logits "$work/$t.npy" > "$work/$t.txt" 2> "$work/$t.err" ||
    { echo "FAIL: the run on $t:"; tail -5 "$work/$t.err"; exit 1; }
  grep -h "tokens/s" "$work/$t.txt" "$work/$t.err" | sed "s/^/$t: /" || true
done
/usr/bin/python3 "$compare" "$work/cpu.npy" "$work/opencl.npy" 0.05
