//===- Cases.cpp - the conformance cases: every tile op -------------------===//
//
// Each case is a kernel source with `{NAME}` placeholders filled per shape.
// Shapes are chosen to hit ragged edges (sizes that tiles do not divide),
// masks, saturation and subnormal ranges of the small float formats.
//
//===----------------------------------------------------------------------===//
#include "targets/conformance/ConformanceSuite.h"

#include <map>

namespace dsv4c::conformance {
namespace {

using T = ElementType;
using Vars = std::map<std::string, std::string>;

std::string fill(std::string text, const Vars &vars) {
  for (const auto &[key, value] : vars) {
    std::string token = "{" + key + "}";
    for (size_t at = text.find(token); at != std::string::npos;
         at = text.find(token, at + value.size()))
      text.replace(at, token.size(), value);
  }
  return text;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

const char *kCopy = R"(
tile.kernel @copy(%x: !tile.ptr<{T}>, %o: !tile.ptr<{T}>, %m: index, %n: index) {
  %c1 = arith.constant 1 : index
  %bm = arith.constant 16 : index
  %bn = arith.constant 32 : index
  %pm = tile.program_id 0
  %pn = tile.program_id 1
  %r = arith.muli %pm, %bm : index
  %c = arith.muli %pn, %bn : index
  %t = tile.load %x[%r, %c] strides[%n, %c1] bounds[%m, %n] : !tile.ptr<{T}> -> tensor<16x32x{T}>
  tile.store %t, %o[%r, %c] strides[%n, %c1] bounds[%m, %n] : tensor<16x32x{T}> -> !tile.ptr<{T}>
  tile.return
})";

const char *kMasked = R"(
tile.kernel @masked(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %o2: !tile.ptr<f32>, %k: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %io = tile.iota : tensor<64xi32>
  %ks = tile.splat %k : tensor<64xi32>
  %m = arith.cmpi slt, %io, %ks : tensor<64xi32>
  %seven = arith.constant 7.0 : f32
  %t = tile.load %x[%c0] strides[%c1] mask %m other %seven : !tile.ptr<f32> -> tensor<64xf32>
  tile.store %t, %o[%c0] strides[%c1] : tensor<64xf32> -> !tile.ptr<f32>
  %true = arith.constant dense<true> : tensor<64xi1>
  %inv = arith.xori %m, %true : tensor<64xi1>
  %t2 = arith.addf %t, %t : tensor<64xf32>
  tile.store %t2, %o2[%c0] strides[%c1] mask %inv : tensor<64xf32> -> !tile.ptr<f32>
  tile.return
})";

const char *kGather = R"(
tile.kernel @gather(%tab: !tile.ptr<{T}>, %idx: !tile.ptr<i32>, %o: !tile.ptr<{T}>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %cc = arith.constant {C} : index
  %neg = arith.constant -1 : i32
  %p = tile.program_id 0
  %off = arith.muli %p, %c16 : index
  %i = tile.load %idx[%off] strides[%c1] bounds[%n] other %neg : !tile.ptr<i32> -> tensor<16xi32>
  %g = tile.gather %tab[%c0], %i row_stride %cc : !tile.ptr<{T}>, tensor<16xi32> -> tensor<16x{C}x{T}>
  tile.store %g, %o[%off, %c0] strides[%cc, %c1] bounds[%n, %cc] : tensor<16x{C}x{T}> -> !tile.ptr<{T}>
  tile.return
})";

const char *kShapes = R"(
tile.kernel @shapes(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %t = tile.load %x[%c0, %c0] strides[%c16, %c1] : !tile.ptr<f32> -> tensor<8x16xf32>
  %tt = tile.trans %t {perm = array<i64: 1, 0>} : tensor<8x16xf32> -> tensor<16x8xf32>
  %r = tile.reshape %tt : tensor<16x8xf32> -> tensor<4x32xf32>
  %row = tile.load %x[%c0, %c0] strides[%c32, %c1] : !tile.ptr<f32> -> tensor<1x32xf32>
  %b = tile.broadcast %row : tensor<1x32xf32> -> tensor<4x32xf32>
  %io = tile.iota : tensor<32xi32>
  %iof = tile.cast %io : tensor<32xi32> -> tensor<32xf32>
  %io2 = tile.reshape %iof : tensor<32xf32> -> tensor<1x32xf32>
  %iob = tile.broadcast %io2 : tensor<1x32xf32> -> tensor<4x32xf32>
  %sp = tile.splat %s : tensor<4x32xf32>
  %a1 = arith.addf %r, %b : tensor<4x32xf32>
  %a2 = arith.addf %a1, %iob : tensor<4x32xf32>
  %a3 = arith.mulf %a2, %sp : tensor<4x32xf32>
  tile.store %a3, %o[%c0, %c0] strides[%c32, %c1] : tensor<4x32xf32> -> !tile.ptr<f32>
  tile.return
})";

