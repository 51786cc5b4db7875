//===- CheckpointGenerator.h - seeded random V4 checkpoints ----*- C++ -*-===//
//
// Writes config.json and a safetensors checkpoint in exactly the official
// V4 layout (names, dtypes, shapes, FP8/FP4 packing and UE8M0 scales) for
// any config, with seeded random weights, so tests and users can make a
// model offline. Links no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_CHECKPOINTGENERATOR_H
#define DSV4C_MODELS_V4_CHECKPOINTGENERATOR_H

#include "models/v4/Config.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dsv4c::v4 {

/// A tiny V4 covering every layer kind: SWA-only, CSA (ratio 4) and HCA
/// (ratio 128) layers, a hash-routed layer, score routing, and one MTP
/// block. Small enough to run in tests in milliseconds.
V4Config v4TinyConfig();

struct GeneratorOptions {
  uint64_t seed = 0;
  /// 1: model.safetensors; N > 1: model-0000K-of-0000N.safetensors plus
  /// model.safetensors.index.json.
  int shards = 1;
  /// Also write tokenizer.json and tokenizer_config.json (TinyTokenizer.h);
  /// needs vocab_size >= 258.
  bool tokenizer = true;
  /// Write the layout only: config.json, the tokenizer and safetensors
  /// headers as the full checkpoint has them, the tensor data left as holes
  /// (sparse files of the right size). `dsv4c compile` by reference reads
  /// only the headers, so a bundle compiled against these files runs on
  /// the full checkpoint of the same config, seed and shards, made
  /// elsewhere; nothing can run on the holes themselves.
  bool layoutOnly = false;
  /// Called after each tensor is generated: (done, total).
  std::function<void(size_t, size_t)> progress;
};

/// Creates `dir` if needed and writes config.json, the tokenizer (unless
/// options.tokenizer is false) and the checkpoint.
/// Values: linear weights uniform in +-1/sqrt(fan_in), stored FP8 or FP4
/// with power-of-two UE8M0 block scales; norms near 1; `tid2eid` rows of
/// distinct experts. The same config, seed and shards give identical files.
bool generateCheckpoint(const V4Config &config, const std::string &dir,
                        const GeneratorOptions &options, std::string &error);

/// Single tensors of the checkpoint generateCheckpoint writes for a config
/// and seed, byte for byte, without files: each tensor has its own seeded
/// stream, so any tensor can be made alone, in any order, on any thread.
/// This is how the runtime loads random weights of any size straight onto
/// a device (dsv4-run --generate-weights).
class TensorGenerator {
public:
  /// `config` must pass validateV4Config.
  TensorGenerator(const V4Config &config, uint64_t seed);

  const V4Config &config() const { return config_; }
  /// expectedTensors(config), in that order.
  const std::vector<ExpectedTensor> &tensors() const { return tensors_; }
  const ExpectedTensor *find(const std::string &name) const;
  /// Bytes of tensor `t` as stored.
  static uint64_t bytesOf(const ExpectedTensor &t);
  /// Fills `out` (bytesOf(tensor) bytes) with tensor `name`; false with
  /// `error` set for a name the checkpoint does not have.
  bool fill(const std::string &name, void *out, std::string &error) const;

private:
  V4Config config_;
  uint64_t seed_;
  std::vector<ExpectedTensor> tensors_;
  std::map<std::string, size_t> index_;
};

} // namespace dsv4c::v4

#endif
