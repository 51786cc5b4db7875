// V4's activation quantisation (official `act_quant(x, 128, "ue8m0", e8m0)`,
// the first half of every FP8 and FP4 `linear`):
//   q[M,K] = e4m3(x / s), s[M, ceil(K/128)] = 2^ceil(log2(amax / 448)) per
//   1x128 block along K (ue8m0), amax over the block's valid elements.
// Once per activation, not once per output block of each linear that reads
// it. One program quantises a 16x128 block; grid (ceil(M/16), ceil(K/128)).
tile.kernel @act_quant(%x: !tile.ptr<bf16>, %q: !tile.ptr<f8E4M3FN>,
                       %s: !tile.ptr<f8E8M0FNU>, %m: index, %k: index) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  %pm = tile.program_id 0
  %pk = tile.program_id 1
  %row0 = arith.muli %pm, %c16 : index
  %k0 = arith.muli %pk, %c128 : index
  %kp = arith.addi %k, %c127 : index
  %kblocks = arith.divui %kp, %c128 : index
  %xt = tile.load %x[%row0, %k0] strides[%k, %c1] bounds[%m, %k]
      : !tile.ptr<bf16> -> tensor<16x128xbf16>
  %qt, %st = tile.quantize %xt {block = array<i64: 1, 128>, round_scale}
      : tensor<16x128xbf16> -> tensor<16x128xf8E4M3FN>, tensor<16x1xf8E8M0FNU>
  tile.store %qt, %q[%row0, %k0] strides[%k, %c1] bounds[%m, %k]
      : tensor<16x128xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.store %st, %s[%row0, %pk] strides[%kblocks, %c1] bounds[%m, %kblocks]
      : tensor<16x1xf8E8M0FNU> -> !tile.ptr<f8E8M0FNU>
  tile.return
}

