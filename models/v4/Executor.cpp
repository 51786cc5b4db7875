//===- Executor.cpp - V4 on a device: load, sequences, the step -----------===//
#include "models/v4/CheckpointGenerator.h"
#include "models/v4/ExecutorImpl.h"

#include "runtime/FloatFormats.h"
#include "runtime/KernelArgs.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

using namespace dsv4c;
using namespace dsv4c::v4;

bool Executor::Impl::headLogits(void *logits, int64_t rows) {
  // More than 32 rows on a GPU: 64-row blocks read W once per 64 rows, not
  // once per 16, on the warpgroup instruction where there is one (H100,
  // 64 rows: 1092 us against 1506; a batch-32 decode step was 3.5% slower
  // with them, so 32 rows keep @head).
  const bool rows64 = rows > 32 && device.programsToFill() > 0;
  return run(rows64 ? "head_rows64" : "head",
             {ceilDiv(rows, rows64 ? 64 : 16),
              ceilDiv(localVocab, rows64 ? 128 : 64), 1},
             {KArg::p(s.xn), KArg::p(head), KArg::p(logits), KArg::i(rows),
              KArg::i(config.dim), KArg::i(localVocab)});
}

const std::vector<std::string> &v4::executorKernelNames() {
  // clang-format off
  static const std::vector<std::string> names = {
      "act_quant",
      "compressor",      "compressor_decode", "compressor_state_write",
      "embedding",       "engram_conv",       "engram_conv_norm",
      "engram_gate",     "engram_hash",       "greedy_part",
      "greedy_token",    "head",              "head_rows64",
      "head_rms",        "indexer_rotate_quant",
      "indexer_topk",    "indexer_topk_merge",
      "kv_pack",         "linear_fp4",        "linear_fp4_grouped",
      "linear_fp8",      "linear_fp8_rows64", "matmul_bf16",
      "matmul_bf16_f32",
      "mhc_head",        "mhc_mix",           "mhc_post",
      "mhc_pre",         "moe_finish",        "moe_gate",
      "moe_gather_add",  "moe_route_count",   "moe_route_place",
      "moe_scatter_add", "rmsnorm",
      "rope",            "rope_table",        "sample_part",
      "sample_token",    "sparse_attention",
      "sparse_attention_combine",             "swiglu"};
  // clang-format on
  return names;
}

bool v4::checkExecutorSupport(const V4Config &c, std::string &error) {
  auto bad = [&](const char *field, int64_t value, const std::string &need) {
    error = "config.json: field '" + std::string(field) + "' is " +
            std::to_string(value) + "; the V4 kernels need " + need;
    return false;
  };
  if (c.headDim != 512)
    return bad("head_dim", c.headDim, "512 (sparse_attention)");
  if (c.ropeHeadDim != 64)
    return bad("qk_rope_head_dim", c.ropeHeadDim,
               "64 (the KV cache's 584-byte entry, kv_pack)");
  if (c.hcMult != 4)
    return bad("hc_mult", c.hcMult, "4 (mhc)");
  if (c.nActivatedExperts != 6)
    return bad("num_experts_per_tok", c.nActivatedExperts, "6 (moe_gate)");
  if (c.nRoutedExperts > 512)
    return bad("n_routed_experts", c.nRoutedExperts, "<= 512 (moe_gate)");
  if (c.nSharedExperts != 1)
    return bad("n_shared_experts", c.nSharedExperts, "1");
  if (c.dim < 64)
    return bad("hidden_size", c.dim, ">= 64 (embedding)");
  if (c.scoreFunc != ScoreFunc::SqrtSoftplus) {
    error = std::string("config.json: field 'scoring_func' is '") +
            scoreFuncName(c.scoreFunc) +
            "'; the V4 kernels implement 'sqrtsoftplus' (moe_gate)";
    return false;
  }
  if (c.linearFormat == WeightFormat::FP4) {
    error = "config.json: FP4 non-expert linears are not supported";
    return false;
  }
  bool csa = false;
  for (int64_t r : c.compressRatios)
    csa |= r == 4;
  if (csa) {
    if (c.indexHeadDim != 128)
      return bad("index_head_dim", c.indexHeadDim,
                 "128 (indexer_rotate_quant)");
    if (c.indexNHeads > 64)
      return bad("index_n_heads", c.indexNHeads, "<= 64 (indexer_topk)");
    if (c.indexTopk > 1024)
      return bad("index_topk", c.indexTopk, "<= 1024 (indexer_topk)");
  }
  return true;
}

