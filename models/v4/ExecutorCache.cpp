//===- ExecutorCache.cpp - V4's per-sequence caches and KV pages ----------===//
//
// Each sequence's caches per block: the KV cache's pages (taken from the
// block's pool, KvCacheLayout.h), the compressor states and the indexer's
// keys (rows of the block's state and index-key pools, so that one launch
// reaches every sequence's); kv_pack, which writes cache entries; and the
// caches' sizes (Executor::cacheSize, the grid a chunked prefill keeps to).
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include <algorithm>
#include <climits>
#include <numeric>

using namespace dsv4c;
using namespace dsv4c::v4;

bool Executor::Impl::initCaches(Sequence &seq) {
  const V4Config &c = config;
  const int64_t n = options.maxSeqLen;
  seq.blocks.resize(blocks.size());
  kvPools.resize(blocks.size());
  indexKeyPools.resize(blocks.size());
  statePools.resize(blocks.size());
  indexStatePools.resize(blocks.size());
  for (size_t l = 0; l < blocks.size(); ++l) {
    const BlockW &b = blocks[l];
    BlockCache &bc = seq.blocks[l];
    if (bc.pages.empty() &&
        !takePages(l, ceilDiv(cacheRowsOf(b), kKvPageEntries), bc.pages))
      return false;
    // A reused sequence's pages that a fork shares become its own again.
    for (int32_t &page : bc.pages)
      if (pageRefs[l][size_t(page)] > 1) {
        std::vector<int32_t> fresh;
        if (!takePages(l, 1, fresh))
          return false;
        dropPage(l, page);
        page = fresh[0];
      }
    auto state = [&](const CompressorW &cw, StatePool &pool, int64_t &row0) {
      const int64_t words = cw.stateRows() * cw.width();
      int64_t unit = 0, scoreUnit = 0;
      if (row0 < 0) {
        // Both pools grow alike, so a unit has one number in both.
        if (!takeUnits(pool.kv, 1, words * 4, unit) ||
            !takeUnits(pool.score, 1, words * 4, scoreUnit))
          return false;
        if (unit != scoreUnit)
          return fail("compressor state pools out of step");
        row0 = unit * cw.stateRows();
      }
      // Official reset: kv_state zeros, score_state -inf.
      return fill32(f32At(pool.kv.base, row0 * cw.width()), 0, words) &&
             fill32(f32At(pool.score.base, row0 * cw.width()), 0xFF800000u,
                    words);
    };
    if (b.ratio && !state(b.compressor, statePools[l], bc.stateRow0))
      return false;
    if (b.ratio == 4) {
      int64_t unit = 0;
      if (bc.indexKeyRow0 < 0) {
        if (!takeUnits(indexKeyPools[l], 1, (n / 4) * c.indexHeadDim * 2, unit))
          return false;
        bc.indexKeyRow0 = unit * (n / 4);
      }
      if (!state(b.indexCompressor, indexStatePools[l], bc.indexStateRow0))
        return false;
    }
  }
  if (c.engram) {
    const int64_t words = c.engram->convHistory() * c.hcMult * c.dim;
    for (size_t l = 0; l < blocks.size(); ++l)
      if (blocks[l].engram >= 0) {
        void *&state = seq.blocks[l].engramConv;
        if (words && ((!state && !(state = alloc(words * 4))) ||
                      !fill32(state, 0, words)))
          return false;
      }
    seq.engramRecent.assign(c.engram->maxNgram - 1, engramPad);
  }
  seq.length = 0;
  return true;
}

