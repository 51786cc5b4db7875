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
// One program computes a 16x64 block of one group; K is visited in blocks of
// 64 (any k; ragged edges are bounded and read as 0).
// Grid: (ceil(m / 16), ceil(n / 64), groups).
tile.kernel @matmul_bf16(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                         %y: !tile.ptr<bf16>, %m: index, %n: index, %k: index,
                         %ldx: index, %ldy: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %g = tile.program_id 2
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
  %acc = scf.for %kk = %c0 to %k step %c64 iter_args(%acc_in = %acc0) -> (tensor<16x64xf32>) {
    %xc = arith.addi %gk, %kk : index
    %xt = tile.load %x[%row0, %xc] strides[%ldx, %c1] bounds[%m, %gkend]
        : !tile.ptr<bf16> -> tensor<16x64xbf16>
    %wt = tile.load %w[%wrow, %kk] strides[%k, %c1] bounds[%gnend, %k]
        : !tile.ptr<bf16> -> tensor<64x64xbf16>
    %d = tile.dot %xt, %wt acc %acc_in {rhs_transposed}
        : tensor<16x64xbf16>, tensor<64x64xbf16> -> tensor<16x64xf32>
    scf.yield %d : tensor<16x64xf32>
  }
  %out = tile.cast %acc : tensor<16x64xf32> -> tensor<16x64xbf16>
  %ycol = arith.addi %gn, %col0 : index
  tile.store %out, %y[%row0, %ycol] strides[%ldy, %c1] bounds[%m, %gnend]
      : tensor<16x64xbf16> -> !tile.ptr<bf16>
  tile.return
}

// The same product with an f32 result (no rounding).
tile.kernel @matmul_bf16_f32(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                             %y: !tile.ptr<f32>, %m: index, %n: index,
                             %k: index, %ldx: index, %ldy: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %g = tile.program_id 2
  %row0 = arith.muli %pm, %c16 : index
  %col0 = arith.muli %pn, %c64 : index
  %gk = arith.muli %g, %k : index
  %gkend = arith.addi %gk, %k : index
  %gn = arith.muli %g, %n : index
  %gnend = arith.addi %gn, %n : index
  %wrow = arith.addi %gn, %col0 : index

  %acc0 = tile.splat %zero : tensor<16x64xf32>
  %acc = scf.for %kk = %c0 to %k step %c64 iter_args(%acc_in = %acc0) -> (tensor<16x64xf32>) {
    %xc = arith.addi %gk, %kk : index
    %xt = tile.load %x[%row0, %xc] strides[%ldx, %c1] bounds[%m, %gkend]
        : !tile.ptr<bf16> -> tensor<16x64xbf16>
    %wt = tile.load %w[%wrow, %kk] strides[%k, %c1] bounds[%gnend, %k]
        : !tile.ptr<bf16> -> tensor<64x64xbf16>
    %d = tile.dot %xt, %wt acc %acc_in {rhs_transposed}
        : tensor<16x64xbf16>, tensor<64x64xbf16> -> tensor<16x64xf32>
    scf.yield %d : tensor<16x64xf32>
  }
  %ycol = arith.addi %gn, %col0 : index
  tile.store %acc, %y[%row0, %ycol] strides[%ldy, %c1] bounds[%m, %gnend]
      : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}