Executor::Impl::~Impl() {
  for (void *p : owned)
    device.release(p);
}

void *Executor::Impl::logitsOut(int64_t rows) {
  // f32 [rows, vocab]: yacc where it fits, else a buffer kept for later
  // steps (grown before a step records its work: see Executor::step).
  if (rows * config.vocabSize <= s.capacity * config.dim)
    return s.yacc;
  return grow(logitsBuffer, logitsRows, rows, size_t(config.vocabSize) * 4);
}

void *Executor::Impl::grow(void *&buffer, int64_t &capacity, int64_t rows,
                           size_t rowBytes) {
  if (rows > capacity) {
    if (buffer && !releaseOwned(buffer))
      return nullptr;
    capacity = 0;
    if (!(buffer = alloc(size_t(rows) * rowBytes)))
      return nullptr;
    capacity = rows;
  }
  return buffer;
}

bool Executor::Impl::releaseOwned(void *p) {
  std::string e;
  if (!runRecorded() || !device.synchronize(e))
    return fail(e);
  owned.erase(std::find(owned.begin(), owned.end(), p));
  device.release(p);
  return true;
}

void *Executor::Impl::alloc(size_t bytes) {
  std::string e;
  void *p = device.allocate(bytes, e);
  if (!p) {
    fail(e);
    return nullptr;
  }
  owned.push_back(p);
  return p;
}

bool Executor::Impl::upload(void *dst, const void *src, size_t bytes) {
  std::string e;
  return runRecorded() && (device.upload(dst, src, bytes, e) || fail(e));
}

bool Executor::Impl::copy(void *dst, const void *src, size_t bytes) {
  std::string e;
  if (recording) {
    RecordedWork w;
    w.kind = RecordedWork::Copy;
    w.dst = dst;
    w.src = src;
    w.bytes = bytes;
    recorded.push_back(std::move(w));
    return true;
  }
  return device.copy(dst, src, bytes, e) || fail(e);
}

bool Executor::Impl::fill32(void *dst, uint32_t pattern, size_t words) {
  std::string e;
  if (recording) {
    RecordedWork w;
    w.kind = RecordedWork::Fill;
    w.dst = dst;
    w.pattern = pattern;
    w.bytes = words * 4;
    recorded.push_back(std::move(w));
    return true;
  }
  return device.fill32(dst, pattern, words, e) || fail(e);
}

KernelRunner *Executor::Impl::runnerFor(const std::string &name) {
  KernelRunner *&runner = runners[name];
  if (!runner) {
    std::string e;
    runner = kernels.find(name, e);
    if (!runner)
      fail(e);
  }
  return runner;
}

bool Executor::Impl::run(const std::string &name, Grid grid,
                         std::initializer_list<KArg> args) {
  if (grid[0] <= 0 || grid[1] <= 0 || grid[2] <= 0)
    return true;
  KernelRunner *runner = runnerFor(name);
  if (!runner)
    return false;
  KernelArgs packed;
  for (const KArg &a : args) {
    switch (a.kind) {
    case KArg::Pointer:
      packed.addPointer(const_cast<void *>(a.ptr));
      break;
    case KArg::Index:
      packed.addIndex(a.index);
      break;
    case KArg::F32:
      packed.addF32(a.f32);
      break;
    }
  }
  std::string e;
  ++launchCount;
  if (recording) {
    RecordedWork w;
    w.runner = runner;
    w.grid = grid;
    w.args = packed.values();
    recorded.push_back(std::move(w));
    return true;
  }
  auto start = std::chrono::steady_clock::now();
  if (!runner->launch(packed.data(), grid, e))
    return fail("kernel " + name + ": " + e);
  if (options.profile) {
    // Launches on a GPU only queue: wait, to time this kernel alone.
    if (!device.synchronize(e))
      return fail("kernel " + name + ": " + e);
    KernelProfile &p = profiled[name];
    p.name = name;
    ++p.launches;
    p.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  }
  return true;
}

