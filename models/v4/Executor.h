//===- Executor.h - run DeepSeek-V4 through a target's kernels -*- C++ -*-===//
//
// The V4 forward pass as a sequence of tile-kernel launches on one Device:
// weights placed on the device at load, per-sequence caches (sliding-window
// ring, compressed entries, indexer keys, compressor states), prefill and
// decode steps for a batch of sequences. Token-parallel work (projections,
// mHC, MoE) runs once over every token of the step; attention runs per
// sequence. Host work is limited to integer bookkeeping: index lists, MoE
// token lists, and reading back the logits.
//
// No LLVM/MLIR here: the kernels come from a KernelLibrary (the JIT, or a
// compiled bundle).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_EXECUTOR_H
#define DSV4C_MODELS_V4_EXECUTOR_H

#include "models/v4/Config.h"
#include "runtime/Device.h"
#include "runtime/Safetensors.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c {
class Collectives;
} // namespace dsv4c

namespace dsv4c::v4 {

class TensorGenerator;

struct ExecutorOptions {
  /// Positions per sequence: sizes the RoPE tables and the caches.
  int64_t maxSeqLen = 4096;
  /// Called while weights are placed: (tensors done, total).
  std::function<void(size_t, size_t)> progress;
  /// Time every launch (Executor::profile()).
  bool profile = false;
  /// Queue each decode step (every input one token) as one device graph
  /// where the device makes graphs (CUDA): the step's work is recorded, a
  /// graph made the first time those launches are seen and replayed while
  /// they recur (Executor::graphStats); after 8 graphs in a row with no
  /// replay, steps run eagerly for 64 steps. Off while profiling.
  bool graphs = true;
  /// The Engram tables (engram.safetensors, scripts/engram_tables.py):
  /// needed when the config has an `engram` section.
  const Checkpoint *engramTables = nullptr;
  /// Tensor parallelism, as the official model.py splits the model over
  /// world_size ranks: this executor is rank collectives->rank() of
  /// collectives->size() and holds that rank's share of the weights (see
  /// ExecutorParallel.cpp); every rank is given the same calls with the same
  /// inputs and returns the same results. Null: the whole model.
  Collectives *collectives = nullptr;
};

/// Why `config` cannot be split over `ranks` tensor-parallel ranks (the
/// config.json field), or true.
bool checkTensorParallel(const V4Config &config, int ranks, std::string &error);

/// How decode steps ran (ExecutorOptions::graphs).
struct GraphStats {
  uint64_t replayed = 0; // steps queued as a graph made earlier
  uint64_t made = 0;     // steps whose work became a new graph
  uint64_t eager = 0;    // recorded steps launched piece by piece (no graph)
  size_t kept = 0;       // graphs held now
};

/// Launches and wall time of one kernel (ExecutorOptions::profile).
struct KernelProfile {
  std::string name;
  uint64_t launches = 0;
  double seconds = 0;
};

/// The tokens one sequence contributes to a step: a prefill (any number of
/// tokens) when the sequence is empty or its length is a multiple of
/// Executor::prefillChunkMultiple() (a chunked prefill: the same logits and
/// caches as one prefill of all the tokens), else one decode token.
struct StepInput {
  int sequence = 0;
  std::vector<int64_t> tokens;
  /// How StepResult::Sampled picks this input's next token.
  struct Sample {
    float temperature = 1; // finite, > 0
    float topP = 1;        // in (0, 1]
    double draw = 0;       // in [0, 1): the sequence's Sampler::draw()
  } sample;
};

/// What a step hands back (Executor::step), each part only when asked.
struct StepResult {
  enum Part : unsigned {
    /// inputs.size() rows of vocab f32 values: the logits after each
    /// input's last token (downloaded).
    Logits = 1,
    /// Each input's greedy id, chosen on the device (head.mlir's
    /// @greedy_token, runtime/Sampling.h's greedy rule: -1 when every logit
    /// is NaN): only the ids are downloaded.
    Greedy = 2,
    /// Each input's token by temperature/top-p sampling with its
    /// StepInput::sample (runtime/Sampling.h's rule with that draw), on the
    /// device (sample.mlir): only the ids are downloaded, except for rows
    /// the device leaves to the host (a nucleus of more than 1024 tokens or
    /// reaching below a 4096-id slice's 256 largest logits, a largest logit
    /// of +-inf or NaN only), whose logits come back and are sampled here
    /// with the same draw. -1 when every logit is NaN.
    Sampled = 4,
  };
  std::vector<float> logits;
  std::vector<int64_t> greedy;
  std::vector<int64_t> sampled;
  /// Of `sampled`, the rows the host sampled (downloaded logits).
  int64_t sampledOnHost = 0;
};

/// A sequence's state on the host (Executor::saveSequence): what a fork
/// copies, as bytes, for a prefix cache's host and disk tiers. `state` is
/// meaningful only to an executor of the same weights and kernels (its size
/// is checked on restore; the maximum sequence length may differ).
struct SequenceSnapshot {
  int64_t length = 0;
  std::vector<int64_t> engramRecent;
  std::vector<uint8_t> state;
};

/// Names of the kernels the executor launches (for libraries and bundles).
const std::vector<std::string> &executorKernelNames();

/// Checks that the kernels can run `config` (the widths they fix); the
/// message names the config.json field.
bool checkExecutorSupport(const V4Config &config, std::string &error);

class Executor {
public:
  /// Places the weights of `checkpoint` (validated against `config`) on
  /// `device`. `checkpoint` must outlive the executor on a host-memory
  /// device (its mapped tensors are used in place).
  static std::unique_ptr<Executor>
  create(const V4Config &config, const Checkpoint &checkpoint, Device &device,
         KernelLibrary &kernels, ExecutorOptions options, std::string &error);
  /// Places the weights `generator` makes (the same values as the
  /// checkpoint gen-checkpoint writes for its config and seed), generating
  /// them while they are placed: no files, a few tensors on the host at a
  /// time.
  static std::unique_ptr<Executor>
  create(const TensorGenerator &generator, Device &device,
         KernelLibrary &kernels, ExecutorOptions options, std::string &error);
  ~Executor();

