// V4's per-head RMS scale of q, in place (official Attention.forward:
//   q *= torch.rsqrt(q.square().mean(-1, keepdim=True) + self.eps)
// on a bf16 tensor, no weight). Every op of that line is a bf16 tensor op,
// so each intermediate is rounded to bf16, as done here:
//   sq = bf16(x * x); ms = bf16(sum_c f32(sq_c) / hd) (f32 accumulation);
//   t = bf16(f32(ms) + eps); r = bf16(rsqrt(f32(t))); x = bf16(f32(x) * f32(r)).
//   x: bf16 [rows, hd] (heads flattened into rows; V4's hd is 512).
// One program scales 16 rows; columns are visited in blocks of 256 (any hd,
// ragged edges masked).
// Grid: (ceil(rows / 16)).
tile.kernel @head_rms(%x: !tile.ptr<bf16>, %rows: index, %hd: index,
                      %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %pid = tile.program_id 0
  %row0 = arith.muli %pid, %c16 : index

  %ss0 = tile.splat %zero : tensor<16xf32>
  %ss = scf.for %k = %c0 to %hd step %c256 iter_args(%acc = %ss0) -> (tensor<16xf32>) {
    %xt = tile.load %x[%row0, %k] strides[%hd, %c1] bounds[%rows, %hd]
        : !tile.ptr<bf16> -> tensor<16x256xbf16>
    %xf = tile.cast %xt : tensor<16x256xbf16> -> tensor<16x256xf32>
    %sq = arith.mulf %xf, %xf : tensor<16x256xf32>
    // q.square() is a bf16 tensor.
    %sqb = tile.cast %sq : tensor<16x256xf32> -> tensor<16x256xbf16>
    %sqf = tile.cast %sqb : tensor<16x256xbf16> -> tensor<16x256xf32>
    %part = tile.reduce sum %sqf {dim = 1} : tensor<16x256xf32> -> tensor<16xf32>
    %next = arith.addf %acc, %part : tensor<16xf32>
    scf.yield %next : tensor<16xf32>
  }

  %hdi = arith.index_cast %hd : index to i32
  %hdf = arith.sitofp %hdi : i32 to f32
  %n = tile.splat %hdf : tensor<16xf32>
  %mean = arith.divf %ss, %n : tensor<16xf32>
  %meanb = tile.cast %mean : tensor<16xf32> -> tensor<16xbf16>
  %meanf = tile.cast %meanb : tensor<16xbf16> -> tensor<16xf32>
  %epst = tile.splat %eps : tensor<16xf32>
  %t = arith.addf %meanf, %epst : tensor<16xf32>
  %tb = tile.cast %t : tensor<16xf32> -> tensor<16xbf16>
  %tf = tile.cast %tb : tensor<16xbf16> -> tensor<16xf32>
  %inv = math.rsqrt %tf : tensor<16xf32>
  %invb = tile.cast %inv : tensor<16xf32> -> tensor<16xbf16>
  %invf = tile.cast %invb : tensor<16xbf16> -> tensor<16xf32>
  %inv2 = tile.reshape %invf : tensor<16xf32> -> tensor<16x1xf32>
  %invt = tile.broadcast %inv2 : tensor<16x1xf32> -> tensor<16x256xf32>

  scf.for %k = %c0 to %hd step %c256 {
    %xt = tile.load %x[%row0, %k] strides[%hd, %c1] bounds[%rows, %hd]
        : !tile.ptr<bf16> -> tensor<16x256xbf16>
    %xf = tile.cast %xt : tensor<16x256xbf16> -> tensor<16x256xf32>
    %scaled = arith.mulf %xf, %invt : tensor<16x256xf32>
    %out = tile.cast %scaled : tensor<16x256xf32> -> tensor<16x256xbf16>
    tile.store %out, %x[%row0, %k] strides[%hd, %c1] bounds[%rows, %hd]
        : tensor<16x256xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}
