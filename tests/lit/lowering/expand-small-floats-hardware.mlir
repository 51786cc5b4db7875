// RUN: dsv4c opt %s --expand-small-floats=hardware-e4m3 | FileCheck %s
// RUN: dsv4c opt %s --expand-small-floats | FileCheck %s --check-prefix=SOFT

// With hardware-e4m3, f8E4M3FN -> f32 is a call of the target's
// conversion (declared once); other small-float conversions, and e4m3 ->
// other widths, stay integer code.
// CHECK: func.func private @dsv4c.e4m3_to_f32(i8) -> f32
// CHECK-LABEL: func.func @ext_e4m3(
// CHECK: %[[CODE:.*]] = arith.bitcast %{{.*}} : f8E4M3FN to i8
// CHECK: %[[X:.*]] = call @dsv4c.e4m3_to_f32(%[[CODE]]) : (i8) -> f32
// CHECK: return %[[X]]
// CHECK-LABEL: func.func @ext_e2m1(
// CHECK-NOT: dsv4c.e4m3_to_f32
// CHECK: arith.uitofp
// CHECK-LABEL: func.func @trunc_e4m3(
// CHECK-NOT: dsv4c.e4m3_to_f32
// CHECK: arith.minui
// SOFT-NOT: dsv4c.e4m3_to_f32
func.func @ext_e4m3(%x: f8E4M3FN) -> f32 {
  %0 = arith.extf %x : f8E4M3FN to f32
  return %0 : f32
}

func.func @ext_e2m1(%x: f4E2M1FN) -> f32 {
  %0 = arith.extf %x : f4E2M1FN to f32
  return %0 : f32
}

func.func @trunc_e4m3(%x: f32) -> f8E4M3FN {
  %0 = arith.truncf %x : f32 to f8E4M3FN
  return %0 : f8E4M3FN
}
