//===- Bundle.h - the .dsv4 bundle container ---------------------*- C++ -*-===//
//
// A bundle is one file of named, checksummed sections (docs/bundle-format.md):
// a header, a section table, then each section's bytes aligned to 4 KiB so
// that embedded weights can be used in place from the mapping. This layer
// knows nothing of models; tools/runner/ModelBundle.h gives the sections
// their meaning. Links no LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_BUNDLE_H
#define DSV4C_RUNTIME_BUNDLE_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4c {

/// The container format this build reads and writes.
constexpr uint32_t kBundleFormatVersion = 1;
/// The first 8 bytes of every bundle.
constexpr char kBundleMagic[8] = {'D', 'S', 'V', '4', 'B', 'N', 'D', 'L'};
constexpr size_t kBundleHeaderBytes = 64;
constexpr size_t kBundleEntryBytes = 96;
constexpr size_t kBundleMaxNameBytes = 63;
constexpr size_t kBundleAlignment = 4096;

/// Called with (bytes done, bytes total) during long work.
using ByteProgress = std::function<void(uint64_t, uint64_t)>;

struct BundleSection {
  std::string name;
  uint64_t offset = 0, size = 0;
  uint64_t checksum = 0; // XXH64 of the bytes
  const uint8_t *data = nullptr;
  std::string_view text() const {
    return {reinterpret_cast<const char *>(data), size_t(size)};
  }
};

class Bundle {
public:
  /// Maps `path` and checks the header (magic, version, size), the section
  /// table and, unless `verify` is false, every section's checksum. On
  /// failure returns null with `error` naming the file and what is wrong.
  static std::unique_ptr<Bundle> open(const std::string &path,
                                      std::string &error, bool verify = true,
                                      const ByteProgress &progress = {});
  ~Bundle();
  Bundle(const Bundle &) = delete;
  Bundle &operator=(const Bundle &) = delete;

  const std::string &path() const { return path_; }
  uint32_t formatVersion() const { return version_; }
  uint64_t fileBytes() const { return size_; }
  const std::vector<BundleSection> &sections() const { return sections_; }
  /// Null when there is no such section.
  const BundleSection *find(std::string_view name) const;

private:
  Bundle() = default;
  std::string path_;
  const uint8_t *base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  std::vector<BundleSection> sections_;
};

/// Collects sections and writes a bundle in one go.
class BundleWriter {
public:
  /// `bytes` become section `name`.
  void addBytes(std::string name, std::string bytes);
  /// The contents of file `path` become section `name` (read at write()).
  void addFile(std::string name, std::string path);
  /// Writes `path` (via a temporary file renamed at the end, so a failure
  /// leaves no partial bundle). False with `error` set on failure.
  bool write(const std::string &path, std::string &error,
             const ByteProgress &progress = {}) const;
  /// For tests of the reader: the format version written in the header.
  uint32_t versionToWrite = kBundleFormatVersion;

private:
  struct Pending {
    std::string name;
    std::string bytes;
    std::string file; // non-empty: read from here
  };
  std::vector<Pending> pending;
};

} // namespace dsv4c

#endif
