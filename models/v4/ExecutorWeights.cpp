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

  /// One linear of every routed expert (`part`: w1, w2 or w3), FP4, stacked
  /// in one allocation for the weights and one for the scales.
  bool stackExperts(const std::string &prefix, int64_t experts, int part,
                    int64_t out, int64_t in,
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
          prefix + "ffn.experts." + std::to_string(e) + "." + name;
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

  /// A linear kept in bf16 by the official code (wo_a): FP8 checkpoints
  /// are dequantised here.
  const void *dense(const std::string &prefix, WeightFormat format, int64_t out,
                    int64_t in) {
    if (format == WeightFormat::BF16)
      return get(prefix + ".weight");
    const size_t bytes = size_t(out * in) * 2;
    if (generator) {
      void *p = impl.alloc(bytes);
      if (p)
        pending.push_back({nullptr, p, bytes, prefix, out, in});
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
    void *p = impl.alloc(bytes);
    if (!p || !impl.upload(p, bf.data(), bytes))
      return nullptr;
    return p;
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
  struct Pending {
    const std::string *name;
    void *device;
    uint64_t bytes;
    std::string densePrefix;
    int64_t out = 0, in = 0;
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
  WeightPlacer w(*this, ckpt, generator, expectedTensors(c).size());
  embed = w.get("embed.weight");
  norm = w.get("norm.weight");
  head = w.get("head.weight");
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
    b.sink = w.get(p + "attn.attn_sink");
    b.wqA = w.linear(p + "attn.wq_a", lf, c.qLoraRank, c.dim);
    b.qNorm = w.get(p + "attn.q_norm.weight");
    b.wqB = w.linear(p + "attn.wq_b", lf, c.numHeads * c.headDim, c.qLoraRank);
    b.wkv = w.linear(p + "attn.wkv", lf, c.headDim, c.dim);
    b.kvNorm = w.get(p + "attn.kv_norm.weight");
    b.woA = w.dense(p + "attn.wo_a", lf, c.oGroups * c.oLoraRank,
                    c.numHeads * c.headDim / c.oGroups);
    b.woB = w.linear(p + "attn.wo_b", lf, c.dim, c.oGroups * c.oLoraRank);
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
    if (b.stacked) {
      b.experts.resize(c.nRoutedExperts);
      if (!w.stackExperts(p, c.nRoutedExperts, 0, c.moeInterDim, c.dim,
                          b.experts) ||
          !w.stackExperts(p, c.nRoutedExperts, 1, c.dim, c.moeInterDim,
                          b.experts) ||
          !w.stackExperts(p, c.nRoutedExperts, 2, c.moeInterDim, c.dim,
                          b.experts))
        return false;
    }
    for (int64_t e = 0; !b.stacked && e < c.nRoutedExperts; ++e) {
      std::string ep = p + "ffn.experts." + std::to_string(e) + ".";
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
