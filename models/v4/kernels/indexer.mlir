// V4's lightning indexer (official model.py `Indexer`), CSA layers.
//
// @indexer_rotate_quant: in place on rows of 128 (index_head_dim): the
// Hadamard rotation `rotate_activation` (hadamard_transform with scale
// 128^-0.5: y = bf16((x @ H) * 128^-0.5), H the Sylvester +-1 matrix,
// H[i, j] = (-1)^popcount(i & j)), then the FP4 fake-quant
// `fp4_act_quant(x, 32, True)`: per block of 32, s = 2^ceil(log2(max(amax,
// 6 * 2^-126) / 6)), x = bf16(f32(e2m1(clamp(x / s, -6, 6))) * s).
// Applied to the indexer's q (after RoPE) and to its compressed keys (after
// the indexer compressor's RoPE).
//   x: bf16 rows of 128: listed = 0: rows [0, rows), grid (ceil(rows / 16));
//   listed = 1: the rows list[0..rows) (i32; -1: none), a program each,
//   grid (rows) (a decode run's new keys, in their sequences' key rows).
tile.kernel @indexer_rotate_quant(%x: !tile.ptr<bf16>, %rows: index,
                                  %list: !tile.ptr<i32>, %listed: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %cm1 = arith.constant -1 : i32
  %z32 = arith.constant 0 : i32
  %pid = tile.program_id 0
  // listed: this program's one row (a list entry past a -1 reads as -1).
  %one = arith.cmpi eq, %listed, %c1 : index
  %pid1 = arith.addi %pid, %c1 : index
  %lim = arith.select %one, %pid1, %c0 : index
  %lt = tile.load %list[%pid] strides[%c1] bounds[%lim] other %cm1
      : !tile.ptr<i32> -> tensor<1xi32>
  %l32 = tile.extract %lt[%c0] : tensor<1xi32>
  %has = arith.cmpi sge, %l32, %z32 : i32
  %lr = arith.index_cast %l32 : i32 to index
  %lr1 = arith.addi %lr, %c1 : index
  %lr0 = arith.select %has, %lr, %c0 : index
  %lend = arith.select %has, %lr1, %c0 : index
  %b0 = arith.muli %pid, %c16 : index
  %r0 = arith.select %one, %lr0, %b0 : index
  %rend = arith.select %one, %lend, %rows : index
  %xt = tile.load %x[%r0, %c0] strides[%c128, %c1] bounds[%rend, %c128]
      : !tile.ptr<bf16> -> tensor<16x128xbf16>

  // H[i, j] = 1 - 2 * parity(i & j)
  %io = tile.iota : tensor<128xi32>
  %ic = tile.reshape %io : tensor<128xi32> -> tensor<128x1xi32>
  %ir = tile.reshape %io : tensor<128xi32> -> tensor<1x128xi32>
  %ib = tile.broadcast %ic : tensor<128x1xi32> -> tensor<128x128xi32>
  %jb = tile.broadcast %ir : tensor<1x128xi32> -> tensor<128x128xi32>
  %v0 = arith.andi %ib, %jb : tensor<128x128xi32>
  %s4 = arith.constant dense<4> : tensor<128x128xi32>
  %s2 = arith.constant dense<2> : tensor<128x128xi32>
  %s1 = arith.constant dense<1> : tensor<128x128xi32>
  %v0s = arith.shrui %v0, %s4 : tensor<128x128xi32>
  %v1 = arith.xori %v0, %v0s : tensor<128x128xi32>
  %v1s = arith.shrui %v1, %s2 : tensor<128x128xi32>
  %v2 = arith.xori %v1, %v1s : tensor<128x128xi32>
  %v2s = arith.shrui %v2, %s1 : tensor<128x128xi32>
  %v3 = arith.xori %v2, %v2s : tensor<128x128xi32>
  %par = arith.andi %v3, %s1 : tensor<128x128xi32>
  %par2 = arith.shli %par, %s1 : tensor<128x128xi32>
  %sgn = arith.subi %s1, %par2 : tensor<128x128xi32>
  // bf16 operands (x is bf16, H is +-1: both exact) with f32 sums: the
  // products are exact, and GPUs run it on tensor cores.
  %hm = tile.cast %sgn : tensor<128x128xi32> -> tensor<128x128xbf16>

  %hx = tile.dot %xt, %hm : tensor<16x128xbf16>, tensor<128x128xbf16> -> tensor<16x128xf32>
  %scale = arith.constant dense<0.0883883476> : tensor<16x128xf32>
  %hs = arith.mulf %hx, %scale : tensor<16x128xf32>
  %hb = tile.cast %hs : tensor<16x128xf32> -> tensor<16x128xbf16>
  %q, %s = tile.quantize %hb {block = array<i64: 1, 32>, round_scale}
      : tensor<16x128xbf16> -> tensor<16x128xf4E2M1FN>, tensor<16x4xf8E8M0FNU>
  %y = tile.dequantize %q, %s {block = array<i64: 1, 32>}
      : tensor<16x128xf4E2M1FN>, tensor<16x4xf8E8M0FNU> -> tensor<16x128xbf16>
  tile.store %y, %x[%r0, %c0] strides[%c128, %c1] bounds[%rend, %c128]
      : tensor<16x128xbf16> -> !tile.ptr<bf16>
  tile.return
}

