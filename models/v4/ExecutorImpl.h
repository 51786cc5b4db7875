//===- ExecutorImpl.h - the V4 executor's internals ------------*- C++ -*-===//
//
// Shared by Executor.cpp (sequences, the step), ExecutorLaunches.cpp,
// ExecutorWeights.cpp,
// ExecutorAttention.cpp, ExecutorCache.cpp (caches, KV pages) and
// ExecutorMoE.cpp. Device pointers
// are `void *`; byte offsets are computed with the element sizes below.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_EXECUTORIMPL_H
#define DSV4C_MODELS_V4_EXECUTORIMPL_H

#include "models/v4/Executor.h"
#include "models/v4/KvCacheLayout.h"

#include <array>
#include <cstring>
#include <map>

namespace dsv4c::v4 {

/// One kernel argument: a device pointer, an index or an f32.
struct KArg {
  enum Kind { Pointer, Index, F32 } kind;
  const void *ptr = nullptr;
  int64_t index = 0;
  float f32 = 0;
  static KArg p(const void *v) { return {Pointer, v, 0, 0}; }
  static KArg i(int64_t v) { return {Index, nullptr, v, 0}; }
  static KArg f(double v) { return {F32, nullptr, 0, static_cast<float>(v)}; }
};

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// `p` advanced by `elements` elements of `bytes` bytes.
inline void *at(const void *p, int64_t elements, int64_t bytes) {
  return const_cast<char *>(static_cast<const char *>(p)) + elements * bytes;
}
inline void *bf16At(const void *p, int64_t e) { return at(p, e, 2); }
inline void *f32At(const void *p, int64_t e) { return at(p, e, 4); }

struct LinearW {
  WeightFormat format = WeightFormat::BF16;
  const void *weight = nullptr;
  const void *scale = nullptr;
  int64_t out = 0, in = 0;
};

struct CompressorW {
  int64_t ratio = 0, d = 0;
  bool overlap = false;
  const void *ape = nullptr, *wkv = nullptr, *wgate = nullptr, *norm = nullptr;
  int64_t width() const { return (overlap ? 2 : 1) * d; }
  /// Rows of a sequence's state (the previous block too, overlapping).
  int64_t stateRows() const { return (overlap ? 2 : 1) * ratio; }
};

struct BlockW {
  int64_t ratio = 0;
  bool hash = false;
  int engram = -1; // index into Impl::engrams, or -1
  // Attention.
  const void *sink = nullptr, *qNorm = nullptr, *kvNorm = nullptr,
             *woA = nullptr; // woA: bf16 [groups, rank, heads*hd/groups]
  LinearW wqA, wqB, wkv, woB;
  CompressorW compressor;
  LinearW indexWqB;
  const void *indexWeights = nullptr; // bf16 [index heads, dim]
  CompressorW indexCompressor;
  // MoE.
  const void *gate = nullptr, *gateBias = nullptr, *tid2eid = nullptr;
  std::vector<std::array<LinearW, 3>> experts; // w1, w2, w3
  /// FP4 experts: each of w1, w2, w3 of every expert stacked in one
  /// allocation (expert e's rows from e * out; the scales likewise), which
  /// experts[e] point into: linear_fp4_grouped runs them all at once.
  bool stacked = false;
  std::array<LinearW, 3> shared;
  // Norms and mHC (0: attention, 1: ffn).
  const void *attnNorm = nullptr, *ffnNorm = nullptr;
  std::array<const void *, 2> hcFn{}, hcScale{}, hcBase{};
};

/// An Engram layer's weights (bf16) and hash constants (i64, on the device).
struct EngramW {
  const void *embed = nullptr, *keyW = nullptr, *keyB = nullptr,
             *valW = nullptr, *valB = nullptr, *norm1 = nullptr,
             *norm2 = nullptr, *conv = nullptr, *convNorm = nullptr;
  void *mult = nullptr, *prime = nullptr, *offset = nullptr;
};

/// An MTP block's own weights (its transformer block is a BlockW).
struct MtpW {
  LinearW eProj, hProj;
  const void *enorm = nullptr, *hnorm = nullptr, *norm = nullptr;
  std::array<const void *, 3> hcHead{};
};

/// Device memory shared by a block's sequences, in units (KV cache pages,
/// KvCacheLayout.h; or one sequence's indexer keys). It grows by copying to
/// a bigger allocation; unit numbers stay valid.
struct KvPool {
  void *base = nullptr;
  int64_t capacity = 0, used = 0; // units
};

/// A block's per-sequence caches.
struct BlockCache {
  /// The KV cache's logical entries, the window ring then maxSeqLen / ratio
  /// compressed entries, in pages of the block's pool: entry e is physical
  /// entry pages[e / 64] * 64 + e % 64 (each step's page tables are made
  /// from these). A fork shares its source's whole pages of compressed
  /// entries (Impl::pageRefs).
  std::vector<int32_t> pages;
  /// The compressor's state, f32 [(1+o)r, (1+o)d] of kv and of score: the
  /// rows from stateRow0 of the block's state pools, so that one launch
  /// writes every sequence's.
  int64_t stateRow0 = -1;
  /// The indexer's keys: bf16 [maxSeqLen / 4, indexHeadDim], the rows from
  /// indexKeyRow0 of the block's index-key pool (indexKeysOf), so that one
  /// launch reads every sequence's.
  int64_t indexKeyRow0 = -1;
  int64_t indexStateRow0 = -1; // the indexer compressor's, likewise
  void *engramConv = nullptr; // f32 [convHistory, hc * dim]: conv input rows
};

struct Sequence {
  int64_t length = 0;
  /// Engram: compressed ids of the last max_ngram_size - 1 tokens, oldest
  /// first (the compressed pad id before the sequence's start).
  std::vector<int64_t> engramRecent;
  std::vector<BlockCache> blocks;
};

/// One input of a step, placed in the step's token rows.
struct Chunk {
  int sequence = 0;
  int64_t row0 = 0;  // first row of the step's activations
  int64_t count = 0; // tokens
  int64_t start = 0; // position of the first token
};

/// Where one chunk's host-made arrays for one block are in the step's
/// argument buffer (byte offsets into Impl::stepArgs; ExecutorPlan.cpp).
struct ChunkArgs {
  int64_t ownSlots = -1;  // kv_pack of its rows (a prefill's: into kvAll)
  int64_t ringSlots = -1; // a prefill's rows from ringFirst: into the ring
  int64_t ringFirst = 0;
  // A prefill's compressed entries: their cache slots and keys in kvAll (a
  // decode run's are in its RunArgs).
  int64_t entrySlots = -1, entryKeys = -1, emitted = 0;
  // A prefill's compressor_state_write slots of the compressor and the
  // indexer's, and the first rows of its states, i32 [1] (a decode run's
  // are in its RunArgs).
  int64_t stateSlots = -1, indexStateSlots = -1;
  int64_t stateRows = -1, indexStateRows = -1;
  // Index lists [count, width], the window part first.
  int64_t idx = -1, windowWidth = 0, width = 0;
  // CSA blocks, a prefill: its first index-key row, i32 [1].
  int64_t keyRows = -1;
  // An extension (a prefill into a sequence that holds tokens): its keys
  // are the cache's entries copied into kvAll, then its rows. With overlap
  // its first entry pools the state's previous block: the first block's
  // state slots [count], the entry's position [1] and its row of
  // Scratch::entries [1] (the indexer's: its index-key row [1]).
  bool extend = false;
  int64_t firstBlockSlots = -1, firstEntryPos = -1, firstEntryRow = -1;
  int64_t firstIndexKeyRow = -1;
};

/// A run of decode chunks [first, end) of one block: one row each, attended
/// by one launch per kernel. Offsets into Impl::stepArgs: the ring slots of
/// the rows [rows], the page tables [rows, pages], the index lists
/// [rows, width] (chunk i's ChunkArgs point at its row of each), on CSA
/// blocks the rows' first index-key rows [rows], and on compressed blocks
/// the rows' compressor state slots and their states' first rows [rows]
/// (the indexer compressor's too on CSA blocks) and their new entries.
struct RunArgs {
  size_t first = 0, end = 0;
  int64_t slots = -1, pages = -1, idx = -1, width = 0, keyRows = -1;
  int64_t stateSlots = -1, stateRows = -1;
  int64_t indexStateSlots = -1, indexStateRows = -1;
  // The compressed entries this step emits, per row (-1 where the row's
  // token completes no block): its row of Scratch::entries (the row's
  // index) and cache slot, and (CSA) its index-key row.
  int64_t entryRows = -1, entrySlots = -1, indexEntryRows = -1;
};

/// A block's compressor states, kv and score, of all its sequences: unit u
/// of both pools is one sequence's state (rows u * (1+o)r..).
struct StatePool {
  KvPool kv, score;
};

struct Executor::Impl {
  V4Config config;
  Device &device;
  KernelLibrary &kernels;
  ExecutorOptions options;
  std::string error;
  uint64_t launchCount = 0;
  int64_t maxLinearIn = 0; // the widest input of an FP8/FP4 linear
  // Tensor parallelism (ExecutorParallel.cpp): this rank's share of the
  // query heads, output groups, routed experts and vocabulary (all of them
  // with one rank).
  int rank = 0, ranks = 1;
  int64_t localHeads = 0, localGroups = 0, firstExpert = 0, localExperts = 0,
          firstVocab = 0, localVocab = 0;
  void *logitsPart = nullptr; // f32 [rows, localVocab] with several ranks
  int64_t logitsPartRows = 0;
  /// Sets the shares from options.collectives.
  bool initParallel();
  /// The ranks' bf16 [count] at `data` become their sum, added in f32 in
  /// rank order and rounded once (official RowParallelLinear).
  bool allReduceBf16(void *data, int64_t count);
  /// The ranks' f32 [count] at `data` become their sum (official MoE).
  bool allReduceF32(void *data, int64_t count);
  /// Where the head writes this rank's logits [rows, localVocab]: `out`
  /// itself with one rank.
  void *headOut(void *out, int64_t rows);
  /// The ranks' columns in headOut become the full logits at `out`.
  bool gatherLogits(void *out, int64_t rows);

