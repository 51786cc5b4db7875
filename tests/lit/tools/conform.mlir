// `dsv4c conform`: the conformance table on the cpu target; the cuda target
// exports a pack that the runtime-only `dsv4-run conform` runs (here, with no
// GPU, it says so and fails). Bad input names the problem.
// RUN: dsv4c conform --target cpu --filter topk | FileCheck %s
// CHECK: conformance: 4 cases on cpu
// CHECK-NEXT: op {{ *}}case {{ *}}grid {{ *}}max error tolerance result {{ *}}ms
// CHECK-COUNT-4: tile.topk {{ *}}topk_{{[a-z0-9_]+}} {{ *}}1x1x1 {{ *}}0 {{ *}}0e+00 {{ *}}PASS
// CHECK-NEXT: 4 of 4 cases passed

// RUN: rm -rf %t && dsv4c conform --target cuda --export %t --filter dot_f32 2>/dev/null | FileCheck %s --check-prefix=EXPORT
// EXPORT: wrote {{.*}} (2 cases); run it with: dsv4-run conform
// RUN: FileCheck %s --check-prefix=PACK < %t/pack.json
// PACK: "format":"dsv4c-conformance-pack"
// PACK-SAME: "target":"cuda"
// PACK-SAME: "kernel":"dot"
// RUN: FileCheck %s --check-prefix=PTX < %t/dot_f32_16x16x32/kernel.code
// PTX: .visible .entry
// RUN: test -f %t/dot_f32_16x16x32/arg0.npy && test -f %t/dot_f32_16x16x32/want0.npy

// Without a GPU the pack cannot run; the message says why.
// RUN: not dsv4-run conform %t 2>&1 | FileCheck %s --check-prefix=NOGPU
// NOGPU: dsv4-run conform: cuda: no CUDA

// The opencl target exports OpenCL C and runs here (PoCL), pack or not.
// RUN: rm -rf %t.cl && dsv4c conform --target opencl --export %t.cl --filter copy_f32_16 2>/dev/null
// RUN: FileCheck %s --check-prefix=CLPACK < %t.cl/pack.json
// CLPACK: "target":"opencl"
// RUN: FileCheck %s --check-prefix=CLCODE < %t.cl/copy_f32_16x64/kernel.code
// CLCODE: __kernel {{.*}} void dsv4c_copy(
// RUN: dsv4-run conform %t.cl | FileCheck %s --check-prefix=CLEXEC
// CLEXEC: 1 cases on {{.*}} (opencl)
// CLEXEC: copy_f32_16x64 {{.*}} PASS
// CLEXEC: 1 of 1 cases passed
//
// RUN: not dsv4c conform 2>&1 | FileCheck %s --check-prefix=NOTARGET
// NOTARGET: dsv4c conform: missing --target (cpu, cuda or opencl; see --help)
// RUN: not dsv4c conform --target tpu 2>&1 | FileCheck %s --check-prefix=BADTARGET
// BADTARGET: dsv4c conform: unknown target 'tpu' (this build conforms: cpu, cuda, opencl)
// RUN: not dsv4c conform --target cpu --export %t 2>&1 | FileCheck %s --check-prefix=CPUEXPORT
// CPUEXPORT: dsv4c conform: --export is for the cuda and opencl targets (cpu runs here)
// RUN: not dsv4c conform --target cpu --filter nosuchcase 2>&1 | FileCheck %s --check-prefix=NOCASE
// NOCASE: dsv4c conform: no case matches 'nosuchcase'
// RUN: echo '{"format": "other"}' > %t/pack.json && not dsv4-run conform %t 2>&1 | FileCheck %s --check-prefix=BADPACK
// BADPACK: dsv4-run conform: {{.*}}pack.json: field 'format' is not "dsv4c-conformance-pack"
// RUN: not dsv4-run conform %t/nosuchdir 2>&1 | FileCheck %s --check-prefix=NOPACK
// NOPACK: dsv4-run conform: {{.*}}nosuchdir/pack.json
