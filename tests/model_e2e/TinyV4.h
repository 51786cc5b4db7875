//===- TinyV4.h - the tiny V4 model for executor tests ---------*- C++ -*-===//
//
// What the executor tests share: the V4 kernels compiled once for cpu, a
// scratch directory per test (removed at exit), a generated tiny checkpoint
// (seed 3) and a 400-token prompt.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TESTS_MODEL_E2E_TINYV4_H
#define DSV4C_TESTS_MODEL_E2E_TINYV4_H

#include "models/v4/CheckpointGenerator.h"
#include "models/v4/Executor.h"
#include "models/v4/JitKernels.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace dsv4c::tinyv4 {

using namespace dsv4c::v4;
namespace fs = std::filesystem;

inline KernelLibrary &cpuKernels() {
  static std::unique_ptr<KernelLibrary> lib = [] {
    std::string error;
    auto l = createJitKernels(JitOptions{"cpu", 0}, error);
    if (!l)
      ADD_FAILURE() << "compiling the V4 kernels for cpu: " << error;
    return l;
  }();
  return *lib;
}

inline fs::path scratch(const std::string &name) {
  static const fs::path root = [] {
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() /
                         ("dsv4c_v4test_" + std::to_string(::getpid())),
                     ec);
    });
    return fs::temp_directory_path() /
           ("dsv4c_v4test_" + std::to_string(::getpid()));
  }();
  fs::create_directories(root / name);
  return root / name;
}

inline std::unique_ptr<Checkpoint> checkpoint(const V4Config &c,
                                              const fs::path &dir) {
  std::string error;
  GeneratorOptions options;
  options.seed = 3;
  EXPECT_TRUE(generateCheckpoint(c, dir.string(), options, error)) << error;
  auto ckpt = Checkpoint::open(dir.string(), error);
  EXPECT_NE(ckpt, nullptr) << error;
  return ckpt;
}

inline std::vector<int64_t> longPrompt(const V4Config &c) {
  std::vector<int64_t> prompt;
  for (int t = 0; t < 400; ++t)
    prompt.push_back((37 * t + 11) % c.vocabSize);
  return prompt;
}

} // namespace dsv4c::tinyv4

#endif
