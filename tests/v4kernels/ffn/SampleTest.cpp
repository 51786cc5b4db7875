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
// rules say: a largest logit of +-inf or NaN only, a nucleus over 256.
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

/// The nucleus size by the host's rule (in double), for the -2 check.
int64_t nucleusSize(const Row &r) {
  double mx = -std::numeric_limits<double>::infinity();
  for (float l : r.logits)
    if (!std::isnan(l))
      mx = std::max(mx, double(l));
  std::vector<double> p;
  double total = 0;
  for (float l : r.logits) {
    p.push_back(std::isnan(l) ? 0 : std::exp((l - mx) / r.temperature));
    total += p.back();
  }
  if (!(r.topP < 1))
    return int64_t(
        std::count_if(p.begin(), p.end(), [](double x) { return x > 0; }));
  std::sort(p.begin(), p.end(), std::greater<>());
  double mass = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if ((mass += p[i]) >= r.topP * total)
      return int64_t(i) + 1;
  return int64_t(p.size());
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
    int exact = 0, compared = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row &r = rows[i];
      const float top = *std::max_element(
          r.logits.begin(), r.logits.end(), [](float a, float b) {
            return std::isnan(a) || (!std::isnan(b) && a < b);
          });
      const bool limit = std::isnan(top) || std::isinf(top);
      const bool wide = r.topP < 1 && nucleusSize(r) > 256;
      if (limit || wide) {
        EXPECT_EQ(got[i], -2) << name << " row " << i;
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
    EXPECT_GE(compared, 30) << name; // 32: the hottest rows are wide
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
