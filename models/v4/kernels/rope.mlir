// V4's rotary embedding (official model.py `apply_rotary_emb`), in place, on
// the last `rd` dims of every head: pairs (x[2j], x[2j+1]) of those dims are
// one complex number, multiplied by freqs_cis[pos][j] (by its conjugate when
// `inverse` != 0: the de-rotation of the attention output). Computed in f32
// from bf16, stored as bf16.
//
//   x:   bf16 [b, s, nh, hd]; the rotated dims are hd-rd .. hd-1 (rd even, <= 64)
//   tab: f32 [npos, rd/2, 2]: torch.view_as_real(freqs_cis), i.e. (cos, sin)
//        of pos * freq_j, with YaRN-scaled freq_j on compressed layers. The
//        official code precomputes this table (precompute_freqs_cis); so do
//        we (the runtime, or @rope_table below).
//   pos: i32 [b]: row i of batch entry b is at position pos[b] + i * pstep:
//   pstep = 1 for q / kv / o (pos[b]: the sequence's start_pos, so one
//   launch rotates a batch of decode rows at their own positions);
//   pstep = ratio for compressed entries (whose position is their block's
//   first token).
// A program takes 16 of the b * s rows (flattened: a decode run's one row
// per sequence fills a program, where one program per sequence left 15 of
// its 16 rows empty) and 8 heads; each row's (cos, sin) pairs are gathered
// from the table at its own position.
// Grid: (ceil(b * s / 16), 1, ceil(nh / 8)).
tile.kernel @rope(%x: !tile.ptr<bf16>, %tab: !tile.ptr<f32>, %s: index,
                  %nh: index, %hd: index, %rd: index, %pos: !tile.ptr<i32>,
                  %pstep: index, %inverse: index, %b: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %pr = tile.program_id 0
  %ph = tile.program_id 2
  %row0 = arith.muli %pr, %c16 : index
  %h0 = arith.muli %ph, %c8 : index
  %rows = arith.muli %b, %s : index
  %ldr = arith.muli %nh, %hd : index
  %half = arith.divui %rd, %c2 : index
  // Leading size-1 dimension: its offset is the element offset of the first
  // even (odd) rotated element within a head.
  %even = arith.subi %hd, %rd : index
  %odd = arith.addi %even, %c1 : index
  %evenb = arith.addi %even, %c1 : index
  %oddb = arith.addi %odd, %c1 : index
  %xe4 = tile.load %x[%even, %row0, %h0, %c0] strides[%c1, %ldr, %hd, %c2]
      bounds[%evenb, %rows, %nh, %half] : !tile.ptr<bf16> -> tensor<1x16x8x32xbf16>
  %xo4 = tile.load %x[%odd, %row0, %h0, %c0] strides[%c1, %ldr, %hd, %c2]
      bounds[%oddb, %rows, %nh, %half] : !tile.ptr<bf16> -> tensor<1x16x8x32xbf16>
  // Row r = row0 + i is row r % s of batch entry r / s, at table row
  // pos[r / s] + (r % s) * pstep; rows past b * s read entry -1 (masked).
  %neg1 = arith.constant -1 : i32
  %row0i = arith.index_cast %row0 : index to i32
  %si = arith.index_cast %s : index to i32
  %rowsi = arith.index_cast %rows : index to i32
  %pstepi = arith.index_cast %pstep : index to i32
  %halfi = arith.index_cast %half : index to i32
  %io = tile.iota : tensor<16xi32>
  %r0t = tile.splat %row0i : tensor<16xi32>
  %r = arith.addi %io, %r0t : tensor<16xi32>
  %st = tile.splat %si : tensor<16xi32>
  %ent = arith.divsi %r, %st : tensor<16xi32>
  %inrow = arith.remsi %r, %st : tensor<16xi32>
  %rowst = tile.splat %rowsi : tensor<16xi32>
  %live = arith.cmpi slt, %r, %rowst : tensor<16xi32>
  %neg1s = tile.splat %neg1 : tensor<16xi32>
  %entm = arith.select %live, %ent, %neg1s : tensor<16xi1>, tensor<16xi32>
  %p0 = tile.gather %pos[%c0], %entm row_stride %c1
      : !tile.ptr<i32>, tensor<16xi32> -> tensor<16x1xi32>
  %p0r = tile.reshape %p0 : tensor<16x1xi32> -> tensor<16xi32>
  %pst = tile.splat %pstepi : tensor<16xi32>
  %step = arith.muli %inrow, %pst : tensor<16xi32>
  %prow = arith.addi %p0r, %step : tensor<16xi32>
  // Pair j of row r: table entry prow[r] * half + j (two f32: cos, sin);
  // pairs past half and dead rows are masked.
  %hts = tile.splat %halfi : tensor<16xi32>
  %pbase = arith.muli %prow, %hts : tensor<16xi32>
  %pb2 = tile.reshape %pbase : tensor<16xi32> -> tensor<16x1xi32>
  %pbb = tile.broadcast %pb2 : tensor<16x1xi32> -> tensor<16x32xi32>
  %j = tile.iota : tensor<32xi32>
  %j2 = tile.reshape %j : tensor<32xi32> -> tensor<1x32xi32>
  %jb = tile.broadcast %j2 : tensor<1x32xi32> -> tensor<16x32xi32>
  %pair = arith.addi %pbb, %jb : tensor<16x32xi32>
  %hb = tile.splat %halfi : tensor<16x32xi32>
  %jin = arith.cmpi slt, %jb, %hb : tensor<16x32xi32>
  %live2 = tile.reshape %live : tensor<16xi1> -> tensor<16x1xi1>
  %liveb = tile.broadcast %live2 : tensor<16x1xi1> -> tensor<16x32xi1>
  %ok = arith.andi %jin, %liveb : tensor<16x32xi1>
  %neg1p = tile.splat %neg1 : tensor<16x32xi32>
  %pairm = arith.select %ok, %pair, %neg1p : tensor<16x32xi1>, tensor<16x32xi32>
  %pairs = tile.reshape %pairm : tensor<16x32xi32> -> tensor<512xi32>
  %csn = tile.gather %tab[%c0], %pairs row_stride %c2
      : !tile.ptr<f32>, tensor<512xi32> -> tensor<512x2xf32>
  %csn3 = tile.reshape %csn : tensor<512x2xf32> -> tensor<16x32x2xf32>
  %cs3 = tile.slice %csn3 {offsets = array<i64: 0, 0, 0>}
      : tensor<16x32x2xf32> -> tensor<16x32x1xf32>
  %sn3 = tile.slice %csn3 {offsets = array<i64: 0, 0, 1>}
      : tensor<16x32x2xf32> -> tensor<16x32x1xf32>
  %cs2 = tile.reshape %cs3 : tensor<16x32x1xf32> -> tensor<16x1x32xf32>
  %sn2 = tile.reshape %sn3 : tensor<16x32x1xf32> -> tensor<16x1x32xf32>
  %cs = tile.broadcast %cs2 : tensor<16x1x32xf32> -> tensor<16x8x32xf32>
  %snp = tile.broadcast %sn2 : tensor<16x1x32xf32> -> tensor<16x8x32xf32>
  %inv = arith.cmpi ne, %inverse, %c0 : index
  %snn = arith.negf %snp : tensor<16x8x32xf32>
  %sn = arith.select %inv, %snn, %snp : tensor<16x8x32xf32>

  %xeb = tile.reshape %xe4 : tensor<1x16x8x32xbf16> -> tensor<16x8x32xbf16>
  %xob = tile.reshape %xo4 : tensor<1x16x8x32xbf16> -> tensor<16x8x32xbf16>
  %xe = tile.cast %xeb : tensor<16x8x32xbf16> -> tensor<16x8x32xf32>
  %xo = tile.cast %xob : tensor<16x8x32xbf16> -> tensor<16x8x32xf32>
  // (xe + i xo) * (c + i s)
  %a = arith.mulf %xe, %cs : tensor<16x8x32xf32>
  %bo = arith.mulf %xo, %sn : tensor<16x8x32xf32>
  %ye = arith.subf %a, %bo : tensor<16x8x32xf32>
  %c = arith.mulf %xe, %sn : tensor<16x8x32xf32>
  %d = arith.mulf %xo, %cs : tensor<16x8x32xf32>
  %yo = arith.addf %c, %d : tensor<16x8x32xf32>
  %yeb = tile.cast %ye : tensor<16x8x32xf32> -> tensor<16x8x32xbf16>
  %yob = tile.cast %yo : tensor<16x8x32xf32> -> tensor<16x8x32xbf16>
  %ye4 = tile.reshape %yeb : tensor<16x8x32xbf16> -> tensor<1x16x8x32xbf16>
  %yo4 = tile.reshape %yob : tensor<16x8x32xbf16> -> tensor<1x16x8x32xbf16>
  tile.store %ye4, %x[%even, %row0, %h0, %c0] strides[%c1, %ldr, %hd, %c2]
      bounds[%evenb, %rows, %nh, %half] : tensor<1x16x8x32xbf16> -> !tile.ptr<bf16>
  tile.store %yo4, %x[%odd, %row0, %h0, %c0] strides[%c1, %ldr, %hd, %c2]
      bounds[%oddb, %rows, %nh, %half] : tensor<1x16x8x32xbf16> -> !tile.ptr<bf16>
  tile.return
}

