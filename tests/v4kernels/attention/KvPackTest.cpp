//===- KvPackTest.cpp - kv_pack.mlir
//----------------------------------------===//
//
// (a) cpu vs reference on random rows into random distinct entries: V4's
//     512-wide rows and a strided row layout. Tolerance 0: with a
//     power-of-two scale every step is exact or a single specified rounding
//     (to e4m3, ties to even).
// (b) reference vs the official act_quant(kv[..., :448], 64, "ue8m0",
//     inplace=True) (later revision: inner rounding to e4m3) written here in
//     plain C++, then read back from the 584-byte entries as FlashMLA lays
//     them out: per row and block of 64, amax = max(max|x|, 1e-4),
//     s = 2^ceil(log2(f32(amax * f32(1/448)))); the entry holds e4m3(x / s)
//     at bytes [0, 448), s as ue8m0 at 576 + block, the rope dims verbatim as
//     bf16 at [448, 576). Decoding it, bf16(e4m3 * s), must equal the
//     official fake-quantised row (tolerance 0). The inputs span 2^-30..2^10
//     per block, include an all-zero block and blocks below the 1e-4 floor,
//     so e4m3 subnormals, underflow to 0 and the floor are exercised. The
//     padding byte, the entries no row names and a row's with slot -1 (a
//     decode run's sequences that emit nothing) stay 0.
//
//===----------------------------------------------------------------------===//
#include "AttnTestUtil.h"

#include "models/v4/KvCacheLayout.h"

using namespace dsv4c;
using namespace dsv4c::attntest;
using v4::kKvEntryBytes;
using v4::cases::packCase;

namespace {

const char *kFile = "kv_pack.mlir";

TEST(KvPack, CpuMatchesReference) {
  expectCpuMatchesReference(packCase("v4_37x512", 37, 512));
  expectCpuMatchesReference(packCase("strided_5x576", 5, 576));
}

TEST(KvPack, EntriesDecodeToOfficialActQuant) {
  const int64_t rows = 19, ld = 512, nq = 448, entries = 40;
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::uniform_int_distribution<int> ex(-30, 10);
  HostTensor x(T::BF16, {rows, ld});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t blk = 0; blk < ld / 64; ++blk) {
      int e = ex(gen); // one magnitude per block, values spread below it
      for (int64_t j = 0; j < 64; ++j) {
        double v = u(gen) * std::ldexp(1.0, e) * std::pow(2.0, -8 * u(gen) - 8);
        if (r == 3 && blk == 2)
          v = 0; // all-zero block: scale from the 1e-4 floor
        if (r == 4)
          v = u(gen) * 1e-6; // below the floor
        bf16Data(x)[r * ld + blk * 64 + j] = toBf16(float(v));
      }
    }
  // Row r goes to entry 2r + 1 (even entries stay empty), but row kSkipped
  // has slot -1: it is not written (entry 2 kSkipped + 1 stays empty).
  const int64_t kSkipped = 5;
  HostTensor slots(T::I32, {rows});
  for (int64_t r = 0; r < rows; ++r)
    i32Data(slots)[r] = r == kSkipped ? -1 : int32_t(2 * r + 1);
  HostTensor cache(T::I8, {entries, kKvEntryBytes});
  ASSERT_TRUE(launch(
      Target::Reference, kernelSource(kFile, "kv_pack"), "kv_pack",
      {KArg::buf(x), KArg::buf(slots), KArg::buf(cache), KArg::buf(cache),
       KArg::buf(cache), KArg::idx(rows), KArg::idx(ld)},
      {rows, 1, 1}));
  const uint8_t *bytes = byteData(cache);
  int mismatches = 0, subnormals = 0, zeros = 0;
  std::string first;
  auto expect = [&](bool ok, const std::string &what) {
    if (!ok && mismatches++ == 0)
      first = what;
  };
  for (int64_t e = 0; e < entries; ++e) {
    const uint8_t *entry = bytes + e * kKvEntryBytes;
    if (e % 2 == 0 || (e - 1) / 2 >= rows || (e - 1) / 2 == kSkipped) {
      for (int64_t i = 0; i < kKvEntryBytes; ++i)
        expect(entry[i] == 0, "entry " + std::to_string(e) + " written");
      continue;
    }
    const int64_t r = (e - 1) / 2;
    for (int64_t blk = 0; blk < nq / 64; ++blk) {
      float amax = 0;
      for (int64_t j = 0; j < 64; ++j)
        amax =
            std::max(amax, float(std::fabs(bf16At(x, r * ld + blk * 64 + j))));
      double s = pow2Scale(amax, 1e-4f, 1.0f / 448.0f);
      uint8_t code = entry[v4::kKvScaleOffset + blk];
      expect(std::ldexp(1.0, int(code) - 127) == s,
             "scale" + at({r, blk}) + ": code " + std::to_string(code));
      for (int64_t j = 0; j < 64; ++j) {
        double in = bf16At(x, r * ld + blk * 64 + j);
        double q = roundE4m3(in / s);
        subnormals += q != 0 && std::fabs(q) < std::ldexp(1.0, -6);
        zeros += q == 0 && in != 0;
        double want = roundBf16(q * s);
        double got = roundBf16(e4m3Value(entry[blk * 64 + j]) * s);
        expect(got == want, "x" + at({r, blk * 64 + j}) + ": got " +
                                std::to_string(got) + ", want " +
                                std::to_string(want));
      }
    }
    for (int64_t j = 0; j < 64; ++j) {
      uint16_t rope;
      std::memcpy(&rope, entry + v4::kKvRopeOffset + 2 * j, 2);
      expect(rope == bf16Data(x)[r * ld + nq + j],
             "rope" + at({r, j}) + " not copied");
    }
    expect(entry[kKvEntryBytes - 1] == 0,
           "padding of entry " + std::to_string(e));
  }
  EXPECT_EQ(mismatches, 0) << first;
  EXPECT_GT(subnormals, 0); // the test reaches e4m3 subnormals
  EXPECT_GT(zeros, 0);      // and values that round to 0
}

} // namespace
