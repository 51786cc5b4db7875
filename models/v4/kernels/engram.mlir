// Engram conditional memory (DeepSeek, arXiv 2601.07372; the math of
// deepseek-ai/Engram's engram_demo_v1.py), for V4's residual streams.
// At an Engram layer, before attention:
//   ids   = @engram_hash(the last N compressed token ids of each row)
//   emb   = @embedding(table, ids)            the multi-head embedding rows
//   key   = emb @ key_proj^T  (one per stream), value = emb @ value_proj^T
//                                             (@matmul_bf16_f32)
//   v     = @engram_gate(key, value, h)       gate per stream * value
//   xn    = @engram_conv_norm(v)              RMSNorm per stream (conv input)
//   h    += v + SiLU(causal depthwise conv(xn)) (@engram_conv)
// The conv reads (kernel - 1) * dilation earlier rows of xn: a sequence keeps
// them as its conv state, so decode steps need no recomputation.

// @engram_hash: NgramHashMapping._get_ngram_hashes plus MultiHeadEmbedding's
// offsets:
//   mix_n[r]            = XOR_{k<n} ctx[r, k] * mult[k]   (i64, ids >= 0)
//   out[r, (n-2)*H + j] = mix_n[r] % prime[(n-2)*H + j] + offset[(n-2)*H + j]
// for n = 2..N. ctx[r, k] is the compressed id of the token k positions
// before row r's (the compressed pad id before the sequence's start).
//   ctx: i64 [rows, N]; mult: i64 [N]; prime, offset: i64 [(N-1)*H];
//   out: i64 [rows, (N-1)*H]. N <= 4 and (N-1)*H <= 64.
// Grid (ceil(rows/16)).
tile.kernel @engram_hash(%ctx: !tile.ptr<i64>, %mult: !tile.ptr<i64>,
                         %prime: !tile.ptr<i64>, %offset: !tile.ptr<i64>,
                         %out: !tile.ptr<i64>, %rows: index, %n: index,
                         %heads: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0 : i64
  %one = arith.constant 1 : i64
  %pid = tile.program_id 0
  %r0 = arith.muli %pid, %c16 : index

  // Columns k >= N load as 0 and leave the XOR unchanged.
  %ct = tile.load %ctx[%r0, %c0] strides[%n, %c1] bounds[%rows, %n]
      other %zero : !tile.ptr<i64> -> tensor<16x4xi64>
  %mt = tile.load %mult[%c0, %c0] strides[%c0, %c1] bounds[%c1, %n]
      other %zero : !tile.ptr<i64> -> tensor<1x4xi64>
  %mb = tile.broadcast %mt : tensor<1x4xi64> -> tensor<16x4xi64>
  %prod = arith.muli %ct, %mb : tensor<16x4xi64>
  %p0 = tile.slice %prod {offsets = array<i64: 0, 0>}
      : tensor<16x4xi64> -> tensor<16x1xi64>
  %p1 = tile.slice %prod {offsets = array<i64: 0, 1>}
      : tensor<16x4xi64> -> tensor<16x1xi64>
  %p2 = tile.slice %prod {offsets = array<i64: 0, 2>}
      : tensor<16x4xi64> -> tensor<16x1xi64>
  %p3 = tile.slice %prod {offsets = array<i64: 0, 3>}
      : tensor<16x4xi64> -> tensor<16x1xi64>
  %m2 = arith.xori %p0, %p1 : tensor<16x1xi64>
  %m3 = arith.xori %m2, %p2 : tensor<16x1xi64>
  %m4 = arith.xori %m3, %p3 : tensor<16x1xi64>
  %b2 = tile.broadcast %m2 : tensor<16x1xi64> -> tensor<16x64xi64>
  %b3 = tile.broadcast %m3 : tensor<16x1xi64> -> tensor<16x64xi64>
  %b4 = tile.broadcast %m4 : tensor<16x1xi64> -> tensor<16x64xi64>

  // Output column c hashes the (c / H + 2)-gram.
  %headsi = arith.index_cast %heads : index to i32
  %hs = tile.splat %headsi : tensor<64xi32>
  %io = tile.iota : tensor<64xi32>
  %gram = arith.divui %io, %hs : tensor<64xi32>
  %z = arith.constant dense<0> : tensor<64xi32>
  %o = arith.constant dense<1> : tensor<64xi32>
  %is2 = arith.cmpi eq, %gram, %z : tensor<64xi32>
  %is3 = arith.cmpi eq, %gram, %o : tensor<64xi32>
  %is2r = tile.reshape %is2 : tensor<64xi1> -> tensor<1x64xi1>
  %is3r = tile.reshape %is3 : tensor<64xi1> -> tensor<1x64xi1>
  %is2b = tile.broadcast %is2r : tensor<1x64xi1> -> tensor<16x64xi1>
  %is3b = tile.broadcast %is3r : tensor<1x64xi1> -> tensor<16x64xi1>
  %m34 = arith.select %is3b, %b3, %b4 : tensor<16x64xi1>, tensor<16x64xi64>
  %mix = arith.select %is2b, %b2, %m34 : tensor<16x64xi1>, tensor<16x64xi64>

  %n1 = arith.subi %n, %c1 : index
  %cols = arith.muli %n1, %heads : index
  %pt = tile.load %prime[%c0, %c0] strides[%c0, %c1] bounds[%c1, %cols]
      other %one : !tile.ptr<i64> -> tensor<1x64xi64>
  %ot = tile.load %offset[%c0, %c0] strides[%c0, %c1] bounds[%c1, %cols]
      other %zero : !tile.ptr<i64> -> tensor<1x64xi64>
  %pb = tile.broadcast %pt : tensor<1x64xi64> -> tensor<16x64xi64>
  %ob = tile.broadcast %ot : tensor<1x64xi64> -> tensor<16x64xi64>
  %rem = arith.remui %mix, %pb : tensor<16x64xi64>
  %ids = arith.addi %rem, %ob : tensor<16x64xi64>
  tile.store %ids, %out[%r0, %c0] strides[%cols, %c1] bounds[%rows, %cols]
      : tensor<16x64xi64> -> !tile.ptr<i64>
  tile.return
}

