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
// Grid: (m, b, ceil(h / 16)): one program per (token, batch entry, 16 heads).
// Heads beyond h and index slots beyond topk are masked (ragged edges).
// A query whose keys are all -1 gets o = 0 (the official kernel also gives
// 0 there); a block whose keys are all -1 leaves the running state unchanged.
tile.kernel @sparse_attention(%q: !tile.ptr<bf16>,
                              %kvn: !tile.ptr<f8E4M3FN>, %kvr: !tile.ptr<bf16>,
                              %kvs: !tile.ptr<f8E8M0FNU>, %pages: !tile.ptr<i32>,
                              %sink: !tile.ptr<f32>, %idx: !tile.ptr<i32>,
                              %o: !tile.ptr<bf16>, %m: index, %n: index,
                              %h: index, %topk: index, %scale: f32) {
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
  %hb = tile.program_id 2
  %h0 = arith.muli %hb, %c16 : index
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

  %res:3 = scf.for %k = %c0 to %topk step %c64
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
  tile.return
}
