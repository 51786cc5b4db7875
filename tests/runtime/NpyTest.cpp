//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

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

std::string readError(const std::string &name, const std::string &bytes,
                      std::optional<ElementType> expected = std::nullopt) {
  std::string path = tempPath(name);
  spit(path, bytes);
  HostTensor t;
  std::string error;
  EXPECT_FALSE(readNpy(path, t, error, expected)) << name;
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
  const ElementType types[] = {ElementType::I1,       ElementType::I8,
                               ElementType::I32,      ElementType::I64,
                               ElementType::F16,      ElementType::BF16,
                               ElementType::F32,      ElementType::F8E4M3FN,
                               ElementType::F4E2M1FN, ElementType::F8E8M0FNU};
  for (ElementType type : types) {
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{3, 5}, {2, 3, 7}, {7}, {1}, {}, {0, 4}}) {
      HostTensor t(type, shape);
      fillRandom(t, 11);
      std::string path = tempPath(std::string("rt_") + elementTypeName(type));
      std::string error;
      ASSERT_TRUE(writeNpy(path, t, error)) << error;
      EXPECT_EQ(slurp(path).find("dsv4c_dtype"), std::string::npos);
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
  // f4E2M1FN: unpacked, one code per byte, logical shape.
  HostTensor t(ElementType::F4E2M1FN, {2, 3});
  t.storage = {0x21, 0x43, 0xF5};
  ASSERT_TRUE(writeNpy(path, t, error));
  std::string bytes = slurp(path);
  EXPECT_NE(bytes.find("{'descr': [('f4E2M1FN', '|u1')], 'fortran_order': "
                       "False, 'shape': (2, 3), }"),
            std::string::npos)
      << bytes;
  ASSERT_EQ(bytes.size(), 128u + 6u);
  EXPECT_EQ(bytes.substr(128), std::string("\x01\x02\x03\x04\x05\x0F", 6));
  EXPECT_EQ(bytes.find("dsv4c_dtype"), std::string::npos);

  struct {
    ElementType type;
    const char *descr;
  } cases[] = {{ElementType::BF16, "'descr': [('bf16', '<u2')]"},
               {ElementType::F8E4M3FN, "'descr': [('f8E4M3FN', '|u1')]"},
               {ElementType::F8E8M0FNU, "'descr': [('f8E8M0FNU', '|u1')]"},
               {ElementType::I1, "'descr': '|b1'"},
               {ElementType::I8, "'descr': '|i1'"},
               {ElementType::I32, "'descr': '<i4'"},
               {ElementType::I64, "'descr': '<i8'"},
               {ElementType::F16, "'descr': '<f2'"}};
  for (const auto &c : cases) {
    HostTensor b(c.type, {5});
    ASSERT_TRUE(writeNpy(path, b, error));
    bytes = slurp(path);
    EXPECT_NE(bytes.find(c.descr), std::string::npos) << bytes;
    EXPECT_NE(bytes.find("'shape': (5,)"), std::string::npos);
    EXPECT_EQ(bytes.find("dsv4c_dtype"), std::string::npos);
    EXPECT_EQ(bytes.size() % 64, size_t(storageBytes(c.type, 5)) % 64);
  }
}

