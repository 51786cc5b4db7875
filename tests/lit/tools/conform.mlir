// `dsv4c conform`: the conformance table on the cpu target; the cuda target
// exports a pack that the runtime-only `dsv4-run conform` runs (here, with no
// GPU, it says so and fails). Bad input names the problem.
// RUN: dsv4c conform --target cpu --filter tile.topk | FileCheck %s
// CHECK: conformance: 5 cases on cpu
// CHECK-NEXT: op {{ *}}case {{ *}}grid {{ *}}max error tolerance result {{ *}}ms
// CHECK-COUNT-5: tile.topk {{ *}}topk_{{[a-z0-9_]+}} {{ *}}1x1x1 {{ *}}0 {{ *}}0e+00 {{ *}}PASS
// CHECK-NEXT: 5 of 5 cases passed

// A V4 kernel row and the end-to-end row (the tiny model, 6 greedy steps).
// RUN: dsv4c conform --target cpu --filter rmsnorm_3x512 | FileCheck %s --check-prefix=V4
// V4: conformance: 1 cases on cpu
// V4: v4.rmsnorm {{ *}}rmsnorm_{{[a-z0-9_]+}} {{.*}} PASS
// V4-NEXT: 1 of 1 cases passed
// RUN: dsv4c conform --target cpu --filter v4.model 2>&1 | FileCheck %s --check-prefix=MODEL
// MODEL: conformance: 1 cases on cpu
// MODEL: v4.model {{ *}}tiny_seed1_8+6_tokens {{ *}}1x1x1 {{.*}} 5e-02 {{ *}}PASS
// MODEL-NEXT: relative L2 of each step's logits (worst of 6 steps); argmax equal in 6/6
// MODEL-NEXT: 1 of 1 cases passed

// RUN: rm -rf %t && dsv4c conform --target cuda --export %t --filter dot_f32 2>/dev/null | FileCheck %s --check-prefix=EXPORT
// EXPORT: wrote {{.*}} (2 cases); run it with: dsv4-run conform
// RUN: FileCheck %s --check-prefix=PACK < %t/pack.json
// PACK: "format":"dsv4c-conformance-pack"
// PACK-SAME: "target":"cuda"
// PACK-SAME: "kernel":"dot"
// An input the kernel only reads is its own want (one file); the output
// starts as zeros (no input file) and has its want.
// PACK-SAME: {"kind":"buffer","input":"dot_f32_16x16x32/arg0.npy","want":"dot_f32_16x16x32/arg0.npy"}
// PACK-SAME: {"kind":"buffer","want":"dot_f32_16x16x32/want2.npy"}
// RUN: FileCheck %s --check-prefix=PTX < %t/dot_f32_16x16x32/kernel.code
// PTX: .visible .entry
// RUN: test -f %t/dot_f32_16x16x32/arg0.npy && test -f %t/dot_f32_16x16x32/want2.npy && test ! -e %t/dot_f32_16x16x32/want0.npy && test ! -e %t/dot_f32_16x16x32/arg2.npy

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

// A pack with the V4 kernel rows and the model ("v4." selects both): one
// shared program, the tiny checkpoint and the reference's logits.
// RUN: rm -rf %t.v4 && dsv4c conform --target opencl --export %t.v4 --filter v4. 2>/dev/null | FileCheck %s --check-prefix=V4EXPORT
// V4EXPORT: wrote {{.*}} ({{[0-9]+}} cases and the model); run it with: dsv4-run conform
// RUN: FileCheck %s --check-prefix=V4PACK < %t.v4/pack.json
// V4PACK: "version":2
// V4PACK-SAME: "op":"v4.swiglu"
// V4PACK-SAME: "code":"v4/kernels.code"
// V4PACK-SAME: "libraries":[{"code":"v4/kernels.code","kernels":[{"name":"compressor","argument_bytes":[8,
// V4PACK-SAME: "model":{"name":"tiny_seed1_8+6_tokens","checkpoint":"model","code":"v4/kernels.code","tokens":[5,17,42,99,3,250,77,8],"new_tokens":6,"want":"model_want_logits.npy","tolerance":0.05}
// RUN: test -f %t.v4/model/model.safetensors && test -f %t.v4/model/config.json && test -f %t.v4/model_want_logits.npy
// RUN: FileCheck %s --check-prefix=V4CODE < %t.v4/v4/kernels.code
// V4CODE: void dsv4c_sparse_attention(
//
// A model row naming a library the pack lacks is refused.
// RUN: sed -e 's|"code":"v4/kernels.code","tokens"|"code":"nosuch.code","tokens"|' %t.v4/pack.json > %t.v4/bad.json && mv %t.v4/bad.json %t.v4/pack.json
// RUN: not dsv4-run conform %t.v4 2>&1 | FileCheck %s --check-prefix=BADMODEL
// BADMODEL: pack.json: model: its code 'nosuch.code' is not under 'libraries'
//
// RUN: not dsv4c conform 2>&1 | FileCheck %s --check-prefix=NOTARGET
// NOTARGET: dsv4c conform: missing --target (cpu, cuda or opencl; see --help)
// RUN: not dsv4c conform --target tpu 2>&1 | FileCheck %s --check-prefix=BADTARGET
// BADTARGET: dsv4c conform: unknown target 'tpu' (this build conforms: cpu, cuda, opencl)
// RUN: not dsv4c conform --target cpu --export %t 2>&1 | FileCheck %s --check-prefix=CPUEXPORT
// CPUEXPORT: dsv4c conform: --export is for the cuda and opencl targets (cpu runs here)
// RUN: not dsv4c conform --target cpu --sm sm_80 2>&1 | FileCheck %s --check-prefix=SMCPU
// SMCPU: dsv4c conform: --sm is for --target cuda
// A pack for an older architecture (run on a newer GPU: its PTX is JIT-compiled).
// RUN: dsv4c conform --target cuda --sm sm_80 --filter rmsnorm --no-model --export %t/sm80 2>&1 | FileCheck %s --check-prefix=SM80
// SM80: wrote {{.*}}sm80
// RUN: grep -q "^.target sm_80" %t/sm80/v4/kernels.code
// RUN: not dsv4c conform --target cpu --filter nosuchcase 2>&1 | FileCheck %s --check-prefix=NOCASE
// NOCASE: dsv4c conform: no case matches 'nosuchcase'
// RUN: echo '{"format": "other"}' > %t/pack.json && not dsv4-run conform %t 2>&1 | FileCheck %s --check-prefix=BADPACK
// BADPACK: dsv4-run conform: {{.*}}pack.json: field 'format' is not "dsv4c-conformance-pack"
// RUN: not dsv4-run conform %t/nosuchdir 2>&1 | FileCheck %s --check-prefix=NOPACK
// NOPACK: dsv4-run conform: {{.*}}nosuchdir/pack.json
