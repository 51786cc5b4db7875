//===- V4StepTest.cpp - what a decode step asks of the device -------------===//
//
// The executor's traffic with its Device during decode steps, counted by a
// HostDevice subclass on the cpu target (what a GPU would wait on):
// (a) a decode step makes one upload (the step's host-made arrays: token
//     ids, positions, cache slots, index lists), one download (the logits,
//     or the greedy ids chosen on the device) and no synchronisation, at
//     batch 1 and 4; the device's greedy ids equal runtime/Sampling.h's
//     greedy choice on the same step's logits;
// (b) a decode step makes as many launches at batch 4 as at batch 1, on
//     every kind of layer and whichever sequences emit a compressed entry
//     (attention, compressors and indexer batched over sequences, the MoE
//     routed on the device);
// (c) a hash layer's tid2eid naming an expert the model lacks is an error
//     at load that names the tensor and the entry (the device's routing
//     would skip the pick);
// (d) a chunked prefill (chunks starting at multiples of 128) gives one
//     prefill's logits bit for bit, then the same decode and MTP logits;
//     a chunk off that grid is an error naming the numbers; so does a
//     sequence forked at a prefix and given the rest.
//
//===----------------------------------------------------------------------===//
#include "tests/model_e2e/TinyV4.h"

#include "runtime/Sampling.h"

#include <gtest/gtest.h>

#include <cmath>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace dsv4c;
using namespace dsv4c::v4;
using namespace dsv4c::tinyv4;
namespace fs = std::filesystem;

namespace {

/// A HostDevice that counts what would cross to or wait on a GPU.
class CountingHostDevice : public HostDevice {
public:
  using HostDevice::HostDevice;
  int uploads = 0, downloads = 0, waits = 0;
  bool upload(void *dst, const void *src, size_t bytes,
              std::string &error) override {
    ++uploads;
    return HostDevice::upload(dst, src, bytes, error);
  }
  bool download(void *dst, const void *src, size_t bytes,
                std::string &error) override {
    ++downloads;
    return HostDevice::download(dst, src, bytes, error);
  }
  bool synchronize(std::string &error) override {
    ++waits;
    return HostDevice::synchronize(error);
  }
  void clear() { uploads = downloads = waits = 0; }
};

/// Per decode step of `batch` sequences: launches, uploads, downloads,
/// waits (after a prefill of prompts of different lengths).
struct StepCounts {
  uint64_t launches = 0;
  int uploads = 0, downloads = 0, waits = 0;
  int64_t sampledOnHost = 0; // StepResult::Sampled rows left to the host
};

/// `parts`: what each decode step asks for (StepResult::Part bits); with
/// the logits, each greedy or sampled id is checked against the host's
/// choice. Sampling's topP is `topP`, or by default 1 and 0.95 by turns.
std::vector<StepCounts> decodeSteps(const V4Config &c, const Checkpoint &ckpt,
                                    int batch, int steps,
                                    unsigned parts = StepResult::Logits,
                                    float topP = 0) {
  CountingHostDevice device("cpu");
  ExecutorOptions options;
  options.maxSeqLen = 64;
  std::string error;
  auto e = Executor::create(c, ckpt, device, cpuKernels(), options, error);
  EXPECT_NE(e, nullptr) << error;
  std::vector<StepCounts> counts;
  if (!e)
    return counts;
  std::vector<StepInput> inputs;
  for (int i = 0; i < batch; ++i) {
    StepInput in{e->addSequence(error), {}};
    for (int t = 0; t < 11 + 4 * i; ++t)
      in.tokens.push_back((7 * t + 13 * i + 1) % c.vocabSize);
    inputs.push_back(in);
  }
  std::vector<float> logits;
  EXPECT_TRUE(e->step(inputs, logits, error)) << error;
  for (int s = 0; s < steps; ++s) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      StepInput &in = inputs[i];
      in.tokens = {(in.tokens.back() * 5 + s + 2) % c.vocabSize};
      in.sample = {s % 2 ? 0.7f : 1.3f,
                   topP > 0      ? topP
                   : (s + i) % 2 ? 1.f
                                 : 0.95f,
                   std::fmod(0.137 * (s + 1) + 0.31 * double(i), 1.0)};
    }
    device.clear();
    const uint64_t before = e->launches();
    StepResult result;
    EXPECT_TRUE(e->step(inputs, parts, result, error)) << error;
    counts.push_back({e->launches() - before, device.uploads, device.downloads,
                      device.waits, result.sampledOnHost});
    EXPECT_EQ(result.greedy.size(),
              parts & StepResult::Greedy ? inputs.size() : 0);
    EXPECT_EQ(result.logits.size(),
              parts & StepResult::Logits ? inputs.size() * c.vocabSize : 0);
    EXPECT_EQ(result.sampled.size(),
              parts & StepResult::Sampled ? inputs.size() : 0);
    for (size_t i = 0; parts == (StepResult::Logits | StepResult::Sampled) &&
                       i < inputs.size();
         ++i) {
      const StepInput::Sample &p = inputs[i].sample;
      Sampler host(SamplingOptions{p.temperature, p.topP, 0});
      EXPECT_EQ(result.sampled[i],
                host.sampleWithDraw(result.logits.data() + i * c.vocabSize,
                                    c.vocabSize, p.draw))
          << "decode step " << s << ", input " << i;
    }
    for (size_t i = 0; parts == (StepResult::Logits | StepResult::Greedy) &&
                       i < inputs.size();
         ++i) {
      Sampler greedy(SamplingOptions{});
      EXPECT_EQ(
          result.greedy[i],
          greedy.sample(result.logits.data() + i * c.vocabSize, c.vocabSize))
          << "decode step " << s << ", input " << i;
    }
  }
  return counts;
}

