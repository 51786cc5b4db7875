// V4's manifold-constrained hyper-connections (mHC) around every sub-layer,
// with hc_mult = 4 residual streams h[t, i, :] (bf16 [n, 4, D]), and the
// head's stream mix. Official: Block.hc_pre + kernel.py hc_split_sinkhorn,
// Block.hc_post, ParallelHead.hc_head. hc_mult = 4 is static; D is a runtime
// argument (any D; ragged edges are bounded).

// mhc_mix: the partial sums behind mhc_pre's and mhc_head's mixes, over 32
// slices of 4D, so that this GEMV over the 4 streams fills the GPU however
// few tokens there are (one program per 4 tokens and slice):
//   xf = f32(flatten(h[t]))                                  [4D]
//   part[t, s, r]  = sum_{k in slice s} xf[k] * fn[r, k]     r < rows
//   part[t, s, 24] = sum_{k in slice s} xf[k]^2
// fn f32 [rows, 4D], rows <= 24 (mhc_pre: 24, mhc_head: 4). Slice s is
// [s * w, (s + 1) * w), w = ceil(4D / 4096) * 128 (empty slices sum to 0).
// part f32 [n, 32, 32]: columns rows..23 hold zeros, 25..31 are not written.
// Grid (ceil(n/4), 32).
tile.kernel @mhc_mix(%h: !tile.ptr<bf16>, %fn: !tile.ptr<f32>,
                     %part: !tile.ptr<f32>, %n: index, %d: index,
                     %rows: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c24 = arith.constant 24 : index
  %c25 = arith.constant 25 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %c1024 = arith.constant 1024 : index
  %c4095 = arith.constant 4095 : index
  %c4096 = arith.constant 4096 : index
  %zero = arith.constant 0.0 : f32
  %pid = tile.program_id 0
  %slice = tile.program_id 1
  %tok0 = arith.muli %pid, %c4 : index
  %hd = arith.muli %d, %c4 : index
  %wb = arith.addi %hd, %c4095 : index
  %wn = arith.divui %wb, %c4096 : index
  %w = arith.muli %wn, %c128 : index
  %k0 = arith.muli %slice, %w : index
  %k0w = arith.addi %k0, %w : index
  %k1 = arith.minui %k0w, %hd : index
  %ss0 = tile.splat %zero : tensor<4xf32>
  %m0 = tile.splat %zero : tensor<4x24xf32>
  %acc:2 = scf.for %kk = %k0 to %k1 step %c128 iter_args(%ss = %ss0, %mix = %m0)
      -> (tensor<4xf32>, tensor<4x24xf32>) {
    %xt = tile.load %h[%tok0, %kk] strides[%hd, %c1] bounds[%n, %hd]
        : !tile.ptr<bf16> -> tensor<4x128xbf16>
    %xf = tile.cast %xt : tensor<4x128xbf16> -> tensor<4x128xf32>
    %sq = arith.mulf %xf, %xf : tensor<4x128xf32>
    %sqs = tile.reduce sum %sq {dim = 1} : tensor<4x128xf32> -> tensor<4xf32>
    %ss2 = arith.addf %ss, %sqs : tensor<4xf32>
    %ft = tile.load %fn[%c0, %kk] strides[%hd, %c1] bounds[%rows, %hd]
        : !tile.ptr<f32> -> tensor<24x128xf32>
    %mix2 = tile.dot %xf, %ft acc %mix {rhs_transposed}
        : tensor<4x128xf32>, tensor<24x128xf32> -> tensor<4x24xf32>
    scf.yield %ss2, %mix2 : tensor<4xf32>, tensor<4x24xf32>
  }
  %col0 = arith.muli %slice, %c32 : index
  %mend = arith.addi %col0, %c24 : index
  tile.store %acc#1, %part[%tok0, %col0] strides[%c1024, %c1] bounds[%n, %mend]
      : tensor<4x24xf32> -> !tile.ptr<f32>
  %sscol = arith.addi %col0, %c24 : index
  %ssend = arith.addi %col0, %c25 : index
  %ss2d = tile.reshape %acc#0 : tensor<4xf32> -> tensor<4x1xf32>
  tile.store %ss2d, %part[%tok0, %sscol] strides[%c1024, %c1] bounds[%n, %ssend]
      : tensor<4x1xf32> -> !tile.ptr<f32>
  tile.return
}

