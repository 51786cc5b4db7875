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

// A nest of asynchronous copies (convert-tile-to-cpu async-copies) whose
// buffers cannot be told (raw addresses): each thread waits for its own
// copies right after it, then the barrier.
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

// Waits move down to the first op that reads a copied buffer: two nests of
// copies side by side are issued back to back and one wait (and barrier)
// covers both, right before the first reader.
// CHECK-LABEL: func.func @copies_in_flight_together
// CHECK: scf.for
// CHECK: call @dsv4c.copy_async.16
// CHECK: }
// CHECK-NOT: call @dsv4c.copy_async_wait
// CHECK-NOT: call @dsv4c.barrier
// CHECK: scf.for
// CHECK: call @dsv4c.copy_async.16
// CHECK: }
// CHECK-NEXT: call @dsv4c.copy_async_wait()
// CHECK-NEXT: call @dsv4c.barrier()
// CHECK-NOT: copy_async_wait
// CHECK: memref.load %[[A:.*]][
// CHECK: return
func.func @copies_in_flight_together(%src: i64, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %n = arith.constant 16 : i32
  %a = memref.alloc() : memref<64xf32>
  %b = memref.alloc() : memref<64xf32>
  %pa = memref.extract_aligned_pointer_as_index %a : memref<64xf32> -> index
  %da = arith.index_cast %pa : index to i64
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %o = arith.index_cast %i : index to i64
    %d = arith.addi %da, %o : i64
    %s = arith.addi %src, %o : i64
    func.call @dsv4c.copy_async.16(%d, %s, %n) : (i64, i64, i32) -> ()
    scf.reduce
  }
  func.call @dsv4c.copy_async_wait() : () -> ()
  %pb = memref.extract_aligned_pointer_as_index %b : memref<64xf32> -> index
  %db = arith.index_cast %pb : index to i64
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %o = arith.index_cast %i : index to i64
    %d = arith.addi %db, %o : i64
    %s = arith.addi %src, %o : i64
    func.call @dsv4c.copy_async.16(%d, %s, %n) : (i64, i64, i32) -> ()
    scf.reduce
  }
  func.call @dsv4c.copy_async_wait() : () -> ()
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %x = memref.load %a[%i] : memref<64xf32>
    %y = memref.load %b[%i] : memref<64xf32>
    %z = arith.addf %x, %y : f32
    memref.store %z, %out[%i] : memref<64xf32>
    scf.reduce
  }
  memref.dealloc %a : memref<64xf32>
  memref.dealloc %b : memref<64xf32>
  return
}

// A loop that copies the next trip's tile while it works on this trip's
// (the tile carried in iter_args) waits at the end of the trip, after the
// work: a software pipeline.
// CHECK-LABEL: func.func @pipelined_copies
// CHECK: scf.for %{{.*}} iter_args
// CHECK: call @dsv4c.copy_async.16
// CHECK: }
// CHECK-NOT: copy_async_wait
// CHECK: memref.load
// CHECK: }
// CHECK: call @dsv4c.copy_async_wait()
// CHECK-NEXT: call @dsv4c.barrier()
// CHECK-NEXT: scf.yield
func.func @pipelined_copies(%src: i64, %first: memref<64xf32>,
                            %out: memref<64xf32>, %trips: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %n = arith.constant 16 : i32
  %last = scf.for %t = %c0 to %trips step %c1 iter_args(%cur = %first) -> (memref<64xf32>) {
    %next = memref.alloc() : memref<64xf32>
    %p = memref.extract_aligned_pointer_as_index %next : memref<64xf32> -> index
    %dn = arith.index_cast %p : index to i64
    scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
      %o = arith.index_cast %i : index to i64
      %d = arith.addi %dn, %o : i64
      %s = arith.addi %src, %o : i64
      func.call @dsv4c.copy_async.16(%d, %s, %n) : (i64, i64, i32) -> ()
      scf.reduce
    }
    func.call @dsv4c.copy_async_wait() : () -> ()
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %x = memref.load %cur[%i] : memref<64xf32>
      memref.store %x, %out[%i] : memref<64xf32>
      scf.reduce
    }
    scf.yield %next : memref<64xf32>
  }
  return
}

// A store to global memory (which the copies may still be reading) stops a
// wait.
// CHECK-LABEL: func.func @wait_before_global_store
// CHECK: call @dsv4c.copy_async.16
// CHECK: }
// CHECK-NEXT: call @dsv4c.copy_async_wait()
// CHECK-NEXT: call @dsv4c.barrier()
// CHECK: llvm.store
func.func @wait_before_global_store(%src: i64, %p: !llvm.ptr, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %n = arith.constant 16 : i32
  %a = memref.alloc() : memref<64xf32>
  %pa = memref.extract_aligned_pointer_as_index %a : memref<64xf32> -> index
  %da = arith.index_cast %pa : index to i64
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %o = arith.index_cast %i : index to i64
    %d = arith.addi %da, %o : i64
    %s = arith.addi %src, %o : i64
    func.call @dsv4c.copy_async.16(%d, %s, %n) : (i64, i64, i32) -> ()
    scf.reduce
  }
  func.call @dsv4c.copy_async_wait() : () -> ()
  llvm.store %v, %p : f32, !llvm.ptr
  %x = memref.load %a[%c0] : memref<64xf32>
  llvm.store %x, %p : f32, !llvm.ptr
  memref.dealloc %a : memref<64xf32>
  return
}

// A thread's loop of loads through kernel pointers (LLVM loads) with at
// least 4 iterations per thread at 128 threads is unrolled (by 8 from 1024
// iterations), so that several loads are in flight; the rest of the trips
// run in a second loop. A nest of tile-buffer loads (memrefs) is not.
// CHECK-LABEL: func.func @unrolled_global_loads
// CHECK: scf.for
// CHECK-COUNT-8: llvm.load
// CHECK: }
// CHECK: scf.for
// CHECK: llvm.load
// CHECK-NOT: llvm.load
// CHECK: }
// CHECK: scf.for
// CHECK: memref.load
// CHECK-NOT: memref.load
// CHECK: }
func.func @unrolled_global_loads(%p: !llvm.ptr, %buf: memref<1024xf32>,
                                 %out: memref<1024xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  scf.parallel (%i) = (%c0) to (%c1024) step (%c1) {
    %o = arith.index_cast %i : index to i64
    %a = llvm.getelementptr %p[%o] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %v = llvm.load %a : !llvm.ptr -> f32
    memref.store %v, %buf[%i] : memref<1024xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c1024) step (%c1) {
    %v = memref.load %buf[%i] : memref<1024xf32>
    memref.store %v, %out[%i] : memref<1024xf32>
    scf.reduce
  }
  return
}
