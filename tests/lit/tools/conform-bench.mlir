// Bench packs: the V4 kernels at V4-Flash decode (and prefill) shapes, inputs generated on
// the device machine, timed by dsv4-run (PoCL here; an H100/H200 in
// bench/cuda_v4_kernels.py).
// RUN: rm -rf %t && dsv4c conform --target opencl --bench --export %t --filter rmsnorm_64x 2>/dev/null | FileCheck %s --check-prefix=EXPORT
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
// TIME-NEXT: op {{ *}}case {{ *}}queued us {{ *}}median us {{ *}}min us {{ *}}bytes {{ *}}GB/s
// TIME-NEXT: v4.rmsnorm {{ *}}rmsnorm_64x4096 {{ *}}{{[0-9.]+}} {{ *}}{{[0-9.]+}} {{ *}}{{[0-9.]+}} {{ *}}1056768 {{ *}}{{[0-9.]+}}
// RUN: FileCheck %s --check-prefix=JSON < %t/times.json
// JSON: "iters":2,"cases":[{"name":"rmsnorm_64x4096","op":"v4.rmsnorm","us":{{[0-9.e+-]+}},"sync_us":{{[0-9.e+-]+}},"min_us":{{[0-9.e+-]+}},"bytes":1056768}]

// Slots a kernel writes are distinct, scale codes keep to their range and
// tables are given in full: the pack says so, and dsv4-run fills them so.
// RUN: rm -rf %t.f && dsv4c conform --target opencl --bench --export %t.f --filter v4.kv_pack 2>/dev/null
// RUN: FileCheck %s --check-prefix=DISTINCT < %t.f/pack.json
// DISTINCT: {"kind":"buffer","type":"i32","shape":[64],"random":true,"lo":0,"hi":127,"distinct":true}
// RUN: dsv4-run conform %t.f --iters 1 | FileCheck %s --check-prefix=KVPACK
// KVPACK: v4.kv_pack {{ *}}kv_pack_decode_64x512 {{ *}}{{[0-9.]+}}
// RUN: sed -e 's/"distinct":true/"distinct":3/' %t.f/pack.json > %t.f/bad.json && mv %t.f/bad.json %t.f/pack.json
// RUN: not dsv4-run conform %t.f 2>&1 | FileCheck %s --check-prefix=BADFILL
// BADFILL: pack.json: case 'kv_pack_decode_64x512': a bench buffer's field 'distinct' is not true or false
// RUN: rm -rf %t.g && dsv4c conform --target cuda --bench --export %t.g --filter v4.linear_fp4_grouped 2>/dev/null
// RUN: FileCheck %s --check-prefix=VALUES < %t.g/pack.json
// VALUES: "type":"i32","shape":[64,3],"random":true,"lo":0,"hi":15,"values":[0,0,6,4,6,6,8,12,6,

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
