//===- GraphTest.cpp - decode steps queued as device graphs ---------------===//
//
// ExecutorOptions::graphs on the cpu target, through a HostDevice that makes
// graphs the way a GPU's driver does: a graph keeps the recorded work (with
// its arguments' values) and runs it again on each launch. So a replayed
// step computes with the launches of the step the graph was made from;
// this is right only if everything that changes from step to step (tokens,
// positions, slots, page tables, index lists) reaches the kernels through
// device memory. Checked: decode logits (and greedy ids) with graphs equal
// eager steps bit for bit; steps replay graphs made earlier (one per batch
// composition); graphs pause while every step is new (a batch ramping up)
// and resume; with graphs off no graph is made.
//
//===----------------------------------------------------------------------===//
#include "tests/model_e2e/TinyV4.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace dsv4c;
using namespace dsv4c::v4;
using namespace dsv4c::tinyv4;

namespace {

class HostGraph : public DeviceGraph {
public:
  HostGraph(Device &device, std::vector<RecordedWork> work, int &launches)
      : device(device), work(std::move(work)), launches(launches) {}
  bool launch(std::string &error) override {
    ++launches;
    for (const RecordedWork &w : work)
      if (!w.run(device, error))
        return false;
    return true;
  }

private:
  Device &device;
  std::vector<RecordedWork> work;
  int &launches;
};

/// Host memory whose graphs are kept work lists.
class GraphHostDevice : public HostDevice {
public:
  using HostDevice::HostDevice;
  int made = 0, launched = 0;
  std::unique_ptr<DeviceGraph> makeGraph(const std::vector<RecordedWork> &work,
                                         std::string &error) override {
    (void)error;
    ++made;
    return std::make_unique<HostGraph>(*this, work, launched);
  }
};

struct Decoded {
  std::vector<std::vector<float>> logits; // per decode step
  std::vector<std::vector<int64_t>> greedy;
  GraphStats stats;
};

/// Prompts of different lengths for `batch` sequences, then `steps` decode
/// steps; after `growAt` steps (if >= 0) one more sequence joins (its
/// prefill is a step of its own), and after `shrinkAt` it leaves.
Decoded decode(Device &device, const V4Config &c, const Checkpoint &ckpt,
               int batch, int steps, unsigned parts, int growAt = -1,
               int shrinkAt = -1, int promptBase = 9) {
  ExecutorOptions options;
  options.maxSeqLen = promptBase + 5 * batch + steps + 8;
  std::string error;
  Decoded run;
  auto e = Executor::create(c, ckpt, device, cpuKernels(), options, error);
  EXPECT_NE(e, nullptr) << error;
  if (!e)
    return run;
  auto prompt = [&](int i) {
    StepInput in{e->addSequence(error), {}};
    for (int t = 0; t < promptBase + 5 * i; ++t)
      in.tokens.push_back((7 * t + 13 * i + 1) % c.vocabSize);
    return in;
  };
  std::vector<StepInput> inputs;
  for (int i = 0; i < batch; ++i)
    inputs.push_back(prompt(i));
  std::vector<float> logits;
  EXPECT_TRUE(e->step(inputs, logits, error)) << error;
  for (int s = 0; s < steps; ++s) {
    if (s == growAt) {
      StepInput joined = prompt(batch);
      EXPECT_TRUE(e->step({joined}, logits, error)) << error;
      joined.tokens = {joined.tokens.back()};
      inputs.push_back(joined);
    }
    if (s == shrinkAt)
      inputs.pop_back();
    for (size_t i = 0; i < inputs.size(); ++i) {
      StepInput &in = inputs[i];
      in.tokens = {(in.tokens.back() * 5 + s + 2) % c.vocabSize};
      // Each step its own draws (StepResult::Sampled).
      in.sample = {0.9f, i % 2 ? 1.f : 0.8f,
                   std::fmod(0.37 * (s + 1) + 0.21 * double(i), 1.0)};
    }
    StepResult result;
    EXPECT_TRUE(e->step(inputs, parts, result, error)) << error;
    run.logits.push_back(result.logits);
    run.greedy.push_back(parts & StepResult::Sampled ? result.sampled
                                                     : result.greedy);
    // Feed back the chosen token where there is one.
    for (size_t i = 0; i < run.greedy.back().size(); ++i)
      if (run.greedy.back()[i] >= 0)
        inputs[i].tokens = {run.greedy.back()[i]};
  }
  run.stats = e->graphStats();
  return run;
}

void expectSameBits(const Decoded &graphs, const Decoded &eager) {
  ASSERT_EQ(graphs.logits.size(), eager.logits.size());
  for (size_t s = 0; s < graphs.logits.size(); ++s) {
    SCOPED_TRACE("decode step " + std::to_string(s));
    ASSERT_EQ(graphs.logits[s].size(), eager.logits[s].size());
    EXPECT_EQ(std::memcmp(graphs.logits[s].data(), eager.logits[s].data(),
                          graphs.logits[s].size() * 4),
              0);
    EXPECT_EQ(graphs.greedy[s], eager.greedy[s]);
  }
}

/// The same steps on a plain HostDevice and on one that makes graphs: the
/// logits and ids must agree bit for bit. Returns the graphs' stats.
GraphStats compareWithGraphs(const V4Config &c, const Checkpoint &ckpt,
                             int batch, int steps, unsigned parts,
                             int growAt = -1, int shrinkAt = -1,
                             int promptBase = 9) {
  HostDevice plain("cpu");
  GraphHostDevice withGraphs("cpu");
  const Decoded eager =
      decode(plain, c, ckpt, batch, steps, parts, growAt, shrinkAt, promptBase);
  const Decoded graphs = decode(withGraphs, c, ckpt, batch, steps, parts,
                                growAt, shrinkAt, promptBase);
  expectSameBits(graphs, eager);
  EXPECT_EQ(eager.stats.made + eager.stats.replayed, 0u);
  EXPECT_EQ(graphs.stats.eager, 0u);
  EXPECT_EQ(uint64_t(withGraphs.made), graphs.stats.made);
  EXPECT_EQ(uint64_t(withGraphs.launched),
            graphs.stats.made + graphs.stats.replayed);
  return graphs.stats;
}

TEST(V4Graphs, ReplayedDecodeStepsEqualEagerOnesBitForBit) {
  V4Config c = v4TinyConfig(); // SWA, CSA, HCA, hash and score routing
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  for (int batch : {1, 3}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    // 20 steps cross the CSA layer's compressed-entry emissions (ratio 4)
    // and its indexer's picks.
    GraphStats g = compareWithGraphs(c, *ckpt, batch, 20, StepResult::Logits);
    EXPECT_EQ(g.made, 1u); // one batch composition, one graph
    EXPECT_EQ(g.replayed, 19u);
  }
}

TEST(V4Graphs, GreedyStepsReplayAndEachBatchHasItsGraph) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  // Two sequences; a third joins at step 5 and leaves at step 10.
  GraphStats g = compareWithGraphs(
      c, *ckpt, 2, 15, StepResult::Logits | StepResult::Greedy, 5, 10);
  // Batch 2, then 3, then 2 again: a graph for each, each replayed on the
  // steps after the one it was made on (the third sequence's prefill grew
  // the step-argument buffer, so batch 2's second graph reads the new one).
  EXPECT_EQ(g.made, 3u);
  EXPECT_EQ(g.replayed, 12u);
  EXPECT_EQ(g.kept, 3u);
}

