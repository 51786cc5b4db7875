// V4's sparse attention (official kernel.py `sparse_attn`): for each query
// token, softmax over the keys named by its index list, with a per-head sink
// logit in the denominator. One KV head of width 512 is both K and V.
//
//   s[h, t]  = scale * (q[h] . kv[idx[t]])          (f32; idx[t] == -1: skipped)
//   m[h]     = max_t s[h, t]
//   o[h]     = sum_t exp(s[h,t] - m[h]) * kv[idx[t]] / (sum_t exp(s[h,t] - m[h]) + exp(sink[h] - m[h]))
//
// Online softmax over blocks of 64 keys, as the official kernel does: the
// probabilities are rounded to bf16 before the P @ V product (the official
// `acc_s_cast`), the denominator uses them in f32; o is stored as bf16.
//
// Keys are the KV cache's 584-byte entries (kv_pack.mlir), in pages of 64:
// entry t of batch entry b is physical entry pages[b, t / 64] * 64 + t % 64,
// dequantised to bf16 (e4m3 nope dims times their ue8m0 scale; bf16 rope
// dims) as it is read.
//
// Layouts (row-major): q, o [b, m, h, 512] bf16; kvn, kvr, kvs: the cache
// viewed as e4m3, bf16 and ue8m0 (entry e at byte e * 584); pages
// [b, ceil(n / 64)] i32; sink [h] f32; idx [b, m, topk] i32 (entries of the
// same batch entry, < n; -1 = no key).
// Grid: (m, b, ceil(h / 16) * splits): one program per (token, batch entry,
// 16 heads, slice of the index slots). Heads beyond h and index slots beyond
// topk are masked (ragged edges).
// A query whose keys are all -1 gets o = 0 (the official kernel also gives
// 0 there); a block whose keys are all -1 leaves the running state unchanged.
//
// Split over the keys (flash-decoding: a decode launch of a few sequences
// has a few programs per token): with splits > 1, program slice s of
// `splits` takes blocks [s * per, (s + 1) * per) of the ceil(topk / 64)
// (per = ceil(blocks / splits)) and writes its unnormalised state to
// part, f32: acc [b * m, splits, h, 512], then the running max m and the
// denominator l, each [b * m, splits, h] (a slice with no key: -inf and 0);
// @sparse_attention_combine (below) joins the slices, adds the sink and
// writes o. With splits = 1 the program writes o itself and part is not
// read or written. The slices round their probabilities to bf16 against
// their own max, so split results differ from unsplit ones by bf16
// roundings (within the tolerances above).
tile.kernel @sparse_attention(%q: !tile.ptr<bf16>,
                              %kvn: !tile.ptr<f8E4M3FN>, %kvr: !tile.ptr<bf16>,
                              %kvs: !tile.ptr<f8E8M0FNU>, %pages: !tile.ptr<i32>,
                              %sink: !tile.ptr<f32>, %idx: !tile.ptr<i32>,
                              %o: !tile.ptr<bf16>, %m: index, %n: index,
                              %h: index, %topk: index, %scale: f32,
                              %splits: index, %part: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c512 = arith.constant 512 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %neg1 = arith.constant -1 : i32
  %i0 = arith.constant 0 : i32

  %tok = tile.program_id 0
  %bat = tile.program_id 1
  %hz = tile.program_id 2
  %c15 = arith.constant 15 : index
  %h15 = arith.addi %h, %c15 : index
  %hgroups = arith.divui %h15, %c16 : index
  %hb = arith.remui %hz, %hgroups : index
  %sp = arith.divui %hz, %hgroups : index
  %h0 = arith.muli %hb, %c16 : index
  // This slice's index slots [k0, k1).
  %c63k = arith.constant 63 : index
  %topk63 = arith.addi %topk, %c63k : index
  %blocks = arith.divui %topk63, %c64 : index
  %spl1 = arith.subi %splits, %c1 : index
  %blocks1 = arith.addi %blocks, %spl1 : index
  %per = arith.divui %blocks1, %splits : index
  %span = arith.muli %per, %c64 : index
  %k0 = arith.muli %sp, %span : index
  %k1a = arith.addi %k0, %span : index
  %k1 = arith.minui %k1a, %topk : index
  // Row (b, t) of q/o/idx and the first kv row of batch entry b.
  %bm = arith.muli %bat, %m : index
  %row = arith.addi %bm, %tok : index
  %rowh = arith.muli %row, %h : index
  %qrow0 = arith.addi %rowh, %h0 : index
  %qend = arith.addi %rowh, %h : index
  // This batch entry's row of the page table.
  %c63 = arith.constant 63 : index
  %c224 = arith.constant 224 : index
  %c292 = arith.constant 292 : index
  %c576 = arith.constant 576 : index
  %c584 = arith.constant 584 : index
  %n63 = arith.addi %n, %c63 : index
  %npages = arith.divui %n63, %c64 : index
  %ptoff = arith.muli %bat, %npages : index
  %c64_i32 = arith.constant 64 : i32
  %row1 = arith.addi %row, %c1 : index

  %qt = tile.load %q[%qrow0, %c0] strides[%c512, %c1] bounds[%qend, %c512]
      : !tile.ptr<bf16> -> tensor<16x512xbf16>

  %ninf16 = tile.splat %ninf : tensor<16xf32>
  %zero16 = tile.splat %zero : tensor<16xf32>
  %o0 = tile.splat %zero : tensor<16x512xf32>
  %scales = tile.splat %scale : tensor<16x64xf32>
  %ninf64 = tile.splat %ninf : tensor<64xf32>
  %zero64 = tile.splat %zero : tensor<64xf32>
  %i0s = tile.splat %i0 : tensor<64xi32>

  %res:3 = scf.for %k = %k0 to %k1 step %c64
      iter_args(%mx = %ninf16, %l = %zero16, %acc = %o0)
      -> (tensor<16xf32>, tensor<16xf32>, tensor<16x512xf32>) {
    %ids2 = tile.load %idx[%row, %k] strides[%topk, %c1] bounds[%row1, %topk]
        other %neg1 : !tile.ptr<i32> -> tensor<1x64xi32>
    %ids = tile.reshape %ids2 : tensor<1x64xi32> -> tensor<64xi32>
    // Logical entries to physical ones through the page table.
    %valid = arith.cmpi sge, %ids, %i0s : tensor<64xi32>
    %c64s = tile.splat %c64_i32 : tensor<64xi32>
    %pg = arith.divsi %ids, %c64s : tensor<64xi32>
    %inpg = arith.remsi %ids, %c64s : tensor<64xi32>
    %pt2 = tile.gather %pages[%ptoff], %pg row_stride %c1
        : !tile.ptr<i32>, tensor<64xi32> -> tensor<64x1xi32>
    %pt = tile.reshape %pt2 : tensor<64x1xi32> -> tensor<64xi32>
    %base = arith.muli %pt, %c64s : tensor<64xi32>
    %phys0 = arith.addi %base, %inpg : tensor<64xi32>
    %neg1s = tile.splat %neg1 : tensor<64xi32>
    %phys = arith.select %valid, %phys0, %neg1s : tensor<64xi1>, tensor<64xi32>
    %kn = tile.gather %kvn[%c0], %phys row_stride %c584
        : !tile.ptr<f8E4M3FN>, tensor<64xi32> -> tensor<64x448xf8E4M3FN>
    %ks = tile.gather %kvs[%c576], %phys row_stride %c584
        : !tile.ptr<f8E8M0FNU>, tensor<64xi32> -> tensor<64x7xf8E8M0FNU>
    %kr = tile.gather %kvr[%c224], %phys row_stride %c292
        : !tile.ptr<bf16>, tensor<64xi32> -> tensor<64x64xbf16>
    %kd = tile.dequantize %kn, %ks {block = array<i64: 1, 64>}
        : tensor<64x448xf8E4M3FN>, tensor<64x7xf8E8M0FNU> -> tensor<64x448xbf16>
    %kvt = tile.concat %kd, %kr {dim = 1}
        : tensor<64x448xbf16>, tensor<64x64xbf16> -> tensor<64x512xbf16>
    // Scores of the block; keys with index -1 get -inf.
    %qk = tile.dot %qt, %kvt {rhs_transposed}
        : tensor<16x512xbf16>, tensor<64x512xbf16> -> tensor<16x64xf32>
    %bias1 = arith.select %valid, %zero64, %ninf64 : tensor<64xi1>, tensor<64xf32>
    %bias2 = tile.reshape %bias1 : tensor<64xf32> -> tensor<1x64xf32>
    %bias = tile.broadcast %bias2 : tensor<1x64xf32> -> tensor<16x64xf32>
    %sb = arith.addf %qk, %bias : tensor<16x64xf32>
    %s = arith.mulf %sb, %scales : tensor<16x64xf32>
    // Running max; while it is still -inf (no key seen) subtract 0 instead,
    // so that exp(-inf - -inf) never makes a NaN.
    %bmax = tile.reduce max %s {dim = 1} : tensor<16x64xf32> -> tensor<16xf32>
    %mnew = arith.maximumf %mx, %bmax : tensor<16xf32>
    %none = arith.cmpf oeq, %mnew, %ninf16 : tensor<16xf32>
    %msafe = arith.select %none, %zero16, %mnew : tensor<16xi1>, tensor<16xf32>
    %dm = arith.subf %mx, %msafe : tensor<16xf32>
    %corr = math.exp %dm : tensor<16xf32>
    %ms2 = tile.reshape %msafe : tensor<16xf32> -> tensor<16x1xf32>
    %msb = tile.broadcast %ms2 : tensor<16x1xf32> -> tensor<16x64xf32>
    %sh = arith.subf %s, %msb : tensor<16x64xf32>
    %p = math.exp %sh : tensor<16x64xf32>
    %psum = tile.reduce sum %p {dim = 1} : tensor<16x64xf32> -> tensor<16xf32>
    %lc = arith.mulf %l, %corr : tensor<16xf32>
    %lnew = arith.addf %lc, %psum : tensor<16xf32>
    %corr2 = tile.reshape %corr : tensor<16xf32> -> tensor<16x1xf32>
    %corrb = tile.broadcast %corr2 : tensor<16x1xf32> -> tensor<16x512xf32>
    %accs = arith.mulf %acc, %corrb : tensor<16x512xf32>
    %pb = tile.cast %p : tensor<16x64xf32> -> tensor<16x64xbf16>
    %accn = tile.dot %pb, %kvt acc %accs
        : tensor<16x64xbf16>, tensor<64x512xbf16> -> tensor<16x512xf32>
    scf.yield %mnew, %lnew, %accn : tensor<16xf32>, tensor<16xf32>, tensor<16x512xf32>
  }

  %single = arith.cmpi eq, %splits, %c1 : index
  scf.if %single {
  // The sink joins the denominator: l += exp(sink - m).
  %sk = tile.load %sink[%h0] strides[%c1] bounds[%h]
      : !tile.ptr<f32> -> tensor<16xf32>
  %nonef = arith.cmpf oeq, %res#0, %ninf16 : tensor<16xf32>
  %mfin = arith.select %nonef, %zero16, %res#0 : tensor<16xi1>, tensor<16xf32>
  %sd = arith.subf %sk, %mfin : tensor<16xf32>
  %se = math.exp %sd : tensor<16xf32>
  %den = arith.addf %res#1, %se : tensor<16xf32>
  %den2 = tile.reshape %den : tensor<16xf32> -> tensor<16x1xf32>
  %denb = tile.broadcast %den2 : tensor<16x1xf32> -> tensor<16x512xf32>
  %of = arith.divf %res#2, %denb : tensor<16x512xf32>
  %ob = tile.cast %of : tensor<16x512xf32> -> tensor<16x512xbf16>
  tile.store %ob, %o[%qrow0, %c0] strides[%c512, %c1] bounds[%qend, %c512]
      : tensor<16x512xbf16> -> !tile.ptr<bf16>
  } else {
    // Slice sp of row `row`: acc rows (row * splits + sp) * h + head; m and
    // l past the accs (each section a multiple of h, so the section's start
    // is a first index of stride h).
    %rs = arith.muli %row, %splits : index
    %rss = arith.addi %rs, %sp : index
    %prow0 = arith.muli %rss, %h : index
    %pa0 = arith.addi %prow0, %h0 : index
    %pend = arith.addi %prow0, %h : index
    tile.store %res#2, %part[%pa0, %c0] strides[%c512, %c1] bounds[%pend, %c512]
        : tensor<16x512xf32> -> !tile.ptr<f32>
    %nb = tile.num_programs 1
    %allrows = arith.muli %nb, %m : index
    %slots = arith.muli %allrows, %splits : index
    %msec = arith.muli %slots, %c512 : index
    %mrow = arith.addi %msec, %rss : index
    %mend = arith.addi %mrow, %c1 : index
    %mx2 = tile.reshape %res#0 : tensor<16xf32> -> tensor<1x16xf32>
    tile.store %mx2, %part[%mrow, %h0] strides[%h, %c1] bounds[%mend, %h]
        : tensor<1x16xf32> -> !tile.ptr<f32>
    %lsec = arith.addi %msec, %slots : index
    %lrow = arith.addi %lsec, %rss : index
    %lend = arith.addi %lrow, %c1 : index
    %l2 = tile.reshape %res#1 : tensor<16xf32> -> tensor<1x16xf32>
    tile.store %l2, %part[%lrow, %h0] strides[%h, %c1] bounds[%lend, %h]
        : tensor<1x16xf32> -> !tile.ptr<f32>
  }
  tile.return
}

