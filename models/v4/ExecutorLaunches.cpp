//===- ExecutorLaunches.cpp - the launches the V4 step shares -------------===//
//
// Linears (FP8/FP4 with the activation quantised once, dense bf16, split-k
// over K where few programs would leave the GPU idle) and RMSNorm.
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

#include <algorithm>

using namespace dsv4c;
using namespace dsv4c::v4;

bool Executor::Impl::linear(const LinearW &w, const void *x, void *y,
                            int64_t m) {
  return linears(x, m, {{&w, y}});
}

bool Executor::Impl::linears(
    const void *x, int64_t m,
    std::initializer_list<std::pair<const LinearW *, void *>> ws) {
  int64_t quantisedWidth = -1; // of x in s.xq, once quantised
  for (auto [w, y] : ws) {
    if (w->format == WeightFormat::BF16) {
      if (!dense(x, w->weight, y, m, w->out, w->in, w->in, w->out, 1, false))
        return false;
      continue;
    }
    if (quantisedWidth != w->in && !actQuant(x, m, w->in))
      return false;
    quantisedWidth = w->in;
    if (!quantisedGemm(*w, y, m))
      return false;
  }
  return true;
}

bool Executor::Impl::actQuant(const void *x, int64_t m, int64_t k) {
  return run(
      "act_quant", {ceilDiv(m, 16), ceilDiv(k, 128), 1},
      {KArg::p(x), KArg::p(s.xq), KArg::p(s.xqs), KArg::i(m), KArg::i(k)});
}

bool Executor::Impl::quantisedGemm(const LinearW &w, void *y, int64_t m) {
  Grid grid{ceilDiv(m, 16), ceilDiv(w.out, 64), 1};
  if (w.format == WeightFormat::FP4)
    return run("linear_fp4", grid,
               {KArg::p(s.xq), KArg::p(s.xqs), KArg::p(w.weight),
                KArg::p(w.scale), KArg::p(y), KArg::i(m), KArg::i(w.out),
                KArg::i(w.in)});
  if (rows64Fills(m, w.out))
    return run("linear_fp8_rows64", {ceilDiv(m, 64), ceilDiv(w.out, 64), 1},
               {KArg::p(s.xq), KArg::p(s.xqs), KArg::p(w.weight),
                KArg::p(w.scale), KArg::p(y), KArg::i(m), KArg::i(w.out),
                KArg::i(w.in)});
  const int64_t splits =
      splitsFor(grid[0] * grid[1], ceilDiv(w.in, 256), m, w.out, "linear_fp8");
  grid[2] = splits;
  return run("linear_fp8", grid,
             {KArg::p(s.xq), KArg::p(s.xqs), KArg::p(w.weight),
              KArg::p(w.scale), KArg::p(y), KArg::p(s.splitPart),
              KArg::p(s.splitCounters), KArg::i(m), KArg::i(w.out),
              KArg::i(w.in), KArg::i(splits)});
}

bool Executor::Impl::rows64Fills(int64_t m, int64_t n) {
  const int64_t fill = device.programsToFill();
  if (fill == 0)
    return false;
  int64_t wave = fill;
  if (KernelRunner *r = runnerFor("linear_fp8_rows64"))
    if (int64_t resident = r->residentPrograms(); resident > 0)
      wave = resident;
  return ceilDiv(m, 64) * ceilDiv(n, 64) >= wave;
}

int64_t Executor::Impl::splitsFor(int64_t programs, int64_t kBlocks, int64_t m,
                                  int64_t n, const char *kernel) {
  int64_t fill = device.programsToFill();
  if (fill == 0 || programs >= fill)
    return 1;
  int64_t wanted = ceilDiv(fill, programs);
  if (KernelRunner *r = kernel ? runnerFor(kernel) : nullptr)
    if (int64_t wave = r->residentPrograms(); wave > 0)
      wanted = wave / programs;
  int64_t splits = std::min({wanted, kBlocks, kMaxSplits});
  while (splits > 1 && splits * m * n * 4 > kSplitPartBytes)
    --splits;
  return std::max<int64_t>(splits, 1);
}

bool Executor::Impl::dense(const void *x, const void *w, void *y, int64_t m,
                           int64_t n, int64_t k, int64_t ldx, int64_t ldy,
                           int64_t groups, bool f32Out) {
  const int64_t programs = ceilDiv(m, 16) * ceilDiv(n, 64) * groups;
  const int64_t splits =
      ldy == groups * n ? splitsFor(programs, ceilDiv(k, 128), m, ldy,
                                    f32Out ? "matmul_bf16_f32" : "matmul_bf16")
                        : 1;
  return run(f32Out ? "matmul_bf16_f32" : "matmul_bf16",
             {ceilDiv(m, 16), ceilDiv(n, 64), groups * splits},
             {KArg::p(x), KArg::p(w), KArg::p(y), KArg::i(m), KArg::i(n),
              KArg::i(k), KArg::i(ldx), KArg::i(ldy), KArg::p(s.splitPart),
              KArg::p(s.splitCounters), KArg::i(splits)});
}

bool Executor::Impl::matmulF32(const void *x, const void *w, void *y, int64_t m,
                               int64_t n, int64_t k) {
  return dense(x, w, y, m, n, k, k, n, 1, true);
}

bool Executor::Impl::rmsnorm(const void *x, const void *w, void *y,
                             int64_t rows, int64_t dim) {
  // Rows beyond one wave of programs are taken by the same programs in
  // turn (the kernel loops over rows), their loads pipelined.
  int64_t programs = rows;
  if (KernelRunner *r = runnerFor("rmsnorm"))
    if (int64_t wave = r->residentPrograms(); wave > 0)
      programs = std::min(rows, wave);
  return run("rmsnorm", {programs, 1, 1},
             {KArg::p(x), KArg::p(w), KArg::p(y), KArg::i(rows), KArg::i(dim),
              KArg::f(config.normEps)});
}