  const V4Config &config() const;
  int64_t maxSeqLen() const;

  /// An empty sequence with its own caches (a released one, reset, when
  /// there is one); -1 with `error` set when device memory runs out.
  int addSequence(std::string &error);
  /// A new sequence holding what `source` holds (its whole pages of
  /// compressed KV entries shared, its other caches, compressor states,
  /// indexer keys and Engram state copied on the device): it continues as
  /// `source` would, without prefilling those tokens again (a shared prompt
  /// prefix computed once). -1 with `error` set when `source` is not a sequence
  /// or memory runs out.
  int forkSequence(int source, std::string &error);
  /// The state of `sequence` downloaded into `snapshot` (the bytes a fork
  /// copies; the sequence is unchanged).
  bool saveSequence(int sequence, SequenceSnapshot &snapshot,
                    std::string &error);
  /// A new sequence holding what `snapshot` holds (uploaded): it continues
  /// as the saved sequence would. -1 with `error` set when the snapshot
  /// does not fit this model (its size or length: the error starts with
  /// "restore: ") or memory runs out.
  int restoreSequence(const SequenceSnapshot &snapshot, std::string &error);
  /// KV cache pages held by more than one sequence (a fork shares its
  /// source's whole pages of compressed entries instead of copying them).
  int64_t sharedKvPages() const;
  /// Forget a sequence's tokens (its caches are reused; pages it shares
  /// with a fork are replaced by its own). False with `error` set when
  /// those pages cannot be had (device memory): release the sequence then.
  bool resetSequence(int sequence, std::string &error);
  /// Hands a sequence back: a later addSequence returns it, reset, instead
  /// of allocating new caches (generate() releases the sequences it adds).
  void releaseSequence(int sequence);
  /// Tokens the sequence has seen.
  int64_t sequenceLength(int sequence) const;
  /// A step may prefill more tokens into a sequence that holds tokens (a
  /// chunked prefill) when its length is a multiple of this (the
  /// compression ratios' common multiple: 128 for V4).
  int64_t prefillChunkMultiple() const;

  /// Runs one step; `logits` gets inputs.size() rows of vocab f32 values:
  /// the logits after each input's last token.
  bool step(const std::vector<StepInput> &inputs, std::vector<float> &logits,
            std::string &error);
  /// Runs one step; `result` gets the parts `parts` names (StepResult::Part
  /// bits); the others are left empty.
  bool step(const std::vector<StepInput> &inputs, unsigned parts,
            StepResult &result, std::string &error);

  /// MTP block 0 (official MTPBlock): right after a step, given for each of
  /// its inputs the tokens that follow the ones it ran (one per token:
  /// next[i][j] is the token at position start + j + 1), the logits of the
  /// MTP's prediction after each input's last token. To keep the MTP
  /// block's caches complete, call it after every step of the sequences.
  bool mtpStep(const std::vector<std::vector<int64_t>> &next,
               std::vector<float> &logits, std::string &error);

  /// Device bytes of one sequence's caches (every block, MTP included):
  /// what a sequence holds at maxSeqLen(), and how much of it grows with
  /// the context (compressed KV entries and indexer keys, per token; the
  /// window ring and the compressor states are fixed).
  struct CacheSize {
    int64_t perSequence = 0;
    double perToken = 0;
  };
  CacheSize cacheSize() const;

  /// Kernel launches so far (for progress and benchmarks).
  uint64_t launches() const;
  /// Per kernel, slowest first (empty unless ExecutorOptions::profile).
  std::vector<KernelProfile> profile() const;
  /// Decode steps as graphs so far.
  GraphStats graphStats() const;

  struct Impl;

private:
  explicit Executor(std::unique_ptr<Impl> impl);
  static std::unique_ptr<Executor>
  create(const V4Config &config, const Checkpoint *checkpoint,
         const TensorGenerator *generator, Device &device,
         KernelLibrary &kernels, ExecutorOptions options, std::string &error);
  std::unique_ptr<Impl> impl_;
};

} // namespace dsv4c::v4

#endif
