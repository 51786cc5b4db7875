#!/usr/bin/env bash
# The main job: set up, build, generate the default tiny V4 checkpoint (SWA,
# CSA and HCA layers, hash and score routing, an MTP block; random weights in
# the official format, with a tokenizer) and run it end to end on the CPU
# target: compile the tile kernels, prefill the prompt, decode, print the
# text and tokens/s.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh dsv4c
model=build/models/tiny
if [[ ! -f $model/config.json ]]; then
  build/tools/dsv4c/dsv4c gen-checkpoint "$model" --seed 1
fi
exec build/tools/dsv4c/dsv4c run "$model" \
  --prompt "DeepSeek-V4 runs on any accelerator:" --max-new-tokens 24 "$@"
