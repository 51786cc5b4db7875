//===- Sampling.h - next-token choice from a logits row --------*- C++ -*-===//
//
// Greedy, temperature and top-p (nucleus) sampling over one f32 logits row,
// reproducible across machines: the random numbers come from our own
// xoshiro256** (seeded by splitmix64) and our own [0, 1) mapping, never
// from <random>'s implementation-defined distributions. Probabilities are
// computed in double with std::exp and summed in double in an unspecified
// order; a libm that rounds exp differently by an ulp, or another order of
// the sums, changes a choice only if a draw or the top-p cut lands within
// ~1e-15 of a boundary.
//
// Rules, for sample(logits, vocab):
//   * NaN logits are never chosen. If every logit is NaN (or vocab <= 0)
//     sample() returns -1.
//   * temperature <= 0 (or NaN): greedy, the largest logit, ties to the
//     smallest id. No random number is drawn.
//   * temperature > 0: p_i = softmax(logits / temperature). If some logits
//     are +inf, they share all the mass equally (the limit of softmax); if
//     every non-NaN logit is -inf, the greedy choice is returned.
//     The nucleus is the smallest set of the most probable tokens (ties to
//     the smaller id) whose probability sums to >= topP; topP >= 1 (or NaN)
//     keeps every token, topP <= 0 only the most probable one. One
//     uniform draw u in [0, 1) then picks, walking the nucleus in id order,
//     the first token whose cumulative probability exceeds u * (nucleus
//     mass). Each such call draws exactly one 64-bit number, also for a
//     row of NaN or -inf only (so that a sequence's draws do not depend on
//     its logits: the device samplers take a draw per step before they
//     see them; models/v4/kernels/sample.mlir).
//
// Each sequence of a batch has its own Sampler, seeded with seed + its
// index, so a sequence's choices do not depend on its neighbours.
//
// Standard library only: the runtime links no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_SAMPLING_H
#define DSV4C_RUNTIME_SAMPLING_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dsv4c {

struct SamplingOptions {
  /// 0: greedy.
  float temperature = 0;
  /// Nucleus mass in (0, 1]; 1 keeps every token.
  float topP = 1;
  uint64_t seed = 0;
};

/// Checks temperature is finite and >= 0 and topP is in (0, 1]; false with
/// `error` naming the field otherwise. (Sampler itself accepts anything, see
/// the rules above.)
bool validateSamplingOptions(const SamplingOptions &options,
                             std::string &error);

/// xoshiro256** 1.0 (Blackman and Vigna), its state filled by splitmix64
/// from a 64-bit seed: the same numbers on every platform.
class SamplingRng {
public:
  explicit SamplingRng(uint64_t seed);
  uint64_t next();
  /// The top 53 bits as a double in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

  /// One splitmix64 step: advances `state` and returns the output.
  static uint64_t splitmix64(uint64_t &state);

private:
  uint64_t s[4];
};

class Sampler {
public:
  /// The sampler of sequence `sequence` of a batch: its seed is
  /// options.seed + sequence (mod 2^64).
  explicit Sampler(const SamplingOptions &options, uint64_t sequence = 0);

  /// A token id in [0, vocab), or -1 when every logit is NaN or vocab <= 0.
  /// With temperature > 0: sampleWithDraw(logits, vocab, draw()).
  int64_t sample(const float *logits, int64_t vocab);

  /// The next uniform draw in [0, 1) of this sequence's stream (0, drawing
  /// nothing, when greedy).
  double draw();

  /// The choice for the draw `u` in [0, 1) (the rules above), drawing
  /// nothing: for a choice whose draw was taken earlier (device sampling
  /// that leaves a row to the host).
  int64_t sampleWithDraw(const float *logits, int64_t vocab, double u);

  /// The greedy choice: largest non-NaN logit, ties to the smallest id; -1
  /// when there is none.
  static int64_t argmax(const float *logits, int64_t vocab);

  const SamplingOptions &options() const { return opts; }

private:
  SamplingOptions opts;
  SamplingRng rng;
  std::vector<double> probs;                   // by id, unnormalised
  std::vector<std::pair<double, int64_t>> order; // for top-p
  std::vector<uint8_t> keep;                   // the nucleus, by id
  /// Marks in `keep` the fewest most probable of `order` (ties to the
  /// smaller id) whose mass reaches `target`.
  void markNucleus(double target);
};

/// One Sampler per sequence of a batch (sequence i seeded with seed + i).
std::vector<Sampler> makeSamplers(const SamplingOptions &options,
                                  int64_t batch);

} // namespace dsv4c

#endif
