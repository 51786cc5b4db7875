//===- LinearTest.cpp - linear_fp8.mlir and linear_fp4.mlir ---------------===//
//
// (a) cpu target vs reference target on random inputs, aligned and ragged.
//     Tolerance 1e-2 of max(1, |ref|): outputs are bf16, and a different f32
//     summation order may move a result across a bf16 rounding boundary (one
//     bf16 ulp is at most 2^-7 relative).
// (b) reference target vs a plain C++ version of the official math:
//     act_quant (1x128, ue8m0 scales, e4m3; @act_quant equals it exactly,
//     codes and scales) then the block-scaled GEMM in
//     double, rounded to bf16 by the test. Tolerance: 2^-8 |want| (the
//     kernel's single bf16 rounding of its f32 sum: half an ulp, at most
//     2^-8 relative) + 2^-15 sum_k |a_k b_k| (f32 accumulation over K <= 512
//     terms: K * 2^-24 = 2^-15). Quantisation itself is exact on both sides.
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::fp4Case;
using v4::cases::fp8Case;
using v4::cases::fp8Rows64Case;

namespace {

TEST(LinearFp8, CpuMatchesReferenceAligned) {
  expectCpuMatchesReference(fp8Case({16, 128, 256}));
}
TEST(LinearFp8, CpuMatchesReferenceRagged) {
  expectCpuMatchesReference(fp8Case({37, 150, 300}));
}
TEST(LinearFp8, CpuMatchesReferenceDecodeRow) {
  expectCpuMatchesReference(fp8Case({1, 200, 384}));
}
// 64-row blocks (prefill): ragged in M and N, and several programs each way.
TEST(LinearFp8Rows64, CpuMatchesReferenceRagged) {
  expectCpuMatchesReference(fp8Rows64Case({37, 150, 300}));
}
TEST(LinearFp8Rows64, CpuMatchesReferenceGrid) {
  expectCpuMatchesReference(fp8Rows64Case({130, 300, 640}));
}
TEST(LinearFp4, CpuMatchesReferenceAligned) {
  expectCpuMatchesReference(fp4Case({16, 128, 256}));
}
TEST(LinearFp4, CpuMatchesReferenceRagged) {
  expectCpuMatchesReference(fp4Case({37, 150, 320}));
}
TEST(LinearFp4, CpuMatchesReferenceShortK) {
  expectCpuMatchesReference(fp4Case({3, 70, 96}));
}

/// Activations for (b): varied magnitudes per row, one all-zero row (amax
/// floor) and one row with a single large outlier (coarse scale).
HostTensor testActivations(std::mt19937_64 &gen, int64_t m, int64_t k) {
  HostTensor x(T::BF16, {m, k});
  std::uniform_real_distribution<double> u(-1, 1);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double v = u(gen) * std::ldexp(1.0, int(i % 4) * 3 - 4);
      if (i == 2)
        v = 0;
      if (i == 3 && j == 5)
        v = 300;
      bf16Data(x)[i * k + j] = toBf16(float(v));
    }
  return x;
}

/// The official act_quant of row i (1x128 blocks): values q * s per element.
std::vector<double> actQuantRow(HostTensor &x, int64_t i, int64_t k,
                                std::vector<double> &scales) {
  std::vector<double> q(k);
  scales.assign(ceilDiv(k, 128), 0);
  for (int64_t b = 0; b * 128 < k; ++b) {
    float amax = 0;
    for (int64_t j = b * 128; j < std::min(k, (b + 1) * 128); ++j)
      amax =
          std::max(amax, float(std::fabs(bf16Value(bf16Data(x)[i * k + j]))));
    double s = ue8m0ActScale(amax);
    scales[b] = s;
    for (int64_t j = b * 128; j < std::min(k, (b + 1) * 128); ++j) {
      double v = bf16Value(bf16Data(x)[i * k + j]) / s;
      v = std::max(-448.0, std::min(448.0, v));
      q[j] = roundE4m3(v);
    }
  }
  return q;
}

