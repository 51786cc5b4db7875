// RUN: dsv4c opt %s --convert-tile-to-cpu | FileCheck %s --check-prefix=CPU
// RUN: dsv4c opt %s --convert-tile-to-cpu --canonicalize --one-shot-bufferize="bufferize-function-boundaries" --distribute-to-threads | FileCheck %s --check-prefix=GPU
// RUN: dsv4c opt %s --dsv4c-cpu-pipeline -o /dev/null
// RUN: dsv4c opt %s --dsv4c-gpu-pipeline="atomic-scope=device" | FileCheck %s --check-prefix=FULL

// The whole GPU pipeline keeps both adds on thread zero (not the one-thread
// fallback) and scopes the helper's add and fences as asked.
// FULL-LABEL: llvm.func @arrive(
// FULL-NOT: call @dsv4c.single_thread
// FULL: llvm.call @tile_atomic_add_i32
// FULL: llvm.call @tile_atomic_add_i32
// FULL-LABEL: llvm.func internal @tile_atomic_add_i32(
// FULL-NEXT: llvm.fence syncscope("device") release
// FULL-NEXT: llvm.atomicrmw add %{{.*}}, %{{.*}} syncscope("device") acq_rel
// FULL-NEXT: llvm.fence syncscope("device") acquire

// tile.atomic_add: one acquire-release add between fences, in a helper
// function of the module (ownership-based deallocation refuses
// llvm.atomicrmw in a func.func); its old value goes through a one-word
// buffer that every thread reads.
// CPU-LABEL: func.func @arrive(
// CPU: %[[OLD:.*]] = memref.alloc() : memref<1xi32>
// CPU: %[[ADDR:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i32
// CPU: %[[PRIOR:.*]] = llvm.call @tile_atomic_add_i32(%[[ADDR]], %{{.*}}) : (!llvm.ptr, i32) -> i32
// CPU: memref.store %[[PRIOR]], %[[OLD]][%[[Z:.*]]] : memref<1xi32>
// CPU: memref.load %[[OLD]][%[[Z]]] : memref<1xi32>
// CPU-LABEL: llvm.func internal @tile_atomic_add_i32(
// CPU-NEXT: llvm.fence release
// CPU-NEXT: llvm.atomicrmw add %{{.*}}, %{{.*}} acq_rel : !llvm.ptr, i32
// CPU-NEXT: llvm.fence acquire
// CPU-NEXT: llvm.return
// CPU-NOT: llvm.func internal @tile_atomic_add_i32

// On a GPU the add and the store of its old value are thread zero's, between
// barriers; every thread loads the value after the second barrier.
// GPU-LABEL: func.func @arrive(
// GPU: %[[TID:.*]] = call @dsv4c.thread_id()
// GPU: call @dsv4c.barrier()
// GPU-NEXT: %[[C0:.*]] = arith.constant 0 : index
// GPU-NEXT: %[[FIRST:.*]] = arith.cmpi eq, %[[TID]], %[[C0]] : index
// GPU-NEXT: scf.if %[[FIRST]] {
// GPU-NEXT: %[[PRIOR:.*]] = llvm.call @tile_atomic_add_i32(
// GPU-NEXT: memref.store %[[PRIOR]], %[[OLD:.*]][%{{.*}}] : memref<1xi32>
// GPU-NEXT: }
// GPU-NEXT: call @dsv4c.barrier()
// GPU-NEXT: memref.load %[[OLD]]
// GPU-NOT: dsv4c.single_thread
tile.kernel @arrive(%counters: !tile.ptr<i32>, %seen: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  %pid = tile.program_id 0
  %before = tile.atomic_add %counters[%c0], %one : !tile.ptr<i32>
  // A second counter, the same helper.
  %again = tile.atomic_add %counters[%c1], %one : !tile.ptr<i32>
  %sum = arith.addi %before, %again : i32
  %t = tile.splat %sum : tensor<1xi32>
  tile.store %t, %seen[%pid] strides[%c1] : tensor<1xi32> -> !tile.ptr<i32>
  tile.return
}
