//===- ExecutorAttention.cpp - V4 attention: caches and launches ----------===//
//
// Official model.py Attention.forward for one sequence at a time: the
// window ring, the compressor (prefill entries + state hand-off, decode
// state + one entry every `ratio` tokens), the indexer's picks on CSA
// layers, the index lists, sparse attention and the output projection.
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include <cmath>

using namespace dsv4c;
using namespace dsv4c::v4;

namespace {

/// Official get_window_topk_idxs: [count, width] ring rows per query.
std::vector<int32_t> windowIndices(int64_t win, int64_t count, int64_t start,
                                   int64_t &width) {
  std::vector<int32_t> idx;
  if (start == 0) {
    width = std::min(count, win);
    idx.resize(count * width);
    for (int64_t i = 0; i < count; ++i)
      for (int64_t j = 0; j < width; ++j) {
        int64_t t = std::max<int64_t>(i - win + 1, 0) + j;
        idx[i * width + j] = t > i ? -1 : int32_t(t);
      }
    return idx;
  }
  width = win;
  idx.resize(win);
  if (start >= win - 1) {
    int64_t p = start % win, k = 0;
    for (int64_t t = p + 1; t < win; ++t)
      idx[k++] = int32_t(t);
    for (int64_t t = 0; t <= p; ++t)
      idx[k++] = int32_t(t);
  } else {
    for (int64_t t = 0; t < win; ++t)
      idx[t] = t <= start ? int32_t(t) : -1;
  }
  return idx;
}

} // namespace

bool Executor::Impl::attention(int64_t l, const std::vector<Chunk> &chunks,
                               int64_t m) {
  const V4Config &c = config;
  const BlockW &b = blocks[l];
  const int64_t hd = c.headDim, h = c.numHeads;
  if (!linear(b.wqA, s.xn, s.qa, m) ||
      !rmsnorm(s.qa, b.qNorm, s.qr, m, c.qLoraRank) ||
      !linear(b.wqB, s.qr, s.q, m) ||
      // q *= rsqrt(mean(q^2) + eps) per head, in bf16 steps.
      !run("head_rms", {ceilDiv(m * h, 16), 1, 1},
           {KArg::p(s.q), KArg::i(m * h), KArg::i(hd), KArg::f(c.normEps)}) ||
      !linear(b.wkv, s.xn, s.kvp, m) || !rmsnorm(s.kvp, b.kvNorm, s.kv, m, hd))
    return false;
  if (b.ratio) {
    const CompressorW &cw = b.compressor;
    if (!matmulF32(s.xn, cw.wkv, s.ckv, m, cw.width(), c.dim) ||
        !matmulF32(s.xn, cw.wgate, s.cscore, m, cw.width(), c.dim))
      return false;
  }
  if (b.ratio == 4) {
    const CompressorW &cw = b.indexCompressor;
    if (!linear(b.indexWqB, s.qr, s.iq, m) ||
        !run("matmul_bf16", {ceilDiv(m, 16), ceilDiv(c.indexNHeads, 64), 1},
             {KArg::p(s.xn), KArg::p(b.indexWeights), KArg::p(s.iw), KArg::i(m),
              KArg::i(c.indexNHeads), KArg::i(c.dim), KArg::i(c.dim),
              KArg::i(c.indexNHeads)}) ||
        !matmulF32(s.xn, cw.wkv, s.ickv, m, cw.width(), c.dim) ||
        !matmulF32(s.xn, cw.wgate, s.icscore, m, cw.width(), c.dim))
      return false;
  }
  for (const Chunk &ch : chunks)
    if (!attentionChunk(l, ch))
      return false;
  // Grouped low-rank output projection, then wo_b.
  const int64_t groups = c.oGroups, rank = c.oLoraRank;
  const int64_t k = h * hd / groups;
  return run("matmul_bf16", {ceilDiv(m, 16), ceilDiv(rank, 64), groups},
             {KArg::p(s.o), KArg::p(b.woA), KArg::p(s.oa), KArg::i(m),
              KArg::i(rank), KArg::i(k), KArg::i(h * hd),
              KArg::i(groups * rank)}) &&
         linear(b.woB, s.oa, s.ao, m);
}

