//===- SparseAttentionTest.cpp - sparse_attention.mlir
//---------------------===//
//
// (a) cpu vs reference on random inputs (index lists with -1 and repeats,
//     heads and index slots that the 16-head / 64-key tiles do not divide,
//     all-skipped rows). Tolerance 1e-2 of max(1, |ref|): o is bf16 with
//     |o| < 1, the probabilities are rounded to bf16 before P @ V, and the
//     targets' exp may differ in the last f32 bit, which can move a p or o
//     across a bf16 rounding boundary (one ulp: <= 2^-7 relative for p,
//     <= 2^-8 absolute for o).
// (b) reference vs the official math in double, unsplit and split over the
//     keys (sparse_attention's slices, then sparse_attention_combine):
//     o[h] = sum_t e^{s_t} v_t / (sum_t e^{s_t} + e^{sink[h]}),
//     s_t = scale * q[h] . kv[idx[t]] over the t with idx[t] != -1,
//     where kv[t] is cache entry t decoded here in plain C++ (FlashMLA's
//     584-byte layout: e4m3 nope dims times their ue8m0 scale, bf16 rope
//     dims), found through a shuffled page table in a pool with spare pages.
//     Tolerance |got - want| <= 2^-8 |want| + 2^-8 max|v| + 1e-5: the output
//     bf16 rounding (unit roundoff 2^-8), the official bf16 rounding of each
//     probability in the numerator only (relative 2^-8 per term, so at most
//     2^-8 max|v| = 2^-8 after the division), and f32 exp / sums (~1e-6).
//
//===----------------------------------------------------------------------===//
#include "AttnTestUtil.h"

#include "models/v4/KvCacheLayout.h"

using namespace dsv4c;
using namespace dsv4c::attntest;
using v4::cases::attnCase;

