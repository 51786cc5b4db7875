//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>

using namespace dsv4c;

namespace {

std::string tempPath(const std::string &name) {
  return testing::TempDir() + "dsv4c_npy_" + name;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

void spit(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

/// A v1.0 file with `dict` as its header (padded to 64) and `data` after it.
std::string makeNpy(const std::string &dict, const std::string &data,
                    int major = 1) {
  int lenBytes = major == 1 ? 2 : 4;
  size_t unpadded = 8 + lenBytes + dict.size() + 1;
  size_t padded = (unpadded + 63) / 64 * 64;
  std::string header = dict + std::string(padded - unpadded, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += char(major);
  out += char(0);
  for (int i = 0; i < lenBytes; ++i)
    out += char((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string readError(const std::string &name, const std::string &bytes) {
  std::string path = tempPath(name);
  spit(path, bytes);
  HostTensor t;
  std::string error;
  EXPECT_FALSE(readNpy(path, t, error)) << name;
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  return error;
}

} // namespace

TEST(Npy, F32RoundTripAndExactBytes) {
  HostTensor t(ElementType::F32, {4, 8});
  fillRandom(t, 3);
  std::string path = tempPath("f32.npy"), error;
  ASSERT_TRUE(writeNpy(path, t, error)) << error;
  std::string bytes = slurp(path);
  ASSERT_EQ(bytes.size(), 128u + 128u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(bytes[127], '\n');
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (4, 8), }"),
            std::string::npos);
  HostTensor back;
  ASSERT_TRUE(readNpy(path, back, error)) << error;
  EXPECT_EQ(back.type, ElementType::F32);
  EXPECT_EQ(back.shape, t.shape);
  EXPECT_EQ(back.storage, t.storage);
}

TEST(Npy, EveryTypeRoundTrips) {
  const ElementType types[] = {
      ElementType::I1,  ElementType::I8,       ElementType::I32,
      ElementType::I64, ElementType::F16,      ElementType::BF16,
      ElementType::F32, ElementType::F8E4M3FN, ElementType::F4E2M1FN,
      ElementType::F8E8M0FNU};
  for (ElementType type : types) {
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{3, 5}, {7}, {}, {0, 4}}) {
      HostTensor t(type, shape);
      fillRandom(t, 11);
      std::string path = tempPath(std::string("rt_") + elementTypeName(type));
      std::string error;
      ASSERT_TRUE(writeNpy(path, t, error)) << error;
      HostTensor back;
      ASSERT_TRUE(readNpy(path, back, error)) << error;
      EXPECT_EQ(back.type, type) << elementTypeName(type);
      EXPECT_EQ(back.shape, shape);
      EXPECT_EQ(back.storage, t.storage) << elementTypeName(type);
    }
  }
}

TEST(Npy, HeaderSpellings) {
  std::string path = tempPath("hdr.npy"), error;
  HostTensor t(ElementType::F4E2M1FN, {2, 3});
  ASSERT_TRUE(writeNpy(path, t, error));
  std::string bytes = slurp(path);
  EXPECT_NE(bytes.find("'descr': '|u1'"), std::string::npos);
  EXPECT_NE(bytes.find("'shape': (2, 3)"), std::string::npos); // logical
  EXPECT_NE(bytes.find("'dsv4c_dtype': 'f4E2M1FN'"), std::string::npos);
  EXPECT_EQ(bytes.size(), 128u + 3u); // 6 nibbles packed in 3 bytes

  HostTensor b(ElementType::BF16, {5});
  ASSERT_TRUE(writeNpy(path, b, error));
  bytes = slurp(path);
  EXPECT_NE(bytes.find("'descr': '<V2'"), std::string::npos);
  EXPECT_NE(bytes.find("'shape': (5,)"), std::string::npos);
}

TEST(Npy, ReadsOtherSpellings) {
  std::string path = tempPath("spell.npy"), error;
  HostTensor t;
  // v2.0 header, double quotes, no trailing comma, int16-length shape.
  spit(path, makeNpy("{\"descr\": \"<i4\", \"fortran_order\": False, "
                     "\"shape\": (2,)}",
                     std::string(8, '\x01'), 2));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::I32);
  EXPECT_EQ(loadInt(t.data(), t.type, 1), 0x01010101);
  // v3.0
  spit(path, makeNpy("{'descr': '<f2', 'fortran_order': False, 'shape': ()}",
                     std::string("\x00\x3C", 2), 3));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::F16);
  EXPECT_EQ(t.shape.size(), 0u);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  // bf16 as '<V2' without the extra key; as '<u2' with it.
  spit(path, makeNpy("{'descr': '<V2', 'fortran_order': False, 'shape': (1,)}",
                     std::string("\x80\x3F", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::BF16);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  spit(path, makeNpy("{'descr': '<u2', 'fortran_order': False, 'shape': (1,),"
                     " 'dsv4c_dtype': 'bf16'}",
                     std::string("\x00\x40", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::BF16);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 2.0f);
  // Bools other than 0/1 become 1.
  spit(path, makeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}",
                     std::string("\x00\x07", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.storage[1], 1);
}

TEST(Npy, MalformedFiles) {
  const std::string okDict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 8), }";
  std::string e;

  e = readError("trunc.npy", makeNpy(okDict, std::string(100, '\0')));
  EXPECT_NE(e.find("truncated: header says 4x8 f32 = 128 bytes, file has 100"),
            std::string::npos)
      << e;
  e = readError("trail.npy", makeNpy(okDict, std::string(130, '\0')));
  EXPECT_NE(e.find("trailing data"), std::string::npos) << e;

  e = readError("be.npy",
                makeNpy("{'descr': '>f8', 'fortran_order': False, "
                        "'shape': (1,)}",
                        std::string(8, '\0')));
  EXPECT_NE(e.find("unsupported dtype '>f8'"), std::string::npos) << e;

  e = readError("fortran.npy",
                makeNpy("{'descr': '<f4', 'fortran_order': True, "
                        "'shape': (2, 2)}",
                        std::string(16, '\0')));
  EXPECT_NE(e.find("fortran_order"), std::string::npos) << e;

  e = readError("u1.npy", makeNpy("{'descr': '|u1', 'fortran_order': False, "
                                  "'shape': (2,)}",
                                  std::string(2, '\0')));
  EXPECT_NE(e.find("dsv4c_dtype"), std::string::npos) << e;

  e = readError("mismatch.npy",
                makeNpy("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (2,), 'dsv4c_dtype': 'f8E4M3FN'}",
                        std::string(8, '\0')));
  EXPECT_NE(e.find("cannot hold"), std::string::npos) << e;

  e = readError("magic.npy", "PK\x03\x04 this is a zip file");
  EXPECT_NE(e.find("not a .npy file"), std::string::npos) << e;
  e = readError("empty.npy", "");
  EXPECT_NE(e.find("not a .npy file"), std::string::npos) << e;
  e = readError("version.npy", std::string("\x93NUMPY\x09\x00\x10\x00", 10));
  EXPECT_NE(e.find("version 9.0"), std::string::npos) << e;
  e = readError("hdrlen.npy",
                std::string("\x93NUMPY\x01\x00\xFF\x00{'descr'", 17));
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  e = readError("dict.npy", makeNpy("{'descr': '<f4', 'shape': (4, 8", ""));
  EXPECT_NE(e.find("malformed header"), std::string::npos) << e;
  e = readError("noshape.npy",
                makeNpy("{'descr': '<f4', 'fortran_order': False}", ""));
  EXPECT_NE(e.find("shape"), std::string::npos) << e;
  e = readError("negshape.npy",
                makeNpy("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (-1,)}",
                        ""));
  EXPECT_NE(e.find("malformed header"), std::string::npos) << e;
  e = readError("huge.npy",
                makeNpy("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (1000000000, 1000000000)}",
                        ""));
  EXPECT_NE(e.find("too large"), std::string::npos) << e;
  e = readError("struct.npy",
                makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                        "'shape': (1,)}",
                        std::string(4, '\0')));
  EXPECT_NE(e.find("malformed header"), std::string::npos) << e;

  HostTensor t;
  std::string error;
  EXPECT_FALSE(readNpy(tempPath("does_not_exist.npy"), t, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(Npy, GarbageNeverCrashes) {
  // Every prefix of a valid file, and byte flips in its header, fail cleanly
  // or succeed; none crash.
  HostTensor t(ElementType::BF16, {3, 4});
  fillRandom(t, 5);
  std::string path = tempPath("garbage_src.npy"), error;
  ASSERT_TRUE(writeNpy(path, t, error));
  std::string good = slurp(path);
  std::string bad = tempPath("garbage.npy");
  for (size_t n = 0; n < good.size(); ++n) {
    spit(bad, good.substr(0, n));
    HostTensor out;
    EXPECT_FALSE(readNpy(bad, out, error)) << n;
  }
  for (size_t i = 0; i < 128; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string mutated = good;
      mutated[i] = char(mutated[i] ^ (1 << bit));
      spit(bad, mutated);
      HostTensor out;
      readNpy(bad, out, error);
    }
  }
}
