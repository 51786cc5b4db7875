//===- SampleTest.cpp - temperature/top-p sampling on the device ----------===//
//
// @sample_part then @sample_token (models/v4/kernels/sample.mlir) against
// runtime/Sampling.h's Sampler::sampleWithDraw with the same draw, on the
// reference and cpu targets. The kernels work in f32 where the host works in
// double, so a choice may differ where the draw or the nucleus cut sits on a
// boundary within rounding: the kernel's token must lie between the host's
// choices for the draw and topP moved by 1e-5 (a choice is monotone in the
// draw, walking in id order), and on these fixed-seed rows most are exact.
// Rows the kernels leave to the host must be left (-2) exactly when the
// rules say: a largest logit of +-inf or NaN only, a nucleus over 1024
// tokens or reaching down to a slice's 256th largest logit.
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

#include "runtime/Sampling.h"

#include <algorithm>
#include <limits>

using namespace dsv4c;
using namespace dsv4c::ffntest;

namespace {

struct Row {
  std::vector<float> logits;
  float temperature, topP, draw;
};

/// Launches both kernels over `rows` on `target`; the tokens.
std::vector<int32_t> sampleOnTarget(Target target, const std::vector<Row> &rows,
                                    int64_t v) {
  const int64_t m = int64_t(rows.size()), slices = ceilDiv(v, 4096);
  HostTensor logits(T::F32, {m, v}), par(T::F32, {m, 3}),
      smax(T::F32, {m, slices}), ssum(T::F32, {m, slices}),
      cv(T::F32, {m, slices, 256}), ci(T::I32, {m, slices, 256}),
      tokens(T::I32, {m});
  for (int64_t i = 0; i < m; ++i) {
    std::copy(rows[i].logits.begin(), rows[i].logits.end(),
              f32Data(logits) + i * v);
    f32Data(par)[3 * i] = rows[i].temperature;
    f32Data(par)[3 * i + 1] = rows[i].topP;
    f32Data(par)[3 * i + 2] = rows[i].draw;
  }
  const std::string source = kernelSource("sample.mlir");
  EXPECT_TRUE(launch(target, source, "sample_part",
                     {KArg::buf(logits), KArg::buf(par), KArg::buf(smax),
                      KArg::buf(ssum), KArg::buf(cv), KArg::buf(ci),
                      KArg::idx(m), KArg::idx(v)},
                     {m, slices, 1}));
  EXPECT_TRUE(launch(target, source, "sample_token",
                     {KArg::buf(logits), KArg::buf(par), KArg::buf(smax),
                      KArg::buf(ssum), KArg::buf(cv), KArg::buf(ci),
                      KArg::buf(tokens), KArg::idx(m), KArg::idx(v)},
                     {m, 1, 1}));
  return {i32Data(tokens), i32Data(tokens) + m};
}

int64_t hostChoice(const Row &r, double u, double topP) {
  SamplingOptions o;
  o.temperature = r.temperature;
  o.topP = float(std::min(1.0, std::max(1e-9, topP)));
  Sampler s(o);
  return s.sampleWithDraw(r.logits.data(), int64_t(r.logits.size()), u);
}

/// Whether the kernels leave a topP < 1 row to the host by the nucleus
/// rule: more than 1024 tokens, or its smallest logit not above the
/// frontier (the largest of each 4096-id slice's 256th largest logit). The
/// nucleus by the host's rule, in double.
bool wideNucleus(const Row &r) {
  if (!(r.topP < 1))
    return false;
  const int64_t v = int64_t(r.logits.size());
  double mx = -std::numeric_limits<double>::infinity();
  for (float l : r.logits)
    if (!std::isnan(l))
      mx = std::max(mx, double(l));
  std::vector<std::pair<double, int64_t>> order; // (logit, id)
  double total = 0;
  for (int64_t i = 0; i < v; ++i) {
    const float l = r.logits[size_t(i)];
    if (!std::isnan(l))
      order.push_back({l, i});
    total += std::isnan(l) ? 0 : std::exp((l - mx) / r.temperature);
  }
  std::sort(order.begin(), order.end(), [](const auto &a, const auto &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  double mass = 0, cut = 0;
  size_t n = 0;
  for (; n < order.size(); ++n) {
    mass += std::exp((order[n].first - mx) / r.temperature);
    if (mass >= r.topP * total) {
      cut = order[n].first;
      ++n;
      break;
    }
  }
  double frontier = -std::numeric_limits<double>::infinity();
  for (int64_t s = 0; s * 4096 < v; ++s) {
    std::vector<float> slice;
    for (int64_t i = s * 4096; i < std::min(v, s * 4096 + 4096); ++i) {
      const float l = r.logits[size_t(i)];
      slice.push_back(std::isnan(l) ? -INFINITY : l);
    }
    slice.resize(4096, -INFINITY); // past the row
    std::nth_element(slice.begin(), slice.begin() + 255, slice.end(),
                     std::greater<>());
    frontier = std::max(frontier, double(slice[255]));
  }
  return n > 1024 || !(cut > frontier);
}

TEST(DeviceSampling, MatchesTheHostRule) {
  const int64_t v = 10000; // 3 slices, the last ragged
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<float> unit(0, 1);
  std::vector<Row> rows;
  // Peaked rows (a few dozen plausible tokens spread over the slices, the
  // rest far below), at several temperatures, topP and draws.
  for (int i = 0; i < 36; ++i) {
    HostTensor t = randomF32(gen, {v}, -12, -4);
    std::vector<float> l(f32Data(t), f32Data(t) + v);
    for (int k = 0; k < 40; ++k)
      l[size_t(gen() % v)] = 3 * unit(gen);
    float temps[] = {0.3f, 0.7f, 1.0f, 1.6f};
    float tops[] = {0.5f, 0.9f, 0.95f, 1.0f};
    rows.push_back({l, temps[i % 4], tops[(i / 4) % 4], unit(gen)});
  }
  // Ties at the top across slices; NaNs beside the largest.
  std::vector<float> l = rows[0].logits;
  l[100] = l[5000] = l[9999] = 8;
  l[101] = nan;
  rows.push_back({l, 1, 0.6f, 0.5f});
  rows.push_back({l, 1, 0.6f, 0.99f});
  rows.push_back({l, 1, 1, 0.999f});
  // A flat row: the nucleus at 0.9 holds thousands (-2); at 1 every token.
  HostTensor flat = randomF32(gen, {v}, -1, 1);
  std::vector<float> f(f32Data(flat), f32Data(flat) + v);
  rows.push_back({f, 1, 0.9f, 0.3f});
  rows.push_back({f, 1, 1, 0.3f});
  rows.push_back({f, 2, 1, 0.0f});
  // Nuclei of hundreds: 600 plausible tokens spread over the slices (on the
  // device: above the frontier), then 900 crowded into slice 0 (its 256th
  // largest is plausible too: the cut lies below the frontier, -2).
  std::vector<float> spread = rows[2].logits, crowded = rows[2].logits;
  for (int k = 0; k < 600; ++k)
    spread[size_t((k * 16 + 5) % v)] = 2 + 2 * unit(gen);
  for (int k = 0; k < 900; ++k)
    crowded[size_t(k)] = 2 + 2 * unit(gen);
  rows.push_back({spread, 1, 0.9f, 0.4f});
  rows.push_back({spread, 0.8f, 0.95f, 0.8f});
  rows.push_back({crowded, 1, 0.9f, 0.4f});
  // The host's limit rules: +inf, all NaN, all -inf (-2 each).
  l = rows[1].logits;
  l[42] = inf;
  rows.push_back({l, 1, 1, 0.5f});
  rows.push_back({std::vector<float>(v, nan), 1, 1, 0.5f});
  rows.push_back({std::vector<float>(v, -inf), 1, 0.5f, 0.5f});

  for (Target target : {Target::Reference, Target::Cpu}) {
    const char *name = target == Target::Cpu ? "cpu" : "reference";
    std::vector<int32_t> got = sampleOnTarget(target, rows, v);
    ASSERT_EQ(got.size(), rows.size());
    int exact = 0, compared = 0, wideRows = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row &r = rows[i];
      const float top = *std::max_element(
          r.logits.begin(), r.logits.end(), [](float a, float b) {
            return std::isnan(a) || (!std::isnan(b) && a < b);
          });
      const bool limit = std::isnan(top) || std::isinf(top);
      const bool wide = wideNucleus(r);
      if (limit || wide) {
        EXPECT_EQ(got[i], -2) << name << " row " << i;
        wideRows += wide;
        continue;
      }
      ++compared;
      const int64_t want = hostChoice(r, r.draw, r.topP);
      exact += got[i] == want;
      int64_t lo = want, hi = want;
      for (double du : {-1e-5, 1e-5})
        for (double dp : {-1e-5, 0.0, 1e-5}) {
          int64_t c = hostChoice(r, std::clamp(r.draw + du, 0.0, 1 - 1e-12),
                                 r.topP + dp);
          lo = std::min(lo, c);
          hi = std::max(hi, c);
        }
      EXPECT_TRUE(got[i] >= lo && got[i] <= hi)
          << name << " row " << i << ": kernel " << got[i] << ", host " << want
          << " (T " << r.temperature << ", topP " << r.topP << ", u " << r.draw
          << ")";
    }
    EXPECT_GE(compared, 38) << name; // the hottest rows and flat ones wide
    EXPECT_GE(wideRows, 4) << name;
    EXPECT_GE(exact, compared - 2)
        << name << ": " << exact << " of " << compared << " exact";
  }
}

// Evenly spaced draws over one row: each the host's choice (the
// boundaries lie far from every draw, beyond the kernels' f32 rounding).
TEST(DeviceSampling, EvenlySpacedDrawsMatchTheHost) {
  const int64_t v = 5000;
  std::vector<float> l(v, -30);
  l[3] = 1, l[4100] = 0.5f, l[4999] = 0, l[2000] = -1;
  std::vector<Row> rows;
  const int n = 400;
  for (int i = 0; i < n; ++i)
    rows.push_back({l, 1, i % 2 ? 1.f : 0.8f, (i + 0.5f) / n});
  std::vector<int32_t> got = sampleOnTarget(Target::Cpu, rows, v);
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(got[i], hostChoice(rows[i], rows[i].draw, rows[i].topP))
        << "draw " << rows[i].draw << " topP " << rows[i].topP;
}

} // namespace
