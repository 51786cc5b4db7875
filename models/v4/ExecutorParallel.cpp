//===- ExecutorParallel.cpp - V4 over tensor-parallel ranks ---------------===//
//
// The split of the official model.py with world_size > 1: rank r holds
// query heads [r H/N, (r+1) H/N) (wq_b's rows, attn_sink) and their output
// groups (wo_a's rows, wo_b's inputs: a row-parallel linear whose bf16
// partial sums are added in f32), routed experts [r E/N, (r+1) E/N) (their
// f32 sum added over the ranks before the shared expert), and vocabulary
// rows [r V/N, (r+1) V/N) of the head (the logits gathered). Everything
// else is whole on every rank: wq_a, wkv, the norms, the compressors, the
// KV caches, the gate, the shared expert, mHC and the MTP projections.
//
// Two places differ from model.py, both for fewer collectives and the
// values one rank computes: the embedding is whole on every rank (official:
// a vocabulary slice, then an all_reduce that adds one nonzero row per
// token: the same values), and so is the indexer (official: its heads are
// split and their bf16 partial scores all_reduced before the top-k, so its
// picks can differ from one rank's on near ties).
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include "runtime/Collectives.h"

using namespace dsv4c;
using namespace dsv4c::v4;

bool v4::checkTensorParallel(const V4Config &c, int ranks, std::string &error) {
  if (ranks < 1) {
    error = "the number of tensor-parallel ranks must be at least 1, not " +
            std::to_string(ranks);
    return false;
  }
  auto divides = [&](const char *field, int64_t value) {
    if (value % ranks == 0)
      return true;
    error = "config.json: field '" + std::string(field) + "' is " +
            std::to_string(value) + ", which " + std::to_string(ranks) +
            " tensor-parallel ranks do not divide";
    return false;
  };
  if (!divides("num_attention_heads", c.numHeads) ||
      !divides("o_groups", c.oGroups) ||
      !divides("n_routed_experts", c.nRoutedExperts) ||
      !divides("vocab_size", c.vocabSize))
    return false;
  // A rank's share of an FP8 linear keeps the 128x128 scale blocks that
  // cover it: whole blocks, or a part of the only one.
  const int64_t block = V4Config::kFp8BlockSize;
  auto blocks = [&](const char *what, int64_t whole) {
    const int64_t part = whole / ranks;
    if (c.linearFormat != WeightFormat::FP8 || ranks == 1 ||
        part % block == 0 || whole <= block)
      return true;
    error = "config.json: " + std::string(what) + " (" + std::to_string(whole) +
            ") split over " + std::to_string(ranks) + " ranks gives " +
            std::to_string(part) +
            " columns each, which is not a multiple of the FP8 scale "
            "block (128)";
    return false;
  };
  return blocks("num_attention_heads * head_dim", c.numHeads * c.headDim) &&
         blocks("o_groups * o_lora_rank", c.oGroups * c.oLoraRank);
}

bool Executor::Impl::initParallel() {
  const V4Config &c = config;
  if (Collectives *group = options.collectives) {
    rank = group->rank();
    ranks = group->size();
    if (!checkTensorParallel(c, ranks, error))
      return false;
  }
  localHeads = c.numHeads / ranks;
  localGroups = c.oGroups / ranks;
  localExperts = c.nRoutedExperts / ranks;
  firstExpert = rank * localExperts;
  localVocab = c.vocabSize / ranks;
  firstVocab = rank * localVocab;
  return true;
}

namespace {

/// `call(group, error)` with several ranks, after the queued work is done
/// (the collective reads memory it wrote; a collective is not part of a
/// recorded decode step: the step goes on eagerly after it).
template <typename Call> bool exchange(Executor::Impl &impl, Call call) {
  std::string e;
  return impl.ranks == 1 ||
         ((impl.runRecorded() && impl.device.synchronize(e) &&
           call(*impl.options.collectives, e)) ||
          impl.fail(e));
}

} // namespace

bool Executor::Impl::allReduceBf16(void *data, int64_t count) {
  return exchange(*this, [&](Collectives &group, std::string &e) {
    return group.allReduceSumBf16(device, data, size_t(count), e);
  });
}

bool Executor::Impl::allReduceF32(void *data, int64_t count) {
  return exchange(*this, [&](Collectives &group, std::string &e) {
    return group.allReduceSum(device, data, size_t(count), e);
  });
}

void *Executor::Impl::headOut(void *out, int64_t rows) {
  return ranks == 1
             ? out
             : grow(logitsPart, logitsPartRows, rows, size_t(localVocab) * 4);
}

bool Executor::Impl::gatherLogits(void *out, int64_t rows) {
  return exchange(*this, [&](Collectives &group, std::string &e) {
    return group.allGatherColumns(device, logitsPart, out, size_t(rows),
                                  size_t(localVocab), e);
  });
}
