//===- MtpTest.cpp - mtp.mlir ----------------------------------------------===//
//
// (a) cpu vs reference on random inputs (aligned, ragged n and d, hc 4 and
//     1). Tolerance 0: each output is one f32 addition of two bf16 values
//     and one bf16 rounding, both specified exactly.
// (b) reference vs the official `e_proj(e).unsqueeze(2) + h_proj(x)` in
//     plain C++ (the same f32 addition and bf16 rounding), bit-exact; also
//     with out aliasing h (in place).
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;
using v4::cases::mtpCase;

namespace {

TEST(MtpInput, CpuMatchesReference) {
  expectCpuMatchesReference(mtpCase(8, 4, 512));
  expectCpuMatchesReference(mtpCase(7, 4, 300));
  expectCpuMatchesReference(mtpCase(1, 1, 70));
}

void checkOfficial(int64_t n, int64_t hc, int64_t d, bool inPlace,
                   uint64_t seed) {
  std::mt19937_64 gen(seed);
  HostTensor e = randomBf16(gen, {n, d}, -8, 8);
  HostTensor h = randomBf16(gen, {n, hc, d}, -8, 8);
  HostTensor hIn = h;
  HostTensor outBuf(T::BF16, {n, hc, d});
  HostTensor &out = inPlace ? h : outBuf;
  ASSERT_TRUE(launch(Target::Reference, kernelSource("mtp.mlir", "mtp_input"),
                     "mtp_input",
                     {KArg::buf(e), KArg::buf(h), KArg::buf(out), KArg::idx(n),
                      KArg::idx(hc), KArg::idx(d)},
                     {ceilDiv(n, 4), ceilDiv(d, 256), 1}));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t c = 0; c < hc; ++c)
      for (int64_t k = 0; k < d; ++k) {
        float want = float(bf16Value(bf16Data(e)[t * d + k])) +
                     float(bf16Value(bf16Data(hIn)[(t * hc + c) * d + k]));
        ASSERT_EQ(bf16Data(out)[(t * hc + c) * d + k], toBf16(want))
            << "out[" << t << "," << c << "," << k << "]";
      }
}

TEST(MtpInput, ReferenceMatchesOfficial) {
  checkOfficial(6, 4, 300, false, 1);
  checkOfficial(5, 4, 512, true, 2);
}

} // namespace
