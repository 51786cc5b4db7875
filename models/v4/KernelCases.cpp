//===- KernelCases.cpp - conformance cases of the V4 kernels --------------===//
//
// Tolerances are relative to max(1, |reference|) per element; each builder
// says why its kernel needs the one it has (the kernel tests in
// tests/v4kernels explain them in detail).
//
//===----------------------------------------------------------------------===//
#include "models/v4/KernelCases.h"
#include "models/v4/KernelCasesUtil.h"

#include "models/v4/KernelSources.h"

#include <algorithm>
#include <limits>

namespace dsv4c::v4 {

using conformance::Arg;
using T = ElementType;

std::string kernelText(const std::string &file, const std::string &name) {
  for (const KernelSourceFile &f : kernelSources()) {
    if (file != f.name)
      continue;
    std::string text = f.text;
    if (name.empty())
      return text;
    size_t begin = text.find("tile.kernel @" + name + "(");
    if (begin == std::string::npos)
      return "";
    size_t end = text.find("\n}", begin);
    return text.substr(begin, end == std::string::npos ? std::string::npos
                                                       : end + 2 - begin) +
           "\n";
  }
  return "";
}

namespace cases {

using namespace detail;

//===----------------------------------------------------------------------===//
// Engram
//===----------------------------------------------------------------------===//

// 0: integer arithmetic.
Case hashCase(int64_t rows, int64_t n, int64_t heads) {
  int64_t cols = (n - 1) * heads;
  return Case{"v4.engram_hash",
              "engram_hash_" + str(rows) + "_n" + str(n) + "_h" + str(heads),
              kernelText("engram.mlir", "engram_hash"),
              {Arg::ints(T::I64, {rows, n}, 0, 130000),
               Arg::ints(T::I64, {n}, 1, int64_t(1) << 40),
               Arg::ints(T::I64, {cols}, 2, 700000),
               Arg::ints(T::I64, {cols}, 0, 5000000),
               Arg::output(T::I64, {rows, cols}), Arg::index(rows),
               Arg::index(n), Arg::index(heads)},
              {ceilDiv(rows, 16), 1, 1},
              0};
}

// 1e-5: f32 outputs; the targets' exp / sqrt may differ in the last bit.
Case engramGateCase(int64_t rows, int64_t hc, int64_t d) {
  return Case{"v4.engram_gate",
              "engram_gate_" + str(rows) + "x" + str(hc) + "x" + str(d),
              kernelText("engram.mlir", "engram_gate"),
              {Arg::buffer(T::F32, {rows, hc, d}),
               Arg::buffer(T::BF16, {hc, d}), Arg::buffer(T::F32, {rows, d}),
               Arg::buffer(T::BF16, {d}), Arg::buffer(T::BF16, {hc, d}),
               Arg::buffer(T::BF16, {hc, d}),
               Arg::buffer(T::BF16, {rows, hc, d}),
               Arg::output(T::F32, {rows, hc, d}), Arg::index(rows),
               Arg::index(hc), Arg::index(d), Arg::f32(1.1920929e-07)},
              {rows, hc, 1},
              1e-5};
}

// 1e-5: f32 outputs of f32 sums and rsqrt.
Case convNormCase(const ConvShape &s) {
  return Case{"v4.engram_conv_norm",
              "engram_conv_norm_" + str(s.rows),
              kernelText("engram.mlir", "engram_conv_norm"),
              {Arg::buffer(T::F32, {s.rows, s.hc, s.d}),
               Arg::buffer(T::BF16, {s.hc, s.d}),
               Arg::output(T::F32, {s.hist() + s.rows, s.width()}),
               Arg::index(s.rows), Arg::index(s.hc), Arg::index(s.d),
               Arg::index(s.hist()), Arg::f32(1e-5)},
              {s.rows, s.hc, 1},
              1e-5};
}

// 1e-2: the residual is bf16 (one ulp after an f32 exp in SiLU).
Case convCase(const ConvShape &s) {
  return Case{"v4.engram_conv",
              "engram_conv_" + str(s.rows),
              kernelText("engram.mlir", "engram_conv"),
              {Arg::buffer(T::F32, {s.hist() + s.rows, s.width()}),
               Arg::buffer(T::BF16, {s.width(), s.k}),
               Arg::buffer(T::F32, {s.rows, s.width()}),
               Arg::buffer(T::BF16, {s.rows, s.width()}), Arg::index(s.rows),
               Arg::index(s.width()), Arg::index(s.k), Arg::index(s.dil)},
              {ceilDiv(s.rows, 4), ceilDiv(s.width(), 256), 1},
              1e-2};
}

//===----------------------------------------------------------------------===//
// FFN side, embedding and head
//===----------------------------------------------------------------------===//

std::string denseShapeName(const DenseShape &s) {
  return str(s.m) + "x" + str(s.n) + "x" + str(s.k) + "_g" + str(s.groups) +
         "_ld" + str(s.ldx) + "_" + str(s.ldy) +
         (s.splits > 1 ? "_split" + str(s.splits) : "");
}

// bf16 outputs 1e-2: another f32 summation order may move a result across a
// bf16 rounding boundary. f32 outputs 4e-3: the worst-case f32 summation
// error 2 k 2^-24 sum|ab| with k <= 300 and sum|ab| ~ k / 4 (uniform inputs
// in [-1, 1)) is 2.7e-3; for larger k the rounding errors of a sum in
// another order grow like sqrt(k) (k 4096: ~1e-4 of max(1, |ref|)).
Case denseCase(const DenseShape &s, bool f32Out) {
  std::string name = f32Out ? "matmul_bf16_f32" : "matmul_bf16";
  return Case{"v4." + name,
              name + "_" + denseShapeName(s),
              kernelText("dense.mlir", name),
              {Arg::buffer(T::BF16, {s.m, s.ldx}),
               Arg::buffer(T::BF16, {s.groups * s.n, s.k}),
               Arg::output(f32Out ? T::F32 : T::BF16, {s.m, s.ldy}),
               Arg::index(s.m), Arg::index(s.n), Arg::index(s.k),
               Arg::index(s.ldx), Arg::index(s.ldy),
               Arg::output(T::F32, {s.splits, s.m, s.ldy}),
               splitCounters(ceilDiv(s.m, 16) * ceilDiv(s.n, 64) * s.groups),
               Arg::index(s.splits)},
              {ceilDiv(s.m, 16), ceilDiv(s.n, 64), s.groups * s.splits},
              f32Out ? 4e-3 : 1e-2};
}

// 0: a copy.
Case embeddingCase(int64_t n, int64_t vocab, int64_t dim, int64_t copies) {
  return Case{"v4.embedding",
              "embedding_" + str(n) + "_v" + str(vocab) + "_d" + str(dim) +
                  "_c" + str(copies),
              kernelText("embedding.mlir"),
              {Arg::buffer(T::BF16, {vocab, dim}),
               Arg::ints(T::I64, {n}, -1, vocab - 1),
               Arg::output(T::BF16, {n, copies, dim}), Arg::index(n),
               Arg::index(dim), Arg::index(copies)},
              {ceilDiv(n, 16), ceilDiv(dim, 64), 1},
              0};
}

// 1e-4: f32 logits, sums in another order (~D 2^-24 of sum |terms|).
Case headCase(HeadShape s) {
  return Case{"v4.head",
              "head_" + str(s.m) + "x" + str(s.d) + "_v" + str(s.v),
              kernelText("head.mlir", "head"),
              {Arg::buffer(T::BF16, {s.m, s.d}),
               Arg::buffer(T::BF16, {s.v, s.d}),
               Arg::output(T::F32, {s.m, s.v}), Arg::index(s.m),
               Arg::index(s.d), Arg::index(s.v)},
              {ceilDiv(s.m, 16), ceilDiv(s.v, 64), 1},
              1e-4};
}

Case headRows64Case(HeadShape s) {
  Case c = headCase(s);
  c.op = "v4.head_rows64";
  c.name = "head_rows64_" + str(s.m) + "x" + str(s.d) + "_v" + str(s.v);
  c.source = kernelText("head.mlir", "head_rows64");
  c.grid = {ceilDiv(s.m, 64), ceilDiv(s.v, 128), 1};
  return c;
}

// Ids and values: exact (0 tolerance); S = ceil(v / 4096) slices a row.
Case greedyPartCase(int64_t m, int64_t v) {
  const int64_t slices = ceilDiv(v, 4096);
  return Case{"v4.greedy_part",
              "greedy_part_" + str(m) + "x" + str(v),
              kernelText("head.mlir", "greedy_part"),
              {Arg::buffer(T::F32, {m, v}), Arg::output(T::F32, {m, slices}),
               Arg::output(T::I32, {m, slices}), Arg::index(m), Arg::index(v)},
              {m, slices, 1},
              0};
}

Case greedyTokenCase(int64_t m, int64_t v) {
  const int64_t slices = ceilDiv(v, 4096);
  return Case{"v4.greedy_token",
              "greedy_token_" + str(m) + "x" + str(v),
              kernelText("head.mlir", "greedy_token"),
              {Arg::buffer(T::F32, {m, slices}),
               // Ids up to 2^31 - 1 (a slice without a number).
               Arg::ints(T::I32, {m, slices}, 0, 2147483647),
               Arg::output(T::I32, {m}), Arg::index(m), Arg::index(v)},
              {m, 1, 1},
              0};
}

// 1e-5 of max(1, |ref|): ssum is a sum of 4096 exps in another order on
// other targets; maxima, candidates and ids are exact.
Case samplePartCase(int64_t m, int64_t v) {
  const int64_t slices = ceilDiv(v, 4096);
  return Case{
      "v4.sample_part",
      "sample_part_" + str(m) + "x" + str(v),
      kernelText("sample.mlir", "sample_part"),
      {Arg::buffer(T::F32, {m, v}), Arg::nonNegative(T::F32, {m, 3}),
       Arg::output(T::F32, {m, slices}), Arg::output(T::F32, {m, slices}),
       Arg::output(T::F32, {m, slices, 256}),
       Arg::output(T::I32, {m, slices, 256}), Arg::index(m), Arg::index(v)},
      {m, slices, 1},
      1e-5};
}

// Tokens: exact. Each row's slice s holds the candidates -(k + s), k < 256
// (descending; equal values in other slices), smax -s, ssum 2. With
// `keepAll`, temperature 1 or 2, topP 1 and draw 0 (the walk over the slices
// and one slice's logits); else temperatures, topP and draws random in
// [0, 1] (nuclei of 1 to 256 candidates, and wider: -2).
Case sampleTokenCase(int64_t m, int64_t v, bool keepAll) {
  const int64_t slices = ceilDiv(v, 4096);
  std::vector<int64_t> smax, ssum, cv, ci, par;
  for (int64_t r = 0; r < m; ++r)
    for (int64_t s = 0; s < slices; ++s) {
      smax.push_back(-s);
      ssum.push_back(2);
      for (int64_t k = 0; k < 256; ++k) {
        cv.push_back(-(k + s));
        ci.push_back(std::min(s * 4096 + k * 3, v - 1));
      }
    }
  for (int64_t r = 0; r < m; ++r)
    par.insert(par.end(), {1 + r % 2, 1, 0});
  Case c{"v4.sample_token",
         "sample_token_" + str(m) + "x" + str(v) + (keepAll ? "_top_p1" : ""),
         kernelText("sample.mlir", "sample_token"),
         {Arg::buffer(T::F32, {m, v}),
          keepAll ? Arg::values(T::F32, {m, 3}, par)
                  : Arg::nonNegative(T::F32, {m, 3}),
          Arg::values(T::F32, {m, slices}, smax),
          Arg::values(T::F32, {m, slices}, ssum),
          Arg::values(T::F32, {m, slices, 256}, cv),
          Arg::values(T::I32, {m, slices, 256}, ci), Arg::output(T::I32, {m}),
          Arg::index(m), Arg::index(v)},
         {m, 1, 1},
         0};
  return c;
}

// 1e-2 (as rmsnorm): the f32 sum order and rsqrt may flip a bf16 rounding.
// 2e-2: the f32 sum order and rsqrt may flip the bf16 rounding of ms or r
// and then that of the output: two bf16 ulps.
Case headRmsCase(int64_t rows, int64_t hd) {
  return Case{"v4.head_rms",
              "head_rms_" + str(rows) + "x" + str(hd),
              kernelText("head_rms.mlir"),
              {Arg::buffer(T::BF16, {rows, hd}), Arg::index(rows),
               Arg::index(hd), Arg::f32(1e-6)},
              {ceilDiv(rows, 16), 1, 1},
              2e-2};
}

namespace {
std::string linearName(LinearShape s) {
  return str(s.m) + "x" + str(s.n) + "x" + str(s.k);
}

// The linears read activations as act_quant leaves them: e4m3 codes and a
// ue8m0 scale per 1x128 block, then their own arguments.
std::vector<Arg> quantisedActivation(LinearShape s, std::vector<Arg> rest) {
  std::vector<Arg> args = {Arg::buffer(T::F8E4M3FN, {s.m, s.k}),
                           Arg::buffer(T::F8E8M0FNU, {s.m, ceilDiv(s.k, 128)})};
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}
} // namespace

// 0: the amax and the power-of-two scale are exact, the division by it too,
// then one specified rounding to e4m3.
Case actQuantCase(LinearShape s) {
  return Case{"v4.act_quant",
              "act_quant_" + str(s.m) + "x" + str(s.k),
              kernelText("linear_fp8.mlir", "act_quant"),
              {Arg::buffer(T::BF16, {s.m, s.k}),
               Arg::output(T::F8E4M3FN, {s.m, s.k}),
               Arg::output(T::F8E8M0FNU, {s.m, ceilDiv(s.k, 128)}),
               Arg::index(s.m), Arg::index(s.k)},
              {ceilDiv(s.m, 16), ceilDiv(s.k, 128), 1},
              0};
}

// 1e-2 (both linears): bf16 outputs of f32 sums in another order.
Case fp8Case(LinearShape s, int64_t splits) {
  return Case{
      "v4.linear_fp8",
      "linear_fp8_" + linearName(s) +
          (splits > 1 ? "_split" + str(splits) : ""),
      kernelText("linear_fp8.mlir", "linear_fp8"),
      quantisedActivation(
          s,
          {Arg::buffer(T::F8E4M3FN, {s.n, s.k}),
           Arg::buffer(T::F8E8M0FNU, {ceilDiv(s.n, 128), ceilDiv(s.k, 128)}),
           Arg::output(T::BF16, {s.m, s.n}),
           Arg::output(T::F32, {splits, s.m, s.n}),
           splitCounters(ceilDiv(s.m, 16) * ceilDiv(s.n, 64)), Arg::index(s.m),
           Arg::index(s.n), Arg::index(s.k), Arg::index(splits)}),
      {ceilDiv(s.m, 16), ceilDiv(s.n, 64), splits},
      1e-2};
}

Case fp8Rows64Case(LinearShape s) {
  return Case{
      "v4.linear_fp8_rows64",
      "linear_fp8_rows64_" + linearName(s),
      kernelText("linear_fp8.mlir", "linear_fp8_rows64"),
      quantisedActivation(
          s, {Arg::buffer(T::F8E4M3FN, {s.n, s.k}),
              Arg::buffer(T::F8E8M0FNU, {ceilDiv(s.n, 128), ceilDiv(s.k, 128)}),
              Arg::output(T::BF16, {s.m, s.n}), Arg::index(s.m),
              Arg::index(s.n), Arg::index(s.k)}),
      {ceilDiv(s.m, 64), ceilDiv(s.n, 64), 1},
      1e-2};
}

Case fp4Case(LinearShape s) {
  return Case{"v4.linear_fp4",
              "linear_fp4_" + linearName(s),
              kernelText("linear_fp4.mlir", "linear_fp4"),
              quantisedActivation(
                  s, {Arg::buffer(T::F4E2M1FN, {s.n, s.k}),
                      Arg::buffer(T::F8E8M0FNU, {s.n, ceilDiv(s.k, 32)}),
                      Arg::output(T::BF16, {s.m, s.n}), Arg::index(s.m),
                      Arg::index(s.n), Arg::index(s.k)}),
              {ceilDiv(s.m, 16), ceilDiv(s.n, 64), 1},
              1e-2};
}

Case fp4GroupedCase(int64_t n, int64_t k, int64_t experts,
                    const std::vector<int64_t> &groups, int64_t splits) {
  int64_t rows = 0, longest = 0;
  for (size_t g = 0; g + 2 < groups.size(); g += 3) {
    rows = std::max(rows, groups[g + 1] + groups[g + 2]);
    longest = std::max(longest, groups[g + 2]);
  }
  const int64_t count = int64_t(groups.size() / 3);
  return Case{
      "v4.linear_fp4_grouped",
      "linear_fp4_grouped_" + str(count) + "of" + str(experts) + "x" + str(n) +
          "x" + str(k) + (splits > 1 ? "_split" + str(splits) : ""),
      kernelText("linear_fp4.mlir", "linear_fp4_grouped"),
      quantisedActivation(
          {rows, n, k},
          {Arg::buffer(T::F4E2M1FN, {experts * n, k}),
           Arg::buffer(T::F8E8M0FNU, {experts * n, ceilDiv(k, 32)}),
           Arg::output(T::BF16, {rows, n}),
           Arg::values(T::I32, {count, 3}, groups),
           Arg::output(T::F32, {splits, rows, n}),
           splitCounters(ceilDiv(longest, 8) * ceilDiv(n, 64) * count),
           Arg::index(n), Arg::index(k), Arg::index(rows), Arg::index(splits)}),
      {ceilDiv(longest, 8), ceilDiv(n, 64), count * splits},
      1e-2};
}

// Four groups over 5 stacked experts, in the order the runtime lists
// them: one short, one of two row tiles, an empty one, one at the end.
Case fp4GroupedCase(int64_t n, int64_t k, int64_t splits) {
  return fp4GroupedCase(n, k, 5, {4, 0, 3, 1, 3, 20, 2, 23, 0, 0, 23, 5},
                        splits);
}

namespace {
constexpr int64_t kHc = 4, kMix = 24, kIters = 20, kMixSlices = 32;
constexpr double kNormEps = 1e-6, kHcEps = 1e-6;

std::string mhcShape(int64_t n, int64_t d) { return str(n) + "x" + str(d); }
} // namespace

// mhc_mix: f32 dots over one slice (<= 1024 terms of bf16 x f32, summed in
// another order by warp lanes on GPUs): 1e-4 of max(1, |ref|).
Case mixCase(int64_t n, int64_t d, int64_t rows) {
  return Case{"v4.mhc_mix",
              "mhc_mix_" + mhcShape(n, d) + "_rows" + str(rows),
              kernelText("mhc.mlir", "mhc_mix"),
              {Arg::buffer(T::BF16, {n, kHc, d}),
               Arg::buffer(T::F32, {rows, kHc * d}),
               Arg::output(T::F32, {n, kMixSlices, kMixSlices}), Arg::index(n),
               Arg::index(d), Arg::index(rows)},
              {ceilDiv(n, 4), kMixSlices, 1},
              1e-4};
}

// 1e-2 (the three mHC kernels): bf16 streams, where another f32 summation
// order may flip one rounding; mhc_pre's f32 post / comb are far closer.
// mhc_pre and mhc_head read mhc_mix's partial sums: non-negative, so that
// the sums of squares are.
Case preCase(int64_t n, int64_t d) {
  return Case{"v4.mhc_pre",
              "mhc_pre_" + mhcShape(n, d),
              kernelText("mhc.mlir", "mhc_pre"),
              {Arg::buffer(T::BF16, {n, kHc, d}),
               Arg::nonNegative(T::F32, {n, kMixSlices, kMixSlices}),
               Arg::buffer(T::F32, {3}), Arg::buffer(T::F32, {kMix}),
               Arg::output(T::BF16, {n, d}), Arg::output(T::F32, {n, kHc}),
               Arg::output(T::F32, {n, kHc, kHc}), Arg::index(n), Arg::index(d),
               Arg::f32(kNormEps), Arg::f32(kHcEps), Arg::index(kIters)},
              {ceilDiv(n, 4), ceilDiv(d, 256) + 1, 1},
              1e-2};
}

Case postCase(int64_t n, int64_t d) {
  return Case{"v4.mhc_post",
              "mhc_post_" + mhcShape(n, d),
              kernelText("mhc.mlir", "mhc_post"),
              {Arg::buffer(T::BF16, {n, d}), Arg::buffer(T::BF16, {n, kHc, d}),
               Arg::buffer(T::F32, {n, kHc}),
               Arg::buffer(T::F32, {n, kHc, kHc}),
               Arg::output(T::BF16, {n, kHc, d}), Arg::index(n), Arg::index(d)},
              {ceilDiv(n, 4), ceilDiv(d, 128), 1},
              1e-2};
}

Case headMixCase(int64_t n, int64_t d) {
  return Case{"v4.mhc_head",
              "mhc_head_" + mhcShape(n, d),
              kernelText("mhc.mlir", "mhc_head"),
              {Arg::buffer(T::BF16, {n, kHc, d}),
               Arg::nonNegative(T::F32, {n, kMixSlices, kMixSlices}),
               Arg::buffer(T::F32, {1}), Arg::buffer(T::F32, {kHc}),
               Arg::output(T::BF16, {n, d}), Arg::index(n), Arg::index(d),
               Arg::f32(kNormEps), Arg::f32(kHcEps)},
              {ceilDiv(n, 4), ceilDiv(d, 256), 1},
              1e-2};
}

// 0 (both combine kernels): one f32 addition (and one bf16 rounding) per
// element, specified exactly.
Case finishCase(int64_t m, int64_t d) {
  return Case{"v4.moe_finish",
              "moe_finish_" + str(m) + "x" + str(d),
              kernelText("moe_combine.mlir", "moe_finish"),
              {Arg::buffer(T::F32, {m, d}), Arg::buffer(T::BF16, {m, d}),
               Arg::output(T::BF16, {m, d}), Arg::index(m), Arg::index(d)},
              {ceilDiv(m, 4), ceilDiv(d, 256), 1},
              0};
}

// One gathered row (me = 1): the rows of a launch must be distinct, which
// random integers are not. The accumulator y starts random.
Case scatterAddCase(int64_t m, int64_t d) {
  return Case{"v4.moe_scatter_add",
              "moe_scatter_add_1_into_" + str(m) + "x" + str(d),
              kernelText("moe_combine.mlir", "moe_scatter_add"),
              {Arg::buffer(T::BF16, {1, d}), Arg::ints(T::I32, {1}, 0, m - 1),
               Arg::buffer(T::F32, {m, d}), Arg::index(1), Arg::index(d)},
              {1, ceilDiv(d, 256), 1},
              0};
}

// Every token's k rows are distinct rows of ye (a permutation), as the
// runtime's slots are.
Case gatherAddCase(int64_t m, int64_t k, int64_t d) {
  return Case{"v4.moe_gather_add",
              "moe_gather_add_" + str(m) + "x" + str(k) + "x" + str(d),
              kernelText("moe_combine.mlir", "moe_gather_add"),
              {Arg::buffer(T::BF16, {m * k, d}),
               Arg::distinct(T::I32, {m, k}, m * k),
               Arg::buffer(T::F32, {m, d}), Arg::index(m), Arg::index(d),
               Arg::index(k)},
              {m, ceilDiv(d, 256), 1},
              0};
}

// 0 (both routing kernels): integer tables and copied weights.
Case routeCountCase(int64_t m, int64_t e) {
  const int64_t n = m * 6;
  return Case{"v4.moe_route_count",
              "moe_route_count_" + str(m) + "x6_e" + str(e),
              kernelText("moe_route.mlir", "moe_route_count"),
              {Arg::ints(T::I32, {n}, 0, e - 1),
               Arg::output(T::I32, {3 * e + 1}), Arg::index(n), Arg::index(e),
               Arg::index(0)},
              {1, 1, 1},
              0};
}

Case routePlaceCase(int64_t m, int64_t e, uint64_t seed) {
  const int64_t n = m * 6, groups = std::min(e, n);
  // Each token's 6 distinct experts, in a seeded order (an LCG: the case
  // must not depend on the standard library's shuffles).
  std::vector<int64_t> picks(n), count(e, 0);
  uint64_t x = seed * 2862933555777941757ull + 3037000493ull;
  for (int64_t t = 0; t < m; ++t)
    for (int64_t j = 0; j < 6; ++j) {
      int64_t p;
      do {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        p = int64_t((x >> 33) % uint64_t(e));
      } while (std::find(&picks[t * 6], &picks[t * 6] + j, p) !=
               &picks[t * 6] + j);
      picks[t * 6 + j] = p;
      ++count[p];
    }
  std::vector<int64_t> info(3 * e + 1, 0);
  int64_t first = 0, busy = 0;
  for (int64_t i = 0; i < e; ++i) {
    info[i] = count[i];
    info[e + i] = first;
    info[2 * e + i] = busy;
    first += count[i];
    busy += count[i] > 0;
  }
  info[3 * e] = busy;
  return Case{"v4.moe_route_place",
              "moe_route_place_" + str(m) + "x6_e" + str(e),
              kernelText("moe_route.mlir", "moe_route_place"),
              {Arg::values(T::I32, {n}, picks), Arg::buffer(T::F32, {n}),
               Arg::values(T::I32, {3 * e + 1}, info), Arg::output(T::I64, {n}),
               Arg::output(T::I32, {n}), Arg::output(T::F32, {n}),
               Arg::output(T::I32, {n}), Arg::output(T::I32, {groups, 3}),
               Arg::index(m), Arg::index(e), Arg::index(groups), Arg::index(0)},
              {n + e, 1, 1},
              0};
}

// 1e-5: f32 weights (a few f32 roundings apart at most); expert indices
// must be equal.
Case moeGateCase(int64_t m, int64_t e, bool hash, int64_t vocab) {
  const int64_t topK = 6;
  return Case{"v4.moe_gate",
              std::string("moe_gate_") + (hash ? "hash_" : "score_") + str(m) +
                  "_e" + str(e),
              kernelText("moe_gate.mlir"),
              {Arg::buffer(T::F32, {m, e}), Arg::buffer(T::F32, {e}),
               Arg::ints(T::I64, {vocab, topK}, 0, e - 1),
               Arg::ints(T::I64, {m}, 0, vocab - 1),
               Arg::output(T::F32, {m, topK}), Arg::output(T::I32, {m, topK}),
               Arg::index(m), Arg::index(e), Arg::index(hash ? 1 : 0),
               Arg::f32(1.5)},
              {ceilDiv(m, 4), 1, 1},
              1e-5};
}

// 0: one f32 addition of two bf16 values and one bf16 rounding.
Case mtpCase(int64_t n, int64_t hc, int64_t d) {
  return Case{"v4.mtp_input",
              "mtp_input_" + str(n) + "x" + str(hc) + "x" + str(d),
              kernelText("mtp.mlir", "mtp_input"),
              {Arg::buffer(T::BF16, {n, d}), Arg::buffer(T::BF16, {n, hc, d}),
               Arg::output(T::BF16, {n, hc, d}), Arg::index(n), Arg::index(hc),
               Arg::index(d)},
              {ceilDiv(n, 4), ceilDiv(d, 256), 1},
              0};
}

// 1e-2: bf16 outputs; the targets' exp may differ in the last f32 bit.
Case swigluCase(int64_t m, int64_t n, bool weighted, double limit) {
  return Case{
      "v4.swiglu",
      "swiglu_" + str(m) + "x" + str(n) + (weighted ? "_weighted" : "_shared") +
          "_limit" + std::to_string(int(limit * 10)),
      kernelText("swiglu.mlir"),
      {Arg::buffer(T::BF16, {m, n}), Arg::buffer(T::BF16, {m, n}),
       Arg::buffer(T::F32, {m}), Arg::output(T::BF16, {m, n}), Arg::index(m),
       Arg::index(n), Arg::index(weighted ? m : 0), Arg::f32(limit)},
      {ceilDiv(m, 4), ceilDiv(n, 256), 1},
      1e-2};
}

// 1e-2: bf16 outputs; another f32 sum order or rsqrt may flip one rounding.
// `programs` > 0: a grid of that many programs, each taking every
// programs-th row (the executor's grid for long prefills).
Case rmsnormCase(int64_t rows, int64_t dim, int64_t programs) {
  return Case{"v4.rmsnorm",
              "rmsnorm_" + str(rows) + "x" + str(dim) +
                  (programs ? "_p" + str(programs) : ""),
              kernelText("rmsnorm.mlir", "rmsnorm"),
              {Arg::buffer(T::BF16, {rows, dim}), Arg::buffer(T::BF16, {dim}),
               Arg::output(T::BF16, {rows, dim}), Arg::index(rows),
               Arg::index(dim), Arg::f32(1e-6)},
              {programs ? programs : rows, 1, 1},
              1e-2};
}

} // namespace cases

} // namespace dsv4c::v4