// The second half of a split launch: for each row (b * m of them) and head,
// the slices' states joined as one online softmax would have:
//   M = max_s m_s,  w_s = exp(m_s - M) (0 for a slice with no key),
//   o = sum_s w_s acc_s / (sum_s w_s l_s + exp(sink - M))   (bf16),
// M taken as 0 where no slice saw a key (o = 0 then). part as
// @sparse_attention writes it; rows = b * m. Grid: (rows, h): one program
// per (row, head), which reads all its slices in one trip (a 16 x 512 tile:
// at most 16 slices, the rows past `splits` masked), so a decode of one
// sequence has h programs and no loop of dependent loads.
tile.kernel @sparse_attention_combine(%part: !tile.ptr<f32>,
                                      %sink: !tile.ptr<f32>,
                                      %o: !tile.ptr<bf16>, %rows: index,
                                      %h: index, %splits: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %row = tile.program_id 0
  %hd = tile.program_id 1
  %hd1 = arith.addi %hd, %c1 : index
  %rs = arith.muli %row, %splits : index
  %rsend = arith.addi %rs, %splits : index
  %slots = arith.muli %rows, %splits : index
  %msec = arith.muli %slots, %c512 : index
  %lsec = arith.addi %msec, %slots : index
  // The slices' maxima and denominators of this head, [16 slices, 1]
  // (sections of stride h past the accs).
  %mrow = arith.addi %msec, %rs : index
  %mend = arith.addi %msec, %rsend : index
  %ms = tile.load %part[%mrow, %hd] strides[%h, %c1] bounds[%mend, %hd1]
      other %ninf : !tile.ptr<f32> -> tensor<16x1xf32>
  %lrow = arith.addi %lsec, %rs : index
  %lend = arith.addi %lsec, %rsend : index
  %ls = tile.load %part[%lrow, %hd] strides[%h, %c1] bounds[%lend, %hd1]
      other %zero : !tile.ptr<f32> -> tensor<16x1xf32>
  // The accs: slice s of this head at ((rs + s) * h + hd) * 512, i.e. rows
  // of stride h * 512 starting at column hd * 512.
  %h512 = arith.muli %h, %c512 : index
  %acol = arith.muli %hd, %c512 : index
  %acc = tile.load %part[%rs, %acol] strides[%h512, %c1] bounds[%rsend, %h512]
      other %zero : !tile.ptr<f32> -> tensor<16x512xf32>
  %mall = tile.reduce max %ms {dim = 0} : tensor<16x1xf32> -> tensor<1xf32>
  %ninf1 = tile.splat %ninf : tensor<1xf32>
  %zero1 = tile.splat %zero : tensor<1xf32>
  %none = arith.cmpf oeq, %mall, %ninf1 : tensor<1xf32>
  %mx = arith.select %none, %zero1, %mall : tensor<1xi1>, tensor<1xf32>
  %mx2 = tile.reshape %mx : tensor<1xf32> -> tensor<1x1xf32>
  %mxb = tile.broadcast %mx2 : tensor<1x1xf32> -> tensor<16x1xf32>
  %dm = arith.subf %ms, %mxb : tensor<16x1xf32>
  %w = math.exp %dm : tensor<16x1xf32>
  %wl = arith.mulf %w, %ls : tensor<16x1xf32>
  %l = tile.reduce sum %wl {dim = 0} : tensor<16x1xf32> -> tensor<1xf32>
  %wb = tile.broadcast %w : tensor<16x1xf32> -> tensor<16x512xf32>
  %wa = arith.mulf %acc, %wb : tensor<16x512xf32>
  %num = tile.reduce sum %wa {dim = 0} : tensor<16x512xf32> -> tensor<512xf32>
  %sk = tile.load %sink[%hd] strides[%c1] bounds[%h]
      : !tile.ptr<f32> -> tensor<1xf32>
  %sd = arith.subf %sk, %mx : tensor<1xf32>
  %se = math.exp %sd : tensor<1xf32>
  %den = arith.addf %l, %se : tensor<1xf32>
  %den2 = tile.reshape %den : tensor<1xf32> -> tensor<1x1xf32>
  %denb = tile.broadcast %den2 : tensor<1x1xf32> -> tensor<1x512xf32>
  %num2 = tile.reshape %num : tensor<512xf32> -> tensor<1x512xf32>
  %of = arith.divf %num2, %denb : tensor<1x512xf32>
  %ob = tile.cast %of : tensor<1x512xf32> -> tensor<1x512xbf16>
  %rh = arith.muli %row, %h : index
  %orow = arith.addi %rh, %hd : index
  %oend = arith.addi %orow, %c1 : index
  tile.store %ob, %o[%orow, %c0] strides[%c512, %c1] bounds[%oend, %c512]
      : tensor<1x512xbf16> -> !tile.ptr<bf16>
  tile.return
}
