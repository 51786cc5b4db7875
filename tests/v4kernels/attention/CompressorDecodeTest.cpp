//===- CompressorDecodeTest.cpp - compressor_decode.mlir
//-------------------===//
//
// (a) cpu vs reference. @compressor_decode: conformance::runCase on random
//     states (ratio 4 overlap d 512 and the indexer's d 128, ratio 128 plain,
//     a tiny d 40 / rd 16 / ratio 8), tolerance 4e-2 of max(1, |ref|) as
//     CompressorTest (one flipped bf16 rounding of a pooled value moves the
//     normalised, rotated outputs by up to two ulps); the shifted state is
//     an exact copy. @compressor_state_write: both targets on the same
//     chosen inputs (distinct slots, -1 slots, ragged cw), bit-exact (copies
//     and one f32 addition). A decode run's tokens in one launch, each to
//     its own state (blocks of one pool), equal the launches one by one;
//     so do a decode run's entries (@compressor_decode, one launch, rows
//     that emit nothing skipped).
// (b) reference vs plain C++ of the official code. State write: bit-exact.
//     Decode, in double: the official window cat(kv_state[:r, :d],
//     kv_state[r:, d:]) (plain: kv_state[:r, :d]), per-channel softmax over
//     it (-inf rows weigh 0), weighted sum, bf16, RMSNorm, bf16, RoPE at
//     `pos`, bf16; tolerances as CompressorTest (nope dims 2^-6 |want| +
//     1e-6; rope dims 2^-8 |want| + 2^-6 (|xe| + |xo|)). The state shift
//     (official kv_state[:, :r] = kv_state[:, r:]) is checked exactly.
// (c) decode == prefill: N = 3 ratio + 1 random tokens fed one by one
//     through @compressor_state_write (slot overlap*ratio + pos%ratio) and
//     @compressor_decode whenever (pos+1) % ratio == 0 give exactly (bit for
//     bit) the entries of the prefill @compressor on the same N tokens, on
//     each target: the decode visits the same rows in the same chunks with
//     the same ops, and score + ape is the same f32 addition.
// (d) prefill hand-off: after a prefill of s tokens (state written from
//     tokens [cutoff - ratio, cutoff) and [cutoff, s), in one launch with -1
//     slots or in two launches), decoding onwards gives bit for bit the
//     entries of a prefill of the longer sequence.
//
//===----------------------------------------------------------------------===//
#include "AttnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::attntest;
using v4::cases::cfgName;
using v4::cases::decodeCase;