  std::vector<void *> owned; // device allocations, released at the end
  std::map<std::string, KernelRunner *> runners;
  std::map<std::string, KernelProfile> profiled;

  // Decode steps as graphs (ExecutorOptions::graphs): while `recording`,
  // launches, copies and fills are kept in `recorded` instead of run;
  // finishRecording queues them as a graph (made once per distinct list)
  // and any other device call first runs what was kept.
  bool recording = false;
  std::vector<RecordedWork> recorded;
  struct KeptGraph {
    std::vector<RecordedWork> work;
    std::unique_ptr<DeviceGraph> graph;
  };
  std::vector<KeptGraph> graphs; // most recently used last
  GraphStats graphStats;
  int64_t graphsMadeInARow = 0; // new graphs with no replay between
  bool noGraphs = false;        // the device makes none (or failed to)
  bool graphsPaused = false;    // made in a row too often: for a while
  int64_t pausedSteps = 0;      // decode steps since they paused
  void startRecording();
  bool finishRecording();
  bool runRecorded();
  // The logits of a step's last rows (f32 [rows, vocab]), kept from step
  // to step so that a decode step's work repeats.
  void *logitsBuffer = nullptr;
  int64_t logitsRows = 0;
  /// Where `rows` rows of logits go; null (error set) if it cannot grow.
  void *logitsOut(int64_t rows);
  // StepResult::Sampled (ExecutorSampling.cpp): sample.mlir's buffers for
  // up to sampleRows rows, kept from step to step as the logits are.
  void *sampleBuffer = nullptr;
  int64_t sampleRows = 0;
  int64_t stepSample = -1; // f32 [rows, 3] in stepArgs: T, topP, draw
  std::vector<float> stepSampleHost;
  std::vector<StepInput::Sample> stepSamples; // the step's, by row
  /// Checks each input's StepInput::sample and fills stepSampleHost (before
  /// planStep); grows sampleBuffer to `rows` rows.
  bool prepareSampling(const std::vector<StepInput> &inputs);
  /// Queues sample_part and sample_token over `rows` rows of `logits`.
  bool queueSampling(const void *logits, int64_t rows);
  /// After the step's work: downloads the ids, samples the rows the
  /// device left to the host.
  bool finishSampling(const void *logits, StepResult &result);

