//===- ArithMathTest.cpp - arith and math on tiles and scalars ------------===//
#include "ReferenceTestUtil.h"

#include <bit>
#include <cmath>
#include <functional>
#include <limits>

using namespace dsv4c;
using namespace dsv4c::testing;

namespace {

class ArithMath : public ReferenceTest {};

const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// A kernel applying each of `ops` ("name" or "name pred,") to two loaded
/// tiles of n elements of `type` and storing result i at row i of %o. i1
/// results (no i1 pointers) are stored as i8 0/1 (arith.extui).
std::string binaryKernel(const std::vector<std::string> &ops, int n,
                         const std::string &type,
                         const std::string &resultType) {
  bool isBool = resultType == "i1";
  std::string memType = isBool ? "i8" : resultType;
  std::string t = "tensor<" + std::to_string(n) + "x" + type + ">";
  std::string r = "tensor<" + std::to_string(n) + "x" + memType + ">";
  std::string s = "tile.kernel @k(%a: !tile.ptr<" + type + ">, %b: !tile.ptr<" +
                  type + ">, %o: !tile.ptr<" + memType + ">) {\n"
                  "  %c0 = arith.constant 0 : index\n"
                  "  %c1 = arith.constant 1 : index\n"
                  "  %ta = tile.load %a[%c0] strides[%c1] : !tile.ptr<" + type +
                  "> -> " + t + "\n"
                  "  %tb = tile.load %b[%c0] strides[%c1] : !tile.ptr<" + type +
                  "> -> " + t + "\n";
  for (size_t i = 0; i < ops.size(); ++i) {
    std::string id = std::to_string(i);
    s += "  %" + std::string(isBool ? "q" : "r") + id + " = " + ops[i] +
         " %ta, %tb : " + t + "\n";
    if (isBool)
      s += "  %r" + id + " = arith.extui %q" + id + " : tensor<" +
           std::to_string(n) + "xi1> to " + r + "\n";
    s += "  %off" + id + " = arith.constant " + std::to_string(i * n) +
         " : index\n";
    s += "  tile.store %r" + id + ", %o[%off" + id + "] strides[%c1] : " + r +
         " -> !tile.ptr<" + memType + ">\n";
  }
  return s + "  tile.return\n}\n";
}

TEST_F(ArithMath, FloatBinaryOnTiles) {
  std::vector<std::string> names = {
      "arith.addf",    "arith.subf",    "arith.mulf",   "arith.divf",
      "arith.remf",    "arith.maximumf", "arith.minimumf", "arith.maxnumf",
      "arith.minnumf", "math.powf",     "math.copysign"};
  std::vector<float> av = {1.5f, -2.0f, 0.0f, -0.0f, kNaN, 7.25f, 3.0f, 1e30f};
  std::vector<float> bv = {0.25f, 3.0f, -0.0f, 0.0f, 1.0f, -2.5f, kNaN, 1e30f};
  const int n = 8;
  Guarded<float> a(av), b(bv), o(std::vector<float>(names.size() * n, 0));
  KernelArgs args;
  for (void *p : {a.data(), b.data(), o.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(binaryKernel(names, n, "f32", "f32"), args));
  auto maximum = [](float x, float y) {
    if (std::isnan(x) || std::isnan(y))
      return kNaN;
    if (x == 0 && y == 0)
      return std::signbit(x) ? y : x;
    return std::max(x, y);
  };
  auto minimum = [](float x, float y) {
    if (std::isnan(x) || std::isnan(y))
      return kNaN;
    if (x == 0 && y == 0)
      return std::signbit(x) ? x : y;
    return std::min(x, y);
  };
  std::vector<std::function<float(float, float)>> fns = {
      [](float x, float y) { return x + y; },
      [](float x, float y) { return x - y; },
      [](float x, float y) { return x * y; },
      [](float x, float y) { return x / y; },
      [](float x, float y) { return std::fmod(x, y); },
      maximum,
      minimum,
      [](float x, float y) { return std::fmax(x, y); },
      [](float x, float y) { return std::fmin(x, y); },
      [](float x, float y) { return std::pow(x, y); },
      [](float x, float y) { return std::copysign(x, y); }};
  for (size_t op = 0; op < names.size(); ++op)
    for (int i = 0; i < n; ++i) {
      float want = fns[op](av[i], bv[i]), got = o[op * n + i];
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(got)) << names[op] << " " << i;
      else
        EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want))
            << names[op] << " " << i << ": " << got << " vs " << want;
    }
}

