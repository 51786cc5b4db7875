//===- ExecutorPlan.cpp - a step's host-made arrays, uploaded once --------===//
//
// Everything the host computes for a step (token ids, KV cache slots,
// compressor state slots, attention index lists) depends only on the
// chunks' positions and the caches' page tables, which the host knows
// before the step starts. planStep computes all of it for every block,
// packs it into one buffer and uploads it before the first launch: the
// launches inside the step never wait for an upload (an upload waits for
// the launches queued before it).
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include <algorithm>
#include <functional>
#include <tuple>

using namespace dsv4c;
using namespace dsv4c::v4;

namespace {

/// Logical cache entry `e` of a sequence's block as a slot of the paged
/// pool (its page's first slot + the offset in the page).
int32_t pagedSlot(const BlockCache &cache, int64_t e) {
  return cache.pages[e / kKvPageEntries] * int32_t(kKvPageEntries) +
         int32_t(e % kKvPageEntries);
}

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

/// An extension's index lists (a prefill of n rows into a sequence holding
/// p tokens): its keys are the sequence's cache entries (the ring at pos %
/// win, compressed entry j at win + j), then its rows at cacheRows + pos -
/// p. Each row's window part lists positions from max(0, q - win + 1) up,
/// as a prefill's does, so that an extension attends over the same keys in
/// the same order as one prefill of the whole prompt would.
std::vector<int32_t> extensionLists(const Chunk &ch, int64_t win, int64_t ratio,
                                    int64_t topk, int64_t cacheRows,
                                    int64_t &windowWidth, int64_t &width) {
  const int64_t n = ch.count, p = ch.start;
  windowWidth = win;
  const int64_t compWidth = ratio == 4 ? topk : ratio ? (p + n) / ratio : 0;
  width = windowWidth + compWidth;
  std::vector<int32_t> idx(n * width, -1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t q = p + i, first = std::max<int64_t>(0, q - win + 1);
    for (int64_t pos = first; pos <= q; ++pos)
      idx[i * width + pos - first] =
          int32_t(pos < p ? pos % win : cacheRows + pos - p);
    if (ratio && ratio != 4)
      for (int64_t j = 0; j < (q + 1) / ratio; ++j)
        idx[i * width + win + j] = int32_t(win + j);
  }
  return idx;
}

/// A chunk's index lists on a layer of compression `ratio` (window part,
/// then compressed entries offset past the window part of the keys; the
/// indexer's picks, `topk` of them, are written over -1s on ratio 4).
std::vector<int32_t> indexLists(const Chunk &ch, int64_t win, int64_t ratio,
                                int64_t topk, int64_t &windowWidth,
                                int64_t &width) {
  const int64_t n = ch.count, p = ch.start;
  const bool prefill = p == 0;
  std::vector<int32_t> windowIdx = windowIndices(win, n, p, windowWidth);
  const int64_t offset = prefill ? n : win;
  int64_t compWidth = 0;
  std::vector<int32_t> compIdx;
  if (ratio == 4) {
    compWidth = topk;
  } else if (ratio && prefill) {
    compWidth = n / ratio; // official get_compress_topk_idxs
    compIdx.assign(n * compWidth, -1);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < (i + 1) / ratio; ++j)
        compIdx[i * compWidth + j] = int32_t(j + offset);
  } else if (ratio) {
    compWidth = (p + 1) / ratio;
    for (int64_t j = 0; j < compWidth; ++j)
      compIdx.push_back(int32_t(j + offset));
  }
  width = windowWidth + compWidth;
  std::vector<int32_t> idx(n * width, -1);
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(&windowIdx[i * windowWidth], windowWidth, &idx[i * width]);
    if (!compIdx.empty())
      std::copy_n(&compIdx[i * compWidth], compWidth,
                  &idx[i * width + windowWidth]);
  }
  return idx;
}