bool Executor::Impl::takePages(size_t b, int64_t count,
                               std::vector<int32_t> &pages) {
  if (kvPools[b].used + count > INT32_MAX / kKvPageEntries)
    return fail("KV cache: more than 2^31 entries in one layer");
  pageRefs.resize(blocks.size());
  freePages.resize(blocks.size());
  std::vector<int32_t> &refs = pageRefs[b], &free = freePages[b];
  // Pages no sequence holds first (their entries are written before they
  // are read; the padding byte of every entry is never written: zeros).
  for (; count > 0 && !free.empty(); --count) {
    pages.push_back(free.back());
    refs[size_t(free.back())] = 1;
    free.pop_back();
  }
  int64_t first = 0;
  if (count == 0)
    return true;
  if (!takeUnits(kvPools[b], count, kKvPageBytes, first))
    return false;
  refs.resize(size_t(kvPools[b].used), 0);
  for (int64_t i = 0; i < count; ++i) {
    pages.push_back(int32_t(first + i));
    refs[size_t(first + i)] = 1;
  }
  return true;
}

void Executor::Impl::dropPage(size_t b, int32_t page) {
  if (--pageRefs[b][size_t(page)] == 0)
    freePages[b].push_back(page);
}

void Executor::Impl::sharePages(const Sequence &src, Sequence &dst) {
  // Not the MTP blocks: mtpStep writes a step's entries after the step has
  // counted its tokens, so a fork between the two would share a page its
  // source still writes.
  for (size_t l = 0; l < size_t(config.numLayers); ++l) {
    // Whole pages of compressed entries: written once, never again (the
    // ring's pages are rewritten, and a partly used page gets more).
    const int64_t first = ceilDiv(config.windowSize, kKvPageEntries),
                  end = usedRowsOf(blocks[l], src.length) / kKvPageEntries;
    for (int64_t p = first; p < end; ++p) {
      int32_t &mine = dst.blocks[l].pages[size_t(p)];
      const int32_t theirs = src.blocks[l].pages[size_t(p)];
      if (mine == theirs)
        continue;
      dropPage(l, mine);
      mine = theirs;
      ++pageRefs[l][size_t(theirs)];
    }
  }
}

bool Executor::Impl::takeUnits(KvPool &pool, int64_t count, int64_t unitBytes,
                               int64_t &first) {
  if (pool.used + count > pool.capacity) {
    const int64_t capacity = std::max(pool.used + count, 2 * pool.capacity);
    void *grown = alloc(capacity * unitBytes);
    if (!grown || !fill32(grown, 0, capacity * unitBytes / 4) ||
        (pool.used && !copy(grown, pool.base, pool.used * unitBytes)))
      return false;
    if (pool.base && !releaseOwned(pool.base))
      return false;
    pool.base = grown;
    pool.capacity = capacity;
  }
  first = pool.used;
  pool.used += count;
  return true;
}

void *Executor::Impl::indexKeysOf(int64_t l, const BlockCache &cache) const {
  return bf16At(indexKeyPools[size_t(l)].base,
                cache.indexKeyRow0 * config.indexHeadDim);
}

bool Executor::Impl::packEntries(const void *rows, int64_t count,
                                 const void *slots, void *cache) {
  return count == 0 ||
         run("kv_pack", {count, 1, 1},
             {KArg::p(rows), KArg::p(slots), KArg::p(cache), KArg::p(cache),
              KArg::p(cache), KArg::i(count), KArg::i(config.headDim)});
}

int64_t Executor::Impl::cacheRowsOf(const BlockW &b) const {
  return config.windowSize + (b.ratio ? options.maxSeqLen / b.ratio : 0);
}

int64_t Executor::Impl::usedRowsOf(const BlockW &b, int64_t length) const {
  return config.windowSize + (b.ratio ? length / b.ratio : 0);
}

std::vector<Executor::Impl::CachePiece>
Executor::Impl::pageRuns(size_t l, const BlockCache &cache,
                         int64_t entries) const {
  const int64_t count = ceilDiv(entries, kKvPageEntries);
  char *pool = static_cast<char *>(kvPools[l].base);
  std::vector<CachePiece> runs;
  for (int64_t i = 0; i < count;) {
    int64_t j = i + 1;
    while (j < count &&
           cache.pages[size_t(j)] == cache.pages[size_t(j - 1)] + 1)
      ++j;
    runs.push_back({pool + int64_t(cache.pages[size_t(i)]) * kKvPageBytes,
                    size_t(j - i) * kKvPageBytes});
    i = j;
  }
  return runs;
}