TEST(Npy, F4OddRowsUnpackAndRepack) {
  // 3 rows of 5: rows start mid-byte in HostTensor's packed storage.
  HostTensor t(ElementType::F4E2M1FN, {3, 5});
  fillRandom(t, 7);
  std::string path = tempPath("f4odd.npy"), error;
  ASSERT_TRUE(writeNpy(path, t, error)) << error;
  std::string bytes = slurp(path);
  ASSERT_EQ(bytes.size(), 128u + 15u);
  for (int64_t i = 0; i < 15; ++i) {
    uint8_t code = t.storage[size_t(i / 2)];
    code = (i % 2) ? code >> 4 : code & 0xF;
    EXPECT_EQ(uint8_t(bytes[128 + size_t(i)]), code) << i;
  }
  HostTensor back;
  ASSERT_TRUE(readNpy(path, back, error)) << error;
  EXPECT_EQ(back.shape, t.shape);
  EXPECT_EQ(back.storage, t.storage);
  EXPECT_EQ(back.storage.size(), 8u);
  EXPECT_EQ(back.storage[7] >> 4, 0); // the pad nibble stays zero

  // Codes above 15 are not f4 codes.
  spit(path, makeNpy("{'descr': [('f4E2M1FN', '|u1')], 'fortran_order': "
                     "False, 'shape': (3,)}",
                     std::string("\x01\x1F\x02", 3)));
  EXPECT_FALSE(readNpy(path, back, error));
  EXPECT_NE(error.find("f4E2M1FN element 1 is 0x1f"), std::string::npos)
      << error;
  // One code per byte: a packed-size payload is truncated.
  spit(path, makeNpy("{'descr': [('f4E2M1FN', '|u1')], 'fortran_order': "
                     "False, 'shape': (2, 3)}",
                     std::string(3, '\x01')));
  EXPECT_FALSE(readNpy(path, back, error));
  EXPECT_NE(error.find("truncated: header says 2x3 f4E2M1FN (one code per "
                       "byte) = 6 bytes, file has 3"),
            std::string::npos)
      << error;
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
  // Structured descr with double quotes, odd whitespace, trailing commas.
  spit(path, makeNpy("{\"descr\":[ ( \"bf16\" ,\"<u2\" ,) , ],"
                     "\"fortran_order\" :False,\"shape\":( 1 , ) ,}",
                     std::string("\x80\x3F", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::BF16);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  spit(path, makeNpy("{'descr':[('f8E8M0FNU','<u1')],'fortran_order':False,"
                     "'shape':(2,)}",
                     std::string("\x7F\x80", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::F8E8M0FNU);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  EXPECT_EQ(loadFloat(t.data(), t.type, 1), 2.0f);
  // What NumPy itself writes for such an array, version 1.0.
  spit(path, makeNpy("{'descr': [('f8E4M3FN', '|u1')], 'fortran_order': "
                     "False, 'shape': (1, 1), }",
                     std::string("\x38", 1)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::F8E4M3FN);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  // A file that names its type is read as that type whatever is expected.
  spit(path, makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': ()}",
                     std::string(4, '\0')));
  ASSERT_TRUE(readNpy(path, t, error, ElementType::BF16)) << error;
  EXPECT_EQ(t.type, ElementType::F32);
  // 1-byte types with any byte-order character.
  spit(path, makeNpy("{'descr': '<i1', 'fortran_order': False, 'shape': ()}",
                     std::string("\xFF", 1)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::I8);
  EXPECT_EQ(loadInt(t.data(), t.type, 0), -1);
  // Bools other than 0/1 become 1.
  spit(path, makeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}",
                     std::string("\x00\x07", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.storage[1], 1);
}

TEST(Npy, ReadsOldDsv4cFormat) {
  std::string path = tempPath("old.npy"), error;
  HostTensor t;
  // bf16 as '<V2' without the extra key; as '<V2' or '<u2' with it.
  spit(path, makeNpy("{'descr': '<V2', 'fortran_order': False, 'shape': (1,)}",
                     std::string("\x80\x3F", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::BF16);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  spit(path, makeNpy("{'descr': '<V2', 'fortran_order': False, 'shape': (1,),"
                     " 'dsv4c_dtype': 'bf16', }",
                     std::string("\x80\xBF", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::BF16);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), -1.0f);
  spit(path, makeNpy("{'descr': '<u2', 'fortran_order': False, 'shape': (1,),"
                     " 'dsv4c_dtype': 'bf16'}",
                     std::string("\x00\x40", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::BF16);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 2.0f);
  // f8 codes as '|u1' with the key.
  spit(path, makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,),"
                     " 'dsv4c_dtype': 'f8E4M3FN'}",
                     std::string("\x38\xB8", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::F8E4M3FN);
  EXPECT_EQ(loadFloat(t.data(), t.type, 1), -1.0f);
  spit(path, makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,),"
                     " 'dsv4c_dtype': 'f8E8M0FNU'}",
                     std::string("\x7E", 1)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::F8E8M0FNU);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 0.5f);
  // f4 packed two per byte in the old format: 3 codes in 2 bytes.
  spit(path, makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,),"
                     " 'dsv4c_dtype': 'f4E2M1FN'}",
                     std::string("\x21\x03", 2)));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::F4E2M1FN);
  EXPECT_EQ(t.shape, std::vector<int64_t>{3});
  EXPECT_EQ(t.storage, (std::vector<uint8_t>{0x21, 0x03}));
  // The key on an ordinary type must agree with the descr.
  spit(path, makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,),"
                     " 'dsv4c_dtype': 'f32'}",
                     std::string(4, '\0')));
  ASSERT_TRUE(readNpy(path, t, error)) << error;
  EXPECT_EQ(t.type, ElementType::F32);
}

TEST(Npy, ExpectedTypeResolvesPlainUints) {
  std::string path = tempPath("plain.npy"), error;
  HostTensor t;
  const std::string u2 =
      makeNpy("{'descr': '<u2', 'fortran_order': False, 'shape': (2,)}",
              std::string("\x80\x3F\x00\xC0", 4));
  spit(path, u2);
  ASSERT_TRUE(readNpy(path, t, error, ElementType::BF16)) << error;
  EXPECT_EQ(t.type, ElementType::BF16);
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  EXPECT_EQ(loadFloat(t.data(), t.type, 1), -2.0f);

  const std::string u1 =
      makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,)}",
              std::string("\x38\x40\x07", 3));
  spit(path, u1);
  ASSERT_TRUE(readNpy(path, t, error, ElementType::F8E4M3FN)) << error;
  EXPECT_EQ(t.type, ElementType::F8E4M3FN);
  EXPECT_EQ(t.storage, (std::vector<uint8_t>{0x38, 0x40, 0x07}));
  EXPECT_EQ(loadFloat(t.data(), t.type, 0), 1.0f);
  ASSERT_TRUE(readNpy(path, t, error, ElementType::F8E8M0FNU)) << error;
  EXPECT_EQ(t.type, ElementType::F8E8M0FNU);
  EXPECT_EQ(t.storage, (std::vector<uint8_t>{0x38, 0x40, 0x07}));
  // f4: one code per byte, packed back two per byte.
  EXPECT_FALSE(readNpy(path, t, error, ElementType::F4E2M1FN));
  EXPECT_NE(error.find("f4E2M1FN element 0 is 0x38"), std::string::npos)
      << error;
  spit(path, makeNpy("{'descr': '|u1', 'fortran_order': False, "
                     "'shape': (1, 3)}",
                     std::string("\x01\x0A\x0F", 3)));
  ASSERT_TRUE(readNpy(path, t, error, ElementType::F4E2M1FN)) << error;
  EXPECT_EQ(t.type, ElementType::F4E2M1FN);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(t.storage, (std::vector<uint8_t>{0xA1, 0x0F}));

  // Without a fitting expectation the plain uints are refused.
  std::string e = readError("plain_u2.npy", u2);
  EXPECT_NE(e.find("dtype '<u2' (plain uint16) does not say which dsv4c "
                   "type it holds; save it with dtype [('bf16', '<u2')]"),
            std::string::npos)
      << e;
  e = readError("plain_u2_f32.npy", u2, ElementType::F32);
  EXPECT_NE(e.find("cannot be read as f32"), std::string::npos) << e;
  e = readError("plain_u2_f8.npy", u2, ElementType::F8E4M3FN);
  EXPECT_NE(e.find("cannot be read as f8E4M3FN"), std::string::npos) << e;
  e = readError("plain_u1.npy", u1);
  EXPECT_NE(e.find("[('f8E4M3FN', '|u1')]"), std::string::npos) << e;
  e = readError("plain_u1_bf16.npy", u1, ElementType::BF16);
  EXPECT_NE(e.find("cannot be read as bf16"), std::string::npos) << e;
  e = readError("plain_u1_i8.npy", u1, ElementType::I8);
  EXPECT_NE(e.find("cannot be read as i8"), std::string::npos) << e;
}