/// Where each of a chunk's tokens goes in a compressor's state (-1: not
/// kept): a prefill keeps its last block (and, overlapping, the one before
/// it), a decode its one token. (An extension starts on a block boundary,
/// so it keeps what a prefill does.)
std::vector<int32_t> stateSlots(const Chunk &ch, int64_t r, bool overlap) {
  const int64_t n = ch.count, p = ch.start;
  std::vector<int32_t> slots(n, -1);
  if (p > 0 && n == 1) {
    slots[0] = int32_t((overlap ? r : 0) + p % r);
    return slots;
  }
  const int64_t cutoff = (n / r) * r;
  if (overlap && cutoff >= r)
    for (int64_t t = cutoff - r; t < cutoff; ++t)
      slots[t] = int32_t(t - (cutoff - r));
  for (int64_t t = cutoff; t < n; ++t)
    slots[t] = int32_t((overlap ? r : 0) + t - cutoff);
  return slots;
}

} // namespace

int64_t Executor::Impl::addStepArg(const void *data, size_t bytes) {
  // 16-byte aligned: kernels may read index lists 128 bits at a time.
  const int64_t offset = int64_t((stepHost.size() + 15) / 16 * 16);
  stepHost.resize(offset + bytes);
  if (bytes)
    std::memcpy(stepHost.data() + offset, data, bytes);
  return offset;
}

