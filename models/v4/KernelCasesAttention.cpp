//===- KernelCasesAttention.cpp - conformance cases, attention side -------===//
//
// Tolerances as in KernelCases.cpp: relative to max(1, |reference|).
//
//===----------------------------------------------------------------------===//
#include "models/v4/KernelCases.h"
#include "models/v4/KernelCasesUtil.h"

#include <algorithm>
#include <limits>

namespace dsv4c::v4 {

using conformance::Arg;
using T = ElementType;

namespace cases {

using namespace detail;

//===----------------------------------------------------------------------===//
// Attention side
//===----------------------------------------------------------------------===//

// 1e-2: o is bf16 with |o| < 1, probabilities are rounded to bf16 before
// P @ V, and the targets' exp may differ in the last f32 bit, which can move
// a p or o across a bf16 rounding boundary (one ulp). Keys are a pool of
// 584-byte entries in pages of 64 (the three views as three buffers); the
// page table is random (pages may repeat), scales 2^-3 .. 2^0.
Case attnCase(const std::string &what, int64_t b, int64_t m, int64_t h,
              int64_t n, int64_t topk, int64_t idxLo, int64_t idxHi,
              double scale, int64_t splits) {
  const int64_t pages = ceilDiv(n, 64), entries = b * pages * 64;
  // part: the slices' acc [b*m, splits, h, 512], then m and l.
  const int64_t partWords = b * m * splits * h * (512 + 2);
  Arg o = Arg::output(T::BF16, {b, m, h, 512});
  Arg part = Arg::output(T::F32, {splits > 1 ? partWords : 1});
  return Case{"v4.sparse_attention",
              "sparse_attention_" + what,
              kernelText("sparse_attention.mlir", "sparse_attention"),
              {Arg::buffer(T::BF16, {b, m, h, 512}),
               Arg::buffer(T::F8E4M3FN, {entries, kKvEntryBytes}),
               Arg::buffer(T::BF16, {entries, kKvEntryBytes / 2}),
               Arg::scales({entries, kKvEntryBytes}, 124, 127),
               Arg::ints(T::I32, {b, pages}, 0, b * pages - 1),
               Arg::buffer(T::F32, {h}),
               Arg::ints(T::I32, {b, m, topk}, idxLo, idxHi), o, Arg::index(m),
               Arg::index(n), Arg::index(h), Arg::index(topk), Arg::f32(scale),
               Arg::index(splits), part},
              {m, b, ceilDiv(h, 16) * splits},
              1e-2};
}

// 1e-2 as attnCase (o is bf16; exp may differ in the last bit). States in
// [0, 1] (maxima, denominators and accs alike); slices with no key (-inf
// maxima) are SparseAttentionTest's.
Case attnCombineCase(const std::string &what, int64_t rows, int64_t h,
                     int64_t splits) {
  const int64_t slots = rows * splits * h;
  Arg part = Arg::nonNegative(T::F32, {slots * (512 + 2)});
  return Case{"v4.sparse_attention_combine",
              "sparse_attention_combine_" + what,
              kernelText("sparse_attention.mlir", "sparse_attention_combine"),
              {part, Arg::buffer(T::F32, {h}),
               Arg::output(T::BF16, {rows, h, 512}), Arg::index(rows),
               Arg::index(h), Arg::index(splits)},
              {rows, h, 1},
              1e-2};
}

// 4e-2: a last-bit difference of exp may flip the bf16 rounding of a pooled
// value (2^-7 relative), which moves the normalised and rotated bf16 outputs
// (|y| < 4) by up to two bf16 ulps.
Case compressorCase(const std::string &what, const CompressorShape &sh) {
  int64_t cw = (1 + sh.overlap) * sh.d;
  int64_t npos = (sh.s / sh.ratio) * sh.ratio + 1;
  return Case{"v4.compressor",
              "compressor_" + what,
              kernelText("compressor.mlir", "compressor"),
              {Arg::buffer(T::F32, {sh.b, sh.s, cw}),
               Arg::buffer(T::F32, {sh.b, sh.s, cw}),
               Arg::buffer(T::F32, {sh.ratio, cw}),
               Arg::buffer(T::BF16, {sh.d}),
               Arg::buffer(T::F32, {npos, sh.rd / 2, 2}),
               Arg::output(T::BF16, {sh.b, sh.orows, sh.d}), Arg::index(sh.s),
               Arg::index(sh.d), Arg::index(sh.rd), Arg::index(sh.ratio),
               Arg::index(sh.overlap), Arg::index(sh.orows), Arg::f32(1e-6)},
              {sh.s / sh.ratio, sh.b, 1},
              4e-2};
}

std::string cfgName(const CompressorCfg &c) {
  return "d" + str(c.d) + "_rd" + str(c.rd) + "_r" + str(c.ratio) +
         (c.overlap ? "_overlap" : "_plain");
}

// 4e-2 as compressorCase; the shifted state is an exact copy. A decode run
// of three sequences (states in one pool, not in row order): entries at
// positions pos and pos - ratio to out rows 1 and 0; the middle sequence
// emits nothing (its state and no out row touched).
Case decodeCase(const CompressorCfg &c, int64_t pos) {
  const int64_t s = c.srows(), r = c.ratio;
  return Case{
      "v4.compressor_decode",
      "compressor_decode_" + cfgName(c),
      kernelText("compressor_decode.mlir", "compressor_decode"),
      {Arg::buffer(T::F32, {3 * s, c.cw()}),
       Arg::buffer(T::F32, {3 * s, c.cw()}), Arg::buffer(T::BF16, {c.d}),
       Arg::buffer(T::F32, {pos + 1, c.rd / 2, 2}),
       Arg::output(T::BF16, {2, c.d}), Arg::index(c.d), Arg::index(c.rd),
       Arg::index(r), Arg::index(c.overlap),
       Arg::values(T::I32, {3}, {2 * s, 0, s}),
       Arg::values(T::I32, {3}, {1, -1, 0}),
       Arg::values(T::I32, {3}, {pos + r - 1, 0, pos - 1}), Arg::f32(1e-6)},
      {1, 3, 1},
      4e-2};
}

// 0: copies and one f32 addition. Three sequences' decode tokens in one
// launch, at positions pos0, pos0 + 1, pos0 + 2, their states distinct
// blocks of one pool (in another order than the rows): the rows a launch
// writes must be distinct, which random slots are only across blocks.
Case stateWriteCase(const CompressorCfg &c, int64_t pos0) {
  const int64_t b = 3, srows = c.srows();
  return Case{"v4.compressor_state_write",
              "compressor_state_write_" + cfgName(c) + "_pos" + str(pos0),
              kernelText("compressor_decode.mlir", "compressor_state_write"),
              {Arg::buffer(T::F32, {b, c.cw()}),
               Arg::buffer(T::F32, {b, c.cw()}),
               Arg::buffer(T::F32, {c.ratio, c.cw()}),
               Arg::ints(T::I32, {b}, 0, srows - 1),
               Arg::buffer(T::F32, {b * srows, c.cw()}),
               Arg::buffer(T::F32, {b * srows, c.cw()}), Arg::index(1),
               Arg::index(c.cw()), Arg::index(c.ratio),
               Arg::values(T::I32, {b}, {pos0, pos0 + 1, pos0 + 2}),
               Arg::values(T::I32, {b}, {2 * srows, 0, srows})},
              {1, b, 1},
              0};
}

// 0.5: the Hadamard sum's order is not specified, and a last-bit f32
// difference may move a value across a bf16 and then an e2m1 rounding
// boundary: one e2m1 level, at most 2 x the block scale (<= 2^-2 here).
Case rotateQuantCase(int64_t rows) {
  return Case{"v4.indexer_rotate_quant",
              "indexer_rotate_quant_rows" + str(rows),
              kernelText("indexer.mlir", "indexer_rotate_quant"),
              {Arg::buffer(T::BF16, {rows, 128}), Arg::index(rows),
               Arg::values(T::I32, {1}, {-1}), Arg::index(0)},
              {ceilDiv(rows, 16), 1, 1},
              0.5};
}

// 0 (indices). Each (row, slot) holds 1024 distinct descending keys
// (slots interleaved, the last 100 of every third slot empty: INT64_MIN),
// as @indexer_topk's slices write them; runs j at slots j * stride, merged
// `group` a program (one program: the picks; more: runs back into part).
Case topkMergeCase(const TopkMergeShape &t) {
  std::vector<int64_t> part;
  for (int64_t r = 0; r < t.rows; ++r)
    for (int64_t sl = 0; sl < t.slots; ++sl)
      for (int64_t k = 0; k < 1024; ++k)
        part.push_back(sl % 3 == 2 && k >= 924
                           ? std::numeric_limits<int64_t>::min()
                           : (int64_t(1) << 40) - (k * t.slots + sl) * 7 - r);
  const int64_t ld = t.topk + 3;
  return Case{"v4.indexer_topk_merge",
              "indexer_topk_merge_rows" + str(t.rows) + "_slots" +
                  str(t.slots) + "_runs" + str(t.runs) + "_group" +
                  str(t.group) + "_stride" + str(t.stride),
              kernelText("indexer.mlir", "indexer_topk_merge"),
              {Arg::values(T::I64, {t.rows, t.slots, 1024}, part),
               Arg::output(T::I32, {t.rows, ld}), Arg::index(1),
               Arg::index(t.topk), Arg::index(128), Arg::index(ld),
               Arg::index(t.slots), Arg::index(t.runs), Arg::index(t.group),
               Arg::index(t.stride)},
              {1, t.rows, ceilDiv(t.runs, t.group)},
              0};
}

// 0 (indices): both targets evaluate the same specified bf16 roundings.
Case topkCase(const std::string &what, const TopkShape &t) {
  std::vector<int64_t> keyRows, starts;
  for (int64_t b = 0; b < t.b; ++b) {
    keyRows.push_back(topkKeyRow0(t, b));
    starts.push_back(topkStart(t, b));
  }
  return Case{"v4.indexer_topk",
              "indexer_topk_" + what,
              kernelText("indexer.mlir", "indexer_topk"),
              {Arg::buffer(T::BF16, {t.b, t.s, t.nh, 128}),
               Arg::buffer(T::BF16, {t.b, t.krows, 128}),
               Arg::buffer(T::BF16, {t.b, t.s, t.nh}),
               Arg::output(T::I32, {t.b, t.s, topkLd(t)}),
               Arg::values(T::I32, {t.b}, keyRows),
               Arg::values(T::I32, {t.b}, starts), Arg::index(t.s),
               Arg::index(t.nh), Arg::index(t.nkeys), Arg::index(t.topk),
               Arg::index(t.ratio), Arg::index(t.offset), Arg::index(topkLd(t)),
               Arg::f32(0.011048543), Arg::index(t.splits),
               t.splits > 1 ? Arg::output(T::I64, {t.b * t.s, t.splits, 1024})
                            : Arg::output(T::I64, {1})},
              {t.s, t.b, t.splits},
              0};
}

// 0: with a power-of-two scale every step is exact or one specified
// rounding. Rows go to distinct random entries of a pool twice their number;
// the three views of the cache are three buffers here.
Case packCase(const std::string &what, int64_t rows, int64_t ld) {
  const int64_t entries = 2 * rows;
  return Case{"v4.kv_pack",
              "kv_pack_" + what,
              kernelText("kv_pack.mlir", "kv_pack"),
              {Arg::buffer(T::BF16, {rows, ld}),
               Arg::distinct(T::I32, {rows}, entries),
               Arg::output(T::F8E4M3FN, {entries, kKvEntryBytes}),
               Arg::output(T::BF16, {entries, kKvEntryBytes / 2}),
               Arg::output(T::F8E8M0FNU, {entries, kKvEntryBytes}),
               Arg::index(rows), Arg::index(ld)},
              {rows, 1, 1},
              0};
}

// 1e-2: bf16 outputs below 2 in magnitude, and a target may contract
// x*c - y*s into an fma, which can cross a bf16 rounding boundary.
// Batch entry b's rows start at a random position in [0, maxPos0].
Case ropeCase(const std::string &what, int64_t b, int64_t s, int64_t nh,
              int64_t hd, int64_t rd, int64_t maxPos0, int64_t pstep,
              int64_t inverse) {
  int64_t npos = maxPos0 + (s - 1) * pstep + 1;
  return Case{"v4.rope",
              "rope_" + what,
              kernelText("rope.mlir", "rope"),
              {Arg::buffer(T::BF16, {b, s, nh, hd}),
               Arg::buffer(T::F32, {npos, rd / 2, 2}), Arg::index(s),
               Arg::index(nh), Arg::index(hd), Arg::index(rd),
               Arg::ints(T::I32, {b}, 0, maxPos0), Arg::index(pstep),
               Arg::index(inverse), Arg::index(b)},
              {ceilDiv(b * s, 16), 1, ceilDiv(nh, 8)},
              1e-2};
}

// 1e-4: positions < 300, so a one-ulp difference of powf moves an angle by
// < 2e-5. YaRN's correction range 15..25 is V4-Flash's (rd 64, base 160000).
Case tableCase(const std::string &what, int64_t npos, int64_t yarn) {
  return Case{"v4.rope_table",
              "rope_table_" + what,
              kernelText("rope.mlir", "rope_table"),
              {Arg::output(T::F32, {npos, 32, 2}), Arg::index(npos),
               Arg::index(64), Arg::f32(160000), Arg::index(yarn), Arg::f32(16),
               Arg::f32(15), Arg::f32(25)},
              {ceilDiv(npos, 16), 1, 1},
              1e-4};
}

} // namespace cases

} // namespace dsv4c::v4
