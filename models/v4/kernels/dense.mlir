// Dense bf16 matmuls (official bf16 `F.linear`, and the grouped low-rank
// output projection `einsum("bsgd,grd->bsgr", o, wo_a)`), f32 accumulation:
//   y[i, g*n + j] = sum_kk f32(x[i, g*k + kk]) * f32(w[g*n + j, kk])
// for i < m, j < n, group g (program_id 2). Row strides of x and y are ldx
// and ldy, so the plain linear is groups = 1, ldx = k, ldy = n, and the
// grouped projection views o as [m, g, k] (ldx = g*k), wo_a as [g, n, k]
// (= [g*n, k]) and y as [m, g, n] (ldy = g*n).
//   x: bf16 [m, ldx]; w: bf16 [groups*n, k]; y: bf16 (@matmul_bf16, rounded
//   once from the f32 sum) or f32 (@matmul_bf16_f32, e.g. the compressor's
//   wkv / wgate projections) [m, ldy].
// One program computes a 16x64 block of one group over one of `splits`
// slices of K (whole 128-blocks: a k-step reads 64 x 128 weights, 16 KB, so
// that a batch-1 GEMV makes few round trips; any k, ragged edges are
// bounded and read as 0). With splits = 1 it writes y; else its f32 sum goes to part [splits, m,
// ldy] and the block's last program to finish (counted in sem[block], i32
// zeros before and after the launch) adds the slices in order into y
// (split-k in one launch: small-M launches fill the GPU; y's rows must then
// be ldy wide).
// Grid: (ceil(m / 16), ceil(n / 64), groups * splits).
tile.kernel @matmul_bf16(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                         %y: !tile.ptr<bf16>, %m: index, %n: index, %k: index,
                         %ldx: index, %ldy: index,
                         %part: !tile.ptr<f32>, %sem: !tile.ptr<i32>,
                         %splits: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %pgs = tile.program_id 2
  %g = arith.divui %pgs, %splits : index
  %pz = arith.remui %pgs, %splits : index
  %row0 = arith.muli %pm, %c16 : index
  %col0 = arith.muli %pn, %c64 : index
  // This group's columns of x: [gk, gk + k); its rows of w / columns of y:
  // [gn, gn + n).
  %gk = arith.muli %g, %k : index
  %gkend = arith.addi %gk, %k : index
  %gn = arith.muli %g, %n : index
  %gnend = arith.addi %gn, %n : index
  %wrow = arith.addi %gn, %col0 : index

  %acc0 = tile.splat %zero : tensor<16x64xf32>
  // This program's slice of K: [k0, k1), whole 128-blocks.
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  %kp = arith.addi %k, %c127 : index
  %kblocks = arith.divui %kp, %c128 : index
  %spl1 = arith.subi %splits, %c1 : index
  %perb = arith.addi %kblocks, %spl1 : index
  %per = arith.divui %perb, %splits : index
  %kchunk = arith.muli %per, %c128 : index
  %k0 = arith.muli %pz, %kchunk : index
  %k0c = arith.addi %k0, %kchunk : index
  %k1 = arith.minui %k0c, %k : index
  %acc = scf.for %kk = %k0 to %k1 step %c128 iter_args(%acc_in = %acc0) -> (tensor<16x64xf32>) {
    %xc = arith.addi %gk, %kk : index
    %xt = tile.load %x[%row0, %xc] strides[%ldx, %c1] bounds[%m, %gkend]
        : !tile.ptr<bf16> -> tensor<16x128xbf16>
    %wt = tile.load %w[%wrow, %kk] strides[%k, %c1] bounds[%gnend, %k]
        : !tile.ptr<bf16> -> tensor<64x128xbf16>
    %d = tile.dot %xt, %wt acc %acc_in {rhs_transposed}
        : tensor<16x128xbf16>, tensor<64x128xbf16> -> tensor<16x64xf32>
    scf.yield %d : tensor<16x64xf32>
  }
  %ycol = arith.addi %gn, %col0 : index
  %single = arith.cmpi eq, %splits, %c1 : index
  scf.if %single {
    %out = tile.cast %acc : tensor<16x64xf32> -> tensor<16x64xbf16>
    tile.store %out, %y[%row0, %ycol] strides[%ldy, %c1] bounds[%m, %gnend]
        : tensor<16x64xbf16> -> !tile.ptr<bf16>
  } else {
    %pm0 = arith.muli %pz, %m : index
    %prow = arith.addi %pm0, %row0 : index
    %pend = arith.addi %pm0, %m : index
    tile.store %acc, %part[%prow, %ycol] strides[%ldy, %c1] bounds[%pend, %gnend]
        : tensor<16x64xf32> -> !tile.ptr<f32>
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %np0 = tile.num_programs 0
    %np1 = tile.num_programs 1
    %gm = arith.muli %g, %np0 : index
    %gmp = arith.addi %gm, %pm : index
    %gmn = arith.muli %gmp, %np1 : index
    %block = arith.addi %gmn, %pn : index
    %one = arith.constant 1 : i32
    %before = tile.atomic_add %sem[%block], %one : !tile.ptr<i32>
    %spl1i = arith.index_cast %spl1 : index to i32
    %last = arith.cmpi eq, %before, %spl1i : i32
    scf.if %last {
      %mld = arith.muli %m, %ldy : index
      %sum = scf.for %sp = %c0 to %splits step %c4 iter_args(%a = %acc0) -> (tensor<16x64xf32>) {
        %t03 = tile.load %part[%sp, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t0 = tile.reshape %t03 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp1 = arith.addi %sp, %c1 : index
        %t13 = tile.load %part[%sp1, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t1 = tile.reshape %t13 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp2 = arith.addi %sp, %c2 : index
        %t23 = tile.load %part[%sp2, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t2 = tile.reshape %t23 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp3 = arith.addi %sp, %c3 : index
        %t33 = tile.load %part[%sp3, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t3 = tile.reshape %t33 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %a1 = arith.addf %a, %t0 : tensor<16x64xf32>
        %a2 = arith.addf %a1, %t1 : tensor<16x64xf32>
        %a3 = arith.addf %a2, %t2 : tensor<16x64xf32>
        %a4 = arith.addf %a3, %t3 : tensor<16x64xf32>
        scf.yield %a4 : tensor<16x64xf32>
      }
      %out = tile.cast %sum : tensor<16x64xf32> -> tensor<16x64xbf16>
      tile.store %out, %y[%row0, %ycol] strides[%ldy, %c1] bounds[%m, %gnend]
          : tensor<16x64xbf16> -> !tile.ptr<bf16>
      // Ready for the next launch.
      %c0i = arith.constant 0 : i32
      %zeros = tile.splat %c0i : tensor<1xi32>
      tile.store %zeros, %sem[%block] strides[%c1]
          : tensor<1xi32> -> !tile.ptr<i32>
    }
  }
  tile.return
}

// The same product with an f32 result (no rounding).
tile.kernel @matmul_bf16_f32(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                             %y: !tile.ptr<f32>, %m: index, %n: index,
                             %k: index, %ldx: index, %ldy: index,
                             %part: !tile.ptr<f32>, %sem: !tile.ptr<i32>,
                             %splits: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %pgs = tile.program_id 2
  %g = arith.divui %pgs, %splits : index
  %pz = arith.remui %pgs, %splits : index
  %row0 = arith.muli %pm, %c16 : index
  %col0 = arith.muli %pn, %c64 : index
  %gk = arith.muli %g, %k : index
  %gkend = arith.addi %gk, %k : index
  %gn = arith.muli %g, %n : index
  %gnend = arith.addi %gn, %n : index
  %wrow = arith.addi %gn, %col0 : index

  %acc0 = tile.splat %zero : tensor<16x64xf32>
  // This program's slice of K: [k0, k1), whole 128-blocks.
  %c127 = arith.constant 127 : index
  %c128 = arith.constant 128 : index
  %kp = arith.addi %k, %c127 : index
  %kblocks = arith.divui %kp, %c128 : index
  %spl1 = arith.subi %splits, %c1 : index
  %perb = arith.addi %kblocks, %spl1 : index
  %per = arith.divui %perb, %splits : index
  %kchunk = arith.muli %per, %c128 : index
  %k0 = arith.muli %pz, %kchunk : index
  %k0c = arith.addi %k0, %kchunk : index
  %k1 = arith.minui %k0c, %k : index
  %acc = scf.for %kk = %k0 to %k1 step %c128 iter_args(%acc_in = %acc0) -> (tensor<16x64xf32>) {
    %xc = arith.addi %gk, %kk : index
    %xt = tile.load %x[%row0, %xc] strides[%ldx, %c1] bounds[%m, %gkend]
        : !tile.ptr<bf16> -> tensor<16x128xbf16>
    %wt = tile.load %w[%wrow, %kk] strides[%k, %c1] bounds[%gnend, %k]
        : !tile.ptr<bf16> -> tensor<64x128xbf16>
    %d = tile.dot %xt, %wt acc %acc_in {rhs_transposed}
        : tensor<16x128xbf16>, tensor<64x128xbf16> -> tensor<16x64xf32>
    scf.yield %d : tensor<16x64xf32>
  }
  %ycol = arith.addi %gn, %col0 : index
  %single = arith.cmpi eq, %splits, %c1 : index
  scf.if %single {
    tile.store %acc, %y[%row0, %ycol] strides[%ldy, %c1] bounds[%m, %gnend]
        : tensor<16x64xf32> -> !tile.ptr<f32>
  } else {
    %pm0 = arith.muli %pz, %m : index
    %prow = arith.addi %pm0, %row0 : index
    %pend = arith.addi %pm0, %m : index
    tile.store %acc, %part[%prow, %ycol] strides[%ldy, %c1] bounds[%pend, %gnend]
        : tensor<16x64xf32> -> !tile.ptr<f32>
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %np0 = tile.num_programs 0
    %np1 = tile.num_programs 1
    %gm = arith.muli %g, %np0 : index
    %gmp = arith.addi %gm, %pm : index
    %gmn = arith.muli %gmp, %np1 : index
    %block = arith.addi %gmn, %pn : index
    %one = arith.constant 1 : i32
    %before = tile.atomic_add %sem[%block], %one : !tile.ptr<i32>
    %spl1i = arith.index_cast %spl1 : index to i32
    %last = arith.cmpi eq, %before, %spl1i : i32
    scf.if %last {
      %mld = arith.muli %m, %ldy : index
      %sum = scf.for %sp = %c0 to %splits step %c4 iter_args(%a = %acc0) -> (tensor<16x64xf32>) {
        %t03 = tile.load %part[%sp, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t0 = tile.reshape %t03 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp1 = arith.addi %sp, %c1 : index
        %t13 = tile.load %part[%sp1, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t1 = tile.reshape %t13 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp2 = arith.addi %sp, %c2 : index
        %t23 = tile.load %part[%sp2, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t2 = tile.reshape %t23 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %sp3 = arith.addi %sp, %c3 : index
        %t33 = tile.load %part[%sp3, %row0, %ycol] strides[%mld, %ldy, %c1] bounds[%splits, %m, %gnend]
            : !tile.ptr<f32> -> tensor<1x16x64xf32>
        %t3 = tile.reshape %t33 : tensor<1x16x64xf32> -> tensor<16x64xf32>
        %a1 = arith.addf %a, %t0 : tensor<16x64xf32>
        %a2 = arith.addf %a1, %t1 : tensor<16x64xf32>
        %a3 = arith.addf %a2, %t2 : tensor<16x64xf32>
        %a4 = arith.addf %a3, %t3 : tensor<16x64xf32>
        scf.yield %a4 : tensor<16x64xf32>
      }
      tile.store %sum, %y[%row0, %ycol] strides[%ldy, %c1] bounds[%m, %gnend]
          : tensor<16x64xf32> -> !tile.ptr<f32>
      // Ready for the next launch.
      %c0i = arith.constant 0 : i32
      %zeros = tile.splat %c0i : tensor<1xi32>
      tile.store %zeros, %sem[%block] strides[%c1]
          : tensor<1xi32> -> !tile.ptr<i32>
    }
  }
  tile.return
}
