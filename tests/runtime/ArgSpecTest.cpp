//===- ArgSpecTest.cpp - `dsv4c run-kernel` command line ------------------===//
#include "tools/dsv4c/ArgSpec.h"

#include "runtime/FloatFormats.h"
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace dsv4c;
using namespace dsv4c::runkernel;

namespace {

/// Runs parseOptions on a whitespace-free argument list.
bool parse(std::vector<std::string> words, Options &opts, std::string &error) {
  words.insert(words.begin(), "dsv4c run-kernel");
  std::vector<char *> argv;
  for (std::string &w : words)
    argv.push_back(w.data());
  return parseOptions(int(argv.size()), argv.data(), opts, error);
}

std::string parseError(std::vector<std::string> words) {
  Options opts;
  std::string error;
  EXPECT_FALSE(parse(words, opts, error));
  EXPECT_FALSE(error.empty());
  return error;
}

ParamType ptr(ElementType t) {
  ParamType p;
  p.kind = ParamType::Pointer;
  p.pointee = t;
  return p;
}
ParamType scalar(ParamType::Kind k) {
  ParamType p;
  p.kind = k;
  return p;
}

} // namespace

TEST(ArgSpec, Shapes) {
  std::vector<int64_t> s;
  std::string e;
  ASSERT_TRUE(parseShape("16x64", s, e));
  EXPECT_EQ(s, (std::vector<int64_t>{16, 64}));
  ASSERT_TRUE(parseShape("7", s, e));
  EXPECT_EQ(s, (std::vector<int64_t>{7}));
  for (const char *bad : {"", "x", "16x", "x16", "16xx4", "0", "4x0", "-4",
                          "16X64", "1.5", "16x64 ", "99999999999999999999",
                          "1048576x1048576x2"})
    EXPECT_FALSE(parseShape(bad, s, e)) << bad;
}

TEST(ArgSpec, Grid) {
  Grid g;
  std::string e;
  ASSERT_TRUE(parseGrid("16", g, e));
  EXPECT_EQ(g, (Grid{16, 1, 1}));
  ASSERT_TRUE(parseGrid("8,4", g, e));
  EXPECT_EQ(g, (Grid{8, 4, 1}));
  ASSERT_TRUE(parseGrid("2,3,5", g, e));
  EXPECT_EQ(g, (Grid{2, 3, 5}));
  for (const char *bad : {"", "0", "1,2,3,4", "8,", ",8", "8x4", "-1", "a"})
    EXPECT_FALSE(parseGrid(bad, g, e)) << bad;
  EXPECT_NE(e.find("--grid"), std::string::npos);
}

TEST(ArgSpec, Specs) {
  ArgSpec s;
  std::string e;
  ASSERT_TRUE(parseArgSpec("x=random:16x64", s, e));
  EXPECT_EQ(s.kind, ArgSpec::Random);
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.shape, (std::vector<int64_t>{16, 64}));
  ASSERT_TRUE(parseArgSpec("out=zeros:8", s, e));
  EXPECT_EQ(s.kind, ArgSpec::Zeros);
  ASSERT_TRUE(parseArgSpec("n=37", s, e));
  EXPECT_EQ(s.kind, ArgSpec::Literal);
  EXPECT_EQ(s.value, "37");
  ASSERT_TRUE(parseArgSpec("w=data/w=1.npy", s, e)); // first '=' splits
  EXPECT_EQ(s.name, "w");
  EXPECT_EQ(s.value, "data/w=1.npy");
  EXPECT_FALSE(parseArgSpec("x", s, e));
  EXPECT_FALSE(parseArgSpec("=3", s, e));
  EXPECT_FALSE(parseArgSpec("x=", s, e));
  EXPECT_FALSE(parseArgSpec("x=random", s, e));
  EXPECT_NE(e.find("x=random:16x64"), std::string::npos) << e;
  EXPECT_FALSE(parseArgSpec("x=random:16x", s, e));
  EXPECT_NE(e.find("--arg x"), std::string::npos) << e;
  EXPECT_FALSE(parseArgSpec("x=zeros:", s, e));
}

