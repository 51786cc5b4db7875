// The MTP block's input mix (official MTPBlock.forward:
//   x = self.e_proj(e).unsqueeze(2) + self.h_proj(x)
// a bf16 add, so computed in f32 and rounded once):
//   out[t, c, :] = bf16(f32(e[t, :]) + f32(h[t, c, :]))   t < n, c < hc
//   e: bf16 [n, d] (e_proj output); h, out: bf16 [n, hc, d] (h_proj output
//   per mHC stream). out may alias h (each element is read before it is
//   written, by the same program).
// One program handles 4 tokens x 256 columns, looping over the hc streams.
// Grid: (ceil(n / 4), ceil(d / 256)).
tile.kernel @mtp_input(%e: !tile.ptr<bf16>, %h: !tile.ptr<bf16>,
                       %out: !tile.ptr<bf16>, %n: index, %hc: index,
                       %d: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %pt = tile.program_id 0
  %pc = tile.program_id 1
  %row0 = arith.muli %pt, %c4 : index
  %col = arith.muli %pc, %c256 : index
  %ldh = arith.muli %hc, %d : index
  %et = tile.load %e[%row0, %col] strides[%d, %c1] bounds[%n, %d]
      : !tile.ptr<bf16> -> tensor<4x256xbf16>
  %ef = tile.cast %et : tensor<4x256xbf16> -> tensor<4x256xf32>
  scf.for %c = %c0 to %hc step %c1 {
    %cd = arith.muli %c, %d : index
    %hcol = arith.addi %cd, %col : index
    %hend = arith.addi %cd, %d : index
    %ht = tile.load %h[%row0, %hcol] strides[%ldh, %c1] bounds[%n, %hend]
        : !tile.ptr<bf16> -> tensor<4x256xbf16>
    %hf = tile.cast %ht : tensor<4x256xbf16> -> tensor<4x256xf32>
    %sum = arith.addf %ef, %hf : tensor<4x256xf32>
    %ob = tile.cast %sum : tensor<4x256xf32> -> tensor<4x256xbf16>
    tile.store %ob, %out[%row0, %hcol] strides[%ldh, %c1] bounds[%n, %hend]
        : tensor<4x256xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}
