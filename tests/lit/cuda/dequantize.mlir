// `dsv4c ptx`: tile.dequantize of e4m3 codes (sparse_attention's FP8 keys)
// widens each code with cvt.rn.f16x2.e4m3x2 (sm_89 and later; exact) inside
// the consumer's loop (the dequantized tile is not a buffer of its own);
// before sm_89 it is integer code.
// RUN: dsv4c ptx %s | FileCheck %s
// CHECK-LABEL: .entry dequant_rows(
// CHECK: cvt.rn.f16x2.e4m3x2
// CHECK: cvt.f32.f16
// RUN: dsv4c ptx %s --sm sm_80 | FileCheck %s --check-prefix=SM80
// SM80-LABEL: .entry dequant_rows(
// SM80-NOT: e4m3x2
tile.kernel @dequant_rows(%x: !tile.ptr<f8E4M3FN>, %s: !tile.ptr<f8E8M0FNU>, %o: !tile.ptr<bf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c128 = arith.constant 128 : index
  %xt = tile.load %x[%c0, %c0] strides[%c128, %c1] : !tile.ptr<f8E4M3FN> -> tensor<16x128xf8E4M3FN>
  %st = tile.load %s[%c0, %c0] strides[%c2, %c1] : !tile.ptr<f8E8M0FNU> -> tensor<16x2xf8E8M0FNU>
  %d = tile.dequantize %xt, %st {block = array<i64: 1, 64>}
      : tensor<16x128xf8E4M3FN>, tensor<16x2xf8E8M0FNU> -> tensor<16x128xbf16>
  tile.store %d, %o[%c0, %c0] strides[%c128, %c1] : tensor<16x128xbf16> -> !tile.ptr<bf16>
  tile.return
}
