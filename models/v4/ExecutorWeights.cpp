//===- ExecutorWeights.cpp - V4 weights onto the device -------------------===//
//
// Weights come from a checkpoint (mapped files: used in place on host
// memory, uploaded otherwise) or from the seeded generator, which makes
// each tensor as it is placed: several threads generate, one uploads, and
// only a few tensors are on the host at once, so a model of any size loads
// without its files.
//
//===----------------------------------------------------------------------===//
#include "models/v4/CheckpointGenerator.h"
#include "models/v4/ExecutorImpl.h"

#include "runtime/FloatFormats.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

using namespace dsv4c;
using namespace dsv4c::v4;

namespace {

/// Places weight tensors on the device. A checkpoint's tensors are placed
/// at once; generated ones get their memory at once and their values in
/// finish().
class WeightPlacer {
public:
  WeightPlacer(Executor::Impl &impl, const Checkpoint *ckpt,
               const TensorGenerator *generator, size_t total)
      : impl(impl), ckpt(ckpt), generator(generator), total(total) {}

  /// Tensor `name` on the device: at `dst` (`dstBytes` there, which the
  /// tensor must fill exactly), else in its own allocation (or in place on
  /// host memory).
  const void *get(const std::string &name, void *dst = nullptr,
                  uint64_t dstBytes = 0) {
    auto wrongSize = [&](uint64_t bytes) {
      impl.fail("tensor '" + name + "' has " + std::to_string(bytes) +
                " bytes where its stacked slot has " +
                std::to_string(dstBytes));
      return nullptr;
    };
    if (generator) {
      const ExpectedTensor *t = generator->find(name);
      if (!t) {
        impl.fail("tensor '" + name + "' is not part of the generated model");
        return nullptr;
      }
      uint64_t bytes = TensorGenerator::bytesOf(*t);
      if (dst && bytes != dstBytes)
        return wrongSize(bytes);
      void *p = dst ? dst : impl.alloc(std::max<uint64_t>(bytes, 1));
      if (p)
        pending.push_back({&t->name, p, bytes});
      return p;
    }
    const TensorInfo *t = ckpt->find(name);
    if (!t) {
      impl.fail("tensor '" + name + "' is missing from the checkpoint");
      return nullptr;
    }
    if (dst && t->bytes != dstBytes)
      return wrongSize(t->bytes);
    tick();
    if (!dst && impl.device.isHostMemory())
      return t->data;
    void *p = dst ? dst : impl.alloc(t->bytes);
    if (!p || !impl.upload(p, t->data, t->bytes))
      return nullptr;
    return p;
  }

  /// A hash layer's tid2eid (i64 [vocab, k]): every entry must name one of
  /// the model's experts, since the device's routing skips any other pick.
  /// Generated tables are in range by construction.
  const void *expertTable(const std::string &name, int64_t experts) {
    if (const TensorInfo *t = ckpt ? ckpt->find(name) : nullptr) {
      const int64_t k = t->shape.empty() ? 1 : t->shape.back();
      for (int64_t i = 0; i < t->numElements(); ++i) {
        int64_t x;
        std::memcpy(&x, static_cast<const char *>(t->data) + i * 8, 8);
        if (x < 0 || x >= experts) {
          impl.fail("tensor '" + name + "' [" + std::to_string(i / k) + ", " +
                    std::to_string(i % k) + "] is expert " + std::to_string(x) +
                    "; the model has " + std::to_string(experts) +
                    " (n_routed_experts)");
          return nullptr;
        }
      }
    }
    return get(name);
  }