  // Weights.
  const void *embed = nullptr, *norm = nullptr, *head = nullptr;
  std::array<const void *, 3> hcHead{}; // fn, scale, base
  std::vector<BlockW> blocks;           // layers, then MTP blocks
  std::vector<MtpW> mtp;
  std::vector<EngramW> engrams;
  std::vector<int64_t> engramLookup; // token id -> compressed id
  int64_t engramPad = 0;             // the compressed pad id
  struct EngramScratch {
    int64_t capacity = -1, longest = -1;
    void *ids, *emb, *key, *val, *gv, *xn;
  } es{};
  std::vector<Chunk> lastChunks; // the last step's inputs (for mtpStep)
  const void *ropePlain = nullptr, *ropeCompressed = nullptr;
  const void *zeros = nullptr; // dummy inputs kernels do not read

  std::vector<Sequence> sequences;
  std::vector<int> releasedSequences; // reused by addSequence
  std::vector<KvPool> kvPools;        // per block
  /// Per block, per page of kvPools: how many sequences hold it (forks
  /// share whole pages of compressed entries), and the pages none holds.
  std::vector<std::vector<int32_t>> pageRefs, freePages;
  std::vector<KvPool> indexKeyPools;  // per block (CSA); a sequence per unit
  std::vector<StatePool> statePools, indexStatePools; // per block

