//===- IndexerTest.cpp - indexer.mlir
//----------------------------------------===//
//
// @indexer_rotate_quant
// (a) cpu vs reference on random rows (ragged: 37 rows of 16-row tiles).
//     Tolerance 0.5 of max(1, |ref|): the Hadamard sum's order is not
//     specified, and a last-bit f32 difference may move a value across a
//     bf16 and then an e2m1 rounding boundary: one e2m1 level, at most 2 x
//     the block scale, which is <= 2^-2 for these inputs (amax < 1.5).
// (b) reference vs the official rotate_activation + fp4_act_quant(x, 32,
//     inplace) in plain C++ (Hadamard by the fast Walsh-Hadamard butterflies
//     in double). Inputs are multiples of 1/16 (1/4), so H x is exact in f32
//     whatever the order, and every later step is one specified rounding:
//     tolerance 0.
// @indexer_topk
// (a) cpu vs reference on random inputs: prefill with fewer visible entries
//     than topk (-1 fill), a decode-like chunk with 3 key blocks and top-512,
//     and top-1024 over 600 entries. Tolerance 0 (indices): both targets
//     evaluate the same specified roundings; with random inputs the f32 dot
//     sums could in principle differ in order, so the same test also runs
//     (a') cpu vs reference on exact inputs, where any order gives the same
//     scores.
// (b) reference vs the official Indexer math in plain C++ (bf16 einsum,
//     relu, bf16 weights * scale, bf16 sum over heads, causal mask, top-k,
//     -1 for masked picks, + offset). Inputs are multiples of 1/4 and the
//     weight scale is 1/4, so every intermediate is exact in f32 in any
//     summation order and the bf16 roundings are specified: tolerance 0.
//     Scores tie often; ties go to the smaller index (the kernel's rule;
//     torch.topk leaves it unspecified). Batch entries have their own key
//     rows and positions (a decode run in one launch: KernelCases.h's
//     topkKeyRow0/topkStart), and output rows are wider than topk (picks
//     written in place into index lists): the slots past topk stay 0.
//
//===----------------------------------------------------------------------===//
#include "AttnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::attntest;
using v4::cases::rotateQuantCase;
using v4::cases::topkCase;
using TopkShape = v4::cases::TopkShape;

namespace {

const char *kFile = "indexer.mlir";

//===----------------------------------------------------------------------===//
// @indexer_rotate_quant
//===----------------------------------------------------------------------===//

TEST(IndexerRotateQuant, CpuMatchesReference) {
  for (int64_t rows : {37, 16})
    expectCpuMatchesReference(rotateQuantCase(rows));
}

/// y = bf16(f32(H x) * f32(128^-0.5)), then the FP4 fake-quant, for one row.
std::vector<double> officialRotateQuant(const std::vector<double> &x) {
  std::vector<double> h = x;
  for (size_t len = 1; len < h.size(); len *= 2) // Sylvester order
    for (size_t i = 0; i < h.size(); i += 2 * len)
      for (size_t j = i; j < i + len; ++j) {
        double a = h[j], b = h[j + len];
        h[j] = a + b;
        h[j + len] = a - b;
      }
  const float scale = float(1.0 / std::sqrt(128.0));
  std::vector<double> y(h.size());
  for (size_t i = 0; i < h.size(); ++i)
    y[i] = roundBf16(float(h[i]) * scale);
  for (size_t blk = 0; blk < y.size(); blk += 32) {
    float amax = 0;
    for (size_t j = blk; j < blk + 32; ++j)
      amax = std::max(amax, float(std::fabs(y[j])));
    double s = pow2Scale(amax, 6.0f * std::ldexp(1.0f, -126), 1.0f / 6.0f);
    for (size_t j = blk; j < blk + 32; ++j)
      y[j] = roundBf16(roundE2m1(std::clamp(y[j] / s, -6.0, 6.0)) * s);
  }
  return y;
}

void checkOfficialRotateQuant(int m, int q, uint64_t seed) {
  const int64_t rows = 21;
  std::mt19937_64 gen(seed);
  HostTensor x0 = gridBf16(gen, {rows, 128}, m, q);
  HostTensor x = x0;
  ASSERT_TRUE(
      launch(Target::Reference, kernelSource(kFile, "indexer_rotate_quant"),
             "indexer_rotate_quant",
             {KArg::buf(x), KArg::idx(rows), KArg::buf(x), KArg::idx(0)},
             {ceilDiv(rows, 16), 1, 1}));
  int mismatches = 0, nonzero = 0;
  std::string first;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> in(128);
    for (int64_t j = 0; j < 128; ++j)
      in[j] = bf16At(x0, r * 128 + j);
    std::vector<double> want = officialRotateQuant(in);
    for (int64_t j = 0; j < 128; ++j) {
      nonzero += want[j] != 0;
      if (bf16At(x, r * 128 + j) != want[j] && mismatches++ == 0)
        first = "x" + at({r, j}) + ": got " +
                std::to_string(bf16At(x, r * 128 + j)) + ", want " +
                std::to_string(want[j]);
    }
  }
  EXPECT_EQ(mismatches, 0) << first;
  EXPECT_GT(nonzero, rows * 64);
}

