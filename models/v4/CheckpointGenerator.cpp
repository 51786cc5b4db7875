//===- CheckpointGenerator.cpp - seeded random V4 checkpoints -------------===//
#include "models/v4/CheckpointGenerator.h"

#include "models/v4/TinyTokenizer.h"

#include "runtime/FloatFormats.h"
#include "runtime/Json.h"
#include "runtime/Safetensors.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

namespace dsv4c::v4 {
namespace {

/// Deterministic across standard libraries: mt19937_64 is specified, and
/// the mapping to [0, 1) is ours.
class Rng {
public:
  Rng(uint64_t seed, const std::string &name) : engine(mix(seed, name)) {}
  double uniform() { return (engine() >> 11) * 0x1.0p-53; }
  float uniform(float lo, float hi) {
    return float(lo + (hi - lo) * uniform());
  }
  uint64_t below(uint64_t n) { return engine() % n; }

private:
  static uint64_t mix(uint64_t seed, const std::string &name) {
    uint64_t h = 1469598103934665603ull; // FNV-1a
    for (unsigned char c : name)
      h = (h ^ c) * 1099511628211ull;
    return h ^ (seed * 0x9E3779B97F4A7C15ull);
  }
  std::mt19937_64 engine;
};

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int64_t product(const std::vector<int64_t> &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<>());
}

/// Smallest power of two >= v (v > 0), as the UE8M0 scales are.
float pow2Ceil(float v) {
  return std::ldexp(1.0f, (int)std::ceil(std::log2(v)));
}

/// The real value range of a tensor that is not block-quantised.
std::pair<float, float> plainRange(const std::string &name,
                                   const std::vector<int64_t> &shape) {
  if (endsWith(name, "norm.weight") || endsWith(name, "norm1.weight") ||
      endsWith(name, "norm2.weight"))
    return {0.9f, 1.1f};
  if (endsWith(name, "attn_sink") || name == "embed.weight")
    return {-1.0f, 1.0f};
  if (endsWith(name, "_scale"))
    return {0.5f, 1.0f};
  if (endsWith(name, "ape") || endsWith(name, "_base") ||
      endsWith(name, "gate.bias"))
    return {-0.1f, 0.1f};
  float a = 1.0f / std::sqrt(float(shape.empty() ? 1 : shape.back()));
  return {-a, a};
}

struct Generated {
  StDtype dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

void storePlain(Generated &g, const std::string &name, Rng &rng) {
  auto [lo, hi] = plainRange(name, g.shape);
  int64_t n = product(g.shape);
  switch (g.dtype) {
  case StDtype::F32: {
    g.bytes.resize(n * 4);
    for (int64_t i = 0; i < n; ++i) {
      float v = rng.uniform(lo, hi);
      std::memcpy(&g.bytes[i * 4], &v, 4);
    }
    return;
  }
  case StDtype::BF16: {
    g.bytes.resize(n * 2);
    for (int64_t i = 0; i < n; ++i) {
      uint16_t v = floatToBf16(rng.uniform(lo, hi));
      std::memcpy(&g.bytes[i * 2], &v, 2);
    }
    return;
  }
  default:
    return;
  }
}

/// `tid2eid`: each token's row names distinct experts.
void storeExpertTable(Generated &g, int64_t numExperts, Rng &rng) {
  int64_t rows = g.shape.at(0), k = g.shape.at(1);
  int width = g.dtype == StDtype::I64 ? 8 : 4;
  g.bytes.resize(rows * k * width);
  std::vector<int64_t> experts(numExperts);
  for (int64_t r = 0; r < rows; ++r) {
    std::iota(experts.begin(), experts.end(), 0);
    for (int64_t j = 0; j < k; ++j) { // partial Fisher-Yates
      std::swap(experts[j], experts[j + rng.below(numExperts - j)]);
      int64_t e = experts[j];
      int32_t e32 = int32_t(e);
      std::memcpy(&g.bytes[(r * k + j) * width],
                  width == 8 ? (const void *)&e : (const void *)&e32, width);
    }
  }
}

/// A block-quantised weight [out, in] and its UE8M0 scale tensor: FP8 e4m3
/// (one byte each) or FP4 e2m1 (`I8` holding two codes, low nibble first).
void storeQuantised(Generated &w, Generated &s, Rng &rng) {
  bool fp4 = w.dtype == StDtype::I8;
  int64_t out = w.shape.at(0), in = w.shape.at(1) * (fp4 ? 2 : 1);
  int64_t blockRows = (out + s.shape.at(0) - 1) / s.shape.at(0);
  int64_t blockCols = (in + s.shape.at(1) - 1) / s.shape.at(1);
  float fmax = fp4 ? 6.0f : 448.0f;
  float a = 1.0f / std::sqrt(float(in));
  s.bytes.resize(product(s.shape));
  std::vector<float> scale(s.bytes.size());
  for (size_t b = 0; b < scale.size(); ++b) {
    // Vary the range per block so scales differ between blocks.
    scale[b] = pow2Ceil(a * rng.uniform(0.5f, 1.0f) / fmax);
    s.bytes[b] = floatToF8E8M0FNU(scale[b]);
  }
  w.bytes.assign(fp4 ? out * in / 2 : out * in, 0);
  for (int64_t r = 0; r < out; ++r)
    for (int64_t c = 0; c < in; ++c) {
      float sc = scale[(r / blockRows) * s.shape[1] + c / blockCols];
      float q = rng.uniform(-a, a) / sc;
      int64_t i = r * in + c;
      if (fp4)
        w.bytes[i / 2] |= uint8_t((floatToF4E2M1FN(q) & 0xF) << (4 * (i % 2)));
      else
        w.bytes[i] = floatToF8E4M3FN(q);
    }
}

/// `layoutOnly`: the tensors have no bytes; their data are holes.
bool writeShards(const std::string &dir, int shards,
                 const std::map<std::string, Generated> &tensors,
                 bool layoutOnly, std::string &error) {
  namespace fs = std::filesystem;
  std::vector<std::vector<TensorToWrite>> files(shards);
  std::map<std::string, std::string> weightMap;
  uint64_t total = 0;
  auto fileName = [&](int k) {
    if (shards == 1)
      return std::string("model.safetensors");
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", k + 1,
                  shards);
    return std::string(buf);
  };
  auto sizeOf = [&](const Generated &g) -> uint64_t {
    if (!layoutOnly)
      return g.bytes.size();
    return uint64_t(product(g.shape)) * uint64_t(stDtypeBits(g.dtype)) / 8;
  };
  for (const auto &[name, g] : tensors)
    total += sizeOf(g);
  uint64_t before = 0;
  for (const auto &[name, g] : tensors) {
    // Shards take the tensors in name order, in equal shares of the bytes.
    int k = total ? int(std::min<uint64_t>(shards - 1, before * shards / total))
                  : 0;
    before += sizeOf(g);
    files[k].push_back({name, g.dtype, g.shape,
                        layoutOnly ? nullptr : g.bytes.data(), sizeOf(g)});
    weightMap[name] = fileName(k);
  }
  for (int k = 0; k < shards; ++k)
    if (!writeSafetensors((fs::path(dir) / fileName(k)).string(), files[k],
                          {{"format", "pt"}}, error, layoutOnly))
      return false;
  if (shards > 1)
    return writeSafetensorsIndex(
        (fs::path(dir) / "model.safetensors.index.json").string(), weightMap,
        total, error);
  return true;
}

} // namespace