bool Executor::Impl::planStep(const std::vector<Chunk> &chunks,
                              const std::vector<int64_t> &ids,
                              int64_t firstBlock, int64_t endBlock) {
  const V4Config &c = config;
  const int64_t win = c.windowSize;
  stepHost.clear();
  stepIds = addStepArg(ids.data(), ids.size() * 8);
  stepSample = stepSampleHost.empty() ? -1
                                      : addStepArg(stepSampleHost.data(),
                                                   stepSampleHost.size() * 4);
  stepSampleHost.clear(); // this step's only (not an MTP step's after it)
  auto add = [&](const std::vector<int32_t> &v) {
    return addStepArg(v.data(), v.size() * 4);
  };
  chunkArgs.assign(blocks.size(), {});
  runArgs.assign(blocks.size(), {});
  // Chunk i starts at position starts[i]; rope reads a run's from
  // stepPositions + 4 * first.
  std::vector<int32_t> starts;
  for (const Chunk &ch : chunks)
    starts.push_back(int32_t(ch.start));
  stepPositions = add(starts);
  // Decode runs: consecutive decode chunks (one row each, rows
  // consecutive), attended by one launch per kernel.
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].start == 0 || chunks[i].count > 1)
      continue;
    if (!runs.empty() && runs.back().second == i)
      ++runs.back().second;
    else
      runs.push_back({i, i + 1});
  }
  stepEngramCtx = -1;
  bool engram = false;
  for (int64_t l = firstBlock; l < endBlock; ++l)
    engram |= blocks[l].engram >= 0;
  if (engram) {
    // ctx[r, k]: the compressed id k tokens before row r's.
    const int64_t N = config.engram->maxNgram;
    std::vector<int64_t> ctx(ids.size() * N);
    for (const Chunk &ch : chunks) {
      const std::vector<int64_t> &recent = sequences[ch.sequence].engramRecent;
      for (int64_t i = 0; i < ch.count; ++i)
        for (int64_t k = 0; k < N; ++k) {
          int64_t j = i - k; // index in the chunk; < 0: from `recent`
          ctx[size_t((ch.row0 + i) * N + k)] =
              j >= 0 ? engramLookup[size_t(ids[size_t(ch.row0 + j)])]
                     : recent[size_t(int64_t(recent.size()) + j)];
        }
    }
    stepEngramCtx = addStepArg(ctx.data(), ctx.size() * 8);
  }
  // Arrays that do not depend on the block's cache pages are shared by the
  // blocks: per chunk, keyed by what they depend on.
  std::map<std::tuple<size_t, int64_t, int64_t>, int64_t> shared;
  auto once = [&](size_t chunk, int64_t what, int64_t key,
                  const std::function<std::vector<int32_t>()> &make) {
    auto [it, fresh] = shared.try_emplace({chunk, what, key}, -1);
    if (fresh)
      it->second = add(make());
    return it->second;
  };
  enum { OwnRows, State };
  struct IndexLists {
    int64_t offset = -1, windowWidth = 0, width = 0;
  };
  // Keyed by (chunk, ratio) and (a run's first chunk, ratio).
  std::map<std::pair<size_t, int64_t>, IndexLists> lists, runLists;
  for (int64_t l = firstBlock; l < endBlock; ++l) {
    const BlockW &b = blocks[l];
    const int64_t r = b.ratio;
    std::vector<ChunkArgs> &args = chunkArgs[l];
    args.resize(chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) {
      const Chunk &ch = chunks[i];
      const int64_t n = ch.count, p = ch.start;
      const bool decodeRow = p > 0 && n == 1;
      // An extension: a prefill into a sequence that holds p tokens (p a
      // multiple of every ratio: Executor::step), whose keys in kvAll are
      // the sequence's cache entries, then its rows.
      const bool extend = p > 0 && n > 1;
      const BlockCache &cache = sequences[ch.sequence].blocks[l];
      auto cacheSlot = [&](int64_t e) { return pagedSlot(cache, e); };
      const int64_t cacheRows = cacheRowsOf(b);
      ChunkArgs &a = args[i];
      a.extend = extend;
      // The chunk's own rows: a prefill's keys are its rows (kvAll, at
      // 0..n-1; an extension's past the cache's entries), a decode's row
      // goes to the ring.
      if (!decodeRow) {
        a.ownSlots = once(i, OwnRows, extend ? cacheRows : 0, [&] {
          std::vector<int32_t> v(n);
          for (int64_t t = 0; t < n; ++t)
            v[t] = int32_t((extend ? cacheRows : 0) + t);
          return v;
        });
        // The ring keeps the last `win` positions at entry pos % win.
        a.ringFirst = std::max<int64_t>(0, n - win);
        std::vector<int32_t> ring;
        for (int64_t t = a.ringFirst; t < n; ++t)
          ring.push_back(cacheSlot((p + t) % win));
        a.ringSlots = add(ring);
      }
      if (decodeRow)
        continue; // in its run's arrays, below
      if (r) {
        // Entry e of the chunk's is entry p / r + e of the sequence: logical
        // entry win + p / r + e of the cache; key n + e of a prefill, the
        // same logical entry of an extension's keys.
        a.emitted = n / r;
        std::vector<int32_t> toCache, toKeys;
        for (int64_t e = 0; e < a.emitted; ++e) {
          toCache.push_back(cacheSlot(win + p / r + e));
          toKeys.push_back(int32_t(extend ? win + p / r + e : n + e));
        }
        a.entrySlots = add(toCache);
        a.entryKeys = add(toKeys);
        // The compressor's state slots and its state's first row (a decode
        // run's: per row, below).
        const CompressorW &cw = b.compressor;
        a.stateSlots = once(i, State, cw.ratio * 2 + cw.overlap, [&] {
          return stateSlots(ch, cw.ratio, cw.overlap);
        });
        a.stateRows = add({int32_t(cache.stateRow0)});
        if (extend && cw.overlap && a.emitted) {
          // Entry p / r pools the sequence's previous block, in the state:
          // the chunk's first block goes to the state's current rows and
          // compressor_decode pools it at the block's last position.
          a.firstBlockSlots = once(i, State, -cw.ratio, [&] {
            std::vector<int32_t> v(n, -1);
            for (int64_t t = 0; t < cw.ratio; ++t)
              v[t] = int32_t(cw.ratio + t);
            return v;
          });
          a.firstEntryPos = add({int32_t(p + cw.ratio - 1)});
          a.firstEntryRow = add({0});
        }
      }
      if (r == 4) {
        const CompressorW &icw = b.indexCompressor;
        a.indexStateSlots = once(i, State, icw.ratio * 2 + icw.overlap, [&] {
          return stateSlots(ch, icw.ratio, icw.overlap);
        });
        a.indexStateRows = add({int32_t(cache.indexStateRow0)});
        a.keyRows = add({int32_t(cache.indexKeyRow0)});
        if (extend && icw.overlap && a.emitted)
          a.firstIndexKeyRow = add({int32_t(cache.indexKeyRow0 + p / 4)});
      }
      // Index lists depend on the ratio only (ratio 4's picks are
      // rewritten by every CSA block before its attention reads them).
      auto [it, fresh] = lists.try_emplace({i, r});
      IndexLists &il = it->second;
      if (fresh)
        il.offset =
            add(extend ? extensionLists(ch, win, r, c.indexTopk, cacheRows,
                                        il.windowWidth, il.width)
                       : indexLists(ch, win, r, c.indexTopk, il.windowWidth,
                                    il.width));
      a.idx = il.offset;
      a.windowWidth = il.windowWidth;
      a.width = il.width;
    }
    // A decode run's arrays, one row per chunk: ring slots, page tables
    // [rows, pages] and index lists [rows, width] padded with -1 to the
    // widest (-1s change no sum: sparse_attention skips them).
    for (auto [first, end] : runs) {
      RunArgs &ra = runArgs[l].emplace_back();
      ra.first = first;
      ra.end = end;
      std::vector<int32_t> slots, pages;
      for (size_t i = first; i < end; ++i) {
        const BlockCache &cache = sequences[chunks[i].sequence].blocks[l];
        slots.push_back(pagedSlot(cache, chunks[i].start % win));
        pages.insert(pages.end(), cache.pages.begin(), cache.pages.end());
      }
      ra.slots = add(slots);
      ra.pages = add(pages);
      // Per row: the compressors' state slots and states' first rows.
      auto perRow = [&](const std::function<int32_t(size_t)> &value) {
        std::vector<int32_t> v;
        for (size_t i = first; i < end; ++i)
          v.push_back(value(i));
        return add(v);
      };
      auto cacheOf = [&](size_t i) -> const BlockCache & {
        return sequences[chunks[i].sequence].blocks[l];
      };
      auto slotOf = [&](const CompressorW &cw, size_t i) {
        return stateSlots(chunks[i], cw.ratio, cw.overlap)[0];
      };
      // A row whose token (at p) completes a block emits entry p / r: logical
      // cache entry win + p / r, index-key row p / r of its sequence.
      auto emits = [&](size_t i) { return (chunks[i].start + 1) % r == 0; };
      if (r) {
        ra.stateSlots =
            perRow([&](size_t i) { return slotOf(b.compressor, i); });
        ra.stateRows =
            perRow([&](size_t i) { return int32_t(cacheOf(i).stateRow0); });
        ra.entryRows = perRow(
            [&](size_t i) { return emits(i) ? int32_t(i - first) : -1; });
        ra.entrySlots = perRow([&](size_t i) {
          return emits(i) ? pagedSlot(cacheOf(i), win + chunks[i].start / r)
                          : -1;
        });
      }
      if (r == 4) {
        ra.keyRows =
            perRow([&](size_t i) { return int32_t(cacheOf(i).indexKeyRow0); });
        ra.indexEntryRows = perRow([&](size_t i) {
          return emits(i)
                     ? int32_t(cacheOf(i).indexKeyRow0 + chunks[i].start / r)
                     : -1;
        });
        ra.indexStateSlots =
            perRow([&](size_t i) { return slotOf(b.indexCompressor, i); });
        ra.indexStateRows = perRow(
            [&](size_t i) { return int32_t(cacheOf(i).indexStateRow0); });
      }
      auto [it, fresh] = runLists.try_emplace({first, r});
      IndexLists &il = it->second;
      if (fresh) {
        std::vector<std::vector<int32_t>> rows;
        int64_t widest = 0;
        for (size_t i = first; i < end; ++i) {
          rows.push_back(indexLists(chunks[i], win, r, c.indexTopk,
                                    il.windowWidth, il.width));
          widest = std::max(widest, il.width);
        }
        il.width = widest;
        std::vector<int32_t> idx(rows.size() * il.width, -1);
        for (size_t k = 0; k < rows.size(); ++k)
          std::copy(rows[k].begin(), rows[k].end(), &idx[k * il.width]);
        il.offset = add(idx);
      }
      ra.idx = il.offset;
      ra.width = il.width;
      for (size_t i = first; i < end; ++i) {
        ChunkArgs &a = args[i];
        a.ownSlots = ra.slots + int64_t(i - first) * 4;
        a.idx = il.offset + int64_t(i - first) * il.width * 4;
        a.windowWidth = il.windowWidth;
        a.width = il.width;
      }
    }
  }
  // One upload for the step, into a buffer that grows (between steps, when
  // nothing queued reads the old one).
  const int64_t bytes = int64_t(stepHost.size());
  if (bytes > stepArgsCapacity) {
    if (stepArgs && !releaseOwned(stepArgs))
      return false;
    const int64_t capacity = std::max<int64_t>(bytes, 2 * stepArgsCapacity);
    if (!(stepArgs = alloc(capacity)))
      return false;
    stepArgsCapacity = capacity;
  }
  return upload(stepArgs, stepHost.data(), bytes);
}
