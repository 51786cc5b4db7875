// RUN: dsv4c opt %s --fuse-elementwise-tiles --canonicalize | FileCheck %s
// Cheap elementwise chains (a tile load's generate, a cast, arith) become
// one generic that computes each element where it is used.

// CHECK-LABEL: func.func @chain
// CHECK-NOT: tensor.generate
// CHECK: %[[R:.*]] = linalg.generic {{.*}}outs(
// CHECK: linalg.index 0
// CHECK: llvm.load
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
#id = affine_map<(i, j) -> (i, j)>
func.func @chain(%p: !llvm.ptr) -> tensor<4x8xf32> {
  %g = tensor.generate {
  ^bb0(%i: index, %j: index):
    %c8 = arith.constant 8 : index
    %r = arith.muli %i, %c8 : index
    %o = arith.addi %r, %j : index
    %o64 = arith.index_cast %o : index to i64
    %a = llvm.getelementptr %p[%o64] : (!llvm.ptr, i64) -> !llvm.ptr, bf16
    %v = llvm.load %a : !llvm.ptr -> bf16
    tensor.yield %v : bf16
  } : tensor<4x8xbf16>
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g : tensor<4x8xbf16>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: bf16, %out: f32):
    %y = arith.extf %x : bf16 to f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%f : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %x : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  return %sq : tensor<4x8xf32>
}

// A load is not moved past a store: the generic that reads %p stays before
// the store, and its consumer after the store reads its result (in place:
// nothing else reads it).
// CHECK-LABEL: func.func @load_store_load
// CHECK: %[[L:.*]] = linalg.generic
// CHECK: llvm.load
// CHECK: llvm.store
// CHECK: linalg.generic {{.*}}outs(%[[L]] :
// CHECK: arith.negf
func.func @load_store_load(%p: !llvm.ptr, %v: f32) -> tensor<8xf32> {
  %g = tensor.generate {
  ^bb0(%i: index):
    %o64 = arith.index_cast %i : index to i64
    %a = llvm.getelementptr %p[%o64] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %x = llvm.load %a : !llvm.ptr -> f32
    tensor.yield %x : f32
  } : tensor<8xf32>
  llvm.store %v, %p : f32, !llvm.ptr
  %e = tensor.empty() : tensor<8xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%g : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.negf %x : f32
    linalg.yield %y : f32
  } -> tensor<8xf32>
  return %n : tensor<8xf32>
}

// An element that is a loop (a reduction's fold) is computed once, not in
// each consumer: the generate stays, and so does the consumer's generic.
// CHECK-LABEL: func.func @loop_element
// CHECK: tensor.generate
// CHECK: scf.for
// CHECK: linalg.generic
func.func @loop_element(%t: tensor<4x64xf32>) -> tensor<4xf32> {
  %s = tensor.generate {
  ^bb0(%i: index):
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %z = arith.constant 0.0 : f32
    %r = scf.for %k = %c0 to %c64 step %c1 iter_args(%a = %z) -> (f32) {
      %x = tensor.extract %t[%i, %k] : tensor<4x64xf32>
      %b = arith.addf %a, %x : f32
      scf.yield %b : f32
    }
    tensor.yield %r : f32
  } : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%s : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.negf %x : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  return %n : tensor<4xf32>
}

// Generics marked for later passes are neither fused nor fused into.
// CHECK-LABEL: func.func @marked
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: linalg.generic {{.*}}dsv4c.warp_reduce = "sum"
func.func @marked(%t: tensor<4x64xf32>, %acc: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x64xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.negf %x : f32
    linalg.yield %y : f32
  } -> tensor<4x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%n : tensor<4x64xf32>) outs(%acc : tensor<4xf32>)
      attrs = {dsv4c.warp_reduce = "sum"} {
  ^bb0(%x: f32, %a: f32):
    %y = arith.addf %a, %x : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// A running sum writes into the loop-carried tile it reads (nothing else
// reads it), so bufferization updates one buffer in place; an input that
// is read again later is not written over.
// CHECK-LABEL: func.func @running_sum
// CHECK: scf.for {{.*}}iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<4xf32>)
// CHECK: linalg.generic {{.*}}ins(%{{.*}} : tensor<4xf32>) outs(%[[ACC]] : tensor<4xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>) outs(%{{.*}} : tensor<4xf32>)
#v = affine_map<(i) -> (i)>
func.func @running_sum(%init: tensor<4xf32>, %part: tensor<4xf32>, %n: index) -> (tensor<4xf32>, tensor<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<4xf32>) {
    %e = tensor.empty() : tensor<4xf32>
    %next = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
        ins(%acc, %part : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%a: f32, %b: f32, %out: f32):
      %y = arith.addf %a, %b : f32
      linalg.yield %y : f32
    } -> tensor<4xf32>
    scf.yield %next : tensor<4xf32>
  }
  %e2 = tensor.empty() : tensor<4xf32>
  %twice = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
      ins(%sum, %part : tensor<4xf32>, tensor<4xf32>) outs(%e2 : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %y = arith.mulf %a, %b : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  return %twice, %sum : tensor<4xf32>, tensor<4xf32>
}

