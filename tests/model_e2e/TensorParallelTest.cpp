//===- TensorParallelTest.cpp - the tiny V4 over 1, 2 and 4 ranks ---------===//
//
// The cpu target with tensor-parallel ranks (threads with the host
// collectives, official model.py's split for world_size > 1): a prefill
// through every kind of layer (SWA, CSA with its indexer, HCA), decode
// steps and an MTP step give, on every rank, the same logits bit for bit;
// and with 2 and 4 ranks the logits of 1 rank within the cpu-vs-cuda
// tolerance (relative L2 5e-2; the ranks add their bf16 and f32 partial
// sums in another order, and act_quant blocks wo_b's narrower inputs).
// A rank count that does not divide the heads is an error naming the field.
//
//===----------------------------------------------------------------------===//
#include "tests/model_e2e/TinyV4.h"

#include "runtime/Collectives.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

using namespace dsv4c;
using namespace dsv4c::v4;
using namespace dsv4c::tinyv4;

namespace {

/// The tiny model with heads, output groups, experts and vocabulary that 4
/// ranks divide.
V4Config parallelConfig() {
  V4Config c = v4TinyConfig();
  c.numHeads = 4;
  c.oGroups = 4;
  c.nRoutedExperts = 8;
  c.vocabSize = 300;
  return c;
}

struct RankLogits {
  std::vector<std::vector<float>> logits; // per step: prefill, decodes, MTP
};

/// Each rank's logits of a 200-token prefill, `decodes` decode steps fed
/// `tokens`, then an MTP step; with `ranks` threads.
std::vector<RankLogits> runRanks(const V4Config &c, const Checkpoint &ckpt,
                                 int ranks,
                                 const std::vector<int64_t> &tokens) {
  std::vector<std::unique_ptr<Collectives>> group = makeHostCollectives(ranks);
  std::vector<RankLogits> runs(static_cast<size_t>(ranks));
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  auto rankMain = [&](int r) {
    std::string &error = errors[size_t(r)];
    HostDevice device("cpu");
    ExecutorOptions options;
    options.maxSeqLen = 512;
    options.collectives = group[size_t(r)].get();
    auto exec = Executor::create(c, ckpt, device, cpuKernels(), options, error);
    int seq = exec ? exec->addSequence(error) : -1;
    std::vector<int64_t> prompt;
    for (int t = 0; t < 200; ++t)
      prompt.push_back((37 * t + 11) % c.vocabSize);
    std::vector<float> logits;
    bool ok = seq >= 0 && exec->step({{seq, prompt}}, logits, error);
    if (ok)
      runs[size_t(r)].logits.push_back(logits);
    for (size_t i = 0; ok && i < tokens.size(); ++i) {
      ok = exec->step({{seq, {tokens[i]}}}, logits, error);
      if (ok)
        runs[size_t(r)].logits.push_back(logits);
    }
    ok = ok && exec->mtpStep({{tokens[0]}}, logits, error);
    if (ok)
      runs[size_t(r)].logits.push_back(logits);
    if (!ok)
      group[size_t(r)]->abort(); // the other ranks must not wait for this one
  };
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back(rankMain, r);
  for (std::thread &t : threads)
    t.join();
  for (int r = 0; r < ranks; ++r)
    EXPECT_EQ(errors[size_t(r)], "") << "rank " << r << " of " << ranks;
  return runs;
}

double relativeL2(const std::vector<float> &got,
                  const std::vector<float> &want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = double(got[i]) - double(want[i]);
    num += d * d;
    den += double(want[i]) * double(want[i]);
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

TEST(TensorParallel, RanksMatchOneRank) {
  const V4Config c = parallelConfig();
  auto ckpt = checkpoint(c, scratch("tp"));
  ASSERT_NE(ckpt, nullptr);
  const std::vector<int64_t> tokens = {5, 17, 42, 99, 3, 250};
  std::vector<RankLogits> one = runRanks(c, *ckpt, 1, tokens);
  ASSERT_EQ(one[0].logits.size(), tokens.size() + 2);
  for (int ranks : {2, 4}) {
    SCOPED_TRACE(std::to_string(ranks) + " ranks");
    std::vector<RankLogits> runs = runRanks(c, *ckpt, ranks, tokens);
    for (int r = 0; r < ranks; ++r)
      ASSERT_EQ(runs[size_t(r)].logits, runs[0].logits)
          << "rank " << r << " differs from rank 0";
    ASSERT_EQ(runs[0].logits.size(), one[0].logits.size());
    double worst = 0;
    for (size_t s = 0; s < one[0].logits.size(); ++s) {
      const double err = relativeL2(runs[0].logits[s], one[0].logits[s]);
      EXPECT_LE(err, 5e-2) << "step " << s;
      // The ranks' shares are not the whole model's by mistake.
      EXPECT_NE(runs[0].logits[s], std::vector<float>(c.vocabSize, 0.f));
      worst = std::max(worst, err);
      std::printf("  step %zu: %.3g\n", s, err);
    }
    std::printf("%d ranks: worst relative L2 against 1 rank %.3g over %zu "
                "steps\n",
                ranks, worst, one[0].logits.size());
  }
}

TEST(TensorParallel, RanksThatDoNotDivideAreAnError) {
  std::string error;
  EXPECT_FALSE(checkTensorParallel(parallelConfig(), 3, error));
  EXPECT_NE(error.find("num_attention_heads"), std::string::npos) << error;
  EXPECT_FALSE(checkTensorParallel(v4TinyConfig(), 4, error));
  EXPECT_NE(error.find("num_attention_heads"), std::string::npos) << error;
  EXPECT_TRUE(checkTensorParallel(v4FlashConfig(), 8, error)) << error;
  EXPECT_FALSE(checkTensorParallel(v4FlashConfig(), 0, error));
}

} // namespace
