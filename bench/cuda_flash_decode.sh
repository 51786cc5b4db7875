#!/usr/bin/env bash
# End-to-end prefill and decode tokens/s of a V4-Flash-shaped model on the
# GPU, random weights, as users deploy: the bundle is compiled on the dev
# machine against a layout-only checkpoint (headers; the data are holes, so
# any size fits), and the GPU machine's runtime makes the same random
# weights while it loads them (--generate-weights: no files, no disk).
# Dev machine:
#   dsv4c gen-checkpoint DIR --preset flash --layers N --seed 1 \
#     --no-tokenizer --layout-only
#   dsv4c compile DIR --target cuda -o bundles/carry/flashN.dsv4
# GPU machine (runtime-only build in build-rt):
#   bash bench/cuda_flash_decode.sh bundles/carry/flashN.dsv4 \
#     [bench options, e.g. --batch 1,32 --context 16 --decode 4]
set -euo pipefail
bundle=$1
shift
run=${DSV4_RUN:-build-rt/tools/runner/dsv4-run}
"$run" inspect "$bundle" | grep -E "^model:|^target"
command -v nvidia-smi >/dev/null &&
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
start=$(date +%s)
"$run" bench "$bundle" --generate-weights 1 --target cuda --repeat 1 "$@"
echo "load and bench: $(( $(date +%s) - start )) s"