/// @act_quant of x [m, k] on `target`: q e4m3 [m, k], qs ue8m0
/// [m, ceil(k/128)] (what the linears read).
void actQuant(Target target, HostTensor &x, HostTensor &q, HostTensor &qs) {
  const int64_t m = x.shape[0], k = x.shape[1];
  q = HostTensor(T::F8E4M3FN, {m, k});
  qs = HostTensor(T::F8E8M0FNU, {m, ceilDiv(k, 128)});
  ASSERT_TRUE(launch(
      target, kernelSource("linear_fp8.mlir"), "act_quant",
      {KArg::buf(x), KArg::buf(q), KArg::buf(qs), KArg::idx(m), KArg::idx(k)},
      {ceilDiv(m, 16), ceilDiv(k, 128), 1}));
}

// @act_quant equals the official act_quant exactly (codes and scales), on
// rows of varied magnitude, a zero row and an outlier, a partial last block.
TEST(ActQuant, ReferenceMatchesOfficial) {
  const int64_t m = 21, k = 300;
  std::mt19937_64 gen(3);
  HostTensor x = testActivations(gen, m, k), q, qs;
  actQuant(Target::Reference, x, q, qs);
  for (int64_t i = 0; i < m; ++i) {
    std::vector<double> sa;
    std::vector<double> want = actQuantRow(x, i, k, sa);
    for (int64_t b = 0; b < ceilDiv(k, 128); ++b)
      ASSERT_EQ(e8m0Value(byteData(qs)[i * ceilDiv(k, 128) + b]), sa[b])
          << "scale [" << i << "," << b << "]";
    for (int64_t j = 0; j < k; ++j)
      ASSERT_EQ(e4m3Value(byteData(q)[i * k + j]), want[j])
          << "q [" << i << "," << j << "]";
  }
}

TEST(ActQuant, CpuMatchesReference) {
  expectCpuMatchesReference(v4::cases::actQuantCase({37, 1, 300}));
}

TEST(LinearFp8, ReferenceMatchesOfficialMath) {
  const int64_t m = 5, n = 130, k = 256;
  std::mt19937_64 gen(7);
  HostTensor x = testActivations(gen, m, k);
  HostTensor w(T::F8E4M3FN, {n, k});
  for (int64_t i = 0; i < n * k; ++i) {
    uint8_t b;
    do
      b = uint8_t(gen());
    while ((b & 0x7F) == 0x7F); // no NaN codes
    byteData(w)[i] = b;
  }
  HostTensor ws(T::F8E8M0FNU, {ceilDiv(n, 128), ceilDiv(k, 128)});
  for (int64_t i = 0; i < ws.numElements(); ++i)
    byteData(ws)[i] = uint8_t(120 + gen() % 15); // 2^-7 .. 2^7
  HostTensor y(T::BF16, {m, n}), part(T::F32, {1}), counters(T::I32, {1}), xq,
      xs;
  actQuant(Target::Reference, x, xq, xs);
  ASSERT_TRUE(launch(Target::Reference, kernelSource("linear_fp8.mlir"),
                     "linear_fp8",
                     {KArg::buf(xq), KArg::buf(xs), KArg::buf(w), KArg::buf(ws),
                      KArg::buf(y), KArg::buf(part), KArg::buf(counters),
                      KArg::idx(m), KArg::idx(n), KArg::idx(k), KArg::idx(1)},
                     {1, ceilDiv(n, 64), 1}));
  Closeness c;
  for (int64_t i = 0; i < m; ++i) {
    std::vector<double> sa;
    std::vector<double> q = actQuantRow(x, i, k, sa);
    for (int64_t o = 0; o < n; ++o) {
      double sum = 0, sumAbs = 0;
      for (int64_t j = 0; j < k; ++j) {
        double b =
            e4m3Value(byteData(w)[o * k + j]) *
            e8m0Value(byteData(ws)[(o / 128) * ceilDiv(k, 128) + j / 128]);
        double t = q[j] * sa[j / 128] * b;
        sum += t;
        sumAbs += std::fabs(t);
      }
      c.check(bf16Value(bf16Data(y)[i * n + o]), sum, std::ldexp(1.0, -8),
              std::ldexp(sumAbs, -15),
              "y[" + std::to_string(i) + "," + std::to_string(o) + "]");
    }
  }
  EXPECT_EQ(c.failures, 0) << c.where;
}