// @indexer_topk: scores and top-k of the compressed entries for each query.
//   w'[h]     = bf16(w[h] * wscale)                wscale = 128^-0.5 * n_heads^-0.5
//   s[h, t]   = bf16(q[h] . k[t])                   (the official bf16 einsum)
//   score[t]  = bf16(sum_h bf16(relu(s[h, t]) * w'[h]))
// Entry t is visible to query i of batch entry b iff t < (starts[b] + i +
// 1) // ratio (the official causal mask; in decode this is every one of
// the entries written so far), and t < nkeys. out[b, i] = the indices
// t + offset of the `topk` best visible entries, best first (equal scores:
// smaller t first), -1 in the slots left when fewer than topk are visible
// (the official code marks masked picks with -1 too).
//
//   q: bf16 [b, s, nh, 128] (after RoPE + @indexer_rotate_quant), nh <= 64
//   k: bf16 [*, 128]: batch entry b's keys (the indexer's own compressed
//      keys, after @indexer_rotate_quant) are the rows from keyrows[b]
//   w: bf16 [b, s, nh] (weights_proj(x))
//   keyrows, starts: i32 [b]: each batch entry's first key row and position
//   out: i32, row b * s + i at out + (b * s + i) * ldout (a decode run's
//      index lists take the picks in place: out = the first pick's slot,
//      ldout = the lists' width); topk <= 1024
// Grid: (s, b, splits): one launch for a whole decode run. The running
// top-1024 is kept as i64 keys (orderable f32 bits << 32 | (2^32 - 1 - t)):
// the first block's keys sorted alone, then each later block of 128 sorted
// and merged by one tile.topk over the concatenation [run ; block] (two
// sorted runs: one merge pass). With splits > 1, program (i, b, sp) walks
// only blocks [sp * per, (sp + 1) * per) of the ceil(visible / 128) (per =
// ceil(blocks / splits)) and writes its running keys to part, i64
// [b * s, splits, 1024], for @indexer_topk_merge (below), which writes out;
// with splits = 1, part is not read or written. Blocks of 128 keys keep a program's
// tiles (the key block twice, for the pipelined load) within Hopper's 227 KiB
// of shared memory, so no tile comes from the device heap.
tile.kernel @indexer_topk(%q: !tile.ptr<bf16>, %k: !tile.ptr<bf16>,
                          %w: !tile.ptr<bf16>, %out: !tile.ptr<i32>,
                          %keyrows: !tile.ptr<i32>, %starts: !tile.ptr<i32>,
                          %s: index, %nh: index, %nkeys: index,
                          %topk: index, %ratio: index, %offset: index,
                          %ldout: index, %wscale: f32, %splits: index,
                          %part: !tile.ptr<i64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %cblk = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %i = tile.program_id 0
  %bat = tile.program_id 1
  %bs = arith.muli %bat, %s : index
  %row = arith.addi %bs, %i : index
  %row1 = arith.addi %row, %c1 : index
  %rowh = arith.muli %row, %nh : index
  %rowhe = arith.addi %rowh, %nh : index
  // This batch entry's first key row and position.
  %bat1 = arith.addi %bat, %c1 : index
  %krt = tile.load %keyrows[%bat] strides[%c1] bounds[%bat1]
      : !tile.ptr<i32> -> tensor<2xi32>
  %kb32 = tile.extract %krt[%c0] : tensor<2xi32>
  %kb = arith.index_cast %kb32 : i32 to index
  %stt = tile.load %starts[%bat] strides[%c1] bounds[%bat1]
      : !tile.ptr<i32> -> tensor<2xi32>
  %start32 = tile.extract %stt[%c0] : tensor<2xi32>
  %start = arith.index_cast %start32 : i32 to index

  %qt = tile.load %q[%rowh, %c0] strides[%c128, %c1] bounds[%rowhe, %c128]
      : !tile.ptr<bf16> -> tensor<64x128xbf16>
  %wt = tile.load %w[%row, %c0] strides[%nh, %c1] bounds[%row1, %nh]
      : !tile.ptr<bf16> -> tensor<1x64xbf16>
  %wf = tile.cast %wt : tensor<1x64xbf16> -> tensor<1x64xf32>
  %wss = tile.splat %wscale : tensor<1x64xf32>
  %wsc = arith.mulf %wf, %wss : tensor<1x64xf32>
  %wscb = tile.cast %wsc : tensor<1x64xf32> -> tensor<1x64xbf16>
  %wsf = tile.cast %wscb : tensor<1x64xbf16> -> tensor<1x64xf32>
  %wtr = tile.trans %wsf {perm = array<i64: 1, 0>} : tensor<1x64xf32> -> tensor<64x1xf32>
  %wb = tile.broadcast %wtr : tensor<64x1xf32> -> tensor<64x128xf32>

  // Visible entries: t < min(nkeys, (start + i + 1) // ratio).
  %pos = arith.addi %start, %i : index
  %pos1 = arith.addi %pos, %c1 : index
  %vis0 = arith.divui %pos1, %ratio : index
  %vis = arith.minui %vis0, %nkeys : index
  %visi = arith.index_cast %vis : index to i64
  %viss = tile.splat %visi : tensor<128xi64>
  %kend = arith.addi %kb, %vis : index
  // This slice's visible entries [k0, k1): blocks [sp * per, (sp + 1) *
  // per) of the ceil(vis / 128) (all of them when splits = 1).
  %sp = tile.program_id 2
  %c127 = arith.constant 127 : index
  %vis127 = arith.addi %vis, %c127 : index
  %vblocks = arith.divui %vis127, %cblk : index
  %spl1 = arith.subi %splits, %c1 : index
  %vblocks1 = arith.addi %vblocks, %spl1 : index
  %per = arith.divui %vblocks1, %splits : index
  %span = arith.muli %per, %cblk : index
  %k0 = arith.muli %sp, %span : index
  %k1a = arith.addi %k0, %span : index
  %k1 = arith.minui %k1a, %vis : index
  %kb0 = arith.addi %kb, %k0 : index
  %k0i = arith.index_cast %k0 : index to i64
  %k0s = tile.splat %k0i : tensor<128xi64>

  %zeros = tile.splat %zero : tensor<64x128xf32>
  %zerob = tile.splat %zero : tensor<128xf32>
  %imin = arith.constant -9223372036854775808 : i64
  %noneb = tile.splat %imin : tensor<128xi64>
  %none8 = tile.splat %imin : tensor<8x128xi64>
  %m31 = arith.constant dense<31> : tensor<128xi32>
  %mag = arith.constant dense<2147483647> : tensor<128xi32>
  %s32 = arith.constant dense<32> : tensor<128xi64>
  %lowmax = arith.constant dense<4294967295> : tensor<128xi64>
  %iota = tile.iota : tensor<128xi64>
  %rowid = tile.iota : tensor<8xi32>
  %r0 = arith.constant dense<0> : tensor<8xi32>
  %first1 = arith.cmpi eq, %rowid, %r0 : tensor<8xi32>
  %first2 = tile.reshape %first1 : tensor<8xi1> -> tensor<8x1xi1>
  %first = tile.broadcast %first2 : tensor<8x1xi1> -> tensor<8x128xi1>
  %half2 = tile.iota : tensor<2xi32>
  %h0 = arith.constant dense<0> : tensor<2xi32>
  %lhs1 = arith.cmpi eq, %half2, %h0 : tensor<2xi32>
  %lhs2 = tile.reshape %lhs1 : tensor<2xi1> -> tensor<2x1xi1>
  %lhs = tile.broadcast %lhs2 : tensor<2x1xi1> -> tensor<2x1024xi1>

  // The slice's first block (block 0 unsplit) on its own: its top 128 of
  // 128, padded with empty keys, is the top 1024 of [an empty run ; the
  // block] (a query in a sequence's first 1024 positions sees no more);
  // later blocks merge into it. The keys as in the loop below, t0 = k0.
  %kt_0 = tile.load %k[%kb0, %c0] strides[%c128, %c1] bounds[%kend, %c128]
      : !tile.ptr<bf16> -> tensor<128x128xbf16>
  %dot_0 = tile.dot %qt, %kt_0 {rhs_transposed}
      : tensor<64x128xbf16>, tensor<128x128xbf16> -> tensor<64x128xf32>
  %dotb_0 = tile.cast %dot_0 : tensor<64x128xf32> -> tensor<64x128xbf16>
  %dotf_0 = tile.cast %dotb_0 : tensor<64x128xbf16> -> tensor<64x128xf32>
  %relu_0 = arith.maximumf %dotf_0, %zeros : tensor<64x128xf32>
  %pw_0 = arith.mulf %relu_0, %wb : tensor<64x128xf32>
  %pwb_0 = tile.cast %pw_0 : tensor<64x128xf32> -> tensor<64x128xbf16>
  %pwf_0 = tile.cast %pwb_0 : tensor<64x128xbf16> -> tensor<64x128xf32>
  %sum_0 = tile.reduce sum %pwf_0 {dim = 0} : tensor<64x128xf32> -> tensor<128xf32>
  %sumb_0 = tile.cast %sum_0 : tensor<128xf32> -> tensor<128xbf16>
  %sumf_0 = tile.cast %sumb_0 : tensor<128xbf16> -> tensor<128xf32>
  // -0 -> +0, then f32 bits made orderable as signed integers.
  %canon_0 = arith.addf %sumf_0, %zerob : tensor<128xf32>
  %bits_0 = arith.bitcast %canon_0 : tensor<128xf32> to tensor<128xi32>
  %sign_0 = arith.shrsi %bits_0, %m31 : tensor<128xi32>
  %flip_0 = arith.andi %sign_0, %mag : tensor<128xi32>
  %ord_0 = arith.xori %bits_0, %flip_0 : tensor<128xi32>
  %ord64_0 = arith.extsi %ord_0 : tensor<128xi32> to tensor<128xi64>
  %hi_0 = arith.shli %ord64_0, %s32 : tensor<128xi64>
  %t_0 = arith.addi %iota, %k0s : tensor<128xi64>
  %lo_0 = arith.subi %lowmax, %t_0 : tensor<128xi64>
  %key_0 = arith.ori %hi_0, %lo_0 : tensor<128xi64>
  %ok_0 = arith.cmpi slt, %t_0, %viss : tensor<128xi64>
  %keyv_0 = arith.select %ok_0, %key_0, %noneb : tensor<128xi1>, tensor<128xi64>
  %sorted_0, %spos_0 = tile.topk %keyv_0 {k = 128}
      : tensor<128xi64> -> tensor<128xi64>, tensor<128xi32>
  %s2_0 = tile.reshape %sorted_0 : tensor<128xi64> -> tensor<1x128xi64>
  %sb_0 = tile.broadcast %s2_0 : tensor<1x128xi64> -> tensor<8x128xi64>
  %sp_0 = arith.select %first, %sb_0, %none8 : tensor<8x128xi1>, tensor<8x128xi64>
  %run0 = tile.reshape %sp_0 : tensor<8x128xi64> -> tensor<1024xi64>
  %kfirst = arith.addi %k0, %cblk : index
  %best = scf.for %t0 = %kfirst to %k1 step %cblk iter_args(%run = %run0)
      -> (tensor<1024xi64>) {
    %krow = arith.addi %kb, %t0 : index
    %kt = tile.load %k[%krow, %c0] strides[%c128, %c1] bounds[%kend, %c128]
        : !tile.ptr<bf16> -> tensor<128x128xbf16>
    %dot = tile.dot %qt, %kt {rhs_transposed}
        : tensor<64x128xbf16>, tensor<128x128xbf16> -> tensor<64x128xf32>
    %dotb = tile.cast %dot : tensor<64x128xf32> -> tensor<64x128xbf16>
    %dotf = tile.cast %dotb : tensor<64x128xbf16> -> tensor<64x128xf32>
    %relu = arith.maximumf %dotf, %zeros : tensor<64x128xf32>
    %pw = arith.mulf %relu, %wb : tensor<64x128xf32>
    %pwb = tile.cast %pw : tensor<64x128xf32> -> tensor<64x128xbf16>
    %pwf = tile.cast %pwb : tensor<64x128xbf16> -> tensor<64x128xf32>
    %sum = tile.reduce sum %pwf {dim = 0} : tensor<64x128xf32> -> tensor<128xf32>
    %sumb = tile.cast %sum : tensor<128xf32> -> tensor<128xbf16>
    %sumf = tile.cast %sumb : tensor<128xbf16> -> tensor<128xf32>
    // -0 -> +0, then f32 bits made orderable as signed integers.
    %canon = arith.addf %sumf, %zerob : tensor<128xf32>
    %bits = arith.bitcast %canon : tensor<128xf32> to tensor<128xi32>
    %sign = arith.shrsi %bits, %m31 : tensor<128xi32>
    %flip = arith.andi %sign, %mag : tensor<128xi32>
    %ord = arith.xori %bits, %flip : tensor<128xi32>
    %ord64 = arith.extsi %ord : tensor<128xi32> to tensor<128xi64>
    %hi = arith.shli %ord64, %s32 : tensor<128xi64>
    %t0i = arith.index_cast %t0 : index to i64
    %t0s = tile.splat %t0i : tensor<128xi64>
    %t = arith.addi %iota, %t0s : tensor<128xi64>
    %lo = arith.subi %lowmax, %t : tensor<128xi64>
    %key = arith.ori %hi, %lo : tensor<128xi64>
    %ok = arith.cmpi slt, %t, %viss : tensor<128xi64>
    %keyv = arith.select %ok, %key, %noneb : tensor<128xi1>, tensor<128xi64>
    // The block sorted, so that [run ; block] is two sorted runs of 1024:
    // the top 1024 is then one merge pass (sorted_runs), not a whole sort.
    %keys, %kpos_unused = tile.topk %keyv {k = 128}
        : tensor<128xi64> -> tensor<128xi64>, tensor<128xi32>
    %kv2 = tile.reshape %keys : tensor<128xi64> -> tensor<1x128xi64>
    // [run ; keyv padded to 1024] -> top 1024.
    %kvb = tile.broadcast %kv2 : tensor<1x128xi64> -> tensor<8x128xi64>
    %kvp = arith.select %first, %kvb, %none8 : tensor<8x128xi1>, tensor<8x128xi64>
    %kvf = tile.reshape %kvp : tensor<8x128xi64> -> tensor<1x1024xi64>
    %runr = tile.reshape %run : tensor<1024xi64> -> tensor<1x1024xi64>
    %kvfb = tile.broadcast %kvf : tensor<1x1024xi64> -> tensor<2x1024xi64>
    %runb = tile.broadcast %runr : tensor<1x1024xi64> -> tensor<2x1024xi64>
    %cat2 = arith.select %lhs, %runb, %kvfb : tensor<2x1024xi1>, tensor<2x1024xi64>
    %cat = tile.reshape %cat2 : tensor<2x1024xi64> -> tensor<2048xi64>
    %top, %pos_unused = tile.topk %cat {k = 1024, sorted_runs = 1024}
        : tensor<2048xi64> -> tensor<1024xi64>, tensor<1024xi32>
    scf.yield %top : tensor<1024xi64>
  }

  %single = arith.cmpi eq, %splits, %c1 : index
  scf.if %single {
    %nonef = tile.splat %imin : tensor<1024xi64>
    %have = arith.cmpi ne, %best, %nonef : tensor<1024xi64>
    %mask32 = arith.constant dense<4294967295> : tensor<1024xi64>
    %low = arith.andi %best, %mask32 : tensor<1024xi64>
    %tt = arith.subi %mask32, %low : tensor<1024xi64>
    %offi = arith.index_cast %offset : index to i64
    %offs = tile.splat %offi : tensor<1024xi64>
    %ti = arith.addi %tt, %offs : tensor<1024xi64>
    %neg = arith.constant dense<-1> : tensor<1024xi64>
    %res64 = arith.select %have, %ti, %neg : tensor<1024xi1>, tensor<1024xi64>
    %res = arith.trunci %res64 : tensor<1024xi64> to tensor<1024xi32>
    %res2 = tile.reshape %res : tensor<1024xi32> -> tensor<1x1024xi32>
    tile.store %res2, %out[%row, %c0] strides[%ldout, %c1] bounds[%row1, %topk]
        : tensor<1x1024xi32> -> !tile.ptr<i32>
  } else {
    // Slice sp's running top-1024 keys, for @indexer_topk_merge.
    %rs = arith.muli %row, %splits : index
    %prow = arith.addi %rs, %sp : index
    %prow1 = arith.addi %prow, %c1 : index
    %c1024 = arith.constant 1024 : index
    %best2 = tile.reshape %best : tensor<1024xi64> -> tensor<1x1024xi64>
    tile.store %best2, %part[%prow, %c0] strides[%c1024, %c1] bounds[%prow1, %c1024]
        : tensor<1x1024xi64> -> !tile.ptr<i64>
  }
  tile.return
}

