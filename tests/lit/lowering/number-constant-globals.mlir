// RUN: dsv4c opt %s --number-constant-globals | FileCheck %s
// Constant globals are renamed dsv4c_const_<k> by their first use in module
// order and move to the top in that order; other globals keep their names.

// CHECK: module {
// CHECK-NEXT: memref.global "private" constant @dsv4c_const_0 : memref<2xi32> = dense<[3, 4]>
// CHECK-NEXT: memref.global "private" constant @dsv4c_const_1 : memref<2xi32> = dense<[1, 2]>
// CHECK: memref.global "private" @scratch : memref<2xi32>
// CHECK-LABEL: func.func @first
// CHECK: memref.get_global @dsv4c_const_0
// CHECK: memref.get_global @scratch
// CHECK-LABEL: func.func @second
// CHECK: memref.get_global @dsv4c_const_1
// CHECK: memref.get_global @dsv4c_const_0
module {
  memref.global "private" constant @__constant_2xi32 : memref<2xi32> = dense<[1, 2]>
  memref.global "private" constant @__constant_2xi32_0 : memref<2xi32> = dense<[3, 4]>
  memref.global "private" @scratch : memref<2xi32>
  func.func @first() -> (memref<2xi32>, memref<2xi32>) {
    %a = memref.get_global @__constant_2xi32_0 : memref<2xi32>
    %s = memref.get_global @scratch : memref<2xi32>
    return %a, %s : memref<2xi32>, memref<2xi32>
  }
  func.func @second() -> (memref<2xi32>, memref<2xi32>) {
    %b = memref.get_global @__constant_2xi32 : memref<2xi32>
    %a = memref.get_global @__constant_2xi32_0 : memref<2xi32>
    return %b, %a : memref<2xi32>, memref<2xi32>
  }
}
