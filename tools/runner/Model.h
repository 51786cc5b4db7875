//===- Model.h - a V4 model opened from a bundle or a directory -*- C++ -*-===//
//
// What `run`, `bench` and `inspect` share: opening a model either from an
// AOT bundle (docs/bundle-format.md; no compiler needed) or from a model
// directory with kernels compiled in-process (only in builds with the
// compiler, which pass a JitHook). Links no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TOOLS_RUNNER_MODEL_H
#define DSV4C_TOOLS_RUNNER_MODEL_H

#include "models/v4/CheckpointGenerator.h"
#include "models/v4/Config.h"
#include "models/v4/Executor.h"
#include "models/v4/Generate.h"
#include "runtime/Bundle.h"
#include "runtime/Device.h"
#include "runtime/Json.h"
#include "runtime/Safetensors.h"
#include "runtime/Tokenizer.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dsv4c::runner {

// Section names of a bundle.
inline constexpr const char *kManifestSection = "manifest.json";
inline constexpr const char *kConfigSection = "config.json";
inline constexpr const char *kTokenizerSection = "tokenizer.json";
inline constexpr const char *kTokenizerConfigSection = "tokenizer_config.json";
inline constexpr const char *kGraphSection = "graph.json";
/// Engram models: the tables scripts/engram_tables.py writes.
inline constexpr const char *kEngramTablesSection = "engram.safetensors";
inline std::string kernelsSection(const std::string &target) {
  return "kernels/" + target;
}
inline std::string layoutSection(const std::string &target) {
  return "layout/" + target;
}
inline std::string weightsSection(const std::string &file) {
  return "weights/" + file;
}

/// A safetensors file of the checkpoint, as the bundle records it.
struct WeightFile {
  std::string name; // relative to the weights directory
  uint64_t bytes = 0;
  /// XXH64 of the 8-byte length and the JSON header: changes whenever a
  /// tensor's name, dtype, shape or offset does.
  std::string headerHash;
};

/// One target's kernels in the bundle.
struct BundleTarget {
  std::string name;   // "cpu"
  std::string format; // "elf-shared-object"
  std::string triple, cpu;
  std::vector<std::string> features;
  std::vector<std::string> kernels;
};

/// The parsed manifest.json.
struct Manifest {
  int64_t formatVersion = 0;
  std::string producer;
  bool embeddedWeights = false;
  /// Absolute, as given to `dsv4c compile` (reference mode).
  std::string weightsDirectory;
  std::vector<WeightFile> weightFiles;
  std::vector<BundleTarget> targets;
  bool hasTokenizer = false;
  const BundleTarget *findTarget(const std::string &name) const;
};

bool parseManifest(const Bundle &bundle, Manifest &manifest,
                   std::string &error);
/// The header hash recorded for a safetensors file (WeightFile::headerHash);
/// reads only the header. Empty when it is not a safetensors file.
std::string safetensorsFileHeaderHash(const std::string &path);

/// Compiles the V4 kernels for `target` in-process (dsv4c builds only), to
/// run on `device`.
using JitHook = std::function<std::unique_ptr<KernelLibrary>(
    const std::string &target, unsigned threads, Device &device,
    std::string &error)>;

struct OpenOptions {
  /// Empty: the bundle's first target this runtime runs, or "cpu" for a
  /// model directory.
  std::string target;
  unsigned threads = 0;
  /// Check every section's checksum at open (bundles).
  bool verify = true;
  /// Kernels the caller will launch: a bundle's target must hold them all.
  std::vector<std::string> requiredKernels;
  /// Overrides the weights directory a bundle refers to.
  std::string weightsDirectory;
  /// Random weights instead of files: what `gen-checkpoint --seed N` writes
  /// for the model's config.json, made while the executor loads them
  /// (Model::generator), so any size loads without disk space.
  std::optional<uint64_t> generateWeightsSeed;
  /// (done, total, what) during long steps.
  std::function<void(uint64_t, uint64_t, const std::string &)> progress;
  /// One-line notes ("compiling 24 kernels for cpu").
  std::function<void(const std::string &)> note;
};

struct Model {
  std::string path;
  bool fromBundle = false;
  std::string target;
  v4::V4Config config;
  std::shared_ptr<Bundle> bundle;
  Manifest manifest; // bundles
  /// The weights: a checkpoint, or (OpenOptions::generateWeightsSeed) a
  /// generator.
  std::unique_ptr<Checkpoint> checkpoint;
  std::unique_ptr<v4::TensorGenerator> generator;
  /// Engram models (config has `engram`): engram.safetensors.
  std::unique_ptr<Checkpoint> engramTables;
  std::unique_ptr<Tokenizer> tokenizer; // null when the model has none
  std::unique_ptr<Device> device;
  std::unique_ptr<KernelLibrary> kernels;
};

/// The device of `target`: host memory for cpu/reference, GPU 0 for cuda.
/// Null with `error` set ("cuda: no CUDA driver (...)").
std::unique_ptr<Device> openDevice(const std::string &target,
                                   std::string &error);

/// The targets this runtime can run bundle kernels on (cuda only where a
/// CUDA device is present).
std::vector<std::string> runnableTargets();

/// Opens `path`: a bundle file or a model directory (needs `jit`). On
/// failure returns false with one message naming the file and the problem.
bool openModel(const std::string &path, const OpenOptions &options,
               const JitHook &jit, Model &model, std::string &error);

/// What states computed with `model` are valid for (a prefix cache's key):
/// the target, the kernels (a bundle's section checksums) and the weights
/// (their files' names, sizes and times, or the generator's seed).
std::string modelIdentity(const Model &model, const OpenOptions &options);

/// Reads a model directory's config, tokenizer (if any), checkpoint (unless
/// `weights` is false) and Engram tables into `model`; no device or kernels.
bool openCheckpointDirectory(const std::string &path, Model &model,
                             std::string &error, bool weights = true);

/// Launches and time per kernel, slowest first: `now` less `before` (both
/// from Executor::profile()).
void printProfile(std::FILE *out, const std::vector<v4::KernelProfile> &now,
                  const std::vector<v4::KernelProfile> &before = {});

/// The decode phase of one generate() run with a profiling executor: kernel
/// launches per step and per block (`blocks`: layers + MTP), the kernels'
/// time and the rest of each step (host work, copies, waits).
void printDecodeSteps(std::FILE *out, const v4::GenerateResult &result,
                      int64_t blocks);

/// An executor over the model's weights (its checkpoint or its generator)
/// on `device` with `kernels`.
std::unique_ptr<v4::Executor> createExecutor(const Model &model, Device &device,
                                             KernelLibrary &kernels,
                                             v4::ExecutorOptions options,
                                             std::string &error);

/// Greedy generation of `newTokens` tokens after `prompt` with the weights
/// of `model` on `device` and `kernels` (no EOS stop); each step's vocab
/// logits (the prefill's first).
bool greedyLogits(const Model &model, Device &device, KernelLibrary &kernels,
                  const std::vector<int64_t> &prompt, int64_t newTokens,
                  std::vector<std::vector<float>> &logits, std::string &error);

} // namespace dsv4c::runner

#endif
