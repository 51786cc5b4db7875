//===- GreedyLogits.cpp - a model's logits over a greedy generation ------===//
// Apart from Model.cpp so that the readers (fuzzed on their own) need no
// executor.
#include "models/v4/Executor.h"
#include "models/v4/Generate.h"
#include "tools/runner/Model.h"

using namespace dsv4c;

bool runner::greedyLogits(const Model &model, Device &device,
                          KernelLibrary &kernels,
                          const std::vector<int64_t> &prompt, int64_t newTokens,
                          std::vector<std::vector<float>> &logits,
                          std::string &error) {
  for (int64_t t : prompt)
    if (t < 0 || t >= model.config.vocabSize) {
      error = "token id " + std::to_string(t) +
              " is outside the vocabulary [0, " +
              std::to_string(model.config.vocabSize) + ")";
      return false;
    }
  v4::ExecutorOptions options;
  options.maxSeqLen = int64_t(prompt.size()) + newTokens;
  options.engramTables = model.engramTables.get();
  auto executor = createExecutor(model, device, kernels, options, error);
  if (!executor)
    return false;
  v4::GenerateOptions generate;
  generate.maxNewTokens = newTokens;
  generate.keepLogits = true;
  v4::GenerateResult result;
  if (!v4::generate(*executor, {prompt}, generate, result, error))
    return false;
  logits = std::move(result.logits[0]);
  return true;
}
