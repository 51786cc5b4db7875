// Combining the MoE's outputs (official MoE.forward:
//   y[idx] += expert(x[idx], weights[idx, top, None]) per expert, in f32,
//   then (y + shared_experts(x)).type_as(x)).
//
// @moe_scatter_add: one expert's gathered output rows ye[i] (bf16, routing
// weight already applied by swiglu) are added into the f32 accumulator row
// rows[i]:
//   y[rows[i], :] += f32(ye[i, :])   for i < me (rows[i] < 0: skipped)
//   ye: bf16 [me, d]; rows: i32 [me]; y: f32 [m, d].
// The rows of one launch must be distinct (programs run concurrently); the
// runtime launches once per expert, in ascending expert order, so each row
// sees its additions in the official order.
// Grid: (me, ceil(d / 256)): one program per gathered row and 256 columns.
tile.kernel @moe_scatter_add(%ye: !tile.ptr<bf16>, %rows: !tile.ptr<i32>,
                             %y: !tile.ptr<f32>, %me: index, %d: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0 : i32
  %i = tile.program_id 0
  %pc = tile.program_id 1
  %col = arith.muli %pc, %c256 : index
  // The destination row, as a scalar (data-dependent address).
  %rt = tile.load %rows[%i] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
  %r32 = tile.extract %rt[%c0] : tensor<1xi32>
  %valid = arith.cmpi sge, %r32, %zero : i32
  scf.if %valid {
    %r = arith.index_cast %r32 : i32 to index
    %r1 = arith.addi %r, %c1 : index
    %i1 = arith.addi %i, %c1 : index
    %et = tile.load %ye[%i, %col] strides[%d, %c1] bounds[%i1, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %yt = tile.load %y[%r, %col] strides[%d, %c1] bounds[%r1, %d]
        : !tile.ptr<f32> -> tensor<1x256xf32>
    %ef = tile.cast %et : tensor<1x256xbf16> -> tensor<1x256xf32>
    %sum = arith.addf %yt, %ef : tensor<1x256xf32>
    tile.store %sum, %y[%r, %col] strides[%d, %c1] bounds[%r1, %d]
        : tensor<1x256xf32> -> !tile.ptr<f32>
  }
  tile.return
}

// @moe_finish: out = bf16(y + f32(shared)) elementwise (the routed sum plus
// the shared expert, rounded once to the activation type).
//   y: f32 [m, d]; shared, out: bf16 [m, d].
// Grid: (ceil(m / 4), ceil(d / 256)).
tile.kernel @moe_finish(%y: !tile.ptr<f32>, %shared: !tile.ptr<bf16>,
                        %out: !tile.ptr<bf16>, %m: index, %d: index) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %pr = tile.program_id 0
  %pc = tile.program_id 1
  %row0 = arith.muli %pr, %c4 : index
  %col = arith.muli %pc, %c256 : index
  %yt = tile.load %y[%row0, %col] strides[%d, %c1] bounds[%m, %d]
      : !tile.ptr<f32> -> tensor<4x256xf32>
  %st = tile.load %shared[%row0, %col] strides[%d, %c1] bounds[%m, %d]
      : !tile.ptr<bf16> -> tensor<4x256xbf16>
  %sf = tile.cast %st : tensor<4x256xbf16> -> tensor<4x256xf32>
  %sum = arith.addf %yt, %sf : tensor<4x256xf32>
  %ob = tile.cast %sum : tensor<4x256xf32> -> tensor<4x256xbf16>
  tile.store %ob, %out[%row0, %col] strides[%d, %c1] bounds[%m, %d]
      : tensor<4x256xbf16> -> !tile.ptr<bf16>
  tile.return
}

// @moe_gather_add: the routed experts' outputs, from rows grouped by expert
// (one launch of @linear_fp4_grouped per expert linear), added per token in
// ascending expert order, as the official loop over experts adds them:
//   y[t, :] += f32(ye[slots[t, j], :])   for j = 0 .. k-1 in order
//   ye: bf16 [m * k, d]; slots: i32 [m, k] (token t's picks, ascending
//   expert; -1: another tensor-parallel rank's expert, skipped); y: f32
//   [m, d].
// Grid: (m, ceil(d / 256)).
tile.kernel @moe_gather_add(%ye: !tile.ptr<bf16>, %slots: !tile.ptr<i32>,
                            %y: !tile.ptr<f32>, %m: index, %d: index,
                            %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %t = tile.program_id 0
  %pc = tile.program_id 1
  %col = arith.muli %pc, %c256 : index
  %t1 = arith.addi %t, %c1 : index
  %y0 = tile.load %y[%t, %col] strides[%d, %c1] bounds[%t1, %d]
      : !tile.ptr<f32> -> tensor<1x256xf32>
  %base = arith.muli %t, %k : index
  %sum = scf.for %j = %c0 to %k step %c1 iter_args(%acc = %y0) -> (tensor<1x256xf32>) {
    %at = arith.addi %base, %j : index
    %st = tile.load %slots[%at] strides[%c1] : !tile.ptr<i32> -> tensor<1xi32>
    %s32 = tile.extract %st[%c0] : tensor<1xi32>
    // A skipped pick reads row 0 with no rows in bounds: zeros.
    %zero32 = arith.constant 0 : i32
    %mine = arith.cmpi sge, %s32, %zero32 : i32
    %sr = arith.select %mine, %s32, %zero32 : i32
    %s = arith.index_cast %sr : i32 to index
    %s1 = arith.addi %s, %c1 : index
    %sb = arith.select %mine, %s1, %c0 : index
    %et = tile.load %ye[%s, %col] strides[%d, %c1] bounds[%sb, %d]
        : !tile.ptr<bf16> -> tensor<1x256xbf16>
    %ef = tile.cast %et : tensor<1x256xbf16> -> tensor<1x256xf32>
    %next = arith.addf %acc, %ef : tensor<1x256xf32>
    scf.yield %next : tensor<1x256xf32>
  }
  tile.store %sum, %y[%t, %col] strides[%d, %c1] bounds[%t1, %d]
      : tensor<1x256xf32> -> !tile.ptr<f32>
  tile.return
}
