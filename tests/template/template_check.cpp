//===- template_check.cpp - the porting kit's skeleton target builds ------===//
//
// The template target must keep building and keep doing what its comments
// say: every V4 kernel through the shared GPU pipeline to LLVM IR with the
// thread helpers left for the port to define, and a driver that reports
// "no device" cleanly.
//
//===----------------------------------------------------------------------===//
#include "models/v4/JitKernels.h"
#include "targets/template/TemplateCompile.h"
#include "targets/template/TemplateDriver.h"

#include <gtest/gtest.h>

using namespace dsv4c;

TEST(TemplateTarget, EveryV4KernelToLLVMIR) {
  v4::KernelModule kernels;
  std::string error;
  ASSERT_TRUE(v4::parseKernelModule(kernels, error)) << error;
  std::string ir;
  std::vector<std::string> names;
  ASSERT_TRUE(templ::compileToLLVMIR(*kernels.module, ir, names, error))
      << error;
  EXPECT_GE(names.size(), 29u);
  for (const std::string &k : names)
    EXPECT_NE(ir.find("define void @" + k + "("), std::string::npos)
        << "no function for kernel " << k;
  // What step 2 of docs/porting.md defines for the target.
  EXPECT_NE(ir.find("declare i64 @dsv4c.thread_id()"), std::string::npos);
  EXPECT_NE(ir.find("declare i64 @dsv4c.num_threads()"), std::string::npos);
  EXPECT_NE(ir.find("declare void @dsv4c.barrier()"), std::string::npos);
}

TEST(TemplateTarget, DriverSaysNoDevice) {
  std::string error;
  EXPECT_EQ(templ::TemplateDevice::open(0, error), nullptr);
  EXPECT_EQ(error.rfind("template: no device", 0), 0u) << error;
}