// bf16 tiles: computed in f32, then rounded to bf16.
TEST_F(ArithMath, Bf16ArithRoundsOnce) {
  std::vector<std::string> names = {"arith.addf", "arith.mulf", "arith.divf"};
  std::vector<uint16_t> av(4), bv(4);
  const float as[4] = {1.0f, 3.0f, 1.0f / 3, 100.0f};
  const float bs[4] = {1.0f / 256, 7.0f, 0.1f, -0.3f};
  for (int i = 0; i < 4; ++i) {
    av[i] = floatToBf16(as[i]);
    bv[i] = floatToBf16(bs[i]);
  }
  Guarded<uint16_t> a(av), b(bv), o(std::vector<uint16_t>(12, 0));
  KernelArgs args;
  for (void *p : {a.data(), b.data(), o.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(binaryKernel(names, 4, "bf16", "bf16"), args));
  for (int i = 0; i < 4; ++i) {
    float x = bf16ToFloat(av[i]), y = bf16ToFloat(bv[i]);
    EXPECT_EQ(o[i], floatToBf16(x + y)) << i;
    EXPECT_EQ(o[4 + i], floatToBf16(x * y)) << i;
    EXPECT_EQ(o[8 + i], floatToBf16(x / y)) << i;
  }
  EXPECT_EQ(bf16ToFloat(o[0]), 1.0f) << "1 + 2^-8 ties to even in bf16";
}

TEST_F(ArithMath, IntegerBinaryOnTiles) {
  std::vector<std::string> names = {
      "arith.addi",    "arith.subi",       "arith.muli",  "arith.divsi",
      "arith.divui",   "arith.remsi",      "arith.remui", "arith.ceildivsi",
      "arith.floordivsi", "arith.maxsi",   "arith.minsi", "arith.maxui",
      "arith.minui",   "arith.andi",       "arith.ori",   "arith.xori",
      "arith.shli",    "arith.shrsi",      "arith.shrui"};
  std::vector<int32_t> av = {7, -7, 2147483647, -2147483647 - 1, 100, -1, 12, -9};
  std::vector<int32_t> bv = {2, 2, 2, -1, -3, 3, 5, 4};
  const int n = 8;
  Guarded<int32_t> a(av), b(bv), o(std::vector<int32_t>(names.size() * n, 0));
  KernelArgs args;
  for (void *p : {a.data(), b.data(), o.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(binaryKernel(names, n, "i32", "i32"), args));
  using I = int64_t;
  auto u = [](int32_t x) { return static_cast<uint32_t>(x); };
  auto w = [](I x) { return static_cast<int32_t>(static_cast<uint32_t>(x)); };
  auto floorDiv = [](I x, I y) {
    I q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
  };
  auto ceilDiv = [](I x, I y) {
    I q = x / y;
    return (x % y != 0 && ((x < 0) == (y < 0))) ? q + 1 : q;
  };
  for (int i = 0; i < n; ++i) {
    I x = av[i], y = bv[i];
    int32_t want[] = {
        w(x + y), w(x - y), w(x * y), w(x / y),
        static_cast<int32_t>(u(av[i]) / u(bv[i])), w(x % y),
        static_cast<int32_t>(u(av[i]) % u(bv[i])), w(ceilDiv(x, y)),
        w(floorDiv(x, y)), static_cast<int32_t>(std::max(x, y)),
        static_cast<int32_t>(std::min(x, y)),
        static_cast<int32_t>(std::max(u(av[i]), u(bv[i]))),
        static_cast<int32_t>(std::min(u(av[i]), u(bv[i]))),
        av[i] & bv[i], av[i] | bv[i], av[i] ^ bv[i],
        static_cast<int32_t>(u(av[i]) << (bv[i] & 31)),
        av[i] >> (bv[i] & 31), static_cast<int32_t>(u(av[i]) >> (bv[i] & 31))};
    for (size_t op = 0; op < names.size(); ++op) {
      // Shifts by a negative amount (>= 32 unsigned) are poison; skip them.
      if (names[op].find("sh") != std::string::npos && bv[i] < 0)
        continue;
      EXPECT_EQ(o[op * n + i], want[op]) << names[op] << " " << i;
    }
  }
  // INT_MIN / -1 wraps to INT_MIN.
  EXPECT_EQ(o[3 * n + 3], -2147483647 - 1);
}

TEST_F(ArithMath, CompareAllPredicates) {
  std::vector<std::string> fpreds = {"false", "oeq", "ogt", "oge", "olt", "ole",
                                     "one",   "ord", "ueq", "ugt", "uge", "ult",
                                     "ule",   "une", "uno", "true"};
  std::vector<std::string> ops;
  for (const std::string &p : fpreds)
    ops.push_back("arith.cmpf " + p + ",");
  std::vector<float> av = {1.0f, 2.0f, kNaN, -0.0f, 3.0f};
  std::vector<float> bv = {1.0f, 1.0f, 0.0f, 0.0f, 4.0f};
  Guarded<float> a(av), b(bv);
  Guarded<uint8_t> o(std::vector<uint8_t>(ops.size() * 5, 9));
  KernelArgs args;
  for (void *p : {a.data(), b.data(), o.data()})
    args.addPointer(p);
  // binaryKernel writes "<op> %ta, %tb", here "arith.cmpf <pred>, %ta, %tb".
  ASSERT_NO_FATAL_FAILURE(run(binaryKernel(ops, 5, "f32", "i1"), args));
  for (int i = 0; i < 5; ++i) {
    float x = av[i], y = bv[i];
    bool uno = std::isnan(x) || std::isnan(y);
    bool want[16] = {false, !uno && x == y, !uno && x > y, !uno && x >= y,
                     !uno && x < y, !uno && x <= y, !uno && x != y, !uno,
                     uno || x == y, uno || x > y, uno || x >= y, uno || x < y,
                     uno || x <= y, uno || x != y, uno, true};
    for (int p = 0; p < 16; ++p)
      EXPECT_EQ(o[p * 5 + i], want[p] ? 1 : 0) << fpreds[p] << " " << i;
  }

  std::vector<std::string> ipreds = {"eq",  "ne",  "slt", "sle", "sgt",
                                     "sge", "ult", "ule", "ugt", "uge"};
  ops.clear();
  for (const std::string &p : ipreds)
    ops.push_back("arith.cmpi " + p + ",");
  std::vector<int32_t> ai = {1, -1, 5, -3}, bi = {1, 1, -5, -2};
  Guarded<int32_t> a2(ai), b2(bi);
  Guarded<uint8_t> o2(std::vector<uint8_t>(ops.size() * 4, 9));
  KernelArgs args2;
  for (void *p : {a2.data(), b2.data(), o2.data()})
    args2.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(binaryKernel(ops, 4, "i32", "i1"), args2));
  for (int i = 0; i < 4; ++i) {
    int32_t x = ai[i], y = bi[i];
    uint32_t ux = x, uy = y;
    bool want[10] = {x == y, x != y, x < y,   x <= y,  x > y,
                     x >= y, ux < uy, ux <= uy, ux > uy, ux >= uy};
    for (int p = 0; p < 10; ++p)
      EXPECT_EQ(o2[p * 4 + i], want[p] ? 1 : 0) << ipreds[p] << " " << i;
  }
}

TEST_F(ArithMath, SelectConstantsAndCasts) {
  const char *src = R"mlir(
tile.kernel @k(%o: !tile.ptr<f32>, %oi: !tile.ptr<i32>, %flag: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.constant dense<[1.0, -2.5, 3.0, 0.5]> : tensor<4xf32>
  %w = arith.constant dense<7.0> : tensor<4xf32>
  %zero = arith.constant 0 : i32
  %cond = arith.cmpi ne, %flag, %zero : i32
  %s1 = arith.select %cond, %v, %w : tensor<4xf32>
  tile.store %s1, %o[%c0] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %m = arith.constant dense<[true, false, false, true]> : tensor<4xi1>
  %s2 = arith.select %m, %v, %w : tensor<4xi1>, tensor<4xf32>
  %c4 = arith.constant 4 : index
  tile.store %s2, %o[%c4] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %n = arith.negf %v : tensor<4xf32>
  %ni = arith.fptosi %n : tensor<4xf32> to tensor<4xi32>
  tile.store %ni, %oi[%c0] strides[%c1] : tensor<4xi32> -> !tile.ptr<i32>
  %neg = arith.constant dense<[-1, 2, -3, 200]> : tensor<4xi32>
  %uf = arith.uitofp %neg : tensor<4xi32> to tensor<4xf32>
  %c8 = arith.constant 8 : index
  tile.store %uf, %o[%c8] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %t8 = arith.trunci %neg : tensor<4xi32> to tensor<4xi8>
  %su = arith.extui %t8 : tensor<4xi8> to tensor<4xi32>
  tile.store %su, %oi[%c4] strides[%c1] : tensor<4xi32> -> !tile.ptr<i32>
  %ss = arith.extsi %t8 : tensor<4xi8> to tensor<4xi32>
  tile.store %ss, %oi[%c8] strides[%c1] : tensor<4xi32> -> !tile.ptr<i32>
  %bits = arith.bitcast %v : tensor<4xf32> to tensor<4xi32>
  %c12 = arith.constant 12 : index
  tile.store %bits, %oi[%c12] strides[%c1] : tensor<4xi32> -> !tile.ptr<i32>
  %fb = arith.bitcast %neg : tensor<4xi32> to tensor<4xf32>
  tile.store %fb, %o[%c12] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %tr = arith.truncf %v : tensor<4xf32> to tensor<4xf8E4M3FN>
  %big = arith.constant dense<1000.0> : tensor<4xf32>
  %trb = arith.truncf %big : tensor<4xf32> to tensor<4xf8E4M3FN>
  %ex = arith.extf %trb : tensor<4xf8E4M3FN> to tensor<4xf32>
  %c16 = arith.constant 16 : index
  tile.store %ex, %o[%c16] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  %h = arith.constant -1.5 : bf16
  %hb = arith.bitcast %h : bf16 to i16
  %hz = arith.extui %hb : i16 to i32
  %ic = arith.index_castui %hz : i32 to index
  %back = arith.index_cast %ic : index to i32
  %hs = tile.splat %back : tensor<1xi32>
  %c16i = arith.constant 16 : index
  tile.store %hs, %oi[%c16i] strides[%c1] : tensor<1xi32> -> !tile.ptr<i32>
  %sf = arith.sitofp %neg : tensor<4xi32> to tensor<4xf32>
  %su2 = arith.fptoui %w : tensor<4xf32> to tensor<4xi32>
  %sum = arith.addi %su2, %neg : tensor<4xi32>
  %c17 = arith.constant 17 : index
  tile.store %sum, %oi[%c17] strides[%c1] : tensor<4xi32> -> !tile.ptr<i32>
  %c20 = arith.constant 20 : index
  tile.store %sf, %o[%c20] strides[%c1] : tensor<4xf32> -> !tile.ptr<f32>
  tile.return
}
)mlir";
  Guarded<float> o(std::vector<float>(24, 0.0f));
  Guarded<int32_t> oi(std::vector<int32_t>(21, 0));
  KernelArgs args;
  args.addPointer(o.data());
  args.addPointer(oi.data());
  args.addI32(1);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  const float v[4] = {1.0f, -2.5f, 3.0f, 0.5f};
  const int32_t neg[4] = {-1, 2, -3, 200};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(o[i], v[i]) << "scalar condition true";
    EXPECT_EQ(o[4 + i], (i == 0 || i == 3) ? v[i] : 7.0f);
    EXPECT_EQ(oi[i], static_cast<int32_t>(-v[i])) << "fptosi truncates";
    EXPECT_EQ(o[8 + i], static_cast<float>(static_cast<uint32_t>(neg[i])));
    EXPECT_EQ(oi[4 + i], static_cast<uint8_t>(neg[i]));
    EXPECT_EQ(oi[8 + i], static_cast<int8_t>(neg[i]));
    EXPECT_EQ(oi[12 + i], static_cast<int32_t>(std::bit_cast<uint32_t>(v[i])));
    EXPECT_EQ(std::bit_cast<uint32_t>(o[12 + i]), static_cast<uint32_t>(neg[i]));
    EXPECT_EQ(o[16 + i], 448.0f) << "truncf to f8E4M3FN saturates";
    EXPECT_EQ(oi[17 + i], 7 + neg[i]);
    EXPECT_EQ(o[20 + i], static_cast<float>(neg[i]));
  }
  EXPECT_EQ(oi[16], floatToBf16(-1.5f)) << "bf16 bits zero-extended";
}

