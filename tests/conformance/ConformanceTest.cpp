//===- ConformanceTest.cpp - every tile op: cpu target vs reference -------===//
#include "targets/conformance/ConformanceSuite.h"
#include "targets/cpu/CpuTarget.h"
#include "tools/dsv4c/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace dsv4c;

namespace dsv4c::conformance {
// Failing cases print their name, not their bytes.
void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }
} // namespace dsv4c::conformance

namespace {

/// Runs case `c` on the cpu target built with `options` and checks it
/// against the reference.
void expectMatchesReference(const conformance::Case &c,
                            cpu::CpuOptions options) {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  auto cpu = [&](mlir::ModuleOp module, const std::string &name,
                 std::string &error) {
    return cpu::createRunner(module, name, error, options);
  };
  conformance::Result r = conformance::runCase(c, context, cpu);
  EXPECT_TRUE(r.passed) << c.op << " " << c.name << ": max error " << r.maxError
                        << " > tolerance " << c.tolerance << "\n"
                        << r.message;
}

class CpuConformance : public testing::TestWithParam<conformance::Case> {};

// Two threads: the grid must also run correctly in parallel.
TEST_P(CpuConformance, MatchesReference) {
  expectMatchesReference(GetParam(), cpu::CpuOptions{2});
}

// tile.topk as GPU targets lower it (merge passes of independent elements),
// run on the host.
class ParallelTopKConformance
    : public testing::TestWithParam<conformance::Case> {};

TEST_P(ParallelTopKConformance, MatchesReference) {
  cpu::CpuOptions options{2};
  options.parallelTopK = true;
  expectMatchesReference(GetParam(), options);
}

std::vector<conformance::Case> topkCases() {
  std::vector<conformance::Case> cases;
  for (const conformance::Case &c : conformance::allCases())
    if (c.op == "tile.topk")
      cases.push_back(c);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(
    TopK, ParallelTopKConformance, testing::ValuesIn(topkCases()),
    [](const testing::TestParamInfo<conformance::Case> &info) {
      return info.param.name;
    });

INSTANTIATE_TEST_SUITE_P(
    AllOps, CpuConformance, testing::ValuesIn(conformance::allCases()),
    [](const testing::TestParamInfo<conformance::Case> &info) {
      return info.param.name;
    });

} // namespace

// Bench packs fill their gigabyte inputs in chunks side by side: the same
// values on every run, in the fill's range, and a small buffer exactly as
// fillBuffer makes it.
TEST(BufferFill, InParallelIsDeterministicAndInRange) {
  conformance::BufferFill fill;
  fill.random = true;
  fill.nonNegative = true;
  HostTensor a(ElementType::BF16, {5 << 20}), b(ElementType::BF16, {5 << 20});
  conformance::fillBufferInParallel(a, fill, 4);
  conformance::fillBufferInParallel(b, fill, 4);
  EXPECT_EQ(a.storage, b.storage);
  float hi = 0;
  for (int64_t i = 0; i < a.numElements(); i += 997) {
    float v = loadFloat(a.data(), a.type, i);
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
    hi = std::max(hi, v);
  }
  EXPECT_GT(hi, 0.9f);
  HostTensor small(ElementType::F32, {1000}), whole(ElementType::F32, {1000});
  conformance::fillBufferInParallel(small, fill, 4);
  conformance::fillBuffer(whole, fill, 4);
  EXPECT_EQ(small.storage, whole.storage);
}
