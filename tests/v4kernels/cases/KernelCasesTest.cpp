//===- KernelCasesTest.cpp - models/v4/KernelCases.h ---------------------===//
//
// (a) kernelConformanceCases() has exactly one case per tile.kernel of the
//     embedded kernel files, in their order, with op "v4.<kernel>", a unique
//     name (lower-case letters, digits and '_': `dsv4c conform` prints it
//     and its filter matches it) and the kernel's text (or its whole file)
//     as its source; kernelText finds every kernel.
// (b) every one of those cases passes on the cpu target against the
//     reference target (one test per case, so ctest runs them in parallel;
//     each process JIT-compiles only its kernel).
//
//===----------------------------------------------------------------------===//
#include "tests/v4kernels/KernelTestUtil.h"

#include "models/v4/KernelCases.h"
#include "models/v4/KernelSources.h"

#include <ostream>
#include <set>

/// Test names and failures show a case by its name (gtest would print its
/// bytes).
namespace dsv4c::conformance {
void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }
} // namespace dsv4c::conformance

using namespace dsv4c;
using namespace dsv4c::kerneltest;
using conformance::Case;

namespace {

struct KernelName {
  std::string file, name;
};

/// Every `tile.kernel @name(` at the start of a line of the embedded files.
std::vector<KernelName> embeddedKernels() {
  std::vector<KernelName> out;
  const std::string key = "tile.kernel @";
  for (const v4::KernelSourceFile &f : v4::kernelSources()) {
    std::string text = f.text;
    for (size_t at = text.find(key); at != std::string::npos;
         at = text.find(key, at + 1)) {
      if (at > 0 && text[at - 1] != '\n')
        continue;
      size_t begin = at + key.size(), end = text.find('(', begin);
      out.push_back({f.name, text.substr(begin, end - begin)});
    }
  }
  return out;
}

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(KernelCases, KernelTextFindsEveryKernel) {
  std::vector<KernelName> kernels = embeddedKernels();
  EXPECT_EQ(kernels.size(), 43u);
  for (const KernelName &k : kernels) {
    std::string text = v4::kernelText(k.file, k.name);
    EXPECT_EQ(text.rfind("tile.kernel @" + k.name + "(", 0), 0u)
        << k.file << " @" << k.name;
    EXPECT_EQ(count(text, "tile.kernel @"), 1u) << k.file << " @" << k.name;
    EXPECT_EQ(text.substr(text.size() > 3 ? text.size() - 3 : 0), "\n}\n")
        << k.file << " @" << k.name;
  }
  for (const v4::KernelSourceFile &f : v4::kernelSources())
    EXPECT_EQ(v4::kernelText(f.name), f.text) << f.name;
  EXPECT_EQ(v4::kernelText("rmsnorm.mlir", "nosuch"), "");
  EXPECT_EQ(v4::kernelText("nosuch.mlir"), "");
  EXPECT_EQ(v4::kernelText("nosuch.mlir", "rmsnorm"), "");
}

// Every kernel has a case, the cases of a kernel one after another, the
// kernels in file order (a kernel with two paths, sparse_attention split
// or not, has a case for each).
TEST(KernelCases, CasesForEveryKernelInFileOrder) {
  std::vector<KernelName> kernels = embeddedKernels();
  std::vector<Case> cases = v4::kernelConformanceCases();
  ASSERT_GE(cases.size(), kernels.size());
  std::set<std::string> names;
  size_t kernel = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case &c = cases[i];
    if (i > 0 && c.op != cases[i - 1].op)
      ++kernel;
    ASSERT_LT(kernel, kernels.size()) << "case #" << i << " " << c.name;
    const KernelName &k = kernels[kernel];
    EXPECT_EQ(c.op, "v4." + k.name) << "case #" << i;
    // The kernel's text or its whole file (with one kernel).
    EXPECT_NE(c.source.find(v4::kernelText(k.file, k.name)), std::string::npos)
        << c.name;
    EXPECT_EQ(count(c.source, "\ntile.kernel @") +
                  (c.source.rfind("tile.kernel @", 0) == 0),
              1u)
        << c.name;
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate name " << c.name;
    EXPECT_EQ(c.name.rfind(k.name + "_", 0), 0u) << c.name;
    EXPECT_EQ(c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"),
              std::string::npos)
        << c.name;
    EXPECT_GE(c.tolerance, 0) << c.name;
  }
  EXPECT_EQ(kernel + 1, kernels.size()) << "kernels without a case";
}

class KernelCase : public ::testing::TestWithParam<Case> {};

TEST_P(KernelCase, CpuMatchesReference) {
  expectCpuMatchesReference(GetParam());
}

INSTANTIATE_TEST_SUITE_P(V4, KernelCase,
                         ::testing::ValuesIn(v4::kernelConformanceCases()),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           return info.param.name;
                         });

} // namespace