  /// mhc_mix's slices of 4 x dim (its grid's second dimension).
  static constexpr int64_t kMixSlices = 32;
  /// Split-k: at most this many slices of K, partial sums in s.splitPart
  /// (this many bytes, on devices that split at all), the slices that have
  /// arrived counted per output block in s.splitCounters.
  static constexpr int64_t kMaxSplits = 16;
  static constexpr int64_t kSplitPartBytes = int64_t(32) << 20;
  /// How many slices of K (whole 128-blocks) a launch of `programs`
  /// programs over `kBlocks` blocks of K and an [m, n] output is split into:
  /// enough to fill the device (Device::programsToFill), 1 where the
  /// device does not split or the partial sums would not fit. With
  /// `kernel`, whose resident programs the target knows (its registers and
  /// shared memory), as many as one wave holds: a second, partial wave
  /// doubled a batch-1 linear's time.
  int64_t splitsFor(int64_t programs, int64_t kBlocks, int64_t m, int64_t n,
                    const char *kernel = nullptr);
  /// Whether linear_fp8_rows64 (64x64 blocks over all of K) has a wave of
  /// programs or more for an [m, n] result on a device that says how many
  /// fill it (GPUs): then it runs instead of linear_fp8, whose 16-row
  /// blocks re-read each weight tile 4x as often.
  bool rows64Fills(int64_t m, int64_t n);
  /// The f32 logits of `rows` rows of s.xn (the final norm's) over this
  /// rank's vocabulary: @head, or @head_rows64 for more than 32 rows on a
  /// GPU.
  bool headLogits(void *logits, int64_t rows);
  /// The runner of kernel `name`, looked up once (null and the executor's
  /// error set if the library lacks it).
  KernelRunner *runnerFor(const std::string &name);