/// listed = 1 (a decode run's new keys): the rows of a list with -1s, one
/// program each, come out as the whole-buffer launch makes them; the other
/// rows are untouched.
void checkListedRows(Target target) {
  const int64_t rows = 20;
  std::mt19937_64 gen(5);
  HostTensor x0 = gridBf16(gen, {rows, 128}, 64, 16);
  HostTensor all = x0, listed = x0;
  const std::vector<int32_t> picks{17, -1, 3, 9};
  HostTensor list(T::I32, {int64_t(picks.size())});
  std::copy(picks.begin(), picks.end(), i32Data(list));
  ASSERT_TRUE(
      launch(target, kernelSource(kFile, "indexer_rotate_quant"),
             "indexer_rotate_quant",
             {KArg::buf(all), KArg::idx(rows), KArg::buf(list), KArg::idx(0)},
             {ceilDiv(rows, 16), 1, 1}));
  ASSERT_TRUE(launch(target, kernelSource(kFile, "indexer_rotate_quant"),
                     "indexer_rotate_quant",
                     {KArg::buf(listed), KArg::idx(int64_t(picks.size())),
                      KArg::buf(list), KArg::idx(1)},
                     {int64_t(picks.size()), 1, 1}));
  for (int64_t r = 0; r < rows; ++r) {
    const bool picked = std::count(picks.begin(), picks.end(), r) > 0;
    HostTensor &want = picked ? all : x0;
    for (int64_t j = 0; j < 128; ++j)
      ASSERT_EQ(bf16Data(listed)[r * 128 + j], bf16Data(want)[r * 128 + j])
          << "x" << at({r, j}) << (picked ? " (listed)" : " (not listed)");
  }
}

TEST(IndexerRotateQuant, ListedRows) {
  checkListedRows(Target::Reference);
  checkListedRows(Target::Cpu);
}

TEST(IndexerRotateQuant, ReferenceMatchesOfficialSmall) {
  checkOfficialRotateQuant(64, 16, 1); // multiples of 1/16 in [-4, 4]
}
TEST(IndexerRotateQuant, ReferenceMatchesOfficialLarge) {
  checkOfficialRotateQuant(256, 4, 2); // multiples of 1/4 in [-64, 64]
}

//===----------------------------------------------------------------------===//
// @indexer_topk
//===----------------------------------------------------------------------===//

std::vector<KArg> topkArgs(const TopkShape &t, HostTensor &q, HostTensor &k,
                           HostTensor &w, HostTensor &out, HostTensor &keyRows,
                           HostTensor &starts, float wscale, int64_t splits,
                           HostTensor &part) {
  return {KArg::buf(q),
          KArg::buf(k),
          KArg::buf(w),
          KArg::buf(out),
          KArg::buf(keyRows),
          KArg::buf(starts),
          KArg::idx(t.s),
          KArg::idx(t.nh),
          KArg::idx(t.nkeys),
          KArg::idx(t.topk),
          KArg::idx(t.ratio),
          KArg::idx(t.offset),
          KArg::idx(v4::cases::topkLd(t)),
          KArg::f32(wscale),
          KArg::idx(splits),
          KArg::buf(part)};
}