TEST_F(ArithMath, MathOnTiles) {
  std::vector<std::string> names = {
      "math.exp",  "math.exp2", "math.log",  "math.log2", "math.log1p",
      "math.sqrt", "math.rsqrt", "math.tanh", "math.absf", "math.floor",
      "math.ceil", "math.round", "math.sin",  "math.cos",  "math.erf"};
  std::vector<std::function<float(float)>> fns = {
      [](float x) { return std::exp(x); },   [](float x) { return std::exp2(x); },
      [](float x) { return std::log(x); },   [](float x) { return std::log2(x); },
      [](float x) { return std::log1p(x); }, [](float x) { return std::sqrt(x); },
      [](float x) { return 1.0f / std::sqrt(x); },
      [](float x) { return std::tanh(x); },  [](float x) { return std::fabs(x); },
      [](float x) { return std::floor(x); }, [](float x) { return std::ceil(x); },
      [](float x) { return std::round(x); }, [](float x) { return std::sin(x); },
      [](float x) { return std::cos(x); },   [](float x) { return std::erf(x); }};
  std::vector<float> xv = {0.5f, 2.5f, 1.75f, -0.5f, 3.0f, -2.5f};
  const int n = 6;
  std::string src =
      "tile.kernel @k(%a: !tile.ptr<f32>, %o: !tile.ptr<f32>, %ob: !tile.ptr<bf16>) {\n"
      "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"
      "  %t = tile.load %a[%c0] strides[%c1] : !tile.ptr<f32> -> tensor<6xf32>\n"
      "  %tb = tile.cast %t : tensor<6xf32> -> tensor<6xbf16>\n";
  for (size_t i = 0; i < names.size(); ++i) {
    std::string id = std::to_string(i);
    src += "  %r" + id + " = " + names[i] + " %t : tensor<6xf32>\n";
    src += "  %off" + id + " = arith.constant " + std::to_string(i * n) + " : index\n";
    src += "  tile.store %r" + id + ", %o[%off" + id +
           "] strides[%c1] : tensor<6xf32> -> !tile.ptr<f32>\n";
    src += "  %b" + id + " = " + names[i] + " %tb : tensor<6xbf16>\n";
    src += "  tile.store %b" + id + ", %ob[%off" + id +
           "] strides[%c1] : tensor<6xbf16> -> !tile.ptr<bf16>\n";
  }
  // Ternary and integer math.
  src += "  %f = math.fma %t, %t, %t : tensor<6xf32>\n"
         "  %offf = arith.constant 90 : index\n"
         "  tile.store %f, %o[%offf] strides[%c1] : tensor<6xf32> -> !tile.ptr<f32>\n"
         "  %ti = tile.cast %t : tensor<6xf32> -> tensor<6xi32>\n"
         "  %ai = math.absi %ti : tensor<6xi32>\n"
         "  %af = tile.cast %ai : tensor<6xi32> -> tensor<6xf32>\n"
         "  %offa = arith.constant 96 : index\n"
         "  tile.store %af, %o[%offa] strides[%c1] : tensor<6xf32> -> !tile.ptr<f32>\n"
         "  tile.return\n}\n";
  Guarded<float> a(xv), o(std::vector<float>(102, 0.0f));
  Guarded<uint16_t> ob(std::vector<uint16_t>(90, 0));
  KernelArgs args;
  for (void *p : {a.data(), o.data(), ob.data()})
    args.addPointer(p);
  ASSERT_NO_FATAL_FAILURE(run(src, args));
  for (size_t op = 0; op < names.size(); ++op)
    for (int i = 0; i < n; ++i) {
      float want = fns[op](xv[i]);
      float wantBf = roundBf16(fns[op](roundBf16(xv[i])));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(o[op * n + i])) << names[op] << " " << i;
        EXPECT_TRUE(std::isnan(bf16ToFloat(ob[op * n + i])));
        continue;
      }
      // Same f32 libm evaluation: bit-exact.
      EXPECT_EQ(o[op * n + i], want) << names[op] << " " << i;
      EXPECT_EQ(bf16ToFloat(ob[op * n + i]), wantBf) << names[op] << " bf16 " << i;
    }
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(o[90 + i], std::fma(xv[i], xv[i], xv[i]));
    EXPECT_EQ(o[96 + i], std::fabs(std::trunc(xv[i])));
  }
  EXPECT_EQ(o[11 * n + 1], 3.0f) << "math.round: half away from zero";
  EXPECT_EQ(o[11 * n + 5], -3.0f);
}

} // namespace