  /// One linear of the rank's routed experts [first, first + experts)
  /// (`part`: w1, w2 or w3), FP4, stacked
  /// in one allocation for the weights and one for the scales.
  bool stackExperts(const std::string &prefix, int64_t first, int64_t experts,
                    int part, int64_t out, int64_t in,
                    std::vector<std::array<LinearW, 3>> &into) {
    impl.maxLinearIn = std::max(impl.maxLinearIn, in);
    const uint64_t weightBytes = uint64_t(out * in / 2);
    const uint64_t scaleBytes = uint64_t(out * ceilDiv(in, 32));
    void *weights = impl.alloc(weightBytes * experts);
    void *scales = impl.alloc(scaleBytes * experts);
    if (!weights || !scales)
      return false;
    const std::string name = "w" + std::to_string(part + 1);
    for (int64_t e = 0; e < experts; ++e) {
      const std::string p =
          prefix + "ffn.experts." + std::to_string(first + e) + "." + name;
      LinearW &w = into[e][part];
      w = {WeightFormat::FP4,
           get(p + ".weight", at(weights, e, weightBytes), weightBytes),
           get(p + ".scale", at(scales, e, scaleBytes), scaleBytes), out, in};
      if (!w.weight || !w.scale)
        return false;
    }
    return true;
  }

  LinearW linear(const std::string &prefix, WeightFormat format, int64_t out,
                 int64_t in) {
    LinearW w{format, get(prefix + ".weight"), nullptr, out, in};
    if (format != WeightFormat::BF16) {
      w.scale = get(prefix + ".scale");
      impl.maxLinearIn = std::max(impl.maxLinearIn, in);
    }
    return w;
  }

  /// Rows [r0, r1) of a linear [out, in] kept in bf16 by the official code
  /// (wo_a; a rank's output groups): FP8 checkpoints are dequantised here,
  /// whole, then sliced.
  const void *dense(const std::string &prefix, WeightFormat format, int64_t out,
                    int64_t in, int64_t r0, int64_t r1) {
    const bool whole = r0 == 0 && r1 == out;
    if (format == WeightFormat::BF16)
      return slice(prefix + ".weight", r0, r1, 0, in);
    Rect rect{out, in * 2, r0, r1, 0, in * 2};
    if (generator) {
      void *p = impl.alloc(rect.bytes());
      if (p)
        pending.push_back(
            {nullptr, p, rect.bytes(), prefix, out, in, whole ? Rect() : rect});
      return p;
    }
    const TensorInfo *w = ckpt->find(prefix + ".weight");
    const TensorInfo *s = ckpt->find(prefix + ".scale");
    if (!w || !s) {
      impl.fail("tensor '" + prefix + ".weight' or its scale is missing");
      return nullptr;
    }
    tick(2);
    std::vector<uint16_t> bf(out * in);
    dequantise(static_cast<const uint8_t *>(w->data),
               static_cast<const uint8_t *>(s->data), out, in, bf.data());
    void *p = impl.alloc(rect.bytes());
    if (!p || !impl.upload(p, bf.data() + r0 * in, rect.bytes()))
      return nullptr;
    return p;
  }

  /// Rows [r0, r1) and columns [c0, c1) of tensor `name` seen as a matrix
  /// [its first dimension, the rest] (a tensor-parallel rank's share), in
  /// an allocation of its own (in place where that is whole rows of host
  /// memory); the whole tensor is get(name).
  const void *slice(const std::string &name, int64_t r0, int64_t r1, int64_t c0,
                    int64_t c1) {
    std::vector<int64_t> shape;
    uint64_t bytes = 0;
    if (const ExpectedTensor *t = generator ? generator->find(name) : nullptr) {
      shape = t->shape;
      bytes = TensorGenerator::bytesOf(*t);
    } else if (const TensorInfo *t = ckpt ? ckpt->find(name) : nullptr) {
      shape = t->shape;
      bytes = t->bytes;
    } else {
      impl.fail("tensor '" + name + "' is missing from the " +
                (generator ? "generated model" : "checkpoint"));
      return nullptr;
    }
    Rect rect;
    rect.rows = shape.empty() ? 1 : shape[0];
    int64_t cols = 1;
    for (size_t i = 1; i < shape.size(); ++i)
      cols *= shape[i];
    const int64_t element =
        int64_t(bytes) / std::max<int64_t>(rect.rows * cols, 1);
    if (r0 < 0 || r1 > rect.rows || r0 >= r1 || c0 < 0 || c1 > cols ||
        c0 >= c1 || element * rect.rows * cols != int64_t(bytes)) {
      impl.fail("tensor '" + name + "' cannot be split as [" +
                std::to_string(rect.rows) + ", " + std::to_string(cols) +
                "] rows " + std::to_string(r0) + ".." + std::to_string(r1) +
                ", columns " + std::to_string(c0) + ".." + std::to_string(c1));
      return nullptr;
    }
    if (r0 == 0 && r1 == rect.rows && c0 == 0 && c1 == cols)
      return get(name);
    rect = {rect.rows, cols * element, r0, r1, c0 * element, c1 * element};
    if (generator) {
      void *p = impl.alloc(std::max<uint64_t>(rect.bytes(), 1));
      if (p)
        pending.push_back(
            {&generator->find(name)->name, p, rect.bytes(), {}, 0, 0, rect});
      return p;
    }
    const TensorInfo *t = ckpt->find(name);
    tick();
    const char *data = static_cast<const char *>(t->data);
    if (rect.wholeRows() && impl.device.isHostMemory())
      return data + r0 * rect.rowBytes;
    std::vector<uint8_t> part(rect.bytes());
    rect.copy(data, part.data());
    void *p = impl.alloc(part.size());
    if (!p || !impl.upload(p, part.data(), part.size()))
      return nullptr;
    return p;
  }

