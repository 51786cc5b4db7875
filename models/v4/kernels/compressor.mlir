// V4's KV compressor, prefill (official model.py `Compressor.forward` with
// start_pos == 0), from the f32 projections kv = wkv(x), score = wgate(x):
// entry e of each batch entry pools a block of `ratio` tokens per channel c:
//   plain (ratio 128):  rows e*ratio .. e*ratio+ratio-1, channel c;
//   overlap (ratio 4):  the official overlap_transform: channel c of the
//     previous block's rows (first half of the 2d-wide projections) and
//     channel d + c of this block's rows (second half); entry 0 has no
//     previous block (the official -inf scores: weight 0).
//   pooled[c] = sum_r kv[r, c] * softmax_r(score[r, c] + ape[r mod ratio, c])
// then, as the official code: bf16(pooled) -> RMSNorm (eps, weight w; f32,
// stored bf16) -> RoPE of the last rd dims at the block's first position
// e * ratio (complex pairs, f32, stored bf16). The FP8 fake-quant of the nope
// dims (kv_quant.mlir) or, for the indexer's compressor, the Hadamard + FP4
// (indexer.mlir @indexer_rotate_quant) follows as a separate launch.
// The softmax is computed online over chunks of 4 rows (the result is the
// same up to f32 rounding).
//
//   kv, score: f32 [b, s, (1 + overlap) * d]; ape: f32 [ratio, (1 + overlap) * d]
//   w: bf16 [d]; tab: f32 [npos, rd/2, 2] (rope.mlir); out: bf16 [b, orows, d],
//   entries 0 .. s/ratio - 1 written (the tail s mod ratio is not compressed).
//   d <= 512, rd even <= 64, d - rd >= 0, ratio a multiple of 4,
//   overlap in {0, 1} (1 for ratio 4).
// Grid: (s / ratio, b).
// Not here: the decode path (kv_state / score_state carried between steps,
// an entry emitted when (pos + 1) % ratio == 0) and the prefill's state
// hand-off to it.
tile.kernel @compressor(%kv: !tile.ptr<f32>, %score: !tile.ptr<f32>,
                        %ape: !tile.ptr<f32>, %w: !tile.ptr<bf16>,
                        %tab: !tile.ptr<f32>, %out: !tile.ptr<bf16>,
                        %s: index, %d: index, %rd: index, %ratio: index,
                        %overlap: index, %orows: index, %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e = tile.program_id 0
  %bat = tile.program_id 1
  %half = arith.divui %rd, %c2 : index
  %coff1 = arith.addi %overlap, %c1 : index
  %cw = arith.muli %coff1, %d : index          // row width of kv / score / ape
  %nope = arith.subi %d, %rd : index
  %bs = arith.muli %bat, %s : index
  // Virtual rows v in [vstart, nv): token rbase + v; channels of the second
  // half (offset d) for v >= ratio.
  %eratio = arith.muli %e, %ratio : index
  %ovr = arith.muli %overlap, %ratio : index
  %rbase0 = arith.subi %eratio, %ovr : index
  %rbase = arith.addi %bs, %rbase0 : index
  %nv = arith.muli %coff1, %ratio : index
  %isov = arith.cmpi ne, %overlap, %c0 : index
  %isfirst = arith.cmpi eq, %e, %c0 : index
  %skip = arith.andi %isov, %isfirst : i1
  %vstart = arith.select %skip, %ratio, %c0 : index

  %ninfv = tile.splat %ninf : tensor<512xf32>
  %zerov = tile.splat %zero : tensor<512xf32>
  %ninfr = tile.splat %ninf : tensor<2x32xf32>
  %zeror = tile.splat %zero : tensor<2x32xf32>

  %st:6 = scf.for %v = %vstart to %nv step %c4
      iter_args(%m = %ninfv, %l = %zerov, %acc = %zerov,
                %mr = %ninfr, %lr = %zeror, %accr = %zeror)
      -> (tensor<512xf32>, tensor<512xf32>, tensor<512xf32>,
          tensor<2x32xf32>, tensor<2x32xf32>, tensor<2x32xf32>) {
    %second = arith.cmpi uge, %v, %ratio : index
    %coff = arith.select %second, %d, %c0 : index
    %aoff = arith.select %second, %ratio, %c0 : index
    %segend = arith.select %second, %nv, %ratio : index
    %arow = arith.subi %v, %aoff : index
    %aend = arith.subi %segend, %aoff : index
    %r = arith.addi %rbase, %v : index
    %rend = arith.addi %rbase, %segend : index
    %cend = arith.addi %coff, %d : index

    // All channels: [4 rows, 512 channels].
    %kvt = tile.load %kv[%r, %coff] strides[%cw, %c1] bounds[%rend, %cend]
        : !tile.ptr<f32> -> tensor<4x512xf32>
    %sct = tile.load %score[%r, %coff] strides[%cw, %c1] bounds[%rend, %cend]
        other %ninf : !tile.ptr<f32> -> tensor<4x512xf32>
    %apt = tile.load %ape[%arow, %coff] strides[%cw, %c1] bounds[%aend, %cend]
        : !tile.ptr<f32> -> tensor<4x512xf32>
    %sc = arith.addf %sct, %apt : tensor<4x512xf32>
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
    %kvr = tile.load %kv[%rc, %r, %c0] strides[%c1, %cw, %c2]
        bounds[%rcb, %rend, %half] : !tile.ptr<f32> -> tensor<2x4x32xf32>
    %scr = tile.load %score[%rc, %r, %c0] strides[%c1, %cw, %c2]
        bounds[%rcb, %rend, %half] other %ninf : !tile.ptr<f32> -> tensor<2x4x32xf32>
    %apr = tile.load %ape[%rc, %arow, %c0] strides[%c1, %cw, %c2]
        bounds[%rcb, %aend, %half] : !tile.ptr<f32> -> tensor<2x4x32xf32>
    %scr2 = arith.addf %scr, %apr : tensor<2x4x32xf32>
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
  %ob = arith.muli %bat, %orows : index
  %orow = arith.addi %ob, %e : index
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
  // cos / sin at position e * ratio.
  %tp = arith.muli %eratio, %rd : index
  %tpb = arith.addi %tp, %c2 : index
  %cst = tile.load %tab[%tp, %c0] strides[%c1, %c2] bounds[%tpb, %half]
      : !tile.ptr<f32> -> tensor<2x32xf32>
  // Row 0 (even / cos) and row 1 (odd / sin) of the [2, 32] tiles.
  %ri = tile.iota : tensor<2xi32>
  %i0 = arith.constant dense<0> : tensor<2xi32>
  %isr0 = arith.cmpi eq, %ri, %i0 : tensor<2xi32>
  %isr02 = tile.reshape %isr0 : tensor<2xi1> -> tensor<2x1xi1>
  %row0 = tile.broadcast %isr02 : tensor<2x1xi1> -> tensor<2x32xi1>
  %xe2 = arith.select %row0, %yrf, %zeror : tensor<2x32xi1>, tensor<2x32xf32>
  %xo2 = arith.select %row0, %zeror, %yrf : tensor<2x32xi1>, tensor<2x32xf32>
  %cs2 = arith.select %row0, %cst, %zeror : tensor<2x32xi1>, tensor<2x32xf32>
  %sn2 = arith.select %row0, %zeror, %cst : tensor<2x32xi1>, tensor<2x32xf32>
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
  %rot = arith.select %row0, %yeb, %yob : tensor<2x32xi1>, tensor<2x32xf32>
  %rotb = tile.cast %rot : tensor<2x32xf32> -> tensor<2x32xbf16>
  %obase0 = arith.muli %orow, %d : index
  %obase = arith.addi %obase0, %nope : index
  %obaseb = arith.addi %obase, %c2 : index
  tile.store %rotb, %out[%obase, %c0] strides[%c1, %c2] bounds[%obaseb, %half]
      : tensor<2x32xbf16> -> !tile.ptr<bf16>
  tile.return
}