// Scales x by k, casts to {T} and back; stores both.
const char *kCast = R"(
tile.kernel @cast(%x: !tile.ptr<f32>, %o: !tile.ptr<{T}>, %back: !tile.ptr<f32>, %k: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0] strides[%c1] : !tile.ptr<f32> -> tensor<256xf32>
  %ks = tile.splat %k : tensor<256xf32>
  %s = arith.mulf %t, %ks : tensor<256xf32>
  %c = tile.cast %s : tensor<256xf32> -> tensor<256x{T}>
  tile.store %c, %o[%c0] strides[%c1] : tensor<256x{T}> -> !tile.ptr<{T}>
  %b = tile.cast %c : tensor<256x{T}> -> tensor<256xf32>
  tile.store %b, %back[%c0] strides[%c1] : tensor<256xf32> -> !tile.ptr<f32>
  tile.return
})";

const char *kDot = R"(
tile.kernel @dot(%a: !tile.ptr<{T}>, %b: !tile.ptr<{T}>, %o: !tile.ptr<f32>, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : {T}
  %at = tile.load %a[%c0, %c0] strides[%k, %c1] bounds[%m, %k] : !tile.ptr<{T}> -> tensor<16x32x{T}>
  %bt = tile.load %b[%c0, %c0] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<{T}> -> tensor<16x32x{T}>
  %one = arith.constant 1.0 : f32
  %acc = tile.splat %one : tensor<16x16xf32>
  %d = tile.dot %at, %bt acc %acc {rhs_transposed} : tensor<16x32x{T}>, tensor<16x32x{T}> -> tensor<16x16xf32>
  %btt = tile.trans %bt {perm = array<i64: 1, 0>} : tensor<16x32x{T}> -> tensor<32x16x{T}>
  %d2 = tile.dot %at, %btt : tensor<16x32x{T}>, tensor<32x16x{T}> -> tensor<16x16xf32>
  %sum = arith.addf %d, %d2 : tensor<16x16xf32>
  tile.store %sum, %o[%c0, %c0] strides[%n, %c1] bounds[%m, %n] : tensor<16x16xf32> -> !tile.ptr<f32>
  tile.return
})";

// DeepSeek's FP8 linear: act_quant(x) @ (w * 128x128 block scale)^T.
const char *kDotFp8 = R"(
tile.kernel @fp8_linear(%x: !tile.ptr<bf16>, %w: !tile.ptr<f8E4M3FN>, %ws: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %c256 = arith.constant 256 : index
  %xt = tile.load %x[%c0, %c0] strides[%c256, %c1] : !tile.ptr<bf16> -> tensor<16x256xbf16>
  %q, %qs = tile.quantize %xt {block = array<i64: 1, 128>, round_scale} : tensor<16x256xbf16> -> tensor<16x256xf8E4M3FN>, tensor<16x2xf8E8M0FNU>
  %wt = tile.load %w[%c0, %c0] strides[%c256, %c1] : !tile.ptr<f8E4M3FN> -> tensor<32x256xf8E4M3FN>
  %wst = tile.load %ws[%c0, %c0] strides[%c2, %c1] : !tile.ptr<f32> -> tensor<1x2xf32>
  %d = tile.dot %q scale %qs : tensor<16x2xf8E8M0FNU>, %wt scale %wst : tensor<1x2xf32> {rhs_transposed, lhs_scale_block = array<i64: 1, 128>, rhs_scale_block = array<i64: 128, 128>} : tensor<16x256xf8E4M3FN>, tensor<32x256xf8E4M3FN> -> tensor<16x32xf32>
  tile.store %d, %o[%c0, %c0] strides[%c32, %c1] : tensor<16x32xf32> -> !tile.ptr<f32>
  tile.return
})";

