//===- ExecutorAttention.cpp - V4 attention: caches and launches ----------===//
//
// Official model.py Attention.forward for one sequence at a time: the
// window ring, the compressor (prefill entries + state hand-off, decode
// state + one entry every `ratio` tokens), the indexer's picks on CSA
// layers, the index lists, sparse attention and the output projection.
// A prefill into a sequence that holds tokens (an extension: chunked
// prefill) attends over the cache's entries copied next to its rows, and
// takes its first compressed entry from the state (the previous block).
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include <cmath>

using namespace dsv4c;
using namespace dsv4c::v4;

bool Executor::Impl::attention(int64_t l, const std::vector<Chunk> &chunks,
                               int64_t m) {
  const V4Config &c = config;
  const BlockW &b = blocks[l];
  const int64_t hd = c.headDim, h = localHeads;
  // wq_a and wkv read the same x (quantised once).
  if (!linears(s.xn, m, {{&b.wqA, s.qa}, {&b.wkv, s.kvp}}) ||
      !rmsnorm(s.qa, b.qNorm, s.qr, m, c.qLoraRank) ||
      !linear(b.wqB, s.qr, s.q, m) ||
      // q *= rsqrt(mean(q^2) + eps) per head, in bf16 steps.
      !run("head_rms", {ceilDiv(m * h, 16), 1, 1},
           {KArg::p(s.q), KArg::i(m * h), KArg::i(hd), KArg::f(c.normEps)}) ||
      !rmsnorm(s.kvp, b.kvNorm, s.kv, m, hd))
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
        !dense(s.xn, b.indexWeights, s.iw, m, c.indexNHeads, c.dim, c.dim,
               c.indexNHeads, 1, false) ||
        !matmulF32(s.xn, cw.wkv, s.ickv, m, cw.width(), c.dim) ||
        !matmulF32(s.xn, cw.wgate, s.icscore, m, cw.width(), c.dim))
      return false;
  }
  // Prefill chunks one at a time; each run of decode chunks at once.
  const std::vector<RunArgs> &runs = runArgs[l];
  for (size_t i = 0, run = 0; i < chunks.size();) {
    const RunArgs *ra =
        run < runs.size() && runs[run].first == i ? &runs[run++] : nullptr;
    const size_t end = ra ? ra->end : i + 1;
    if (!attentionGroup(l, chunks, i, end, ra))
      return false;
    i = end;
  }
  // Grouped low-rank output projection, then wo_b (row-parallel: the
  // ranks' partial sums added).
  const int64_t groups = localGroups, rank = c.oLoraRank;
  const int64_t k = h * hd / groups;
  return dense(s.o, b.woA, s.oa, m, rank, k, h * hd, groups * rank, groups,
               false) &&
         linear(b.woB, s.oa, s.ao, m) && allReduceBf16(s.ao, m * c.dim);
}

bool Executor::Impl::writeStates(const CompressorW &cw, const void *kv,
                                 const void *score, int64_t row0, int64_t n,
                                 int64_t batch, int64_t slots,
                                 const void *positions, int64_t rows0,
                                 StatePool &pool) {
  const int64_t width = cw.width();
  return run("compressor_state_write", {n, batch, 1},
             {KArg::p(f32At(kv, row0 * width)),
              KArg::p(f32At(score, row0 * width)), KArg::p(cw.ape),
              KArg::p(stepArg(slots)), KArg::p(pool.kv.base),
              KArg::p(pool.score.base), KArg::i(n), KArg::i(width),
              KArg::i(cw.ratio), KArg::p(positions), KArg::p(stepArg(rows0))});
}