bool Executor::Impl::copyPages(int64_t l, const BlockCache &from,
                               int64_t entries, void *dst) {
  char *out = static_cast<char *>(dst);
  for (const CachePiece &run : pageRuns(size_t(l), from, entries)) {
    if (!copy(out, run.at, run.bytes))
      return false;
    out += run.bytes;
  }
  return true;
}

int64_t Executor::Impl::longestCache() const {
  int64_t longest = 0;
  for (const BlockW &b : blocks)
    longest = std::max(longest, cacheRowsOf(b));
  return longest;
}

int64_t Executor::Impl::extendAlignment() const {
  int64_t align = 1;
  for (const BlockW &b : blocks)
    if (b.ratio)
      align = std::lcm(align, b.ratio);
  return align;
}

Executor::CacheSize Executor::cacheSize() const {
  // As Impl::initCaches allocates.
  const V4Config &c = impl_->config;
  const int64_t n = impl_->options.maxSeqLen;
  CacheSize size;
  auto state = [&](const CompressorW &cw) {
    return cw.stateRows() * cw.width() * 4 * 2; // kv, score
  };
  for (const BlockW &b : impl_->blocks) {
    size.perSequence +=
        ceilDiv(impl_->cacheRowsOf(b), kKvPageEntries) * kKvPageBytes;
    if (b.ratio) {
      size.perSequence += state(b.compressor);
      size.perToken += double(kKvEntryBytes) / double(b.ratio);
    }
    if (b.ratio == 4) {
      size.perSequence +=
          (n / 4) * c.indexHeadDim * 2 + state(b.indexCompressor);
      size.perToken += double(c.indexHeadDim * 2) / 4;
    }
    if (b.engram >= 0 && c.engram)
      size.perSequence += c.engram->convHistory() * c.hcMult * c.dim * 4;
  }
  return size;
}

std::vector<Executor::Impl::CachePiece>
Executor::Impl::cachePieces(const Sequence &seq, int64_t length) const {
  const V4Config &c = config;
  std::vector<CachePiece> pieces;
  auto add = [&](void *at, int64_t bytes) {
    if (bytes > 0)
      pieces.push_back({at, size_t(bytes)});
  };
  for (size_t l = 0; l < blocks.size(); ++l) {
    const BlockW &b = blocks[l];
    const BlockCache &bc = seq.blocks[l];
    // Runs of consecutive pages, one piece each. Only within a pool: two
    // device allocations may lie side by side, but one copy must not span
    // them (CUDA refuses it).
    for (const CachePiece &run : pageRuns(l, bc, usedRowsOf(b, length)))
      pieces.push_back(run);
    auto state = [&](const CompressorW &cw, const StatePool &sp, int64_t row0) {
      const int64_t words = cw.stateRows() * cw.width();
      add(f32At(sp.kv.base, row0 * cw.width()), words * 4);
      add(f32At(sp.score.base, row0 * cw.width()), words * 4);
    };
    if (b.ratio)
      state(b.compressor, statePools[l], bc.stateRow0);
    if (b.ratio == 4) {
      state(b.indexCompressor, indexStatePools[l], bc.indexStateRow0);
      add(indexKeysOf(int64_t(l), bc), (length / 4) * c.indexHeadDim * 2);
    }
    if (bc.engramConv && c.engram)
      add(bc.engramConv, c.engram->convHistory() * c.hcMult * c.dim * 4);
  }
  return pieces;
}