// FP4 experts: weights quantized to e2m1 with 1x32 UE8M0 scales.
const char *kDotFp4 = R"(
tile.kernel @fp4_linear(%x: !tile.ptr<bf16>, %w: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %xt = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<bf16> -> tensor<8x64xbf16>
  %wf = tile.load %w[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<16x64xf32>
  %wq, %wqs = tile.quantize %wf {block = array<i64: 1, 32>, round_scale} : tensor<16x64xf32> -> tensor<16x64xf4E2M1FN>, tensor<16x2xf8E8M0FNU>
  %d = tile.dot %xt, %wq scale %wqs : tensor<16x2xf8E8M0FNU> {rhs_transposed, rhs_scale_block = array<i64: 1, 32>} : tensor<8x64xbf16>, tensor<16x64xf4E2M1FN> -> tensor<8x16xf32>
  tile.store %d, %o[%c0, %c0] strides[%c16, %c1] : tensor<8x16xf32> -> !tile.ptr<f32>
  tile.return
})";

// Dots of many 16x8 tiles: on GPU targets a lane runs 2 or 4 tiles along n
// with its A registers loaded once (dot-to-warp-mma), each tile with its own
// columns' scales (1x32 blocks per row of w) and a ragged last tile (60).
const char *kDotRunsFp8 = R"(
tile.kernel @dot_runs_fp8(%x: !tile.ptr<f32>, %w: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %xt = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<32x64xf32>
  %xq, %xqs = tile.quantize %xt {block = array<i64: 1, 32>, round_scale} : tensor<32x64xf32> -> tensor<32x64xf8E4M3FN>, tensor<32x2xf8E8M0FNU>
  %wt = tile.load %w[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<128x64xf32>
  %wq, %wqs = tile.quantize %wt {block = array<i64: 1, 32>, round_scale} : tensor<128x64xf32> -> tensor<128x64xf8E4M3FN>, tensor<128x2xf8E8M0FNU>
  %d = tile.dot %xq scale %xqs : tensor<32x2xf8E8M0FNU>, %wq scale %wqs : tensor<128x2xf8E8M0FNU> {rhs_transposed, lhs_scale_block = array<i64: 1, 32>, rhs_scale_block = array<i64: 1, 32>} : tensor<32x64xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<32x128xf32>
  tile.store %d, %o[%c0, %c0] strides[%c128, %c1] : tensor<32x128xf32> -> !tile.ptr<f32>
  tile.return
})";

const char *kDotRunsRagged = R"(
tile.kernel @dot_runs_ragged(%x: !tile.ptr<bf16>, %w: !tile.ptr<bf16>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c60 = arith.constant 60 : index
  %c64 = arith.constant 64 : index
  %xt = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<bf16> -> tensor<16x64xbf16>
  %wt = tile.load %w[%c0, %c0] strides[%c64, %c1] : !tile.ptr<bf16> -> tensor<60x64xbf16>
  %one = arith.constant 1.0 : f32
  %acc = tile.splat %one : tensor<16x60xf32>
  %d = tile.dot %xt, %wt acc %acc {rhs_transposed} : tensor<16x64xbf16>, tensor<60x64xbf16> -> tensor<16x60xf32>
  tile.store %d, %o[%c0, %c0] strides[%c60, %c1] : tensor<16x60xf32> -> !tile.ptr<f32>
  tile.return
})";

const char *kReduce = R"(
tile.kernel @reduce(%x: !tile.ptr<{T}>, %o1: !tile.ptr<{T}>, %o0: !tile.ptr<{T}>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %t = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<{T}> -> tensor<16x64x{T}>
  %r1 = tile.reduce {KIND} %t {dim = 1} : tensor<16x64x{T}> -> tensor<16x{T}>
  %r0 = tile.reduce {KIND} %t {dim = 0} : tensor<16x64x{T}> -> tensor<64x{T}>
  tile.store %r1, %o1[%c0] strides[%c1] : tensor<16x{T}> -> !tile.ptr<{T}>
  tile.store %r0, %o0[%c0] strides[%c1] : tensor<64x{T}> -> !tile.ptr<{T}>
  tile.return
})";

const char *kScan = R"(
tile.kernel @scan(%x: !tile.ptr<{T}>, %o: !tile.ptr<{T}>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %t = tile.load %x[%c0, %c0] strides[%c32, %c1] : !tile.ptr<{T}> -> tensor<8x32x{T}>
  %s = tile.scan {KIND} %t {dim = {DIM} {REVERSE}} : tensor<8x32x{T}>
  tile.store %s, %o[%c0, %c0] strides[%c32, %c1] : tensor<8x32x{T}> -> !tile.ptr<{T}>
  tile.return
})";

