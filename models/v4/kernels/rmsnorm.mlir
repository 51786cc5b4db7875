// V4's RMSNorm: y = x * rsqrt(mean(x^2) + eps) * w, in f32, stored as bf16
// (official RMSNorm; also the final norm before the head).
// A program normalises rows pid, pid + programs, ... of a [rows, dim] bf16
// activation (grid (programs): rows, or fewer for long prefills). A row of
// at most 16 whole blocks of 256 (every V4-Flash norm) is loaded once, with
// w beside it (one round trip: a decode step's few rows are latency-bound,
// and a program of 4 rows in blocks of 256 took about 50 barrier-separated
// steps); another row is read twice, in blocks of 1024 (small tiles: shared
// memory is reserved for the larger branch too; ragged tails are masked). Squares are
// summed in sums of 256 columns (16 x 256 for the whole row, 4 a warp), then
// those in column order: the order of the 4-row kernel before it, so that
// the logits keep their bits.
tile.kernel @rmsnorm(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>,
                     %y: !tile.ptr<bf16>, %rows: index, %dim: index,
                     %eps: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4096 = arith.constant 4096 : index
  %zero = arith.constant 0.0 : f32
  %row = tile.program_id 0
  %dimi = arith.index_cast %dim : index to i32
  %dimf = arith.sitofp %dimi : i32 to f32
  %n = tile.splat %dimf : tensor<1xf32>
  %epst = tile.splat %eps : tensor<1xf32>

  // One load: the row as up to 16 blocks of 256 (a view of the same
  // memory), so the squares are summed straight from the loaded tile. A
  // program takes rows pid, pid + programs, ...: w is loaded once, and the
  // next row's load is in flight while this one is normalised (a grid of
  // fewer programs than rows: the executor's for long prefills).
  %c256 = arith.constant 256 : index
  %programs = tile.num_programs 0
  %blocks = arith.divui %dim, %c256 : index
  %whole = arith.remui %dim, %c256 : index
  %wholeBlocks = arith.cmpi eq, %whole, %c0 : index
  %fits = arith.cmpi ule, %dim, %c4096 : index
  %oneBlock = arith.andi %fits, %wholeBlocks : i1
  scf.if %oneBlock {
    %w16 = tile.load %w[%c0, %c0, %c0] strides[%c0, %c256, %c1]
        bounds[%c1, %blocks, %c256] : !tile.ptr<bf16> -> tensor<1x16x256xbf16>
    scf.for %r = %row to %rows step %programs {
      %x16 = tile.load %x[%r, %c0, %c0] strides[%dim, %c256, %c1]
          bounds[%rows, %blocks, %c256] : !tile.ptr<bf16> -> tensor<1x16x256xbf16>
      %xs = tile.cast %x16 : tensor<1x16x256xbf16> -> tensor<1x16x256xf32>
      %sq = arith.mulf %xs, %xs : tensor<1x16x256xf32>
      %parts = tile.reduce sum %sq {dim = 2} : tensor<1x16x256xf32> -> tensor<1x16xf32>
      %ss = tile.reduce sum %parts {dim = 1} : tensor<1x16xf32> -> tensor<1xf32>
      %mean = arith.divf %ss, %n : tensor<1xf32>
      %var = arith.addf %mean, %epst : tensor<1xf32>
      %inv = math.rsqrt %var : tensor<1xf32>
      %inv3 = tile.reshape %inv : tensor<1xf32> -> tensor<1x1x1xf32>
      %invb = tile.broadcast %inv3 : tensor<1x1x1xf32> -> tensor<1x16x256xf32>
      %wf = tile.cast %w16 : tensor<1x16x256xbf16> -> tensor<1x16x256xf32>
      %normed = arith.mulf %xs, %invb : tensor<1x16x256xf32>
      %scaled = arith.mulf %normed, %wf : tensor<1x16x256xf32>
      %out = tile.cast %scaled : tensor<1x16x256xf32> -> tensor<1x16x256xbf16>
      tile.store %out, %y[%r, %c0, %c0] strides[%dim, %c256, %c1]
          bounds[%rows, %blocks, %c256] : tensor<1x16x256xbf16> -> !tile.ptr<bf16>
    }
  } else {
    scf.for %r = %row to %rows step %programs {
      %c1024 = arith.constant 1024 : index
      %ss0 = tile.splat %zero : tensor<1xf32>
      %ss = scf.for %k = %c0 to %dim step %c1024 iter_args(%acc = %ss0) -> (tensor<1xf32>) {
        %xt = tile.load %x[%r, %k] strides[%dim, %c1] bounds[%rows, %dim]
            : !tile.ptr<bf16> -> tensor<1x1024xbf16>
        %x16 = tile.reshape %xt : tensor<1x1024xbf16> -> tensor<4x256xbf16>
        %xs = tile.cast %x16 : tensor<4x256xbf16> -> tensor<4x256xf32>
        %sq = arith.mulf %xs, %xs : tensor<4x256xf32>
        %parts = tile.reduce sum %sq {dim = 1} : tensor<4x256xf32> -> tensor<4xf32>
        %parts2 = tile.reshape %parts : tensor<4xf32> -> tensor<1x4xf32>
        %part = tile.reduce sum %parts2 {dim = 1} : tensor<1x4xf32> -> tensor<1xf32>
        %next = arith.addf %acc, %part : tensor<1xf32>
        scf.yield %next : tensor<1xf32>
      }
      %mean = arith.divf %ss, %n : tensor<1xf32>
      %var = arith.addf %mean, %epst : tensor<1xf32>
      %inv = math.rsqrt %var : tensor<1xf32>
      %inv2 = tile.reshape %inv : tensor<1xf32> -> tensor<1x1xf32>
      %invb = tile.broadcast %inv2 : tensor<1x1xf32> -> tensor<1x1024xf32>
      scf.for %k = %c0 to %dim step %c1024 {
        %xt = tile.load %x[%r, %k] strides[%dim, %c1] bounds[%rows, %dim]
            : !tile.ptr<bf16> -> tensor<1x1024xbf16>
        %wt = tile.load %w[%c0, %k] strides[%c0, %c1] bounds[%c1, %dim]
            : !tile.ptr<bf16> -> tensor<1x1024xbf16>
        %xf = tile.cast %xt : tensor<1x1024xbf16> -> tensor<1x1024xf32>
        %wf = tile.cast %wt : tensor<1x1024xbf16> -> tensor<1x1024xf32>
        %normed = arith.mulf %xf, %invb : tensor<1x1024xf32>
        %scaled = arith.mulf %normed, %wf : tensor<1x1024xf32>
        %out = tile.cast %scaled : tensor<1x1024xf32> -> tensor<1x1024xbf16>
        tile.store %out, %y[%r, %k] strides[%dim, %c1] bounds[%rows, %dim]
            : tensor<1x1024xbf16> -> !tile.ptr<bf16>
      }
    }
  }
  tile.return
}