void expectNoWaits(const std::vector<StepCounts> &steps, int batch) {
  for (size_t s = 0; s < steps.size(); ++s) {
    SCOPED_TRACE("batch " + std::to_string(batch) + ", decode step " +
                 std::to_string(s));
    EXPECT_EQ(steps[s].uploads, 1);
    EXPECT_EQ(steps[s].downloads, 1);
    EXPECT_EQ(steps[s].waits, 0);
  }
}

TEST(V4Step, DecodeStepsAreOneUploadOneDownloadNoWait) {
  V4Config c = v4TinyConfig(); // SWA, CSA, HCA, hash and score routing
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  for (int batch : {1, 4}) {
    expectNoWaits(decodeSteps(c, *ckpt, batch, 5), batch);
    expectNoWaits(decodeSteps(c, *ckpt, batch, 3, StepResult::Greedy), batch);
  }
}

// Sampled on the device: the host's choice with the same draw (f32 against
// double: equal unless a draw sits on a boundary within rounding, which
// these fixed draws do not). topP 0.95 over the tiny model's flat logits
// leaves wide nuclei to the host, topP 1 never: both are in these steps.
TEST(V4Step, DeviceSampledIdsEqualTheHostChoice) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  int64_t onHost = 0;
  for (const StepCounts &step :
       decodeSteps(c, *ckpt, 3, 6, StepResult::Logits | StepResult::Sampled))
    onHost += step.sampledOnHost;
  // Both paths taken: some rows on the device, some (wide nuclei) on the
  // host's threads.
  EXPECT_GT(onHost, 0);
  EXPECT_LT(onHost, 3 * 6);
  // Every draw on the device (topP 1 in every step), no wait.
  expectNoWaits(decodeSteps(c, *ckpt, 2, 4, StepResult::Sampled, 1), 2);
}

TEST(V4Step, DeviceGreedyIdsEqualTheHostGreedyChoice) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  decodeSteps(c, *ckpt, 4, 4, StepResult::Logits | StepResult::Greedy);
}