// mhc_pre: mix the 4 streams into the sub-layer input and make post/comb,
// from mhc_mix's partial sums (rows 24):
//   mix = (xf @ fn^T) * rsqrt(mean(xf^2) + norm_eps)         [24], fn f32 [24, 4D]
//   pre_i  = sigmoid(mix[i] * scale[0] + base[i]) + hc_eps          i < 4
//   post_i = 2 * sigmoid(mix[4+i] * scale[1] + base[4+i])
//   comb[j][k] = mix[8+4j+k] * scale[2] + base[8+4j+k], then
//     comb = softmax over k (rows) + hc_eps; comb /= (column sums + hc_eps);
//     iters - 1 times: comb /= (row sums + hc_eps); comb /= (column sums + hc_eps)
//   y[t] = bf16(sum_i pre_i * f32(h[t, i]))
// Outputs y bf16 [n, D], post f32 [n, 4], comb f32 [n, 4, 4] (row j, column k:
// h'_k takes comb[j][k] of stream j). iters = hc_sinkhorn_iters (20).
// Program (p, c) mixes tokens 4p..4p+3 into y's columns [256c, 256c + 256);
// the programs with c = ceil(D/256) write post and comb (the Sinkhorn rounds
// are a chain of small steps: beside the mix, not before it).
// Grid (ceil(n/4), ceil(D/256) + 1).
tile.kernel @mhc_pre(%h: !tile.ptr<bf16>, %part: !tile.ptr<f32>,
                     %scale: !tile.ptr<f32>, %base: !tile.ptr<f32>,
                     %y: !tile.ptr<bf16>, %post: !tile.ptr<f32>,
                     %comb: !tile.ptr<f32>, %n: index, %d: index,
                     %norm_eps: f32, %hc_eps: f32, %iters: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c24 = arith.constant 24 : index
  %c25 = arith.constant 25 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  %c1024 = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %pid = tile.program_id 0
  %pcolumn = tile.program_id 1
  %tok0 = arith.muli %pid, %c4 : index
  %hd = arith.muli %d, %c4 : index

  // The 24 mixes and the sum of squares: the 32 slices' sums, in order.
  %pp = tile.load %part[%tok0, %c0, %c0] strides[%c1024, %c32, %c1]
      bounds[%n, %c32, %c4] : !tile.ptr<f32> -> tensor<4x32x4xf32>
  %pq = tile.load %part[%tok0, %c0, %c4] strides[%c1024, %c32, %c1]
      bounds[%n, %c32, %c8] : !tile.ptr<f32> -> tensor<4x32x4xf32>
  %pc = tile.load %part[%tok0, %c0, %c8] strides[%c1024, %c32, %c1]
      bounds[%n, %c32, %c24] : !tile.ptr<f32> -> tensor<4x32x16xf32>
  %ps = tile.load %part[%tok0, %c0, %c24] strides[%c1024, %c32, %c1]
      bounds[%n, %c32, %c25] : !tile.ptr<f32> -> tensor<4x32x1xf32>
  %mpre = tile.reduce sum %pp {dim = 1} : tensor<4x32x4xf32> -> tensor<4x4xf32>
  %mpost = tile.reduce sum %pq {dim = 1} : tensor<4x32x4xf32> -> tensor<4x4xf32>
  %mcomb = tile.reduce sum %pc {dim = 1} : tensor<4x32x16xf32> -> tensor<4x16xf32>
  %ss1 = tile.reduce sum %ps {dim = 1} : tensor<4x32x1xf32> -> tensor<4x1xf32>
  %ss = tile.reshape %ss1 : tensor<4x1xf32> -> tensor<4xf32>
  %hdi = arith.index_cast %hd : index to i32
  %hdf = arith.sitofp %hdi : i32 to f32
  %hdt = tile.splat %hdf : tensor<4xf32>
  %mean = arith.divf %ss, %hdt : tensor<4xf32>
  %epst = tile.splat %norm_eps : tensor<4xf32>
  %var = arith.addf %mean, %epst : tensor<4xf32>
  %rs = math.rsqrt %var : tensor<4xf32>
  %rs2 = tile.reshape %rs : tensor<4xf32> -> tensor<4x1xf32>
  %rs4 = tile.broadcast %rs2 : tensor<4x1xf32> -> tensor<4x4xf32>
  %rs16 = tile.broadcast %rs2 : tensor<4x1xf32> -> tensor<4x16xf32>

  // The three scales and the 24 biases.
  %s0 = tile.load %scale[%c0, %c0] strides[%c1, %c1] : !tile.ptr<f32> -> tensor<1x1xf32>
  %s1 = tile.load %scale[%c1, %c0] strides[%c1, %c1] : !tile.ptr<f32> -> tensor<1x1xf32>
  %s2 = tile.load %scale[%c2, %c0] strides[%c1, %c1] : !tile.ptr<f32> -> tensor<1x1xf32>
  %s0b = tile.broadcast %s0 : tensor<1x1xf32> -> tensor<4x4xf32>
  %s1b = tile.broadcast %s1 : tensor<1x1xf32> -> tensor<4x4xf32>
  %s2b = tile.broadcast %s2 : tensor<1x1xf32> -> tensor<4x16xf32>
  %bpre = tile.load %base[%c0, %c0] strides[%c0, %c1] : !tile.ptr<f32> -> tensor<4x4xf32>
  %bpost = tile.load %base[%c0, %c4] strides[%c0, %c1] : !tile.ptr<f32> -> tensor<4x4xf32>
  %bcomb = tile.load %base[%c0, %c8] strides[%c0, %c1] : !tile.ptr<f32> -> tensor<4x16xf32>

  %one44 = tile.splat %one : tensor<4x4xf32>
  %hceps44 = tile.splat %hc_eps : tensor<4x4xf32>
  // pre = sigmoid(mix * scale0 + base) + eps
  %mp = arith.mulf %mpre, %rs4 : tensor<4x4xf32>
  %zp0 = arith.mulf %mp, %s0b : tensor<4x4xf32>
  %zp = arith.addf %zp0, %bpre : tensor<4x4xf32>
  %nzp = arith.negf %zp : tensor<4x4xf32>
  %ezp = math.exp %nzp : tensor<4x4xf32>
  %dzp = arith.addf %one44, %ezp : tensor<4x4xf32>
  %sigp = arith.divf %one44, %dzp : tensor<4x4xf32>
  %pre = arith.addf %sigp, %hceps44 : tensor<4x4xf32>
  // post and comb: once per token, by a program of their own (the last
  // column), beside the programs that mix y.
  %columns = tile.num_programs 1
  %lastColumn = arith.subi %columns, %c1 : index
  %first = arith.cmpi eq, %pcolumn, %lastColumn : index
  scf.if %first {
    // post = 2 * sigmoid(mix * scale1 + base)
    %mq = arith.mulf %mpost, %rs4 : tensor<4x4xf32>
    %zq0 = arith.mulf %mq, %s1b : tensor<4x4xf32>
    %zq = arith.addf %zq0, %bpost : tensor<4x4xf32>
    %nzq = arith.negf %zq : tensor<4x4xf32>
    %ezq = math.exp %nzq : tensor<4x4xf32>
    %dzq = arith.addf %one44, %ezq : tensor<4x4xf32>
    %sigq = arith.divf %one44, %dzq : tensor<4x4xf32>
    %two44 = tile.splat %two : tensor<4x4xf32>
    %postv = arith.mulf %two44, %sigq : tensor<4x4xf32>
    tile.store %postv, %post[%tok0, %c0] strides[%c4, %c1] bounds[%n, %c4]
        : tensor<4x4xf32> -> !tile.ptr<f32>

    // comb logits as [token, j, k].
    %mc = arith.mulf %mcomb, %rs16 : tensor<4x16xf32>
    %zc0 = arith.mulf %mc, %s2b : tensor<4x16xf32>
    %zc1 = arith.addf %zc0, %bcomb : tensor<4x16xf32>
    %zc = tile.reshape %zc1 : tensor<4x16xf32> -> tensor<4x4x4xf32>
    %eps3 = tile.splat %hc_eps : tensor<4x4x4xf32>
    // Row softmax (over k) + eps.
    %rmax = tile.reduce max %zc {dim = 2} : tensor<4x4x4xf32> -> tensor<4x4xf32>
    %rmax3 = tile.reshape %rmax : tensor<4x4xf32> -> tensor<4x4x1xf32>
    %rmaxb = tile.broadcast %rmax3 : tensor<4x4x1xf32> -> tensor<4x4x4xf32>
    %zs = arith.subf %zc, %rmaxb : tensor<4x4x4xf32>
    %ez = math.exp %zs : tensor<4x4x4xf32>
    %rsum = tile.reduce sum %ez {dim = 2} : tensor<4x4x4xf32> -> tensor<4x4xf32>
    %rsum3 = tile.reshape %rsum : tensor<4x4xf32> -> tensor<4x4x1xf32>
    %rsumb = tile.broadcast %rsum3 : tensor<4x4x1xf32> -> tensor<4x4x4xf32>
    %sm = arith.divf %ez, %rsumb : tensor<4x4x4xf32>
    %c_init = arith.addf %sm, %eps3 : tensor<4x4x4xf32>
    // Column normalisation (over j).
    %cs = tile.reduce sum %c_init {dim = 1} : tensor<4x4x4xf32> -> tensor<4x4xf32>
    %cs3 = tile.reshape %cs : tensor<4x4xf32> -> tensor<4x1x4xf32>
    %csb = tile.broadcast %cs3 : tensor<4x1x4xf32> -> tensor<4x4x4xf32>
    %csd = arith.addf %csb, %eps3 : tensor<4x4x4xf32>
    %c_first = arith.divf %c_init, %csd : tensor<4x4x4xf32>
    %rounds = arith.subi %iters, %c1 : index
    %cfin = scf.for %it = %c0 to %rounds step %c1 iter_args(%cm = %c_first) -> (tensor<4x4x4xf32>) {
      %r = tile.reduce sum %cm {dim = 2} : tensor<4x4x4xf32> -> tensor<4x4xf32>
      %r3 = tile.reshape %r : tensor<4x4xf32> -> tensor<4x4x1xf32>
      %rb = tile.broadcast %r3 : tensor<4x4x1xf32> -> tensor<4x4x4xf32>
      %rd = arith.addf %rb, %eps3 : tensor<4x4x4xf32>
      %cr = arith.divf %cm, %rd : tensor<4x4x4xf32>
      %col = tile.reduce sum %cr {dim = 1} : tensor<4x4x4xf32> -> tensor<4x4xf32>
      %col3 = tile.reshape %col : tensor<4x4xf32> -> tensor<4x1x4xf32>
      %colb = tile.broadcast %col3 : tensor<4x1x4xf32> -> tensor<4x4x4xf32>
      %cd = arith.addf %colb, %eps3 : tensor<4x4x4xf32>
      %cc = arith.divf %cr, %cd : tensor<4x4x4xf32>
      scf.yield %cc : tensor<4x4x4xf32>
    }
    %cflat = tile.reshape %cfin : tensor<4x4x4xf32> -> tensor<4x16xf32>
    tile.store %cflat, %comb[%tok0, %c0] strides[%c16, %c1] bounds[%n, %c16]
        : tensor<4x16xf32> -> !tile.ptr<f32>
  }

  // y = sum_i pre_i * h_i over this program's 256 columns: the 4 streams in
  // one load, summed over i in order (the post/comb program has none).
  %c256 = arith.constant 256 : index
  %ycol0 = arith.muli %pcolumn, %c256 : index
  %ycolw = arith.addi %ycol0, %c256 : index
  %ycol1 = arith.minui %ycolw, %d : index
  scf.for %kk = %ycol0 to %ycol1 step %c256 {
    %ht = tile.load %h[%tok0, %c0, %kk] strides[%hd, %d, %c1] bounds[%n, %c4, %d]
        : !tile.ptr<bf16> -> tensor<4x4x256xbf16>
    %hf = tile.cast %ht : tensor<4x4x256xbf16> -> tensor<4x4x256xf32>
    %pre3 = tile.reshape %pre : tensor<4x4xf32> -> tensor<4x4x1xf32>
    %preb = tile.broadcast %pre3 : tensor<4x4x1xf32> -> tensor<4x4x256xf32>
    %wh = arith.mulf %preb, %hf : tensor<4x4x256xf32>
    %ys = tile.reduce sum %wh {dim = 1} : tensor<4x4x256xf32> -> tensor<4x256xf32>
    %yb = tile.cast %ys : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %yb, %y[%tok0, %kk] strides[%d, %c1] bounds[%n, %d]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}

// mhc_post: new streams from the sub-layer output x (bf16 [n, D]), the old
// streams res (bf16 [n, 4, D]) and mhc_pre's post [n, 4] and comb [n, 4, 4]:
//   out[t, k] = bf16( post[t, k] * f32(x[t]) + sum_j comb[t, j, k] * f32(res[t, j]) )
// added in that order. One program does 4 tokens x 128 columns, each input
// in one load (the 4 old streams together); grid (ceil(n/4), ceil(D/128)).
tile.kernel @mhc_post(%x: !tile.ptr<bf16>, %res: !tile.ptr<bf16>,
                      %post: !tile.ptr<f32>, %comb: !tile.ptr<f32>,
                      %out: !tile.ptr<bf16>, %n: index, %d: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %pt = tile.program_id 0
  %pc = tile.program_id 1
  %tok0 = arith.muli %pt, %c4 : index
  %col0 = arith.muli %pc, %c128 : index
  %hd = arith.muli %d, %c4 : index
  %xt = tile.load %x[%tok0, %col0] strides[%d, %c1] bounds[%n, %d]
      : !tile.ptr<bf16> -> tensor<4x128xbf16>
  %rt = tile.load %res[%tok0, %c0, %col0] strides[%hd, %d, %c1] bounds[%n, %c4, %d]
      : !tile.ptr<bf16> -> tensor<4x4x128xbf16>
  %pv = tile.load %post[%tok0, %c0] strides[%c4, %c1] bounds[%n, %c4]
      : !tile.ptr<f32> -> tensor<4x4xf32>
  %cv = tile.load %comb[%tok0, %c0, %c0] strides[%c16, %c4, %c1] bounds[%n, %c4, %c4]
      : !tile.ptr<f32> -> tensor<4x4x4xf32>
  // [t, k, 1 + j, c]: post * x first, then stream j's term.
  %xf = tile.cast %xt : tensor<4x128xbf16> -> tensor<4x128xf32>
  %x4 = tile.reshape %xf : tensor<4x128xf32> -> tensor<4x1x1x128xf32>
  %xb = tile.broadcast %x4 : tensor<4x1x1x128xf32> -> tensor<4x4x1x128xf32>
  %p4 = tile.reshape %pv : tensor<4x4xf32> -> tensor<4x4x1x1xf32>
  %pb = tile.broadcast %p4 : tensor<4x4x1x1xf32> -> tensor<4x4x1x128xf32>
  %px = arith.mulf %pb, %xb : tensor<4x4x1x128xf32>
  %rf = tile.cast %rt : tensor<4x4x128xbf16> -> tensor<4x4x128xf32>
  %r4 = tile.reshape %rf : tensor<4x4x128xf32> -> tensor<4x1x4x128xf32>
  %rb = tile.broadcast %r4 : tensor<4x1x4x128xf32> -> tensor<4x4x4x128xf32>
  %ckj = tile.trans %cv {perm = array<i64: 0, 2, 1>} : tensor<4x4x4xf32> -> tensor<4x4x4xf32>
  %c4d = tile.reshape %ckj : tensor<4x4x4xf32> -> tensor<4x4x4x1xf32>
  %cb = tile.broadcast %c4d : tensor<4x4x4x1xf32> -> tensor<4x4x4x128xf32>
  %cr = arith.mulf %cb, %rb : tensor<4x4x4x128xf32>
  %terms = tile.concat %px, %cr {dim = 2}
      : tensor<4x4x1x128xf32>, tensor<4x4x4x128xf32> -> tensor<4x4x5x128xf32>
  %acc = tile.reduce sum %terms {dim = 2} : tensor<4x4x5x128xf32> -> tensor<4x4x128xf32>
  %o = tile.cast %acc : tensor<4x4x128xf32> -> tensor<4x4x128xbf16>
  tile.store %o, %out[%tok0, %c0, %col0] strides[%hd, %d, %c1] bounds[%n, %c4, %d]
      : tensor<4x4x128xbf16> -> !tile.ptr<bf16>
  tile.return
}

// mhc_head: the final stream mix before the head's RMSNorm (no Sinkhorn):
//   mix = (xf @ fn^T) * rsqrt(mean(xf^2) + norm_eps)        fn f32 [4, 4D]
//   pre_i = sigmoid(mix[i] * scale[0] + base[i]) + hc_eps   scale f32 [1], base f32 [4]
//   y[t] = bf16(sum_i pre_i * f32(h[t, i]))
// From mhc_mix's partial sums (rows 4). Program (p, c) mixes tokens
// 4p..4p+3 into y's columns [256c, 256c + 256); grid (ceil(n/4), ceil(D/256)).
tile.kernel @mhc_head(%h: !tile.ptr<bf16>, %part: !tile.ptr<f32>,
                      %scale: !tile.ptr<f32>, %base: !tile.ptr<f32>,
                      %y: !tile.ptr<bf16>, %n: index, %d: index,
                      %norm_eps: f32, %hc_eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c24 = arith.constant 24 : index
  %c25 = arith.constant 25 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  %c1024 = arith.constant 1024 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %pid = tile.program_id 0
  %pcolumn = tile.program_id 1
  %tok0 = arith.muli %pid, %c4 : index
  %hd = arith.muli %d, %c4 : index

  // The 4 mixes and the sum of squares: the 32 slices' sums, in order.
  %pm = tile.load %part[%tok0, %c0, %c0] strides[%c1024, %c32, %c1]
      bounds[%n, %c32, %c4] : !tile.ptr<f32> -> tensor<4x32x4xf32>
  %ps = tile.load %part[%tok0, %c0, %c24] strides[%c1024, %c32, %c1]
      bounds[%n, %c32, %c25] : !tile.ptr<f32> -> tensor<4x32x1xf32>
  %mix = tile.reduce sum %pm {dim = 1} : tensor<4x32x4xf32> -> tensor<4x4xf32>
  %ss1 = tile.reduce sum %ps {dim = 1} : tensor<4x32x1xf32> -> tensor<4x1xf32>
  %ss = tile.reshape %ss1 : tensor<4x1xf32> -> tensor<4xf32>
  %hdi = arith.index_cast %hd : index to i32
  %hdf = arith.sitofp %hdi : i32 to f32
  %hdt = tile.splat %hdf : tensor<4xf32>
  %mean = arith.divf %ss, %hdt : tensor<4xf32>
  %epst = tile.splat %norm_eps : tensor<4xf32>
  %var = arith.addf %mean, %epst : tensor<4xf32>
  %rs = math.rsqrt %var : tensor<4xf32>
  %rs2 = tile.reshape %rs : tensor<4xf32> -> tensor<4x1xf32>
  %rs4 = tile.broadcast %rs2 : tensor<4x1xf32> -> tensor<4x4xf32>
  %s0 = tile.load %scale[%c0, %c0] strides[%c1, %c1] : !tile.ptr<f32> -> tensor<1x1xf32>
  %s0b = tile.broadcast %s0 : tensor<1x1xf32> -> tensor<4x4xf32>
  %bpre = tile.load %base[%c0, %c0] strides[%c0, %c1] : !tile.ptr<f32> -> tensor<4x4xf32>
  %one44 = tile.splat %one : tensor<4x4xf32>
  %hceps44 = tile.splat %hc_eps : tensor<4x4xf32>
  %mp = arith.mulf %mix, %rs4 : tensor<4x4xf32>
  %zp0 = arith.mulf %mp, %s0b : tensor<4x4xf32>
  %zp = arith.addf %zp0, %bpre : tensor<4x4xf32>
  %nzp = arith.negf %zp : tensor<4x4xf32>
  %ezp = math.exp %nzp : tensor<4x4xf32>
  %dzp = arith.addf %one44, %ezp : tensor<4x4xf32>
  %sigp = arith.divf %one44, %dzp : tensor<4x4xf32>
  %pre = arith.addf %sigp, %hceps44 : tensor<4x4xf32>

  // y = sum_i pre_i * h_i over this program's 256 columns: the 4 streams in
  // one load, summed over i in order.
  %c256 = arith.constant 256 : index
  %ycol0 = arith.muli %pcolumn, %c256 : index
  %ycolw = arith.addi %ycol0, %c256 : index
  %ycol1 = arith.minui %ycolw, %d : index
  scf.for %kk = %ycol0 to %ycol1 step %c256 {
    %ht = tile.load %h[%tok0, %c0, %kk] strides[%hd, %d, %c1] bounds[%n, %c4, %d]
        : !tile.ptr<bf16> -> tensor<4x4x256xbf16>
    %hf = tile.cast %ht : tensor<4x4x256xbf16> -> tensor<4x4x256xf32>
    %pre3 = tile.reshape %pre : tensor<4x4xf32> -> tensor<4x4x1xf32>
    %preb = tile.broadcast %pre3 : tensor<4x4x1xf32> -> tensor<4x4x256xf32>
    %wh = arith.mulf %preb, %hf : tensor<4x4x256xf32>
    %ys = tile.reduce sum %wh {dim = 1} : tensor<4x4x256xf32> -> tensor<4x256xf32>
    %yb = tile.cast %ys : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %yb, %y[%tok0, %kk] strides[%d, %c1] bounds[%n, %d]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}
