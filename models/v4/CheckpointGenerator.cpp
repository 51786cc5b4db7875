//===- CheckpointGenerator.cpp - seeded random V4 checkpoints -------------===//
#include "models/v4/CheckpointGenerator.h"

#include "models/v4/TinyTokenizer.h"

#include "runtime/FloatFormats.h"
#include "runtime/Json.h"
#include "runtime/Parallel.h"
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

/// Smallest power of two >= v (v > 0 and normal), as the UE8M0 scales
/// are; on the bits, as this runs once per scale block.
float pow2Ceil(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  if (b & 0x7FFFFFu)
    b = (b & 0x7F800000u) + 0x800000u;
  std::memcpy(&v, &b, 4);
  return v;
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

bool isBlockQuantised(StDtype dtype) {
  return dtype == StDtype::F8_E4M3 || dtype == StDtype::I8;
}

/// F32 or BF16 values uniform in plainRange.
bool fillPlain(const ExpectedTensor &t, uint8_t *out, Rng &rng) {
  auto [lo, hi] = plainRange(t.name, t.shape);
  int64_t n = product(t.shape);
  if (t.dtype == StDtype::F32) {
    for (int64_t i = 0; i < n; ++i) {
      float v = rng.uniform(lo, hi);
      std::memcpy(out + i * 4, &v, 4);
    }
    return true;
  }
  if (t.dtype == StDtype::BF16) {
    for (int64_t i = 0; i < n; ++i) {
      uint16_t v = floatToBf16(rng.uniform(lo, hi));
      std::memcpy(out + i * 2, &v, 2);
    }
    return true;
  }
  return false;
}

/// `tid2eid`: each token's row names distinct experts.
void fillExpertTable(const ExpectedTensor &t, int64_t numExperts, uint8_t *out,
                     Rng &rng) {
  int64_t rows = t.shape.at(0), k = t.shape.at(1);
  int width = t.dtype == StDtype::I64 ? 8 : 4;
  std::vector<int64_t> experts(numExperts);
  for (int64_t r = 0; r < rows; ++r) {
    std::iota(experts.begin(), experts.end(), 0);
    for (int64_t j = 0; j < k; ++j) { // partial Fisher-Yates
      std::swap(experts[j], experts[j + rng.below(numExperts - j)]);
      int64_t e = experts[j];
      int32_t e32 = int32_t(e);
      std::memcpy(out + (r * k + j) * width,
                  width == 8 ? (const void *)&e : (const void *)&e32, width);
    }
  }
}

/// A block-quantised weight [out, in]: FP8 e4m3 (one byte each) or FP4
/// e2m1 (`I8` holding two codes, low nibble first), with UE8M0 block scales
/// `scale`. The weight's stream draws the scales first, then the values, so
/// either tensor can be made alone.
struct QuantisedWeight {
  const ExpectedTensor &weight, &scale;
  bool fp4() const { return weight.dtype == StDtype::I8; }
  int64_t rows() const { return weight.shape.at(0); }
  int64_t cols() const { return weight.shape.at(1) * (fp4() ? 2 : 1); }
  float bound() const { return 1.0f / std::sqrt(float(cols())); }

  /// Power-of-two scales per block; the range varies per block so that the
  /// scales differ between blocks.
  std::vector<float> drawScales(Rng &rng) const {
    float fmax = fp4() ? 6.0f : 448.0f, a = bound();
    std::vector<float> scales(product(scale.shape));
    for (float &sc : scales)
      sc = pow2Ceil(a * rng.uniform(0.5f, 1.0f) / fmax);
    return scales;
  }

  void fillScales(uint8_t *out, Rng &rng) const {
    std::vector<float> scales = drawScales(rng);
    for (size_t b = 0; b < scales.size(); ++b)
      out[b] = floatToF8E8M0FNU(scales[b]);
  }

  /// Values uniform in +-bound(), divided by their block's scale (exactly:
  /// a multiplication by its power-of-two inverse).
  void fillWeight(uint8_t *out, Rng &rng) const {
    std::vector<float> scales = drawScales(rng);
    const int64_t out_ = rows(), in = cols(), scaleCols = scale.shape.at(1);
    const int64_t blockRows =
        (out_ + scale.shape.at(0) - 1) / scale.shape.at(0);
    const int64_t blockCols = (in + scaleCols - 1) / scaleCols;
    const float a = bound();
    std::memset(out, 0, fp4() ? out_ * in / 2 : out_ * in);
    for (int64_t r = 0; r < out_; ++r) {
      const float *rowScales = &scales[(r / blockRows) * scaleCols];
      for (int64_t c0 = 0; c0 < in; c0 += blockCols) {
        const float inverse = 1.0f / rowScales[c0 / blockCols];
        const int64_t c1 = std::min(in, c0 + blockCols);
        for (int64_t c = c0; c < c1; ++c) {
          float q = rng.uniform(-a, a) * inverse;
          int64_t i = r * in + c;
          if (fp4())
            out[i / 2] |= uint8_t((floatToF4E2M1FN(q) & 0xF) << (4 * (i % 2)));
          else
            out[i] = floatToF8E4M3FN(q);
        }
      }
    }
  }
};

struct Generated {
  StDtype dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

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

  TensorGenerator generator(config, options.seed);
  std::map<std::string, Generated> tensors;
  for (const ExpectedTensor &t : generator.tensors())
    tensors[t.name] = Generated{t.dtype, t.shape, {}};
  // Each tensor has its own stream, so several threads fill them in any
  // order with the same bytes.
  std::vector<std::pair<const std::string *, Generated *>> jobs;
  if (!options.layoutOnly) // the headers need no values
    for (auto &[name, g] : tensors)
      jobs.push_back({&name, &g});
  std::atomic<size_t> next{0}, done{0};
  std::mutex mutex; // progress and the first error
  std::string firstError;
  auto work = [&] {
    for (size_t j = next++; j < jobs.size(); j = next++) {
      Generated &g = *jobs[j].second;
      std::string jobError;
      g.bytes.resize(
          TensorGenerator::bytesOf({*jobs[j].first, g.dtype, g.shape}));
      bool ok = generator.fill(*jobs[j].first, g.bytes.data(), jobError);
      size_t finished = ++done;
      std::lock_guard<std::mutex> lock(mutex);
      if (!ok && firstError.empty())
        firstError = jobError;
      if (options.progress)
        options.progress(finished, jobs.size());
    }
  };
  runOnThreads(threadsFor(jobs.size()), work);
  if (!firstError.empty()) {
    error = firstError;
    return false;
  }

  if (!writeJsonFile((fs::path(dir) / "config.json").string(),
                     v4ConfigToJson(config), error, JsonWriteOptions{2}))
    return false;
  if (options.tokenizer && !writeTinyTokenizer(dir, config.vocabSize, error))
    return false;
  return writeShards(dir, options.shards, tensors, options.layoutOnly, error);
}

TensorGenerator::TensorGenerator(const V4Config &config, uint64_t seed)
    : config_(config), seed_(seed), tensors_(expectedTensors(config)) {
  for (size_t i = 0; i < tensors_.size(); ++i)
    index_[tensors_[i].name] = i;
}

const ExpectedTensor *TensorGenerator::find(const std::string &name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

uint64_t TensorGenerator::bytesOf(const ExpectedTensor &t) {
  return uint64_t(product(t.shape)) * uint64_t(stDtypeBits(t.dtype)) / 8;
}

bool TensorGenerator::fill(const std::string &name, void *out,
                           std::string &error) const {
  const ExpectedTensor *t = find(name);
  if (!t) {
    error = "tensor '" + name +
            "' is not part of a V4 checkpoint of this "
            "config";
    return false;
  }
  auto *bytes = static_cast<uint8_t *>(out);
  // A block-quantised weight and its scales share the weight's stream.
  auto quantised = [&](const std::string &weightName,
                       const std::string &scaleName) -> const ExpectedTensor * {
    const ExpectedTensor *w = find(weightName), *s = find(scaleName);
    if (!w || !s || !isBlockQuantised(w->dtype) ||
        s->dtype != StDtype::F8_E8M0) {
      error = "tensor '" + name + "': no block-quantised weight '" +
              weightName + "' with UE8M0 scales '" + scaleName +
              "' in the layout";
      return nullptr;
    }
    return s;
  };
  auto prefixOf = [&](const std::string &suffix) {
    return name.substr(0, name.size() - suffix.size());
  };
  if (t->dtype == StDtype::F8_E8M0 && endsWith(name, ".scale")) {
    std::string weightName = prefixOf("scale") + "weight";
    const ExpectedTensor *s = quantised(weightName, name);
    if (!s)
      return false;
    Rng rng(seed_, weightName);
    QuantisedWeight{*find(weightName), *s}.fillScales(bytes, rng);
    return true;
  }
  Rng rng(seed_, name);
  if (isBlockQuantised(t->dtype)) {
    if (!endsWith(name, ".weight")) {
      error = "tensor '" + name +
              "': a block-quantised tensor that is not "
              "a '.weight' has no scale tensor";
      return false;
    }
    const ExpectedTensor *s = quantised(name, prefixOf("weight") + "scale");
    if (!s)
      return false;
    QuantisedWeight{*t, *s}.fillWeight(bytes, rng);
    return true;
  }
  if (endsWith(name, "tid2eid")) {
    fillExpertTable(*t, config_.nRoutedExperts, bytes, rng);
    return true;
  }
  if (fillPlain(*t, bytes, rng))
    return true;
  error = "tensor '" + name + "': the generator cannot fill dtype " +
          stDtypeName(t->dtype);
  return false;
}

} // namespace dsv4c::v4
