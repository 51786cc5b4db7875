// V4's RMSNorm: y = x * rsqrt(mean(x^2) + eps) * w, in f32, stored as bf16.
// One program normalises 4 rows of a [rows, dim] bf16 activation; columns
// are visited in blocks of 256, so any dim works (ragged tails are masked).
tile.kernel @rmsnorm(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                     %y: !tile.ptr<bf16>, %rows: index, %dim: index,
                     %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %pid = tile.program_id 0
  %row0 = arith.muli %pid, %c4 : index

  %ss0 = tile.splat %zero : tensor<4xf32>
  %ss = scf.for %k = %c0 to %dim step %c256 iter_args(%acc = %ss0) -> (tensor<4xf32>) {
    %xt = tile.load %x[%row0, %k] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %xf = tile.cast %xt : tensor<4x256xbf16> -> tensor<4x256xf32>
    %sq = arith.mulf %xf, %xf : tensor<4x256xf32>
    %part = tile.reduce sum %sq {dim = 1} : tensor<4x256xf32> -> tensor<4xf32>
    %next = arith.addf %acc, %part : tensor<4xf32>
    scf.yield %next : tensor<4xf32>
  }

  %dimi = arith.index_cast %dim : index to i32
  %dimf = arith.sitofp %dimi : i32 to f32
  %n = tile.splat %dimf : tensor<4xf32>
  %mean = arith.divf %ss, %n : tensor<4xf32>
  %epst = tile.splat %eps : tensor<4xf32>
  %var = arith.addf %mean, %epst : tensor<4xf32>
  %inv = math.rsqrt %var : tensor<4xf32>
  %inv2 = tile.reshape %inv : tensor<4xf32> -> tensor<4x1xf32>
  %invb = tile.broadcast %inv2 : tensor<4x1xf32> -> tensor<4x256xf32>

  scf.for %k = %c0 to %dim step %c256 {
    %xt = tile.load %x[%row0, %k] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %wt = tile.load %w[%c0, %k] strides[%c0, %c1] bounds[%c1, %dim]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %xf = tile.cast %xt : tensor<4x256xbf16> -> tensor<4x256xf32>
    %wf = tile.cast %wt : tensor<1x256xbf16> -> tensor<1x256xf32>
    %wb = tile.broadcast %wf : tensor<1x256xf32> -> tensor<4x256xf32>
    %normed = arith.mulf %xf, %invb : tensor<4x256xf32>
    %scaled = arith.mulf %normed, %wb : tensor<4x256xf32>
    %out = tile.cast %scaled : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %out, %y[%row0, %k] strides[%dim, %c1] bounds[%rows, %dim]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}
