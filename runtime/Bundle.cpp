//===- Bundle.cpp - the .dsv4 bundle container ----------------------------===//
#include "runtime/Bundle.h"

#include "runtime/Hash.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace dsv4c;

namespace {

// Header fields (little-endian), see docs/bundle-format.md.
constexpr size_t kVersionAt = 8, kCountAt = 12, kFileBytesAt = 16,
                 kTableAt = 24, kTableSumAt = 32, kHeaderSumAt = 56;
// Section table entry fields.
constexpr size_t kNameBytes = 64, kOffsetAt = 64, kSizeAt = 72, kSumAt = 80;

uint64_t get64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t get32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void put64(uint8_t *p, uint64_t v) { std::memcpy(p, &v, 8); }
void put32(uint8_t *p, uint32_t v) { std::memcpy(p, &v, 4); }

uint64_t alignUp(uint64_t v) {
  return (v + kBundleAlignment - 1) / kBundleAlignment * kBundleAlignment;
}

/// A read-only mapping of a whole file, closed on scope exit unless
/// released.
struct Mapping {
  const uint8_t *base = nullptr;
  uint64_t size = 0;
  ~Mapping() {
    if (base)
      ::munmap(const_cast<uint8_t *>(base), size);
  }
  bool map(const std::string &path, std::string &error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = path + ": cannot open: " + std::strerror(errno);
      return false;
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      error = path + ": not a regular file";
      ::close(fd);
      return false;
    }
    size = uint64_t(st.st_size);
    if (size) {
      void *p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        error = path + ": cannot mmap: " + std::strerror(errno);
        ::close(fd);
        return false;
      }
      base = static_cast<const uint8_t *>(p);
    }
    ::close(fd);
    return true;
  }
};

/// A section's checksum: XXH64 of its bytes.
uint64_t checksum(const uint8_t *data, uint64_t size) {
  return xxh64(data, size_t(size));
}

} // namespace

Bundle::~Bundle() {
  if (base_)
    ::munmap(const_cast<uint8_t *>(base_), size_);
}

const BundleSection *Bundle::find(std::string_view name) const {
  for (const BundleSection &s : sections_)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::unique_ptr<Bundle> Bundle::open(const std::string &path,
                                     std::string &error, bool verify,
                                     const ByteProgress &progress) {
  auto fail = [&](const std::string &what) -> std::unique_ptr<Bundle> {
    error = path + ": " + what;
    return nullptr;
  };
  Mapping m;
  if (!m.map(path, error))
    return nullptr;
  if (m.size < kBundleHeaderBytes)
    return fail("the file is " + std::to_string(m.size) +
                " bytes, too small for a dsv4c bundle header (" +
                std::to_string(kBundleHeaderBytes) +
                " bytes): truncated, or not a bundle");
  const uint8_t *h = m.base;
  if (std::memcmp(h, kBundleMagic, 8) != 0)
    return fail("not a dsv4c bundle (the file does not start with "
                "\"DSV4BNDL\"); make one with `dsv4c compile`");
  uint32_t version = get32(h + kVersionAt);
  if (version != kBundleFormatVersion)
    return fail("bundle format version " + std::to_string(version) +
                "; this runtime reads version " +
                std::to_string(kBundleFormatVersion) +
                " (recompile the bundle with a matching dsv4c)");
  if (xxh64(h, kHeaderSumAt) != get64(h + kHeaderSumAt))
    return fail("the header is corrupt (checksum mismatch)");
  uint64_t recorded = get64(h + kFileBytesAt);
  if (m.size < recorded)
    return fail("truncated: the file has " + std::to_string(m.size) +
                " bytes, its header records " + std::to_string(recorded));
  if (m.size > recorded)
    return fail("the file has " + std::to_string(m.size - recorded) +
                " bytes after the end its header records (" +
                std::to_string(recorded) + " bytes)");
  uint32_t count = get32(h + kCountAt);
  uint64_t tableAt = get64(h + kTableAt);
  uint64_t tableBytes = uint64_t(count) * kBundleEntryBytes;
  if (tableAt < kBundleHeaderBytes || tableAt > m.size ||
      tableBytes > m.size - tableAt)
    return fail("the section table (" + std::to_string(count) +
                " entries at offset " + std::to_string(tableAt) +
                ") lies outside the file");
  if (xxh64(m.base + tableAt, size_t(tableBytes)) != get64(h + kTableSumAt))
    return fail("the section table is corrupt (checksum mismatch)");

  std::unique_ptr<Bundle> bundle(new Bundle());
  std::set<std::string> seen;
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t *e = m.base + tableAt + uint64_t(i) * kBundleEntryBytes;
    const char *name = reinterpret_cast<const char *>(e);
    size_t len = strnlen(name, kNameBytes);
    std::string where = "section " + std::to_string(i);
    if (len == 0 || len == kNameBytes)
      return fail(where + " has no NUL-terminated name");
    BundleSection s;
    s.name.assign(name, len);
    s.offset = get64(e + kOffsetAt);
    s.size = get64(e + kSizeAt);
    s.checksum = get64(e + kSumAt);
    if (!seen.insert(s.name).second)
      return fail("section '" + s.name + "' appears twice");
    if (s.offset > m.size || s.size > m.size - s.offset)
      return fail("section '" + s.name + "' (" + std::to_string(s.size) +
                  " bytes at offset " + std::to_string(s.offset) +
                  ") lies outside the file");
    if (s.offset % kBundleAlignment)
      return fail("section '" + s.name + "' at offset " +
                  std::to_string(s.offset) + " is not aligned to " +
                  std::to_string(kBundleAlignment) + " bytes");
    s.data = m.base + s.offset;
    total += s.size;
    bundle->sections_.push_back(std::move(s));
  }
  if (verify) {
    uint64_t done = 0;
    for (const BundleSection &s : bundle->sections_) {
      if (checksum(s.data, s.size) != s.checksum)
        return fail("section '" + s.name +
                    "' is corrupt (checksum mismatch): the file was "
                    "damaged after `dsv4c compile` wrote it");
      done += s.size;
      if (progress)
        progress(done, total);
    }
  }
  bundle->path_ = path;
  bundle->version_ = version;
  bundle->base_ = m.base;
  bundle->size_ = m.size;
  m.base = nullptr; // the bundle owns the mapping now
  return bundle;
}