bool Executor::Impl::buildRopeTables() {
  const V4Config &c = config;
  const int64_t rd = c.ropeHeadDim, npos = options.maxSeqLen;
  auto table = [&](double base, bool yarn) -> const void * {
    void *tab = alloc(npos * rd * 4);
    if (!tab)
      return nullptr;
    double low = 0, high = 0;
    if (yarn) {
      // The official find_correction_range, on the host as there.
      double orig = double(c.ropeScaling.originalMaxPositionEmbeddings);
      auto dimFor = [&](double rotations) {
        return rd * std::log(orig / (rotations * 2 * M_PI)) /
               (2 * std::log(base));
      };
      low = std::max(std::floor(dimFor(c.ropeScaling.betaFast)), 0.0);
      high =
          std::min(std::ceil(dimFor(c.ropeScaling.betaSlow)), double(rd - 1));
      if (low == high)
        high += 0.001;
    }
    if (!run("rope_table", {ceilDiv(npos, 16), 1, 1},
             {KArg::p(tab), KArg::i(npos), KArg::i(rd), KArg::f(base),
              KArg::i(yarn ? 1 : 0), KArg::f(c.ropeScaling.factor),
              KArg::f(low), KArg::f(high)}))
      return nullptr;
    return tab;
  };
  // Sliding-window layers: rope_theta, no YaRN; compressed layers:
  // compress_rope_theta with YaRN (official Attention.__init__).
  ropePlain = table(c.ropeTheta, false);
  bool yarn =
      c.ropeScaling.enabled && c.ropeScaling.originalMaxPositionEmbeddings > 0;
  ropeCompressed = table(c.compressRopeTheta, yarn);
  return ropePlain && ropeCompressed;
}