namespace {

const char *kFile = "sparse_attention.mlir";

// One test: the cpu target's O3 compile (~2.5 s) is paid once for all shapes.
TEST(SparseAttention, CpuMatchesReference) {
  // 20 heads (16 + 4), 70 slots (64 + 6), about 1 in 41 slots -1.
  expectCpuMatchesReference(
      attnCase("b2_m3_h20_n40_k70", 2, 3, 20, 40, 70, -1, 39, 0.0441941738));
  // Indices in [-1, 7]: 1 in 9 skipped, every key repeated; peaky scores.
  expectCpuMatchesReference(
      attnCase("b1_m2_h5_n8_k200_scale1", 1, 2, 5, 8, 200, -1, 7, 1.0));
  // Every slot -1: o = 0.
  expectCpuMatchesReference(
      attnCase("b1_m2_h16_n8_k64_all_skipped", 1, 2, 16, 8, 64, -1, -1, 0.05));
}

struct Shape {
  int64_t b, m, h, n, topk;
  double scale, qRange;
  int64_t splits = 1;
};

void checkOfficial(const Shape &sh, uint64_t seed) {
  const int64_t d = 512;
  std::mt19937_64 gen(seed);
  HostTensor q = randomBf16(gen, {sh.b, sh.m, sh.h, d}, -sh.qRange, sh.qRange);
  // Entries with random e4m3 codes below 1 in magnitude, scales 2^-3..2^0,
  // rope in [-1, 1) (so |v| < 1); batch entry bi's pages are pages[bi] of a
  // shuffled pool.
  const int64_t perSeq = ceilDiv(sh.n, 64), poolPages = sh.b * perSeq + 3;
  HostTensor cache(T::I8, {poolPages * 64, v4::kKvEntryBytes});
  {
    std::uniform_int_distribution<int> code(0, 255), scaleCode(124, 127);
    HostTensor rope = randomBf16(gen, {poolPages * 64, 64}, -1, 1);
    for (int64_t e = 0; e < poolPages * 64; ++e) {
      uint8_t *entry = byteData(cache) + e * v4::kKvEntryBytes;
      for (int64_t k = 0; k < v4::kKvNopeDims; ++k) {
        int c = code(gen); // magnitude codes below 0x38: |value| < 1
        entry[k] = uint8_t((c & 0x80) | (c % 0x38));
      }
      std::memcpy(entry + v4::kKvRopeOffset, bf16Data(rope) + e * 64, 128);
      for (int64_t blk = 0; blk < 7; ++blk)
        entry[v4::kKvScaleOffset + blk] = uint8_t(scaleCode(gen));
    }
  }
  std::vector<int32_t> shuffled(poolPages);
  for (int64_t i = 0; i < poolPages; ++i)
    shuffled[i] = int32_t(i);
  std::shuffle(shuffled.begin(), shuffled.end(), gen);
  HostTensor pages(T::I32, {sh.b, perSeq});
  std::copy_n(shuffled.begin(), sh.b * perSeq, i32Data(pages));
  // Entry t of batch entry bi, dimension k, decoded.
  auto kvAt = [&](int64_t bi, int64_t t, int64_t k) {
    int64_t phys = int64_t(i32Data(pages)[bi * perSeq + t / 64]) * 64 + t % 64;
    const uint8_t *entry = byteData(cache) + phys * v4::kKvEntryBytes;
    if (k >= v4::kKvNopeDims) {
      uint16_t bits;
      std::memcpy(&bits, entry + v4::kKvRopeOffset + 2 * (k - v4::kKvNopeDims),
                  2);
      return bf16Value(bits);
    }
    return e4m3Value(entry[k]) *
           std::ldexp(1.0, int(entry[v4::kKvScaleOffset + k / 64]) - 127);
  };
  HostTensor sink = randomF32(gen, {sh.h}, -3, 3);
  HostTensor idx(T::I32, {sh.b, sh.m, sh.topk});
  std::uniform_int_distribution<int> pick(0, int(sh.n) - 1);
  std::bernoulli_distribution skip(0.25);
  for (int64_t bi = 0; bi < sh.b; ++bi)
    for (int64_t t = 0; t < sh.m; ++t)
      for (int64_t j = 0; j < sh.topk; ++j) {
        int v = skip(gen) ? -1 : pick(gen);
        if (bi == 0 && t == 0)
          v = -1; // a row with no key at all: o = 0
        if (bi == sh.b - 1 && t == sh.m - 1 && j < 64)
          v = -1; // a first block with no key, later blocks with keys
        i32Data(idx)[(bi * sh.m + t) * sh.topk + j] = v;
      }
  HostTensor o(T::BF16, {sh.b, sh.m, sh.h, d});
  const int64_t rows = sh.b * sh.m;
  HostTensor part(T::F32,
                  {std::max<int64_t>(1, rows * sh.splits * sh.h * (d + 2))});
  ASSERT_TRUE(launch(
      Target::Reference, kernelSource(kFile, "sparse_attention"),
      "sparse_attention",
      {KArg::buf(q), KArg::buf(cache), KArg::buf(cache), KArg::buf(cache),
       KArg::buf(pages), KArg::buf(sink), KArg::buf(idx), KArg::buf(o),
       KArg::idx(sh.m), KArg::idx(sh.n), KArg::idx(sh.h), KArg::idx(sh.topk),
       KArg::f32(float(sh.scale)), KArg::idx(sh.splits), KArg::buf(part)},
      {sh.m, sh.b, ceilDiv(sh.h, 16) * sh.splits}));
  if (sh.splits > 1)
    ASSERT_TRUE(launch(Target::Reference,
                       kernelSource(kFile, "sparse_attention_combine"),
                       "sparse_attention_combine",
                       {KArg::buf(part), KArg::buf(sink), KArg::buf(o),
                        KArg::idx(rows), KArg::idx(sh.h), KArg::idx(sh.splits)},
                       {rows, sh.h, 1}));

  Closeness c;
  for (int64_t bi = 0; bi < sh.b; ++bi)
    for (int64_t t = 0; t < sh.m; ++t) {
      const int32_t *ids = i32Data(idx) + (bi * sh.m + t) * sh.topk;
      for (int64_t hh = 0; hh < sh.h; ++hh) {
        int64_t qrow = ((bi * sh.m + t) * sh.h + hh) * d;
        std::vector<double> s;
        std::vector<int64_t> rows;
        for (int64_t j = 0; j < sh.topk; ++j) {
          if (ids[j] == -1)
            continue;
          double dot = 0;
          for (int64_t k = 0; k < d; ++k)
            dot += bf16At(q, qrow + k) * kvAt(bi, ids[j], k);
          s.push_back(sh.scale * dot);
          rows.push_back(ids[j]);
        }
        double sk = f32Data(sink)[hh];
        double mx = sk;
        for (double v : s)
          mx = std::max(mx, v);
        double den = std::exp(sk - mx);
        std::vector<double> num(d, 0.0);
        for (size_t j = 0; j < s.size(); ++j) {
          double p = std::exp(s[j] - mx);
          den += p;
          for (int64_t k = 0; k < d; ++k)
            num[k] += p * kvAt(bi, rows[j], k);
        }
        for (int64_t k = 0; k < d; ++k) {
          double want = num[k] / den;
          double got = bf16At(o, qrow + k);
          if (s.empty())
            EXPECT_EQ(got, 0.0)
                << "no keys: o must be 0 at " << at({bi, t, hh, k});
          c.check(got, want, std::ldexp(1.0, -8), std::ldexp(1.0, -8) + 1e-5,
                  "o" + at({bi, t, hh, k}));
        }
      }
    }
  EXPECT_EQ(c.failures, 0) << c.failures << " of " << c.checked
                           << " elements off; first " << c.where;
}

TEST(SparseAttention, ReferenceMatchesOfficialMath) {
  // 20 heads, 150 slots (3 blocks, the last ragged), a quarter skipped.
  checkOfficial({2, 3, 20, 50, 150, 0.0441941738, 3.0}, 1);
}
TEST(SparseAttention, ReferenceMatchesOfficialMathPeaky) {
  // scale 1: logits of tens, the sink far below or above them.
  checkOfficial({1, 2, 3, 10, 70, 1.0, 1.0}, 2);
}
TEST(SparseAttention, SplitMatchesOfficialMath) {
  // 3 blocks over 2 slices (2 + 1 blocks); the row with no key leaves both
  // slices with no key (-inf maxima).
  checkOfficial({2, 3, 20, 50, 150, 0.0441941738, 3.0, 2}, 1);
  // More slices than blocks: the last slices see no slot at all.
  checkOfficial({1, 2, 3, 10, 70, 1.0, 1.0, 4}, 2);
  // One slice per block, 16 slices (the combine's most).
  checkOfficial({1, 1, 16, 300, 1024, 0.0441941738, 3.0, 16}, 3);
}

} // namespace
