// RUN: dsv4c opt %s --convert-tile-to-cpu --split-input-file | FileCheck %s

// A kernel becomes a host function reading its arguments from `void **args`,
// with the grid coordinates and extents as the six trailing i64 arguments.
// CHECK-LABEL: func.func @add(
// CHECK-SAME: %[[ARGS:.*]]: !llvm.ptr, %[[P0:.*]]: i64, %{{.*}}: i64, %{{.*}}: i64, %[[N0:.*]]: i64, %{{.*}}: i64, %{{.*}}: i64)
// CHECK: %[[SLOT0:.*]] = llvm.getelementptr %[[ARGS]][0]
// CHECK: %[[XSLOT:.*]] = llvm.load %[[SLOT0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[X:.*]] = llvm.load %[[XSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: builtin.unrealized_conversion_cast %[[X]] : !llvm.ptr to !tile.ptr<f32>
// Index scalars travel as i64.
// CHECK: llvm.getelementptr %[[ARGS]][2]
// CHECK: %[[NPTR:.*]] = llvm.load
// CHECK: %[[N:.*]] = llvm.load %[[NPTR]] : !llvm.ptr -> i64
// CHECK: arith.index_cast %[[N]] : i64 to index
// CHECK-DAG: arith.index_cast %[[P0]] : i64 to index
// CHECK-DAG: arith.index_cast %[[N0]] : i64 to index
// A bounded load is a tensor.generate that reads only in-bounds elements.
// CHECK: tensor.generate
// CHECK: %[[IN:.*]] = arith.cmpi slt
// CHECK: scf.if %[[IN]] -> (f32)
// CHECK: llvm.getelementptr {{.*}} -> !llvm.ptr, f32
// CHECK: llvm.load {{.*}} -> f32
// CHECK: } else {
// CHECK: } : tensor<16xf32>
// Elementwise arith stays on tensors for convert-elementwise-to-linalg.
// CHECK: arith.addf {{.*}} : tensor<16xf32>
// A store is a loop nest of guarded scalar stores.
// CHECK: scf.for
// CHECK: scf.if
// CHECK: tensor.extract
// CHECK: llvm.store {{.*}} : f32, !llvm.ptr
// CHECK: return
// CHECK-NOT: tile.
tile.kernel @add(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %p = tile.program_id 0
  %np = tile.num_programs 0
  %off = arith.muli %p, %c16 : index
  %a = tile.load %x[%off] strides[%c1] bounds[%n] : !tile.ptr<f32> -> tensor<16xf32>
  %s = arith.addf %a, %a : tensor<16xf32>
  tile.store %s, %o[%off] strides[%c1] bounds[%np] : tensor<16xf32> -> !tile.ptr<f32>
  tile.return
}

// -----

// Layouts are dropped on the CPU; f4E2M1FN loads read one nibble of a byte.
// CHECK-LABEL: func.func @layouts_and_fp4(
// CHECK-NOT: #tile
// CHECK: arith.divui
// CHECK: llvm.load {{.*}} -> i8
// CHECK: arith.remui
// CHECK: arith.shrui
// CHECK: arith.trunci {{.*}} : i8 to i4
// CHECK: arith.bitcast {{.*}} : i4 to f4E2M1FN
// CHECK: } : tensor<8x16xf4E2M1FN>
#blocked = #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerProgram = [2, 1], order = [1, 0]>
tile.kernel @layouts_and_fp4(%w: !tile.ptr<f4E2M1FN>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %t = tile.load %w[%c0, %c0] strides[%c16, %c1] : !tile.ptr<f4E2M1FN> -> tensor<8x16xf4E2M1FN, #blocked>
  %f = tile.cast %t : tensor<8x16xf4E2M1FN, #blocked> -> tensor<8x16xf32, #blocked>
  tile.store %f, %o[%c0, %c0] strides[%c16, %c1] : tensor<8x16xf32, #blocked> -> !tile.ptr<f32>
  tile.return
}

// -----

// Reductions fold in f32; top-k is a loop nest that threads its result
// tensors through iter_args.
// CHECK-LABEL: func.func @reduce_topk(
// CHECK: tensor.generate
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32)
// CHECK: arith.maximumf
// CHECK: tensor.empty() : tensor<4x2xf32>
// CHECK: tensor.empty() : tensor<4x2xi32>
// CHECK: scf.for {{.*}} -> (tensor<4x2xf32>, tensor<4x2xi32>)
// CHECK: tensor.insert
tile.kernel @reduce_topk(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %i: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %t = tile.load %x[%c0, %c0] strides[%c8, %c1] : !tile.ptr<f32> -> tensor<4x8xf32>
  %m = tile.reduce max %t {dim = 1} : tensor<4x8xf32> -> tensor<4xf32>
  tile.store %m, %o[%c0] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %v, %idx = tile.topk %t {k = 2} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  tile.store %idx, %i[%c0, %c0] strides[%c2, %c1] : tensor<4x2xi32> -> !tile.ptr<i32>
  tile.return
}

// -----

// A splat that starts two loops' carried tiles becomes one splat per loop,
// made just before it: one-shot bufferization would otherwise copy the
// shared buffer for the first loop.
// CHECK-LABEL: func.func @splat_per_loop(
// CHECK: %[[CST:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[Z1:.*]] = tensor.generate
// CHECK-NEXT: ^bb0
// CHECK-NEXT: tensor.yield %[[CST]] : f32
// CHECK-NEXT: } : tensor<4xf32>
// CHECK-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %[[Z1]])
// CHECK: arith.addf
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[Z2:.*]] = tensor.generate
// CHECK-NEXT: ^bb0
// CHECK-NEXT: tensor.yield %[[CST]] : f32
// CHECK-NEXT: } : tensor<4xf32>
// CHECK-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %[[Z2]])
tile.kernel @splat_per_loop(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %z = tile.splat %zero : tensor<4xf32>
  %a = scf.for %k = %c0 to %n step %c4 iter_args(%acc = %z) -> (tensor<4xf32>) {
    %t = tile.load %x[%k] strides[%c1] bounds[%n] : !tile.ptr<f32> -> tensor<4xf32>
    %s = arith.addf %acc, %t : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  %b = scf.for %k = %c0 to %n step %c4 iter_args(%acc = %z) -> (tensor<4xf32>) {
    %t = tile.load %x[%k] strides[%c1] bounds[%n] : !tile.ptr<f32> -> tensor<4xf32>
    %s = arith.mulf %acc, %t : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  %r = arith.addf %a, %b : tensor<4xf32>
  tile.store %r, %o[%c0] strides[%c1] bounds[%c4] : tensor<4xf32> -> !tile.ptr<f32>
  tile.return
}
