// Bench packs: the V4 kernels at V4-Flash decode shapes, inputs generated on
// the device machine, timed by dsv4-run (PoCL here; an H100/H200 in
// bench/cuda_v4_kernels.py).
// RUN: rm -rf %t && dsv4c conform --target opencl --bench --export %t --filter v4.rmsnorm 2>/dev/null | FileCheck %s --check-prefix=EXPORT
// EXPORT: wrote {{.*}} (a bench pack of 1 V4 kernels); time it with: dsv4-run conform

// The buffers are described, not written: type, shape and fill.
// RUN: FileCheck %s --check-prefix=PACK < %t/pack.json
// PACK: "target":"opencl","bench":true
// PACK-SAME: "name":"rmsnorm_64x4096","op":"v4.rmsnorm","kernel":"rmsnorm","code":"v4/kernels.code"
// PACK-SAME: {"kind":"buffer","type":"bf16","shape":[64,4096],"random":true,"lo":0,"hi":15}
// PACK-SAME: {"kind":"buffer","type":"bf16","shape":[64,4096],"random":false,"lo":0,"hi":15}
// RUN: ls %t | FileCheck %s --check-prefix=FILES
// FILES-NOT: rmsnorm
// FILES: pack.json
// FILES-NEXT: v4

// RUN: dsv4-run conform %t --iters 2 --json %t/times.json | FileCheck %s --check-prefix=TIME
// TIME: bench pack {{.*}}: 1 cases on {{.*}} (opencl), 2 timed launches each
// TIME-NEXT: op {{ *}}case {{ *}}median us {{ *}}min us {{ *}}bytes {{ *}}GB/s
// TIME-NEXT: v4.rmsnorm {{ *}}rmsnorm_64x4096 {{ *}}{{[0-9.]+}} {{ *}}{{[0-9.]+}} {{ *}}1056768 {{ *}}{{[0-9.]+}}
// RUN: FileCheck %s --check-prefix=JSON < %t/times.json
// JSON: "iters":2,"cases":[{"name":"rmsnorm_64x4096","op":"v4.rmsnorm","us":{{[0-9.e+-]+}},"min_us":{{[0-9.e+-]+}},"bytes":1056768}]

// RUN: not dsv4c conform --target cuda --bench 2>&1 | FileCheck %s --check-prefix=NOEXPORT
// NOEXPORT: dsv4c conform: --bench writes a pack for a device machine: give --target cuda or opencl and --export DIR
// RUN: not dsv4c conform --target opencl --bench --export %t.x --filter nosuch 2>&1 | FileCheck %s --check-prefix=NOCASE
// NOCASE: no bench case matches 'nosuch'
// RUN: sed -e 's/"shape":\[64,4096\]/"shape":"x"/' %t/pack.json > %t/bad.json && mv %t/bad.json %t/pack.json
// RUN: not dsv4-run conform %t 2>&1 | FileCheck %s --check-prefix=BADSHAPE
// BADSHAPE: pack.json: case 'rmsnorm_64x4096': a bench buffer lacks 'type' or 'shape'

// --json is for bench packs.
// RUN: rm -rf %t.c && dsv4c conform --target opencl --export %t.c --filter copy_f32_16 2>/dev/null
// RUN: not dsv4-run conform %t.c --json %t.c/t.json 2>&1 | FileCheck %s --check-prefix=NOTBENCH
// NOTBENCH: dsv4-run conform: --json is for bench packs; {{.*}} is a conformance pack