// A store nest (scf.parallel marked dsv4c.store_nest) computes the cheap
// element it stores where it stores it: the cast is no generic of its own
// (no tile buffer, no loop and barrier), and the nest reads the loaded tile.
// CHECK-LABEL: func.func @into_store_nest
// CHECK-NOT: linalg.generic
// CHECK: scf.parallel
// CHECK: tensor.extract %arg1
// CHECK: arith.truncf
// CHECK: llvm.store
// CHECK: dsv4c.store_nest
func.func @into_store_nest(%p: !llvm.ptr, %t: tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xbf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x8xf32>) outs(%e : tensor<4x8xbf16>) {
  ^bb0(%x: f32, %out: bf16):
    %y = arith.truncf %x : f32 to bf16
    linalg.yield %y : bf16
  } -> tensor<4x8xbf16>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = tensor.extract %h[%i, %j] : tensor<4x8xbf16>
    %r = arith.muli %i, %c8 : index
    %o = arith.addi %r, %j : index
    %o64 = arith.index_cast %o : index to i64
    %a = llvm.getelementptr %p[%o64] : (!llvm.ptr, i64) -> !llvm.ptr, bf16
    llvm.store %v, %a : bf16, !llvm.ptr
    scf.reduce
  } {dsv4c.store_nest}
  return
}

// A nest whose mark the canonicalizer dropped (it rebuilds a nest without
// its unit dims) is still a store nest when it stores to global memory.
// CHECK-LABEL: func.func @unmarked_store_nest
// CHECK-NOT: linalg.generic
// CHECK: scf.parallel
// CHECK: arith.truncf
// CHECK: llvm.store
func.func @unmarked_store_nest(%p: !llvm.ptr, %t: tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xbf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x8xf32>) outs(%e : tensor<4x8xbf16>) {
  ^bb0(%x: f32, %out: bf16):
    %y = arith.truncf %x : f32 to bf16
    linalg.yield %y : bf16
  } -> tensor<4x8xbf16>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = tensor.extract %h[%i, %j] : tensor<4x8xbf16>
    %r = arith.muli %i, %c8 : index
    %o = arith.addi %r, %j : index
    %o64 = arith.index_cast %o : index to i64
    %a = llvm.getelementptr %p[%o64] : (!llvm.ptr, i64) -> !llvm.ptr, bf16
    llvm.store %v, %a : bf16, !llvm.ptr
    scf.reduce
  }
  return
}

// Any other nest (here one that fills a buffer) keeps reading the computed
// tile.
// CHECK-LABEL: func.func @not_a_store_nest
// CHECK: linalg.generic
// CHECK: scf.parallel
func.func @not_a_store_nest(%m: memref<4x8xbf16>, %t: tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xbf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x8xf32>) outs(%e : tensor<4x8xbf16>) {
  ^bb0(%x: f32, %out: bf16):
    %y = arith.truncf %x : f32 to bf16
    linalg.yield %y : bf16
  } -> tensor<4x8xbf16>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = tensor.extract %h[%i, %j] : tensor<4x8xbf16>
    memref.store %v, %m[%i, %j] : memref<4x8xbf16>
    scf.reduce
  }
  return
}

// A warp reduction folds the squares straight from the loaded tile: the
// generate-style squares (tensor.extract at their own indices) become an
// input, and the marked generic keeps its mark.
// CHECK-LABEL: func.func @into_warp_reduce
// CHECK-NOT: linalg.generic {{.*}}outs(%{{.*}} : tensor<4x32xf32>)
// CHECK: linalg.generic {{.*}}ins(%arg0 : tensor<4x32xbf16>){{.*}}dsv4c.warp_reduce = "sum"
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: arith.addf
#row = affine_map<(i, j) -> (i)>
func.func @into_warp_reduce(%t: tensor<4x32xbf16>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x32xf32>
  %sq = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<4x32xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %x = tensor.extract %t[%i, %j] : tensor<4x32xbf16>
    %xf = arith.extf %x : bf16 to f32
    %y = arith.mulf %xf, %xf : f32
    linalg.yield %y : f32
  } -> tensor<4x32xf32>
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%o : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : tensor<4x32xf32>) outs(%init : tensor<4xf32>) attrs = {dsv4c.warp_reduce = "sum"} {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// A unit dim's index is the constant 0 in a generate's read: it becomes an
// input at a constant map result, and the squares still fuse.
// CHECK-LABEL: func.func @unit_dim_reduce
// CHECK: linalg.generic {{.*}}ins(%arg0 : tensor<1x4x32xbf16>){{.*}}dsv4c.warp_reduce = "sum"
#id3 = affine_map<(i, j, k) -> (i, j, k)>
#row3 = affine_map<(i, j, k) -> (i, j)>
func.func @unit_dim_reduce(%t: tensor<1x4x32xbf16>) -> tensor<1x4xf32> {
  %c0 = arith.constant 0 : index
  %e = tensor.empty() : tensor<1x4x32xf32>
  %sq = linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%e : tensor<1x4x32xf32>) {
  ^bb0(%out: f32):
    %j = linalg.index 1 : index
    %k = linalg.index 2 : index
    %x = tensor.extract %t[%c0, %j, %k] : tensor<1x4x32xbf16>
    %xf = arith.extf %x : bf16 to f32
    %y = arith.mulf %xf, %xf : f32
    linalg.yield %y : f32
  } -> tensor<1x4x32xf32>
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<1x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%o : tensor<1x4xf32>) -> tensor<1x4xf32>
  %r = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%sq : tensor<1x4x32xf32>) outs(%init : tensor<1x4xf32>) attrs = {dsv4c.warp_reduce = "sum"} {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