bool Executor::Impl::compress(const CompressorW &cw, const Chunk &ch,
                              const void *kv, const void *score, void *stateKv,
                              void *stateScore, void *entries, bool indexer,
                              int64_t &emitted) {
  const V4Config &c = config;
  const int64_t r = cw.ratio, d = cw.d, rd = c.ropeHeadDim;
  const int64_t width = cw.width(), n = ch.count, p = ch.start;
  const void *tab = ropeCompressed;
  const void *kvc = f32At(kv, ch.row0 * width);
  const void *scorec = f32At(score, ch.row0 * width);
  emitted = 0;
  // Indexer keys are rotated and FP4-quantised in place; kv entries stay
  // bf16 rows here (the caller packs them into the cache, kv_pack).
  auto quantise = [&](void *rows, int64_t count) {
    return !indexer || run("indexer_rotate_quant", {ceilDiv(count, 16), 1, 1},
                           {KArg::p(rows), KArg::i(count)});
  };
  std::vector<int32_t> slots(n, -1);
  if (p == 0) {
    // Prefill: every whole block becomes an entry; the last block (and,
    // overlapping, the one before it) carry into the decode state.
    const int64_t count = n / r, cutoff = count * r;
    if (count > 0 &&
        (!run("compressor", {count, 1, 1},
              {KArg::p(kvc), KArg::p(scorec), KArg::p(cw.ape), KArg::p(cw.norm),
               KArg::p(tab), KArg::p(entries), KArg::i(n), KArg::i(d),
               KArg::i(rd), KArg::i(r), KArg::i(cw.overlap), KArg::i(count),
               KArg::f(c.normEps)}) ||
         !quantise(entries, count)))
      return false;
    emitted = count;
    if (cw.overlap && cutoff >= r)
      for (int64_t t = cutoff - r; t < cutoff; ++t)
        slots[t] = int32_t(t - (cutoff - r));
    for (int64_t t = cutoff; t < n; ++t)
      slots[t] = int32_t((cw.overlap ? r : 0) + t - cutoff);
  } else {
    slots[0] = int32_t((cw.overlap ? r : 0) + p % r);
  }
  if (!upload(s.slots, slots.data(), n * 4) ||
      !run("compressor_state_write", {n, 1, 1},
           {KArg::p(kvc), KArg::p(scorec), KArg::p(cw.ape), KArg::p(s.slots),
            KArg::p(stateKv), KArg::p(stateScore), KArg::i(n), KArg::i(width),
            KArg::i(r), KArg::i(p)}))
    return false;
  if (p > 0 && (p + 1) % r == 0) {
    void *row = indexer ? bf16At(entries, (p / r) * d) : entries;
    if (!run("compressor_decode", {1, 1, 1},
             {KArg::p(stateKv), KArg::p(stateScore), KArg::p(cw.norm),
              KArg::p(tab), KArg::p(row), KArg::i(d), KArg::i(rd), KArg::i(r),
              KArg::i(cw.overlap), KArg::i(p + 1 - r), KArg::f(c.normEps)}) ||
        !quantise(row, 1))
      return false;
    emitted = 1;
  }
  return true;
}