// V4's FP8 linear (official `linear` -> act_quant + fp8_gemm), its GEMM:
//   y[M,N] = bf16( (q * qs)[M,K] @ (W[N,K] * S)^T )
// q, qs: the activation quantised by @act_quant (e4m3, one ue8m0 scale per
// 1x128 block, qs[M, ceil(K/128)]). W is e4m3 with one f8E8M0FNU scale per
// 128x128 block, S[ceil(N/128), ceil(K/128)].
// Products are accumulated in f32 and the result is rounded to bf16 (fp8_gemm
// writes torch's default dtype, bf16, for every V4 FP8 linear).
// One program computes a 16x64 block of y over one of `splits` slices of K
// (whole 256-blocks each: a k-step reads 64 x 256 weights, 16 KB, so that
// each thread has several copies in flight per round trip); grid (ceil(M/16), ceil(N/64), splits). With
// splits = 1 it writes y; else its f32 sum goes to part [splits, M, N], and
// the block's last program to finish (counted in sem[block], i32 zeros
// before the launch and after it) adds the slices in order and writes y:
// split-k in one launch, so that small-M launches fill the GPU.
// A 64-wide N block never straddles a 128-row scale block. Any M, N, K work
// (ragged edges are bounded).
tile.kernel @linear_fp8(%x: !tile.ptr<f8E4M3FN>, %xs: !tile.ptr<f8E8M0FNU>,
                        %w: !tile.ptr<f8E4M3FN>,
                        %ws: !tile.ptr<f8E8M0FNU>, %y: !tile.ptr<bf16>,
                        %part: !tile.ptr<f32>, %sem: !tile.ptr<i32>,
                        %m: index, %n: index, %k: index, %splits: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c0i = arith.constant 0 : i32
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %row0 = arith.muli %pm, %c16 : index
  %col0 = arith.muli %pn, %c64 : index
  %mn = arith.muli %m, %n : index
  // Scale grid: ceil(K/128) columns; this block's scale row is col0 / 128.
  %kp = arith.addi %k, %c127 : index
  %kblocks = arith.divui %kp, %c128 : index
  %srow = arith.divui %col0, %c128 : index
  // This program's slice of K: [k0, k1), whole 256-blocks (a k-step).
  %pz = tile.program_id 2
  %ks = arith.addi %k, %c255 : index
  %ksteps = arith.divui %ks, %c256 : index
  %spl1 = arith.subi %splits, %c1 : index
  %perb = arith.addi %ksteps, %spl1 : index
  %per = arith.divui %perb, %splits : index
  %kchunk = arith.muli %per, %c256 : index
  %k0 = arith.muli %pz, %kchunk : index
  %k0c = arith.addi %k0, %kchunk : index
  %k1 = arith.minui %k0c, %k : index

  %acc0 = tile.splat %zero : tensor<16x64xf32>
  %acc = scf.for %kk = %k0 to %k1 step %c256 iter_args(%acc_in = %acc0) -> (tensor<16x64xf32>) {
    %q = tile.load %x[%row0, %kk] strides[%k, %c1] bounds[%m, %k]
        : !tile.ptr<f8E4M3FN> -> tensor<16x256xf8E4M3FN>
    %kb = arith.divui %kk, %c128 : index
    %qs = tile.load %xs[%row0, %kb] strides[%kblocks, %c1] bounds[%m, %kblocks]
        : !tile.ptr<f8E8M0FNU> -> tensor<16x2xf8E8M0FNU>
    %wt = tile.load %w[%col0, %kk] strides[%k, %c1] bounds[%n, %k]
        : !tile.ptr<f8E4M3FN> -> tensor<64x256xf8E4M3FN>
    %srow1 = arith.addi %srow, %c1 : index
    %wst = tile.load %ws[%srow, %kb] strides[%kblocks, %c1] bounds[%srow1, %kblocks]
        : !tile.ptr<f8E8M0FNU> -> tensor<1x2xf8E8M0FNU>
    %d = tile.dot %q scale %qs : tensor<16x2xf8E8M0FNU>, %wt scale %wst : tensor<1x2xf8E8M0FNU>
        acc %acc_in {rhs_transposed, lhs_scale_block = array<i64: 1, 128>,
                     rhs_scale_block = array<i64: 128, 128>}
        : tensor<16x256xf8E4M3FN>, tensor<64x256xf8E4M3FN> -> tensor<16x64xf32>
    scf.yield %d : tensor<16x64xf32>
  }
  %single = arith.cmpi eq, %splits, %c1 : index
  scf.if %single {
    %out = tile.cast %acc : tensor<16x64xf32> -> tensor<16x64xbf16>
    tile.store %out, %y[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
        : tensor<16x64xbf16> -> !tile.ptr<bf16>
  } else {
    %pm0 = arith.muli %pz, %m : index
    %prow = arith.addi %pm0, %row0 : index
    %pend = arith.addi %pm0, %m : index
    tile.store %acc, %part[%prow, %col0] strides[%n, %c1] bounds[%pend, %n]
        : tensor<16x64xf32> -> !tile.ptr<f32>
    %blocks = tile.num_programs 1
    %bm = arith.muli %pm, %blocks : index
    %block = arith.addi %bm, %pn : index
    %one = arith.constant 1 : i32
    %before = tile.atomic_add %sem[%block], %one : !tile.ptr<i32>
    %spl1i = arith.index_cast %spl1 : index to i32
    %last = arith.cmpi eq, %before, %spl1i : i32
    scf.if %last {
      %sum = scf.for %sp = %c0 to %splits step %c4 iter_args(%a = %acc0) -> (tensor<16x64xf32>) {
        %t03 = tile.load %part[%sp, %row0, %col0] strides[%mn, %n, %c1] bounds[%splits, %m, %n]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t0 = tile.reshape %t03 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp1 = arith.addi %sp, %c1 : index
        %t13 = tile.load %part[%sp1, %row0, %col0] strides[%mn, %n, %c1] bounds[%splits, %m, %n]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t1 = tile.reshape %t13 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp2 = arith.addi %sp, %c2 : index
        %t23 = tile.load %part[%sp2, %row0, %col0] strides[%mn, %n, %c1] bounds[%splits, %m, %n]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t2 = tile.reshape %t23 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp3 = arith.addi %sp, %c3 : index
        %t33 = tile.load %part[%sp3, %row0, %col0] strides[%mn, %n, %c1] bounds[%splits, %m, %n]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t3 = tile.reshape %t33 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %a1 = arith.addf %a, %t0 : tensor<16x64xf32>
        %a2 = arith.addf %a1, %t1 : tensor<16x64xf32>
        %a3 = arith.addf %a2, %t2 : tensor<16x64xf32>
        %a4 = arith.addf %a3, %t3 : tensor<16x64xf32>
        scf.yield %a4 : tensor<16x64xf32>
      }
      %out = tile.cast %sum : tensor<16x64xf32> -> tensor<16x64xbf16>
      tile.store %out, %y[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
          : tensor<16x64xbf16> -> !tile.ptr<bf16>
      // Ready for the next launch.
      %zeros = tile.splat %c0i : tensor<1xi32>
      tile.store %zeros, %sem[%block] strides[%c1]
          : tensor<1xi32> -> !tile.ptr<i32>
    }
  }
  tile.return
}

// @linear_fp8 for many rows (prefill): the same y, each program a 64x64
// block over all of K, in 128-k steps. A weight tile then serves 64 rows,
// not 16: on an H100 the e4m3 mma.sync that ptxas emulates with f16
// instructions converts each operand byte once per use, so @linear_fp8 at
// 4096^3 spent its time converting (1.86 ms with 16x64 blocks; 1.33 ms with
// these; session 28). 64 rows are also what a warpgroup instruction computes
// (wgmma: mark-warpgroup-dots' f8, off by default). The executor picks it
// where its programs fill the GPU without splitting K. A 64-wide N block
// never straddles a 128-row scale block. Any M, N, K work (ragged edges are
// bounded).
tile.kernel @linear_fp8_rows64(%x: !tile.ptr<f8E4M3FN>, %xs: !tile.ptr<f8E8M0FNU>,
                               %w: !tile.ptr<f8E4M3FN>,
                               %ws: !tile.ptr<f8E8M0FNU>, %y: !tile.ptr<bf16>,
                               %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %row0 = arith.muli %pm, %c64 : index
  %col0 = arith.muli %pn, %c64 : index
  %kp = arith.addi %k, %c127 : index
  %kblocks = arith.divui %kp, %c128 : index
  %srow = arith.divui %col0, %c128 : index
  %srow1 = arith.addi %srow, %c1 : index
  %acc0 = tile.splat %zero : tensor<64x64xf32>
  %acc = scf.for %kk = %c0 to %k step %c128 iter_args(%acc_in = %acc0) -> (tensor<64x64xf32>) {
    %q = tile.load %x[%row0, %kk] strides[%k, %c1] bounds[%m, %k]
        : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
    %kb = arith.divui %kk, %c128 : index
    %qs = tile.load %xs[%row0, %kb] strides[%kblocks, %c1] bounds[%m, %kblocks]
        : !tile.ptr<f8E8M0FNU> -> tensor<64x1xf8E8M0FNU>
    %wt = tile.load %w[%col0, %kk] strides[%k, %c1] bounds[%n, %k]
        : !tile.ptr<f8E4M3FN> -> tensor<64x128xf8E4M3FN>
    %wst = tile.load %ws[%srow, %kb] strides[%kblocks, %c1] bounds[%srow1, %kblocks]
        : !tile.ptr<f8E8M0FNU> -> tensor<1x1xf8E8M0FNU>
    %d = tile.dot %q scale %qs : tensor<64x1xf8E8M0FNU>, %wt scale %wst : tensor<1x1xf8E8M0FNU>
        acc %acc_in {rhs_transposed, lhs_scale_block = array<i64: 1, 128>,
                     rhs_scale_block = array<i64: 128, 128>}
        : tensor<64x128xf8E4M3FN>, tensor<64x128xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %d : tensor<64x64xf32>
  }
  %out = tile.cast %acc : tensor<64x64xf32> -> tensor<64x64xbf16>
  tile.store %out, %y[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
      : tensor<64x64xbf16> -> !tile.ptr<bf16>
  tile.return
}