  /// Rows [r0, r1) of linear `prefix` [out, in] (a column-parallel rank's
  /// share), or with `columns` its inputs [r0, r1) (row-parallel); an FP8
  /// scale keeps the 128-blocks that cover them (checkTensorParallel:
  /// whole blocks, or all inside one). The whole linear is linear().
  LinearW linearSlice(const std::string &prefix, WeightFormat format,
                      int64_t out, int64_t in, int64_t r0, int64_t r1,
                      bool columns) {
    if (r0 == 0 && r1 == (columns ? in : out))
      return linear(prefix, format, out, in);
    const int64_t block = V4Config::kFp8BlockSize;
    const int64_t b0 = r0 / block, b1 = ceilDiv(r1, block);
    LinearW w{format, nullptr, nullptr, columns ? out : r1 - r0,
              columns ? r1 - r0 : in};
    w.weight = columns ? slice(prefix + ".weight", 0, out, r0, r1)
                       : slice(prefix + ".weight", r0, r1, 0, in);
    if (format == WeightFormat::FP8) {
      w.scale = columns
                    ? slice(prefix + ".scale", 0, ceilDiv(out, block), b0, b1)
                    : slice(prefix + ".scale", b0, b1, 0, ceilDiv(in, block));
      impl.maxLinearIn = std::max(impl.maxLinearIn, w.in);
    } else if (format != WeightFormat::BF16) {
      impl.fail("tensor '" + prefix +
                ".weight': only BF16 and FP8 linears are split over ranks");
    }
    return w;
  }

