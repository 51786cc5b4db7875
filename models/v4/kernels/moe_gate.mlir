// V4's MoE gate (official Gate.forward, score_func "sqrtsoftplus"):
//   s[t, e]   = sqrt(softplus(x[t] . Wg[e]))          (f32; softplus(z) = z for z > 20,
//                                                      else log1p(exp(z)), as torch's)
//   idx[t, :] = topk_6(s[t] + bias)                    (score-routed layers)
//             = tid2eid[ids[t], :]                     (hash layers: hash != 0)
//   w[t, j]   = s[t, idx[t, j]] / sum_j s[t, idx[t, j]] * route_scale
// The bias only chooses experts; weights come from the unbiased scores.
// logits: f32 [M, E], x @ Wg^T with x the ffn_norm output (bf16 [M, D]) and
// Wg bf16 [E, D], products exact in f32 like F.linear(x.float(),
// weight.float()): dense.mlir's matmul_bf16_f32, run before this kernel so
// that the GEMV fills the GPU (one program here reads 4 tokens' logits, not
// the whole gate). bias: f32 [E] (read only when
// hash == 0); tid2eid: i64 [vocab, 6] and ids: i64 [M] (read only when
// hash != 0). Outputs: w f32 [M, 6], idx i32 [M, 6] (order: descending biased
// score; hash: the table's order). E <= 512 and top-k = 6 are static.
// One program routes 4 tokens; grid (ceil(M/4)).
tile.kernel @moe_gate(%logit: !tile.ptr<f32>,
                      %bias: !tile.ptr<f32>, %tid2eid: !tile.ptr<i64>,
                      %ids: !tile.ptr<i64>, %wout: !tile.ptr<f32>,
                      %iout: !tile.ptr<i32>, %m: index, %e: index,
                      %hash: index, %route_scale: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  %twenty = arith.constant 20.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %neg1 = arith.constant -1 : i64
  %pid = tile.program_id 0
  %row0 = arith.muli %pid, %c4 : index

  // Experts past E read 0, as the product with zero rows of Wg did.
  %logits = tile.load %logit[%row0, %c0] strides[%e, %c1] bounds[%m, %e]
      : !tile.ptr<f32> -> tensor<4x512xf32>
  %twentyt = tile.splat %twenty : tensor<4x512xf32>
  %big = arith.cmpf ogt, %logits, %twentyt : tensor<4x512xf32>
  %ex = math.exp %logits : tensor<4x512xf32>
  %lp = math.log1p %ex : tensor<4x512xf32>
  %sp = arith.select %big, %logits, %lp : tensor<4x512xi1>, tensor<4x512xf32>
  %s = math.sqrt %sp : tensor<4x512xf32>

  %is_hash = arith.cmpi ne, %hash, %c0 : index
  %idx = scf.if %is_hash -> (tensor<4x6xi32>) {
    %tok = tile.load %ids[%row0] strides[%c1] bounds[%m] other %neg1
        : !tile.ptr<i64> -> tensor<4xi64>
    %g = tile.gather %tid2eid[%c0], %tok row_stride %c6
        : !tile.ptr<i64>, tensor<4xi64> -> tensor<4x6xi64>
    %gi = tile.cast %g : tensor<4x6xi64> -> tensor<4x6xi32>
    scf.yield %gi : tensor<4x6xi32>
  } else {
    // Experts past E get -inf so top-k never picks them.
    %b = tile.load %bias[%c0] strides[%c1] bounds[%e] other %ninf
        : !tile.ptr<f32> -> tensor<512xf32>
    %b2 = tile.reshape %b : tensor<512xf32> -> tensor<1x512xf32>
    %bb = tile.broadcast %b2 : tensor<1x512xf32> -> tensor<4x512xf32>
    %biased = arith.addf %s, %bb : tensor<4x512xf32>
    %vals, %top = tile.topk %biased {k = 6}
        : tensor<4x512xf32> -> tensor<4x6xf32>, tensor<4x6xi32>
    scf.yield %top : tensor<4x6xi32>
  }

  // w[t, j] = s[t, idx[t, j]]: per slot j, a one-hot select over the experts.
  %zi = arith.constant 0 : i32
  %io = tile.iota : tensor<512xi32>
  %io2 = tile.reshape %io : tensor<512xi32> -> tensor<1x512xi32>
  %iob = tile.broadcast %io2 : tensor<1x512xi32> -> tensor<4x512xi32>
  %jo = tile.iota : tensor<6xi32>
  %jo2 = tile.reshape %jo : tensor<6xi32> -> tensor<1x6xi32>
  %job = tile.broadcast %jo2 : tensor<1x6xi32> -> tensor<4x6xi32>
  %zit = tile.splat %zi : tensor<4x6xi32>
  %z6 = tile.splat %zero : tensor<4x6xf32>
  %z512 = tile.splat %zero : tensor<4x512xf32>
  %w = scf.for %j = %c0 to %c6 step %c1 iter_args(%wacc = %z6) -> (tensor<4x6xf32>) {
    %ji = arith.index_cast %j : index to i32
    %jt = tile.splat %ji : tensor<4x6xi32>
    %isj = arith.cmpi eq, %job, %jt : tensor<4x6xi32>
    %colj = arith.select %isj, %idx, %zit : tensor<4x6xi1>, tensor<4x6xi32>
    %ej = tile.reduce sum %colj {dim = 1} : tensor<4x6xi32> -> tensor<4xi32>
    %ej2 = tile.reshape %ej : tensor<4xi32> -> tensor<4x1xi32>
    %ejb = tile.broadcast %ej2 : tensor<4x1xi32> -> tensor<4x512xi32>
    %hit = arith.cmpi eq, %iob, %ejb : tensor<4x512xi32>
    %pick = arith.select %hit, %s, %z512 : tensor<4x512xi1>, tensor<4x512xf32>
    %v = tile.reduce sum %pick {dim = 1} : tensor<4x512xf32> -> tensor<4xf32>
    %v2 = tile.reshape %v : tensor<4xf32> -> tensor<4x1xf32>
    %vb = tile.broadcast %v2 : tensor<4x1xf32> -> tensor<4x6xf32>
    %wnext = arith.select %isj, %vb, %wacc : tensor<4x6xi1>, tensor<4x6xf32>
    scf.yield %wnext : tensor<4x6xf32>
  }
  %wsum = tile.reduce sum %w {dim = 1} : tensor<4x6xf32> -> tensor<4xf32>
  %wsum2 = tile.reshape %wsum : tensor<4xf32> -> tensor<4x1xf32>
  %wsumb = tile.broadcast %wsum2 : tensor<4x1xf32> -> tensor<4x6xf32>
  %wn = arith.divf %w, %wsumb : tensor<4x6xf32>
  %rst = tile.splat %route_scale : tensor<4x6xf32>
  %wr = arith.mulf %wn, %rst : tensor<4x6xf32>

  tile.store %wr, %wout[%row0, %c0] strides[%c6, %c1] bounds[%m, %c6]
      : tensor<4x6xf32> -> !tile.ptr<f32>
  tile.store %idx, %iout[%row0, %c0] strides[%c6, %c1] bounds[%m, %c6]
      : tensor<4x6xi32> -> !tile.ptr<i32>
  tile.return
}
