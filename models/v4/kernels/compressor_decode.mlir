// V4's KV compressor, decode path and the prefill's state hand-off (official
// model.py `Compressor.forward`, start_pos > 0, and the kv_state /
// score_state writes of its start_pos == 0 branch). Per sequence the state
// is (official kv_state / score_state, initialised by the runtime: kv 0,
// score -inf):
//   skv, sscore: f32 [(1 + overlap) * ratio, cw], cw = (1 + overlap) * d;
//   overlap (ratio 4): rows [0, ratio) hold the previous block, rows
//   [ratio, 2 ratio) the current one; plain: rows [0, ratio), the current one.
// Scores are stored with ape already added (as the official code).

// @compressor_state_write: row r = b * n + i of kv / score (batch entry b's
// token i, at position pos[b] + i) goes to state row rows0[b] + slot[r]
// (skipped when slot[r] < 0):
//   skv[row] = kv[r]; sscore[row] = score[r] + ape[(pos[b] + i) mod ratio]
//   kv, score: f32 [b * n, cw]; ape: f32 [ratio, cw]; slot: i32 [b * n];
//   pos, rows0: i32 [b] (a batch entry's first position and the first row
//   of its state: a decode run's sequences keep their states in one pool).
// Decode: one token, slot = overlap * ratio + pos mod ratio. Prefill of s
// tokens (cutoff = s - s mod ratio): tokens [cutoff - ratio, cutoff) to
// slots 0 .. ratio-1 (overlap and cutoff >= ratio only) and tokens
// [cutoff, s) to slots overlap * ratio + (t - cutoff). The rows written by
// one launch must be distinct.
// One program per row; columns in blocks of 512 (any cw).
// Grid: (n, b).
tile.kernel @compressor_state_write(%kv: !tile.ptr<f32>, %score: !tile.ptr<f32>,
                                    %ape: !tile.ptr<f32>, %slot: !tile.ptr<i32>,
                                    %skv: !tile.ptr<f32>,
                                    %sscore: !tile.ptr<f32>, %n: index,
                                    %cw: index, %ratio: index,
                                    %pos: !tile.ptr<i32>,
                                    %rows0: !tile.ptr<i32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0 : i32
  %i = tile.program_id 0
  %bat = tile.program_id 1
  %bn = arith.muli %bat, %n : index
  %r = arith.addi %bn, %i : index
  %r1 = arith.addi %r, %c1 : index
  %st = tile.load %slot[%r] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
  %s32 = tile.extract %st[%c0] : tensor<1xi32>
  %valid = arith.cmpi sge, %s32, %zero : i32
  scf.if %valid {
    %pt = tile.load %pos[%bat] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
    %p32 = tile.extract %pt[%c0] : tensor<1xi32>
    %rt = tile.load %rows0[%bat] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
    %row032 = tile.extract %rt[%c0] : tensor<1xi32>
    %srow = arith.addi %row032, %s32 : i32
    %s = arith.index_cast %srow : i32 to index
    %s1 = arith.addi %s, %c1 : index
    %p0 = arith.index_cast %p32 : i32 to index
    %p = arith.addi %p0, %i : index
    %a = arith.remui %p, %ratio : index
    %a1 = arith.addi %a, %c1 : index
    scf.for %c = %c0 to %cw step %c512 {
      %kt = tile.load %kv[%r, %c] strides[%cw, %c1] bounds[%r1, %cw]
          : !tile.ptr<f32> -> tensor<1x512xf32>
      %sct = tile.load %score[%r, %c] strides[%cw, %c1] bounds[%r1, %cw]
          : !tile.ptr<f32> -> tensor<1x512xf32>
      %apt = tile.load %ape[%a, %c] strides[%cw, %c1] bounds[%a1, %cw]
          : !tile.ptr<f32> -> tensor<1x512xf32>
      // The same f32 addition as the prefill kernel's score + ape.
      %sc = arith.addf %sct, %apt : tensor<1x512xf32>
      tile.store %kt, %skv[%s, %c] strides[%cw, %c1] bounds[%s1, %cw]
          : tensor<1x512xf32> -> !tile.ptr<f32>
      tile.store %sc, %sscore[%s, %c] strides[%cw, %c1] bounds[%s1, %cw]
          : tensor<1x512xf32> -> !tile.ptr<f32>
    }
  }
  tile.return
}

