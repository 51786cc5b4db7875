// plan-tile-buffers: a program's tile buffers at offsets fixed at compile
// time in one group-shared global (address space 3), where they all fit.
// RUN: dsv4c opt %s --plan-tile-buffers="shared-bytes=4096" | FileCheck %s
// With dynamic shared memory, a function whose buffers need more than
// shared-bytes takes them from the launch's (one external array for all),
// and a public constant says how many bytes to ask for:
// RUN: dsv4c opt %s --plan-tile-buffers="shared-bytes=4096 dynamic-shared-bytes=8192" | FileCheck %s --check-prefix=DYN
// DYN-DAG: memref.global "public" constant @dsv4c_dynamic_smem_too_big : memref<i32> = dense<8192> {alignment = 4 : i64}
// DYN-DAG: memref.global "public" @dsv4c_dynamic_tiles : memref<0xi8, 3> {alignment = 16 : i64}
// DYN-DAG: memref.global "private" @dsv4c_tiles_straight : memref<1280xi8, 3>
// DYN-LABEL: func.func @too_big
// DYN-SAME: dsv4c.dynamic_tile_bytes = 8192
// DYN: memref.get_global @dsv4c_dynamic_tiles : memref<0xi8, 3>
// DYN: memref.view {{.*}} : memref<0xi8, 3> to memref<2048xf32, 3>

// Buffers live at different times share bytes; one live across both does
// not. a (1024 B) dies before c (1024 B) is made; b (256 B) lives
// throughout: largest first, first fit -> a at 0, c at 0, b at 1024.
// CHECK-DAG: memref.global "private" @dsv4c_tiles_aligned : memref<3072xi8, 3> = uninitialized {alignment = 1024 : i64}
// CHECK: memref.global "private" @dsv4c_tiles_straight : memref<1280xi8, 3> = uninitialized {alignment = 16 : i64}
// CHECK-LABEL: func.func @straight
// CHECK-SAME: dsv4c.tile_bytes = 1280
// CHECK: %[[G:.*]] = memref.get_global @dsv4c_tiles_straight
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[G]][%[[C0]]][] : memref<1280xi8, 3> to memref<256xf32, 3>
// CHECK: memref.memory_space_cast %[[A]] : memref<256xf32, 3> to memref<256xf32>
// CHECK: %[[C1024:.*]] = arith.constant 1024 : index
// CHECK: memref.view %[[G]][%[[C1024]]][] : memref<1280xi8, 3> to memref<64xf32, 3>
// CHECK: %[[C0B:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[G]][%[[C0B]]][] : memref<1280xi8, 3> to memref<256xf32, 3>
// CHECK-NOT: memref.alloc
func.func @straight(%x: f32, %i: index) -> f32 {
  %a = memref.alloc() : memref<256xf32>
  %b = memref.alloc() : memref<64xf32>
  memref.store %x, %a[%i] : memref<256xf32>
  %va = memref.load %a[%i] : memref<256xf32>
  memref.store %va, %b[%i] : memref<64xf32>
  %c = memref.alloc() : memref<256xf32>
  memref.store %x, %c[%i] : memref<256xf32>
  %vc = memref.load %c[%i] : memref<256xf32>
  %vb = memref.load %b[%i] : memref<64xf32>
  %s = arith.addf %vb, %vc : f32
  return %s : f32
}