// The table itself (official `precompute_freqs_cis`), for rows p in
// [0, npos): freq_j = base^(-2j/rd) (f32), with YaRN when `yarn` != 0:
// freq_j = freq_j / factor * (1 - smooth_j) + freq_j * smooth_j,
// smooth_j = 1 - clamp((j - low) / (high - low), 0, 1), where low / high are
// the host-side integers of find_correction_range (the official code also
// computes them in Python). tab[p, j] = (cos(p * freq_j), sin(p * freq_j)),
// the angle rounded to f32 as torch.outer does.
// Grid: (ceil(npos / 16)).
tile.kernel @rope_table(%tab: !tile.ptr<f32>, %npos: index, %rd: index,
                        %base: f32, %yarn: index, %factor: f32, %low: f32,
                        %high: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %p = tile.program_id 0
  %r0 = arith.muli %p, %c16 : index
  %half = arith.divui %rd, %c2 : index

  // freq_j = 1 / base^((2j) / rd), as torch: the exponent in f32.
  %j = tile.iota : tensor<32xi32>
  %jf = tile.cast %j : tensor<32xi32> -> tensor<32xf32>
  %two = arith.constant dense<2.0> : tensor<32xf32>
  %j2 = arith.mulf %jf, %two : tensor<32xf32>
  %rdi = arith.index_cast %rd : index to i32
  %rdf = arith.sitofp %rdi : i32 to f32
  %rds = tile.splat %rdf : tensor<32xf32>
  %ex = arith.divf %j2, %rds : tensor<32xf32>
  %bases = tile.splat %base : tensor<32xf32>
  %pw = math.powf %bases, %ex : tensor<32xf32>
  %ones = tile.splat %one : tensor<32xf32>
  %f0 = arith.divf %ones, %pw : tensor<32xf32>
  // YaRN: smooth = 1 - clamp((j - low) / (high - low), 0, 1).
  %lows = tile.splat %low : tensor<32xf32>
  %width = arith.subf %high, %low : f32
  %widths = tile.splat %width : tensor<32xf32>
  %jl = arith.subf %jf, %lows : tensor<32xf32>
  %lin = arith.divf %jl, %widths : tensor<32xf32>
  %zeros = tile.splat %zero : tensor<32xf32>
  %lin0 = arith.maximumf %lin, %zeros : tensor<32xf32>
  %ramp = arith.minimumf %lin0, %ones : tensor<32xf32>
  %smooth = arith.subf %ones, %ramp : tensor<32xf32>
  %factors = tile.splat %factor : tensor<32xf32>
  %fd = arith.divf %f0, %factors : tensor<32xf32>
  %oms = arith.subf %ones, %smooth : tensor<32xf32>
  %ya = arith.mulf %fd, %oms : tensor<32xf32>
  %yb = arith.mulf %f0, %smooth : tensor<32xf32>
  %fy = arith.addf %ya, %yb : tensor<32xf32>
  %useyarn = arith.cmpi ne, %yarn, %c0 : index
  %freq = arith.select %useyarn, %fy, %f0 : tensor<32xf32>

  // angle[r, j] = f32(p) * freq_j
  %r = tile.iota : tensor<16xi32>
  %r0i = arith.index_cast %r0 : index to i32
  %r0s = tile.splat %r0i : tensor<16xi32>
  %pi = arith.addi %r, %r0s : tensor<16xi32>
  %pf = tile.cast %pi : tensor<16xi32> -> tensor<16xf32>
  %pf2 = tile.reshape %pf : tensor<16xf32> -> tensor<16x1xf32>
  %pfb = tile.broadcast %pf2 : tensor<16x1xf32> -> tensor<16x32xf32>
  %fr2 = tile.reshape %freq : tensor<32xf32> -> tensor<1x32xf32>
  %frb = tile.broadcast %fr2 : tensor<1x32xf32> -> tensor<16x32xf32>
  %ang = arith.mulf %pfb, %frb : tensor<16x32xf32>
  %cs = math.cos %ang : tensor<16x32xf32>
  %sn = math.sin %ang : tensor<16x32xf32>
  %cs3 = tile.reshape %cs : tensor<16x32xf32> -> tensor<1x16x32xf32>
  %sn3 = tile.reshape %sn : tensor<16x32xf32> -> tensor<1x16x32xf32>
  tile.store %cs3, %tab[%c0, %r0, %c0] strides[%c1, %rd, %c2]
      bounds[%c1, %npos, %half] : tensor<1x16x32xf32> -> !tile.ptr<f32>
  tile.store %sn3, %tab[%c1, %r0, %c0] strides[%c1, %rd, %c2]
      bounds[%c2, %npos, %half] : tensor<1x16x32xf32> -> !tile.ptr<f32>
  tile.return
}