// Every decode step makes as many launches at batch 4 as at batch 1, on the
// tiny model's sliding-window, CSA and HCA layers alike: attention, the
// compressors' state writes and entry emissions, the indexer and the MoE
// are one launch per kernel for all sequences. The steps cover the
// sequences' emissions at different steps (sequence i starts at 11 + 4 i
// tokens) and steps where none emits.
TEST(V4Step, LaunchesDoNotGrowWithBatch) {
  V4Config c = v4TinyConfig();
  auto ckpt = checkpoint(c, scratch("tiny"));
  ASSERT_NE(ckpt, nullptr);
  std::vector<int64_t> ratios;
  for (int64_t l = 0; l < c.numLayers + c.nMtpLayers; ++l)
    if (c.compressRatio(l) != 0)
      ratios.push_back(c.compressRatio(l));
  ASSERT_FALSE(ratios.empty());
  const auto one = decodeSteps(c, *ckpt, 1, 6);
  const auto four = decodeSteps(c, *ckpt, 4, 6);
  ASSERT_EQ(one.size(), four.size());
  int emitting = 0, quiet = 0;
  for (size_t s = 0; s < one.size(); ++s) {
    bool emits = false;
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t r : ratios)
        emits |= (11 + 4 * i + int64_t(s) + 1) % r == 0;
    ++(emits ? emitting : quiet);
    EXPECT_GT(one[s].launches, 0u);
    EXPECT_EQ(four[s].launches, one[s].launches) << "decode step " << s;
  }
  EXPECT_GT(emitting, 0); // both kinds of step were compared
  EXPECT_GT(quiet, 0);
}