  /// Step activations, sized for `capacity` tokens.
  struct Scratch {
    int64_t capacity = -1;
    void *h, *h2, *y, *post, *comb, *mixPart, *xn, *qa, *qr, *q, *kvp, *kv,
        *ckv, *cscore, *iq, *iw, *ickv, *icscore, *o, *oa, *ao, *gateW, *gateI,
        *gateLogits, *splitPart, *xe, *ge, *ue, *he, *ye, *tok, *rows, *rw,
        *yacc, *sg, *su, *sh, *so, *fo, *moeGroups, *moeSlots, *moeInfo;
    void *splitCounters = nullptr;
    // greedy_token's ids (i32 [m]) and greedy_part's slice bests (f32 and
    // i32 [m, ceil(vocab / 4096)]).
    void *greedy, *greedyValues, *greedyIds;
    // A linear's activation quantised (act_quant): e4m3 codes and ue8m0
    // scales of up to m * max(topk, hc) rows of maxLinearIn.
    void *xq, *xqs;
    // entries: the compressor's new bf16 rows before kv_pack.
    void *entries;
    // Per chunk, sized for the longest chunk: prefill K/V rows + compressed
    // entries as cache entries (paged, kvAllPages the identity table).
    void *kvAll, *kvAllPages;
  } s{};
  int64_t chunkCapacity = -1;

  /// The step's host-made arrays (ExecutorPlan.cpp): built in stepHost,
  /// uploaded once into stepArgs before the step's first launch.
  std::vector<uint8_t> stepHost;
  void *stepArgs = nullptr;
  int64_t stepArgsCapacity = 0;
  int64_t stepIds = -1;       // the token ids (i64)
  int64_t stepEngramCtx = -1; // i64 [m, max_ngram]: compressed ids before
                              // each row's (engram_hash)
  int64_t stepPositions = -1; // i32 [chunks]: each chunk's start
  std::vector<std::vector<ChunkArgs>> chunkArgs; // [block][chunk]
  std::vector<std::vector<RunArgs>> runArgs;     // [block][run]
  int64_t addStepArg(const void *data, size_t bytes);
  /// Plans blocks [firstBlock, endBlock) for `chunks`, then uploads.
  bool planStep(const std::vector<Chunk> &chunks,
                const std::vector<int64_t> &ids, int64_t firstBlock,
                int64_t endBlock);
  const void *stepArg(int64_t offset) const {
    return offset < 0 ? nullptr : at(stepArgs, offset, 1);
  }

  Impl(const V4Config &c, Device &d, KernelLibrary &k, ExecutorOptions o)
      : config(c), device(d), kernels(k), options(std::move(o)) {}
  ~Impl();

  // Device memory.
  void *alloc(size_t bytes);
  /// Releases an allocation of alloc's once the device has finished the
  /// work queued before (launches and device copies do not wait).
  bool releaseOwned(void *p);
  /// `buffer` with room for `rows` rows of `rowBytes` (its `capacity` in
  /// rows), reallocated when it has fewer; null on failure.
  void *grow(void *&buffer, int64_t &capacity, int64_t rows, size_t rowBytes);
  bool upload(void *dst, const void *src, size_t bytes);
  bool copy(void *dst, const void *src, size_t bytes);
  bool fill32(void *dst, uint32_t pattern, size_t words);
  bool fail(const std::string &message) {
    if (error.empty())
      error = message;
    return false;
  }

  /// Launches kernel `name`; an empty grid launches nothing.
  bool run(const std::string &name, Grid grid,
           std::initializer_list<KArg> args);

