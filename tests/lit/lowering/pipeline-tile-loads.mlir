// RUN: dsv4c opt %s --pipeline-tile-loads | FileCheck %s
// The pipelined V4 linear_fp8 (split-k over a ragged K: the load after a
// slice's last trip reads the next slice's first block) and head compute
// what they computed before, bit for bit, on the cpu target:
// RUN: rm -rf %t && mkdir -p %t
// RUN: dsv4c opt %dsv4c_src/models/v4/kernels/linear_fp8.mlir --pipeline-tile-loads -o %t/lf8.mlir
// RUN: dsv4c run-kernel %dsv4c_src/models/v4/kernels/linear_fp8.mlir --kernel linear_fp8 --grid 3,3,3 --arg x=random:37x4000 --arg xs=random:37x32 --arg w=random:150x4000 --arg ws=random:2x32 --arg y=zeros:37x150 --arg part=zeros:3x37x150 --arg sem=zeros:9 --arg m=37 --arg n=150 --arg k=4000 --arg splits=3 --out-dir %t/lf8 > /dev/null
// RUN: dsv4c run-kernel %t/lf8.mlir --kernel linear_fp8 --grid 3,3,3 --arg x=random:37x4000 --arg xs=random:37x32 --arg w=random:150x4000 --arg ws=random:2x32 --arg y=zeros:37x150 --arg part=zeros:3x37x150 --arg sem=zeros:9 --arg m=37 --arg n=150 --arg k=4000 --arg splits=3 --out-dir %t/lf8p > /dev/null
// RUN: cmp %t/lf8/part.npy %t/lf8p/part.npy
// RUN: cmp %t/lf8/y.npy %t/lf8p/y.npy
// RUN: cmp %t/lf8/sem.npy %t/lf8p/sem.npy
// RUN: dsv4c opt %dsv4c_src/models/v4/kernels/head.mlir --pipeline-tile-loads -o %t/head.mlir
// RUN: dsv4c run-kernel %dsv4c_src/models/v4/kernels/head.mlir --kernel head --grid 3,5 --arg xn=random:37x4096 --arg w=random:300x4096 --arg logits=zeros:37x300 --arg m=37 --arg d=4096 --arg v=300 --out-dir %t/head > /dev/null
// RUN: dsv4c run-kernel %t/head.mlir --kernel head --grid 3,5 --arg xn=random:37x4096 --arg w=random:300x4096 --arg logits=zeros:37x300 --arg m=37 --arg d=4096 --arg v=300 --out-dir %t/headp > /dev/null
// RUN: cmp %t/head/logits.npy %t/headp/logits.npy
// A load of contiguous rows with bounds, addressed from the induction
// variable, moves a trip ahead: the first tile is loaded before the loop,
// each trip loads the next trip's tile at its top and yields it, and works
// on the tile carried in. A masked load, a load without bounds and a load
// addressed from a carried value stay where they are.

// CHECK-LABEL: tile.kernel @sum_rows
// CHECK: %[[FIRST:.*]] = load %{{.*}}[%{{.*}}, %[[C0:.*]]] strides
// CHECK: scf.for %[[K:.*]] = %[[C0]] to %{{.*}} step %[[C64:.*]] iter_args(%[[ACC:.*]] = %{{.*}}, %[[CUR:.*]] = %[[FIRST]])
// CHECK-NEXT: %[[KN:.*]] = arith.addi %[[K]], %[[C64]]
// CHECK-NEXT: %[[NEXT:.*]] = tile.load %{{.*}}[%{{.*}}, %[[KN]]] strides
// CHECK-NOT: tile.load
// CHECK: tile.reduce sum %[[CUR]]
// CHECK: scf.yield %{{.*}}, %[[NEXT]]
tile.kernel @sum_rows(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %m: index,
                      %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %s0 = tile.splat %zero : tensor<16xf32>
  %s = scf.for %kk = %c0 to %k step %c64 iter_args(%acc = %s0) -> (tensor<16xf32>) {
    %t = tile.load %x[%c0, %kk] strides[%k, %c1] bounds[%m, %k]
        : !tile.ptr<f32> -> tensor<16x64xf32>
    %p = tile.reduce sum %t {dim = 1} : tensor<16x64xf32> -> tensor<16xf32>
    %n = arith.addf %acc, %p : tensor<16xf32>
    scf.yield %n : tensor<16xf32>
  }
  tile.store %s, %y[%c0] strides[%c1] bounds[%m] : tensor<16xf32> -> !tile.ptr<f32>
  tile.return
}