const char *kTopK = R"(
tile.kernel @topk(%x: !tile.ptr<{T}>, %v: !tile.ptr<{T}>, %i: !tile.ptr<i32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cn = arith.constant {N} : index
  %ck = arith.constant {K} : index
  %t = tile.load %x[%c0, %c0] strides[%cn, %c1] bounds[%m, %cn] : !tile.ptr<{T}> -> tensor<4x{N}x{T}>
  %vals, %idx = tile.topk %t {k = {K}} : tensor<4x{N}x{T}> -> tensor<4x{K}x{T}>, tensor<4x{K}xi32>
  tile.store %vals, %v[%c0, %c0] strides[%ck, %c1] bounds[%m, %ck] : tensor<4x{K}x{T}> -> !tile.ptr<{T}>
  tile.store %idx, %i[%c0, %c0] strides[%ck, %c1] bounds[%m, %ck] : tensor<4x{K}xi32> -> !tile.ptr<i32>
  tile.return
})";

const char *kQuantize = R"(
tile.kernel @quantize(%x: !tile.ptr<bf16>, %q: !tile.ptr<{Q}>, %s: !tile.ptr<{S}>, %k: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cn = arith.constant {N} : index
  %cs = arith.constant {SN} : index
  %t = tile.load %x[%c0, %c0] strides[%cn, %c1] : !tile.ptr<bf16> -> tensor<{M}x{N}xbf16>
  %ks = tile.splat %k : tensor<{M}x{N}xf32>
  %tf = tile.cast %t : tensor<{M}x{N}xbf16> -> tensor<{M}x{N}xf32>
  %sc = arith.mulf %tf, %ks : tensor<{M}x{N}xf32>
  %qt, %st = tile.quantize %sc {block = array<i64: {BM}, {BN}> {ROUND}} : tensor<{M}x{N}xf32> -> tensor<{M}x{N}x{Q}>, tensor<{SM}x{SN}x{S}>
  tile.store %qt, %q[%c0, %c0] strides[%cn, %c1] : tensor<{M}x{N}x{Q}> -> !tile.ptr<{Q}>
  tile.store %st, %s[%c0, %c0] strides[%cs, %c1] : tensor<{SM}x{SN}x{S}> -> !tile.ptr<{S}>
  tile.return
})";

const char *kDequantize = R"(
tile.kernel @dequantize(%q: !tile.ptr<f8E4M3FN>, %s: !tile.ptr<f32>, %o: !tile.ptr<{T}>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c256 = arith.constant 256 : index
  %qt = tile.load %q[%c0, %c0] strides[%c256, %c1] : !tile.ptr<f8E4M3FN> -> tensor<16x256xf8E4M3FN>
  %st = tile.load %s[%c0, %c0] strides[%c2, %c1] : !tile.ptr<f32> -> tensor<16x2xf32>
  %d = tile.dequantize %qt, %st {block = array<i64: 1, 128>} : tensor<16x256xf8E4M3FN>, tensor<16x2xf32> -> tensor<16x256x{T}>
  tile.store %d, %o[%c0, %c0] strides[%c256, %c1] : tensor<16x256x{T}> -> !tile.ptr<{T}>
  tile.return
})";

// One elementwise arith/math op per output row.
const char *kMath = R"(
tile.kernel @math(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0] strides[%c1] : !tile.ptr<f32> -> tensor<64xf32>
  %one = arith.constant dense<1.0> : tensor<64xf32>
  %tenth = arith.constant dense<0.1> : tensor<64xf32>
  %zero = arith.constant dense<0.0> : tensor<64xf32>
  %abs = math.absf %t : tensor<64xf32>
  %abs1 = arith.addf %abs, %one : tensor<64xf32>
  %r0 = math.exp %t : tensor<64xf32>
  %r1 = math.log %abs1 : tensor<64xf32>
  %r2 = math.tanh %t : tensor<64xf32>
  %r3 = math.sqrt %abs : tensor<64xf32>
  %r4 = math.rsqrt %abs1 : tensor<64xf32>
  %pos = arith.cmpf ogt, %t, %zero : tensor<64xf32>
  %leak = arith.mulf %t, %tenth : tensor<64xf32>
  %r5 = arith.select %pos, %t, %leak : tensor<64xi1>, tensor<64xf32>
  %r6 = arith.divf %one, %abs1 : tensor<64xf32>
  %neg = arith.negf %t : tensor<64xf32>
  %sig = math.exp %neg : tensor<64xf32>
  %den = arith.addf %one, %sig : tensor<64xf32>
  %r7 = arith.divf %t, %den : tensor<64xf32>
  {STORES}
  tile.return
})";