bool Executor::Impl::ensureScratch(int64_t m, int64_t longest) {
  const V4Config &c = config;
  if (m > s.capacity) {
    // Old scratch stays owned until the end; steps grow rarely (the
    // first prefill sets the size).
    const int64_t hc = c.hcMult, d = c.dim, k = c.nActivatedExperts;
    const int64_t qd = localHeads * c.headDim; // this rank's heads
    const int64_t iqd = c.indexNHeads * c.indexHeadDim;
    const int64_t cw = 2 * c.headDim, icw = 2 * c.indexHeadDim;
    const int64_t inter = c.moeInterDim;
    struct {
      void **slot;
      int64_t bytes;
    } plan[] = {{&s.h, m * hc * d * 2},
                {&s.h2, m * hc * d * 2},
                {&s.y, m * d * 2},
                {&s.post, m * hc * 4},
                {&s.comb, m * hc * hc * 4},
                {&s.mixPart, m * kMixSlices * kMixSlices * 4},
                {&s.xn, m * d * 2},
                {&s.qa, m * c.qLoraRank * 2},
                {&s.qr, m * c.qLoraRank * 2},
                {&s.q, m * qd * 2},
                {&s.kvp, m * c.headDim * 2},
                {&s.kv, m * c.headDim * 2},
                {&s.ckv, m * cw * 4},
                {&s.cscore, m * cw * 4},
                {&s.iq, m * iqd * 2},
                {&s.iw, m * c.indexNHeads * 2},
                {&s.ickv, m * icw * 4},
                {&s.icscore, m * icw * 4},
                {&s.o, m * qd * 2},
                {&s.oa, m * localGroups * c.oLoraRank * 2},
                {&s.ao, m * d * 2},
                {&s.gateW, m * k * 4},
                {&s.gateLogits, m * c.nRoutedExperts * 4},
                {&s.splitPart, device.programsToFill() ? kSplitPartBytes : 4},
                {&s.gateI, m * k * 4},
                // Routed rows: all m * k at once with stacked experts.
                {&s.xe, m * k * d * 2},
                {&s.ge, m * k * inter * 2},
                {&s.ue, m * k * inter * 2},
                {&s.he, m * k * inter * 2},
                {&s.ye, m * k * d * 2},
                {&s.moeGroups, c.nRoutedExperts * 3 * 4},
                {&s.moeInfo, (c.nRoutedExperts * 3 + 1) * 4},
                {&s.greedy, m * 4},
                {&s.greedyValues, m * ceilDiv(c.vocabSize, 4096) * 4},
                {&s.greedyIds, m * ceilDiv(c.vocabSize, 4096) * 4},
                {&s.moeSlots, m * k * 4},
                {&s.tok, m * k * 8},
                {&s.rows, m * k * 4},
                {&s.rw, m * k * 4},
                {&s.yacc, m * d * 4},
                {&s.sg, m * inter * 2},
                {&s.su, m * inter * 2},
                {&s.sh, m * inter * 2},
                {&s.so, m * d * 2},
                {&s.fo, m * d * 2},
                // New compressed entries: a prefill's (< its rows), a
                // decode run's (one row per sequence).
                {&s.entries, m * c.headDim * 2},
                {&s.xq, m * std::max(k, hc) * maxLinearIn},
                {&s.xqs, m * std::max(k, hc) * ceilDiv(maxLinearIn, 128)}};
    for (auto &[slot, bytes] : plan)
      if (!(*slot = alloc(std::max<int64_t>(bytes, 64))))
        return false;
    s.capacity = m;
  }
  if (!s.splitCounters) {
    // One per output block of a split launch (fewer blocks than
    // programsToFill, or it would not split); the kernels leave them 0.
    const int64_t counters = std::max<int64_t>(device.programsToFill(), 16);
    if (!(s.splitCounters = alloc(counters * 4)) ||
        !fill32(s.splitCounters, 0, counters))
      return false;
  }
  if (longest > chunkCapacity) {
    // A prefill's keys (Executor::step: `longest` entries at most).
    const int64_t allPages = ceilDiv(longest, kKvPageEntries);
    std::vector<int32_t> identity(allPages);
    for (int64_t i = 0; i < allPages; ++i)
      identity[i] = int32_t(i);
    if (!(s.kvAll = alloc(allPages * kKvPageBytes)) ||
        !fill32(s.kvAll, 0, allPages * kKvPageBytes / 4) ||
        !(s.kvAllPages = alloc(allPages * 4)) ||
        !upload(s.kvAllPages, identity.data(), allPages * 4))
      return false;
    chunkCapacity = longest;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// The step
//===----------------------------------------------------------------------===//

bool Executor::Impl::mhcMix(const void *h, const void *fn, int64_t m,
                            int64_t rows) {
  return run("mhc_mix", {ceilDiv(m, 4), kMixSlices, 1},
             {KArg::p(h), KArg::p(fn), KArg::p(s.mixPart), KArg::i(m),
              KArg::i(config.dim), KArg::i(rows)});
}

bool Executor::Impl::block(int64_t l, const std::vector<Chunk> &chunks,
                           int64_t m) {
  const V4Config &c = config;
  const BlockW &b = blocks[l];
  auto hcPre = [&](int part, const void *h) {
    return mhcMix(h, b.hcFn[part], m, 2 * c.hcMult + c.hcMult * c.hcMult) &&
           run("mhc_pre", {ceilDiv(m, 4), ceilDiv(c.dim, 256) + 1, 1},
               {KArg::p(h), KArg::p(s.mixPart), KArg::p(b.hcScale[part]),
                KArg::p(b.hcBase[part]), KArg::p(s.y), KArg::p(s.post),
                KArg::p(s.comb), KArg::i(m), KArg::i(c.dim), KArg::f(c.normEps),
                KArg::f(c.hcEps), KArg::i(c.hcSinkhornIters)});
  };
  auto hcPost = [&](const void *x, const void *residual, void *out) {
    return run("mhc_post", {ceilDiv(m, 4), ceilDiv(c.dim, 128), 1},
               {KArg::p(x), KArg::p(residual), KArg::p(s.post), KArg::p(s.comb),
                KArg::p(out), KArg::i(m), KArg::i(c.dim)});
  };
  return hcPre(0, s.h) && rmsnorm(s.y, b.attnNorm, s.xn, m, c.dim) &&
         attention(l, chunks, m) && hcPost(s.ao, s.h, s.h2) && hcPre(1, s.h2) &&
         rmsnorm(s.y, b.ffnNorm, s.xn, m, c.dim) && moe(l, m) &&
         hcPost(s.fo, s.h2, s.h);
}

Executor::Executor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executor::~Executor() = default;

std::unique_ptr<Executor>
Executor::create(const V4Config &config, const Checkpoint &checkpoint,
                 Device &device, KernelLibrary &kernels,
                 ExecutorOptions options, std::string &error) {
  // The config first: its message names the field, not a tensor shape.
  if (!checkExecutorSupport(config, error) ||
      !validateCheckpoint(config, checkpoint, error))
    return nullptr;
  return create(config, &checkpoint, nullptr, device, kernels,
                std::move(options), error);
}

std::unique_ptr<Executor> Executor::create(const TensorGenerator &generator,
                                           Device &device,
                                           KernelLibrary &kernels,
                                           ExecutorOptions options,
                                           std::string &error) {
  return create(generator.config(), nullptr, &generator, device, kernels,
                std::move(options), error);
}

std::unique_ptr<Executor>
Executor::create(const V4Config &config, const Checkpoint *checkpoint,
                 const TensorGenerator *generator, Device &device,
                 KernelLibrary &kernels, ExecutorOptions options,
                 std::string &error) {
  if (!checkExecutorSupport(config, error))
    return nullptr;
  if (options.maxSeqLen < 1) {
    error = "the maximum sequence length must be at least 1";
    return nullptr;
  }
  // Positions past it have no trained meaning (and the rope tables, the
  // caches and index lists are sized by it: a typo must not become an
  // allocation of many gigabytes).
  if (config.maxPositionEmbeddings > 0 &&
      options.maxSeqLen > config.maxPositionEmbeddings) {
    error = "a maximum sequence length of " +
            std::to_string(options.maxSeqLen) +
            " positions exceeds the model's " +
            std::to_string(config.maxPositionEmbeddings) +
            " (config.json: max_position_embeddings)";
    return nullptr;
  }
  auto impl =
      std::make_unique<Impl>(config, device, kernels, std::move(options));
  if (config.engram && !impl->options.engramTables) {
    error = "config.json has an 'engram' section but no Engram tables were "
            "given (engram.safetensors in the model directory, made by "
            "scripts/engram_tables.py)";
    return nullptr;
  }
  if (!impl->loadWeights(checkpoint, generator) || !impl->buildRopeTables() ||
      (config.engram && !impl->loadEngramTables(*impl->options.engramTables))) {
    error = impl->error;
    return nullptr;
  }
  return std::unique_ptr<Executor>(new Executor(std::move(impl)));
}

const V4Config &Executor::config() const { return impl_->config; }
int64_t Executor::maxSeqLen() const { return impl_->options.maxSeqLen; }

uint64_t Executor::launches() const { return impl_->launchCount; }

std::vector<KernelProfile> Executor::profile() const {
  std::vector<KernelProfile> out;
  for (const auto &[name, p] : impl_->profiled)
    out.push_back(p);
  std::sort(out.begin(), out.end(),
            [](const KernelProfile &a, const KernelProfile &b) {
              return a.seconds > b.seconds;
            });
  return out;
}

int Executor::addSequence(std::string &error) {
  impl_->error.clear();
  if (!impl_->releasedSequences.empty()) {
    int s = impl_->releasedSequences.back();
    if (!impl_->initCaches(impl_->sequences[s])) {
      error = impl_->error;
      return -1;
    }
    impl_->releasedSequences.pop_back();
    return s;
  }
  impl_->sequences.emplace_back();
  if (!impl_->initCaches(impl_->sequences.back())) {
    error = impl_->error;
    impl_->sequences.pop_back();
    return -1;
  }
  return static_cast<int>(impl_->sequences.size() - 1);
}

int Executor::forkSequence(int source, std::string &error) {
  Impl &I = *impl_;
  if (source < 0 || size_t(source) >= I.sequences.size() ||
      std::count(I.releasedSequences.begin(), I.releasedSequences.end(),
                 source)) {
    error = "fork: no sequence " + std::to_string(source);
    return -1;
  }
  const int s = addSequence(error);
  if (s < 0)
    return -1;
  if (!I.copyCaches(I.sequences[size_t(source)], I.sequences[size_t(s)])) {
    error = I.error;
    releaseSequence(s);
    return -1;
  }
  return s;
}

bool Executor::resetSequence(int sequence, std::string &error) {
  impl_->error.clear();
  if (impl_->initCaches(impl_->sequences.at(sequence)))
    return true;
  error = impl_->error;
  return false;
}

void Executor::releaseSequence(int sequence) {
  if (sequence >= 0 && size_t(sequence) < impl_->sequences.size() &&
      std::count(impl_->releasedSequences.begin(),
                 impl_->releasedSequences.end(), sequence) == 0)
    impl_->releasedSequences.push_back(sequence);
}

int64_t Executor::prefillChunkMultiple() const {
  return impl_->extendAlignment();
}

int64_t Executor::sequenceLength(int sequence) const {
  return impl_->sequences.at(sequence).length;
}

bool Executor::step(const std::vector<StepInput> &inputs,
                    std::vector<float> &logits, std::string &error) {
  StepResult result;
  bool ok = step(inputs, StepResult::Logits, result, error);
  logits = std::move(result.logits);
  return ok;
}

bool Executor::step(const std::vector<StepInput> &inputs, unsigned parts,
                    StepResult &result, std::string &error) {
  Impl &I = *impl_;
  const V4Config &c = I.config;
  I.error.clear();
  std::vector<Chunk> chunks;
  std::vector<int64_t> ids;
  std::vector<bool> seen(I.sequences.size(), false);
  int64_t longest = 0;
  const int64_t align = I.extendAlignment();
  for (const StepInput &in : inputs) {
    if (in.sequence < 0 || size_t(in.sequence) >= I.sequences.size()) {
      error = "step: no sequence " + std::to_string(in.sequence);
      return false;
    }
    if (seen[in.sequence]) {
      error = "step: sequence " + std::to_string(in.sequence) +
              " appears twice in one step";
      return false;
    }
    seen[in.sequence] = true;
    const Sequence &seq = I.sequences[in.sequence];
    const int64_t n = static_cast<int64_t>(in.tokens.size());
    if (n == 0) {
      error = "step: sequence " + std::to_string(in.sequence) +
              " is given no tokens";
      return false;
    }
    if (seq.length > 0 && n > 1 && seq.length % align) {
      error = "step: sequence " + std::to_string(in.sequence) + " has " +
              std::to_string(seq.length) + " tokens and is given " +
              std::to_string(n) +
              ": a prefill into a sequence that holds tokens (a chunked "
              "prefill) must start at a multiple of " +
              std::to_string(align) +
              " positions (the compression ratios' common multiple); a "
              "decode step takes one token anywhere";
      return false;
    }
    if (seq.length + n > I.options.maxSeqLen) {
      error = "step: sequence " + std::to_string(in.sequence) + " would hold " +
              std::to_string(seq.length + n) +
              " tokens, more than the maximum sequence length " +
              std::to_string(I.options.maxSeqLen);
      return false;
    }
    for (int64_t t : in.tokens)
      if (t < 0 || t >= c.vocabSize) {
        error = "step: token id " + std::to_string(t) +
                " is outside the vocabulary [0, " +
                std::to_string(c.vocabSize) + ")";
        return false;
      }
    chunks.push_back(
        {in.sequence, static_cast<int64_t>(ids.size()), n, seq.length});
    ids.insert(ids.end(), in.tokens.begin(), in.tokens.end());
    // Keys of a prefill: its rows and its entries (< 2n); of an extension,
    // the sequence's whole cache and its rows.
    longest = std::max(longest,
                       seq.length > 0 && n > 1 ? I.longestCache() + n : 2 * n);
  }
  const int64_t m = static_cast<int64_t>(ids.size());
  const int64_t nc = static_cast<int64_t>(chunks.size());
  result.logits.clear();
  result.greedy.clear();
  result.sampled.clear();
  result.sampledOnHost = 0;
  I.stepSampleHost.clear();
  I.stepSamples.clear();
  if ((parts & StepResult::Sampled) && !I.prepareSampling(inputs)) {
    error = I.error;
    return false;
  }
  if (parts & StepResult::Logits)
    result.logits.assign(nc * c.vocabSize, 0.f);
  if (parts & StepResult::Greedy)
    result.greedy.assign(nc, -1);
  if (m == 0)
    return true;
  const int64_t hc = c.hcMult, d = c.dim;
  auto done = [&](bool ok) {
    if (!ok) {
      error = I.error.empty() ? "step failed" : I.error;
      I.recording = false; // what a failed step kept is not run
      I.recorded.clear();
    }
    return ok;
  };
  // A decode step (every input one token) is recorded and queued as a
  // graph at the end (finishRecording, before its results come back).
  const bool decodeStep = m == nc;
  if (!I.ensureScratch(m, longest) || !I.logitsOut(nc) ||
      !I.planStep(chunks, ids, 0, c.numLayers))
    return done(false);
  if (decodeStep)
    I.startRecording();
  if (!I.run("embedding", {ceilDiv(m, 16), ceilDiv(d, 64), 1},
             {KArg::p(I.embed), KArg::p(I.stepArg(I.stepIds)), KArg::p(I.s.h),
              KArg::i(m), KArg::i(d), KArg::i(hc)}))
    return done(false);
  for (int64_t l = 0; l < c.numLayers; ++l)
    if ((I.blocks[l].engram >= 0 && !I.engram(l, chunks, ids, m)) ||
        !I.block(l, chunks, m))
      return done(false);
  if (!I.logitsOfLastRows(chunks, I.hcHead, I.norm, parts, result))
    return done(false);
  I.recordEngramTokens(chunks, ids);
  for (const Chunk &ch : chunks)
    I.sequences[ch.sequence].length += ch.count;
  I.lastChunks = chunks;
  return true;
}

bool Executor::Impl::logitsOfLastRows(const std::vector<Chunk> &chunks,
                                      const std::array<const void *, 3> &hc,
                                      const void *finalNorm, unsigned parts,
                                      StepResult &result) {
  const V4Config &c = config;
  const int64_t nc = int64_t(chunks.size());
  const int64_t hcm = c.hcMult, d = c.dim;
  Impl &I = *this;
  auto done = [](bool ok) { return ok; };
  // The last position of each input: streams -> head mix -> logits.
  for (int64_t i = 0; i < nc; ++i) {
    const Chunk &ch = chunks[i];
    if (!I.copy(bf16At(I.s.h2, i * hcm * d),
                bf16At(I.s.h, (ch.row0 + ch.count - 1) * hcm * d), hcm * d * 2))
      return done(false);
  }
  void *out = I.logitsOut(nc);
  void *part = out ? I.headOut(out, nc) : nullptr;
  if (!part)
    return done(false);
  bool ok = I.mhcMix(I.s.h2, hc[0], nc, hcm) &&
            I.run("mhc_head", {ceilDiv(nc, 4), ceilDiv(d, 256), 1},
                  {KArg::p(I.s.h2), KArg::p(I.s.mixPart), KArg::p(hc[1]),
                   KArg::p(hc[2]), KArg::p(I.s.y), KArg::i(nc), KArg::i(d),
                   KArg::f(c.normEps), KArg::f(c.hcEps)}) &&
            I.rmsnorm(I.s.y, finalNorm, I.s.xn, nc, d) &&
            I.headLogits(part, nc) && I.gatherLogits(out, nc);
  if (ok && (parts & StepResult::Sampled))
    ok = I.queueSampling(out, nc);
  if (ok && (parts & StepResult::Greedy))
    ok = I.run("greedy_part", {nc, ceilDiv(c.vocabSize, 4096), 1},
               {KArg::p(out), KArg::p(I.s.greedyValues), KArg::p(I.s.greedyIds),
                KArg::i(nc), KArg::i(c.vocabSize)}) &&
         I.run("greedy_token", {nc, 1, 1},
               {KArg::p(I.s.greedyValues), KArg::p(I.s.greedyIds),
                KArg::p(I.s.greedy), KArg::i(nc), KArg::i(c.vocabSize)});
  // The step's work is all queued: then its results come back.
  ok = ok && I.finishRecording();
  std::string e;
  if (ok && (parts & StepResult::Logits)) {
    result.logits.resize(nc * c.vocabSize);
    ok = I.device.download(result.logits.data(), out, result.logits.size() * 4,
                           e) ||
         I.fail(e);
  }
  if (ok && (parts & StepResult::Greedy)) {
    std::vector<int32_t> ids(nc);
    ok = I.device.download(ids.data(), I.s.greedy, nc * 4, e) || I.fail(e);
    result.greedy.assign(ids.begin(), ids.end());
  }
  if (ok && (parts & StepResult::Sampled))
    ok = I.finishSampling(out, result);
  return done(ok);
}

bool Executor::mtpStep(const std::vector<std::vector<int64_t>> &next,
                       std::vector<float> &logits, std::string &error) {
  Impl &I = *impl_;
  const V4Config &c = I.config;
  I.error.clear();
  if (I.mtp.empty()) {
    error = "mtpStep: the model has no MTP block (num_nextn_predict_layers "
            "is 0)";
    return false;
  }
  const std::vector<Chunk> &chunks = I.lastChunks;
  if (chunks.empty() || next.size() != chunks.size()) {
    error = "mtpStep: give the next tokens of each input of the last step (" +
            std::to_string(chunks.size()) + " inputs)";
    return false;
  }
  std::vector<int64_t> ids;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (int64_t(next[i].size()) != chunks[i].count) {
      error = "mtpStep: input " + std::to_string(i) + " ran " +
              std::to_string(chunks[i].count) + " tokens, given " +
              std::to_string(next[i].size()) + " next tokens";
      return false;
    }
    for (int64_t t : next[i])
      if (t < 0 || t >= c.vocabSize) {
        error = "mtpStep: token id " + std::to_string(t) +
                " is outside the vocabulary";
        return false;
      }
    ids.insert(ids.end(), next[i].begin(), next[i].end());
  }
  const int64_t m = int64_t(ids.size()), d = c.dim, hc = c.hcMult;
  const MtpW &w = I.mtp[0];
  // x = e_proj(enorm(embed(next))) + h_proj(hnorm(h)), then the block
  // (official MTPBlock.forward), then its own head mix and norm.
  // The MTP block's caches take the positions the trunk just ran.
  std::vector<Chunk> at = chunks;
  for (Chunk &ch : at)
    ch.start = I.sequences[ch.sequence].length - ch.count;
  bool ok = I.planStep(at, ids, c.numLayers, c.numLayers + 1) &&
            I.run("embedding", {ceilDiv(m, 16), ceilDiv(d, 64), 1},
                  {KArg::p(I.embed), KArg::p(I.stepArg(I.stepIds)),
                   KArg::p(I.s.y), KArg::i(m), KArg::i(d), KArg::i(1)}) &&
            I.rmsnorm(I.s.y, w.enorm, I.s.xn, m, d) &&
            I.linear(w.eProj, I.s.xn, I.s.ao, m) &&
            I.rmsnorm(I.s.h, w.hnorm, I.s.h2, m * hc, d) &&
            I.linear(w.hProj, I.s.h2, I.s.h, m * hc) &&
            I.run("mtp_input", {ceilDiv(m, 4), ceilDiv(d, 256), 1},
                  {KArg::p(I.s.ao), KArg::p(I.s.h), KArg::p(I.s.h), KArg::i(m),
                   KArg::i(hc), KArg::i(d)});
  StepResult result;
  ok = ok && I.block(c.numLayers, at, m) &&
       I.logitsOfLastRows(at, w.hcHead, w.norm, StepResult::Logits, result);
  logits = std::move(result.logits);
  I.lastChunks.clear(); // s.h now holds the MTP block's streams
  if (!ok)
    error = I.error.empty() ? "mtpStep failed" : I.error;
  return ok;
}
