// RUN: dsv4c opt %s --dot-to-warp-mma=matrix-loads=1 --split-input-file --verify-diagnostics | FileCheck %s
// A dot marked dsv4c.wgmma (mark-warpgroup-dots) is one (warp, lane) per
// thread of the 4-warp program: per 128 k, one call of
// dsv4c.wgmma.e4m3.nN on the operands' 128-byte blocks (A at +block * 64 *
// 128 bytes, B at +block * N * 128), whose N / 2 sums are scaled and added
// as the mma.sync chunks are. A k loop that carries the accumulators keeps
// each thread's in a private array over the whole loop: read from the
// result buffer before it, written back after it.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#acc = affine_map<(m, n, k) -> (m, n)>
#ls = affine_map<(m, n, k) -> (m, k floordiv 128)>
#rs = affine_map<(m, n, k) -> (n floordiv 128, k floordiv 128)>

memref.global "private" @arena : memref<65536xi8, 3>

// CHECK: func.func private @dsv4c.wgmma.e4m3.n64(i64, i64) -> (f32, f32
// CHECK-LABEL: func.func @carried
// CHECK: %[[FRAG:.*]] = memref.alloca() : memref<32xf32>
// Before the loop: (warp, lane) reads its 32 accumulators.
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0{{.*}}, %c0{{.*}}) to (%c4{{.*}}, %c32{{.*}})
// CHECK: memref.load %[[ACC:[a-z0-9_]+]][
// CHECK: memref.store %{{.*}}, %[[FRAG]][
// CHECK: scf.for
// CHECK: scf.parallel
// CHECK: memref.load %[[FRAG]][
// The two 128-k chunks of k = 256: block kc / 128 of each operand.
// CHECK: scf.for %[[KC:[a-z0-9]+]] =
// CHECK: %[[BLK:.*]] = arith.divui %[[KC]], %c128
// CHECK: arith.muli %[[BLK]], %c8192
// CHECK: arith.muli %[[BLK]], %c8192
// CHECK: call @dsv4c.wgmma.e4m3.n64(
// CHECK-NOT: memref.store %{{.*}}, %[[ACC]]
// CHECK: memref.store %{{.*}}, %[[FRAG]][
// CHECK: scf.yield
// After the loop: written back.
// CHECK: scf.parallel
// CHECK: memref.load %[[FRAG]][
// CHECK: memref.store %{{.*}}, %[[ACC]][
func.func @carried(%acc: memref<64x64xf32>, %xs: memref<64x2xf8E8M0FNU>, %ws: memref<1x2xf8E8M0FNU>, %k: index) {
  %g = memref.get_global @arena : memref<65536xi8, 3>
  %c0 = arith.constant 0 : index
  %c256 = arith.constant 256 : index
  %c16384 = arith.constant 16384 : index
  %av = memref.view %g[%c0][] : memref<65536xi8, 3> to memref<64x256xf8E4M3FN, 3>
  %a = memref.memory_space_cast %av : memref<64x256xf8E4M3FN, 3> to memref<64x256xf8E4M3FN>
  %bv = memref.view %g[%c16384][] : memref<65536xi8, 3> to memref<64x256xf8E4M3FN, 3>
  %b = memref.memory_space_cast %bv : memref<64x256xf8E4M3FN, 3> to memref<64x256xf8E4M3FN>
  %r = scf.for %kk = %c0 to %k step %c256 iter_args(%c = %acc) -> (memref<64x64xf32>) {
    linalg.generic {indexing_maps = [#lhs, #rhsT, #ls, #rs, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %b, %xs, %ws : memref<64x256xf8E4M3FN>, memref<64x256xf8E4M3FN>, memref<64x2xf8E8M0FNU>, memref<1x2xf8E8M0FNU>) outs(%c : memref<64x64xf32>)
        attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true, dsv4c.wgmma,
                 dsv4c.mma_lhs_scale_block = array<i64: 1, 128>, dsv4c.mma_rhs_scale_block = array<i64: 128, 128>} {
    ^bb0(%x: f8E4M3FN, %y: f8E4M3FN, %sx: f8E8M0FNU, %sy: f8E8M0FNU, %o: f32):
      %xf = arith.extf %x : f8E4M3FN to f32
      %yf = arith.extf %y : f8E4M3FN to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    }
    scf.yield %c : memref<64x64xf32>
  }
  return
}

// -----

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#acc = affine_map<(m, n, k) -> (m, n)>

// An operand that is not a whole tile planned in shared memory (here a
// function argument) cannot be read by the instruction.
func.func @not_planned(%a: memref<64x128xf8E4M3FN>, %b: memref<64x128xf8E4M3FN>, %c: memref<64x64xf32>) {
  // expected-error @+1 {{a warpgroup dot's operands are whole tiles planned in shared memory}}
  linalg.generic {indexing_maps = [#lhs, #rhsT, #acc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x128xf8E4M3FN>, memref<64x128xf8E4M3FN>) outs(%c : memref<64x64xf32>)
      attrs = {dsv4c.mma = "f8", dsv4c.mma_rhs_transposed = true, dsv4c.wgmma} {
  ^bb0(%x: f8E4M3FN, %y: f8E4M3FN, %o: f32):
    %xf = arith.extf %x : f8E4M3FN to f32
    %yf = arith.extf %y : f8E4M3FN to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}