TEST(ArgSpec, Numbers) {
  int64_t i;
  EXPECT_TRUE(parseInt("37", i));
  EXPECT_EQ(i, 37);
  EXPECT_TRUE(parseInt("-5", i));
  EXPECT_EQ(i, -5);
  EXPECT_TRUE(parseInt("0x10", i));
  EXPECT_EQ(i, 16);
  EXPECT_TRUE(parseInt("010", i)); // decimal, not octal
  EXPECT_EQ(i, 10);
  for (const char *bad : {"", "3.5", "1e3", " 3", "3 ", "0x", "-", "abc",
                          "99999999999999999999"})
    EXPECT_FALSE(parseInt(bad, i)) << bad;
  float f;
  EXPECT_TRUE(parseFloat("0.5", f));
  EXPECT_EQ(f, 0.5f);
  EXPECT_TRUE(parseFloat("-1e-6", f));
  EXPECT_TRUE(parseFloat("3", f));
  EXPECT_EQ(f, 3.0f);
  for (const char *bad : {"", "0.5x", "1e40", " 1"})
    EXPECT_FALSE(parseFloat(bad, f)) << bad;
}

TEST(ArgSpec, Options) {
  Options o;
  std::string e;
  ASSERT_TRUE(parse({"k.mlir", "--grid", "4,2", "--arg", "x=random:4x4",
                     "--arg=n=3", "--kernel=foo", "--target", "reference",
                     "--out-dir", "out", "--check", "--tolerance", "1e-3",
                     "--seed", "9", "--threads=3"},
                    o, e))
      << e;
  EXPECT_EQ(o.file, "k.mlir");
  EXPECT_EQ(o.grid, (Grid{4, 2, 1}));
  ASSERT_EQ(o.args.size(), 2u);
  EXPECT_EQ(o.args[1].name, "n");
  EXPECT_EQ(o.kernel, "foo");
  EXPECT_EQ(o.target, "reference");
  EXPECT_EQ(o.outDir, "out");
  EXPECT_TRUE(o.check);
  EXPECT_DOUBLE_EQ(o.tolerance, double(1e-3f));
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(o.threads, 3u);

  ASSERT_TRUE(parse({"k.mlir", "--grid", "1"}, o, e));
  EXPECT_EQ(o.target, "cpu");
  EXPECT_FALSE(o.check);
  EXPECT_DOUBLE_EQ(o.tolerance, 1e-4);
  ASSERT_TRUE(parse({"--help"}, o, e));
  EXPECT_TRUE(o.help);
  ASSERT_TRUE(parse({"k.mlir", "-h", "--bogus"}, o, e));
  EXPECT_TRUE(o.help);
}

TEST(ArgSpec, BadOptions) {
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--bogus"})
                .find("unknown option '--bogus'"),
            std::string::npos);
  EXPECT_NE(parseError({"--grid", "1"}).find("no input FILE"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir"}).find("--grid is required"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid"}).find("--grid needs a value"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--target", "gpu"})
                .find("unknown --target 'gpu'"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "x=3"}).find("--arg"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--grid", "2"}).find("twice"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--seed", "-1"})
                .find("--seed"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--threads", "0"})
                .find("--threads"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--tolerance", "1e-3"})
                .find("--check"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--check=yes"})
                .find("--check"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--arg", "x=1", "--arg",
                        "x=2"})
                .find("used twice"),
            std::string::npos);
  EXPECT_NE(parseError({"k.mlir", "--grid", "1", "--arg", "a/b=1"})
                .find("file name"),
            std::string::npos);
}

TEST(ArgSpec, BindPointers) {
  ArgSpec s;
  std::string e;
  BoundArg b;
  ASSERT_TRUE(parseArgSpec("x=random:4x8", s, e));
  ASSERT_TRUE(bindArg(s, ptr(ElementType::BF16), 0, 5, b, e)) << e;
  EXPECT_EQ(b.tensor.describe(), "4x8xbf16");
  BoundArg again;
  ASSERT_TRUE(bindArg(s, ptr(ElementType::BF16), 0, 5, again, e));
  EXPECT_EQ(again.tensor.storage, b.tensor.storage); // deterministic
  BoundArg other;
  ASSERT_TRUE(bindArg(s, ptr(ElementType::BF16), 1, 5, other, e));
  EXPECT_NE(other.tensor.storage, b.tensor.storage); // seed + position

  ASSERT_TRUE(parseArgSpec("y=zeros:3", s, e));
  ASSERT_TRUE(bindArg(s, ptr(ElementType::F4E2M1FN), 2, 0, b, e));
  EXPECT_EQ(b.tensor.storage.size(), 2u);

  // From a file: the dtype must match the pointer.
  HostTensor t(ElementType::F32, {2, 2});
  fillRandom(t, 1);
  std::string path = testing::TempDir() + "argspec_x.npy";
  ASSERT_TRUE(writeNpy(path, t, e)) << e;
  ASSERT_TRUE(parseArgSpec("x=" + path, s, e));
  ASSERT_TRUE(bindArg(s, ptr(ElementType::F32), 0, 0, b, e)) << e;
  EXPECT_EQ(b.tensor.storage, t.storage);
  EXPECT_FALSE(bindArg(s, ptr(ElementType::BF16), 0, 0, b, e));
  EXPECT_NE(e.find("--arg x"), std::string::npos) << e;
  EXPECT_NE(e.find("holds f32 but the kernel wants bf16"), std::string::npos)
      << e;
  ASSERT_TRUE(parseArgSpec("x=/nonexistent/file.npy", s, e));
  EXPECT_FALSE(bindArg(s, ptr(ElementType::F32), 0, 0, b, e));
  EXPECT_NE(e.find("/nonexistent/file.npy: cannot open"), std::string::npos)
      << e;
}