// Sampled steps replay their graph with each step's own draws (in the
// step's arguments, not baked into the graph): the same tokens as eager
// steps, which are fed back.
TEST(V4Graphs, SampledStepsReplayWithEachStepsDraws) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  GraphStats g = compareWithGraphs(c, *ckpt, 2, 12, StepResult::Sampled);
  EXPECT_EQ(g.made, 1u);
  EXPECT_EQ(g.replayed, 11u);
}

// The HCA layer (ratio 128) lists every compressed entry, so its index
// lists widen when the longest sequence passes position 127: the step's
// launches change (the lists' width is an argument), a new graph is made
// and replayed from then on, and the logits stay those of eager steps.
TEST(V4Graphs, AGraphIsMadeAgainWhenTheListsWiden) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  // Prompts of 118 and 123 tokens: the second passes 127 at step 4.
  GraphStats g =
      compareWithGraphs(c, *ckpt, 2, 16, StepResult::Logits, -1, -1, 118);
  EXPECT_EQ(g.made, 2u);
  EXPECT_EQ(g.replayed, 14u);
}

/// A batch ramping up: a sequence joins before each of the first `ramp` + 1
/// decode steps, then the rest of `steps` run at that batch.
Decoded rampUp(Device &device, const V4Config &c, const Checkpoint &ckpt,
               int ramp, int steps) {
  ExecutorOptions options;
  options.maxSeqLen = 9 + steps + 8;
  std::string error;
  Decoded run;
  auto e = Executor::create(c, ckpt, device, cpuKernels(), options, error);
  EXPECT_NE(e, nullptr) << error;
  if (!e)
    return run;
  std::vector<StepInput> inputs;
  std::vector<float> logits;
  for (int s = 0; s < steps; ++s) {
    if (s <= ramp) {
      StepInput joined{e->addSequence(error), {}};
      for (int t = 0; t < 9; ++t)
        joined.tokens.push_back((5 * t + 3 * s + 1) % c.vocabSize);
      EXPECT_TRUE(e->step({joined}, logits, error)) << error;
      joined.tokens = {joined.tokens.back()};
      inputs.push_back(joined);
    }
    for (StepInput &in : inputs)
      in.tokens = {(in.tokens.back() * 7 + s + 1) % c.vocabSize};
    EXPECT_TRUE(e->step(inputs, logits, error)) << error;
    run.logits.push_back(logits);
    run.greedy.emplace_back();
  }
  run.stats = e->graphStats();
  return run;
}

