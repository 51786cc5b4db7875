// V4's KV cache entry: FlashMLA's FP8 layout for head_dim 512 with 64 rope
// dims, 584 bytes per entry:
//   [0, 448)   the nope dims as e4m3,
//   [448, 576) the rope dims as bf16 (64 values),
//   [576, 583) one ue8m0 scale per 64 nope dims,
//   [583]      padding (not written; the runtime zeroes the cache).
// The nope dims are quantised as official model.py's
// `act_quant(kv[..., :-rd], 64, scale_fmt, scale_dtype, True)`:
//   amax = max(max|x|, 1e-4); s = 2^ceil(log2(amax / 448)); q = e4m3(clamp(x / s, -448, 448))
// (inner rounding to e4m3, as the later official revisions). Dequantising an
// entry, bf16(f32(q) * s), gives the official fake-quantised row exactly.
// Entries live in pages of 64 (docs/bundle-format.md, KV cache): the caller
// passes each row's physical entry index.
//
//   x: bf16 rows [rows, 512] at stride ld (the kv after RoPE);
//   slots: i32 [rows], the entry each row goes to (-1: the row is skipped:
//   a decode run's sequences that emit no compressed entry this step);
//   nope, rope, scales: the same cache buffer, viewed as e4m3, bf16 and
//   ue8m0 (entry e at byte e * 584).
// Grid: (rows, 1): one program per row.
tile.kernel @kv_pack(%x: !tile.ptr<bf16>, %slots: !tile.ptr<i32>,
                     %nope: !tile.ptr<f8E4M3FN>, %rope: !tile.ptr<bf16>,
                     %scales: !tile.ptr<f8E8M0FNU>, %rows: index,
                     %ld: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c224 = arith.constant 224 : index
  %c292 = arith.constant 292 : index
  %c448 = arith.constant 448 : index
  %c576 = arith.constant 576 : index
  %c584 = arith.constant 584 : index
  %r = tile.program_id 0
  %st = tile.load %slots[%r] strides[%c1] bounds[%rows]
      : !tile.ptr<i32> -> tensor<1xi32>
  %s32 = tile.extract %st[%c0] : tensor<1xi32>
  %zero = arith.constant 0 : i32
  %valid = arith.cmpi sge, %s32, %zero : i32
  scf.if %valid {
    %slot = arith.index_cast %s32 : i32 to index
    %xn = tile.load %x[%r, %c0] strides[%ld, %c1]
        : !tile.ptr<bf16> -> tensor<1x448xbf16>
    %q, %s = tile.quantize %xn {block = array<i64: 1, 64>, round_scale}
        : tensor<1x448xbf16> -> tensor<1x448xf8E4M3FN>, tensor<1x7xf8E8M0FNU>
    tile.store %q, %nope[%slot, %c0] strides[%c584, %c1]
        : tensor<1x448xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
    tile.store %s, %scales[%slot, %c576] strides[%c584, %c1]
        : tensor<1x7xf8E8M0FNU> -> !tile.ptr<f8E8M0FNU>
    %xr = tile.load %x[%r, %c448] strides[%ld, %c1]
        : !tile.ptr<bf16> -> tensor<1x64xbf16>
    tile.store %xr, %rope[%slot, %c224] strides[%c292, %c1]
        : tensor<1x64xbf16> -> !tile.ptr<bf16>
  }
  tile.return
}