bool Executor::Impl::compress(const CompressorW &cw, const Chunk &ch,
                              const void *kv, const void *score, void *entries,
                              bool indexer, int64_t emitted) {
  const V4Config &c = config;
  const int64_t width = cw.width();
  // Every whole block becomes an entry (the last block and, overlapping,
  // the one before it went to the state: writeStates). Indexer keys are
  // rotated and FP4-quantised in place; kv entries stay bf16 rows here (the
  // caller packs them into the cache, kv_pack). The kernel ropes entry e at
  // position e * ratio of its table: the table from the chunk's start.
  return emitted == 0 ||
         (run("compressor", {emitted, 1, 1},
              {KArg::p(f32At(kv, ch.row0 * width)),
               KArg::p(f32At(score, ch.row0 * width)), KArg::p(cw.ape),
               KArg::p(cw.norm),
               KArg::p(f32At(ropeCompressed, ch.start * c.ropeHeadDim)),
               KArg::p(entries), KArg::i(ch.count), KArg::i(cw.d),
               KArg::i(c.ropeHeadDim), KArg::i(cw.ratio), KArg::i(cw.overlap),
               KArg::i(emitted), KArg::f(c.normEps)}) &&
          (!indexer || run("indexer_rotate_quant", {ceilDiv(emitted, 16), 1, 1},
                           {KArg::p(entries), KArg::i(emitted), KArg::p(zeros),
                            KArg::i(0)})));
}

bool Executor::Impl::compressDecode(const CompressorW &cw, int64_t batch,
                                    const void *positions, StatePool &pool,
                                    int64_t rows0, int64_t outRows, void *out,
                                    bool indexer) {
  const V4Config &c = config;
  const void *rows = stepArg(outRows);
  return run("compressor_decode", {1, batch, 1},
             {KArg::p(pool.kv.base), KArg::p(pool.score.base), KArg::p(cw.norm),
              KArg::p(ropeCompressed), KArg::p(out), KArg::i(cw.d),
              KArg::i(c.ropeHeadDim), KArg::i(cw.ratio), KArg::i(cw.overlap),
              KArg::p(stepArg(rows0)), KArg::p(rows), KArg::p(positions),
              KArg::f(c.normEps)}) &&
         (!indexer ||
          run("indexer_rotate_quant", {batch, 1, 1},
              {KArg::p(out), KArg::i(batch), KArg::p(rows), KArg::i(1)}));
}

bool Executor::Impl::mergeTopk(int64_t n, int64_t batch, int64_t splits,
                               const void *picks, int64_t offset,
                               int64_t width) {
  // A tree over s.splitPart's slices: up to 4 in one program; more in
  // programs of 4, then one program over their runs (4 slots apart).
  auto merge = [&](int64_t runs, int64_t group, int64_t stride) {
    return run("indexer_topk_merge", {n, batch, ceilDiv(runs, group)},
               {KArg::p(s.splitPart), KArg::p(picks), KArg::i(n),
                KArg::i(config.indexTopk), KArg::i(offset), KArg::i(width),
                KArg::i(splits), KArg::i(runs), KArg::i(group),
                KArg::i(stride)});
  };
  if (splits <= 4)
    return merge(splits, splits, 1);
  const int64_t groups = ceilDiv(splits, 4);
  return merge(splits, 4, 1) && merge(groups, groups, 4);
}