TEST(LinearFp4, ReferenceMatchesOfficialMath) {
  const int64_t m = 5, n = 70, k = 256;
  std::mt19937_64 gen(11);
  HostTensor x = testActivations(gen, m, k);
  HostTensor w(T::F4E2M1FN, {n, k}); // n * k / 2 bytes, low nibble first
  for (int64_t i = 0; i < n * k / 2; ++i)
    byteData(w)[i] = uint8_t(gen());
  HostTensor ws(T::F8E8M0FNU, {n, k / 32});
  for (int64_t i = 0; i < ws.numElements(); ++i)
    byteData(ws)[i] = uint8_t(122 + gen() % 11); // 2^-5 .. 2^5
  HostTensor y(T::BF16, {m, n}), xq, xs;
  actQuant(Target::Reference, x, xq, xs);
  ASSERT_TRUE(launch(Target::Reference, kernelSource("linear_fp4.mlir"),
                     "linear_fp4",
                     {KArg::buf(xq), KArg::buf(xs), KArg::buf(w), KArg::buf(ws),
                      KArg::buf(y), KArg::idx(m), KArg::idx(n), KArg::idx(k)},
                     {1, ceilDiv(n, 64), 1}));
  Closeness c;
  for (int64_t i = 0; i < m; ++i) {
    std::vector<double> sa;
    std::vector<double> q = actQuantRow(x, i, k, sa);
    for (int64_t o = 0; o < n; ++o) {
      double sum = 0, sumAbs = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t e = o * k + j;
        uint8_t byte = byteData(w)[e / 2];
        uint8_t nib = (e % 2) ? byte >> 4 : byte & 15;
        double b =
            e2m1Value(nib) * e8m0Value(byteData(ws)[o * (k / 32) + j / 32]);
        double t = q[j] * sa[j / 128] * b;
        sum += t;
        sumAbs += std::fabs(t);
      }
      c.check(bf16Value(bf16Data(y)[i * n + o]), sum, std::ldexp(1.0, -8),
              std::ldexp(sumAbs, -15),
              "y[" + std::to_string(i) + "," + std::to_string(o) + "]");
    }
  }
  EXPECT_EQ(c.failures, 0) << c.where;
}

// linear_fp4_grouped: each group's rows equal, bit for bit, a linear_fp4
// launch of that expert alone over those rows (the runtime relies on it: a
// stacked model gives the same logits as one launch per expert). Groups as
// the runtime lists them, plus an empty one; ragged N and K.
/// The grouped launch over `splits` slices of K (the last program of each
/// block adds them): y [rows, n].
void launchGrouped(Target target, HostTensor &x, HostTensor &w,
                   HostTensor &ws, HostTensor &table, HostTensor &y,
                   int64_t groups, int64_t longest, int64_t n, int64_t k,
                   int64_t splits) {
  const int64_t rows = y.shape[0];
  HostTensor part(T::F32, {splits, rows, n}), xq, xs;
  HostTensor counters(T::I32, {ceilDiv(longest, 8) * ceilDiv(n, 64) * groups});
  actQuant(target, x, xq, xs);
  ASSERT_TRUE(launch(
      target, kernelSource("linear_fp4.mlir"), "linear_fp4_grouped",
      {KArg::buf(xq), KArg::buf(xs), KArg::buf(w), KArg::buf(ws), KArg::buf(y),
       KArg::buf(table), KArg::buf(part), KArg::buf(counters), KArg::idx(n),
       KArg::idx(k), KArg::idx(rows), KArg::idx(splits)},
      {ceilDiv(longest, 8), ceilDiv(n, 64), groups * splits}));
  for (int64_t i = 0; i < counters.numElements(); ++i)
    ASSERT_EQ(i32Data(counters)[i], 0) << "split counter " << i << " left set";
}

/// 5 stacked experts of n = 150 rows and 29 routed rows in 4 groups, as
/// the runtime lists them (one empty): x, w, ws and the group table.
struct GroupedInputs {
  static constexpr int64_t experts = 5, n = 150, rows = 29;
  std::vector<int32_t> groups = {3, 0, 4, 0, 4, 17, 2, 21, 0, 4, 21, 8};
  HostTensor x, w, ws, table{T::I32, {4, 3}};

  GroupedInputs(uint64_t seed, int64_t k) {
    std::mt19937_64 gen(seed);
    x = testActivations(gen, rows, k);
    w = HostTensor(T::F4E2M1FN, {experts * n, k});
    for (int64_t i = 0; i < experts * n * k / 2; ++i)
      byteData(w)[i] = uint8_t(gen());
    ws = HostTensor(T::F8E8M0FNU, {experts * n, k / 32});
    for (int64_t i = 0; i < ws.numElements(); ++i)
      byteData(ws)[i] = uint8_t(122 + gen() % 11);
    std::copy(groups.begin(), groups.end(), i32Data(table));
  }
};

