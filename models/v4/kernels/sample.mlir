// Temperature / top-p sampling on the device, by runtime/Sampling.h's rule
// (Sampler::sampleWithDraw) in f32: p_i = exp((l_i - max) / T), NaN logits
// never chosen; the nucleus is the fewest most probable tokens (ties to the
// smaller id) whose mass reaches topP * sum(p); the draw u in [0, 1) picks,
// walking the nucleus in id order, the first token whose running mass
// exceeds u * (nucleus mass). A sampled step downloads these ids instead of
// its [M, V] logits, and the host draws u (one per sequence and step).
//
// Rows the kernels leave to the host (token -2; the executor downloads that
// row's logits and samples it there with the same draw): a largest logit of
// +-inf or NaN only (the host's limit rules), and a nucleus of more than
// 1024 tokens or reaching below a slice's 256 largest (topP < 1 over a flat
// distribution). topP >= 1 keeps every token
// and is never left to the host.
//
// par: f32 [M, 3]: each row's temperature (> 0), topP (in (0, 1]) and draw.
// S = ceil(V / 4096) slices a row, S <= 32 (V <= 131072; V4's is 129280).
// @sample_part: program (r, s) takes ids [4096 s, 4096 s + 4096) of row r
// and writes the slice's largest logit smax[r, s] (-inf: none) and
// ssum[r, s] = sum exp((l - smax) / T); with topP < 1 also its 256 largest
// logits, descending (ties to the smaller id), cv[r, s, :] f32 and their
// ids ci[r, s, :] i32 (the row's 256 largest are among them). Grid (M, S).
tile.kernel @sample_part(%logits: !tile.ptr<f32>, %par: !tile.ptr<f32>,
                         %smax: !tile.ptr<f32>, %ssum: !tile.ptr<f32>,
                         %cv: !tile.ptr<f32>, %ci: !tile.ptr<i32>, %m: index,
                         %v: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c256 = arith.constant 256 : index
  %c4095 = arith.constant 4095 : index
  %c4096 = arith.constant 4096 : index
  %nan = arith.constant 0x7FC00000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %pm = tile.program_id 0
  %ps = tile.program_id 1
  %slices0 = arith.addi %v, %c4095 : index
  %slices = arith.divui %slices0, %c4096 : index
  %pa = arith.muli %pm, %c3 : index
  %pe = arith.addi %pa, %c3 : index
  %pt = tile.load %par[%pa] strides[%c1] bounds[%pe]
      : !tile.ptr<f32> -> tensor<4xf32>
  %temp = tile.extract %pt[%c0] : tensor<4xf32>
  %topp = tile.extract %pt[%c1] : tensor<4xf32>
  %base = arith.muli %pm, %v : index
  %end = arith.addi %base, %v : index
  %j = arith.muli %ps, %c4096 : index
  %off = arith.addi %base, %j : index
  // Past the row: NaN, so never chosen. NaN counts as -inf from here on.
  %x1 = tile.load %logits[%off] strides[%c1] bounds[%end] other %nan
      : !tile.ptr<f32> -> tensor<4096xf32>
  %isnan = arith.cmpf uno, %x1, %x1 : tensor<4096xf32>
  %ninft = tile.splat %ninf : tensor<4096xf32>
  %x = arith.select %isnan, %ninft, %x1 : tensor<4096xi1>, tensor<4096xf32>
  // 4 lanes of 1024 reduce at once.
  %x4 = tile.reshape %x : tensor<4096xf32> -> tensor<4x1024xf32>
  %lmax = tile.reduce max %x4 {dim = 1} : tensor<4x1024xf32> -> tensor<4xf32>
  %lmax2 = tile.reshape %lmax : tensor<4xf32> -> tensor<1x4xf32>
  %mx = tile.reduce max %lmax2 {dim = 1} : tensor<1x4xf32> -> tensor<1xf32>
  %mxs = tile.extract %mx[%c0] : tensor<1xf32>
  // A slice of -inf only sums exp(-inf - 0) = 0, never exp(-inf + inf).
  %none = arith.cmpf oeq, %mxs, %ninf : f32
  %msafe = arith.select %none, %zero, %mxs : f32
  %mt = tile.splat %msafe : tensor<4x1024xf32>
  %tt = tile.splat %temp : tensor<4x1024xf32>
  %d = arith.subf %x4, %mt : tensor<4x1024xf32>
  %sc = arith.divf %d, %tt : tensor<4x1024xf32>
  %p = math.exp %sc : tensor<4x1024xf32>
  %lsum = tile.reduce sum %p {dim = 1} : tensor<4x1024xf32> -> tensor<4xf32>
  %lsum2 = tile.reshape %lsum : tensor<4xf32> -> tensor<1x4xf32>
  %sum = tile.reduce sum %lsum2 {dim = 1} : tensor<1x4xf32> -> tensor<1xf32>
  %at0 = arith.muli %pm, %slices : index
  %at1 = arith.addi %at0, %ps : index
  %at2 = arith.addi %at1, %c1 : index
  tile.store %mx, %smax[%at1] strides[%c1] bounds[%at2]
      : tensor<1xf32> -> !tile.ptr<f32>
  tile.store %sum, %ssum[%at1] strides[%c1] bounds[%at2]
      : tensor<1xf32> -> !tile.ptr<f32>
  %cut = arith.cmpf olt, %topp, %one : f32
  scf.if %cut {
    %vals, %pos = tile.topk %x {k = 256}
        : tensor<4096xf32> -> tensor<256xf32>, tensor<256xi32>
    %j32 = arith.index_cast %j : index to i32
    %jt = tile.splat %j32 : tensor<256xi32>
    %ids = arith.addi %pos, %jt : tensor<256xi32>
    %co = arith.muli %at1, %c256 : index
    %ce = arith.addi %co, %c256 : index
    tile.store %vals, %cv[%co] strides[%c1] bounds[%ce]
        : tensor<256xf32> -> !tile.ptr<f32>
    tile.store %ids, %ci[%co] strides[%c1] bounds[%ce]
        : tensor<256xi32> -> !tile.ptr<i32>
  }
  tile.return
}