TEST(ArgSpec, BindScalars) {
  ArgSpec s;
  std::string e;
  BoundArg b;
  ASSERT_TRUE(parseArgSpec("n=37", s, e));
  ASSERT_TRUE(bindArg(s, scalar(ParamType::Index), 3, 0, b, e));
  EXPECT_EQ(b.intValue, 37);
  ASSERT_TRUE(bindArg(s, scalar(ParamType::F32), 3, 0, b, e));
  EXPECT_EQ(b.floatValue, 37.0f);
  ASSERT_TRUE(parseArgSpec("n=0.5", s, e));
  EXPECT_FALSE(bindArg(s, scalar(ParamType::I32), 3, 0, b, e));
  EXPECT_NE(e.find("not an integer"), std::string::npos) << e;
  ASSERT_TRUE(parseArgSpec("n=4294967296", s, e));
  EXPECT_FALSE(bindArg(s, scalar(ParamType::I32), 3, 0, b, e));
  EXPECT_NE(e.find("does not fit in i32"), std::string::npos) << e;
  ASSERT_TRUE(bindArg(s, scalar(ParamType::I64), 3, 0, b, e));
  ASSERT_TRUE(parseArgSpec("n=random:4", s, e));
  EXPECT_FALSE(bindArg(s, scalar(ParamType::Index), 3, 0, b, e));
  EXPECT_NE(e.find("is a scalar"), std::string::npos) << e;
}

TEST(ArgSpec, KernelArgsFollowTheCallingConvention) {
  std::vector<BoundArg> bound(5);
  bound[0].param = ptr(ElementType::F32);
  bound[0].tensor = HostTensor(ElementType::F32, {4});
  bound[1].param = scalar(ParamType::Index);
  bound[1].intValue = -7;
  bound[2].param = scalar(ParamType::I32);
  bound[2].intValue = 9;
  bound[3].param = scalar(ParamType::BF16);
  bound[3].floatValue = 1.5f;
  bound[4].param = scalar(ParamType::F32);
  bound[4].floatValue = 0.25f;
  KernelArgs args;
  for (BoundArg &b : bound)
    appendKernelArg(b, args);
  ASSERT_EQ(args.size(), 5u);
  EXPECT_EQ(*static_cast<void **>(args.data()[0]), bound[0].tensor.data());
  EXPECT_EQ(*static_cast<int64_t *>(args.data()[1]), -7);
  EXPECT_EQ(*static_cast<int32_t *>(args.data()[2]), 9);
  EXPECT_EQ(*static_cast<uint16_t *>(args.data()[3]), floatToBf16(1.5f));
  EXPECT_EQ(*static_cast<float *>(args.data()[4]), 0.25f);
}

TEST(ArgSpec, FirstValuesAndHelp) {
  HostTensor t(ElementType::F32, {10});
  for (int i = 0; i < 10; ++i)
    storeFloat(t.data(), t.type, i, i * 0.5f);
  EXPECT_EQ(firstValues(t), "0 0.5 1 1.5 2 2.5 3 3.5");
  HostTensor n(ElementType::I32, {3});
  storeInt(n.data(), n.type, 2, -4);
  EXPECT_EQ(firstValues(n), "0 0 -4");
  EXPECT_EQ(maxAbs(n), 4.0);
  std::string help = usageText("dsv4c run-kernel");
  for (const char *flag : {"--kernel", "--target", "--grid", "--arg",
                           "--out-dir", "--check", "--tolerance", "--seed",
                           "--threads", "example:"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
}