  /// Generates the tensors get() handed out: worker threads fill them in
  /// place on host memory; otherwise they fill host buffers, which this
  /// thread uploads, with a bounded number of buffers in flight.
  bool finish() {
    if (!impl.error.empty())
      return false;
    if (pending.empty())
      return true;
    const bool inPlace = impl.device.isHostMemory();
    const unsigned threads = unsigned(std::min<size_t>(
        std::max(1u, std::thread::hardware_concurrency()), pending.size()));
    const size_t maxReady = 2 * size_t(threads);
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<const Pending *, std::vector<uint8_t>>> ready;
    std::atomic<size_t> next{0};
    bool failed = false; // under mutex
    auto work = [&] {
      for (size_t j = next++; j < pending.size(); j = next++) {
        const Pending &job = pending[j];
        std::vector<uint8_t> host(inPlace ? 0 : job.bytes);
        std::string e;
        bool ok = produce(job, inPlace ? job.device : host.data(), e);
        std::unique_lock<std::mutex> lock(mutex);
        if (!ok) {
          impl.fail(e);
          failed = true;
        }
        if (failed) {
          changed.notify_all();
          return;
        }
        if (inPlace) {
          tick(job.name ? 1 : 2);
          continue;
        }
        changed.wait(lock, [&] { return ready.size() < maxReady || failed; });
        ready.emplace_back(&job, std::move(host));
        changed.notify_all();
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back(work);
    for (size_t n = 0; !inPlace && n < pending.size(); ++n) {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return !ready.empty() || failed; });
      if (failed)
        break;
      auto [job, host] = std::move(ready.front());
      ready.pop_front();
      changed.notify_all();
      lock.unlock();
      std::string e;
      bool ok = impl.device.upload(job->device, host.data(), job->bytes, e);
      lock.lock();
      tick(job->name ? 1 : 2);
      if (!ok) {
        impl.fail(e);
        failed = true;
        changed.notify_all();
        break;
      }
    }
    for (std::thread &t : pool)
      t.join();
    pending.clear();
    return !failed;
  }

private:
  /// A generated tensor, or (name null) the bf16 dequantisation of the FP8
  /// linear `densePrefix` [out, in].
  /// Rows [r0, r1) and bytes [b0, b1) of each row of a tensor of `rows`
  /// rows of `rowBytes` (rows = 0: the whole tensor).
  struct Rect {
    int64_t rows = 0, rowBytes = 0, r0 = 0, r1 = 0, b0 = 0, b1 = 0;
    bool whole() const { return rows == 0; }
    bool wholeRows() const { return b0 == 0 && b1 == rowBytes; }
    uint64_t bytes() const { return uint64_t((r1 - r0) * (b1 - b0)); }
    void copy(const void *from, void *to) const {
      for (int64_t r = r0; r < r1; ++r)
        std::memcpy(static_cast<char *>(to) + (r - r0) * (b1 - b0),
                    static_cast<const char *>(from) + r * rowBytes + b0,
                    size_t(b1 - b0));
    }
  };

  struct Pending {
    const std::string *name;
    void *device;
    uint64_t bytes;
    std::string densePrefix;
    int64_t out = 0, in = 0;
    Rect rect; // of the named tensor or the dense linear
  };

  /// bf16(e4m3 * ue8m0 scale of its 128x128 block), as the official code
  /// keeps wo_a.
  static void dequantise(const uint8_t *codes, const uint8_t *scales,
                         int64_t out, int64_t in, uint16_t *bf) {
    const int64_t block = V4Config::kFp8BlockSize;
    const int64_t scaleCols = ceilDiv(in, block);
    for (int64_t r = 0; r < out; ++r)
      for (int64_t c = 0; c < in; ++c) {
        float scale =
            f8E8M0FNUToFloat(scales[(r / block) * scaleCols + c / block]);
        bf[r * in + c] =
            floatToBf16(f8E4M3FNToFloat(codes[r * in + c]) * scale);
      }
  }

  /// Fills `dst` with what `job` places (thread-safe).
  bool produce(const Pending &job, void *dst, std::string &error) const {
    if (!job.rect.whole()) {
      // A rank's share: the whole tensor made, its rectangle kept.
      Pending whole = job;
      whole.rect = Rect();
      whole.bytes = uint64_t(job.rect.rows * job.rect.rowBytes);
      std::vector<uint8_t> all(whole.bytes);
      if (!produce(whole, all.data(), error))
        return false;
      job.rect.copy(all.data(), dst);
      return true;
    }
    if (job.name)
      return generator->fill(*job.name, dst, error);
    auto generate = [&](const std::string &name, std::vector<uint8_t> &bytes) {
      const ExpectedTensor *t = generator->find(name);
      if (!t) {
        error = "tensor '" + name + "' is not part of the generated model";
        return false;
      }
      bytes.resize(TensorGenerator::bytesOf(*t));
      return generator->fill(name, bytes.data(), error);
    };
    std::vector<uint8_t> codes, scales;
    if (!generate(job.densePrefix + ".weight", codes) ||
        !generate(job.densePrefix + ".scale", scales))
      return false;
    if (codes.size() != size_t(job.out * job.in)) {
      error = "tensor '" + job.densePrefix + ".weight' is not FP8 [" +
              std::to_string(job.out) + ", " + std::to_string(job.in) + "]";
      return false;
    }
    dequantise(codes.data(), scales.data(), job.out, job.in,
               static_cast<uint16_t *>(dst));
    return true;
  }

