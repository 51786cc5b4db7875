#!/usr/bin/env bash
# The main job: set up, build, then compile V4's RMSNorm tile kernel for the
# CPU target, run it on seeded random data and check it against the
# reference target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh dsv4c
rows=37 dim=1000
exec build/tools/dsv4c/dsv4c run-kernel models/v4/kernels/rmsnorm.mlir \
  --target cpu --check --grid $(( (rows + 3) / 4 )) \
  --arg x=random:${rows}x${dim} --arg w=random:${dim} \
  --arg y=zeros:${rows}x${dim} --arg rows=$rows --arg dim=$dim \
  --arg eps=1e-6