// A buffer made in a loop and carried to the next trip takes two places,
// by trip parity (trip 0 writes the first). The initial buffer, read on the
// first trip only and made just for the loop, is the second place: two
// places in all, not three.
// CHECK-LABEL: func.func @carried
// CHECK-SAME: dsv4c.tile_bytes = 512
// CHECK: %[[SECOND:.*]] = arith.constant 256 : index
// CHECK: memref.view %{{.*}}[%[[SECOND]]][] : memref<512xi8, 3> to memref<64xf32, 3>
// CHECK: scf.for %[[IV:.*]] = %[[LB:.*]] to %{{.*}} step %[[ST:.*]] iter_args
// CHECK: %[[OFF:.*]] = arith.constant {{[0-9]+}} : index
// CHECK: %[[D:.*]] = arith.subi %[[IV]], %[[LB]] : index
// CHECK: %[[T:.*]] = arith.divui %[[D]], %[[ST]] : index
// CHECK: %[[P:.*]] = arith.remui %[[T]], %{{.*}} : index
// CHECK: %[[H:.*]] = arith.muli %[[P]], %{{.*}} : index
// CHECK: %[[AT:.*]] = arith.addi %[[OFF]], %[[H]] : index
// CHECK: memref.view %{{.*}}[%[[AT]]][] : memref<512xi8, 3> to memref<64xf32, 3>
func.func @carried(%x: f32, %i: index, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %init = memref.alloc() : memref<64xf32>
  memref.store %x, %init[%i] : memref<64xf32>
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%acc = %init) -> (memref<64xf32>) {
    %next = memref.alloc() : memref<64xf32>
    %v = memref.load %acc[%i] : memref<64xf32>
    %w = arith.addf %v, %x : f32
    memref.store %w, %next[%i] : memref<64xf32>
    scf.yield %next : memref<64xf32>
  }
  %out = memref.load %r[%i] : memref<64xf32>
  return %out : f32
}

// A buffer that leaves the function keeps its run-time allocation, and so
// does every other buffer of that function.
// CHECK-LABEL: func.func @escapes
// CHECK-NOT: dsv4c.tile_bytes
// CHECK: memref.alloc() : memref<16xf32>
// CHECK: memref.alloc() : memref<16xf32>
func.func @escapes(%x: f32, %i: index) -> memref<16xf32> {
  %t = memref.alloc() : memref<16xf32>
  memref.store %x, %t[%i] : memref<16xf32>
  %u = memref.alloc() : memref<16xf32>
  return %u : memref<16xf32>
}

// More than shared-bytes at once (and no dynamic shared memory): left as it
// is.
// CHECK-LABEL: func.func @too_big
// CHECK-NOT: dsv4c.tile_bytes
// CHECK: memref.alloc() : memref<2048xf32>
func.func @too_big(%x: f32, %i: index) {
  %t = memref.alloc() : memref<2048xf32>
  memref.store %x, %t[%i] : memref<2048xf32>
  return
}

// A buffer that an scf.if yields is planned: each branch's buffer lives
// through the if's result's uses, so the two take places of their own. An
// index buffer takes 8 bytes per element (the data layout's index width):
// 256 (idx) + 256 + 256.
// CHECK-LABEL: func.func @branches
// CHECK-SAME: dsv4c.tile_bytes = 768
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @branches(%x: f32, %i: index, %c: i1) -> f32 {
  %idx = memref.alloc() : memref<32xindex>
  memref.store %i, %idx[%i] : memref<32xindex>
  %r = scf.if %c -> (memref<64xf32>) {
    %a = memref.alloc() : memref<64xf32>
    memref.store %x, %a[%i] : memref<64xf32>
    scf.yield %a : memref<64xf32>
  } else {
    %b = memref.alloc() : memref<64xf32>
    memref.store %x, %b[%i] : memref<64xf32>
    scf.yield %b : memref<64xf32>
  }
  %j = memref.load %idx[%i] : memref<32xindex>
  %v = memref.load %r[%j] : memref<64xf32>
  return %v : f32
}

