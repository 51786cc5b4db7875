//===- CpuKernelsBench.cpp - dsv4c CPU kernels beside their peers ---------===//
//
// One run measures, for V4's RMSNorm at decode and prefill shapes:
//   dsv4c   the tile kernel compiled by the CPU target (1 thread)
//   cpp     a plain C++ loop of the same math, compiled -O3 (the peer)
//   memcpy  copying the bytes the kernel must move (the memory bound)
// Compare the rows' times: dsv4c/cpp and dsv4c/memcpy are the ratios.
//
//===----------------------------------------------------------------------===//
#include "runtime/HostTensor.h"
#include "runtime/KernelArgs.h"
#include "targets/cpu/CpuTarget.h"
#include "tools/dsv4c/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>

using namespace dsv4c;

namespace {

struct Shapes {
  int64_t rows, dim;
};

const Shapes kShapes[] = {{4, 4096}, {256, 4096}};

struct RmsNormData {
  HostTensor x, w, y;
  explicit RmsNormData(Shapes s)
      : x(ElementType::BF16, {s.rows, s.dim}), w(ElementType::BF16, {s.dim}),
        y(ElementType::BF16, {s.rows, s.dim}) {
    fillRandom(x, 1);
    fillRandom(w, 2);
  }
  int64_t bytes() const { return 2 * x.storage.size() + w.storage.size(); }
};

std::unique_ptr<KernelRunner> compileRmsNorm() {
  static mlir::DialectRegistry registry;
  registerDialects(registry);
  static mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(
      DSV4C_KERNELS_DIR "/rmsnorm.mlir", &context);
  std::string error;
  auto runner = module ? cpu::createRunner(*module, "rmsnorm", error,
                                           cpu::CpuOptions{1})
                       : nullptr;
  if (!runner) {
    fprintf(stderr, "cannot compile rmsnorm.mlir: %s\n", error.c_str());
    std::exit(1);
  }
  return runner;
}

void BM_RmsNorm_dsv4c(benchmark::State &state) {
  Shapes s = kShapes[state.range(0)];
  static std::unique_ptr<KernelRunner> runner = compileRmsNorm();
  RmsNormData d(s);
  KernelArgs args;
  args.addPointer(d.x.data());
  args.addPointer(d.w.data());
  args.addPointer(d.y.data());
  args.addIndex(s.rows);
  args.addIndex(s.dim);
  args.addF32(1e-6f);
  std::string error;
  for (auto _ : state)
    if (!runner->launch(args.data(), {s.rows, 1, 1}, error))
      state.SkipWithError(error.c_str());
  state.SetBytesProcessed(state.iterations() * d.bytes());
}

// The peer converts bf16 inline (what a hand-written kernel would do).
inline float bf16Bits(uint16_t b) {
  uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint16_t toBf16(float f) { // round to nearest even; no NaN inputs here
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

void BM_RmsNorm_cpp(benchmark::State &state) {
  Shapes s = kShapes[state.range(0)];
  RmsNormData d(s);
  auto *x = static_cast<const uint16_t *>(d.x.data());
  auto *w = static_cast<const uint16_t *>(d.w.data());
  auto *y = static_cast<uint16_t *>(d.y.data());
  for (auto _ : state) {
    for (int64_t r = 0; r < s.rows; ++r) {
      const uint16_t *xr = x + r * s.dim;
      float ss = 0;
      for (int64_t c = 0; c < s.dim; ++c) {
        float v = bf16Bits(xr[c]);
        ss += v * v;
      }
      float inv = 1.0f / std::sqrt(ss / s.dim + 1e-6f);
      for (int64_t c = 0; c < s.dim; ++c)
        y[r * s.dim + c] = toBf16(bf16Bits(xr[c]) * inv * bf16Bits(w[c]));
    }
    benchmark::DoNotOptimize(y);
  }
  state.SetBytesProcessed(state.iterations() * d.bytes());
}

void BM_RmsNorm_memcpy(benchmark::State &state) {
  Shapes s = kShapes[state.range(0)];
  RmsNormData d(s);
  for (auto _ : state) {
    std::memcpy(d.y.data(), d.x.data(), d.x.storage.size());
    benchmark::DoNotOptimize(d.y.data());
  }
  state.SetBytesProcessed(state.iterations() * d.bytes());
}

} // namespace

// Argument: index into kShapes (0: decode 4x4096, 1: prefill 256x4096).
BENCHMARK(BM_RmsNorm_dsv4c)->DenseRange(0, 1);
BENCHMARK(BM_RmsNorm_cpp)->DenseRange(0, 1);
BENCHMARK(BM_RmsNorm_memcpy)->DenseRange(0, 1);
BENCHMARK_MAIN();
