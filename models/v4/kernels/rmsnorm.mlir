// V4's RMSNorm: y = x * rsqrt(mean(x^2) + eps) * w, in f32, stored as bf16.
// One program normalises 4 rows of a [rows, dim] bf16 activation; columns
// are visited in blocks of 256, 4 blocks a trip (their loads side by side:
// a decode step's few rows are latency-bound), so any dim works (ragged
// tails are masked).
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

  %c512 = arith.constant 512 : index
  %c768 = arith.constant 768 : index
  %c1024 = arith.constant 1024 : index
  // 4 blocks of 256 a trip, loaded side by side (one round trip), summed in
  // column order (blocks past dim read zeros and add nothing).
  %ss0 = tile.splat %zero : tensor<4xf32>
  %ss = scf.for %k = %c0 to %dim step %c1024 iter_args(%acc = %ss0) -> (tensor<4xf32>) {
    %xt0 = tile.load %x[%row0, %k] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %k1 = arith.addi %k, %c256 : index
    %xt1 = tile.load %x[%row0, %k1] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %k2 = arith.addi %k, %c512 : index
    %xt2 = tile.load %x[%row0, %k2] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %k3 = arith.addi %k, %c768 : index
    %xt3 = tile.load %x[%row0, %k3] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %xf0 = tile.cast %xt0 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %sq0 = arith.mulf %xf0, %xf0 : tensor<4x256xf32>
    %part0 = tile.reduce sum %sq0 {dim = 1} : tensor<4x256xf32> -> tensor<4xf32>
    %acc1 = arith.addf %acc, %part0 : tensor<4xf32>
    %xf1 = tile.cast %xt1 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %sq1 = arith.mulf %xf1, %xf1 : tensor<4x256xf32>
    %part1 = tile.reduce sum %sq1 {dim = 1} : tensor<4x256xf32> -> tensor<4xf32>
    %acc2 = arith.addf %acc1, %part1 : tensor<4xf32>
    %xf2 = tile.cast %xt2 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %sq2 = arith.mulf %xf2, %xf2 : tensor<4x256xf32>
    %part2 = tile.reduce sum %sq2 {dim = 1} : tensor<4x256xf32> -> tensor<4xf32>
    %acc3 = arith.addf %acc2, %part2 : tensor<4xf32>
    %xf3 = tile.cast %xt3 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %sq3 = arith.mulf %xf3, %xf3 : tensor<4x256xf32>
    %part3 = tile.reduce sum %sq3 {dim = 1} : tensor<4x256xf32> -> tensor<4xf32>
    %acc4 = arith.addf %acc3, %part3 : tensor<4xf32>
    scf.yield %acc4 : tensor<4xf32>
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

  scf.for %k = %c0 to %dim step %c1024 {
    %xt0 = tile.load %x[%row0, %k] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %wt0 = tile.load %w[%c0, %k] strides[%c0, %c1] bounds[%c1, %dim]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %k1 = arith.addi %k, %c256 : index
    %xt1 = tile.load %x[%row0, %k1] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %wt1 = tile.load %w[%c0, %k1] strides[%c0, %c1] bounds[%c1, %dim]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %k2 = arith.addi %k, %c512 : index
    %xt2 = tile.load %x[%row0, %k2] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %wt2 = tile.load %w[%c0, %k2] strides[%c0, %c1] bounds[%c1, %dim]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %k3 = arith.addi %k, %c768 : index
    %xt3 = tile.load %x[%row0, %k3] strides[%dim, %c1] bounds[%rows, %dim]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %wt3 = tile.load %w[%c0, %k3] strides[%c0, %c1] bounds[%c1, %dim]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %xf0 = tile.cast %xt0 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %wf0 = tile.cast %wt0 : tensor<1x256xbf16> -> tensor<1x256xf32>
    %wb0 = tile.broadcast %wf0 : tensor<1x256xf32> -> tensor<4x256xf32>
    %normed0 = arith.mulf %xf0, %invb : tensor<4x256xf32>
    %scaled0 = arith.mulf %normed0, %wb0 : tensor<4x256xf32>
    %out0 = tile.cast %scaled0 : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %out0, %y[%row0, %k] strides[%dim, %c1] bounds[%rows, %dim]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
    %xf1 = tile.cast %xt1 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %wf1 = tile.cast %wt1 : tensor<1x256xbf16> -> tensor<1x256xf32>
    %wb1 = tile.broadcast %wf1 : tensor<1x256xf32> -> tensor<4x256xf32>
    %normed1 = arith.mulf %xf1, %invb : tensor<4x256xf32>
    %scaled1 = arith.mulf %normed1, %wb1 : tensor<4x256xf32>
    %out1 = tile.cast %scaled1 : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %out1, %y[%row0, %k1] strides[%dim, %c1] bounds[%rows, %dim]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
    %xf2 = tile.cast %xt2 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %wf2 = tile.cast %wt2 : tensor<1x256xbf16> -> tensor<1x256xf32>
    %wb2 = tile.broadcast %wf2 : tensor<1x256xf32> -> tensor<4x256xf32>
    %normed2 = arith.mulf %xf2, %invb : tensor<4x256xf32>
    %scaled2 = arith.mulf %normed2, %wb2 : tensor<4x256xf32>
    %out2 = tile.cast %scaled2 : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %out2, %y[%row0, %k2] strides[%dim, %c1] bounds[%rows, %dim]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
    %xf3 = tile.cast %xt3 : tensor<4x256xbf16> -> tensor<4x256xf32>
    %wf3 = tile.cast %wt3 : tensor<1x256xbf16> -> tensor<1x256xf32>
    %wb3 = tile.broadcast %wf3 : tensor<1x256xf32> -> tensor<4x256xf32>
    %normed3 = arith.mulf %xf3, %invb : tensor<4x256xf32>
    %scaled3 = arith.mulf %normed3, %wb3 : tensor<4x256xf32>
    %out3 = tile.cast %scaled3 : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %out3, %y[%row0, %k3] strides[%dim, %c1] bounds[%rows, %dim]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}
