//===- Generate.cpp - prefill + decode loop over an Executor --------------===//
#include "models/v4/Generate.h"
#include "models/v4/PrefixCache.h"

#include <chrono>

using namespace dsv4c;
using namespace dsv4c::v4;

bool v4::generate(Executor &executor,
                  const std::vector<std::vector<int64_t>> &prompts,
                  const GenerateOptions &options, GenerateResult &result,
                  std::string &error) {
  using Clock = std::chrono::steady_clock;
  const int64_t vocab = executor.config().vocabSize;
  const size_t batch = prompts.size();
  result = GenerateResult();
  result.generated.resize(batch);
  result.logits.resize(batch);
  if (options.maxNewTokens < 1)
    return true;
  std::vector<int> seqs;
  // The sequences go back to the executor however this returns, so that
  // repeated calls reuse their caches.
  struct Release {
    Executor &executor;
    std::vector<int> &seqs;
    ~Release() {
      for (int s : seqs)
        executor.releaseSequence(s);
    }
  } release{executor, seqs};
  std::vector<Sampler> samplers;
  std::vector<size_t> done; // prompt tokens the sequences hold
  for (size_t i = 0; i < batch; ++i) {
    if (prompts[i].empty()) {
      error = "prompt " + std::to_string(i) + " is empty";
      return false;
    }
    int64_t need = int64_t(prompts[i].size()) + options.maxNewTokens - 1;
    if (need > executor.maxSeqLen()) {
      error = "prompt " + std::to_string(i) + " (" +
              std::to_string(prompts[i].size()) + " tokens) + " +
              std::to_string(options.maxNewTokens) + " new tokens need " +
              std::to_string(need) +
              " positions; the maximum sequence length is " +
              std::to_string(executor.maxSeqLen());
      return false;
    }
    int64_t reused = 0;
    int s = options.prefixCache
                ? options.prefixCache->acquire(prompts[i], reused, error)
                : executor.addSequence(error);
    if (s < 0)
      return false;
    seqs.push_back(s);
    done.push_back(size_t(reused));
    samplers.emplace_back(options.sampling, i); // each its own stream
  }

  // A chunked prefill: every chunk but each prompt's last in steps that
  // sample nothing; the last chunks in the first step below.
  const int64_t chunk = options.prefillChunk;
  if (chunk < 0 || (chunk > 0 && chunk % executor.prefillChunkMultiple())) {
    error = "a prefill chunk of " + std::to_string(chunk) +
            " tokens: it must be a multiple of " +
            std::to_string(executor.prefillChunkMultiple()) +
            " (the compression ratios' common multiple), or 0 for whole "
            "prompts";
    return false;
  }
  double chunkSeconds = 0;
  // Steps that sample nothing: each prompt prefilled up to `upTo` (its
  // tokens from done[i] to at most upTo[i], at most `chunk` a step).
  auto prefillUpTo = [&](const std::vector<size_t> &upTo) {
    for (;;) {
      std::vector<StepInput> round;
      for (size_t i = 0; i < batch; ++i)
        if (upTo[i] > done[i]) {
          size_t n = upTo[i] - done[i];
          if (chunk > 0)
            n = std::min(n, size_t(chunk));
          round.push_back({seqs[i],
                           {prompts[i].begin() + int64_t(done[i]),
                            prompts[i].begin() + int64_t(done[i] + n)}});
          done[i] += n;
        }
      if (round.empty())
        return true;
      StepResult none;
      auto start = Clock::now();
      if (!executor.step(round, 0, none, error))
        return false;
      chunkSeconds +=
          std::chrono::duration<double>(Clock::now() - start).count();
    }
  };
  for (size_t i = 0; i < batch; ++i)
    result.reusedTokens += int64_t(done[i]);
  // Each prompt's longest storable prefix, prefilled and stored first.
  if (PrefixCache *cache = options.prefixCache) {
    std::vector<size_t> upTo(batch);
    for (size_t i = 0; i < batch; ++i)
      upTo[i] = size_t(cache->storableLength(int64_t(prompts[i].size())));
    if (!prefillUpTo(upTo))
      return false;
    for (size_t i = 0; i < batch; ++i)
      if (upTo[i] > 0 &&
          !cache->store({prompts[i].begin(), prompts[i].begin() + upTo[i]},
                        seqs[i], error))
        return false;
  }
  // Then, with a chunk, all but each prompt's last chunk.
  if (chunk > 0) {
    // Whole chunks from done[i], leaving 1 to `chunk` tokens.
    std::vector<size_t> upTo(batch);
    for (size_t i = 0; i < batch; ++i)
      upTo[i] = done[i] + (prompts[i].size() - done[i] - 1) / size_t(chunk) *
                              size_t(chunk);
    if (!prefillUpTo(upTo))
      return false;
  }
  std::vector<StepInput> inputs;
  for (size_t i = 0; i < batch; ++i) {
    inputs.push_back(
        {seqs[i], {prompts[i].begin() + int64_t(done[i]), prompts[i].end()}});
    result.prefillTokens += int64_t(prompts[i].size());
  }
  result.prefillTokens -= result.reusedTokens;
  std::vector<size_t> owner(batch); // inputs[j] belongs to sequence owner[j]
  for (size_t i = 0; i < batch; ++i)
    owner[i] = i;
  // Choices are made on the device (only the ids come back) unless the
  // logits are kept: greedy, or sampled with each sequence's next draw.
  const bool sampling = options.sampling.temperature > 0;
  const bool onDevice = !options.keepLogits;
  const unsigned parts = !onDevice  ? StepResult::Logits
                         : sampling ? StepResult::Sampled
                                    : StepResult::Greedy;
  StepResult out;
  for (int64_t step = 0; step < options.maxNewTokens && !inputs.empty();
       ++step) {
    if (parts == StepResult::Sampled)
      for (size_t j = 0; j < inputs.size(); ++j)
        inputs[j].sample = {options.sampling.temperature, options.sampling.topP,
                            samplers[owner[j]].draw()};
    auto start = Clock::now();
    if (!executor.step(inputs, parts, out, error))
      return false;
    result.sampledOnHost += out.sampledOnHost;
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    if (step == 0) {
      result.prefillSeconds = chunkSeconds + seconds;
      result.profileAfterPrefill = executor.profile();
    } else {
      result.decodeSeconds += seconds;
      result.decodeTokens += int64_t(inputs.size());
      ++result.decodeSteps;
    }
    std::vector<StepInput> next;
    std::vector<size_t> nextOwner;
    for (size_t j = 0; j < inputs.size(); ++j) {
      size_t i = owner[j];
      int64_t token;
      if (parts == StepResult::Greedy) {
        token = out.greedy[j];
      } else if (parts == StepResult::Sampled) {
        token = out.sampled[j];
      } else {
        const float *row = out.logits.data() + j * vocab;
        if (options.keepLogits)
          result.logits[i].emplace_back(row, row + vocab);
        token = samplers[i].sample(row, vocab);
      }
      if (token < 0) {
        error = "sequence " + std::to_string(i) + ", step " +
                std::to_string(step) + ": every logit is NaN";
        return false;
      }
      result.generated[i].push_back(token);
      if (token != options.eosId && step + 1 < options.maxNewTokens) {
        next.push_back({seqs[i], {token}});
        nextOwner.push_back(i);
      }
    }
    inputs = std::move(next);
    owner = std::move(nextOwner);
    if (options.progress)
      options.progress(step + 1, options.maxNewTokens);
  }
  result.profileAtEnd = executor.profile();
  return true;
}
