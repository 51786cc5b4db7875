// V4's output head (official ParallelHead.get_logits(norm(x)), one rank), as
// two kernels, so that the norm is computed once per row instead of once
// per program of the vocabulary GEMM (it was most of a k-step's work):
//   @head_norm:
//     xn[t] = bf16( f32(x[t]) * rsqrt(mean(f32(x[t])^2) + eps) * f32(nw) )
//   @head:
//     logits[t, v] = sum_d f32(xn[t, d]) * f32(W[v, d])          (f32)
// x: bf16 rows of the mHC head mix, row t at x + t * ldx (ldx = D for packed
// rows; pass the last position's rows, as get_logits takes x[:, -1]);
// nw: bf16 [D] (the final norm's weight); xn: bf16 [M, D]; W: bf16 [V, D]
// (head.weight is stored bf16; the official fp32 parameter holds the same
// values); logits: f32 [M, V].
// @head_norm: one program normalises 16 rows, D in blocks of 128; grid
// (ceil(M/16)).
tile.kernel @head_norm(%x: !tile.ptr<bf16>, %nw: !tile.ptr<bf16>,
                       %xn: !tile.ptr<bf16>, %m: index, %d: index,
                       %ldx: index, %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %row0 = arith.muli %pm, %c16 : index

  %ss0 = tile.splat %zero : tensor<16xf32>
  %ss = scf.for %kk = %c0 to %d step %c128 iter_args(%acc = %ss0) -> (tensor<16xf32>) {
    %xt = tile.load %x[%row0, %kk] strides[%ldx, %c1] bounds[%m, %d]
        : !tile.ptr<bf16> -> tensor<16x128xbf16>
    %xf = tile.cast %xt : tensor<16x128xbf16> -> tensor<16x128xf32>
    %sq = arith.mulf %xf, %xf : tensor<16x128xf32>
    %part = tile.reduce sum %sq {dim = 1} : tensor<16x128xf32> -> tensor<16xf32>
    %next = arith.addf %acc, %part : tensor<16xf32>
    scf.yield %next : tensor<16xf32>
  }
  %di = arith.index_cast %d : index to i32
  %df = arith.sitofp %di : i32 to f32
  %dt = tile.splat %df : tensor<16xf32>
  %mean = arith.divf %ss, %dt : tensor<16xf32>
  %epst = tile.splat %eps : tensor<16xf32>
  %var = arith.addf %mean, %epst : tensor<16xf32>
  %inv = math.rsqrt %var : tensor<16xf32>
  %inv2 = tile.reshape %inv : tensor<16xf32> -> tensor<16x1xf32>
  %invb = tile.broadcast %inv2 : tensor<16x1xf32> -> tensor<16x128xf32>

  scf.for %kk = %c0 to %d step %c128 {
    %xt = tile.load %x[%row0, %kk] strides[%ldx, %c1] bounds[%m, %d]
        : !tile.ptr<bf16> -> tensor<16x128xbf16>
    %wn = tile.load %nw[%c0, %kk] strides[%c0, %c1] bounds[%c1, %d]
        : !tile.ptr<bf16> -> tensor<1x128xbf16>
    %xf = tile.cast %xt : tensor<16x128xbf16> -> tensor<16x128xf32>
    %wnf = tile.cast %wn : tensor<1x128xbf16> -> tensor<1x128xf32>
    %wnb = tile.broadcast %wnf : tensor<1x128xf32> -> tensor<16x128xf32>
    %xn0 = arith.mulf %xf, %invb : tensor<16x128xf32>
    %xn1 = arith.mulf %wnb, %xn0 : tensor<16x128xf32>
    %xnt = tile.cast %xn1 : tensor<16x128xf32> -> tensor<16x128xbf16>
    tile.store %xnt, %xn[%row0, %kk] strides[%d, %c1] bounds[%m, %d]
        : tensor<16x128xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}

// @head: one program computes 16 rows x 64 vocabulary entries (a
// tensor-core tile is 16 rows: fewer rows would not read W less often);
// grid (ceil(M/16), ceil(V/64)).
tile.kernel @head(%xn: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                  %logits: !tile.ptr<f32>, %m: index, %d: index, %v: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pv = tile.program_id 1
  %row0 = arith.muli %pm, %c16 : index
  %col0 = arith.muli %pv, %c64 : index

  %l0 = tile.splat %zero : tensor<16x64xf32>
  %l = scf.for %kk = %c0 to %d step %c128 iter_args(%acc = %l0) -> (tensor<16x64xf32>) {
    %xt = tile.load %xn[%row0, %kk] strides[%d, %c1] bounds[%m, %d]
        : !tile.ptr<bf16> -> tensor<16x128xbf16>
    %wt = tile.load %w[%col0, %kk] strides[%d, %c1] bounds[%v, %d]
        : !tile.ptr<bf16> -> tensor<64x128xbf16>
    %r = tile.dot %xt, %wt acc %acc {rhs_transposed}
        : tensor<16x128xbf16>, tensor<64x128xbf16> -> tensor<16x64xf32>
    scf.yield %r : tensor<16x64xf32>
  }
  tile.store %l, %logits[%row0, %col0] strides[%v, %c1] bounds[%m, %v]
      : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}
