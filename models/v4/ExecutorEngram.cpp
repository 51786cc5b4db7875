//===- ExecutorEngram.cpp - Engram conditional memory in the executor -----===//
//
// At an Engram layer, before the block: the hash of each row's last
// max_ngram_size compressed ids (engram_hash), the multi-head embedding
// (embedding), the key and value projections (matmul_bf16_f32), the gate
// per residual stream (engram_gate), then per sequence the short conv with
// its state (engram_conv_norm, engram_conv), which adds into the streams.
// The host only builds the id contexts and keeps each sequence's last ids.
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include <algorithm>
#include <cstring>

using namespace dsv4c;
using namespace dsv4c::v4;

namespace {
/// RMSNorm's eps in the Engram module: nn.RMSNorm's default for f32 (the
/// machine epsilon); ShortConv's norms use 1e-5.
constexpr float kGateNormEps = 1.1920929e-07f;
constexpr float kConvNormEps = 1e-5f;
} // namespace

bool Executor::Impl::loadEngramTables(const Checkpoint &tables) {
  const EngramConfig &e = *config.engram;
  auto tensor = [&](const std::string &name, int64_t count,
                    std::vector<int64_t> &out) {
    const TensorInfo *t = tables.find(name);
    if (!t || t->dtype != StDtype::I64 || t->numElements() != count)
      return fail("Engram tables: tensor '" + name + "' must be I64 with " +
                  std::to_string(count) + " elements" +
                  (t ? ", is " + t->describe() : ", is missing") +
                  " (rerun scripts/engram_tables.py)");
    out.resize(size_t(count));
    std::memcpy(out.data(), t->data, size_t(count) * 8);
    return true;
  };
  std::vector<int64_t> pad;
  if (!tensor("engram.lookup", config.vocabSize, engramLookup) ||
      !tensor("engram.pad_id", 1, pad))
    return false;
  engramPad = pad[0];
  auto primes = engramPrimes(e);
  for (int64_t l = 0; l < config.numLayers; ++l) {
    if (blocks[l].engram < 0)
      continue;
    EngramW &w = engrams[size_t(blocks[l].engram)];
    std::vector<int64_t> mult;
    if (!tensor("engram.layers." + std::to_string(l) + ".multipliers",
                e.maxNgram, mult))
      return false;
    const std::vector<int64_t> &p = primes.at(l);
    std::vector<int64_t> offset(p.size());
    for (size_t i = 1; i < p.size(); ++i)
      offset[i] = offset[i - 1] + p[i - 1];
    if (!(w.mult = alloc(mult.size() * 8)) ||
        !(w.prime = alloc(p.size() * 8)) ||
        !(w.offset = alloc(offset.size() * 8)) ||
        !upload(w.mult, mult.data(), mult.size() * 8) ||
        !upload(w.prime, p.data(), p.size() * 8) ||
        !upload(w.offset, offset.data(), offset.size() * 8))
      return false;
  }
  return true;
}

bool Executor::Impl::engram(int64_t l, const std::vector<Chunk> &chunks,
                            const std::vector<int64_t> &ids, int64_t m) {
  const EngramConfig &e = *config.engram;
  const EngramW &w = engrams[size_t(blocks[l].engram)];
  const int64_t N = e.maxNgram, H = e.headsPerNgram, cols = e.hashColumns();
  const int64_t hc = config.hcMult, d = config.dim, E = e.embedWidth();
  const int64_t hist = e.convHistory(), width = hc * d;
  int64_t longest = 0;
  for (const Chunk &ch : chunks)
    longest = std::max(longest, ch.count);
  if (es.capacity < m || es.longest < longest) {
    es.capacity = std::max(es.capacity, m);
    es.longest = std::max(es.longest, longest);
    const int64_t cap = es.capacity;
    if (!(es.ids = alloc(cap * cols * 8)) || !(es.emb = alloc(cap * E * 2)) ||
        !(es.key = alloc(cap * width * 4)) || !(es.val = alloc(cap * d * 4)) ||
        !(es.gv = alloc(cap * width * 4)) ||
        !(es.xn = alloc((hist + es.longest) * width * 4)))
      return false;
  }

  if (!run("engram_hash", {ceilDiv(m, 16), 1, 1},
           {KArg::p(stepArg(stepEngramCtx)), KArg::p(w.mult), KArg::p(w.prime),
            KArg::p(w.offset), KArg::p(es.ids), KArg::i(m), KArg::i(N),
            KArg::i(H)}) ||
      !run("embedding", {ceilDiv(m * cols, 16), ceilDiv(e.headDim(), 64), 1},
           {KArg::p(w.embed), KArg::p(es.ids), KArg::p(es.emb),
            KArg::i(m * cols), KArg::i(e.headDim()), KArg::i(1)}) ||
      !matmulF32(es.emb, w.keyW, es.key, m, width, E) ||
      !matmulF32(es.emb, w.valW, es.val, m, d, E) ||
      !run("engram_gate", {m, hc, 1},
           {KArg::p(es.key), KArg::p(w.keyB), KArg::p(es.val), KArg::p(w.valB),
            KArg::p(w.norm1), KArg::p(w.norm2), KArg::p(s.h), KArg::p(es.gv),
            KArg::i(m), KArg::i(hc), KArg::i(d), KArg::f(kGateNormEps)}))
    return false;

  // The conv, per sequence: its state rows, then this step's rows.
  for (const Chunk &ch : chunks) {
    void *state = sequences[ch.sequence].blocks[l].engramConv;
    const void *gv = f32At(es.gv, ch.row0 * width);
    if ((hist && !copy(es.xn, state, size_t(hist * width * 4))) ||
        !run("engram_conv_norm", {ch.count, hc, 1},
             {KArg::p(gv), KArg::p(w.convNorm), KArg::p(es.xn),
              KArg::i(ch.count), KArg::i(hc), KArg::i(d), KArg::i(hist),
              KArg::f(kConvNormEps)}) ||
        !run("engram_conv", {ceilDiv(ch.count, 4), ceilDiv(width, 256), 1},
             {KArg::p(es.xn), KArg::p(w.conv), KArg::p(gv),
              KArg::p(bf16At(s.h, ch.row0 * width)), KArg::i(ch.count),
              KArg::i(width), KArg::i(e.kernelSize), KArg::i(N)}) ||
        (hist && !copy(state, f32At(es.xn, ch.count * width),
                       size_t(hist * width * 4))))
      return false;
  }
  return true;
}

void Executor::Impl::recordEngramTokens(const std::vector<Chunk> &chunks,
                                        const std::vector<int64_t> &ids) {
  if (!config.engram)
    return;
  for (const Chunk &ch : chunks) {
    std::vector<int64_t> &recent = sequences[ch.sequence].engramRecent;
    for (int64_t i = 0; i < ch.count; ++i) {
      recent.erase(recent.begin());
      recent.push_back(engramLookup[size_t(ids[size_t(ch.row0 + i)])]);
    }
  }
}
