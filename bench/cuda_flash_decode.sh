#!/usr/bin/env bash
# End-to-end decode tokens/s of a V4-Flash-shaped model on the GPU, random
# weights, as users deploy: the bundle is compiled by reference on the dev
# machine, the checkpoint is generated on the GPU machine (same config and
# seed, so the same files the bundle was compiled against).
# Dev machine (--layout-only: headers only, the data are holes; the compile
# reads nothing else, so any size fits here):
#   dsv4c gen-checkpoint DIR --config CONFIG --seed 1 --no-tokenizer --layout-only
#   dsv4c compile DIR --target cuda -o bundles/flash.dsv4
# GPU machine (runtime-only build in build-rt):
#   bash bench/cuda_flash_decode.sh bundles/flash.dsv4 CONFIG WORK_DIR \
#     [bench options, e.g. --batch 1 --context 16 --decode 8]
set -euo pipefail
bundle=$1 config=$2 work=$3
shift 3
run=${DSV4_RUN:-build-rt/tools/runner/dsv4-run}
start=$(date +%s)
"$run" gen-checkpoint "$work" --config "$config" --seed 1 --no-tokenizer
echo "generated in $(( $(date +%s) - start )) s: $(du -sh "$work" | cut -f1)"
"$run" bench "$bundle" --weights "$work" --target cuda --repeat 1 "$@"