void checkGroupedMatchesPerExpert(Target target) {
  const int64_t n = GroupedInputs::n, k = 320, rows = GroupedInputs::rows,
                kb = k / 32;
  GroupedInputs in(21, k);
  const std::vector<int32_t> &groups = in.groups;
  HostTensor &x = in.x, &w = in.w, &ws = in.ws, &table = in.table;
  HostTensor y(T::BF16, {rows, n});
  const std::string source = kernelSource("linear_fp4.mlir");
  launchGrouped(target, x, w, ws, table, y, 4, 17, n, k, 1);
  for (int g = 0; g < 4; ++g) {
    const int64_t e = groups[3 * g], first = groups[3 * g + 1],
                  me = groups[3 * g + 2];
    if (me == 0)
      continue;
    HostTensor xe(T::BF16, {me, k}), we(T::F4E2M1FN, {n, k}),
        wse(T::F8E8M0FNU, {n, kb}), ye(T::BF16, {me, n}), xq, xs;
    std::memcpy(xe.data(), bf16Data(x) + first * k, me * k * 2);
    std::memcpy(we.data(), byteData(w) + e * n * k / 2, n * k / 2);
    std::memcpy(wse.data(), byteData(ws) + e * n * kb, n * kb);
    actQuant(target, xe, xq, xs);
    ASSERT_TRUE(
        launch(target, source, "linear_fp4",
               {KArg::buf(xq), KArg::buf(xs), KArg::buf(we), KArg::buf(wse),
                KArg::buf(ye), KArg::idx(me), KArg::idx(n), KArg::idx(k)},
               {ceilDiv(me, 16), ceilDiv(n, 64), 1}));
    for (int64_t i = 0; i < me * n; ++i)
      ASSERT_EQ(bf16Data(y)[first * n + i], bf16Data(ye)[i])
          << "group " << g << ", y[" << first + i / n << "," << i % n << "]";
  }
}

TEST(LinearFp4Grouped, ReferenceEqualsOneLaunchPerExpert) {
  checkGroupedMatchesPerExpert(Target::Reference);
}
TEST(LinearFp4Grouped, CpuEqualsOneLaunchPerExpert) {
  checkGroupedMatchesPerExpert(Target::Cpu);
}
TEST(LinearFp4Grouped, CpuMatchesReference) {
  expectCpuMatchesReference(v4::cases::fp4GroupedCase(150, 320));
}
TEST(LinearFp4Grouped, CpuMatchesReferenceSplit) {
  expectCpuMatchesReference(v4::cases::fp4GroupedCase(150, 320, 2));
}

// Split-k: 3 slices of K, added by each block's last program, give the unsplit
// result up to the order of the f32 additions: within 1e-2 of max(1, |y|) (bf16
// outputs, the same tolerance as the cases), on the reference target.
TEST(LinearFp4Grouped, SplitKMatchesOneSlice) {
  const int64_t n = GroupedInputs::n, k = 640, rows = GroupedInputs::rows;
  GroupedInputs in(23, k);
  HostTensor whole(T::BF16, {rows, n}), split(T::BF16, {rows, n});
  launchGrouped(Target::Reference, in.x, in.w, in.ws, in.table, whole, 4, 17,
                n, k, 1);
  launchGrouped(Target::Reference, in.x, in.w, in.ws, in.table, split, 4, 17,
                n, k, 3);
  Closeness c;
  int64_t nonzero = 0;
  for (int64_t i = 0; i < rows * n; ++i) {
    double want = bf16Value(bf16Data(whole)[i]);
    nonzero += want != 0;
    c.check(bf16Value(bf16Data(split)[i]), want, 1e-2, 1e-2,
            "y #" + std::to_string(i));
  }
  EXPECT_EQ(c.failures, 0) << c.where;
  EXPECT_GT(nonzero, rows * n / 2); // every row is some group's
}

TEST(LinearFp8, CpuMatchesReferenceSplit) {
  expectCpuMatchesReference(fp8Case({37, 150, 700}, 3));
}

} // namespace
