//===- BundleTest.cpp - the bundle container: writing, reading, damage ----===//
#include "runtime/Bundle.h"
#include "runtime/Hash.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace dsv4c;
namespace fs = std::filesystem;

namespace {

// Published XXH64 (seed 0) test vectors.
TEST(Xxh64, KnownVectors) {
  EXPECT_EQ(hashToHex(xxh64("", 0)), "ef46db3751d8e999");
  EXPECT_EQ(hashToHex(xxh64("a", 1)), "d24ec4f1a98c6e5b");
  EXPECT_EQ(hashToHex(xxh64("abc", 3)), "44bc2cf5ad770999");
}

class BundleFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("dsv4c-bundle-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    path = (dir / "b.dsv4").string();
    BundleWriter w;
    w.addBytes("manifest.json", "{\"x\": 1}");
    std::string big(10000, '\0');
    for (size_t i = 0; i < big.size(); ++i)
      big[i] = char(i * 7);
    w.addBytes("kernels/cpu", big);
    w.addBytes("empty", "");
    std::string error;
    ASSERT_TRUE(w.write(path, error)) << error;
    bytes = read(path);
  }
  void TearDown() override { fs::remove_all(dir); }

  static std::string read(const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  std::string writeVariant(const std::string &contents) {
    std::string p = (dir / "variant.dsv4").string();
    std::ofstream(p, std::ios::binary) << contents;
    return p;
  }
  /// The error of opening `contents` (empty when it opens).
  std::string openError(const std::string &contents) {
    std::string p = writeVariant(contents), error;
    auto b = Bundle::open(p, error);
    return b ? "" : error;
  }

  fs::path dir;
  std::string path, bytes;
};

TEST_F(BundleFile, RoundTrip) {
  std::string error;
  auto b = Bundle::open(path, error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->formatVersion(), kBundleFormatVersion);
  ASSERT_EQ(b->sections().size(), 3u);
  EXPECT_EQ(b->find("manifest.json")->text(), "{\"x\": 1}");
  const BundleSection *k = b->find("kernels/cpu");
  ASSERT_TRUE(k);
  ASSERT_EQ(k->size, 10000u);
  EXPECT_EQ(uint8_t(k->data[9999]), uint8_t(9999 * 7));
  EXPECT_EQ(k->offset % kBundleAlignment, 0u);
  EXPECT_EQ(b->find("empty")->size, 0u);
  EXPECT_EQ(b->find("nothing"), nullptr);
}

TEST_F(BundleFile, TruncatedAnywhere) {
  for (size_t keep : {size_t(0), size_t(10), size_t(63), size_t(64),
                      size_t(200), size_t(5000), bytes.size() - 1}) {
    std::string e = openError(bytes.substr(0, keep));
    EXPECT_FALSE(e.empty()) << keep;
    if (keep >= 64)
      EXPECT_NE(e.find("truncated: the file has " + std::to_string(keep) +
                       " bytes, its header records " +
                       std::to_string(bytes.size())),
                std::string::npos)
          << e;
    else
      EXPECT_NE(e.find("too small for a dsv4c bundle header"),
                std::string::npos)
          << e;
  }
}

TEST_F(BundleFile, CorruptSectionNamesTheSection) {
  std::string bad = bytes;
  bad[4096 + 4096 + 123] ^= 0x40; // inside kernels/cpu (the second section)
  std::string e = openError(bad);
  EXPECT_NE(e.find("section 'kernels/cpu' is corrupt (checksum mismatch)"),
            std::string::npos)
      << e;
  // Without verification it opens (the caller chose speed).
  std::string p = writeVariant(bad), error;
  EXPECT_TRUE(Bundle::open(p, error, /*verify=*/false)) << error;
}

TEST_F(BundleFile, CorruptHeaderAndTable) {
  std::string bad = bytes;
  bad[20] ^= 1; // file size field
  EXPECT_NE(openError(bad).find("the header is corrupt"), std::string::npos);
  bad = bytes;
  bad[64 + 3] ^= 1; // first entry's name
  EXPECT_NE(openError(bad).find("the section table is corrupt"),
            std::string::npos);
}

TEST_F(BundleFile, WrongVersionAndMagic) {
  std::string bad = bytes;
  bad[8] = 2;
  EXPECT_NE(openError(bad).find("bundle format version 2; this runtime reads "
                                "version 1"),
            std::string::npos);
  bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(openError(bad).find("not a dsv4c bundle"), std::string::npos);
  EXPECT_NE(openError("{\"not\": \"a bundle\"} plus padding to be long enough "
                      "for a header................")
                .find("not a dsv4c bundle"),
            std::string::npos);
}

TEST_F(BundleFile, TrailingBytes) {
  EXPECT_NE(openError(bytes + "xyz").find("3 bytes after the end"),
            std::string::npos);
}

TEST_F(BundleFile, WriterRefusesBadNames) {
  BundleWriter w;
  w.addBytes(std::string(kBundleMaxNameBytes + 1, 'n'), "");
  std::string error;
  EXPECT_FALSE(w.write((dir / "x.dsv4").string(), error));
  EXPECT_NE(error.find("must have 1 to 63 bytes"), std::string::npos);
  BundleWriter twice;
  twice.addBytes("a", "1");
  twice.addBytes("a", "2");
  EXPECT_FALSE(twice.write((dir / "y.dsv4").string(), error));
  EXPECT_NE(error.find("section 'a' added twice"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "y.dsv4.partial"));
}

TEST_F(BundleFile, MissingFile) {
  std::string error;
  EXPECT_FALSE(Bundle::open((dir / "none.dsv4").string(), error));
  EXPECT_NE(error.find("none.dsv4: cannot open"), std::string::npos);
}

} // namespace