// @indexer_topk_merge: the second half of a split @indexer_topk (splits >
// 1: a decode of few sequences, whose one query per sequence would leave
// the GPU idle while a program walks its thousands of entries): row b * s
// + i's running top-1024 keys, part i64 [b * s, slots, 1024], merged one
// run at a time (each two sorted runs: one merge pass). Program (i, b, g)
// takes runs [g * group, min((g + 1) * group, runs)), run j at slot j *
// stride; with one program per row (grid z 1) it writes the best `topk` as
// @indexer_topk writes them, else its merged run to its first run's slot
// (a tree: 16 slices merge as 4 programs of 4, then one of 4 at stride 4,
// 6 dependent merges instead of 15). The keys are distinct (the entry's
// index is in their low half), so the picks are exactly the unsplit
// kernel's. Grid (s, b, ceil(runs / group)).
tile.kernel @indexer_topk_merge(%part: !tile.ptr<i64>, %out: !tile.ptr<i32>,
                                %s: index, %topk: index, %offset: index,
                                %ldout: index, %slots: index, %runs: index,
                                %group: index, %stride: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  %imin = arith.constant -9223372036854775808 : i64
  %i = tile.program_id 0
  %bat = tile.program_id 1
  %g = tile.program_id 2
  %ng = tile.num_programs 2
  %bs = arith.muli %bat, %s : index
  %row = arith.addi %bs, %i : index
  %row1 = arith.addi %row, %c1 : index
  %rs = arith.muli %row, %slots : index
  // Runs [j0, j1) of this program; run j at part row rs + j * stride.
  %j0 = arith.muli %g, %group : index
  %j1a = arith.addi %j0, %group : index
  %j1 = arith.minui %j1a, %runs : index
  %first = arith.muli %j0, %stride : index
  %prow0 = arith.addi %rs, %first : index
  %prow01 = arith.addi %prow0, %c1 : index
  %run0 = tile.load %part[%prow0, %c0] strides[%c1024, %c1] bounds[%prow01, %c1024]
      : !tile.ptr<i64> -> tensor<1x1024xi64>
  %half2 = tile.iota : tensor<2xi32>
  %h0 = arith.constant dense<0> : tensor<2xi32>
  %lhs1 = arith.cmpi eq, %half2, %h0 : tensor<2xi32>
  %lhs2 = tile.reshape %lhs1 : tensor<2xi1> -> tensor<2x1xi1>
  %lhs = tile.broadcast %lhs2 : tensor<2x1xi1> -> tensor<2x1024xi1>
  %jnext = arith.addi %j0, %c1 : index
  %best = scf.for %j = %jnext to %j1 step %c1
      iter_args(%run = %run0) -> (tensor<1x1024xi64>) {
    %js = arith.muli %j, %stride : index
    %prow = arith.addi %rs, %js : index
    %prow1 = arith.addi %prow, %c1 : index
    %next = tile.load %part[%prow, %c0] strides[%c1024, %c1] bounds[%prow1, %c1024]
        : !tile.ptr<i64> -> tensor<1x1024xi64>
    %runb = tile.broadcast %run : tensor<1x1024xi64> -> tensor<2x1024xi64>
    %nextb = tile.broadcast %next : tensor<1x1024xi64> -> tensor<2x1024xi64>
    %cat2 = arith.select %lhs, %runb, %nextb : tensor<2x1024xi1>, tensor<2x1024xi64>
    %cat = tile.reshape %cat2 : tensor<2x1024xi64> -> tensor<2048xi64>
    %top, %pos_unused = tile.topk %cat {k = 1024, sorted_runs = 1024}
        : tensor<2048xi64> -> tensor<1024xi64>, tensor<1024xi32>
    %top2 = tile.reshape %top : tensor<1024xi64> -> tensor<1x1024xi64>
    scf.yield %top2 : tensor<1x1024xi64>
  }
  %last = arith.cmpi eq, %ng, %c1 : index
  scf.if %last {
    %nonef = tile.splat %imin : tensor<1x1024xi64>
    %have = arith.cmpi ne, %best, %nonef : tensor<1x1024xi64>
    %mask32 = arith.constant dense<4294967295> : tensor<1x1024xi64>
    %low = arith.andi %best, %mask32 : tensor<1x1024xi64>
    %tt = arith.subi %mask32, %low : tensor<1x1024xi64>
    %offi = arith.index_cast %offset : index to i64
    %offs = tile.splat %offi : tensor<1x1024xi64>
    %ti = arith.addi %tt, %offs : tensor<1x1024xi64>
    %neg = arith.constant dense<-1> : tensor<1x1024xi64>
    %res64 = arith.select %have, %ti, %neg : tensor<1x1024xi1>, tensor<1x1024xi64>
    %res = arith.trunci %res64 : tensor<1x1024xi64> to tensor<1x1024xi32>
    tile.store %res, %out[%row, %c0] strides[%ldout, %c1] bounds[%row1, %topk]
        : tensor<1x1024xi32> -> !tile.ptr<i32>
  } else {
    tile.store %best, %part[%prow0, %c0] strides[%c1024, %c1] bounds[%prow01, %c1024]
        : tensor<1x1024xi64> -> !tile.ptr<i64>
  }
  tile.return
}
