// `dsv4c run-kernel` compiles this file's kernel, runs it and checks it.
// RUN: dsv4c run-kernel %s --grid 3 --arg x=random:37 --arg o=zeros:37 --arg n=37 --check | FileCheck %s
// CHECK: @double_exp on cpu, grid 3,1,1
// CHECK: x: 37xf32  first values:
// CHECK: o: 37xf32  first values:
// CHECK: check o vs reference: max abs error {{[0-9.e-]+}}

// The reference target runs the same file; outputs round-trip through .npy.
// RUN: rm -rf %t && mkdir -p %t
// RUN: dsv4c run-kernel %s --target reference --grid 3 --arg x=random:37 --arg o=zeros:37 --arg n=37 --out-dir %t | FileCheck %s --check-prefix=REF
// REF: @double_exp on reference
// RUN: dsv4c run-kernel %s --grid 3 --arg x=%t/x.npy --arg o=zeros:37 --arg n=37 --out-dir %t/again
// RUN: cmp %t/x.npy %t/again/x.npy

// Bad input: one clear message and exit status 1.
// RUN: not dsv4c run-kernel %s --grid 1 --arg x=random:4 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: @double_exp takes 3 arguments (!tile.ptr<f32>, !tile.ptr<f32>, index), but 1 --arg was given
// RUN: not dsv4c run-kernel %s --grid 0 --arg x=random:4 --arg o=zeros:4 --arg n=4 2>&1 | FileCheck %s --check-prefix=GRID
// GRID: dsv4c run-kernel: {{.*}}grid
// RUN: not dsv4c run-kernel %t/missing.mlir --grid 1 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: cannot open input file '{{.*}}missing.mlir'
tile.kernel @double_exp(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %p = tile.program_id 0
  %off = arith.muli %p, %c16 : index
  %t = tile.load %x[%off] strides[%c1] bounds[%n] : !tile.ptr<f32> -> tensor<16xf32>
  %e = math.exp %t : tensor<16xf32>
  %d = arith.addf %e, %e : tensor<16xf32>
  tile.store %d, %o[%off] strides[%c1] bounds[%n] : tensor<16xf32> -> !tile.ptr<f32>
  tile.return
}
