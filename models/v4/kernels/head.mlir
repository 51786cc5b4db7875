// V4's output head (official ParallelHead.get_logits(norm(x)), one rank),
// after the final norm (@rmsnorm of rmsnorm.mlir, once per row):
//   logits[t, v] = sum_d f32(xn[t, d]) * f32(W[v, d])          (f32)
// xn: bf16 [M, D] (the last position's rows, as get_logits takes x[:, -1]);
// W: bf16 [V, D] (head.weight is stored bf16; the official fp32 parameter
// holds the same values); logits: f32 [M, V].

// @head: one program computes 16 rows x 64 vocabulary entries (a
// tensor-core tile is 16 rows: fewer rows would not read W less often);
// grid (ceil(M/16), ceil(V/64)).
tile.kernel @head(%xn: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                  %logits: !tile.ptr<f32>, %m: index, %d: index, %v: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pv = tile.program_id 1
  %row0 = arith.muli %pm, %c16 : index
  %col0 = arith.muli %pv, %c64 : index

  %l0 = tile.splat %zero : tensor<16x64xf32>
  %l = scf.for %kk = %c0 to %d step %c128 iter_args(%acc = %l0) -> (tensor<16x64xf32>) {
    %xt = tile.load %xn[%row0, %kk] strides[%d, %c1] bounds[%m, %d]
        : !tile.ptr<bf16> -> tensor<16x128xbf16>
    %wt = tile.load %w[%col0, %kk] strides[%d, %c1] bounds[%v, %d]
        : !tile.ptr<bf16> -> tensor<64x128xbf16>
    %r = tile.dot %xt, %wt acc %acc {rhs_transposed}
        : tensor<16x128xbf16>, tensor<64x128xbf16> -> tensor<16x64xf32>
    scf.yield %r : tensor<16x64xf32>
  }
  tile.store %l, %logits[%row0, %col0] strides[%v, %c1] bounds[%m, %v]
      : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}

// Greedy choice on the device, by runtime/Sampling.h's rule: the largest
// logit, ties to the smallest id, a NaN never chosen; -1 when every logit of
// the row is NaN. A greedy step downloads these ids instead of its [M, V]
// logits (16.5 MB at batch 32 of V4's vocabulary). Two kernels, so that a
// row's vocabulary is read by many programs at once:
// @greedy_part: program (r, s) takes ids [4096 s, 4096 s + 4096) of row r as
// 4 lanes of 1024 (4 warps reduce at once) and writes the slice's best:
// value pv[r, s] (f32) and id pi[r, s] (i32; 2^31 - 1 when the slice has no
// number). logits: f32 [M, V]; pv, pi: [M, S], S = ceil(V / 4096). V < 2^31.
// Grid (M, S).
// @head_rows64: the same logits, a program 64 rows x 128 vocabulary entries
// (grid (ceil(M/64), ceil(V/128))), in 64-wide steps of D. 64 rows are what
// a warpgroup instruction computes (wgmma on sm_90a:
// mark-warpgroup-dots), and every W tile serves 4x the rows of @head's 16:
// for more than 16 rows @head reads W once per 16. The executor launches it
// on GPUs for more than 32 rows.
tile.kernel @head_rows64(%xn: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                         %logits: !tile.ptr<f32>, %m: index, %d: index,
                         %v: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant 0.0 : f32
  %pm = tile.program_id 0
  %pv = tile.program_id 1
  %row0 = arith.muli %pm, %c64 : index
  %col0 = arith.muli %pv, %c128 : index
  %l0 = tile.splat %zero : tensor<64x128xf32>
  %l = scf.for %kk = %c0 to %d step %c64 iter_args(%acc = %l0) -> (tensor<64x128xf32>) {
    %xt = tile.load %xn[%row0, %kk] strides[%d, %c1] bounds[%m, %d]
        : !tile.ptr<bf16> -> tensor<64x64xbf16>
    %wt = tile.load %w[%col0, %kk] strides[%d, %c1] bounds[%v, %d]
        : !tile.ptr<bf16> -> tensor<128x64xbf16>
    %r = tile.dot %xt, %wt acc %acc {rhs_transposed}
        : tensor<64x64xbf16>, tensor<128x64xbf16> -> tensor<64x128xf32>
    scf.yield %r : tensor<64x128xf32>
  }
  tile.store %l, %logits[%row0, %col0] strides[%v, %c1] bounds[%m, %v]
      : tensor<64x128xf32> -> !tile.ptr<f32>
  tile.return
}