  /// `tensors` more checkpoint tensors placed (a dense linear is two).
  void tick(size_t tensors = 1) {
    done += tensors;
    if (impl.options.progress)
      impl.options.progress(done, total);
  }

  Executor::Impl &impl;
  const Checkpoint *ckpt;
  const TensorGenerator *generator;
  size_t total;
  size_t done = 0;
  std::vector<Pending> pending;
};

} // namespace

bool Executor::Impl::loadWeights(const Checkpoint *ckpt,
                                 const TensorGenerator *generator) {
  const V4Config &c = config;
  if (!initParallel())
    return false;
  // Progress counts the tensors this rank places: not the other ranks'
  // routed experts.
  size_t placed = 0;
  for (const ExpectedTensor &t : expectedTensors(c)) {
    const size_t at = t.name.find("ffn.experts.");
    const int64_t e = at == std::string::npos
                          ? firstExpert
                          : std::stoll(t.name.substr(at + 12));
    placed += e >= firstExpert && e < firstExpert + localExperts;
  }
  WeightPlacer w(*this, ckpt, generator, placed);
  // Each rank holds the whole embedding (official: a vocabulary slice and
  // an all_reduce that adds one nonzero row per token, the same values).
  embed = w.get("embed.weight");
  norm = w.get("norm.weight");
  head = w.slice("head.weight", firstVocab, firstVocab + localVocab, 0, c.dim);
  hcHead = {w.get("hc_head_fn"), w.get("hc_head_scale"), w.get("hc_head_base")};
  const WeightFormat lf = c.linearFormat;
  // Layers, then the MTP blocks (blocks[numLayers + k]).
  for (int64_t l = 0; l < c.numBlocks(); ++l) {
    const bool isMtp = l >= c.numLayers;
    const std::string p = isMtp ? "mtp." + std::to_string(l - c.numLayers) + "."
                                : "layers." + std::to_string(l) + ".";
    BlockW b;
    b.ratio = c.compressRatio(l);
    b.hash = c.isHashLayer(l);
    if (!isMtp && c.engram && c.engram->hasLayer(l)) {
      const std::string e = p + "engram.";
      EngramW ew;
      ew.embed = w.get(e + "embedding.weight");
      ew.keyW = w.get(e + "key_proj.weight");
      ew.keyB = w.get(e + "key_proj.bias");
      ew.valW = w.get(e + "value_proj.weight");
      ew.valB = w.get(e + "value_proj.bias");
      ew.norm1 = w.get(e + "norm1.weight");
      ew.norm2 = w.get(e + "norm2.weight");
      ew.conv = w.get(e + "conv.weight");
      ew.convNorm = w.get(e + "conv_norm.weight");
      b.engram = int(engrams.size());
      engrams.push_back(ew);
    }
    // A rank's query heads [h0, h0 + localHeads) and their output groups
    // [g0, g0 + localGroups): wq_b column-parallel, wo_b row-parallel
    // (official Attention with world_size > 1); the rest whole.
    const int64_t h0 = rank * localHeads, g0 = rank * localGroups;
    const int64_t qd = c.numHeads * c.headDim, og = c.oGroups * c.oLoraRank;
    b.sink = w.slice(p + "attn.attn_sink", h0, h0 + localHeads, 0, 1);
    b.wqA = w.linear(p + "attn.wq_a", lf, c.qLoraRank, c.dim);
    b.qNorm = w.get(p + "attn.q_norm.weight");
    b.wqB = w.linearSlice(p + "attn.wq_b", lf, qd, c.qLoraRank, h0 * c.headDim,
                          (h0 + localHeads) * c.headDim, false);
    b.wkv = w.linear(p + "attn.wkv", lf, c.headDim, c.dim);
    b.kvNorm = w.get(p + "attn.kv_norm.weight");
    b.woA = w.dense(p + "attn.wo_a", lf, og, qd / c.oGroups, g0 * c.oLoraRank,
                    (g0 + localGroups) * c.oLoraRank);
    b.woB = w.linearSlice(p + "attn.wo_b", lf, c.dim, og, g0 * c.oLoraRank,
                          (g0 + localGroups) * c.oLoraRank, true);
    auto compressor = [&](const std::string &cp, int64_t ratio, int64_t d) {
      CompressorW cw;
      cw.ratio = ratio;
      cw.d = d;
      cw.overlap = ratio == 4;
      cw.ape = w.get(cp + "ape");
      cw.wkv = w.get(cp + "wkv.weight");
      cw.wgate = w.get(cp + "wgate.weight");
      cw.norm = w.get(cp + "norm.weight");
      return cw;
    };
    if (b.ratio)
      b.compressor = compressor(p + "attn.compressor.", b.ratio, c.headDim);
    if (b.ratio == 4) {
      b.indexWqB = w.linear(p + "attn.indexer.wq_b", lf,
                            c.indexNHeads * c.indexHeadDim, c.qLoraRank);
      b.indexWeights = w.get(p + "attn.indexer.weights_proj.weight");
      b.indexCompressor =
          compressor(p + "attn.indexer.compressor.", 4, c.indexHeadDim);
    }
    b.gate = w.get(p + "ffn.gate.weight");
    if (b.hash)
      b.tid2eid = w.expertTable(p + "ffn.gate.tid2eid", c.nRoutedExperts);
    else
      b.gateBias = w.get(p + "ffn.gate.bias");
    b.stacked = c.expertFormat == WeightFormat::FP4;
    // The rank's routed experts [firstExpert, firstExpert + localExperts).
    if (b.stacked) {
      b.experts.resize(localExperts);
      if (!w.stackExperts(p, firstExpert, localExperts, 0, c.moeInterDim, c.dim,
                          b.experts) ||
          !w.stackExperts(p, firstExpert, localExperts, 1, c.dim, c.moeInterDim,
                          b.experts) ||
          !w.stackExperts(p, firstExpert, localExperts, 2, c.moeInterDim, c.dim,
                          b.experts))
        return false;
    }
    for (int64_t e = 0; !b.stacked && e < localExperts; ++e) {
      std::string ep =
          p + "ffn.experts." + std::to_string(firstExpert + e) + ".";
      b.experts.push_back(
          {w.linear(ep + "w1", c.expertFormat, c.moeInterDim, c.dim),
           w.linear(ep + "w2", c.expertFormat, c.dim, c.moeInterDim),
           w.linear(ep + "w3", c.expertFormat, c.moeInterDim, c.dim)});
    }
    std::string sp = p + "ffn.shared_experts.";
    b.shared = {w.linear(sp + "w1", lf, c.moeInterDim, c.dim),
                w.linear(sp + "w2", lf, c.dim, c.moeInterDim),
                w.linear(sp + "w3", lf, c.moeInterDim, c.dim)};
    b.attnNorm = w.get(p + "attn_norm.weight");
    b.ffnNorm = w.get(p + "ffn_norm.weight");
    const char *parts[2] = {"attn", "ffn"};
    for (int i = 0; i < 2; ++i) {
      b.hcFn[i] = w.get(p + "hc_" + parts[i] + "_fn");
      b.hcScale[i] = w.get(p + "hc_" + parts[i] + "_scale");
      b.hcBase[i] = w.get(p + "hc_" + parts[i] + "_base");
    }
    if (isMtp) {
      MtpW m;
      m.eProj = w.linear(p + "e_proj", lf, c.dim, c.dim);
      m.hProj = w.linear(p + "h_proj", lf, c.dim, c.dim);
      m.enorm = w.get(p + "enorm.weight");
      m.hnorm = w.get(p + "hnorm.weight");
      m.norm = w.get(p + "norm.weight");
      m.hcHead = {w.get(p + "hc_head_fn"), w.get(p + "hc_head_scale"),
                  w.get(p + "hc_head_base")};
      mtp.push_back(m);
    }
    blocks.push_back(std::move(b));
    if (!error.empty())
      return false;
  }
  // Kernel inputs that a mode does not read (moe_gate's bias on hash
  // layers, its table elsewhere) still need valid addresses.
  if (!w.finish())
    return false;
  zeros = alloc(std::max<int64_t>(c.nRoutedExperts * 4,
                                  c.vocabSize * c.nActivatedExperts * 8));
  return error.empty() && zeros;
}