// CHECK-LABEL: tile.kernel @stays
// CHECK-NOT: load
// CHECK: scf.for %{{.*}} iter_args(%{{[a-z0-9]+}} = %{{[a-z0-9]+}}, %[[OFF:[a-z0-9]+]] = %{{[a-z0-9]+}}) -> (tensor<16x64xf32>, index) {
// CHECK-NEXT: tile.load %{{.*}}[%{{.*}}, %[[OFF]]] strides{{.*}} bounds
// CHECK-NEXT: tile.load {{.*}} strides[%{{.*}}, %{{.*}}] :
// CHECK: tile.load {{.*}} mask
tile.kernel @stays(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %m: index,
                   %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %s0 = tile.splat %zero : tensor<16x64xf32>
  %s:2 = scf.for %kk = %c0 to %k step %c64 iter_args(%acc = %s0, %off = %c0) -> (tensor<16x64xf32>, index) {
    %a = tile.load %x[%c0, %off] strides[%k, %c1] bounds[%m, %k]
        : !tile.ptr<f32> -> tensor<16x64xf32>
    %b = tile.load %x[%c0, %kk] strides[%k, %c1]
        : !tile.ptr<f32> -> tensor<16x64xf32>
    %i = tile.iota : tensor<64xi32>
    %c40 = arith.constant 40 : i32
    %lim = tile.splat %c40 : tensor<64xi32>
    %in1 = arith.cmpi slt, %i, %lim : tensor<64xi32>
    %in2 = tile.reshape %in1 : tensor<64xi1> -> tensor<1x64xi1>
    %in = tile.broadcast %in2 : tensor<1x64xi1> -> tensor<16x64xi1>
    %c = tile.load %x[%c0, %kk] strides[%k, %c1] mask %in
        : !tile.ptr<f32> -> tensor<16x64xf32>
    %ab = arith.addf %a, %b : tensor<16x64xf32>
    %abc = arith.addf %ab, %c : tensor<16x64xf32>
    %n = arith.addf %acc, %abc : tensor<16x64xf32>
    %offn = arith.addi %off, %c64 : index
    scf.yield %n, %offn : tensor<16x64xf32>, index
  }
  tile.store %s#0, %y[%c0, %c0] strides[%c64, %c1] bounds[%m, %c64] : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}

// A load whose bounds move with the trip (split-k's slices, summed) stays:
// its next-trip copy would read past the last slice.
// CHECK-LABEL: tile.kernel @moving_bounds
// CHECK-NOT: tile.load
// CHECK: scf.for %{{.*}} iter_args(%{{[a-z0-9]+}} = %{{[a-z0-9]+}}) -> (tensor<16x64xf32>) {
// CHECK: tile.load {{.*}} bounds
tile.kernel @moving_bounds(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %m: index,
                           %n: index, %splits: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %s0 = tile.splat %zero : tensor<16x64xf32>
  %s = scf.for %sp = %c0 to %splits step %c1 iter_args(%acc = %s0) -> (tensor<16x64xf32>) {
    %row = arith.muli %sp, %m : index
    %end = arith.addi %row, %m : index
    %t = tile.load %x[%row, %c0] strides[%n, %c1] bounds[%end, %n]
        : !tile.ptr<f32> -> tensor<16x64xf32>
    %a = arith.addf %acc, %t : tensor<16x64xf32>
    scf.yield %a : tensor<16x64xf32>
  }
  tile.store %s, %y[%c0, %c0] strides[%n, %c1] bounds[%m, %n] : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}