tile.kernel @greedy_part(%logits: !tile.ptr<f32>, %pv: !tile.ptr<f32>,
                         %pi: !tile.ptr<i32>, %m: index, %v: index) {
  %c1 = arith.constant 1 : index
  %c4095 = arith.constant 4095 : index
  %c4096 = arith.constant 4096 : index
  %nan = arith.constant 0x7FC00000 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %none = arith.constant 2147483647 : i32
  %pm = tile.program_id 0
  %ps = tile.program_id 1
  %base = arith.muli %pm, %v : index
  %end = arith.addi %base, %v : index
  %j = arith.muli %ps, %c4096 : index
  %off = arith.addi %base, %j : index
  // Past the row: NaN, so never chosen.
  %x1 = tile.load %logits[%off] strides[%c1] bounds[%end] other %nan
      : !tile.ptr<f32> -> tensor<4096xf32>
  %x = tile.reshape %x1 : tensor<4096xf32> -> tensor<4x1024xf32>
  %isnan = arith.cmpf uno, %x, %x : tensor<4x1024xf32>
  %ninft = tile.splat %ninf : tensor<4x1024xf32>
  %xc = arith.select %isnan, %ninft, %x : tensor<4x1024xi1>, tensor<4x1024xf32>
  %lmax = tile.reduce max %xc {dim = 1} : tensor<4x1024xf32> -> tensor<4xf32>
  %lmax2 = tile.reshape %lmax : tensor<4xf32> -> tensor<4x1xf32>
  %lmaxb = tile.broadcast %lmax2 : tensor<4x1xf32> -> tensor<4x1024xf32>
  %io = tile.iota : tensor<4096xi32>
  %io2 = tile.reshape %io : tensor<4096xi32> -> tensor<4x1024xi32>
  %j32 = arith.index_cast %j : index to i32
  %jt = tile.splat %j32 : tensor<4x1024xi32>
  %ids = arith.addi %io2, %jt : tensor<4x1024xi32>
  // Each lane's smallest id of its largest value, NaNs excluded (an all-NaN
  // or all -inf lane has max -inf, which a cleaned NaN equals).
  %at = arith.cmpf oeq, %xc, %lmaxb : tensor<4x1024xf32>
  %isnum = arith.cmpf ord, %x, %x : tensor<4x1024xf32>
  %pick = arith.andi %isnum, %at : tensor<4x1024xi1>
  %nonet = tile.splat %none : tensor<4x1024xi32>
  %cand = arith.select %pick, %ids, %nonet : tensor<4x1024xi1>, tensor<4x1024xi32>
  %lid = tile.reduce min %cand {dim = 1} : tensor<4x1024xi32> -> tensor<4xi32>
  // The lanes' bests: the largest value, ties to the smallest id.
  %lmaxr = tile.reshape %lmax : tensor<4xf32> -> tensor<1x4xf32>
  %lidr = tile.reshape %lid : tensor<4xi32> -> tensor<1x4xi32>
  %smax = tile.reduce max %lmaxr {dim = 1} : tensor<1x4xf32> -> tensor<1xf32>
  %smax2 = tile.reshape %smax : tensor<1xf32> -> tensor<1x1xf32>
  %smaxb = tile.broadcast %smax2 : tensor<1x1xf32> -> tensor<1x4xf32>
  %top = arith.cmpf oeq, %lmaxr, %smaxb : tensor<1x4xf32>
  %none4 = tile.splat %none : tensor<1x4xi32>
  %scand = arith.select %top, %lidr, %none4 : tensor<1x4xi1>, tensor<1x4xi32>
  %sid = tile.reduce min %scand {dim = 1} : tensor<1x4xi32> -> tensor<1xi32>
  %slices0 = arith.addi %v, %c4095 : index
  %slices = arith.divui %slices0, %c4096 : index
  %at0 = arith.muli %pm, %slices : index
  %at1 = arith.addi %at0, %ps : index
  %at2 = arith.addi %at1, %c1 : index
  tile.store %smax, %pv[%at1] strides[%c1] bounds[%at2]
      : tensor<1xf32> -> !tile.ptr<f32>
  tile.store %sid, %pi[%at1] strides[%c1] bounds[%at2]
      : tensor<1xi32> -> !tile.ptr<i32>
  tile.return
}

