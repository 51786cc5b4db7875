// RUN: dsv4c opt %s --distribute-to-threads | FileCheck %s
// The outermost parallel loop of a program is shared out over the threads
// (strided by the thread count, delinearised) between barriers; a write
// outside it runs on thread 0 between barriers; the rest runs on every
// thread. A loop outside the parallel loops that writes memory and yields a
// value is left for one thread. Private helpers are left alone.

// CHECK-DAG: func.func private @dsv4c.thread_id() -> index
// CHECK-DAG: func.func private @dsv4c.num_threads() -> index
// CHECK-DAG: func.func private @dsv4c.barrier()
// CHECK-DAG: func.func private @dsv4c.single_thread()

// CHECK-LABEL: func.func @fill
// CHECK: %[[TID:[a-z0-9]+]] = call @dsv4c.thread_id()
// CHECK: %[[NT:[a-z0-9]+]] = call @dsv4c.num_threads()
// CHECK: memref.alloc()
// CHECK: call @dsv4c.barrier()
// CHECK: scf.for %[[L:[a-z0-9]+]] = %[[TID]] to %{{[a-z0-9]+}} step %[[NT]] {
// CHECK: arith.remui %[[L]]
// CHECK: arith.divui %[[L]]
// CHECK: memref.store
// CHECK-NOT: scf.parallel
// CHECK: }
// CHECK-NEXT: call @dsv4c.barrier()
// CHECK-NEXT: memref.load
// CHECK-NEXT: call @dsv4c.barrier()
// CHECK: %[[FIRST:[a-z0-9]+]] = arith.cmpi eq, %[[TID]]
// CHECK: scf.if %[[FIRST]] {
// CHECK-NEXT: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: call @dsv4c.barrier()
// CHECK-NEXT: memref.dealloc
func.func @fill(%out: memref<4x8xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %buf = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    memref.store %x, %buf[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  %v = memref.load %buf[%c0, %c0] : memref<4x8xf32>
  memref.store %v, %out[%c0, %c1] : memref<4x8xf32>
  memref.dealloc %buf : memref<4x8xf32>
  return
}

// CHECK-LABEL: func.func @prefix_sum
// CHECK-NEXT: call @dsv4c.single_thread()
// CHECK-NOT: call @dsv4c.barrier
// CHECK: return
func.func @prefix_sum(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %z) -> f32 {
    %v = memref.load %a[%i] : memref<8xf32>
    %s = arith.addf %acc, %v : f32
    memref.store %s, %a[%i] : memref<8xf32>
    scf.yield %s : f32
  }
  memref.store %r, %a[%c0] : memref<8xf32>
  return
}

// A store to the thread's own stack runs on every thread.
// CHECK-LABEL: func.func @private_scratch
// CHECK-NOT: scf.if
// CHECK: memref.store
// CHECK-NOT: dsv4c.barrier
// CHECK: return
func.func @private_scratch(%x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %s = memref.alloca() : memref<1xf32>
  memref.store %x, %s[%c0] : memref<1xf32>
  %v = memref.load %s[%c0] : memref<1xf32>
  return %v : f32
}

// CHECK-LABEL: func.func private @helper
// CHECK-NOT: dsv4c
// CHECK: return
func.func private @helper(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  memref.store %z, %a[%c0] : memref<8xf32>
  return
}

// A nest of asynchronous copies (convert-tile-to-cpu async-copies): each
// thread waits for its own copies before the barrier that ends the nest.
// CHECK-LABEL: func.func @async_copies
// CHECK: scf.for
// CHECK: call @dsv4c.copy_async.16
// CHECK: }
// CHECK-NEXT: call @dsv4c.copy_async_wait()
// CHECK-NEXT: call @dsv4c.barrier()
func.func private @dsv4c.copy_async.16(i64, i64, i32)
func.func private @dsv4c.copy_async_wait()
func.func @async_copies(%dst: i64, %src: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %n = arith.constant 16 : i32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %o = arith.index_cast %i : index to i64
    %d = arith.addi %dst, %o : i64
    %s = arith.addi %src, %o : i64
    func.call @dsv4c.copy_async.16(%d, %s, %n) : (i64, i64, i32) -> ()
    scf.reduce
  }
  func.call @dsv4c.copy_async_wait() : () -> ()
  return
}
