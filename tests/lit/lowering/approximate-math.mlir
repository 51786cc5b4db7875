// RUN: dsv4c opt %s --approximate-math | FileCheck %s
// Transcendental f32 math becomes polynomial arithmetic (fma, floor): no
// libm or libdevice call is left for a GPU backend.
// CHECK-LABEL: func.func @f
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.sin
// CHECK-NOT: math.cos
// CHECK-NOT: math.powf
// CHECK-NOT: math.tanh
// CHECK: math.fma
func.func @f(%x: f32, %y: f32) -> (f32, f32, f32, f32, f32, f32) {
  %a = math.exp %x : f32
  %b = math.log %x : f32
  %c = math.sin %x : f32
  %d = math.cos %x : f32
  %e = math.powf %x, %y : f32
  %f = math.tanh %x : f32
  return %a, %b, %c, %d, %e, %f : f32, f32, f32, f32, f32, f32
}