// Online softmax over column blocks: running max and sum carried by scf.for.
const char *kLoop = R"(
tile.kernel @online_softmax(%x: !tile.ptr<f32>, %om: !tile.ptr<f32>, %ol: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %m0 = tile.splat %ninf : tensor<16xf32>
  %l0 = tile.splat %zero : tensor<16xf32>
  %c16 = arith.constant 16 : index
  %res:2 = scf.for %k = %c0 to %n step %c32 iter_args(%m = %m0, %l = %l0) -> (tensor<16xf32>, tensor<16xf32>) {
    %t = tile.load %x[%c0, %k] strides[%n, %c1] bounds[%c16, %n] other %ninf : !tile.ptr<f32> -> tensor<16x32xf32>
    %bm = tile.reduce max %t {dim = 1} : tensor<16x32xf32> -> tensor<16xf32>
    %m2 = arith.maximumf %m, %bm : tensor<16xf32>
    %m2r = tile.reshape %m2 : tensor<16xf32> -> tensor<16x1xf32>
    %m2b = tile.broadcast %m2r : tensor<16x1xf32> -> tensor<16x32xf32>
    %sh = arith.subf %t, %m2b : tensor<16x32xf32>
    %e = math.exp %sh : tensor<16x32xf32>
    %bs = tile.reduce sum %e {dim = 1} : tensor<16x32xf32> -> tensor<16xf32>
    %dm = arith.subf %m, %m2 : tensor<16xf32>
    %corr = math.exp %dm : tensor<16xf32>
    %lc = arith.mulf %l, %corr : tensor<16xf32>
    %l2 = arith.addf %lc, %bs : tensor<16xf32>
    scf.yield %m2, %l2 : tensor<16xf32>, tensor<16xf32>
  }
  tile.store %res#0, %om[%c0] strides[%c1] : tensor<16xf32> -> !tile.ptr<f32>
  tile.store %res#1, %ol[%c0] strides[%c1] : tensor<16xf32> -> !tile.ptr<f32>
  tile.return
})";

// A grid-stride loop: program p handles blocks p, p + P, p + 2P, ...
const char *kGridStride = R"(
tile.kernel @grid_stride(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %p = tile.program_id 0
  %np = tile.num_programs 0
  %start = arith.muli %p, %c8 : index
  %step = arith.muli %np, %c8 : index
  scf.for %i = %start to %n step %step {
    %t = tile.load %x[%i] strides[%c1] bounds[%n] : !tile.ptr<f32> -> tensor<8xf32>
    %d = arith.addf %t, %t : tensor<8xf32>
    tile.store %d, %o[%i] strides[%c1] bounds[%n] : tensor<8xf32> -> !tile.ptr<f32>
  }
  tile.return
})";

// Data-dependent addressing (tile.extract) and static re-arrangement
// (tile.slice even/odd halves, tile.concat back in swapped order).
const char *kSliceConcat = R"(
tile.kernel @slice_concat(%x: !tile.ptr<f32>, %pos: !tile.ptr<i32>, %o: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %p = tile.load %pos[%c0] strides[%c1] : !tile.ptr<i32> -> tensor<4xi32>
  %row = tile.extract %p[%c1] : tensor<4xi32>
  %r = arith.index_cast %row : i32 to index
  %t = tile.load %x[%r, %c0] strides[%c32, %c1] : !tile.ptr<f32> -> tensor<4x32xf32>
  %even = tile.slice %t {offsets = array<i64: 0, 0>, strides = array<i64: 1, 2>} : tensor<4x32xf32> -> tensor<4x16xf32>
  %odd = tile.slice %t {offsets = array<i64: 0, 1>, strides = array<i64: 1, 2>} : tensor<4x32xf32> -> tensor<4x16xf32>
  %tail = tile.slice %t {offsets = array<i64: 3, 5>} : tensor<4x32xf32> -> tensor<1x3xf32>
  %swapped = tile.concat %odd, %even {dim = 1} : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x32xf32>
  %rows = tile.concat %swapped, %t {dim = 0} : tensor<4x32xf32>, tensor<4x32xf32> -> tensor<8x32xf32>
  %k = tile.extract %tail[%c0, %c1] : tensor<1x3xf32>
  %ks = tile.splat %k : tensor<8x32xf32>
  %out = arith.addf %rows, %ks : tensor<8x32xf32>
  tile.store %out, %o[%c0, %c0] strides[%c32, %c1] : tensor<8x32xf32> -> !tile.ptr<f32>
  tile.return
})";

} // namespace