  // Load (ExecutorWeights.cpp; exactly one source).
  bool loadWeights(const Checkpoint *checkpoint,
                   const TensorGenerator *generator);
  // (Executor.cpp)
  bool buildRopeTables();
  /// `keys`: the most key entries one chunk's attention reads (a prefill:
  /// its rows and entries; an extension: a whole cache and its rows).
  bool ensureScratch(int64_t tokens, int64_t keys);
  /// A block's cache entries per sequence (the ring, then maxSeqLen /
  /// ratio compressed entries); the most of any block.
  int64_t cacheRowsOf(const BlockW &b) const;
  /// The cache entries a sequence of `length` tokens has written (the ring,
  /// then its compressed entries so far).
  int64_t usedRowsOf(const BlockW &b, int64_t length) const;
  /// A range of device bytes.
  struct CachePiece {
    void *at;
    size_t bytes;
  };
  /// The pages of `cache` (block l's pool) holding its first `entries`
  /// logical entries, as runs of consecutive pages (fresh pages are taken
  /// together; reused ones may be scattered).
  std::vector<CachePiece> pageRuns(size_t l, const BlockCache &cache,
                                   int64_t entries) const;
  /// The pages holding `entries` logical entries of `from` (block l's pool)
  /// copied to `dst`'s first entries, a copy per run of pages.
  bool copyPages(int64_t l, const BlockCache &from, int64_t entries, void *dst);
  /// A sequence's state after `length` tokens as device byte ranges, in a
  /// fixed order (per block: the used KV pages, the compressor's states,
  /// the indexer compressor's and the indexer's keys, the Engram state);
  /// runs of consecutive pages joined (never ranges of two allocations).
  /// Two sequences' lists hold the same bytes for the same length, cut at
  /// different places.
  std::vector<CachePiece> cachePieces(const Sequence &seq,
                                      int64_t length) const;
  int64_t longestCache() const;
  /// A prefill into a sequence that holds tokens (an extension, chunked
  /// prefill) starts at a multiple of this: every compressor's blocks then
  /// start at the chunk's first row.
  int64_t extendAlignment() const;
  // Caches (ExecutorCache.cpp).
  bool initCaches(Sequence &seq);
  /// `count` pages of block `b`'s pool (free pages first), appended to
  /// `pages`, one holder each.
  bool takePages(size_t b, int64_t count, std::vector<int32_t> &pages);
  /// One holder fewer for `page` of block `b`'s pool (freed at none).
  void dropPage(size_t b, int32_t page);
  /// `dst`'s pages of `src`'s whole pages of compressed entries replaced by
  /// src's own (shared; entries there are never written again), on the
  /// layers' blocks (not the MTP blocks').
  void sharePages(const Sequence &src, Sequence &dst);
  /// `count` fresh units of `unitBytes` each from `pool` (grown, zero-filled,
  /// where needed); the first one's number in `first`.
  bool takeUnits(KvPool &pool, int64_t count, int64_t unitBytes,
                 int64_t &first);
  /// Block l's indexer keys of the sequence whose caches are `cache`.
  void *indexKeysOf(int64_t l, const BlockCache &cache) const;
  /// kv_pack: `count` bf16 rows of 512 at `rows` into entries `slots` (i32
  /// on the device) of the cache at `cache`.
  bool packEntries(const void *rows, int64_t count, const void *slots,
                   void *cache);

  // Shared launches.
  /// y = x @ w^T over m rows: act_quant of x (FP8/FP4 weights), then the
  /// GEMM.
  bool linear(const LinearW &w, const void *x, void *y, int64_t m);
  /// Linears over one activation x (m rows): act_quant of x once for the
  /// FP8/FP4 ones that read the same width, then each GEMM.
  bool linears(const void *x, int64_t m,
               std::initializer_list<std::pair<const LinearW *, void *>> ws);
  /// act_quant of x [m, k] into s.xq / s.xqs, which the GEMMs then read.
  bool actQuant(const void *x, int64_t m, int64_t k);
  /// The GEMM of an FP8/FP4 linear over s.xq / s.xqs (actQuant's rows).
  bool quantisedGemm(const LinearW &w, void *y, int64_t m);
  /// dense.mlir's matmul_bf16 (matmul_bf16_f32 when f32Out): y[:, g*n..] =
  /// x[:, g*k..] @ w_g^T for `groups` groups, row strides ldx / ldy; split
  /// over K (the last program of a block adds the slices) when the launch
  /// is small and y's rows are exactly groups * n wide.
  bool dense(const void *x, const void *w, void *y, int64_t m, int64_t n,
             int64_t k, int64_t ldx, int64_t ldy, int64_t groups, bool f32Out);
  /// mhc_mix into s.mixPart: the partial sums of h's mixes with the first
  /// `rows` rows of fn, over kMixSlices slices (mhc_pre, mhc_head read them).
  bool mhcMix(const void *h, const void *fn, int64_t m, int64_t rows);
  bool rmsnorm(const void *x, const void *w, void *y, int64_t rows,
               int64_t dim);
  bool matmulF32(const void *x, const void *w, void *y, int64_t m, int64_t n,
                 int64_t k);

