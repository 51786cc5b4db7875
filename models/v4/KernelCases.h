//===- KernelCases.h - conformance cases of the V4 kernels ------*- C++ -*-===//
//
// Random-input cases (conformance::Case) of the kernels of models/v4/kernels,
// taken from the embedded text (KernelSources.h): a target conforms on V4
// when its outputs match the reference target's within each case's
// tolerance. kernelConformanceCases() has one case per tile.kernel (what
// `dsv4c conform` prints); the builders in `cases` make any shape (the V4
// kernel tests use them with their own shapes).
//
// Cases name themselves after the kernel and shape; the name also seeds the
// random inputs (ConformanceSuite.cpp), so a renamed case gets new inputs.
// Index inputs draw only values the kernel accepts (Arg::ints ranges); where
// a kernel needs distinct indices within one launch (compressor_state_write's
// slots, moe_scatter_add's rows) the case has one such row, since random
// integers may repeat.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_KERNELCASES_H
#define DSV4C_MODELS_V4_KERNELCASES_H

#include "models/v4/KvCacheLayout.h"
#include "targets/conformance/ConformanceSuite.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4c::v4 {

/// The text of kernel `name` of the embedded kernel file `file` (e.g.
/// "rope.mlir"): from `tile.kernel @name(` to its closing `}` line, plus a
/// newline. The whole file when `name` is empty; "" when the file or the
/// kernel is not there.
std::string kernelText(const std::string &file, const std::string &name = "");

/// One case per tile.kernel of the embedded files (36), in the files' order
/// (by file name, then as in the file): op "v4.<kernel>", a unique name with
/// the shape in it. V4-Flash's widths where the reference target (an
/// interpreter) runs them quickly, ragged row counts.
std::vector<conformance::Case> kernelConformanceCases();

/// The V4 kernels that dominate a V4-Flash decode step, at its full shapes
/// with 64 tokens in flight (vocabulary 129280, 256 experts, 4096 keys of
/// 512 per sequence), then the token-parallel ones and attention at a
/// 4096-token prefill (linear_fp8 at 4096^3 among them): `dsv4c conform
/// --bench` times them on a device. Too large for the reference target;
/// for timing only.
std::vector<conformance::Case> kernelBenchCases();