std::vector<Case> allCases() {
  std::vector<Case> cases;
  auto add = [&](std::string op, std::string name, std::string source,
                 std::vector<Arg> args, Grid grid, double tol) {
    cases.push_back(Case{std::move(op), std::move(name), std::move(source),
                         std::move(args), grid, tol});
  };

  // Loads and stores of every storable type, ragged in both dimensions.
  for (T t : {T::F32, T::BF16, T::F16, T::I8, T::I32, T::I64, T::F8E4M3FN,
              T::F8E8M0FNU, T::F4E2M1FN})
    for (auto [m, n] : {std::pair<int64_t, int64_t>{37, 50}, {16, 64}}) {
      Arg x = isFloatType(t) ? Arg::buffer(t, {m, n})
                             : Arg::ints(t, {m, n}, -100, 100);
      add("tile.load+tile.store",
          std::string("copy_") + elementTypeName(t) + "_" + std::to_string(m) +
              "x" + std::to_string(n),
          fill(kCopy, {{"T", elementTypeName(t)}}),
          {x, Arg::output(t, {m, n}), Arg::index(m), Arg::index(n)},
          {ceilDiv(m, 16), ceilDiv(n, 32), 1}, 0);
    }
  for (int64_t k : {0, 23, 64}) {
    Arg kArg = Arg::index(k);
    kArg.kind = Arg::Kind::I32;
    add("tile.load+tile.store", "masked_other_k" + std::to_string(k), kMasked,
        {Arg::buffer(T::F32, {64}), Arg::output(T::F32, {64}),
         Arg::output(T::F32, {64}), kArg},
        {1, 1, 1}, 0);
  }
  for (T t : {T::BF16, T::F32, T::F8E4M3FN})
    add("tile.gather", std::string("gather_") + elementTypeName(t) + "_37x64",
        fill(kGather, {{"T", elementTypeName(t)}, {"C", "64"}}),
        {Arg::buffer(t, {40, 64}), Arg::ints(T::I32, {37}, -1, 39),
         Arg::output(t, {37, 64}), Arg::index(37)},
        {ceilDiv(37, 16), 1, 1}, 0);
  // ue8m0 has no zero: a masked row is the all-zero code (2^-127).
  add("tile.gather", "gather_f8E8M0FNU_37x7",
      fill(kGather, {{"T", elementTypeName(T::F8E8M0FNU)}, {"C", "7"}}),
      {Arg::scales({40, 7}, 100, 150), Arg::ints(T::I32, {37}, -1, 39),
       Arg::output(T::F8E8M0FNU, {37, 7}), Arg::index(37)},
      {ceilDiv(37, 16), 1, 1}, 0);
  add("tile.splat+iota+broadcast+reshape+trans", "shapes", kShapes,
      {Arg::buffer(T::F32, {8, 16}), Arg::output(T::F32, {4, 32}),
       Arg::f32(0.5)},
      {1, 1, 1}, 0);

  // Casts, including saturation (large k) and subnormals (small k).
  struct CastCase { T type; double k; const char *what; };
  for (CastCase c : std::vector<CastCase>{{T::BF16, 1, "unit"},
                                          {T::F16, 70000, "overflow"},
                                          {T::F16, 1e-5, "subnormal"},
                                          {T::F8E4M3FN, 600, "saturate"},
                                          {T::F8E4M3FN, 0.02, "subnormal"},
                                          {T::F4E2M1FN, 8, "saturate"},
                                          {T::F4E2M1FN, 1, "unit"},
                                          {T::F8E8M0FNU, 100, "signed"},
                                          {T::F8E8M0FNU, 1e-38, "subnormal"},
                                          {T::I32, 1000, "truncate"},
                                          {T::I8, 100, "truncate"}})
    add("tile.cast",
        std::string("cast_f32_to_") + elementTypeName(c.type) + "_" + c.what,
        fill(kCast, {{"T", elementTypeName(c.type)}}),
        {Arg::buffer(T::F32, {256}), Arg::output(c.type, {256}),
         Arg::output(T::F32, {256}), Arg::f32(c.k)},
        {1, 1, 1}, 0);

  for (T t : {T::F32, T::BF16, T::F16})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{16, 16, 32},
                           {13, 11, 27}})
      add("tile.dot",
          std::string("dot_") + elementTypeName(t) + "_" + std::to_string(m) +
              "x" + std::to_string(n) + "x" + std::to_string(k),
          fill(kDot, {{"T", elementTypeName(t)}}),
          {Arg::buffer(t, {m, k}), Arg::buffer(t, {n, k}),
           Arg::output(T::F32, {m, n}), Arg::index(m), Arg::index(n),
           Arg::index(k)},
          {1, 1, 1}, 1e-5);
  add("tile.dot", "dot_fp8_act_quant_blockscaled", kDotFp8,
      {Arg::buffer(T::BF16, {16, 256}), Arg::buffer(T::F8E4M3FN, {32, 256}),
       Arg::buffer(T::F32, {1, 2}), Arg::output(T::F32, {16, 32})},
      {1, 1, 1}, 1e-5);
  add("tile.dot", "dot_runs_fp8_32x128x64_rowscaled", kDotRunsFp8,
      {Arg::buffer(T::F32, {32, 64}), Arg::buffer(T::F32, {128, 64}),
       Arg::output(T::F32, {32, 128})},
      {1, 1, 1}, 1e-5);
  add("tile.dot", "dot_runs_bf16_16x60x64", kDotRunsRagged,
      {Arg::buffer(T::BF16, {16, 64}), Arg::buffer(T::BF16, {60, 64}),
       Arg::output(T::F32, {16, 60})},
      {1, 1, 1}, 1e-5);
  add("tile.dot", "dot_fp4_weights_ue8m0", kDotFp4,
      {Arg::buffer(T::BF16, {8, 64}), Arg::buffer(T::F32, {16, 64}),
       Arg::output(T::F32, {8, 16})},
      {1, 1, 1}, 1e-5);

  for (const char *kind : {"sum", "max", "min"})
    for (T t : {T::F32, T::BF16, T::I32}) {
      Arg x = t == T::I32 ? Arg::ints(t, {16, 64}, -50, 50)
                          : Arg::buffer(t, {16, 64});
      add("tile.reduce",
          std::string("reduce_") + kind + "_" + elementTypeName(t),
          fill(kReduce, {{"T", elementTypeName(t)}, {"KIND", kind}}),
          {x, Arg::output(t, {16}), Arg::output(t, {64})}, {1, 1, 1},
          std::string(kind) == "sum" && t != T::I32 ? 1e-5 : 0);
    }
  for (const char *kind : {"sum", "max"})
    for (int dim : {0, 1})
      for (bool reverse : {false, true})
        for (T t : {T::F32, T::I32}) {
          Arg x = t == T::I32 ? Arg::ints(t, {8, 32}, -50, 50)
                              : Arg::buffer(t, {8, 32});
          add("tile.scan",
              std::string("scan_") + kind + "_dim" + std::to_string(dim) +
                  (reverse ? "_reverse_" : "_") + elementTypeName(t),
              fill(kScan, {{"T", elementTypeName(t)},
                           {"KIND", kind},
                           {"DIM", std::to_string(dim)},
                           {"REVERSE", reverse ? ", reverse" : ""}}),
              {x, Arg::output(t, {8, 32})}, {1, 1, 1},
              std::string(kind) == "sum" && t == T::F32 ? 1e-5 : 0);
        }
  // Top-k: small integer ranges force ties. k <= 32 takes the warp arg-max
  // where the target has shuffles (fewer positions than lanes: n16), k40
  // the merge sort.
  struct TopKCase { T type; int64_t n, k, rows; };
  for (TopKCase c : std::vector<TopKCase>{{T::F32, 64, 8, 4},
                                          {T::BF16, 37, 5, 3},
                                          {T::I32, 64, 16, 4},
                                          {T::F32, 16, 16, 4},
                                          {T::F32, 128, 40, 4}}) {
    Arg x = c.type == T::I32 ? Arg::ints(c.type, {4, c.n}, 0, 7)
                             : Arg::buffer(c.type, {4, c.n});
    add("tile.topk",
        std::string("topk_") + elementTypeName(c.type) + "_n" +
            std::to_string(c.n) + "_k" + std::to_string(c.k),
        fill(kTopK, {{"T", elementTypeName(c.type)},
                     {"N", std::to_string(c.n)},
                     {"K", std::to_string(c.k)}}),
        {x, Arg::output(c.type, {4, c.k}), Arg::output(T::I32, {4, c.k}),
         Arg::index(c.rows)},
        {1, 1, 1}, 0);
  }

  // Quantisation as DeepSeek's act_quant / fp4_act_quant define it.
  struct QuantCase { const char *name; T q, s; int64_t m, n, bm, bn; bool round; double k; };
  for (QuantCase c : std::vector<QuantCase>{
           {"e4m3_f32scale_1x128", T::F8E4M3FN, T::F32, 4, 256, 1, 128, false, 1},
           {"e4m3_ue8m0_1x128", T::F8E4M3FN, T::F8E8M0FNU, 4, 256, 1, 128, true, 3},
           {"e4m3_tiny_amax_floor", T::F8E4M3FN, T::F32, 4, 256, 1, 128, false, 1e-7},
           {"e4m3_f32round_32x32", T::F8E4M3FN, T::F32, 64, 64, 32, 32, true, 1},
           {"e2m1_ue8m0_1x32", T::F4E2M1FN, T::F8E8M0FNU, 4, 64, 1, 32, true, 5},
           {"e2m1_ragged_1x24", T::F4E2M1FN, T::F8E8M0FNU, 4, 64, 1, 24, true, 1}}) {
    int64_t sm = ceilDiv(c.m, c.bm), sn = ceilDiv(c.n, c.bn);
    add("tile.quantize", std::string("quantize_") + c.name,
        fill(kQuantize, {{"Q", elementTypeName(c.q)},
                         {"S", elementTypeName(c.s)},
                         {"M", std::to_string(c.m)},
                         {"N", std::to_string(c.n)},
                         {"SM", std::to_string(sm)},
                         {"SN", std::to_string(sn)},
                         {"BM", std::to_string(c.bm)},
                         {"BN", std::to_string(c.bn)},
                         {"ROUND", c.round ? ", round_scale" : ""}}),
        {Arg::buffer(T::BF16, {c.m, c.n}), Arg::output(c.q, {c.m, c.n}),
         Arg::output(c.s, {sm, sn}), Arg::f32(c.k)},
        {1, 1, 1}, 0);
  }
  for (T t : {T::F32, T::BF16})
    add("tile.dequantize", std::string("dequantize_to_") + elementTypeName(t),
        fill(kDequantize, {{"T", elementTypeName(t)}}),
        {Arg::buffer(T::F8E4M3FN, {16, 256}), Arg::buffer(T::F32, {16, 2}),
         Arg::output(t, {16, 256})},
        {1, 1, 1}, 0);

  std::string stores;
  for (int r = 0; r < 8; ++r)
    stores += "%off" + std::to_string(r) + " = arith.constant " +
              std::to_string(r * 64) + " : index\n  tile.store %r" +
              std::to_string(r) + ", %o[%off" + std::to_string(r) +
              "] strides[%c1] : tensor<64xf32> -> !tile.ptr<f32>\n  ";
  add("arith+math", "elementwise_math", fill(kMath, {{"STORES", stores}}),
      {Arg::buffer(T::F32, {64}), Arg::output(T::F32, {8, 64})}, {1, 1, 1},
      1e-6);
  for (int64_t n : {96, 77})
    add("scf.for", "online_softmax_n" + std::to_string(n), kLoop,
        {Arg::buffer(T::F32, {16, n}), Arg::output(T::F32, {16}),
         Arg::output(T::F32, {16}), Arg::index(n)},
        {1, 1, 1}, 1e-5);
  add("tile.extract+slice+concat", "slice_concat_data_dependent_row",
      kSliceConcat,
      {Arg::buffer(T::F32, {20, 32}), Arg::ints(T::I32, {4}, 0, 16),
       Arg::output(T::F32, {8, 32})},
      {1, 1, 1}, 0);
  add("tile.program_id+num_programs", "grid_stride_loop", kGridStride,
      {Arg::buffer(T::F32, {203}), Arg::output(T::F32, {203}),
       Arg::index(203)},
      {5, 1, 1}, 0);
  return cases;
}

} // namespace dsv4c::conformance