bool Executor::Impl::attentionChunk(int64_t l, const Chunk &ch) {
  const V4Config &c = config;
  const BlockW &b = blocks[l];
  BlockCache &cache = sequences[ch.sequence].blocks[l];
  const int64_t hd = c.headDim, h = c.numHeads, rd = c.ropeHeadDim;
  const int64_t n = ch.count, p = ch.start, win = c.windowSize;
  const int64_t r = b.ratio;
  const bool prefill = p == 0;
  const void *tab = r ? ropeCompressed : ropePlain;
  void *q = bf16At(s.q, ch.row0 * h * hd);
  void *kv = bf16At(s.kv, ch.row0 * hd);
  void *o = bf16At(s.o, ch.row0 * h * hd);
  auto rope = [&](void *x, int64_t heads, int64_t width, bool inverse) {
    return run("rope", {ceilDiv(n, 16), 1, ceilDiv(heads, 8)},
               {KArg::p(x), KArg::p(tab), KArg::i(n), KArg::i(heads),
                KArg::i(width), KArg::i(rd), KArg::i(p), KArg::i(1),
                KArg::i(inverse ? 1 : 0)});
  };
  if (!rope(q, h, hd, false) || !rope(kv, 1, hd, false))
    return false;

  // Keys are cache entries (kv_pack): a prefill attends over its own rows
  // plus the entries it compresses (kvAll, identity pages), a decode over
  // the cache (the ring, then the compressed entries).
  const int64_t cacheRows = win + (r ? options.maxSeqLen / r : 0);
  void *pool = kvPools[l].base;
  auto cacheSlot = [&](int64_t e) {
    return cache.pages[e / kKvPageEntries] * int32_t(kKvPageEntries) +
           int32_t(e % kKvPageEntries);
  };
  int64_t keyRows = prefill ? n : cacheRows;
  std::vector<int32_t> slots;
  if (prefill)
    for (int64_t t = 0; t < n; ++t)
      slots.push_back(int32_t(t));
  else
    slots.push_back(cacheSlot(p % win));
  if (!packEntries(kv, n, slots, prefill ? s.kvAll : pool))
    return false;

  // Index lists: window, then compressed entries (offset past the window
  // part of `keys`).
  int64_t windowWidth = 0;
  std::vector<int32_t> windowIdx = windowIndices(win, n, p, windowWidth);
  const int64_t offset = prefill ? n : win;
  int64_t compWidth = 0;
  std::vector<int32_t> compIdx;
  if (r) {
    int64_t emitted = 0;
    if (!compress(b.compressor, ch, s.ckv, s.cscore, cache.stateKv,
                  cache.stateScore, s.entries, false, emitted))
      return false;
    // Entry e of the compressed part is logical entry win + e of the cache
    // (a prefill's 0.., a decode's p / r) and, in a prefill, key n + e.
    std::vector<int32_t> toCache, toKeys;
    for (int64_t e = 0; e < emitted; ++e) {
      toCache.push_back(cacheSlot(win + (prefill ? e : p / r)));
      toKeys.push_back(int32_t(n + e));
    }
    if (!packEntries(s.entries, emitted, toCache, pool) ||
        (prefill && !packEntries(s.entries, emitted, toKeys, s.kvAll)))
      return false;
    if (prefill)
      keyRows += emitted;
    if (r == 4) {
      compWidth = c.indexTopk;
    } else if (prefill) {
      compWidth = n / r; // official get_compress_topk_idxs
      compIdx.assign(n * compWidth, -1);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < (i + 1) / r; ++j)
          compIdx[i * compWidth + j] = int32_t(j + offset);
    } else {
      compWidth = (p + 1) / r;
      for (int64_t j = 0; j < compWidth; ++j)
        compIdx.push_back(int32_t(j + offset));
    }
  }
  const int64_t width = windowWidth + compWidth;
  std::vector<int32_t> idx(n * width, -1);
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(&windowIdx[i * windowWidth], windowWidth, &idx[i * width]);
    if (!compIdx.empty())
      std::copy_n(&compIdx[i * compWidth], compWidth,
                  &idx[i * width + windowWidth]);
  }
  if (width > s.idxWidth)
    return fail("internal: index list wider than its buffer");
  if (!upload(s.idx, idx.data(), idx.size() * 4))
    return false;

  if (r == 4) {
    // Lightning indexer: its own rotated FP4 query and compressed keys.
    const CompressorW &icw = b.indexCompressor;
    const int64_t inh = c.indexNHeads, ihd = c.indexHeadDim;
    void *iq = bf16At(s.iq, ch.row0 * inh * ihd);
    int64_t emitted = 0;
    if (!rope(iq, inh, ihd, false) ||
        !run("indexer_rotate_quant", {ceilDiv(n * inh, 16), 1, 1},
             {KArg::p(iq), KArg::i(n * inh)}) ||
        !compress(icw, ch, s.ickv, s.icscore, cache.indexStateKv,
                  cache.indexStateScore, cache.indexKeys, true, emitted))
      return false;
    const int64_t visible = (p + n) / 4;
    if (visible > 0) {
      const double wscale =
          std::pow(double(ihd), -0.5) * std::pow(double(inh), -0.5);
      std::string e;
      if (!run("indexer_topk", {n, 1, 1},
               {KArg::p(iq), KArg::p(cache.indexKeys),
                KArg::p(bf16At(s.iw, ch.row0 * inh)), KArg::p(s.picks),
                KArg::i(n), KArg::i(inh), KArg::i(options.maxSeqLen / 4),
                KArg::i(visible), KArg::i(c.indexTopk), KArg::i(p), KArg::i(4),
                KArg::i(offset), KArg::f(float(wscale))}) ||
          !(device.copy2D(at(s.idx, windowWidth, 4), width * 4, s.picks,
                          c.indexTopk * 4, c.indexTopk * 4, n, e) ||
            fail(e)))
        return false;
    }
  }

  const double scale = 1.0 / std::sqrt(double(hd));
  void *keys = prefill ? s.kvAll : pool;
  const void *pages = prefill ? s.kvAllPages : cache.pageTable;
  if (!run("sparse_attention", {n, 1, ceilDiv(h, 16)},
           {KArg::p(q), KArg::p(keys), KArg::p(keys), KArg::p(keys),
            KArg::p(pages), KArg::p(b.sink), KArg::p(s.idx), KArg::p(o),
            KArg::i(n), KArg::i(keyRows), KArg::i(h), KArg::i(width),
            KArg::f(float(scale))}) ||
      !rope(o, h, hd, true))
    return false;

  if (!prefill)
    return true;
  // The ring keeps the last `win` positions at entry pos % win.
  const int64_t first = std::max<int64_t>(0, n - win);
  std::vector<int32_t> ring;
  for (int64_t t = first; t < n; ++t)
    ring.push_back(cacheSlot(t % win));
  return packEntries(bf16At(kv, first * hd), n - first, ring, pool);
}
