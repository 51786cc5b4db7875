// V4's expert activation (official Expert.forward, between w1/w3 and w2):
//   g = min(f32(gate), limit); u = clamp(f32(up), -limit, limit)
//   out = bf16( rw[row] * (silu(g) * u) ),  silu(g) = g / (1 + exp(-g))
// gate = w1(x) and up = w3(x) are the bf16 [M, I] outputs of the expert's
// linears; rw is the f32 routing weight of each row (the token's weight for
// this expert). The shared expert has no routing weight: pass nw = 0 and no
// weight is read (every row uses 1); otherwise nw = M. limit <= 0 disables the
// clamp (official: only when swiglu_limit > 0; V4 uses 10 for routed and, in
// later official revisions, shared experts).
// One program handles 4 rows x 256 columns; grid (ceil(M/4), ceil(I/256)).
tile.kernel @swiglu(%gate: !tile.ptr<bf16>, %up: !tile.ptr<bf16>,
                    %rw: !tile.ptr<f32>, %out: !tile.ptr<bf16>,
                    %m: index, %n: index, %nw: index, %limit: f32) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %inf = arith.constant 0x7F800000 : f32
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %row0 = arith.muli %pm, %c4 : index
  %col0 = arith.muli %pn, %c256 : index

  %clamped = arith.cmpf ogt, %limit, %zero : f32
  %lim = arith.select %clamped, %limit, %inf : f32
  %nlim = arith.negf %lim : f32
  %limt = tile.splat %lim : tensor<4x256xf32>
  %nlimt = tile.splat %nlim : tensor<4x256xf32>
  %onet = tile.splat %one : tensor<4x256xf32>

  %gt = tile.load %gate[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
      : !tile.ptr<bf16> -> tensor<4x256xbf16>
  %ut = tile.load %up[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
      : !tile.ptr<bf16> -> tensor<4x256xbf16>
  %gf = tile.cast %gt : tensor<4x256xbf16> -> tensor<4x256xf32>
  %uf = tile.cast %ut : tensor<4x256xbf16> -> tensor<4x256xf32>
  %g = arith.minimumf %gf, %limt : tensor<4x256xf32>
  %u0 = arith.minimumf %uf, %limt : tensor<4x256xf32>
  %u = arith.maximumf %u0, %nlimt : tensor<4x256xf32>
  %ng = arith.negf %g : tensor<4x256xf32>
  %e = math.exp %ng : tensor<4x256xf32>
  %den = arith.addf %onet, %e : tensor<4x256xf32>
  %silu = arith.divf %g, %den : tensor<4x256xf32>
  %h = arith.mulf %silu, %u : tensor<4x256xf32>

  %wv = tile.load %rw[%row0] strides[%c1] bounds[%nw] other %one
      : !tile.ptr<f32> -> tensor<4xf32>
  %w2 = tile.reshape %wv : tensor<4xf32> -> tensor<4x1xf32>
  %wb = tile.broadcast %w2 : tensor<4x1xf32> -> tensor<4x256xf32>
  %hw = arith.mulf %wb, %h : tensor<4x256xf32>
  %o = tile.cast %hw : tensor<4x256xf32> -> tensor<4x256xbf16>
  tile.store %o, %out[%row0, %col0] strides[%n, %c1] bounds[%m, %n]
      : tensor<4x256xbf16> -> !tile.ptr<bf16>
  tile.return
}