  // The step.
  bool block(int64_t b, const std::vector<Chunk> &chunks, int64_t m);
  bool attention(int64_t b, const std::vector<Chunk> &chunks, int64_t m);
  /// Attention of chunks [first, end): one prefill chunk (decode null) or a
  /// decode run.
  bool attentionGroup(int64_t b, const std::vector<Chunk> &chunks, size_t first,
                      size_t end, const RunArgs *decode);
  /// compressor_state_write of a prefill chunk's or a decode run's rows
  /// (n rows each of `batch` chunks from row `row0` of kv/score; `slots`,
  /// `rows0`: offsets of step arrays) into `pool`.
  bool writeStates(const CompressorW &cw, const void *kv, const void *score,
                   int64_t row0, int64_t n, int64_t batch, int64_t slots,
                   const void *positions, int64_t rows0, StatePool &pool);
  /// A prefill chunk's `emitted` entries (every whole block, the first at
  /// the chunk's start) into `entries`, rotated and quantised in place when
  /// `indexer`.
  bool compress(const CompressorW &cw, const Chunk &c, const void *kv,
                const void *score, void *entries, bool indexer,
                int64_t emitted);
  /// Entries pooled from the states (compressor_decode, one launch for
  /// `batch` rows at `positions` (i32 [batch]), whichever emit): entry b to
  /// row `outRows`[b] of `out` (`rows0`, `outRows`: offsets of step arrays;
  /// -1 rows skipped), rotated and quantised there when `indexer`.
  bool compressDecode(const CompressorW &cw, int64_t batch,
                      const void *positions, StatePool &pool, int64_t rows0,
                      int64_t outRows, void *out, bool indexer);
  /// `dst` (fresh caches) made to hold what `src` holds (Executor::
  /// forkSequence): src's cachePieces copied on the device.
  bool copyCaches(const Sequence &src, Sequence &dst);
  /// The routed experts of a stacked (FP4) block: grouped launches.
  bool moeStacked(const BlockW &b, int64_t m, int64_t groups);
  bool moe(int64_t b, int64_t m);
  // Engram (ExecutorEngram.cpp).
  bool loadEngramTables(const Checkpoint &tables);
  bool engram(int64_t b, const std::vector<Chunk> &chunks,
              const std::vector<int64_t> &ids, int64_t m);
  void recordEngramTokens(const std::vector<Chunk> &chunks,
                          const std::vector<int64_t> &ids);
  /// The head over each chunk's last row: the StepResult parts `parts`
  /// names, downloaded into `result`.
  /// indexer_topk_merge over `splits` slices' keys in s.splitPart, the
  /// picks to `picks` (ldout `width`, entries + `offset`).
  bool mergeTopk(int64_t n, int64_t batch, int64_t splits, const void *picks,
                 int64_t offset, int64_t width);
  bool logitsOfLastRows(const std::vector<Chunk> &chunks,
                        const std::array<const void *, 3> &hcHead,
                        const void *finalNorm, unsigned parts,
                        StepResult &result);
};

} // namespace dsv4c::v4

#endif