V4Config v4TinyConfig() {
  // Small where the kernels allow it; the widths the kernels fix (head_dim
  // 512 with 64 rope dims, indexer heads of 128, hc_mult 4, top-6 routing)
  // keep their V4 values.
  V4Config c = v4FlashConfig();
  c.dim = 64;
  c.numLayers = 3;
  c.numHeads = 2;
  c.headDim = 512;
  c.ropeHeadDim = 64;
  c.qLoraRank = 48;
  c.oGroups = 2;
  c.oLoraRank = 32;
  c.moeInterDim = 32;
  c.nRoutedExperts = 8;
  c.nActivatedExperts = 6;
  c.nHashLayers = 1;
  c.compressRatios = {0, 4, 128, 0}; // SWA, CSA, HCA, then the MTP block
  c.indexNHeads = 2;
  c.indexHeadDim = 128;
  c.indexTopk = 4;
  c.hcMult = 4;
  c.vocabSize = 300;
  c.nMtpLayers = 1;
  c.maxPositionEmbeddings = 4096;
  return c;
}

bool generateCheckpoint(const V4Config &config, const std::string &dir,
                        const GeneratorOptions &options, std::string &error) {
  namespace fs = std::filesystem;
  if (!validateV4Config(config, error))
    return false;
  if (options.shards < 1) {
    error = "shards must be at least 1";
    return false;
  }
  // Before generating anything, which can take a while.
  if (options.tokenizer && !checkTinyTokenizerVocab(config.vocabSize, error))
    return false;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = dir + ": cannot create directory: " + ec.message();
    return false;
  }

  std::vector<ExpectedTensor> expected = expectedTensors(config);
  std::map<std::string, Generated> tensors;
  for (const ExpectedTensor &t : expected)
    tensors[t.name] = Generated{t.dtype, t.shape, {}};
  // Each tensor is filled by its own generator (seeded by its name), so the
  // tensors can be filled in any order, by several threads, with the same
  // bytes.
  struct Job {
    Generated *tensor;
    Generated *scale = nullptr; // a block-quantised weight's scales
    const ExpectedTensor *expected;
  };
  std::vector<Job> jobs;
  for (const ExpectedTensor &t : expected) {
    Generated &g = tensors[t.name];
    if (endsWith(t.name, ".scale") && g.dtype == StDtype::F8_E8M0)
      continue; // written with its weight
    Job job{&g, nullptr, &t};
    if (g.dtype == StDtype::F8_E4M3 || g.dtype == StDtype::I8) {
      std::string scaleName =
          t.name.substr(0, t.name.size() - std::string("weight").size()) +
          "scale";
      auto scale = tensors.find(scaleName);
      if (!endsWith(t.name, ".weight") || scale == tensors.end()) {
        error = "tensor '" + t.name + "' has no scale tensor '" + scaleName +
                "' in the layout";
        return false;
      }
      job.scale = &scale->second;
    }
    jobs.push_back(job);
  }
  if (options.layoutOnly)
    jobs.clear(); // the headers need no values
  std::atomic<size_t> next{0}, done{0};
  std::mutex progressMutex;
  auto work = [&] {
    for (size_t j = next++; j < jobs.size(); j = next++) {
      const Job &job = jobs[j];
      const std::string &name = job.expected->name;
      Rng rng(options.seed, name);
      if (endsWith(name, "tid2eid"))
        storeExpertTable(*job.tensor, config.nRoutedExperts, rng);
      else if (job.scale)
        storeQuantised(*job.tensor, *job.scale, rng);
      else
        storePlain(*job.tensor, name, rng);
      size_t finished = ++done;
      if (options.progress) {
        std::lock_guard<std::mutex> lock(progressMutex);
        options.progress(finished, jobs.size());
      }
    }
  };
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  threads =
      unsigned(std::max<size_t>(1, std::min<size_t>(threads, jobs.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
  for (const auto &[name, g] : tensors)
    if (!options.layoutOnly && g.bytes.empty() && product(g.shape) != 0) {
      error = "tensor '" + name + "': the generator cannot fill dtype " +
              stDtypeName(g.dtype);
      return false;
    }

  if (!writeJsonFile((fs::path(dir) / "config.json").string(),
                     v4ConfigToJson(config), error, JsonWriteOptions{2}))
    return false;
  if (options.tokenizer && !writeTinyTokenizer(dir, config.vocabSize, error))
    return false;
  return writeShards(dir, options.shards, tensors, options.layoutOnly, error);
}

} // namespace dsv4c::v4
