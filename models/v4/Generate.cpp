//===- Generate.cpp - prefill + decode loop over an Executor --------------===//
#include "models/v4/Generate.h"

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
    int s = executor.addSequence(error);
    if (s < 0)
      return false;
    seqs.push_back(s);
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
  std::vector<size_t> done(batch, 0); // prompt tokens prefilled
  double chunkSeconds = 0;
  while (chunk > 0) {
    std::vector<StepInput> round;
    for (size_t i = 0; i < batch; ++i)
      if (int64_t(prompts[i].size() - done[i]) > chunk) {
        round.push_back({seqs[i],
                         {prompts[i].begin() + int64_t(done[i]),
                          prompts[i].begin() + int64_t(done[i]) + chunk}});
        done[i] += size_t(chunk);
      }
    if (round.empty())
      break;
    StepResult none;
    auto start = Clock::now();
    if (!executor.step(round, 0, none, error))
      return false;
    chunkSeconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::vector<StepInput> inputs;
  for (size_t i = 0; i < batch; ++i) {
    inputs.push_back(
        {seqs[i], {prompts[i].begin() + int64_t(done[i]), prompts[i].end()}});
    result.prefillTokens += int64_t(prompts[i].size());
  }
  std::vector<size_t> owner(batch); // inputs[j] belongs to sequence owner[j]
  for (size_t i = 0; i < batch; ++i)
    owner[i] = i;
  // Greedy choices are made on the device (only the ids come back) unless
  // the logits are kept; sampling at a temperature reads the logits here.
  const bool deviceGreedy =
      !(options.sampling.temperature > 0) && !options.keepLogits;
  const unsigned parts = deviceGreedy ? StepResult::Greedy : StepResult::Logits;
  StepResult out;
  for (int64_t step = 0; step < options.maxNewTokens && !inputs.empty();
       ++step) {
    auto start = Clock::now();
    if (!executor.step(inputs, parts, out, error))
      return false;
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
      if (deviceGreedy) {
        token = out.greedy[j];
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
