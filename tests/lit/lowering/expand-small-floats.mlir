// RUN: dsv4c opt %s --expand-small-floats --split-input-file | FileCheck %s

// f8E4M3FN -> f32 decodes the code: rebias the exponent, widen the mantissa,
// handle subnormals and NaN.
// CHECK-LABEL: func.func @ext_e4m3(
// CHECK-NOT: arith.extf
// CHECK: arith.bitcast %{{.*}} : f8E4M3FN to i8
// CHECK: arith.extui {{.*}} : i8 to i32
// CHECK: arith.uitofp
// CHECK: arith.bitcast {{.*}} : i32 to f32
func.func @ext_e4m3(%x: f8E4M3FN) -> f32 {
  %0 = arith.extf %x : f8E4M3FN to f32
  return %0 : f32
}

// -----

// f32 -> f4E2M1FN rounds to nearest even (subnormal range through
// roundeven), saturates with a min against the largest code, and keeps the
// sign in bit 3.
// CHECK-LABEL: func.func @trunc_e2m1(
// CHECK-NOT: arith.truncf
// CHECK: math.roundeven
// CHECK: arith.minui {{.*}}, %c7_i32
// CHECK: arith.trunci {{.*}} : i32 to i4
// CHECK: arith.bitcast {{.*}} : i4 to f4E2M1FN
func.func @trunc_e2m1(%x: f32) -> f4E2M1FN {
  %0 = arith.truncf %x : f32 to f4E2M1FN
  return %0 : f4E2M1FN
}

// -----

// Small-float constants become integer codes (448.0 is 0x7E in e4m3, 2^-3
// is 124 in e8m0), ops on supported types are untouched.
// CHECK-LABEL: func.func @constants(
// CHECK-DAG: arith.constant 126 : i8
// CHECK-DAG: arith.constant 124 : i8
// CHECK-DAG: arith.bitcast {{.*}} : i8 to f8E4M3FN
// CHECK-DAG: arith.bitcast {{.*}} : i8 to f8E8M0FNU
// CHECK: arith.truncf {{.*}} : f32 to bf16
func.func @constants(%x: f32) -> (f8E4M3FN, f8E8M0FNU, bf16) {
  %a = arith.constant 448.0 : f8E4M3FN
  %b = arith.constant 0.125 : f8E8M0FNU
  %c = arith.truncf %x : f32 to bf16
  return %a, %b, %c : f8E4M3FN, f8E8M0FNU, bf16
}
