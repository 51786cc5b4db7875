// `dsv4c ptx`: tile.dot on the tensor cores. A bf16 dot becomes
// mma.sync m16n8k16 (bf16 in, f32 accumulators); an FP8 dot with block
// scales (e4m3 activations quantised in the kernel, e2m1 weights widened to
// e4m3) becomes mma.sync m16n8k32 e4m3, for sm_89 and later (PTX 8.4).
// From sm_80 to sm_88 the FP8 dot's e4m3 bytes are widened to bf16 in
// registers and each 32-k step is two bf16 m16n8k16 instructions; the
// activations are quantised without the sm_89 conversion instruction.
// RUN: dsv4c ptx %s | FileCheck %s
// CHECK: .version 8.4
// CHECK: .target sm_90a
// CHECK-LABEL: .entry bf16_dot(
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// The activations' e4m3 codes come from cvt.rn.satfinite.e4m3x2 (sm_89),
// each divided by its power-of-two block scale as a multiply by the exact
// reciprocal (no division per element).
// CHECK-LABEL: .entry fp4_dot(
// CHECK-NOT: div.rn.f32
// CHECK: cvt.rn.satfinite.e4m3x2.f32
// CHECK: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// RUN: dsv4c ptx %s --sm sm_80 | FileCheck %s --check-prefix=SM80
// SM80: .target sm_80
// SM80-LABEL: .entry bf16_dot(
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SM80-LABEL: .entry fp4_dot(
// SM80-NOT: cvt.rn.satfinite
// SM80-NOT: e4m3.e4m3
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SM80-NOT: e4m3.e4m3
tile.kernel @bf16_dot(%a: !tile.ptr<bf16>, %b: !tile.ptr<bf16>, %o: !tile.ptr<f32>, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %at = tile.load %a[%c0, %c0] strides[%k, %c1] bounds[%m, %k] : !tile.ptr<bf16> -> tensor<16x32xbf16>
  %bt = tile.load %b[%c0, %c0] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<bf16> -> tensor<16x32xbf16>
  %d = tile.dot %at, %bt {rhs_transposed} : tensor<16x32xbf16>, tensor<16x32xbf16> -> tensor<16x16xf32>
  tile.store %d, %o[%c0, %c0] strides[%n, %c1] bounds[%m, %n] : tensor<16x16xf32> -> !tile.ptr<f32>
  tile.return
}

tile.kernel @fp4_dot(%x: !tile.ptr<bf16>, %w: !tile.ptr<f4E2M1FN>, %ws: !tile.ptr<f8E8M0FNU>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %xt = tile.load %x[%c0, %c0] strides[%c128, %c1] : !tile.ptr<bf16> -> tensor<16x128xbf16>
  %q, %qs = tile.quantize %xt {block = array<i64: 1, 128>, round_scale} : tensor<16x128xbf16> -> tensor<16x128xf8E4M3FN>, tensor<16x1xf8E8M0FNU>
  %wt = tile.load %w[%c0, %c0] strides[%c128, %c1] : !tile.ptr<f4E2M1FN> -> tensor<64x128xf4E2M1FN>
  %wst = tile.load %ws[%c0, %c0] strides[%c4, %c1] : !tile.ptr<f8E8M0FNU> -> tensor<64x4xf8E8M0FNU>
  %d = tile.dot %q scale %qs : tensor<16x1xf8E8M0FNU>, %wt scale %wst : tensor<64x4xf8E8M0FNU>
      {rhs_transposed, lhs_scale_block = array<i64: 1, 128>, rhs_scale_block = array<i64: 1, 32>}
      : tensor<16x128xf8E4M3FN>, tensor<64x128xf4E2M1FN> -> tensor<16x64xf32>
  tile.store %d, %o[%c0, %c0] strides[%c64, %c1] : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}