bool Executor::Impl::copyCaches(const Sequence &src, Sequence &dst) {
  const int64_t len = src.length;
  sharePages(src, dst);
  const std::vector<CachePiece> from = cachePieces(src, len),
                                to = cachePieces(dst, len);
  // The two lists hold the same bytes in the same order, cut where each
  // sequence's pages break: copy the overlaps of the cuts.
  size_t i = 0, j = 0, fromOff = 0, toOff = 0;
  while (i < from.size() && j < to.size()) {
    const size_t bytes = std::min(from[i].bytes - fromOff, to[j].bytes - toOff);
    char *dstAt = static_cast<char *>(to[j].at) + toOff;
    const char *srcAt = static_cast<const char *>(from[i].at) + fromOff;
    // Shared pages are in place already (and a copy onto itself is an
    // overlapping one, which OpenCL refuses).
    if (dstAt != srcAt && !copy(dstAt, srcAt, bytes))
      return false;
    fromOff += bytes;
    toOff += bytes;
    if (fromOff == from[i].bytes)
      ++i, fromOff = 0;
    if (toOff == to[j].bytes)
      ++j, toOff = 0;
  }
  dst.length = src.length;
  dst.engramRecent = src.engramRecent;
  return true;
}

bool Executor::saveSequence(int sequence, SequenceSnapshot &snapshot,
                            std::string &error) {
  Impl &I = *impl_;
  if (sequence < 0 || size_t(sequence) >= I.sequences.size() ||
      std::count(I.releasedSequences.begin(), I.releasedSequences.end(),
                 sequence)) {
    error = "save: no sequence " + std::to_string(sequence);
    return false;
  }
  const Sequence &seq = I.sequences[size_t(sequence)];
  snapshot.length = seq.length;
  snapshot.engramRecent = seq.engramRecent;
  snapshot.state.clear();
  for (const Impl::CachePiece &p : I.cachePieces(seq, seq.length)) {
    const size_t at = snapshot.state.size();
    snapshot.state.resize(at + p.bytes);
    if (!I.device.download(snapshot.state.data() + at, p.at, p.bytes, error))
      return false;
  }
  return true;
}

int Executor::restoreSequence(const SequenceSnapshot &snapshot,
                              std::string &error) {
  Impl &I = *impl_;
  const size_t recent =
      I.config.engram ? size_t(I.config.engram->maxNgram - 1) : 0;
  if (snapshot.length < 0 || snapshot.length > I.options.maxSeqLen) {
    error = "restore: a sequence of " + std::to_string(snapshot.length) +
            " tokens; the maximum sequence length is " +
            std::to_string(I.options.maxSeqLen);
    return -1;
  }
  if (snapshot.engramRecent.size() != recent) {
    error = "restore: " + std::to_string(snapshot.engramRecent.size()) +
            " recent Engram ids; this model keeps " + std::to_string(recent);
    return -1;
  }
  const int s = addSequence(error);
  if (s < 0)
    return -1;
  Sequence &seq = I.sequences[size_t(s)];
  const std::vector<Impl::CachePiece> pieces =
      I.cachePieces(seq, snapshot.length);
  size_t bytes = 0;
  for (const Impl::CachePiece &p : pieces)
    bytes += p.bytes;
  if (bytes != snapshot.state.size()) {
    error = "restore: a state of " + std::to_string(snapshot.state.size()) +
            " bytes; a sequence of " + std::to_string(snapshot.length) +
            " tokens of this model holds " + std::to_string(bytes);
    releaseSequence(s);
    return -1;
  }
  size_t at = 0;
  for (const Impl::CachePiece &p : pieces) {
    if (!I.upload(p.at, snapshot.state.data() + at, p.bytes)) {
      error = I.error;
      releaseSequence(s);
      return -1;
    }
    at += p.bytes;
  }
  seq.length = snapshot.length;
  seq.engramRecent = snapshot.engramRecent;
  return s;
}

int64_t Executor::sharedKvPages() const {
  int64_t shared = 0;
  for (const std::vector<int32_t> &refs : impl_->pageRefs)
    shared += std::count_if(refs.begin(), refs.end(),
                            [](int32_t r) { return r > 1; });
  return shared;
}