namespace cases {

using conformance::Case;

//===----------------------------------------------------------------------===//
// Attention side
//===----------------------------------------------------------------------===//

/// sparse_attention.mlir: q [b, m, h, 512], n cache entries per batch entry
/// (kv_pack.mlir's layout, paged), index lists of `topk` slots drawn from
/// [idxLo, idxHi] (-1: no key). With splits > 1 the launch is the first
/// half of a split one: its output is the slices' states (part).
Case attnCase(const std::string &what, int64_t b, int64_t m, int64_t h,
              int64_t n, int64_t topk, int64_t idxLo, int64_t idxHi,
              double scale, int64_t splits = 1);
/// sparse_attention.mlir's @sparse_attention_combine over `rows` rows of h
/// heads and `splits` slices of random states in [0, 1].
Case attnCombineCase(const std::string &what, int64_t rows, int64_t h,
                     int64_t splits);

/// compressor.mlir (prefill): batch b of s tokens, entries of width d with
/// rd rope dims, orows >= s / ratio output rows per batch entry.
struct CompressorShape {
  int64_t b, s, d, rd, ratio, overlap, orows;
};
Case compressorCase(const std::string &what, const CompressorShape &sh);

/// A compressor's configuration (compressor_decode.mlir's state layout).
struct CompressorCfg {
  int64_t d, rd, ratio, overlap;
  int64_t cw() const { return (1 + overlap) * d; }
  int64_t srows() const { return (1 + overlap) * ratio; }
};
/// "d512_rd64_r4_overlap".
std::string cfgName(const CompressorCfg &c);
/// @compressor_decode of the entry at position `pos` from a random state.
Case decodeCase(const CompressorCfg &c, int64_t pos);
/// @compressor_state_write of a decode run: three sequences' tokens at
/// positions pos0.. to random slots in [0, srows) of their states, three
/// blocks of one pool.
Case stateWriteCase(const CompressorCfg &c, int64_t pos0);

/// indexer.mlir @indexer_rotate_quant on `rows` rows of 128.
Case rotateQuantCase(int64_t rows);
/// indexer.mlir @indexer_topk.
/// indexer.mlir @indexer_topk_merge: `rows` rows of `slots` slices' sorted
/// keys; `runs` of them (slot j * stride) merged `group` a program.
struct TopkMergeShape {
  int64_t rows, slots, runs, group, stride, topk;
};
Case topkMergeCase(const TopkMergeShape &t);
struct TopkShape {
  int64_t b, s, nh, krows, nkeys, topk, start, ratio, offset;
  /// Slices of the entries (> 1: the split launch's first half, its
  /// output the slices' keys).
  int64_t splits = 1;
};
/// How the cases lay a TopkShape out: batch entry b's keys are the krows
/// rows from (t.b - 1 - b) * krows (the entries' blocks in reverse order),
/// its first query is at position start + 5 * b, and output rows are
/// topk + 3 slots apart (the last 3 never written).
inline int64_t topkKeyRow0(const TopkShape &t, int64_t b) {
  return (t.b - 1 - b) * t.krows;
}
inline int64_t topkStart(const TopkShape &t, int64_t b) {
  return t.start + 5 * b;
}
inline int64_t topkLd(const TopkShape &t) { return t.topk + 3; }
Case topkCase(const std::string &what, const TopkShape &t);

/// kv_pack.mlir: rows of width ld (>= 512) packed into cache entries.
Case packCase(const std::string &what, int64_t rows, int64_t ld);

/// rope.mlir @rope: x [b, s, nh, hd], the last rd dims rotated at positions
/// pos[b] + i * pstep, pos[b] random in [0, maxPos0].
Case ropeCase(const std::string &what, int64_t b, int64_t s, int64_t nh,
              int64_t hd, int64_t rd, int64_t maxPos0, int64_t pstep,
              int64_t inverse);
/// rope.mlir @rope_table: npos rows of rd 64, base 160000, YaRN when `yarn`.
Case tableCase(const std::string &what, int64_t npos, int64_t yarn);

//===----------------------------------------------------------------------===//
// Engram
//===----------------------------------------------------------------------===//

Case hashCase(int64_t rows, int64_t n, int64_t heads);
Case engramGateCase(int64_t rows, int64_t hc, int64_t d);

struct ConvShape {
  int64_t rows = 11, hc = 4, d = 80, k = 4, dil = 3;
  int64_t width() const { return hc * d; }
  int64_t hist() const { return (k - 1) * dil; }
};
Case convNormCase(const ConvShape &s);
Case convCase(const ConvShape &s);

//===----------------------------------------------------------------------===//
// FFN side, embedding and head
//===----------------------------------------------------------------------===//

/// dense.mlir: groups of y[:, g*n + j] = x[:, g*k ...] . w[g*n + j], row
/// strides ldx and ldy.
struct DenseShape {
  int64_t m, n, k, groups, ldx, ldy;
  int64_t splits = 1; // slices of K (> 1: partial sums in `part`)
};
/// "37x150x300_g1_ld300_150" (+ "_split3").
std::string denseShapeName(const DenseShape &s);
/// @matmul_bf16_f32 when f32Out, else @matmul_bf16.
Case denseCase(const DenseShape &s, bool f32Out);

/// embedding.mlir: ids in [-1, vocab - 1].
Case embeddingCase(int64_t n, int64_t vocab, int64_t dim, int64_t copies);

/// head.mlir: m rows of width d, v vocabulary entries.
struct HeadShape {
  int64_t m, d, v;
};
/// @head: the vocabulary GEMM of m normalised rows.
Case headCase(HeadShape s);
/// @head_rows64: the same in 64x128 blocks.
Case headRows64Case(HeadShape s);
/// @greedy_part: the best of each 4096-id slice of m rows of v random
/// logits; @greedy_token: the greedy id from random slice bests.
Case greedyPartCase(int64_t m, int64_t v);
Case greedyTokenCase(int64_t m, int64_t v);
/// sample.mlir: @sample_part over m rows of v random logits (random
/// temperatures, topP < 1 and draws in [0, 1]); @sample_token from slice
/// results that keep sample_part's promises (each slice's candidates
/// descending, ties across slices), so both of its paths and the host
/// hand-off (-2) are taken.
Case samplePartCase(int64_t m, int64_t v);
Case sampleTokenCase(int64_t m, int64_t v, bool keepAll);
Case headRmsCase(int64_t rows, int64_t hd);

/// linear_fp8.mlir and linear_fp4.mlir: y [m, n] = x [m, k] @ w^T.
struct LinearShape {
  int64_t m, n, k;
};
/// linear_fp8 over `splits` slices of K (> 1: partial sums in `part`).
/// act_quant of an [m, k] activation (LinearShape's n unused).
Case actQuantCase(LinearShape s);
Case fp8Case(LinearShape s, int64_t splits = 1);
/// linear_fp8_rows64: the same y in 64x64 blocks over all of K.
Case fp8Rows64Case(LinearShape s);
Case fp4Case(LinearShape s);
/// linear_fp4.mlir @linear_fp4_grouped: 4 groups of rows (28 in all) over 5
/// stacked experts of [n, k].
Case fp4GroupedCase(int64_t n, int64_t k, int64_t splits = 1);
/// The same with `groups` ((expert, first row, rows) each) over `experts`.
Case fp4GroupedCase(int64_t n, int64_t k, int64_t experts,
                    const std::vector<int64_t> &groups, int64_t splits = 1);

/// mhc.mlir (hc = 4, 20 Sinkhorn iterations) on n tokens of width d.
Case mixCase(int64_t n, int64_t d, int64_t rows);
Case preCase(int64_t n, int64_t d);
Case postCase(int64_t n, int64_t d);
Case headMixCase(int64_t n, int64_t d);

/// moe_combine.mlir @moe_finish on [m, d].
Case finishCase(int64_t m, int64_t d);
/// moe_combine.mlir @moe_scatter_add: one gathered row added into a random
/// row of y [m, d].
Case scatterAddCase(int64_t m, int64_t d);
/// moe_combine.mlir @moe_gather_add: m tokens' k rows each, from a
/// permutation of ye [m * k, d].
Case gatherAddCase(int64_t m, int64_t k, int64_t d);
/// moe_gate.mlir: m tokens, e experts, hash routing through a table of
/// `vocab` rows when `hash`.
Case moeGateCase(int64_t m, int64_t e, bool hash, int64_t vocab);
/// moe_route.mlir @moe_route_count over m tokens' 6 picks (random ints in
/// [0, e): the count needs no distinct picks).
Case routeCountCase(int64_t m, int64_t e);
/// moe_route.mlir @moe_route_place: m tokens' 6 distinct picks each (seeded
/// by `seed`) and their @moe_route_count table, computed here.
Case routePlaceCase(int64_t m, int64_t e, uint64_t seed);

Case mtpCase(int64_t n, int64_t hc, int64_t d);
Case swigluCase(int64_t m, int64_t n, bool weighted, double limit);
Case rmsnormCase(int64_t rows, int64_t dim, int64_t programs = 0);

} // namespace cases
} // namespace dsv4c::v4

#endif