void BundleWriter::addBytes(std::string name, std::string bytes) {
  pending.push_back({std::move(name), std::move(bytes), ""});
}

void BundleWriter::addFile(std::string name, std::string path) {
  pending.push_back({std::move(name), "", std::move(path)});
}

bool BundleWriter::write(const std::string &path, std::string &error,
                         const ByteProgress &progress) const {
  // Map the files first: their sizes fix the layout.
  std::vector<std::unique_ptr<Mapping>> files(pending.size());
  std::set<std::string> names;
  for (size_t i = 0; i < pending.size(); ++i) {
    const Pending &p = pending[i];
    if (p.name.empty() || p.name.size() > kBundleMaxNameBytes) {
      error = path + ": section name '" + p.name + "' must have 1 to " +
              std::to_string(kBundleMaxNameBytes) + " bytes";
      return false;
    }
    if (!names.insert(p.name).second) {
      error = path + ": section '" + p.name + "' added twice";
      return false;
    }
    if (!p.file.empty()) {
      files[i] = std::make_unique<Mapping>();
      if (!files[i]->map(p.file, error))
        return false;
    }
  }
  auto bytesOf = [&](size_t i) -> std::pair<const uint8_t *, uint64_t> {
    if (files[i])
      return {files[i]->base, files[i]->size};
    return {reinterpret_cast<const uint8_t *>(pending[i].bytes.data()),
            pending[i].bytes.size()};
  };

  const uint64_t tableAt = kBundleHeaderBytes;
  std::vector<uint8_t> head(tableAt + pending.size() * kBundleEntryBytes, 0);
  uint64_t at = alignUp(head.size()), total = 0;
  std::vector<uint64_t> offsets;
  for (size_t i = 0; i < pending.size(); ++i) {
    auto [data, size] = bytesOf(i);
    uint8_t *e = head.data() + tableAt + i * kBundleEntryBytes;
    std::memcpy(e, pending[i].name.data(), pending[i].name.size());
    put64(e + kOffsetAt, at);
    put64(e + kSizeAt, size);
    put64(e + kSumAt, checksum(data, size));
    offsets.push_back(at);
    total += size;
    at = alignUp(at + size);
  }
  // The last section ends the file (no padding after it).
  uint64_t fileBytes = pending.empty() ? head.size()
                                       : offsets.back() +
                                             bytesOf(pending.size() - 1).second;
  std::memcpy(head.data(), kBundleMagic, 8);
  put32(head.data() + kVersionAt, versionToWrite);
  put32(head.data() + kCountAt, uint32_t(pending.size()));
  put64(head.data() + kFileBytesAt, fileBytes);
  put64(head.data() + kTableAt, tableAt);
  put64(head.data() + kTableSumAt,
        xxh64(head.data() + tableAt, head.size() - tableAt));
  put64(head.data() + kHeaderSumAt, xxh64(head.data(), kHeaderSumAt));

  std::string tmp = path + ".partial";
  std::FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    error = tmp + ": cannot open for writing: " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  uint64_t pos = head.size(), done = 0;
  static const uint8_t zeros[kBundleAlignment] = {};
  for (size_t i = 0; ok && i < pending.size(); ++i) {
    auto [data, size] = bytesOf(i);
    ok = std::fwrite(zeros, 1, offsets[i] - pos, f) == offsets[i] - pos;
    // In 64 MiB pieces, for progress on large weights.
    for (uint64_t off = 0; ok && off < size;) {
      uint64_t n = std::min<uint64_t>(size - off, 64u << 20);
      ok = std::fwrite(data + off, 1, n, f) == n;
      off += n;
      done += n;
      if (progress)
        progress(done, total);
    }
    pos = offsets[i] + size;
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": cannot write: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}