/// Overwrites tid2eid entry [0, 0] of layer 0 with `expert`: the tensor's
/// bytes are found in its file by content (generated tables are unique).
void patchTid2eid(const fs::path &dir, int64_t expert) {
  std::string error;
  auto ckpt = Checkpoint::open(dir.string(), error);
  ASSERT_NE(ckpt, nullptr) << error;
  const TensorInfo *t = ckpt->find("layers.0.ffn.gate.tid2eid");
  ASSERT_NE(t, nullptr);
  std::ifstream in(t->file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  size_t at = bytes.find(
      std::string(static_cast<const char *>(t->data), t->bytes));
  ASSERT_NE(at, std::string::npos);
  const std::string file = t->file;
  ckpt.reset();
  std::fstream out(file, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(std::streamoff(at));
  out.write(reinterpret_cast<const char *>(&expert), 8);
}

// A maximum sequence length past config.json's max_position_embeddings is
// refused before anything is allocated, naming both numbers.
TEST(V4Step, MaxSeqLenPastThePositionsIsAnError) {
  V4Config c = v4TinyConfig();
  ASSERT_GT(c.maxPositionEmbeddings, 0);
  const fs::path dir = scratch("maxseqlen");
  auto ckpt = checkpoint(c, dir);
  ASSERT_NE(ckpt, nullptr);
  CountingHostDevice device("cpu");
  ExecutorOptions options;
  options.maxSeqLen = c.maxPositionEmbeddings + 1;
  std::string error;
  auto e = Executor::create(c, *ckpt, device, cpuKernels(), options, error);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(error, "a maximum sequence length of " +
                       std::to_string(c.maxPositionEmbeddings + 1) +
                       " positions exceeds the model's " +
                       std::to_string(c.maxPositionEmbeddings) +
                       " (config.json: max_position_embeddings)");
  options.maxSeqLen = c.maxPositionEmbeddings;
  EXPECT_NE(Executor::create(c, *ckpt, device, cpuKernels(), options, error),
            nullptr)
      << error;
}

TEST(V4Step, Tid2eidOutsideTheExpertsIsALoadError) {
  V4Config c = v4TinyConfig();
  ASSERT_GT(c.nHashLayers, 0);
  const fs::path dir = scratch("badtid2eid");
  checkpoint(c, dir);
  patchTid2eid(dir, c.nRoutedExperts);
  std::string error;
  auto ckpt = Checkpoint::open(dir.string(), error);
  ASSERT_NE(ckpt, nullptr) << error;
  HostDevice device("cpu");
  ExecutorOptions options;
  options.maxSeqLen = 32;
  auto e = Executor::create(c, *ckpt, device, cpuKernels(), options, error);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(error, "tensor 'layers.0.ffn.gate.tid2eid' [0, 0] is expert " +
                       std::to_string(c.nRoutedExperts) + "; the model has " +
                       std::to_string(c.nRoutedExperts) +
                       " (n_routed_experts)");
}

} // namespace

namespace {

/// 400 tokens: 100 CSA entries (top-4 picks among them) and 3 HCA entries.
/// Logits after a prompt prefilled in `chunks` (token counts, each step one
/// chunk), then after each of `decode` decode steps (fixed tokens): one
/// vector per step that produced logits; and the MTP block's logits after
/// every step (mtpStep, given the tokens that follow).
std::vector<std::vector<float>> chunkedRun(const V4Config &c,
                                           const Checkpoint &ckpt,
                                           const std::vector<int64_t> &prompt,
                                           const std::vector<int64_t> &chunks,
                                           int decode) {
  HostDevice device("cpu");
  ExecutorOptions options;
  options.maxSeqLen = 512;
  std::string error;
  auto e = Executor::create(c, ckpt, device, cpuKernels(), options, error);
  EXPECT_NE(e, nullptr) << error;
  std::vector<std::vector<float>> out;
  if (!e)
    return out;
  // The whole token stream: the prompt, then the decode tokens.
  std::vector<int64_t> tokens = prompt;
  for (int s = 0; s < decode; ++s)
    tokens.push_back((11 * s + 5) % c.vocabSize);
  const int seq = e->addSequence(error);
  size_t at = 0;
  std::vector<float> logits, mtp;
  auto run = [&](size_t n) {
    StepInput in{seq, {tokens.begin() + at, tokens.begin() + at + n}};
    EXPECT_TRUE(e->step({in}, logits, error)) << error;
    std::vector<int64_t> next(tokens.begin() + at + 1,
                              tokens.begin() + at + n + 1);
    EXPECT_TRUE(e->mtpStep({next}, mtp, error)) << error;
    at += n;
  };
  for (int64_t n : chunks)
    run(size_t(n));
  out.push_back(logits);
  out.push_back(mtp);
  for (int s = 0; s + 1 < decode; ++s) {
    run(1);
    out.push_back(logits);
    out.push_back(mtp);
  }
  EXPECT_EQ(e->sequenceLength(seq), int64_t(tokens.size()) - 1);
  return out;
}

} // namespace

// A prompt prefilled in chunks (each starting at a multiple of 128, the
// compression ratios' common multiple) gives the logits one prefill of the
// whole prompt gives, bit for bit, and so do the decode steps after it and
// the MTP block's (the caches, compressor states and indexer keys are the
// same): an extension attends over the same keys in the same order, and its
// first compressed entry, pooled from the state, equals the prefill's
// (compressor_decode.mlir).
TEST(V4Step, ChunkedPrefillEqualsOnePrefill) {
  V4Config c = v4TinyConfig();
  const fs::path dir = scratch("chunked");
  auto ckpt = checkpoint(c, dir);
  ASSERT_NE(ckpt, nullptr);
  const std::vector<int64_t> prompt = longPrompt(c);
  auto whole = chunkedRun(c, *ckpt, prompt, {400}, 6);
  auto chunked = chunkedRun(c, *ckpt, prompt, {128, 128, 144}, 6);
  auto small = chunkedRun(c, *ckpt, prompt, {256, 128, 16}, 6);
  ASSERT_EQ(whole.size(), 12u);
  ASSERT_EQ(chunked.size(), whole.size());
  ASSERT_EQ(small.size(), whole.size());
  for (size_t s = 0; s < whole.size(); ++s) {
    const std::string what = (s % 2 ? "the MTP block's logits" : "logits") +
                             std::string(", step ") + std::to_string(s / 2) +
                             " (0: the prompt)";
    EXPECT_EQ(chunked[s], whole[s]) << what;
    EXPECT_EQ(small[s], whole[s]) << what;
  }
}

// A chunk into a sequence whose length is not a multiple of 128 is refused
// with the numbers; a decode step (one token) goes anywhere.
TEST(V4Step, ChunkedPrefillOffTheBlocksIsAnError) {
  V4Config c = v4TinyConfig();
  const fs::path dir = scratch("chunkedbad");
  auto ckpt = checkpoint(c, dir);
  ASSERT_NE(ckpt, nullptr);
  HostDevice device("cpu");
  ExecutorOptions options;
  options.maxSeqLen = 256;
  std::string error;
  auto e = Executor::create(c, *ckpt, device, cpuKernels(), options, error);
  ASSERT_NE(e, nullptr) << error;
  const int seq = e->addSequence(error);
  std::vector<float> logits;
  ASSERT_TRUE(e->step({{seq, std::vector<int64_t>(100, 7)}}, logits, error))
      << error;
  EXPECT_FALSE(e->step({{seq, {1, 2, 3}}}, logits, error));
  EXPECT_EQ(error, "step: sequence 0 has 100 tokens and is given 3: a prefill "
                   "into a sequence that holds tokens (a chunked prefill) "
                   "must start at a multiple of 128 positions (the "
                   "compression ratios' common multiple); a decode step "
                   "takes one token anywhere");
  EXPECT_TRUE(e->step({{seq, {1}}}, logits, error)) << error;
}

// A sequence forked from one that holds a prompt's first 256 tokens, then
// given the rest, gives the logits one prefill of the whole prompt gives,
// bit for bit, and so do its decode steps; the source sequence, given the
// same rest after the fork, too (the fork copied its caches and shares the
// whole pages of compressed entries, which neither writes again; a reset
// or reused source takes pages of its own). Forking a sequence that is not
// there is an error.
TEST(V4Step, ForkedPrefixEqualsOnePrefill) {
  V4Config c = v4TinyConfig();
  const fs::path dir = scratch("fork");
  auto ckpt = checkpoint(c, dir);
  ASSERT_NE(ckpt, nullptr);
  const std::vector<int64_t> prompt = longPrompt(c);
  const std::vector<int64_t> head(prompt.begin(), prompt.begin() + 256),
      rest(prompt.begin() + 256, prompt.end());
  HostDevice device("cpu");
  ExecutorOptions options;
  options.maxSeqLen = 512;
  std::string error;
  auto e = Executor::create(c, *ckpt, device, cpuKernels(), options, error);
  ASSERT_NE(e, nullptr) << error;
  std::vector<float> whole, forked, source;
  const int fresh = e->addSequence(error);
  ASSERT_TRUE(e->step({{fresh, prompt}}, whole, error)) << error;
  const int src = e->addSequence(error);
  ASSERT_TRUE(e->step({{src, head}}, source, error)) << error;
  EXPECT_EQ(e->sharedKvPages(), 0);
  const int fork = e->forkSequence(src, error);
  ASSERT_GE(fork, 0) << error;
  EXPECT_EQ(e->sequenceLength(fork), 256);
  // The ratio-4 blocks' 64 compressed entries fill a page: shared.
  int64_t csaBlocks = 0;
  for (int64_t r : c.compressRatios)
    csaBlocks += r == 4;
  ASSERT_GT(csaBlocks, 0);
  EXPECT_EQ(e->sharedKvPages(), csaBlocks);
  ASSERT_TRUE(e->step({{fork, rest}}, forked, error)) << error;
  ASSERT_TRUE(e->step({{src, rest}}, source, error)) << error;
  EXPECT_EQ(forked, whole);
  EXPECT_EQ(source, whole);
  for (int s = 0; s < 3; ++s) {
    const int64_t token = (11 * s + 5) % c.vocabSize;
    ASSERT_TRUE(e->step({{fresh, {token}}}, whole, error)) << error;
    ASSERT_TRUE(e->step({{fork, {token}}}, forked, error)) << error;
    EXPECT_EQ(forked, whole) << "decode step " << s;
  }
  // The source, reset and given other tokens, writes pages of its own: the
  // fork's shared pages keep their entries. So does a sequence that reuses
  // the released source.
  ASSERT_TRUE(e->resetSequence(src, error)) << error;
  EXPECT_EQ(e->sharedKvPages(), 0);
  ASSERT_TRUE(e->step({{src, std::vector<int64_t>(300, 3)}}, source, error));
  e->releaseSequence(src);
  const int again = e->addSequence(error);
  ASSERT_TRUE(e->step({{again, std::vector<int64_t>(300, 4)}}, source, error));
  ASSERT_TRUE(e->step({{fresh, {7}}}, whole, error)) << error;
  ASSERT_TRUE(e->step({{fork, {7}}}, forked, error)) << error;
  EXPECT_EQ(forked, whole) << "after the source was reset and reused";
  EXPECT_EQ(e->forkSequence(99, error), -1);
  EXPECT_EQ(error, "fork: no sequence 99");
}
