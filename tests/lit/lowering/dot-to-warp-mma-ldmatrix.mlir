// RUN: dsv4c opt %s --dot-to-warp-mma=matrix-loads=1 | FileCheck %s
// RUN: dsv4c opt %s --dot-to-warp-mma | FileCheck %s --check-prefix=OFF
// With matrix-loads, operands planned in shared memory (views of a global in
// another memory space, cast back: plan-tile-buffers' form) with rows of a
// multiple of 16 bytes are read by the warp together: A's 4 registers by one
// dsv4c.ldmatrix.x4 at row lane % 16, k + (lane / 16) * 8; B ([n, k]) by
// an x2 for a lone tile (an x4 for two tiles of a run) at row lane % 8 of the
// tile, k + (lane / 8 % 2) * 8. Other operands keep 32-bit loads.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#acc = affine_map<(m, n, k) -> (m, n)>

memref.global "private" @arena : memref<8192xi8, 3>

// CHECK-DAG: func.func private @dsv4c.ldmatrix.x4(i64) -> (i32, i32, i32, i32)
// CHECK-DAG: func.func private @dsv4c.ldmatrix.x2(i64) -> (i32, i32)
// OFF-NOT: ldmatrix

// CHECK-LABEL: func.func @planned
// CHECK: scf.parallel (%{{.*}}, %[[LANE:[a-z0-9]+]]) =
// CHECK: %[[G:.*]] = arith.divui %[[LANE]], %c4
// CHECK: %[[ROW0:.*]] = arith.addi %{{.*}}, %[[G]]
// CHECK: %[[ROW1:.*]] = arith.addi %[[ROW0]], %c8
// CHECK: scf.for %[[K:[a-z0-9]+]] = %{{.*}} step %c16
// A: row lane % 16 (clamped to the 13 rows), k + (lane / 16) * 8.
// CHECK: %[[R16:.*]] = arith.remui %[[LANE]], %c16
// CHECK: %[[AROW:.*]] = arith.addi %{{.*}}, %[[R16]]
// CHECK: arith.minui %[[AROW]], %c12
// CHECK: %[[KH:.*]] = arith.divui %[[LANE]], %c16
// CHECK: %[[KOFF:.*]] = arith.muli %[[KH]], %c8
// CHECK: arith.addi %[[K]], %[[KOFF]]
// CHECK: %[[A:.*]]:4 = func.call @dsv4c.ldmatrix.x4
// Rows past 13 zeroed, per register: rows g, g + 8, g, g + 8.
// CHECK: %[[IN0:.*]] = arith.cmpi ult, %[[ROW0]], %c13
// CHECK: %[[A0:.*]] = arith.select %[[IN0]], %[[A]]#0, %c0_i32
// CHECK: %[[IN1:.*]] = arith.cmpi ult, %[[ROW1]], %c13
// CHECK: %[[A1:.*]] = arith.select %[[IN1]], %[[A]]#1, %c0_i32
// CHECK: %[[IN2:.*]] = arith.cmpi ult, %[[ROW0]], %c13
// CHECK: %[[A2:.*]] = arith.select %[[IN2]], %[[A]]#2, %c0_i32
// CHECK: %[[IN3:.*]] = arith.cmpi ult, %[[ROW1]], %c13
// CHECK: %[[A3:.*]] = arith.select %[[IN3]], %[[A]]#3, %c0_i32
// B: row lane % 8 of the tile, k + (lane / 8 % 2) * 8.
// CHECK: %[[B8:.*]] = arith.divui %[[LANE]], %c8
// CHECK: %[[BH:.*]] = arith.remui %[[B8]], %c2
// CHECK: %[[BOFF:.*]] = arith.muli %[[BH]], %c8
// CHECK: arith.addi %[[K]], %[[BOFF]]
// CHECK: arith.remui %[[LANE]], %c8
// CHECK: %[[B:.*]]:2 = func.call @dsv4c.ldmatrix.x2
// CHECK-NOT: dsv4c.load_b32
// CHECK: call @dsv4c.mma.bf16.m16n8k16(%[[A0]], %[[A1]], %[[A2]], %[[A3]], %[[B]]#0, %[[B]]#1,
// OFF-LABEL: func.func @planned
// OFF: call @dsv4c.load_b32
func.func @planned(%c: memref<13x16xf32>) {
  %g = memref.get_global @arena : memref<8192xi8, 3>
  %c0 = arith.constant 0 : index
  %c1024 = arith.constant 1024 : index
  %av = memref.view %g[%c0][] : memref<8192xi8, 3> to memref<13x32xbf16, 3>
  %a = memref.memory_space_cast %av : memref<13x32xbf16, 3> to memref<13x32xbf16>
  %bv = memref.view %g[%c1024][] : memref<8192xi8, 3> to memref<16x32xbf16, 3>
  %b = memref.memory_space_cast %bv : memref<16x32xbf16, 3> to memref<16x32xbf16>
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<13x32xbf16>, memref<16x32xbf16>) outs(%c : memref<13x16xf32>)
      attrs = {dsv4c.mma = "bf16", dsv4c.mma_rhs_transposed = true} {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A run of 2 tiles (1 x 8 tiles): B of both tiles by one x4, tile
// lane / 16 of the pair.
// CHECK-LABEL: func.func @run_pair
// CHECK: scf.for %{{.*}} step %c16
// CHECK: func.call @dsv4c.ldmatrix.x4
// CHECK: %[[P:.*]]:4 = func.call @dsv4c.ldmatrix.x4
// CHECK: call @dsv4c.mma.bf16.m16n8k16({{.*}}, %[[P]]#0, %[[P]]#1,
// CHECK: call @dsv4c.mma.bf16.m16n8k16({{.*}}, %[[P]]#2, %[[P]]#3,
func.func @run_pair(%c: memref<16x64xf32>) {
  %g = memref.get_global @arena : memref<8192xi8, 3>
  %c0 = arith.constant 0 : index
  %c1024 = arith.constant 1024 : index
  %av = memref.view %g[%c0][] : memref<8192xi8, 3> to memref<16x32xbf16, 3>
  %a = memref.memory_space_cast %av : memref<16x32xbf16, 3> to memref<16x32xbf16>
  %bv = memref.view %g[%c1024][] : memref<8192xi8, 3> to memref<64x32xbf16, 3>
  %b = memref.memory_space_cast %bv : memref<64x32xbf16, 3> to memref<64x32xbf16>
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x32xbf16>, memref<64x32xbf16>) outs(%c : memref<16x64xf32>)
      attrs = {dsv4c.mma = "bf16", dsv4c.mma_rhs_transposed = true} {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Not planned (a function argument), or rows of 72 bytes: 32-bit loads.
// CHECK-LABEL: func.func @not_eligible
// CHECK-NOT: ldmatrix
// CHECK: return
func.func @not_eligible(%a: memref<16x32xbf16>, %c: memref<16x16xf32>) {
  %g = memref.get_global @arena : memref<8192xi8, 3>
  %c0 = arith.constant 0 : index
  %bv = memref.view %g[%c0][] : memref<8192xi8, 3> to memref<16x36xbf16, 3>
  %bw = memref.memory_space_cast %bv : memref<16x36xbf16, 3> to memref<16x36xbf16>
  %b = memref.subview %bw[0, 0] [16, 32] [1, 1] : memref<16x36xbf16> to memref<16x32xbf16, strided<[36, 1]>>
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x32xbf16>, memref<16x32xbf16, strided<[36, 1]>>) outs(%c : memref<16x16xf32>)
      attrs = {dsv4c.mma = "bf16", dsv4c.mma_rhs_transposed = true} {
  ^bb0(%x: bf16, %y: bf16, %o: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// e4m3 operands: k halves of 16 bytes. A view at a byte shift that is not a
// multiple of 16 (8 here) is refused; one at the planner's second place for
// a loop's carried buffer (base + odd * half, multiples of 16) is accepted.
// CHECK-LABEL: func.func @f8_alignment
// CHECK: scf.for
// CHECK: %[[KH:.*]] = arith.divui %{{.*}}, %c16
// CHECK: arith.muli %[[KH]], %c16
// CHECK: func.call @dsv4c.ldmatrix.x4
// CHECK-NOT: ldmatrix
// CHECK: call @dsv4c.mma.f8.m16n8k32
// CHECK: return
func.func @f8_alignment(%c: memref<16x8xf32>, %odd: index) {
  %g = memref.get_global @arena : memref<8192xi8, 3>
  %c8 = arith.constant 8 : index
  %c1024 = arith.constant 1024 : index
  %c2048 = arith.constant 2048 : index
  %shift = arith.muli %odd, %c1024 : index
  %at = arith.addi %c2048, %shift : index
  %av = memref.view %g[%at][] : memref<8192xi8, 3> to memref<16x32xf8E4M3FN, 3>
  %a = memref.memory_space_cast %av : memref<16x32xf8E4M3FN, 3> to memref<16x32xf8E4M3FN>
  %bv = memref.view %g[%c8][] : memref<8192xi8, 3> to memref<8x32xf8E4M3FN, 3>
  %b = memref.memory_space_cast %bv : memref<8x32xf8E4M3FN, 3> to memref<8x32xf8E4M3FN>
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x32xf8E4M3FN>, memref<8x32xf8E4M3FN>) outs(%c : memref<16x8xf32>)
      attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true} {
  ^bb0(%x: f8E4M3FN, %y: f8E4M3FN, %o: f32):
    linalg.yield %o : f32
  }
  return
}