// A loop that may hand its carried buffer on unchanged (one branch yields
// the iteration argument) cannot take turns by trip parity: the next trip
// would write the place it reads. Left as it is.
// CHECK-LABEL: func.func @carried_through_if
// CHECK-NOT: dsv4c.tile_bytes
// CHECK: memref.alloc() : memref<64xf32>
// CHECK: memref.alloc() : memref<64xf32>
func.func @carried_through_if(%x: f32, %i: index, %n: index, %c: i1) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %init = memref.alloc() : memref<64xf32>
  memref.store %x, %init[%i] : memref<64xf32>
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%acc = %init) -> (memref<64xf32>) {
    %next = scf.if %c -> (memref<64xf32>) {
      %new = memref.alloc() : memref<64xf32>
      %v = memref.load %acc[%i] : memref<64xf32>
      memref.store %v, %new[%i] : memref<64xf32>
      scf.yield %new : memref<64xf32>
    } else {
      scf.yield %acc : memref<64xf32>
    }
    scf.yield %next : memref<64xf32>
  }
  %out = memref.load %r[%i] : memref<64xf32>
  return %out : f32
}

// When both branches make a new buffer each trip, the turns are sound: each
// branch's two places, the initial buffer in the first branch's second.
// CHECK-LABEL: func.func @fresh_through_if
// CHECK-SAME: dsv4c.tile_bytes = 1024
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @fresh_through_if(%x: f32, %i: index, %n: index, %c: i1) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %init = memref.alloc() : memref<64xf32>
  memref.store %x, %init[%i] : memref<64xf32>
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%acc = %init) -> (memref<64xf32>) {
    %v = memref.load %acc[%i] : memref<64xf32>
    %next = scf.if %c -> (memref<64xf32>) {
      %a = memref.alloc() : memref<64xf32>
      memref.store %v, %a[%i] : memref<64xf32>
      scf.yield %a : memref<64xf32>
    } else {
      %b = memref.alloc() : memref<64xf32>
      memref.store %x, %b[%i] : memref<64xf32>
      scf.yield %b : memref<64xf32>
    }
    scf.yield %next : memref<64xf32>
  }
  %out = memref.load %r[%i] : memref<64xf32>
  return %out : f32
}

// An initial buffer read again after the loop starts (here after it ends)
// keeps a place of its own: the second place is written on trip 1.
// CHECK-LABEL: func.func @first_read_after
// CHECK-SAME: dsv4c.tile_bytes = 768
func.func @first_read_after(%x: f32, %i: index, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %init = memref.alloc() : memref<64xf32>
  memref.store %x, %init[%i] : memref<64xf32>
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%acc = %init) -> (memref<64xf32>) {
    %next = memref.alloc() : memref<64xf32>
    %v = memref.load %acc[%i] : memref<64xf32>
    %w = arith.addf %v, %x : f32
    memref.store %w, %next[%i] : memref<64xf32>
    scf.yield %next : memref<64xf32>
  }
  %out = memref.load %r[%i] : memref<64xf32>
  %first = memref.load %init[%i] : memref<64xf32>
  %s = arith.addf %out, %first : f32
  return %s : f32
}

// An alloc that asks for more than the 64 bytes every staged tile asks of a
// heap (a swizzled operand of the warpgroup instruction: 1024) gets an
// offset of that alignment, and so does the array: b (1040 B) at 0, a
// (1024 B) after it at 2048, not 1040 (the array's check is at the top).
// CHECK-LABEL: func.func @aligned
// CHECK-SAME: dsv4c.tile_bytes = 3072
// CHECK: %[[AT:.*]] = arith.constant 2048 : index
// CHECK: memref.view %{{.*}}[%[[AT]]][] : memref<3072xi8, 3> to memref<1024xi8, 3>
func.func @aligned(%x: i8, %i: index) -> i8 {
  %b = memref.alloc() {alignment = 64 : i64} : memref<1040xi8>
  %a = memref.alloc() {alignment = 1024 : i64} : memref<1024xi8>
  memref.store %x, %b[%i] : memref<1040xi8>
  memref.store %x, %a[%i] : memref<1024xi8>
  %va = memref.load %a[%i] : memref<1024xi8>
  %vb = memref.load %b[%i] : memref<1040xi8>
  %s = arith.addi %va, %vb : i8
  return %s : i8
}