// @sample_token: row r's token from its slices (@sample_part): the row's
// largest logit M and mass sum_s ssum[s] exp((smax[s] - M) / T); then
//   topP < 1: the 1024 largest of the slices' candidates, in order; the
//     nucleus is the first n of them whose running mass reaches topP *
//     mass (-2 unless n <= 1024 and its smallest logit lies above every
//     slice's 256th candidate: then it is the row's own nucleus); the
//     nucleus sorted by id, its running mass, and the first id whose
//     running mass exceeds u * (nucleus mass);
//   topP >= 1: the slice where the running mass of the slices passes
//     u * mass, then the id in that slice where it does.
// Past the last boundary (f32 rounding: u * mass at or beyond the sum) the
// last token with a nonzero probability is taken. tokens: i32 [M]; -2:
// sample this row on the host (above). Grid (M).
tile.kernel @sample_token(%logits: !tile.ptr<f32>, %par: !tile.ptr<f32>,
                          %smax: !tile.ptr<f32>, %ssum: !tile.ptr<f32>,
                          %cv: !tile.ptr<f32>, %ci: !tile.ptr<i32>,
                          %tokens: !tile.ptr<i32>, %m: index, %v: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c256 = arith.constant 256 : index
  %c4095 = arith.constant 4095 : index
  %c4096 = arith.constant 4096 : index
  %nan = arith.constant 0x7FC00000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %pinf = arith.constant 0x7F800000 : f32
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %big = arith.constant 2147483647 : i32
  %neg1 = arith.constant -1 : i32
  %neg2 = arith.constant -2 : i32
  %i0 = arith.constant 0 : i32
  %i1 = arith.constant 1 : i32
  %i1024 = arith.constant 1024 : i32
  %i4096 = arith.constant 4096 : i32
  %pm = tile.program_id 0
  %pm1 = arith.addi %pm, %c1 : index
  %slices0 = arith.addi %v, %c4095 : index
  %slices = arith.divui %slices0, %c4096 : index
  %pa = arith.muli %pm, %c3 : index
  %pe = arith.addi %pa, %c3 : index
  %pt = tile.load %par[%pa] strides[%c1] bounds[%pe]
      : !tile.ptr<f32> -> tensor<4xf32>
  %temp = tile.extract %pt[%c0] : tensor<4xf32>
  %topp = tile.extract %pt[%c1] : tensor<4xf32>
  %u = tile.extract %pt[%c2] : tensor<4xf32>
  // The slices' maxima and sums (64 at most; the rest masked).
  %sb = arith.muli %pm, %slices : index
  %se = arith.addi %sb, %slices : index
  %mx = tile.load %smax[%sb] strides[%c1] bounds[%se] other %ninf
      : !tile.ptr<f32> -> tensor<64xf32>
  %sm = tile.load %ssum[%sb] strides[%c1] bounds[%se] other %zero
      : !tile.ptr<f32> -> tensor<64xf32>
  %mx2 = tile.reshape %mx : tensor<64xf32> -> tensor<1x64xf32>
  %mall = tile.reduce max %mx2 {dim = 1} : tensor<1x64xf32> -> tensor<1xf32>
  %mrow = tile.extract %mall[%c0] : tensor<1xf32>
  %notn = arith.cmpf one, %mrow, %ninf : f32
  %notp = arith.cmpf one, %mrow, %pinf : f32
  %finite = arith.andi %notn, %notp : i1
  %ms = arith.select %finite, %mrow, %zero : f32
  %ms64 = tile.splat %ms : tensor<64xf32>
  %t64 = tile.splat %temp : tensor<64xf32>
  %dm = arith.subf %mx, %ms64 : tensor<64xf32>
  %dmt = arith.divf %dm, %t64 : tensor<64xf32>
  %scale = math.exp %dmt : tensor<64xf32>
  %w = arith.mulf %sm, %scale : tensor<64xf32>
  %w2 = tile.reshape %w : tensor<64xf32> -> tensor<1x64xf32>
  %tot1 = tile.reduce sum %w2 {dim = 1} : tensor<1x64xf32> -> tensor<1xf32>
  %total = tile.extract %tot1[%c0] : tensor<1xf32>
  %cut = arith.cmpf olt, %topp, %one : f32
  scf.if %cut {
    // The row's 1024 largest of the slices' candidates (slice-major, so
    // equal logits keep the smaller id first). They are the row's own 1024
    // largest down to the frontier F, the largest of the slices' 256th
    // candidates: a logit outside every slice's 256 is <= its slice's
    // 256th <= F, so every logit > F is among them.
    %cb = arith.muli %sb, %c256 : index
    %cn = arith.muli %slices, %c256 : index
    %ce = arith.addi %cb, %cn : index
    %cand = tile.load %cv[%cb] strides[%c1] bounds[%ce] other %ninf
        : !tile.ptr<f32> -> tensor<8192xf32>
    %top, %pos = tile.topk %cand {k = 1024, sorted_runs = 256}
        : tensor<8192xf32> -> tensor<1024xf32>, tensor<1024xi32>
    %c255 = arith.constant 255 : index
    %lasts = tile.load %cv[%sb, %c255] strides[%c256, %c1] bounds[%se, %c256]
        other %ninf : !tile.ptr<f32> -> tensor<64x1xf32>
    %lasts2 = tile.reshape %lasts : tensor<64x1xf32> -> tensor<1x64xf32>
    %front1 = tile.reduce max %lasts2 {dim = 1} : tensor<1x64xf32> -> tensor<1xf32>
    %front = tile.extract %front1[%c0] : tensor<1xf32>
    // Positions past the row's candidates (-inf padding) read no id.
    %cn32 = arith.index_cast %cn : index to i32
    %cnt = tile.splat %cn32 : tensor<1024xi32>
    %inrow = arith.cmpi slt, %pos, %cnt : tensor<1024xi32>
    %neg1t = tile.splat %neg1 : tensor<1024xi32>
    %posv = arith.select %inrow, %pos, %neg1t : tensor<1024xi1>, tensor<1024xi32>
    %ids2 = tile.gather %ci[%cb], %posv row_stride %c1
        : !tile.ptr<i32>, tensor<1024xi32> -> tensor<1024x1xi32>
    %ids = tile.reshape %ids2 : tensor<1024x1xi32> -> tensor<1024xi32>
    %msk = tile.splat %ms : tensor<1024xf32>
    %tk = tile.splat %temp : tensor<1024xf32>
    %dt = arith.subf %top, %msk : tensor<1024xf32>
    %dtt = arith.divf %dt, %tk : tensor<1024xf32>
    %p = math.exp %dtt : tensor<1024xf32>
    %cum = tile.scan sum %p {dim = 0} : tensor<1024xf32>
    // n - 1 = the candidates whose running mass is still below the target.
    %target = arith.mulf %topp, %total : f32
    %tgt = tile.splat %target : tensor<1024xf32>
    %below = arith.cmpf olt, %cum, %tgt : tensor<1024xf32>
    %ones = tile.splat %i1 : tensor<1024xi32>
    %zeros = tile.splat %i0 : tensor<1024xi32>
    %below1 = arith.select %below, %ones, %zeros : tensor<1024xi1>, tensor<1024xi32>
    %below2 = tile.reshape %below1 : tensor<1024xi32> -> tensor<1x1024xi32>
    %last1 = tile.reduce sum %below2 {dim = 1} : tensor<1x1024xi32> -> tensor<1xi32>
    %last = tile.extract %last1[%c0] : tensor<1xi32>
    %rank = tile.iota : tensor<1024xi32>
    %lastt = tile.splat %last : tensor<1024xi32>
    %innuc = arith.cmpi sle, %rank, %lastt : tensor<1024xi32>
    // The cut's logit (clamped: a nucleus past 1024 is left anyway).
    %i1023 = arith.constant 1023 : i32
    %lastc = arith.minsi %last, %i1023 : i32
    %lastci = arith.index_cast %lastc : i32 to index
    %cutv = tile.extract %top[%lastci] : tensor<1024xf32>
    // The nucleus in id order: keys (2^31 - 1 - id) << 32 | bits(p) sorted
    // descending (ids are distinct; p >= 0, so its bits ride along), the
    // rest of the candidates INT64_MIN (last).
    %idl = arith.extsi %ids : tensor<1024xi32> to tensor<1024xi64>
    %maxid = arith.constant dense<2147483647> : tensor<1024xi64>
    %s32 = arith.constant dense<32> : tensor<1024xi64>
    %inv = arith.subi %maxid, %idl : tensor<1024xi64>
    %hi = arith.shli %inv, %s32 : tensor<1024xi64>
    %pbits = arith.bitcast %p : tensor<1024xf32> to tensor<1024xi32>
    %pl = arith.extui %pbits : tensor<1024xi32> to tensor<1024xi64>
    %key0 = arith.ori %hi, %pl : tensor<1024xi64>
    %imin = arith.constant -9223372036854775808 : i64
    %nonek = tile.splat %imin : tensor<1024xi64>
    %key = arith.select %innuc, %key0, %nonek : tensor<1024xi1>, tensor<1024xi64>
    %byid, %byidpos = tile.topk %key {k = 1024}
        : tensor<1024xi64> -> tensor<1024xi64>, tensor<1024xi32>
    %valid = arith.cmpi ne, %byid, %nonek : tensor<1024xi64>
    %mask32 = arith.constant dense<4294967295> : tensor<1024xi64>
    %plo = arith.andi %byid, %mask32 : tensor<1024xi64>
    %pb32 = arith.trunci %plo : tensor<1024xi64> to tensor<1024xi32>
    %pid0 = arith.bitcast %pb32 : tensor<1024xi32> to tensor<1024xf32>
    %zf = tile.splat %zero : tensor<1024xf32>
    %pid = arith.select %valid, %pid0, %zf : tensor<1024xi1>, tensor<1024xf32>
    %invs = arith.shrsi %byid, %s32 : tensor<1024xi64>
    %idsl = arith.subi %maxid, %invs : tensor<1024xi64>
    %idso = arith.trunci %idsl : tensor<1024xi64> to tensor<1024xi32>
    %cumid = tile.scan sum %pid {dim = 0} : tensor<1024xf32>
    %pid2 = tile.reshape %pid : tensor<1024xf32> -> tensor<1x1024xf32>
    %mass1 = tile.reduce sum %pid2 {dim = 1} : tensor<1x1024xf32> -> tensor<1xf32>
    %mass = tile.extract %mass1[%c0] : tensor<1xf32>
    %thr = arith.mulf %u, %mass : f32
    %thrt = tile.splat %thr : tensor<1024xf32>
    %past = arith.cmpf ogt, %cumid, %thrt : tensor<1024xf32>
    %hit = arith.andi %past, %valid : tensor<1024xi1>
    %bigt = tile.splat %big : tensor<1024xi32>
    %hits = arith.select %hit, %idso, %bigt : tensor<1024xi1>, tensor<1024xi32>
    %hits2 = tile.reshape %hits : tensor<1024xi32> -> tensor<1x1024xi32>
    %first1 = tile.reduce min %hits2 {dim = 1} : tensor<1x1024xi32> -> tensor<1xi32>
    %first = tile.extract %first1[%c0] : tensor<1xi32>
    %nuc = arith.select %valid, %idso, %neg1t : tensor<1024xi1>, tensor<1024xi32>
    %nuc2 = tile.reshape %nuc : tensor<1024xi32> -> tensor<1x1024xi32>
    %lastid1 = tile.reduce max %nuc2 {dim = 1} : tensor<1x1024xi32> -> tensor<1xi32>
    %lastid = tile.extract %lastid1[%c0] : tensor<1xi32>
    %nohit = arith.cmpi eq, %first, %big : i32
    %pick = arith.select %nohit, %lastid, %first : i32
    // Exact while the whole nucleus lies above the frontier.
    %narrow = arith.cmpi slt, %last, %i1024 : i32
    %above = arith.cmpf ogt, %cutv, %front : f32
    %exact = arith.andi %narrow, %above : i1
    %ok = arith.andi %finite, %exact : i1
    %tok = arith.select %ok, %pick, %neg2 : i32
    %tokt = tile.splat %tok : tensor<1xi32>
    tile.store %tokt, %tokens[%pm] strides[%c1] bounds[%pm1]
        : tensor<1xi32> -> !tile.ptr<i32>
  } else {
    // The slice where the slices' running mass passes u * mass.
    %thr = arith.mulf %u, %total : f32
    %thr64 = tile.splat %thr : tensor<64xf32>
    %cums = tile.scan sum %w {dim = 0} : tensor<64xf32>
    %sid = tile.iota : tensor<64xi32>
    %big64 = tile.splat %big : tensor<64xi32>
    %neg64 = tile.splat %neg1 : tensor<64xi32>
    %spast = arith.cmpf ogt, %cums, %thr64 : tensor<64xf32>
    %sfirst0 = arith.select %spast, %sid, %big64 : tensor<64xi1>, tensor<64xi32>
    %sfirst2 = tile.reshape %sfirst0 : tensor<64xi32> -> tensor<1x64xi32>
    %sfirst1 = tile.reduce min %sfirst2 {dim = 1} : tensor<1x64xi32> -> tensor<1xi32>
    %sfirst = tile.extract %sfirst1[%c0] : tensor<1xi32>
    %zf64 = tile.splat %zero : tensor<64xf32>
    %spos = arith.cmpf ogt, %w, %zf64 : tensor<64xf32>
    %slast0 = arith.select %spos, %sid, %neg64 : tensor<64xi1>, tensor<64xi32>
    %slast2 = tile.reshape %slast0 : tensor<64xi32> -> tensor<1x64xi32>
    %slast1 = tile.reduce max %slast2 {dim = 1} : tensor<1x64xi32> -> tensor<1xi32>
    %slast = tile.extract %slast1[%c0] : tensor<1xi32>
    %snohit = arith.cmpi eq, %sfirst, %big : i32
    %s0 = arith.select %snohit, %slast, %sfirst : i32
    // Clamped into the row (a non-finite row's garbage reads nothing).
    %smaxi = arith.index_cast %slices : index to i32
    %slast32 = arith.subi %smaxi, %i1 : i32
    %s1 = arith.maxsi %s0, %i0 : i32
    %s = arith.minsi %s1, %slast32 : i32
    %st = tile.splat %s : tensor<64xi32>
    %before0 = arith.cmpi slt, %sid, %st : tensor<64xi32>
    %wb = arith.select %before0, %w, %zf64 : tensor<64xi1>, tensor<64xf32>
    %wb2 = tile.reshape %wb : tensor<64xf32> -> tensor<1x64xf32>
    %before1 = tile.reduce sum %wb2 {dim = 1} : tensor<1x64xf32> -> tensor<1xf32>
    %before = tile.extract %before1[%c0] : tensor<1xf32>
    %local = arith.subf %thr, %before : f32
    // That slice's ids, as @sample_part read them.
    %sidx = arith.index_cast %s : i32 to index
    %base = arith.muli %pm, %v : index
    %end = arith.addi %base, %v : index
    %j = arith.muli %sidx, %c4096 : index
    %off = arith.addi %base, %j : index
    %x1 = tile.load %logits[%off] strides[%c1] bounds[%end] other %nan
        : !tile.ptr<f32> -> tensor<4096xf32>
    %isnan = arith.cmpf uno, %x1, %x1 : tensor<4096xf32>
    %ninft = tile.splat %ninf : tensor<4096xf32>
    %x = arith.select %isnan, %ninft, %x1 : tensor<4096xi1>, tensor<4096xf32>
    %mst = tile.splat %ms : tensor<4096xf32>
    %tt = tile.splat %temp : tensor<4096xf32>
    %d = arith.subf %x, %mst : tensor<4096xf32>
    %dt = arith.divf %d, %tt : tensor<4096xf32>
    %p = math.exp %dt : tensor<4096xf32>
    %cum = tile.scan sum %p {dim = 0} : tensor<4096xf32>
    %io = tile.iota : tensor<4096xi32>
    %lt = tile.splat %local : tensor<4096xf32>
    %bigt = tile.splat %big : tensor<4096xi32>
    %negt = tile.splat %neg1 : tensor<4096xi32>
    %past = arith.cmpf ogt, %cum, %lt : tensor<4096xf32>
    %f0 = arith.select %past, %io, %bigt : tensor<4096xi1>, tensor<4096xi32>
    %f4 = tile.reshape %f0 : tensor<4096xi32> -> tensor<4x1024xi32>
    %f4m = tile.reduce min %f4 {dim = 1} : tensor<4x1024xi32> -> tensor<4xi32>
    %f4r = tile.reshape %f4m : tensor<4xi32> -> tensor<1x4xi32>
    %f1 = tile.reduce min %f4r {dim = 1} : tensor<1x4xi32> -> tensor<1xi32>
    %first = tile.extract %f1[%c0] : tensor<1xi32>
    %zf = tile.splat %zero : tensor<4096xf32>
    %pos = arith.cmpf ogt, %p, %zf : tensor<4096xf32>
    %l0 = arith.select %pos, %io, %negt : tensor<4096xi1>, tensor<4096xi32>
    %l4 = tile.reshape %l0 : tensor<4096xi32> -> tensor<4x1024xi32>
    %l4m = tile.reduce max %l4 {dim = 1} : tensor<4x1024xi32> -> tensor<4xi32>
    %l4r = tile.reshape %l4m : tensor<4xi32> -> tensor<1x4xi32>
    %l1 = tile.reduce max %l4r {dim = 1} : tensor<1x4xi32> -> tensor<1xi32>
    %lastp = tile.extract %l1[%c0] : tensor<1xi32>
    %nohit = arith.cmpi eq, %first, %big : i32
    %jj = arith.select %nohit, %lastp, %first : i32
    %any = arith.cmpi sge, %jj, %i0 : i32
    %s4096 = arith.muli %s, %i4096 : i32
    %id = arith.addi %s4096, %jj : i32
    %ok = arith.andi %finite, %any : i1
    %tok = arith.select %ok, %id, %neg2 : i32
    %tokt = tile.splat %tok : tensor<1xi32>
    tile.store %tokt, %tokens[%pm] strides[%c1] bounds[%pm1]
        : tensor<1xi32> -> !tile.ptr<i32>
  }
  tile.return
}
