// V4's FP8 fake-quant of KV entries (official model.py:
// `act_quant(kv[..., :-rd], 64, scale_fmt, scale_dtype, True)`), in place.
// The first `nq` dims of each row (nq = head_dim - rope_head_dim = 448) are
// quantised in blocks of 64 to e4m3 with a power-of-two (ue8m0) scale and
// dequantised back to bf16:
//   amax = max(max|x|, 1e-4); s = 2^ceil(log2(amax / 448));
//   x = bf16(f32(e4m3(clamp(x / s, -448, 448))) * s)
// The rope dims (nq .. ld-1) are untouched. As the later official revisions,
// the inner rounding is to e4m3 (the first published kernel rounded to bf16).
// Used for the sliding-window kv and the compressed kv entries.
//
//   x: bf16 rows at stride `ld` ([rows, ld]); blocks past nq are not touched.
// Grid: (ceil(rows / 16), ceil(nq / 64)).
tile.kernel @kv_quant(%x: !tile.ptr<bf16>, %rows: index, %ld: index,
                      %nq: index) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pr = tile.program_id 0
  %pc = tile.program_id 1
  %r0 = arith.muli %pr, %c16 : index
  %k0 = arith.muli %pc, %c64 : index
  %xt = tile.load %x[%r0, %k0] strides[%ld, %c1] bounds[%rows, %nq]
      : !tile.ptr<bf16> -> tensor<16x64xbf16>
  %q, %s = tile.quantize %xt {block = array<i64: 1, 64>, round_scale}
      : tensor<16x64xbf16> -> tensor<16x64xf8E4M3FN>, tensor<16x1xf8E8M0FNU>
  %y = tile.dequantize %q, %s {block = array<i64: 1, 64>}
      : tensor<16x64xf8E4M3FN>, tensor<16x1xf8E8M0FNU> -> tensor<16x64xbf16>
  tile.store %y, %x[%r0, %k0] strides[%ld, %c1] bounds[%rows, %nq]
      : tensor<16x64xbf16> -> !tile.ptr<bf16>
  tile.return
}