// Eleven decode steps of eleven batch sizes make eight graphs in a row and
// no replay: graphs pause (steps launched one by one) for 64 decode steps,
// then a graph is made for the batch that has settled and replayed.
TEST(V4Graphs, GraphsPauseWhileTheBatchRampsUpThenResume) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  HostDevice plain("cpu");
  GraphHostDevice withGraphs("cpu");
  const Decoded eager = rampUp(plain, c, *ckpt, 10, 90);
  const Decoded graphs = rampUp(withGraphs, c, *ckpt, 10, 90);
  expectSameBits(graphs, eager);
  // Steps 0-7 make a graph each, 8-70 run paused, 71 makes one, 72-89
  // replay it.
  EXPECT_EQ(graphs.stats.made, 9u);
  EXPECT_EQ(graphs.stats.replayed, 18u);
  EXPECT_EQ(graphs.stats.eager, 0u);
}

TEST(V4Graphs, OffMeansEveryStepLaunchesItself) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  GraphHostDevice device("cpu");
  ExecutorOptions options;
  options.maxSeqLen = 64;
  options.graphs = false;
  std::string error;
  auto e = Executor::create(c, *ckpt, device, cpuKernels(), options, error);
  ASSERT_NE(e, nullptr) << error;
  std::vector<StepInput> inputs{{e->addSequence(error), {1, 2, 3}}};
  std::vector<float> logits;
  for (int s = 0; s < 4; ++s) {
    ASSERT_TRUE(e->step(inputs, logits, error)) << error;
    inputs[0].tokens = {4 + s};
  }
  EXPECT_EQ(device.made, 0);
  EXPECT_EQ(e->graphStats().made + e->graphStats().replayed, 0u);
}

} // namespace