// @compressor_decode: the compressed entries of a decode run, one per batch
// entry b whose token (at position pos[b]) completes a block, i.e. (pos[b]
// + 1) mod ratio == 0; the caller marks the others with outrows[b] = -1.
// Entry b is pooled from the state whose first row is rows0[b] and written
// to row outrows[b] of `out`. The window is (official)
//   overlap: cat(skv[:ratio, :d], skv[ratio:, d:]) (same for sscore);
//   plain:   skv[:ratio, :d];
//   pooled[c] = sum_rows kv * softmax_rows(score) per channel (-inf score
//   rows, never written, weigh 0), then exactly as compressor.mlir:
//   bf16(pooled) -> RMSNorm (eps, weight w; f32, stored bf16) -> RoPE of the
//   last rd dims at the entry's position pos[b] + 1 - ratio -> bf16 out row.
// The online softmax visits the window's rows in chunks of 4 in the same
// order, with the same ops, as compressor.mlir, so an entry equals the
// prefill's bit for bit (the prefill skips entry 0's empty previous block;
// here its -inf rows leave the running max / sum / accumulator unchanged).
// Then, with overlap, the state shifts (official kv_state[:, :r] =
// kv_state[:, r:], same for score_state): rows [ratio, 2 ratio) of skv and
// sscore are copied to rows [0, ratio), after every read of the pooling.
//   skv, sscore: the states' pool (a state: (1 + overlap) * ratio rows of
//   cw); w: bf16 [d]; tab: f32 [npos, rd/2, 2] (rope.mlir); out: bf16 rows
//   of d; rows0, outrows, pos: i32 [b]. d <= 512, rd even <= 64, ratio a
//   multiple of 4.
// Grid: (1, b): one launch for a decode run, whichever entries emit.
tile.kernel @compressor_decode(%skv: !tile.ptr<f32>, %sscore: !tile.ptr<f32>,
                               %w: !tile.ptr<bf16>, %tab: !tile.ptr<f32>,
                               %out: !tile.ptr<bf16>, %d: index, %rd: index,
                               %ratio: index, %overlap: index,
                               %rows0: !tile.ptr<i32>,
                               %outrows: !tile.ptr<i32>,
                               %tokpos: !tile.ptr<i32>, %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c512 = arith.constant 512 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %zero32 = arith.constant 0 : i32
  %bat = tile.program_id 1
  %ort = tile.load %outrows[%bat] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
  %orow32 = tile.extract %ort[%c0] : tensor<1xi32>
  %emits = arith.cmpi sge, %orow32, %zero32 : i32
  scf.if %emits {
    %orow = arith.index_cast %orow32 : i32 to index
    %rt = tile.load %rows0[%bat] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
    %row032 = tile.extract %rt[%c0] : tensor<1xi32>
    %srow0 = arith.index_cast %row032 : i32 to index
    %pt = tile.load %tokpos[%bat] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
    %tp32 = tile.extract %pt[%c0] : tensor<1xi32>
    %tpi = arith.index_cast %tp32 : i32 to index
    %tp1 = arith.addi %tpi, %c1 : index
    %pos = arith.subi %tp1, %ratio : index
    %half = arith.divui %rd, %c2 : index
    %coff1 = arith.addi %overlap, %c1 : index
    %cw = arith.muli %coff1, %d : index          // row width of the state
    %nope = arith.subi %d, %rd : index
    %ovr = arith.muli %overlap, %ratio : index
    // State rows v in [0, nv); channels of the second half (offset d) for
    // v >= ratio.
    %nv = arith.muli %coff1, %ratio : index

    %ninfv = tile.splat %ninf : tensor<512xf32>
    %zerov = tile.splat %zero : tensor<512xf32>
    %ninfr = tile.splat %ninf : tensor<2x32xf32>
    %zeror = tile.splat %zero : tensor<2x32xf32>

    %st:6 = scf.for %v = %c0 to %nv step %c4
        iter_args(%m = %ninfv, %l = %zerov, %acc = %zerov,
                  %mr = %ninfr, %lr = %zeror, %accr = %zeror)
        -> (tensor<512xf32>, tensor<512xf32>, tensor<512xf32>,
            tensor<2x32xf32>, tensor<2x32xf32>, tensor<2x32xf32>) {
      %second = arith.cmpi uge, %v, %ratio : index
      %coff = arith.select %second, %d, %c0 : index
      %segend = arith.select %second, %nv, %ratio : index
      %cend = arith.addi %coff, %d : index

      // All channels: [4 rows, 512 channels].
      %vr = arith.addi %srow0, %v : index
      %segr = arith.addi %srow0, %segend : index
      %kvt = tile.load %skv[%vr, %coff] strides[%cw, %c1] bounds[%segr, %cend]
          : !tile.ptr<f32> -> tensor<4x512xf32>
      %sc = tile.load %sscore[%vr, %coff] strides[%cw, %c1] bounds[%segr, %cend]
          other %ninf : !tile.ptr<f32> -> tensor<4x512xf32>
      %bmax = tile.reduce max %sc {dim = 0} : tensor<4x512xf32> -> tensor<512xf32>
      %mn = arith.maximumf %m, %bmax : tensor<512xf32>
      %nomax = arith.cmpf oeq, %mn, %ninfv : tensor<512xf32>
      %ms = arith.select %nomax, %zerov, %mn : tensor<512xi1>, tensor<512xf32>
      %dm = arith.subf %m, %ms : tensor<512xf32>
      %corr = math.exp %dm : tensor<512xf32>
      %ms2 = tile.reshape %ms : tensor<512xf32> -> tensor<1x512xf32>
      %msb = tile.broadcast %ms2 : tensor<1x512xf32> -> tensor<4x512xf32>
      %sh = arith.subf %sc, %msb : tensor<4x512xf32>
      %p = math.exp %sh : tensor<4x512xf32>
      %ps = tile.reduce sum %p {dim = 0} : tensor<4x512xf32> -> tensor<512xf32>
      %pk = arith.mulf %p, %kvt : tensor<4x512xf32>
      %pks = tile.reduce sum %pk {dim = 0} : tensor<4x512xf32> -> tensor<512xf32>
      %lc = arith.mulf %l, %corr : tensor<512xf32>
      %ln = arith.addf %lc, %ps : tensor<512xf32>
      %ac = arith.mulf %acc, %corr : tensor<512xf32>
      %an = arith.addf %ac, %pks : tensor<512xf32>

      // The rope channels again, as (even, odd) pairs: [2, 4 rows, 32 pairs].
      %rc = arith.addi %coff, %nope : index
      %rcb = arith.addi %rc, %c2 : index
      %kvr = tile.load %skv[%rc, %vr, %c0] strides[%c1, %cw, %c2]
          bounds[%rcb, %segr, %half] : !tile.ptr<f32> -> tensor<2x4x32xf32>
      %scr2 = tile.load %sscore[%rc, %vr, %c0] strides[%c1, %cw, %c2]
          bounds[%rcb, %segr, %half] other %ninf : !tile.ptr<f32> -> tensor<2x4x32xf32>
      %bmaxr = tile.reduce max %scr2 {dim = 1} : tensor<2x4x32xf32> -> tensor<2x32xf32>
      %mnr = arith.maximumf %mr, %bmaxr : tensor<2x32xf32>
      %nomaxr = arith.cmpf oeq, %mnr, %ninfr : tensor<2x32xf32>
      %msr = arith.select %nomaxr, %zeror, %mnr : tensor<2x32xi1>, tensor<2x32xf32>
      %dmr = arith.subf %mr, %msr : tensor<2x32xf32>
      %corrr = math.exp %dmr : tensor<2x32xf32>
      %msr2 = tile.reshape %msr : tensor<2x32xf32> -> tensor<2x1x32xf32>
      %msrb = tile.broadcast %msr2 : tensor<2x1x32xf32> -> tensor<2x4x32xf32>
      %shr = arith.subf %scr2, %msrb : tensor<2x4x32xf32>
      %pr = math.exp %shr : tensor<2x4x32xf32>
      %psr = tile.reduce sum %pr {dim = 1} : tensor<2x4x32xf32> -> tensor<2x32xf32>
      %pkr = arith.mulf %pr, %kvr : tensor<2x4x32xf32>
      %pksr = tile.reduce sum %pkr {dim = 1} : tensor<2x4x32xf32> -> tensor<2x32xf32>
      %lcr = arith.mulf %lr, %corrr : tensor<2x32xf32>
      %lnr = arith.addf %lcr, %psr : tensor<2x32xf32>
      %acr = arith.mulf %accr, %corrr : tensor<2x32xf32>
      %anr = arith.addf %acr, %pksr : tensor<2x32xf32>
      scf.yield %mn, %ln, %an, %mnr, %lnr, %anr
          : tensor<512xf32>, tensor<512xf32>, tensor<512xf32>,
            tensor<2x32xf32>, tensor<2x32xf32>, tensor<2x32xf32>
    }

    // pooled = acc / l (0 on channels past d, where nothing was seen), as bf16.
    %seen = arith.cmpf ogt, %st#1, %zerov : tensor<512xf32>
    %q = arith.divf %st#2, %st#1 : tensor<512xf32>
    %pooled = arith.select %seen, %q, %zerov : tensor<512xi1>, tensor<512xf32>
    %pb = tile.cast %pooled : tensor<512xf32> -> tensor<512xbf16>
    %x1 = tile.cast %pb : tensor<512xbf16> -> tensor<512xf32>
    %x = tile.reshape %x1 : tensor<512xf32> -> tensor<1x512xf32>
    // RMSNorm over the d channels.
    %sq = arith.mulf %x, %x : tensor<1x512xf32>
    %ss = tile.reduce sum %sq {dim = 1} : tensor<1x512xf32> -> tensor<1xf32>
    %di = arith.index_cast %d : index to i32
    %df = arith.sitofp %di : i32 to f32
    %dfs = tile.splat %df : tensor<1xf32>
    %mean = arith.divf %ss, %dfs : tensor<1xf32>
    %epss = tile.splat %eps : tensor<1xf32>
    %var = arith.addf %mean, %epss : tensor<1xf32>
    %inv = math.rsqrt %var : tensor<1xf32>
    %inv2 = tile.reshape %inv : tensor<1xf32> -> tensor<1x1xf32>
    %invb = tile.broadcast %inv2 : tensor<1x1xf32> -> tensor<1x512xf32>
    %wt = tile.load %w[%c0, %c0] strides[%c0, %c1] bounds[%c1, %d]
        : !tile.ptr<bf16> -> tensor<1x512xbf16>
    %wf = tile.cast %wt : tensor<1x512xbf16> -> tensor<1x512xf32>
    %xn = arith.mulf %x, %invb : tensor<1x512xf32>
    %y = arith.mulf %wf, %xn : tensor<1x512xf32>
    %yb = tile.cast %y : tensor<1x512xf32> -> tensor<1x512xbf16>
    %orow1 = arith.addi %orow, %c1 : index
    tile.store %yb, %out[%orow, %c0] strides[%d, %c1] bounds[%orow1, %nope]
        : tensor<1x512xbf16> -> !tile.ptr<bf16>

    // The rope channels: same pooling, norm and weight, then the rotation.
    %seenr = arith.cmpf ogt, %st#4, %zeror : tensor<2x32xf32>
    %qr = arith.divf %st#5, %st#4 : tensor<2x32xf32>
    %pooledr = arith.select %seenr, %qr, %zeror : tensor<2x32xi1>, tensor<2x32xf32>
    %pbr = tile.cast %pooledr : tensor<2x32xf32> -> tensor<2x32xbf16>
    %xr = tile.cast %pbr : tensor<2x32xbf16> -> tensor<2x32xf32>
    %invr = tile.broadcast %inv2 : tensor<1x1xf32> -> tensor<2x32xf32>
    %nopeb = arith.addi %nope, %c2 : index
    %wrt = tile.load %w[%nope, %c0] strides[%c1, %c2] bounds[%nopeb, %half]
        : !tile.ptr<bf16> -> tensor<2x32xbf16>
    %wrf = tile.cast %wrt : tensor<2x32xbf16> -> tensor<2x32xf32>
    %xnr = arith.mulf %xr, %invr : tensor<2x32xf32>
    %yr = arith.mulf %wrf, %xnr : tensor<2x32xf32>
    %yrb = tile.cast %yr : tensor<2x32xf32> -> tensor<2x32xbf16>
    %yrf = tile.cast %yrb : tensor<2x32xbf16> -> tensor<2x32xf32>
    // cos / sin at position pos.
    %tp = arith.muli %pos, %rd : index
    %tpb = arith.addi %tp, %c2 : index
    %cst = tile.load %tab[%tp, %c0] strides[%c1, %c2] bounds[%tpb, %half]
        : !tile.ptr<f32> -> tensor<2x32xf32>
    // Row 0 (even / cos) and row 1 (odd / sin) of the [2, 32] tiles.
    %ri = tile.iota : tensor<2xi32>
    %i0 = arith.constant dense<0> : tensor<2xi32>
    %isr0 = arith.cmpi eq, %ri, %i0 : tensor<2xi32>
    %isr02 = tile.reshape %isr0 : tensor<2xi1> -> tensor<2x1xi1>
    %first = tile.broadcast %isr02 : tensor<2x1xi1> -> tensor<2x32xi1>
    %xe2 = arith.select %first, %yrf, %zeror : tensor<2x32xi1>, tensor<2x32xf32>
    %xo2 = arith.select %first, %zeror, %yrf : tensor<2x32xi1>, tensor<2x32xf32>
    %cs2 = arith.select %first, %cst, %zeror : tensor<2x32xi1>, tensor<2x32xf32>
    %sn2 = arith.select %first, %zeror, %cst : tensor<2x32xi1>, tensor<2x32xf32>
    %xe = tile.reduce sum %xe2 {dim = 0} : tensor<2x32xf32> -> tensor<32xf32>
    %xo = tile.reduce sum %xo2 {dim = 0} : tensor<2x32xf32> -> tensor<32xf32>
    %cs = tile.reduce sum %cs2 {dim = 0} : tensor<2x32xf32> -> tensor<32xf32>
    %sn = tile.reduce sum %sn2 {dim = 0} : tensor<2x32xf32> -> tensor<32xf32>
    %a1 = arith.mulf %xe, %cs : tensor<32xf32>
    %a2 = arith.mulf %xo, %sn : tensor<32xf32>
    %ye = arith.subf %a1, %a2 : tensor<32xf32>
    %a3 = arith.mulf %xe, %sn : tensor<32xf32>
    %a4 = arith.mulf %xo, %cs : tensor<32xf32>
    %yo = arith.addf %a3, %a4 : tensor<32xf32>
    %ye2 = tile.reshape %ye : tensor<32xf32> -> tensor<1x32xf32>
    %yo2 = tile.reshape %yo : tensor<32xf32> -> tensor<1x32xf32>
    %yeb = tile.broadcast %ye2 : tensor<1x32xf32> -> tensor<2x32xf32>
    %yob = tile.broadcast %yo2 : tensor<1x32xf32> -> tensor<2x32xf32>
    %rot = arith.select %first, %yeb, %yob : tensor<2x32xi1>, tensor<2x32xf32>
    %rotb = tile.cast %rot : tensor<2x32xf32> -> tensor<2x32xbf16>
    %orowd = arith.muli %orow, %d : index
    %ronope = arith.addi %orowd, %nope : index
    %nopee = arith.addi %ronope, %c2 : index
    tile.store %rotb, %out[%ronope, %c0] strides[%c1, %c2] bounds[%nopee, %half]
        : tensor<2x32xbf16> -> !tile.ptr<bf16>

    // The overlap shift (no iterations when overlap = 0): rows
    // [ratio, 2 ratio) -> [0, ratio), all cw channels, after every read above.
    %nvr = arith.addi %srow0, %nv : index
    %ratior = arith.addi %srow0, %ratio : index
    scf.for %v = %c0 to %ovr step %c4 {
      %dst = arith.addi %srow0, %v : index
      %src = arith.addi %dst, %ratio : index
      scf.for %c = %c0 to %cw step %c512 {
        %kt = tile.load %skv[%src, %c] strides[%cw, %c1] bounds[%nvr, %cw]
            : !tile.ptr<f32> -> tensor<4x512xf32>
        %sct = tile.load %sscore[%src, %c] strides[%cw, %c1] bounds[%nvr, %cw]
            : !tile.ptr<f32> -> tensor<4x512xf32>
        tile.store %kt, %skv[%dst, %c] strides[%cw, %c1] bounds[%ratior, %cw]
            : tensor<4x512xf32> -> !tile.ptr<f32>
        tile.store %sct, %sscore[%dst, %c] strides[%cw, %c1] bounds[%ratior, %cw]
            : tensor<4x512xf32> -> !tile.ptr<f32>
      }
    }
  }
  tile.return
}