// @engram_gate: per row r and residual stream s (Engram.forward):
//   k       = key[r, s] + kbias[s]           q = h[r, s]
//   g       = <RMSNorm(k) * n1[s], RMSNorm(q) * n2[s]> / sqrt(d)
//   g       = sign(g) * sqrt(max(|g|, 1e-6))
//   out[r, s] = sigmoid(g) * (value[r] + vbias)
// RMSNorm(x) = x * rsqrt(mean(x^2) + eps), in f32.
//   key: f32 [rows, hc, d]; kbias: bf16 [hc, d]; value: f32 [rows, d];
//   vbias: bf16 [d]; n1, n2: bf16 [hc, d]; h: bf16 [rows, hc, d];
//   out: f32 [rows, hc, d].
// Grid (rows, hc).
tile.kernel @engram_gate(%key: !tile.ptr<f32>, %kbias: !tile.ptr<bf16>,
                         %value: !tile.ptr<f32>, %vbias: !tile.ptr<bf16>,
                         %n1: !tile.ptr<bf16>, %n2: !tile.ptr<bf16>,
                         %h: !tile.ptr<bf16>, %out: !tile.ptr<f32>,
                         %rows: index, %hc: index, %d: index, %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %r = tile.program_id 0
  %s = tile.program_id 1
  %rhc = arith.muli %r, %hc : index
  %row = arith.addi %rhc, %s : index // a row of [rows * hc, d]
  %all = arith.muli %rows, %hc : index

  %z1 = tile.splat %zero : tensor<1xf32>
  %sums:3 = scf.for %k = %c0 to %d step %c256
      iter_args(%kk = %z1, %qq = %z1, %kq = %z1)
      -> (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) {
    %kr = tile.load %key[%row, %k] strides[%d, %c1] bounds[%all, %d]
        : !tile.ptr<f32> -> tensor<1x256xf32>
    %kbt = tile.load %kbias[%s, %k] strides[%d, %c1] bounds[%hc, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %qt = tile.load %h[%row, %k] strides[%d, %c1] bounds[%all, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %w1t = tile.load %n1[%s, %k] strides[%d, %c1] bounds[%hc, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %w2t = tile.load %n2[%s, %k] strides[%d, %c1] bounds[%hc, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %kbf = tile.cast %kbt : tensor<1x256xbf16> -> tensor<1x256xf32>
    %kf = arith.addf %kr, %kbf : tensor<1x256xf32>
    %qf = tile.cast %qt : tensor<1x256xbf16> -> tensor<1x256xf32>
    %w1 = tile.cast %w1t : tensor<1x256xbf16> -> tensor<1x256xf32>
    %w2 = tile.cast %w2t : tensor<1x256xbf16> -> tensor<1x256xf32>
    %k2 = arith.mulf %kf, %kf : tensor<1x256xf32>
    %q2 = arith.mulf %qf, %qf : tensor<1x256xf32>
    %kw = arith.mulf %kf, %w1 : tensor<1x256xf32>
    %qw = arith.mulf %qf, %w2 : tensor<1x256xf32>
    %kqw = arith.mulf %kw, %qw : tensor<1x256xf32>
    %a = tile.reduce sum %k2 {dim = 1} : tensor<1x256xf32> -> tensor<1xf32>
    %b = tile.reduce sum %q2 {dim = 1} : tensor<1x256xf32> -> tensor<1xf32>
    %c = tile.reduce sum %kqw {dim = 1} : tensor<1x256xf32> -> tensor<1xf32>
    %kk1 = arith.addf %kk, %a : tensor<1xf32>
    %qq1 = arith.addf %qq, %b : tensor<1xf32>
    %kq1 = arith.addf %kq, %c : tensor<1xf32>
    scf.yield %kk1, %qq1, %kq1 : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
  }

  %di = arith.index_cast %d : index to i32
  %df = arith.sitofp %di : i32 to f32
  %dt = tile.splat %df : tensor<1xf32>
  %epst = tile.splat %eps : tensor<1xf32>
  %mk = arith.divf %sums#0, %dt : tensor<1xf32>
  %mq = arith.divf %sums#1, %dt : tensor<1xf32>
  %vk = arith.addf %mk, %epst : tensor<1xf32>
  %vq = arith.addf %mq, %epst : tensor<1xf32>
  %ik = math.rsqrt %vk : tensor<1xf32>
  %iq = math.rsqrt %vq : tensor<1xf32>
  %sd = math.sqrt %dt : tensor<1xf32>
  %g0 = arith.mulf %sums#2, %ik : tensor<1xf32>
  %g1 = arith.mulf %g0, %iq : tensor<1xf32>
  %g = arith.divf %g1, %sd : tensor<1xf32>
  // sign(g) * sqrt(max(|g|, 1e-6)); sign(0) = 0 as torch.sign.
  %tiny = arith.constant dense<1.0e-6> : tensor<1xf32>
  %z = arith.constant dense<0.0> : tensor<1xf32>
  %ag = math.absf %g : tensor<1xf32>
  %cl = arith.maximumf %ag, %tiny : tensor<1xf32>
  %rt = math.sqrt %cl : tensor<1xf32>
  %sg = math.copysign %rt, %g : tensor<1xf32>
  %isz = arith.cmpf oeq, %g, %z : tensor<1xf32>
  %gs = arith.select %isz, %z, %sg : tensor<1xi1>, tensor<1xf32>
  %ng = arith.negf %gs : tensor<1xf32>
  %e = math.exp %ng : tensor<1xf32>
  %onet = arith.constant dense<1.0> : tensor<1xf32>
  %den = arith.addf %onet, %e : tensor<1xf32>
  %gate = arith.divf %onet, %den : tensor<1xf32>
  %gate2 = tile.reshape %gate : tensor<1xf32> -> tensor<1x1xf32>
  %gateb = tile.broadcast %gate2 : tensor<1x1xf32> -> tensor<1x256xf32>

  scf.for %k = %c0 to %d step %c256 {
    %vt = tile.load %value[%r, %k] strides[%d, %c1] bounds[%rows, %d]
        : !tile.ptr<f32> -> tensor<1x256xf32>
    %vbt = tile.load %vbias[%c0, %k] strides[%c0, %c1] bounds[%c1, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %vbf = tile.cast %vbt : tensor<1x256xbf16> -> tensor<1x256xf32>
    %vf = arith.addf %vt, %vbf : tensor<1x256xf32>
    %o = arith.mulf %gateb, %vf : tensor<1x256xf32>
    tile.store %o, %out[%row, %k] strides[%d, %c1] bounds[%all, %d]
        : tensor<1x256xf32> -> !tile.ptr<f32>
  }
  tile.return
}

// @engram_conv_norm: the conv's input, ShortConv's per-stream RMSNorm:
//   xn[hist + r, s*d + c] = v[r, s, c] * rsqrt(mean_c(v[r, s]^2) + eps) * w[s, c]
// written after the `hist` rows of conv state that precede this step's rows.
//   v: f32 [rows, hc, d]; w: bf16 [hc, d]; xn: f32 [hist + rows, hc * d].
// Grid (rows, hc).
tile.kernel @engram_conv_norm(%v: !tile.ptr<f32>, %w: !tile.ptr<bf16>,
                              %xn: !tile.ptr<f32>, %rows: index, %hc: index,
                              %d: index, %hist: index, %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %r = tile.program_id 0
  %s = tile.program_id 1
  %rhc = arith.muli %r, %hc : index
  %row = arith.addi %rhc, %s : index
  %all = arith.muli %rows, %hc : index

  %z1 = tile.splat %zero : tensor<1xf32>
  %ss = scf.for %k = %c0 to %d step %c256 iter_args(%acc = %z1)
      -> (tensor<1xf32>) {
    %vt = tile.load %v[%row, %k] strides[%d, %c1] bounds[%all, %d]
        : !tile.ptr<f32> -> tensor<1x256xf32>
    %sq = arith.mulf %vt, %vt : tensor<1x256xf32>
    %part = tile.reduce sum %sq {dim = 1} : tensor<1x256xf32> -> tensor<1xf32>
    %next = arith.addf %acc, %part : tensor<1xf32>
    scf.yield %next : tensor<1xf32>
  }
  %di = arith.index_cast %d : index to i32
  %df = arith.sitofp %di : i32 to f32
  %dt = tile.splat %df : tensor<1xf32>
  %epst = tile.splat %eps : tensor<1xf32>
  %mean = arith.divf %ss, %dt : tensor<1xf32>
  %var = arith.addf %mean, %epst : tensor<1xf32>
  %inv = math.rsqrt %var : tensor<1xf32>
  %inv2 = tile.reshape %inv : tensor<1xf32> -> tensor<1x1xf32>
  %invb = tile.broadcast %inv2 : tensor<1x1xf32> -> tensor<1x256xf32>

  %width = arith.muli %hc, %d : index
  %orow = arith.addi %hist, %r : index
  %orows = arith.addi %hist, %rows : index
  %ocol = arith.muli %s, %d : index
  %oend = arith.addi %ocol, %d : index
  scf.for %k = %c0 to %d step %c256 {
    %vt = tile.load %v[%row, %k] strides[%d, %c1] bounds[%all, %d]
        : !tile.ptr<f32> -> tensor<1x256xf32>
    %wt = tile.load %w[%s, %k] strides[%d, %c1] bounds[%hc, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %wf = tile.cast %wt : tensor<1x256xbf16> -> tensor<1x256xf32>
    %n = arith.mulf %vt, %invb : tensor<1x256xf32>
    %o = arith.mulf %n, %wf : tensor<1x256xf32>
    %col = arith.addi %ocol, %k : index
    tile.store %o, %xn[%orow, %col] strides[%width, %c1] bounds[%orows, %oend]
        : tensor<1x256xf32> -> !tile.ptr<f32>
  }
  tile.return
}

// @engram_conv: ShortConv's causal depthwise convolution (kernel K,
// dilation `dil`, no bias) with SiLU, plus Engram's residual add:
//   y[r, ch] = SiLU(sum_j w[ch, j] * xn[hist + r - (K-1-j) * dil, ch])
//   h[r, ch] = bf16(h[r, ch] + v[r, ch] + y[r, ch])
// over the flattened channels ch = s*d + c of the hc streams; hist =
// (K-1) * dil rows of earlier conv input (zeros at a sequence's start)
// precede this step's rows in xn.
//   xn: f32 [hist + rows, hc*d]; w: bf16 [hc*d, K] (Conv1d's [C, 1, K]);
//   v: f32 [rows, hc*d]; h: bf16 [rows, hc*d].
// Grid (ceil(rows/4), ceil(hc*d/256)).
tile.kernel @engram_conv(%xn: !tile.ptr<f32>, %w: !tile.ptr<bf16>,
                         %v: !tile.ptr<f32>, %h: !tile.ptr<bf16>,
                         %rows: index, %width: index, %ksize: index,
                         %dil: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %pr = tile.program_id 0
  %pc = tile.program_id 1
  %r0 = arith.muli %pr, %c4 : index
  %col = arith.muli %pc, %c256 : index
  %k1 = arith.subi %ksize, %c1 : index
  %hist = arith.muli %k1, %dil : index
  %xrows = arith.addi %hist, %rows : index

  %z = tile.splat %zero : tensor<4x256xf32>
  %acc = scf.for %j = %c0 to %ksize step %c1 iter_args(%a = %z)
      -> (tensor<4x256xf32>) {
    // Row hist + r - (K-1-j) * dil = r + j * dil.
    %back = arith.muli %j, %dil : index
    %xr = arith.addi %r0, %back : index
    %xt = tile.load %xn[%xr, %col] strides[%width, %c1] bounds[%xrows, %width]
        : !tile.ptr<f32> -> tensor<4x256xf32>
    %wt = tile.load %w[%j, %col] strides[%c1, %ksize] bounds[%ksize, %width]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %wf = tile.cast %wt : tensor<1x256xbf16> -> tensor<1x256xf32>
    %wb = tile.broadcast %wf : tensor<1x256xf32> -> tensor<4x256xf32>
    %p = arith.mulf %xt, %wb : tensor<4x256xf32>
    %next = arith.addf %a, %p : tensor<4x256xf32>
    scf.yield %next : tensor<4x256xf32>
  }
  %ng = arith.negf %acc : tensor<4x256xf32>
  %e = math.exp %ng : tensor<4x256xf32>
  %one = arith.constant 1.0 : f32
  %ones = tile.splat %one : tensor<4x256xf32>
  %den = arith.addf %ones, %e : tensor<4x256xf32>
  %y = arith.divf %acc, %den : tensor<4x256xf32>

  %vt = tile.load %v[%r0, %col] strides[%width, %c1] bounds[%rows, %width]
      : !tile.ptr<f32> -> tensor<4x256xf32>
  %ht = tile.load %h[%r0, %col] strides[%width, %c1] bounds[%rows, %width]
      : !tile.ptr<bf16> -> tensor<4x256xbf16>
  %hf = tile.cast %ht : tensor<4x256xbf16> -> tensor<4x256xf32>
  %s1 = arith.addf %hf, %vt : tensor<4x256xf32>
  %s2 = arith.addf %s1, %y : tensor<4x256xf32>
  %out = tile.cast %s2 : tensor<4x256xf32> -> tensor<4x256xbf16>
  tile.store %out, %h[%r0, %col] strides[%width, %c1] bounds[%rows, %width]
      : tensor<4x256xbf16> -> !tile.ptr<bf16>
  tile.return
}