namespace {

const char *kFile = "compressor_decode.mlir";
const float kEps = 1e-6f;

using Cfg = v4::cases::CompressorCfg;

//===----------------------------------------------------------------------===//
// (a) cpu vs reference
//===----------------------------------------------------------------------===//

TEST(CompressorDecode, CpuMatchesReference) {
  expectCpuMatchesReference(decodeCase({512, 64, 4, 1}, 12));
  expectCpuMatchesReference(decodeCase({128, 64, 4, 1}, 4));
  expectCpuMatchesReference(decodeCase({512, 64, 128, 0}, 256));
  expectCpuMatchesReference(decodeCase({40, 16, 8, 0}, 16));
}

/// Launches @compressor_state_write for rows kv/score[row0, row0 + n) (the
/// runtime's row pointer) with the given slots.
void stateWrite(Target target, const Cfg &c, HostTensor &kv, HostTensor &score,
                HostTensor &ape, HostTensor &skv, HostTensor &sscore,
                int64_t row0, const std::vector<int32_t> &slots, int64_t pos0) {
  int64_t n = int64_t(slots.size()), cw = c.cw();
  HostTensor k(T::F32, {n, cw}), s(T::F32, {n, cw}), sl(T::I32, {n});
  HostTensor pos(T::I32, {1}), rows0(T::I32, {1});
  std::memcpy(k.data(), f32Data(kv) + row0 * cw, n * cw * 4);
  std::memcpy(s.data(), f32Data(score) + row0 * cw, n * cw * 4);
  std::memcpy(sl.data(), slots.data(), n * 4);
  i32Data(pos)[0] = int32_t(pos0);
  i32Data(rows0)[0] = 0;
  ASSERT_TRUE(
      launch(target, kernelSource(kFile, "compressor_state_write"),
             "compressor_state_write",
             {KArg::buf(k), KArg::buf(s), KArg::buf(ape), KArg::buf(sl),
              KArg::buf(skv), KArg::buf(sscore), KArg::idx(n), KArg::idx(cw),
              KArg::idx(c.ratio), KArg::buf(pos), KArg::buf(rows0)},
             {n, 1, 1}));
}

/// Sequence i's state in the pools (rows from row0) equals skv / sscore, bit
/// for bit.
void expectStateInPool(HostTensor &pool, HostTensor &poolScore, int64_t row0,
                       HostTensor &skv, HostTensor &sscore, int64_t i) {
  for (int64_t e = 0; e < skv.numElements(); ++e) {
    const int64_t at = row0 * skv.shape[1] + e;
    ASSERT_EQ(floatToBits(f32Data(pool)[at]), floatToBits(f32Data(skv)[e]))
        << "sequence " << i << " kv element " << e;
    ASSERT_EQ(floatToBits(f32Data(poolScore)[at]),
              floatToBits(f32Data(sscore)[e]))
        << "sequence " << i << " score element " << e;
  }
}

/// A decode run: sequence b's token (position pos[b]) to slot overlap *
/// ratio + pos % ratio of its state, rows rows0[b].. of one pool, in one
/// launch; the same as each sequence's own launch on its own state.
void checkBatchedStateWrite(Target target, const Cfg &c, uint64_t seed) {
  std::mt19937_64 gen(seed);
  const int64_t b = 3, srows = c.srows(), cw = c.cw();
  HostTensor kv = randomF32(gen, {b, cw}, -1, 1);
  HostTensor score = randomF32(gen, {b, cw}, -3, 3);
  HostTensor ape = randomF32(gen, {c.ratio, cw}, -1, 1);
  const std::vector<int32_t> positions{17, 6, 41},
      rows{int32_t(srows), 0, int32_t(2 * srows)};
  HostTensor pool(T::F32, {b * srows, cw}), poolScore(T::F32, {b * srows, cw});
  HostTensor sl(T::I32, {b}), pos(T::I32, {b}), rows0(T::I32, {b});
  for (int64_t i = 0; i < b; ++i) {
    i32Data(sl)[i] = int32_t(c.overlap * c.ratio + positions[i] % c.ratio);
    i32Data(pos)[i] = positions[i];
    i32Data(rows0)[i] = rows[i];
  }
  ASSERT_TRUE(launch(target, kernelSource(kFile, "compressor_state_write"),
                     "compressor_state_write",
                     {KArg::buf(kv), KArg::buf(score), KArg::buf(ape),
                      KArg::buf(sl), KArg::buf(pool), KArg::buf(poolScore),
                      KArg::idx(1), KArg::idx(cw), KArg::idx(c.ratio),
                      KArg::buf(pos), KArg::buf(rows0)},
                     {1, b, 1}));
  for (int64_t i = 0; i < b; ++i) {
    HostTensor skv(T::F32, {srows, cw}), sscore(T::F32, {srows, cw});
    stateWrite(target, c, kv, score, ape, skv, sscore, i, {i32Data(sl)[i]},
               positions[i]);
    expectStateInPool(pool, poolScore, rows[i], skv, sscore, i);
  }
}

/// A fresh state: kv 0, score -inf (official kv_state / score_state).
void initState(const Cfg &c, HostTensor &skv, HostTensor &sscore) {
  skv = HostTensor(T::F32, {c.srows(), c.cw()});
  sscore = HostTensor(T::F32, {c.srows(), c.cw()});
  for (int64_t i = 0; i < sscore.numElements(); ++i)
    f32Data(sscore)[i] = -INFINITY;
}

void checkStateWriteTargetsAgree(const Cfg &c, int64_t n, int64_t pos0,
                                 uint64_t seed) {
  std::mt19937_64 gen(seed);
  HostTensor kv = randomF32(gen, {n, c.cw()}, -1, 1);
  HostTensor score = randomF32(gen, {n, c.cw()}, -3, 3);
  HostTensor ape = randomF32(gen, {c.ratio, c.cw()}, -1, 1);
  // Distinct slots, every third row skipped.
  std::vector<int32_t> perm(c.srows());
  for (int64_t i = 0; i < c.srows(); ++i)
    perm[i] = int32_t(i);
  std::shuffle(perm.begin(), perm.end(), gen);
  std::vector<int32_t> slots(n);
  for (int64_t i = 0; i < n; ++i)
    slots[i] = i % 3 == 2 ? -1 : perm[i % c.srows()];
  HostTensor skvRef, sscoreRef;
  initState(c, skvRef, sscoreRef);
  HostTensor skvCpu = skvRef, sscoreCpu = sscoreRef;
  stateWrite(Target::Reference, c, kv, score, ape, skvRef, sscoreRef, 0, slots,
             pos0);
  stateWrite(Target::Cpu, c, kv, score, ape, skvCpu, sscoreCpu, 0, slots, pos0);
  for (int64_t i = 0; i < skvRef.numElements(); ++i) {
    ASSERT_EQ(floatToBits(f32Data(skvCpu)[i]), floatToBits(f32Data(skvRef)[i]))
        << "skv element " << i;
    ASSERT_EQ(floatToBits(f32Data(sscoreCpu)[i]),
              floatToBits(f32Data(sscoreRef)[i]))
        << "sscore element " << i;
  }
}

TEST(CompressorStateWrite, CpuMatchesReference) {
  checkStateWriteTargetsAgree({512, 64, 4, 1}, 7, 5, 1); // cw 1024
  checkStateWriteTargetsAgree({40, 16, 8, 0}, 8, 3, 2);  // cw 40
  checkStateWriteTargetsAgree({300, 64, 4, 1}, 5, 0, 3); // cw 600
}

TEST(CompressorStateWrite, DecodeRunInOneLaunch) {
  for (Target t : {Target::Reference, Target::Cpu}) {
    checkBatchedStateWrite(t, {512, 64, 4, 1}, 4);
    checkBatchedStateWrite(t, {40, 16, 8, 0}, 5);
  }
}

//===----------------------------------------------------------------------===//
// (b) reference vs the official code
//===----------------------------------------------------------------------===//

TEST(CompressorStateWrite, ReferenceMatchesOfficial) {
  const Cfg c{96, 32, 4, 1};
  const int64_t n = 6, pos0 = 9, cw = c.cw();
  std::mt19937_64 gen(4);
  HostTensor kv = randomF32(gen, {n, cw}, -1, 1);
  HostTensor score = randomF32(gen, {n, cw}, -3, 3);
  HostTensor ape = randomF32(gen, {c.ratio, cw}, -1, 1);
  std::vector<int32_t> slots = {5, -1, 0, 7, 2, -1};
  HostTensor skv, sscore;
  initState(c, skv, sscore);
  stateWrite(Target::Reference, c, kv, score, ape, skv, sscore, 0, slots, pos0);
  for (int64_t r = 0; r < c.srows(); ++r) {
    int64_t i =
        std::find(slots.begin(), slots.end(), int32_t(r)) - slots.begin();
    for (int64_t ch = 0; ch < cw; ++ch) {
      float wantKv = 0, wantScore = -INFINITY;
      if (i < n) {
        wantKv = f32Data(kv)[i * cw + ch];
        wantScore = f32Data(score)[i * cw + ch] +
                    f32Data(ape)[((pos0 + i) % c.ratio) * cw + ch];
      }
      ASSERT_EQ(floatToBits(f32Data(skv)[r * cw + ch]), floatToBits(wantKv))
          << "skv" << at({r, ch});
      ASSERT_EQ(floatToBits(f32Data(sscore)[r * cw + ch]),
                floatToBits(wantScore))
          << "sscore" << at({r, ch});
    }
  }
}

/// (cos, sin) of p * base^(-2j/rd), as precompute_freqs_cis without YaRN.
HostTensor ropeTable(int64_t rd, int64_t npos) {
  HostTensor t(T::F32, {npos, rd / 2, 2});
  for (int64_t p = 0; p < npos; ++p)
    for (int64_t j = 0; j < rd / 2; ++j) {
      double f = std::pow(160000.0, -double(2 * j) / rd);
      f32Data(t)[(p * rd / 2 + j) * 2] = float(std::cos(p * f));
      f32Data(t)[(p * rd / 2 + j) * 2 + 1] = float(std::sin(p * f));
    }
  return t;
}

/// @compressor_decode of a decode run: entry b (at entry position
/// entryPos[b], from the state at row rows0[b] of the pool) to row
/// outRows[b] of `out` (-1: none).
void decodeRun(Target target, const Cfg &c, HostTensor &skv, HostTensor &sscore,
               HostTensor &w, HostTensor &tab, HostTensor &out,
               const std::vector<int32_t> &rows0,
               const std::vector<int32_t> &outRows,
               const std::vector<int32_t> &entryPos) {
  const int64_t b = int64_t(rows0.size());
  HostTensor r0(T::I32, {b}), orows(T::I32, {b}), tokens(T::I32, {b});
  for (int64_t i = 0; i < b; ++i) {
    i32Data(r0)[i] = rows0[i];
    i32Data(orows)[i] = outRows[i];
    // The token whose arrival completes the entry's block.
    i32Data(tokens)[i] = int32_t(entryPos[i] + c.ratio - 1);
  }
  EXPECT_TRUE(launch(
      target, kernelSource(kFile, "compressor_decode"), "compressor_decode",
      {KArg::buf(skv), KArg::buf(sscore), KArg::buf(w), KArg::buf(tab),
       KArg::buf(out), KArg::idx(c.d), KArg::idx(c.rd), KArg::idx(c.ratio),
       KArg::idx(c.overlap), KArg::buf(r0), KArg::buf(orows), KArg::buf(tokens),
       KArg::f32(kEps)},
      {1, b, 1}));
}

HostTensor decode(Target target, const Cfg &c, HostTensor &skv,
                  HostTensor &sscore, HostTensor &w, HostTensor &tab,
                  int64_t pos) {
  HostTensor out(T::BF16, {c.d});
  decodeRun(target, c, skv, sscore, w, tab, out, {0}, {0}, {int32_t(pos)});
  return out;
}

/// A decode run of three sequences, their states in one pool (not in row
/// order), the middle one not emitting: each emitted entry and each state
/// are bit for bit those of its own launch; the skipped state and output row
/// are untouched.
void checkBatchedDecode(Target target, const Cfg &c, uint64_t seed) {
  std::mt19937_64 gen(seed);
  const int64_t b = 3, srows = c.srows(), cw = c.cw(), r = c.ratio;
  HostTensor pool = randomF32(gen, {b * srows, cw}, -1, 1);
  HostTensor poolScore = randomF32(gen, {b * srows, cw}, -4, 4);
  HostTensor w = randomBf16(gen, {c.d}, 0.5, 1.5);
  HostTensor tab = ropeTable(c.rd, 4 * r + 1);
  const std::vector<int32_t> rows0{int32_t(2 * srows), 0, int32_t(srows)},
      outRows{1, -1, 0}, entryPos{int32_t(3 * r), int32_t(r), 0};
  HostTensor pool0 = pool, poolScore0 = poolScore;
  HostTensor out(T::BF16, {2, c.d});
  decodeRun(target, c, pool, poolScore, w, tab, out, rows0, outRows, entryPos);
  for (int64_t i = 0; i < b; ++i) {
    HostTensor skv(T::F32, {srows, cw}), sscore(T::F32, {srows, cw});
    std::memcpy(skv.data(), f32Data(pool0) + rows0[i] * cw, srows * cw * 4);
    std::memcpy(sscore.data(), f32Data(poolScore0) + rows0[i] * cw,
                srows * cw * 4);
    HostTensor one(T::BF16, {c.d});
    if (outRows[i] >= 0) {
      one = decode(target, c, skv, sscore, w, tab, entryPos[i]);
      for (int64_t ch = 0; ch < c.d; ++ch)
        ASSERT_EQ(bf16Data(out)[outRows[i] * c.d + ch], bf16Data(one)[ch])
            << "sequence " << i << " channel " << ch;
    }
    expectStateInPool(pool, poolScore, rows0[i], skv, sscore, i);
  }
}

TEST(CompressorDecode, DecodeRunInOneLaunch) {
  for (Target t : {Target::Reference, Target::Cpu}) {
    checkBatchedDecode(t, {512, 64, 4, 1}, 6);
    checkBatchedDecode(t, {40, 16, 8, 0}, 7);
  }
}

/// `emptyPrev`: the previous block of an overlap window was never written
/// (entry 0: -inf scores).
void checkDecodeOfficial(const Cfg &c, bool emptyPrev, uint64_t seed) {
  std::mt19937_64 gen(seed);
  const int64_t cw = c.cw(), r = c.ratio, pos = 3 * r;
  HostTensor skv = randomF32(gen, {c.srows(), cw}, -1, 1);
  HostTensor sscore = randomF32(gen, {c.srows(), cw}, -4, 4);
  if (emptyPrev)
    for (int64_t i = 0; i < r * cw; ++i) {
      f32Data(skv)[i] = 0;
      f32Data(sscore)[i] = -INFINITY;
    }
  HostTensor w = randomBf16(gen, {c.d}, 0.5, 1.5);
  HostTensor tab = ropeTable(c.rd, pos + 1);
  HostTensor skv0 = skv, sscore0 = sscore;
  HostTensor out = decode(Target::Reference, c, skv, sscore, w, tab, pos);

  // The official window, per output channel.
  std::vector<double> x(c.d);
  for (int64_t ch = 0; ch < c.d; ++ch) {
    std::vector<std::pair<double, double>> win; // (score, kv)
    for (int64_t row = 0; row < c.srows(); ++row) {
      int64_t col = row >= r ? c.d + ch : ch;
      win.push_back(
          {f32Data(sscore0)[row * cw + col], f32Data(skv0)[row * cw + col]});
    }
    double mx = -INFINITY, den = 0, num = 0;
    for (auto &[s, v] : win)
      mx = std::max(mx, s);
    for (auto &[s, v] : win) {
      den += std::exp(s - mx);
      num += std::exp(s - mx) * v;
    }
    x[ch] = roundBf16(num / den);
  }
  double ss = 0;
  for (double v : x)
    ss += v * v;
  double inv = 1 / std::sqrt(ss / c.d + kEps);
  std::vector<double> y(c.d);
  for (int64_t ch = 0; ch < c.d; ++ch)
    y[ch] = roundBf16(bf16At(w, ch) * (x[ch] * inv));
  Closeness cl;
  int64_t nope = c.d - c.rd;
  for (int64_t ch = 0; ch < nope; ++ch)
    cl.check(bf16At(out, ch), y[ch], std::ldexp(1.0, -6), 1e-6,
             "out" + at({ch}));
  for (int64_t j = 0; j < c.rd / 2; ++j) {
    double xe = y[nope + 2 * j], xo = y[nope + 2 * j + 1];
    double cs = f32Data(tab)[(pos * c.rd / 2 + j) * 2];
    double sn = f32Data(tab)[(pos * c.rd / 2 + j) * 2 + 1];
    double tol = std::ldexp(1.0, -6) * (std::fabs(xe) + std::fabs(xo));
    cl.check(bf16At(out, nope + 2 * j), xe * cs - xo * sn, std::ldexp(1.0, -8),
             tol, "out" + at({nope + 2 * j}));
    cl.check(bf16At(out, nope + 2 * j + 1), xe * sn + xo * cs,
             std::ldexp(1.0, -8), tol, "out" + at({nope + 2 * j + 1}));
  }
  EXPECT_EQ(cl.failures, 0) << cl.failures << " of " << cl.checked
                            << " elements off; first " << cl.where;

  // The shift: rows [r, 2r) -> [0, r) with overlap, else nothing changes.
  for (int64_t row = 0; row < c.srows(); ++row)
    for (int64_t ch = 0; ch < cw; ++ch) {
      int64_t from = c.overlap && row < r ? row + r : row;
      ASSERT_EQ(floatToBits(f32Data(skv)[row * cw + ch]),
                floatToBits(f32Data(skv0)[from * cw + ch]))
          << "skv" << at({row, ch});
      ASSERT_EQ(floatToBits(f32Data(sscore)[row * cw + ch]),
                floatToBits(f32Data(sscore0)[from * cw + ch]))
          << "sscore" << at({row, ch});
    }
}

TEST(CompressorDecode, ReferenceMatchesOfficialOverlapRatio4) {
  checkDecodeOfficial({512, 64, 4, 1}, false, 5);
  checkDecodeOfficial({512, 64, 4, 1}, true, 6);
}
TEST(CompressorDecode, ReferenceMatchesOfficialPlainRatio128) {
  checkDecodeOfficial({512, 64, 128, 0}, false, 7);
}
TEST(CompressorDecode, ReferenceMatchesOfficialIndexerAndTiny) {
  checkDecodeOfficial({128, 64, 4, 1}, false, 8);
  checkDecodeOfficial({40, 16, 8, 0}, false, 9);
}

//===----------------------------------------------------------------------===//
// (c), (d) decode against the prefill @compressor
//===----------------------------------------------------------------------===//

struct Tokens {
  HostTensor kv, score, ape, w, tab; // kv, score: [n, cw]
};

Tokens randomTokens(const Cfg &c, int64_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  return Tokens{randomF32(gen, {n, c.cw()}, -1, 1),
                randomF32(gen, {n, c.cw()}, -3, 3),
                randomF32(gen, {c.ratio, c.cw()}, -1, 1),
                randomBf16(gen, {c.d}, 0.5, 1.5), ropeTable(c.rd, n + 1)};
}

/// The prefill @compressor (batch 1) on the first s tokens: [s/ratio, d].
HostTensor prefill(Target target, const Cfg &c, Tokens &tk, int64_t s) {
  int64_t orows = std::max<int64_t>(s / c.ratio, 1);
  HostTensor out(T::BF16, {orows, c.d});
  if (s / c.ratio == 0)
    return out;
  EXPECT_TRUE(launch(
      target, kernelSource("compressor.mlir", "compressor"), "compressor",
      {KArg::buf(tk.kv), KArg::buf(tk.score), KArg::buf(tk.ape),
       KArg::buf(tk.w), KArg::buf(tk.tab), KArg::buf(out), KArg::idx(s),
       KArg::idx(c.d), KArg::idx(c.rd), KArg::idx(c.ratio),
       KArg::idx(c.overlap), KArg::idx(orows), KArg::f32(kEps)},
      {s / c.ratio, 1, 1}));
  return out;
}

/// Decodes tokens [from, n) one by one into the state and checks every
/// emitted entry against `want` (a prefill of all n tokens), bit for bit.
void decodeAndCompare(Target target, const Cfg &c, Tokens &tk, HostTensor &skv,
                      HostTensor &sscore, int64_t from, int64_t n,
                      HostTensor &want, const std::string &what) {
  int entries = 0, mismatches = 0;
  std::string first;
  for (int64_t pos = from; pos < n; ++pos) {
    stateWrite(target, c, tk.kv, tk.score, tk.ape, skv, sscore, pos,
               {int32_t(c.overlap * c.ratio + pos % c.ratio)}, pos);
    if ((pos + 1) % c.ratio != 0)
      continue;
    int64_t e = (pos + 1) / c.ratio - 1;
    HostTensor out = decode(target, c, skv, sscore, tk.w, tk.tab, e * c.ratio);
    ++entries;
    for (int64_t ch = 0; ch < c.d; ++ch) {
      uint16_t got = bf16Data(out)[ch], exp = bf16Data(want)[e * c.d + ch];
      if (got != exp && mismatches++ == 0)
        first = "entry " + std::to_string(e) + " channel " +
                std::to_string(ch) + ": decode " +
                std::to_string(bf16Value(got)) + ", prefill " +
                std::to_string(bf16Value(exp));
    }
  }
  EXPECT_GT(entries, 0) << what;
  EXPECT_EQ(mismatches, 0) << what << ": " << mismatches
                           << " elements differ; first " << first;
}

void checkDecodeMatchesPrefill(Target target, const Cfg &c, uint64_t seed) {
  const int64_t n = 3 * c.ratio + 1;
  Tokens tk = randomTokens(c, n, seed);
  HostTensor want = prefill(target, c, tk, n);
  HostTensor skv, sscore;
  initState(c, skv, sscore);
  decodeAndCompare(target, c, tk, skv, sscore, 0, n, want, cfgName(c));
}

const Cfg kConfigs[] = {
    {512, 64, 4, 1}, {128, 64, 4, 1}, {40, 16, 8, 0}, {512, 64, 128, 0}};

TEST(CompressorDecode, DecodeMatchesPrefillReference) {
  uint64_t seed = 10;
  for (const Cfg &c : kConfigs)
    checkDecodeMatchesPrefill(Target::Reference, c, seed++);
}
TEST(CompressorDecode, DecodeMatchesPrefillCpu) {
  uint64_t seed = 10;
  for (const Cfg &c : kConfigs)
    checkDecodeMatchesPrefill(Target::Cpu, c, seed++);
}

/// Prefill of s tokens, the state hand-off, then decoding up to n tokens.
/// `oneLaunch`: the hand-off as one state write over all s tokens (-1 slots
/// for those not kept), else the two launches of the official code.
void checkHandOff(Target target, const Cfg &c, int64_t s, int64_t n,
                  bool oneLaunch, uint64_t seed) {
  std::string what = cfgName(c) + " s " + std::to_string(s);
  Tokens tk = randomTokens(c, n, seed);
  HostTensor want = prefill(target, c, tk, n);
  HostTensor head = prefill(target, c, tk, s);
  for (int64_t i = 0; i < (s / c.ratio) * c.d; ++i)
    ASSERT_EQ(bf16Data(head)[i], bf16Data(want)[i]) << what;

  HostTensor skv, sscore;
  initState(c, skv, sscore);
  int64_t cutoff = s - s % c.ratio, r = c.ratio;
  bool keepPrev = c.overlap && cutoff >= r;
  if (oneLaunch) {
    std::vector<int32_t> slots(s, -1);
    for (int64_t t = 0; t < s; ++t) {
      if (keepPrev && t >= cutoff - r && t < cutoff)
        slots[t] = int32_t(t - (cutoff - r));
      if (t >= cutoff)
        slots[t] = int32_t(c.overlap * r + t - cutoff);
    }
    stateWrite(target, c, tk.kv, tk.score, tk.ape, skv, sscore, 0, slots, 0);
  } else {
    if (keepPrev) {
      std::vector<int32_t> slots(r);
      for (int64_t i = 0; i < r; ++i)
        slots[i] = int32_t(i);
      stateWrite(target, c, tk.kv, tk.score, tk.ape, skv, sscore, cutoff - r,
                 slots, cutoff - r);
    }
    if (s > cutoff) {
      std::vector<int32_t> slots(s - cutoff);
      for (int64_t i = 0; i < s - cutoff; ++i)
        slots[i] = int32_t(c.overlap * r + i);
      stateWrite(target, c, tk.kv, tk.score, tk.ape, skv, sscore, cutoff, slots,
                 cutoff);
    }
  }
  decodeAndCompare(target, c, tk, skv, sscore, s, n, want, what);
}

void checkHandOffs(Target target) {
  checkHandOff(target, {512, 64, 4, 1}, 10, 21, false, 20); // tail of 2
  checkHandOff(target, {512, 64, 4, 1}, 8, 17, true, 21);   // no tail
  checkHandOff(target, {128, 64, 4, 1}, 3, 13, false, 22);  // cutoff 0
  checkHandOff(target, {128, 64, 4, 1}, 7, 13, true, 23);   // cutoff = ratio
  checkHandOff(target, {40, 16, 8, 0}, 19, 33, true, 24);
  checkHandOff(target, {40, 16, 8, 0}, 5, 17, false, 25);
  checkHandOff(target, {512, 64, 128, 0}, 200, 385, false, 26);
}

TEST(CompressorDecode, PrefillHandOffReference) {
  checkHandOffs(Target::Reference);
}
TEST(CompressorDecode, PrefillHandOffCpu) { checkHandOffs(Target::Cpu); }

} // namespace
