// V4's token embedding (official ParallelEmbedding, one rank):
//   out[t, c, :] = table[ids[t], :]   for c in 0..copies-1
// table: bf16 [vocab, dim]; ids: i64 [n]; out: bf16 [n, copies, dim]. With
// copies = hc_mult (4) this also does the trunk's expansion into the mHC
// residual streams (h.unsqueeze(2).repeat(1, 1, 4, 1)); the MTP block's
// embedding uses copies = 1. A negative id gives a zero row.
// One program copies 16 tokens x 64 columns; grid (ceil(n/16), ceil(dim/64)).
// dim >= 64: the last column block is read from dim - 64 (never past a row's
// end) and stores only the columns no earlier block wrote.
tile.kernel @embedding(%table: !tile.ptr<bf16>, %ids: !tile.ptr<i64>,
                       %out: !tile.ptr<bf16>, %n: index, %dim: index,
                       %copies: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %neg1 = arith.constant -1 : i64
  %pt = tile.program_id 0
  %pc = tile.program_id 1
  %tok0 = arith.muli %pt, %c16 : index
  %col = arith.muli %pc, %c64 : index
  %last = arith.subi %dim, %c64 : index
  %start = arith.minsi %col, %last : index

  %tok = tile.load %ids[%tok0] strides[%c1] bounds[%n] other %neg1
      : !tile.ptr<i64> -> tensor<16xi64>
  %rows = tile.gather %table[%start], %tok row_stride %dim
      : !tile.ptr<bf16>, tensor<16xi64> -> tensor<16x64xbf16>

  // Columns start + j with start + j >= col are this program's.
  %skip = arith.subi %col, %start : index
  %skipi = arith.index_cast %skip : index to i32
  %skipt = tile.splat %skipi : tensor<64xi32>
  %io = tile.iota : tensor<64xi32>
  %mine = arith.cmpi sge, %io, %skipt : tensor<64xi32>
  %mine2 = tile.reshape %mine : tensor<64xi1> -> tensor<1x64xi1>
  %mask = tile.broadcast %mine2 : tensor<1x64xi1> -> tensor<16x64xi1>

  %rowstride = arith.muli %copies, %dim : index
  %end = arith.addi %start, %c64 : index
  scf.for %c = %c0 to %copies step %c1 {
    %off = arith.muli %c, %dim : index
    %o = arith.addi %off, %start : index
    %b = arith.addi %off, %end : index
    tile.store %rows, %out[%tok0, %o] strides[%rowstride, %c1] bounds[%n, %b]
        mask %mask : tensor<16x64xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}
