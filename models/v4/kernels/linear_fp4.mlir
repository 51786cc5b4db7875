// V4's routed-expert linear with FP4 weights (official `linear` for
// float4_e2m1fn_x2 weights -> act_quant + fp4_gemm), its GEMM:
//   y[M,N] = bf16( (q * qs)[M,K] @ (W[N,K] * S[N,K/32])^T )
// q, qs: the activation FP8-quantised by linear_fp8.mlir's @act_quant (e4m3,
// 1x128 blocks, ue8m0 scales qs[M, ceil(K/128)]); the weight is e2m1 packed
// two per byte along K
// (element 2i in the low nibble of byte i, i.e. a [N, K/2] byte array) with
// one f8E8M0FNU scale per 1x32 block along K. f32 accumulation, bf16 result.
// One program computes a 16x64 block of y; grid (ceil(M/16), ceil(N/64)).
// K must be even (packed rows); ragged M, N and K blocks are bounded (a
// scale past them reads as the zero code, 2^-127: it only ever multiplies
// the zeros of a bounded weight).
tile.kernel @linear_fp4(%x: !tile.ptr<f8E4M3FN>, %xs: !tile.ptr<f8E8M0FNU>,
                        %w: !tile.ptr<f4E2M1FN>,
                        %ws: !tile.ptr<f8E8M0FNU>, %y: !tile.ptr<bf16>,
                        %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c31 = arith.constant 31 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  // Scales past the last K block are never read; a finite stand-in keeps
  // 0 * scale = 0 for the zero-filled weight columns there.
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %row0 = arith.muli %pm, %c16 : index
  %col0 = arith.muli %pn, %c64 : index
  %kp = arith.addi %k, %c31 : index
  %kblocks = arith.divui %kp, %c32 : index
  %c127 = arith.constant 127 : index
  %kq127 = arith.addi %k, %c127 : index
  %kq128 = arith.divui %kq127, %c128 : index

  %acc0 = tile.splat %zero : tensor<16x64xf32>
  %acc = scf.for %kk = %c0 to %k step %c128 iter_args(%acc_in = %acc0) -> (tensor<16x64xf32>) {
    %q = tile.load %x[%row0, %kk] strides[%k, %c1] bounds[%m, %k]
        : !tile.ptr<f8E4M3FN> -> tensor<16x128xf8E4M3FN>
    %kx = arith.divui %kk, %c128 : index
    %qs = tile.load %xs[%row0, %kx] strides[%kq128, %c1] bounds[%m, %kq128]
        : !tile.ptr<f8E8M0FNU> -> tensor<16x1xf8E8M0FNU>
    %wt = tile.load %w[%col0, %kk] strides[%k, %c1] bounds[%n, %k]
        : !tile.ptr<f4E2M1FN> -> tensor<64x128xf4E2M1FN>
    %kb = arith.divui %kk, %c32 : index
    %wst = tile.load %ws[%col0, %kb] strides[%kblocks, %c1] bounds[%n, %kblocks]
        : !tile.ptr<f8E8M0FNU> -> tensor<64x4xf8E8M0FNU>
    %d = tile.dot %q scale %qs : tensor<16x1xf8E8M0FNU>, %wt scale %wst : tensor<64x4xf8E8M0FNU>
        acc %acc_in {rhs_transposed, lhs_scale_block = array<i64: 1, 128>,
                     rhs_scale_block = array<i64: 1, 32>}
        : tensor<16x128xf8E4M3FN>, tensor<64x128xf4E2M1FN> -> tensor<16x64xf32>
    scf.yield %d : tensor<16x64xf32>
  }
  %out = tile.cast %acc : tensor<16x64xf32> -> tensor<16x64xbf16>
  tile.store %out, %y[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
      : tensor<16x64xbf16> -> !tile.ptr<bf16>
  tile.return
}

// @linear_fp4_grouped: the routed experts of one MoE layer in one launch,
// each over its own rows, computed with the same products and sums as
// @linear_fp4 (per output, k in order; the two scales are powers of two):
//   y[r, :] = bf16( (x * xs)[r, :] @ (W_e * S_e)^T )
//     for r in [first_g, first_g + rows_g), e = expert_g
// x, xs: the routed rows as @act_quant makes them (e4m3 [R, K], ue8m0
// [R, ceil(K/128)]), grouped by expert; w: the experts' weights stacked,
// [E * N, K/2] bytes (expert e's rows from e * N); ws: their scales, [E * N,
// ceil(K/32)]; y: bf16 [R, N]; groups: i32 [G, 3] = (expert, first, rows).
// A decode step routes few rows to each expert (about 6 of 64 tokens, 1 at
// batch 1), so a program computes y^T: 64 weight rows by 8 of the group's
// rows, the weight as the dot's left operand (no half-empty 16-row
// fragments) and a transposed store.
// Grid (ceil(max rows / 8), ceil(N / 64), G * splits): program (i, j,
// g * splits + s) computes rows 8i.. of group g over slice s of K (whole
// 256-blocks: a k-step reads 64 x 256 weight codes, 8 KB, so that each
// thread has several loads in flight per round trip); programs past a
// group's rows do nothing. With splits = 1 it writes y; else its f32 sum
// goes to part [splits, M, N] (M = R, the rows of all groups) and the
// block's last program to finish (counted in sem[block], i32 zeros before
// and after the launch) adds the slices in order into y.
tile.kernel @linear_fp4_grouped(%x: !tile.ptr<f8E4M3FN>,
                                %xs: !tile.ptr<f8E8M0FNU>,
                                %w: !tile.ptr<f4E2M1FN>,
                                %ws: !tile.ptr<f8E8M0FNU>, %y: !tile.ptr<bf16>,
                                %groups: !tile.ptr<i32>, %part: !tile.ptr<f32>,
                                %sem: !tile.ptr<i32>,
                                %n: index, %k: index, %m: index,
                                %splits: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %c31 = arith.constant 31 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %pgs = tile.program_id 2
  %pg = arith.divui %pgs, %splits : index
  %pz = arith.remui %pgs, %splits : index
  // The group's (expert, first row, rows), as scalars.
  %g0 = arith.muli %pg, %c3 : index
  %g3 = arith.addi %g0, %c3 : index
  %gt = tile.load %groups[%g0] strides[%c1] bounds[%g3]
      : !tile.ptr<i32> -> tensor<4xi32>
  %e32 = tile.extract %gt[%c0] : tensor<4xi32>
  %f32i = tile.extract %gt[%c1] : tensor<4xi32>
  %r32 = tile.extract %gt[%c2] : tensor<4xi32>
  %rows8 = arith.muli %pm, %c8 : index
  %rows = arith.index_cast %r32 : i32 to index
  %busy = arith.cmpi ult, %rows8, %rows : index
  scf.if %busy {
    %expert = arith.index_cast %e32 : i32 to index
    %first = arith.index_cast %f32i : i32 to index
    %row0 = arith.addi %first, %rows8 : index
    %rowEnd = arith.addi %first, %rows : index
    %wfirst = arith.muli %expert, %n : index
    %col0 = arith.muli %pn, %c64 : index
    %wrow = arith.addi %wfirst, %col0 : index
    %wend = arith.addi %wfirst, %n : index
    %kp = arith.addi %k, %c31 : index
    %kblocks = arith.divui %kp, %c32 : index
    // This program's slice of K: [k0, k1), whole 256-blocks (a k-step).
    %c127 = arith.constant 127 : index
    %kq = arith.addi %k, %c127 : index
    %kb128 = arith.divui %kq, %c128 : index
    %c255 = arith.constant 255 : index
    %ks = arith.addi %k, %c255 : index
    %kb256 = arith.divui %ks, %c256 : index
    %spl1 = arith.subi %splits, %c1 : index
    %perb = arith.addi %kb256, %spl1 : index
    %per = arith.divui %perb, %splits : index
    %kchunk = arith.muli %per, %c256 : index
    %k0 = arith.muli %pz, %kchunk : index
    %k0c = arith.addi %k0, %kchunk : index
    %k1 = arith.minui %k0c, %k : index
    %acc0 = tile.splat %zero : tensor<64x8xf32>
    %acc = scf.for %kk = %k0 to %k1 step %c256 iter_args(%acc_in = %acc0) -> (tensor<64x8xf32>) {
      %wt = tile.load %w[%wrow, %kk] strides[%k, %c1] bounds[%wend, %k]
          : !tile.ptr<f4E2M1FN> -> tensor<64x256xf4E2M1FN>
      %kb = arith.divui %kk, %c32 : index
      %wst = tile.load %ws[%wrow, %kb] strides[%kblocks, %c1] bounds[%wend, %kblocks]
          : !tile.ptr<f8E8M0FNU> -> tensor<64x8xf8E8M0FNU>
      %q = tile.load %x[%row0, %kk] strides[%k, %c1] bounds[%rowEnd, %k]
          : !tile.ptr<f8E4M3FN> -> tensor<8x256xf8E4M3FN>
      %kx = arith.divui %kk, %c128 : index
      %qs = tile.load %xs[%row0, %kx] strides[%kb128, %c1] bounds[%rowEnd, %kb128]
          : !tile.ptr<f8E8M0FNU> -> tensor<8x2xf8E8M0FNU>
      %d = tile.dot %wt scale %wst : tensor<64x8xf8E8M0FNU>, %q scale %qs : tensor<8x2xf8E8M0FNU>
          acc %acc_in {rhs_transposed, lhs_scale_block = array<i64: 1, 32>,
                       rhs_scale_block = array<i64: 1, 128>}
          : tensor<64x256xf4E2M1FN>, tensor<8x256xf8E4M3FN> -> tensor<64x8xf32>
      scf.yield %d : tensor<64x8xf32>
    }
    // acc[i, j] is y[row0 + j, col0 + i]: stored with the strides swapped.
    %single = arith.cmpi eq, %splits, %c1 : index
    scf.if %single {
      %out = tile.cast %acc : tensor<64x8xf32> -> tensor<64x8xbf16>
      tile.store %out, %y[%col0, %row0] strides[%c1, %n] bounds[%n, %rowEnd]
          : tensor<64x8xbf16> -> !tile.ptr<bf16>
    } else {
      %pm0 = arith.muli %pz, %m : index
      %prow = arith.addi %pm0, %row0 : index
      %pend = arith.addi %pm0, %rowEnd : index
      tile.store %acc, %part[%col0, %prow] strides[%c1, %n] bounds[%n, %pend]
          : tensor<64x8xf32> -> !tile.ptr<f32>
      %np0 = tile.num_programs 0
      %np1 = tile.num_programs 1
      %gm = arith.muli %pg, %np0 : index
      %gmp = arith.addi %gm, %pm : index
      %gmn = arith.muli %gmp, %np1 : index
      %block = arith.addi %gmn, %pn : index
      %one = arith.constant 1 : i32
      %before = tile.atomic_add %sem[%block], %one : !tile.ptr<i32>
      %spl1i = arith.index_cast %spl1 : index to i32
      %last = arith.cmpi eq, %before, %spl1i : i32
      scf.if %last {
        %c4 = arith.constant 4 : index
        %mn = arith.muli %m, %n : index
        %sum = scf.for %sp = %c0 to %splits step %c4 iter_args(%a = %acc0) -> (tensor<64x8xf32>) {
          %t03 = tile.load %part[%sp, %col0, %row0] strides[%mn, %c1, %n] bounds[%splits, %n, %rowEnd]
              : !tile.ptr<f32> -> tensor<1x64x8xf32>
          %t0 = tile.reshape %t03 : tensor<1x64x8xf32> -> tensor<64x8xf32>
          %sp1 = arith.addi %sp, %c1 : index
          %t13 = tile.load %part[%sp1, %col0, %row0] strides[%mn, %c1, %n] bounds[%splits, %n, %rowEnd]
              : !tile.ptr<f32> -> tensor<1x64x8xf32>
          %t1 = tile.reshape %t13 : tensor<1x64x8xf32> -> tensor<64x8xf32>
          %sp2 = arith.addi %sp, %c2 : index
          %t23 = tile.load %part[%sp2, %col0, %row0] strides[%mn, %c1, %n] bounds[%splits, %n, %rowEnd]
              : !tile.ptr<f32> -> tensor<1x64x8xf32>
          %t2 = tile.reshape %t23 : tensor<1x64x8xf32> -> tensor<64x8xf32>
          %sp3 = arith.addi %sp, %c3 : index
          %t33 = tile.load %part[%sp3, %col0, %row0] strides[%mn, %c1, %n] bounds[%splits, %n, %rowEnd]
              : !tile.ptr<f32> -> tensor<1x64x8xf32>
          %t3 = tile.reshape %t33 : tensor<1x64x8xf32> -> tensor<64x8xf32>
          %a1 = arith.addf %a, %t0 : tensor<64x8xf32>
          %a2 = arith.addf %a1, %t1 : tensor<64x8xf32>
          %a3 = arith.addf %a2, %t2 : tensor<64x8xf32>
          %a4 = arith.addf %a3, %t3 : tensor<64x8xf32>
          scf.yield %a4 : tensor<64x8xf32>
        }
        %out = tile.cast %sum : tensor<64x8xf32> -> tensor<64x8xbf16>
        tile.store %out, %y[%col0, %row0] strides[%c1, %n] bounds[%n, %rowEnd]
            : tensor<64x8xbf16> -> !tile.ptr<bf16>
        // Ready for the next launch.
        %c0i = arith.constant 0 : i32
        %zeros = tile.splat %c0i : tensor<1xi32>
        tile.store %zeros, %sem[%block] strides[%c1]
            : tensor<1xi32> -> !tile.ptr<i32>
      }
    }
  }
  tile.return
}
