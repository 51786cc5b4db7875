//===- ExecutorSampling.cpp - temperature/top-p sampling on the device ----===//
//
// StepResult::Sampled: each input's next token drawn on the device by
// sample.mlir's two kernels, so that a sampled step downloads ids, not its
// [rows, vocab] logits. The draws come from the host (a Sampler per
// sequence, one draw per step), travel in the step's arguments (so that a
// decode step recorded as a graph replays with each step's own draws) and
// pick as runtime/Sampling.h's rule does; rows the kernels leave to the
// host (token -2) are sampled here from their downloaded logits with the
// same draw.
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"
#include "runtime/Parallel.h"
#include "runtime/Sampling.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

using namespace dsv4c;
using namespace dsv4c::v4;

namespace {
// sample.mlir: 4096 ids a slice, at most 32 slices, 256 candidates each.
constexpr int64_t kSliceIds = 4096, kMaxSlices = 32, kCandidates = 256;

int64_t slicesOf(int64_t vocab) { return (vocab + kSliceIds - 1) / kSliceIds; }

/// sampleBuffer's parts for `rows` rows: smax, ssum (f32 [rows, S]), cv
/// (f32 [rows, S, 256]), ci (i32, the same), tokens (i32 [rows]).
struct SampleParts {
  int64_t smax, ssum, cv, ci, tokens, bytes;
  SampleParts(int64_t rows, int64_t vocab) {
    const int64_t s = slicesOf(vocab);
    smax = 0;
    ssum = smax + rows * s * 4;
    cv = ssum + rows * s * 4;
    ci = cv + rows * s * kCandidates * 4;
    tokens = ci + rows * s * kCandidates * 4;
    bytes = tokens + rows * 4;
  }
};
} // namespace

bool Executor::Impl::prepareSampling(const std::vector<StepInput> &inputs) {
  if (slicesOf(config.vocabSize) > kMaxSlices)
    return fail("step: sampling on the device takes a vocabulary of at most " +
                std::to_string(kMaxSlices * kSliceIds) +
                " ids, the model has " + std::to_string(config.vocabSize) +
                " (vocab_size)");
  stepSampleHost.clear();
  stepSamples.clear();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const StepInput::Sample &s = inputs[i].sample;
    const std::string at = "step: input " + std::to_string(i) + ": sample.";
    if (!(std::isfinite(s.temperature) && s.temperature > 0))
      return fail(at +
                  "temperature must be finite and > 0 (greedy is "
                  "StepResult::Greedy), got " +
                  std::to_string(s.temperature));
    if (!(s.topP > 0 && s.topP <= 1))
      return fail(at + "topP must be in (0, 1], got " + std::to_string(s.topP));
    if (!(s.draw >= 0 && s.draw < 1))
      return fail(at + "draw must be in [0, 1), got " + std::to_string(s.draw));
    // The draw's top 24 bits: an f32 below 1 (rounding could reach 1).
    const float draw =
        float(std::ldexp(std::floor(std::ldexp(s.draw, 24)), -24));
    stepSampleHost.insert(stepSampleHost.end(), {s.temperature, s.topP, draw});
    stepSamples.push_back(s);
  }
  const int64_t rows = int64_t(inputs.size());
  if (rows > sampleRows) {
    if (sampleBuffer && !releaseOwned(sampleBuffer))
      return false;
    sampleRows = 0;
    if (!(sampleBuffer = alloc(SampleParts(rows, config.vocabSize).bytes)))
      return false;
    sampleRows = rows;
  }
  return true;
}

bool Executor::Impl::queueSampling(const void *logits, int64_t rows) {
  const int64_t v = config.vocabSize;
  const SampleParts layout(sampleRows, v);
  const void *par = stepArg(stepSample);
  auto part = [&](int64_t offset) { return at(sampleBuffer, offset, 1); };
  return run("sample_part", {rows, slicesOf(v), 1},
             {KArg::p(logits), KArg::p(par), KArg::p(part(layout.smax)),
              KArg::p(part(layout.ssum)), KArg::p(part(layout.cv)),
              KArg::p(part(layout.ci)), KArg::i(rows), KArg::i(v)}) &&
         run("sample_token", {rows, 1, 1},
             {KArg::p(logits), KArg::p(par), KArg::p(part(layout.smax)),
              KArg::p(part(layout.ssum)), KArg::p(part(layout.cv)),
              KArg::p(part(layout.ci)), KArg::p(part(layout.tokens)),
              KArg::i(rows), KArg::i(v)});
}

bool Executor::Impl::finishSampling(const void *logits, StepResult &result) {
  const int64_t rows = int64_t(stepSamples.size()), v = config.vocabSize;
  std::vector<int32_t> ids(static_cast<size_t>(rows));
  std::string e;
  if (!device.download(ids.data(),
                       at(sampleBuffer, SampleParts(sampleRows, v).tokens, 1),
                       size_t(rows) * 4, e))
    return fail(e);
  result.sampled.assign(ids.begin(), ids.end());
  std::vector<int64_t> left; // the rows left to the host
  for (int64_t i = 0; i < rows; ++i)
    if (ids[size_t(i)] == -2)
      left.push_back(i);
  result.sampledOnHost = int64_t(left.size());
  if (left.empty())
    return true;
  std::vector<float> data(left.size() * size_t(v));
  for (size_t k = 0; k < left.size(); ++k)
    if (!device.download(&data[k * size_t(v)], at(logits, left[k] * v * 4, 1),
                         size_t(v) * 4, e))
      return fail(e);
  // A few ms a row (runtime/Sampling.h's top-p over the whole vocabulary):
  // the rows on the host's threads.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next++) < left.size();) {
      const StepInput::Sample &s = stepSamples[size_t(left[k])];
      Sampler sampler(SamplingOptions{s.temperature, s.topP, 0});
      result.sampled[size_t(left[k])] =
          sampler.sampleWithDraw(&data[k * size_t(v)], v, s.draw);
    }
  };
  runOnThreads(threadsFor(left.size()), work);
  return true;
}
