//===- Generate.h - prefill + decode loop over an Executor -----*- C++ -*-===//
//
// The generation loop shared by `dsv4c run` (JIT) and the bundle runtime:
// one prefill step for every prompt of the batch together, then one decode
// step per new token for the sequences still running; greedy or
// temperature/top-p sampling per sequence; timings for tokens/s. Choices
// are made on the device unless the logits are kept: greedy
// (StepResult::Greedy) or sampled with each sequence's next draw of its
// runtime/Sampling.h Sampler (StepResult::Sampled); only the ids are
// downloaded. With the logits kept, the host samples from them (the same
// draws, so the same tokens but where f32 and double round a boundary
// apart).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_GENERATE_H
#define DSV4C_MODELS_V4_GENERATE_H

#include "models/v4/Executor.h"
#include "runtime/Sampling.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dsv4c::v4 {

class PrefixCache;

struct GenerateOptions {
  /// Tokens to generate per sequence (the prefill's pick counts as one).
  int64_t maxNewTokens = 32;
  SamplingOptions sampling;
  /// Stop a sequence when it produces this id (-1: never).
  int64_t eosId = -1;
  /// Keep every step's logits (GenerateResult::logits).
  bool keepLogits = false;
  /// Prefill prompts in steps of at most this many tokens per sequence (a
  /// chunked prefill: activations for this many tokens, not the whole
  /// prompt); 0: each prompt in one step. A multiple of
  /// Executor::prefillChunkMultiple().
  int64_t prefillChunk = 0;
  /// Prompts start from the longest prefix this cache holds (forked or
  /// restored: only the rest is prefilled), and each prompt's longest
  /// storable prefix is stored in it (the prompt is prefilled up to there,
  /// stored, then the rest: the same logits).
  PrefixCache *prefixCache = nullptr;
  /// Called after each step: (step index, steps planned).
  std::function<void(int64_t, int64_t)> progress;
};

struct GenerateResult {
  /// Per sequence: the generated ids (without the prompt).
  std::vector<std::vector<int64_t>> generated;
  /// Per sequence, per step: vocab f32 logits (keepLogits); a sequence that
  /// stopped early has fewer rows.
  std::vector<std::vector<std::vector<float>>> logits;
  /// Prompt tokens prefilled, and those a prefix cache held (not
  /// prefilled).
  int64_t prefillTokens = 0, reusedTokens = 0, decodeTokens = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
  /// Decode steps run (the steps after the prefill's).
  int64_t decodeSteps = 0;
  /// Sampled choices the device left to the host (StepResult::Sampled).
  int64_t sampledOnHost = 0;
  /// With ExecutorOptions::profile: the executor's profile after the
  /// prefill step and after the last step; their difference is the decode
  /// phase's kernels.
  std::vector<KernelProfile> profileAfterPrefill, profileAtEnd;
};

/// Runs the prompts (each non-empty) as a batch of new sequences.
bool generate(Executor &executor,
              const std::vector<std::vector<int64_t>> &prompts,
              const GenerateOptions &options, GenerateResult &result,
              std::string &error);

} // namespace dsv4c::v4

#endif