/// @indexer_topk on `target`, split in `splits` slices and merged by
/// @indexer_topk_merge when splits > 1.
bool runTopk(Target target, const TopkShape &t, HostTensor &q, HostTensor &k,
             HostTensor &w, HostTensor &out, HostTensor &keyRows,
             HostTensor &starts, float wscale, int64_t splits) {
  HostTensor part(T::I64, {t.b * t.s * splits * 1024});
  const std::string src = kernelSource(kFile, "indexer_topk");
  if (!launch(target, src, "indexer_topk",
              topkArgs(t, q, k, w, out, keyRows, starts, wscale, splits, part),
              {t.s, t.b, splits}))
    return false;
  // As the executor merges (Executor::Impl::mergeTopk): up to 4 slices in
  // one program, more as a tree of programs of 4.
  auto merge = [&](int64_t runs, int64_t group, int64_t stride) {
    return launch(target, kernelSource(kFile, "indexer_topk_merge"),
                  "indexer_topk_merge",
                  {KArg::buf(part), KArg::buf(out), KArg::idx(t.s),
                   KArg::idx(t.topk), KArg::idx(t.offset),
                   KArg::idx(v4::cases::topkLd(t)), KArg::idx(splits),
                   KArg::idx(runs), KArg::idx(group), KArg::idx(stride)},
                  {t.s, t.b, (runs + group - 1) / group});
  };
  if (splits == 1)
    return true;
  if (splits <= 4)
    return merge(splits, splits, 1);
  const int64_t groups = (splits + 3) / 4;
  return merge(splits, 4, 1) && merge(groups, groups, 4);
}

/// The official Indexer scores and top-k, padded with -1 to topk slots.
std::vector<int32_t> officialTopk(const TopkShape &t, HostTensor &q,
                                  HostTensor &k, HostTensor &w, float wscale,
                                  int64_t bi, int64_t i) {
  std::vector<double> score(t.nkeys);
  int64_t visible = (v4::cases::topkStart(t, bi) + i + 1) / t.ratio;
  const int64_t row0 = v4::cases::topkKeyRow0(t, bi);
  for (int64_t key = 0; key < t.nkeys; ++key) {
    double sum = 0;
    for (int64_t h = 0; h < t.nh; ++h) {
      double dot = 0;
      for (int64_t j = 0; j < 128; ++j)
        dot += bf16At(q, ((bi * t.s + i) * t.nh + h) * 128 + j) *
               bf16At(k, (row0 + key) * 128 + j);
      double sc = std::max(roundBf16(dot), 0.0);
      double wh =
          roundBf16(float(bf16At(w, (bi * t.s + i) * t.nh + h)) * wscale);
      sum += roundBf16(sc * wh);
    }
    score[key] = key < visible ? roundBf16(sum) : -INFINITY;
  }
  std::vector<int64_t> order(t.nkeys);
  for (int64_t j = 0; j < t.nkeys; ++j)
    order[j] = j;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return score[a] != score[b] ? score[a] > score[b] : a < b;
  });
  std::vector<int32_t> res(t.topk, -1);
  for (int64_t j = 0; j < std::min(t.topk, t.nkeys); ++j)
    res[j] = order[j] >= visible ? -1 : int32_t(order[j] + t.offset);
  return res;
}

void checkTopk(const TopkShape &t, uint64_t seed, bool againstCpu,
               int64_t splits = 1) {
  std::mt19937_64 gen(seed);
  HostTensor q = gridBf16(gen, {t.b, t.s, t.nh, 128}, 4, 4);
  HostTensor k = gridBf16(gen, {t.b, t.krows, 128}, 4, 4);
  HostTensor w = gridBf16(gen, {t.b, t.s, t.nh}, 4, 4);
  HostTensor keyRows(T::I32, {t.b}), starts(T::I32, {t.b});
  for (int64_t b = 0; b < t.b; ++b) {
    i32Data(keyRows)[b] = int32_t(v4::cases::topkKeyRow0(t, b));
    i32Data(starts)[b] = int32_t(v4::cases::topkStart(t, b));
  }
  const float wscale = 0.25f;
  const int64_t ld = v4::cases::topkLd(t);
  HostTensor out(T::I32, {t.b, t.s, ld});
  ASSERT_TRUE(runTopk(Target::Reference, t, q, k, w, out, keyRows, starts,
                      wscale, splits));
  if (againstCpu) {
    HostTensor cpuOut(T::I32, {t.b, t.s, ld});
    ASSERT_TRUE(runTopk(Target::Cpu, t, q, k, w, cpuOut, keyRows, starts,
                        wscale, splits));
    for (int64_t j = 0; j < out.numElements(); ++j)
      ASSERT_EQ(i32Data(cpuOut)[j], i32Data(out)[j]) << "slot " << j;
    return;
  }
  int skipped = 0;
  for (int64_t bi = 0; bi < t.b; ++bi)
    for (int64_t i = 0; i < t.s; ++i) {
      std::vector<int32_t> want = officialTopk(t, q, k, w, wscale, bi, i);
      for (int64_t j = 0; j < ld; ++j) {
        int32_t expect = j < t.topk ? want[j] : 0; // never written
        skipped += expect == -1;
        ASSERT_EQ(i32Data(out)[(bi * t.s + i) * ld + j], expect)
            << "query " << at({bi, i}) << " slot " << j;
      }
    }
  EXPECT_GT(skipped, 0);
}