TEST(Npy, StructuredDescrMismatches) {
  auto file = [](const std::string &descr, const std::string &extra = "") {
    return makeNpy("{'descr': " + descr +
                       ", 'fortran_order': False, 'shape': (1,)" + extra + "}",
                   std::string(2, '\0'));
  };
  std::string e;
  e = readError("s_name.npy", file("[('bf17', '<u2')]"));
  EXPECT_NE(e.find("unsupported structured field name 'bf17'"),
            std::string::npos)
      << e;
  e = readError("s_f32.npy", file("[('f32', '<f4')]"));
  EXPECT_NE(e.find("unsupported structured field name 'f32'"),
            std::string::npos)
      << e;
  // The field's storage type must be the one its name calls for.
  e = readError("s_bf16u1.npy", file("[('bf16', '|u1')]"));
  EXPECT_NE(e.find("structured field 'bf16' has type '|u1'; it must be "
                   "'<u2'"),
            std::string::npos)
      << e;
  e = readError("s_f8u2.npy", file("[('f8E4M3FN', '<u2')]"),
                ElementType::F8E4M3FN);
  EXPECT_NE(e.find("structured field 'f8E4M3FN' has type '<u2'; it must "
                   "be '|u1'"),
            std::string::npos)
      << e;
  e = readError("s_two.npy", file("[('bf16', '<u2'), ('x', '<u2')]"));
  EXPECT_NE(e.find("structured dtype with 2 fields"), std::string::npos) << e;
  e = readError("s_none.npy", file("[]"));
  EXPECT_NE(e.find("structured dtype with 0 fields"), std::string::npos) << e;
  e = readError("s_sub.npy", file("[('bf16', '<u2', (2,))]"));
  EXPECT_NE(e.find("not a (name, type) pair"), std::string::npos) << e;
  e = readError("s_notuple.npy", file("['bf16']"));
  EXPECT_NE(e.find("not a (name, type) pair"), std::string::npos) << e;
  e = readError("s_extra.npy",
                file("[('bf16', '<u2')]", ", 'dsv4c_dtype': 'bf16'"));
  EXPECT_NE(e.find("cannot be combined"), std::string::npos) << e;
  e = readError("s_int.npy", file("7"));
  EXPECT_NE(e.find("'descr' is neither"), std::string::npos) << e;
  e = readError("s_deep.npy",
                file(std::string(40, '[') + std::string(40, ']')));
  EXPECT_NE(e.find("malformed header"), std::string::npos) << e;
  e = readError("s_open.npy", file("[('bf16', '<u2')"));
  EXPECT_NE(e.find("malformed header"), std::string::npos) << e;
  e = readError("s_shape.npy",
                makeNpy("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': ('a',)}",
                        ""));
  EXPECT_NE(e.find("'shape' holds something other than"), std::string::npos)
      << e;

  // A well-formed file naming another type than the caller expects is read
  // as what it says; the caller reports the mismatch.
  std::string path = tempPath("s_other.npy"), error;
  spit(path, file("[('f8E4M3FN', '|u1')]").substr(0, 128) + std::string(1, 0));
  HostTensor t;
  ASSERT_TRUE(readNpy(path, t, error, ElementType::BF16)) << error;
  EXPECT_EQ(t.type, ElementType::F8E4M3FN);
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

  e = readError("be.npy", makeNpy("{'descr': '>f8', 'fortran_order': False, "
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
  EXPECT_NE(e.find("does not say which dsv4c type"), std::string::npos) << e;

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
  e = readError("huge.npy", makeNpy("{'descr': '<f4', 'fortran_order': False, "
                                    "'shape': (1000000000, 1000000000)}",
                                    ""));
  EXPECT_NE(e.find("too large"), std::string::npos) << e;
  e = readError("struct.npy",
                makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                        "'shape': (1,)}",
                        std::string(4, '\0')));
  EXPECT_NE(e.find("unsupported structured field name 'a'"), std::string::npos)
      << e;

  HostTensor t;
  std::string error;
  EXPECT_FALSE(readNpy(tempPath("does_not_exist.npy"), t, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(Npy, GarbageNeverCrashes) {
  // Every prefix of a valid file, and byte flips in its header, fail cleanly
  // or succeed; none crash. Structured descrs (bf16, f4) and a plain one.
  for (ElementType type :
       {ElementType::BF16, ElementType::F4E2M1FN, ElementType::I32}) {
    HostTensor t(type, {3, 5});
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
    // Flip bits in the magic, length and dict (not the padding): every bit
    // for the first type, two per byte for the others (file I/O is slow).
    size_t dictEnd = good.find('}') + 2;
    for (size_t i = 0; i < dictEnd; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        if (type != ElementType::BF16 && bit != 0 && bit != 5)
          continue;
        std::string mutated = good;
        mutated[i] = char(mutated[i] ^ (1 << bit));
        spit(bad, mutated);
        HostTensor out;
        readNpy(bad, out, error, type);
      }
    }
  }
}

// Files with fixed contents for tests/runtime/npy_numpy_check.py, which
// np.load()s them, and re-saves them with np.save for this test to read.
// With DSV4C_NPY_FROM_NUMPY=DIR: read DIR/<type>.npy (and DIR/plain_<type>.npy
// for the types kept as plain uints) and check them. Otherwise write the
// files into $DSV4C_NPY_EXPORT_DIR (or a temp dir) and read them back.
namespace {

struct Pattern {
  ElementType type;
  std::vector<int64_t> shape;
};

const Pattern kPatterns[] = {
    {ElementType::F32, {2, 3}},    {ElementType::F16, {4}},
    {ElementType::I8, {5}},        {ElementType::I32, {2, 2}},
    {ElementType::I64, {3}},       {ElementType::I1, {5}},
    {ElementType::BF16, {2, 3}},   {ElementType::F8E4M3FN, {7}},
    {ElementType::F8E8M0FNU, {4}}, {ElementType::F4E2M1FN, {3, 5}},
};

/// Element i of each pattern; npy_numpy_check.py computes the same.
HostTensor makePattern(const Pattern &p) {
  HostTensor t(p.type, p.shape);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    switch (p.type) {
    case ElementType::F32:
    case ElementType::F16:
      storeFloat(t.data(), p.type, i, float(i) * 0.5f - 1.0f);
      break;
    case ElementType::I8:
      storeInt(t.data(), p.type, i, i * 3 - 7);
      break;
    case ElementType::I32:
      storeInt(t.data(), p.type, i, i * 100000 - 7);
      break;
    case ElementType::I64:
      storeInt(t.data(), p.type, i, i * (int64_t(1) << 40) - 5);
      break;
    case ElementType::I1:
      storeInt(t.data(), p.type, i, i % 2);
      break;
    case ElementType::BF16: {
      uint16_t bits = uint16_t(0x3F80 + i);
      std::memcpy(t.storage.data() + 2 * i, &bits, 2);
      break;
    }
    case ElementType::F8E4M3FN:
      t.storage[size_t(i)] = uint8_t(i * 37 % 256);
      break;
    case ElementType::F8E8M0FNU:
      t.storage[size_t(i)] = uint8_t(120 + i);
      break;
    case ElementType::F4E2M1FN:
      t.storage[size_t(i / 2)] |= uint8_t((i % 16) << (i % 2 ? 4 : 0));
      break;
    }
  }
  return t;
}

void checkPatternFile(const std::string &path, const Pattern &p,
                      std::optional<ElementType> expected = std::nullopt) {
  HostTensor back;
  std::string error;
  ASSERT_TRUE(readNpy(path, back, error, expected)) << error;
  HostTensor want = makePattern(p);
  EXPECT_EQ(back.type, want.type) << path;
  EXPECT_EQ(back.shape, want.shape) << path;
  EXPECT_EQ(back.storage, want.storage) << path;
}

} // namespace

TEST(Npy, InterchangeFiles) {
  if (const char *fromNumpy = std::getenv("DSV4C_NPY_FROM_NUMPY")) {
    std::string dir = std::string(fromNumpy) + "/";
    for (const Pattern &p : kPatterns) {
      std::string name = elementTypeName(p.type);
      checkPatternFile(dir + name + ".npy", p);
      if (p.type == ElementType::BF16 || p.type == ElementType::F8E4M3FN ||
          p.type == ElementType::F8E8M0FNU || p.type == ElementType::F4E2M1FN)
        checkPatternFile(dir + "plain_" + name + ".npy", p, p.type);
    }
    return;
  }
  std::string dir;
  if (const char *exportDir = std::getenv("DSV4C_NPY_EXPORT_DIR")) {
    dir = std::string(exportDir) + "/";
  } else {
    dir = tempPath("interchange/");
    mkdir(dir.c_str(), 0755);
  }
  for (const Pattern &p : kPatterns) {
    std::string path = dir + elementTypeName(p.type) + ".npy", error;
    ASSERT_TRUE(writeNpy(path, makePattern(p), error)) << error;
    checkPatternFile(path, p);
  }
}