bool Executor::Impl::attentionGroup(int64_t l, const std::vector<Chunk> &chunks,
                                    size_t first, size_t end,
                                    const RunArgs *decode) {
  const V4Config &c = config;
  const BlockW &b = blocks[l];
  const int64_t hd = c.headDim, h = localHeads, win = c.windowSize;
  const int64_t r = b.ratio;
  // A prefill (one chunk of n rows) or a decode run (`batch` chunks of one
  // row each, at their own positions and caches).
  const Chunk &head = chunks[first];
  const ChunkArgs &ha = chunkArgs[l][first];
  const bool prefill = decode == nullptr;
  const int64_t batch = int64_t(end - first), n = prefill ? head.count : 1;
  const int64_t rows = batch * n;
  const void *tab = r ? ropeCompressed : ropePlain;
  void *q = bf16At(s.q, head.row0 * h * hd);
  void *kv = bf16At(s.kv, head.row0 * hd);
  void *o = bf16At(s.o, head.row0 * h * hd);
  const void *positions = at(stepArg(stepPositions), int64_t(first), 4);
  auto rope = [&](void *x, int64_t heads, int64_t width, bool inverse) {
    return run("rope", {ceilDiv(batch * n, 16), 1, ceilDiv(heads, 8)},
               {KArg::p(x), KArg::p(tab), KArg::i(n), KArg::i(heads),
                KArg::i(width), KArg::i(c.ropeHeadDim), KArg::p(positions),
                KArg::i(1), KArg::i(inverse ? 1 : 0), KArg::i(batch)});
  };
  if (!rope(q, h, hd, false) || !rope(kv, 1, hd, false))
    return false;

  // Keys are cache entries (kv_pack): a prefill attends over its own rows
  // plus the entries it compresses (kvAll, identity pages); an extension
  // (a prefill into a sequence that holds tokens) over the cache's entries
  // copied to kvAll, then its rows and new entries; a decode over its cache
  // (the ring, then the compressed entries).
  const bool extend = prefill && ha.extend;
  const BlockCache &cache = sequences[head.sequence].blocks[l];
  const int64_t cacheRows = cacheRowsOf(b);
  void *pool = kvPools[l].base;
  int64_t keyRows = extend ? cacheRows + n : prefill ? n : cacheRows;
  // An extension reads the entries the sequence has written so far (its
  // index lists name no other).
  if ((extend && !copyPages(l, cache, usedRowsOf(b, head.start), s.kvAll)) ||
      !packEntries(kv, rows, stepArg(ha.ownSlots), prefill ? s.kvAll : pool))
    return false;
  // An extension's first entry pools the previous block (in the state, from
  // the chunk before) with its first block (to the state's current rows
  // here); compress's first entry, which saw no previous block, is then
  // replaced.
  auto firstEntry = [&](const CompressorW &cw, const void *kvRows,
                        const void *scoreRows, StatePool &pool,
                        int64_t stateRows, int64_t outRow, void *out,
                        bool indexer) {
    return !extend || ha.firstBlockSlots < 0 ||
           (writeStates(cw, kvRows, scoreRows, head.row0, n, 1,
                        ha.firstBlockSlots, positions, stateRows, pool) &&
            compressDecode(cw, 1, stepArg(ha.firstEntryPos), pool, stateRows,
                           outRow, out, indexer));
  };
  // The compressors' states (one launch for the group): a decode run's
  // rows before they are pooled, a prefill's hand-off after its entries
  // (an extension's first entry reads the state it replaces).
  auto states = [&] {
    return writeStates(b.compressor, s.ckv, s.cscore, head.row0, n, batch,
                       prefill ? ha.stateSlots : decode->stateSlots, positions,
                       prefill ? ha.stateRows : decode->stateRows,
                       statePools[size_t(l)]);
  };
  if (r && !prefill && !states())
    return false;
  // New compressed entries: a prefill's whole blocks, a decode run's rows
  // whose token completes one (launched whichever rows do: the same
  // launches every step).
  if (r && prefill) {
    if (!compress(b.compressor, head, s.ckv, s.cscore, s.entries, false,
                  ha.emitted) ||
        !firstEntry(b.compressor, s.ckv, s.cscore, statePools[size_t(l)],
                    ha.stateRows, ha.firstEntryRow, s.entries, false) ||
        !packEntries(s.entries, ha.emitted, stepArg(ha.entrySlots), pool) ||
        !packEntries(s.entries, ha.emitted, stepArg(ha.entryKeys), s.kvAll))
      return false;
    if (!extend)
      keyRows += ha.emitted;
  }
  if (r && !prefill &&
      (!compressDecode(b.compressor, batch, positions, statePools[size_t(l)],
                       decode->stateRows, decode->entryRows, s.entries,
                       false) ||
       !packEntries(s.entries, batch, stepArg(decode->entrySlots), pool)))
    return false;
  if (r && prefill && !states())
    return false;

  if (r == 4) {
    // Lightning indexer: its own rotated FP4 query and compressed keys;
    // its picks replace the compressed part of the index lists.
    const CompressorW &icw = b.indexCompressor;
    const int64_t inh = c.indexNHeads, ihd = c.indexHeadDim;
    const double wscale =
        std::pow(double(ihd), -0.5) * std::pow(double(inh), -0.5);
    if (!rope(bf16At(s.iq, head.row0 * inh * ihd), inh, ihd, false) ||
        !run("indexer_rotate_quant", {ceilDiv(rows * inh, 16), 1, 1},
             {KArg::p(bf16At(s.iq, head.row0 * inh * ihd)), KArg::i(rows * inh),
              KArg::p(zeros), KArg::i(0)}))
      return false;
    auto indexStates = [&] {
      return writeStates(icw, s.ickv, s.icscore, head.row0, n, batch,
                         prefill ? ha.indexStateSlots : decode->indexStateSlots,
                         positions,
                         prefill ? ha.indexStateRows : decode->indexStateRows,
                         indexStatePools[size_t(l)]);
    };
    if (!prefill && !indexStates())
      return false;
    if (prefill
            ? !compress(icw, head, s.ickv, s.icscore,
                        bf16At(indexKeysOf(l, cache),
                               (head.start / 4) * c.indexHeadDim),
                        true, ha.emitted) ||
                  !firstEntry(icw, s.ickv, s.icscore,
                              indexStatePools[size_t(l)], ha.indexStateRows,
                              ha.firstIndexKeyRow,
                              indexKeyPools[size_t(l)].base, true)
            : !compressDecode(icw, batch, positions, indexStatePools[size_t(l)],
                              decode->indexStateRows, decode->indexEntryRows,
                              indexKeyPools[size_t(l)].base, true))
      return false;
    if (prefill && !indexStates())
      return false;
    // The picks of every row of the group, written in place into the index
    // lists past their window part (rows with no visible entry get -1s).
    // Pick t is key t + offset: a prefill's entries follow its rows; an
    // extension's and a decode's are the cache's logical entries win + t.
    const int64_t width = prefill ? ha.width : decode->width;
    void *idx = const_cast<void *>(stepArg(prefill ? ha.idx : decode->idx));
    // Few queries (a decode of few sequences): split each query's entries
    // over more programs (GPUs only), their running top-1024 keys (8 KiB
    // each) merged by indexer_topk_merge. The entries the longest row sees.
    int64_t visible = 0;
    for (size_t i = first; i < end; ++i)
      visible = std::max(visible, (chunks[i].start + chunks[i].count) / 4);
    const int64_t topkSplits =
        splitsFor(rows, ceilDiv(visible, 128), rows, 2048);
    const void *picks = at(idx, ha.windowWidth, 4);
    if (!run("indexer_topk", {n, batch, topkSplits},
             {KArg::p(bf16At(s.iq, head.row0 * inh * ihd)),
              KArg::p(indexKeyPools[size_t(l)].base),
              KArg::p(bf16At(s.iw, head.row0 * inh)), KArg::p(picks),
              KArg::p(stepArg(prefill ? ha.keyRows : decode->keyRows)),
              KArg::p(positions), KArg::i(n), KArg::i(inh),
              KArg::i(options.maxSeqLen / 4), KArg::i(c.indexTopk), KArg::i(4),
              KArg::i(prefill && !extend ? n : win), KArg::i(width),
              KArg::f(float(wscale)), KArg::i(topkSplits),
              KArg::p(s.splitPart)}) ||
        (topkSplits > 1 && !mergeTopk(n, batch, topkSplits, picks,
                                      prefill && !extend ? n : win, width)))
      return false;
  }

  const double scale = 1.0 / std::sqrt(double(hd));
  void *keys = prefill ? s.kvAll : pool;
  const void *pages = prefill ? s.kvAllPages : stepArg(decode->pages);
  // Few programs (a decode of few sequences): split the index slots over
  // more, joined by sparse_attention_combine (GPUs only; at most kMaxSplits
  // = 16 slices, the combine's tile). Slice states: acc, m and l per head.
  static_assert(kMaxSplits <= 16);
  const int64_t splits =
      splitsFor(rows * ceilDiv(h, 16), ceilDiv(ha.width, 64), rows, h * 514);
  if (!run("sparse_attention", {n, batch, ceilDiv(h, 16) * splits},
           {KArg::p(q), KArg::p(keys), KArg::p(keys), KArg::p(keys),
            KArg::p(pages), KArg::p(b.sink), KArg::p(stepArg(ha.idx)),
            KArg::p(o), KArg::i(n), KArg::i(keyRows), KArg::i(h),
            KArg::i(ha.width), KArg::f(float(scale)), KArg::i(splits),
            KArg::p(s.splitPart)}) ||
      (splits > 1 && !run("sparse_attention_combine", {rows, h, 1},
                          {KArg::p(s.splitPart), KArg::p(b.sink), KArg::p(o),
                           KArg::i(rows), KArg::i(h), KArg::i(splits)})) ||
      !rope(o, h, hd, true))
    return false;
  // A prefill's last `win` rows go to the ring.
  return !prefill || packEntries(bf16At(kv, ha.ringFirst * hd),
                                 n - ha.ringFirst, stepArg(ha.ringSlots), pool);
}