TEST(IndexerTopk, CpuMatchesReference) {
  // Prefill: 21 tokens -> 5 entries, fewer visible than topk.
  expectCpuMatchesReference(
      topkCase("prefill_b2_s21", {2, 21, 5, 300, 5, 20, 0, 4, 21}));
  // A chunk late in a sequence: 700 entries (3 blocks of 256), top-512.
  expectCpuMatchesReference(
      topkCase("chunk_700_top512", {1, 3, 64, 700, 700, 512, 2797, 4, 128}));
  // Top-1024 (V4-Pro) over 600 entries (3 blocks): the last slots -1.
  expectCpuMatchesReference(
      topkCase("decode_600_top1024", {1, 1, 8, 600, 600, 1024, 2399, 4, 128}));
  // (a') exact inputs (same compiled kernel).
  checkTopk({2, 13, 8, 40, 3, 4, 0, 4, 13}, 5, true);
  checkTopk({1, 2, 64, 300, 300, 64, 1198, 4, 128}, 6, true);
}

TEST(IndexerTopk, ReferenceMatchesOfficialPrefill) {
  // start 0: causal mask, offset = seqlen (the window part comes first).
  checkTopk({2, 16, 8, 40, 4, 3, 0, 4, 16}, 3, false);
}
TEST(IndexerTopk, ReferenceMatchesOfficialDecode) {
  // start_pos 1203: 301 entries (2 blocks of 256), offset = window 128;
  // topk 400 > entries: the last slots are -1.
  checkTopk({1, 1, 64, 310, 301, 400, 1203, 4, 128}, 4, false);
}
// Split over the entries (a decode of few sequences on a GPU): slices of
// blocks, their running keys merged by @indexer_topk_merge, give exactly
// the official picks; more slices than blocks leave some slices empty.
TEST(IndexerTopk, SplitMatchesOfficialDecode) {
  // 701 entries: 6 blocks of 128, in 3 slices of 2, then in 8 (2 empty;
  // merged as a tree: 2 programs of 4, then their 2 runs) and 16 (10
  // empty); top-1024, so the last slots are -1.
  checkTopk({1, 1, 16, 710, 701, 1024, 2807, 4, 128}, 8, false, 3);
  checkTopk({1, 1, 16, 710, 701, 1024, 2807, 4, 128}, 8, false, 8);
  checkTopk({1, 1, 16, 710, 701, 1024, 2807, 4, 128}, 8, false, 16);
  // A batched decode (287..290 entries each) in 2 slices.
  checkTopk({3, 1, 8, 310, 301, 400, 1150, 4, 128}, 7, false, 2);
}
TEST(IndexerTopk, SplitCpuMatchesReference) {
  checkTopk({2, 1, 64, 1100, 1100, 512, 4000, 4, 128}, 9, true, 4);
  checkTopk({2, 1, 64, 1100, 1100, 512, 4000, 4, 128}, 9, true, 7);
}

TEST(IndexerTopk, ReferenceMatchesOfficialBatchedDecode) {
  // A decode run of 3 sequences in one launch, each at its own position
  // (1150, 1155, 1160: 287..290 entries) over its own keys.
  checkTopk({3, 1, 8, 310, 301, 400, 1150, 4, 128}, 7, false);
}

} // namespace
