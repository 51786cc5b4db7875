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
    if (bc.pages.empty()) {
      const int64_t count = ceilDiv(cacheRowsOf(b), kKvPageEntries);
      if (!takePages(l, count, bc.pages) ||
          !(bc.pageTable = alloc(count * 4)) ||
          !upload(bc.pageTable, bc.pages.data(), count * 4))
        return false;
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
  int64_t first = 0;
  // Zeros: the padding byte of every entry is never written.
  if (!takeUnits(kvPools[b], count, kKvPageBytes, first))
    return false;
  for (int64_t i = 0; i < count; ++i)
    pages.push_back(int32_t(first + i));
  return true;
}

bool Executor::Impl::takeUnits(KvPool &pool, int64_t count, int64_t unitBytes,
                               int64_t &first) {
  if (pool.used + count > pool.capacity) {
    const int64_t capacity = std::max(pool.used + count, 2 * pool.capacity);
    void *grown = alloc(capacity * unitBytes);
    if (!grown || !fill32(grown, 0, capacity * unitBytes / 4) ||
        (pool.used && !copy(grown, pool.base, pool.used * unitBytes)))
      return false;
    if (pool.base) {
      owned.erase(std::find(owned.begin(), owned.end(), pool.base));
      device.release(pool.base);
    }
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

bool Executor::Impl::copyPages(int64_t l, const BlockCache &from,
                               int64_t entries, const BlockCache *to,
                               void *dst) {
  const int64_t count = ceilDiv(entries, kKvPageEntries);
  char *pool = static_cast<char *>(kvPools[size_t(l)].base);
  auto toPage = [&](int64_t i) -> int64_t { return to ? to->pages[i] : i; };
  char *base = to ? pool : static_cast<char *>(dst);
  for (int64_t i = 0; i < count;) {
    int64_t j = i + 1;
    while (j < count && from.pages[j] == from.pages[j - 1] + 1 &&
           toPage(j) == toPage(j - 1) + 1)
      ++j;
    if (!copy(base + toPage(i) * kKvPageBytes,
              pool + int64_t(from.pages[i]) * kKvPageBytes,
              size_t(j - i) * kKvPageBytes))
      return false;
    i = j;
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

bool Executor::Impl::copyCaches(const Sequence &src, Sequence &dst) {
  const V4Config &c = config;
  const int64_t len = src.length;
  for (size_t l = 0; l < blocks.size(); ++l) {
    const BlockW &b = blocks[l];
    const BlockCache &from = src.blocks[l];
    BlockCache &to = dst.blocks[l];
    if (!copyPages(int64_t(l), from, usedRowsOf(b, len), &to, nullptr))
      return false;
    auto state = [&](const CompressorW &cw, StatePool &pool, int64_t fromRow,
                     int64_t toRow) {
      const int64_t rows = cw.stateRows(), width = cw.width();
      return copy(f32At(pool.kv.base, toRow * width),
                  f32At(pool.kv.base, fromRow * width), rows * width * 4) &&
             copy(f32At(pool.score.base, toRow * width),
                  f32At(pool.score.base, fromRow * width), rows * width * 4);
    };
    if (b.ratio &&
        !state(b.compressor, statePools[l], from.stateRow0, to.stateRow0))
      return false;
    if (b.ratio == 4 && (!state(b.indexCompressor, indexStatePools[l],
                                from.indexStateRow0, to.indexStateRow0) ||
                         (len / 4 && !copy(indexKeysOf(int64_t(l), to),
                                           indexKeysOf(int64_t(l), from),
                                           (len / 4) * c.indexHeadDim * 2))))
      return false;
    if (from.engramConv && to.engramConv && c.engram &&
        !copy(to.engramConv, from.engramConv,
              c.engram->convHistory() * c.hcMult * c.dim * 4))
      return false;
  }
  dst.length = src.length;
  dst.engramRecent = src.engramRecent;
  return true;
}