// @greedy_token: row r's choice from its S slices' bests (@greedy_part): the
// largest value among the slices with a number, ties to the smallest id (a
// slice's id is the smallest of its largest value, so this is exact); -1
// when no slice has one. tokens: i32 [M]. Grid (M).
tile.kernel @greedy_token(%pv: !tile.ptr<f32>, %pi: !tile.ptr<i32>,
                          %tokens: !tile.ptr<i32>, %m: index, %v: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %c4095 = arith.constant 4095 : index
  %c4096 = arith.constant 4096 : index
  %ninf = arith.constant 0xFF800000 : f32
  %none = arith.constant 2147483647 : i32
  %neg1 = arith.constant -1 : i32
  %pm = tile.program_id 0
  %slices0 = arith.addi %v, %c4095 : index
  %slices = arith.divui %slices0, %c4096 : index
  %base = arith.muli %pm, %slices : index
  %end = arith.addi %base, %slices : index
  %ninf1 = tile.splat %ninf : tensor<1xf32>
  %none1 = tile.splat %none : tensor<1xi32>
  %ninft = tile.splat %ninf : tensor<1x256xf32>
  %nonet = tile.splat %none : tensor<1x256xi32>
  %best:2 = scf.for %j = %c0 to %slices step %c256
      iter_args(%bv = %ninf1, %bi = %none1) -> (tensor<1xf32>, tensor<1xi32>) {
    %off = arith.addi %base, %j : index
    %sv1 = tile.load %pv[%off] strides[%c1] bounds[%end] other %ninf
        : !tile.ptr<f32> -> tensor<256xf32>
    %si1 = tile.load %pi[%off] strides[%c1] bounds[%end] other %none
        : !tile.ptr<i32> -> tensor<256xi32>
    %sv = tile.reshape %sv1 : tensor<256xf32> -> tensor<1x256xf32>
    %si = tile.reshape %si1 : tensor<256xi32> -> tensor<1x256xi32>
    %found = arith.cmpi ne, %si, %nonet : tensor<1x256xi32>
    %svc = arith.select %found, %sv, %ninft : tensor<1x256xi1>, tensor<1x256xf32>
    %tmax = tile.reduce max %svc {dim = 1} : tensor<1x256xf32> -> tensor<1xf32>
    %tmax2 = tile.reshape %tmax : tensor<1xf32> -> tensor<1x1xf32>
    %tmaxb = tile.broadcast %tmax2 : tensor<1x1xf32> -> tensor<1x256xf32>
    %at = arith.cmpf oeq, %svc, %tmaxb : tensor<1x256xf32>
    %pick = arith.andi %found, %at : tensor<1x256xi1>
    %cand = arith.select %pick, %si, %nonet : tensor<1x256xi1>, tensor<1x256xi32>
    %tid = tile.reduce min %cand {dim = 1} : tensor<1x256xi32> -> tensor<1xi32>
    // Later chunks hold larger ids: they win only with a larger value.
    %got = arith.cmpi ne, %tid, %none1 : tensor<1xi32>
    %empty = arith.cmpi eq, %bi, %none1 : tensor<1xi32>
    %larger = arith.cmpf ogt, %tmax, %bv : tensor<1xf32>
    %beats = arith.ori %empty, %larger : tensor<1xi1>
    %take = arith.andi %got, %beats : tensor<1xi1>
    %nbv = arith.select %take, %tmax, %bv : tensor<1xi1>, tensor<1xf32>
    %nbi = arith.select %take, %tid, %bi : tensor<1xi1>, tensor<1xi32>
    scf.yield %nbv, %nbi : tensor<1xf32>, tensor<1xi32>
  }
  %neg1t = tile.splat %neg1 : tensor<1xi32>
  %nothing = arith.cmpi eq, %best#1, %none1 : tensor<1xi32>
  %out = arith.select %nothing, %neg1t, %best#1 : tensor<1xi1>, tensor<1xi32>
  %pm1 = arith.addi %pm, %c1 : index
  tile.store %out, %tokens[%pm] strides[%c1] bounds[%pm1]
      : tensor<1xi32> -> !tile.ptr<i32>
  tile.return
}
