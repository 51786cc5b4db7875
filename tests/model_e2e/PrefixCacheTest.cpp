//===- PrefixCacheTest.cpp - prefixes reused from device, host and disk ---===//
//
// models/v4/PrefixCache.h on the cpu target, tiny model: a conversation's
// second request (the first one's 300 tokens and 100 more) reuses the
// first's 256-token prefix from each tier (a device sequence, a host
// snapshot, a file) and gives the logits a fresh prefill gives, bit for bit;
// the files outlive the cache (a later cache finds them); a file with a
// flipped byte, a cut-off file and one made under another model key are
// misses (the corrupt ones counted and removed) and the logits are still a
// fresh prefill's, and so is a sound file of another model's shape; a snapshot
// of the wrong size is refused with the sizes. The device is an arena of
// allocations side by side that fails any copy spanning two of them (as CUDA
// does).
//
//===----------------------------------------------------------------------===//
#include "tests/model_e2e/TinyV4.h"

#include "models/v4/Generate.h"
#include "models/v4/PrefixCache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

using namespace dsv4c;
using namespace dsv4c::v4;
using namespace dsv4c::tinyv4;

namespace {

/// A HostDevice whose allocations lie side by side in one arena, as a
/// GPU's often do, and which fails any copy that starts in one allocation
/// and ends past it (CUDA refuses those: a state's ranges must not be
/// joined across allocations).
class ArenaDevice : public HostDevice {
public:
  ArenaDevice() : HostDevice("cpu") {
    arena_ = static_cast<char *>(std::calloc(kArenaBytes, 1));
  }
  ~ArenaDevice() override { std::free(arena_); }
  void *allocate(size_t bytes, std::string &error) override {
    bytes = (bytes + 255) / 256 * 256;
    if (!arena_ || used_ + bytes > kArenaBytes) {
      error = "arena full";
      return nullptr;
    }
    char *p = arena_ + used_;
    used_ += bytes;
    ends_[p] = p + bytes;
    return p;
  }
  void release(void *) override {}
  bool upload(void *dst, const void *src, size_t bytes,
              std::string &error) override {
    return within(dst, bytes, error) &&
           HostDevice::upload(dst, src, bytes, error);
  }
  bool download(void *dst, const void *src, size_t bytes,
                std::string &error) override {
    return within(src, bytes, error) &&
           HostDevice::download(dst, src, bytes, error);
  }
  bool copy(void *dst, const void *src, size_t bytes,
            std::string &error) override {
    return within(dst, bytes, error) && within(src, bytes, error) &&
           HostDevice::copy(dst, src, bytes, error);
  }

private:
  static constexpr size_t kArenaBytes = size_t(1) << 30;
  bool within(const void *at, size_t bytes, std::string &error) const {
    const char *p = static_cast<const char *>(at);
    auto it = ends_.upper_bound(p);
    if (it == ends_.begin())
      return true; // not device memory (a mapped checkpoint tensor)
    --it;
    if (p >= it->second || p + bytes <= it->second)
      return true;
    error = "a copy of " + std::to_string(bytes) +
            " bytes runs past the end of its allocation";
    return false;
  }
  char *arena_ = nullptr;
  size_t used_ = 0;
  std::map<const char *, const char *> ends_;
};

struct Model {
  V4Config config = v4TinyConfig();
  fs::path dir;
  std::unique_ptr<Checkpoint> ckpt;
  ArenaDevice device;
  std::unique_ptr<Executor> executor;
  explicit Model(const std::string &name,
                 std::vector<int64_t> ratios = {0, 4, 128, 0})
      : dir(scratch(name)) {
    config.compressRatios = ratios;
    ckpt = checkpoint(config, dir / "model");
    ExecutorOptions options;
    options.maxSeqLen = 512;
    std::string error;
    if (ckpt)
      executor =
          Executor::create(config, *ckpt, device, cpuKernels(), options, error);
    EXPECT_NE(executor, nullptr) << error;
  }
};

/// The first request (300 tokens) and the second (those and 100 more).
std::vector<int64_t> request(const V4Config &c, int which) {
  std::vector<int64_t> p = longPrompt(c);
  p.resize(which == 0 ? 300 : 400);
  return p;
}

/// Logits of 4 greedy steps after `prompt`, through `cache` (may be null).
std::vector<std::vector<float>> logitsOf(Executor &e,
                                         const std::vector<int64_t> &prompt,
                                         PrefixCache *cache,
                                         int64_t *reused = nullptr) {
  GenerateOptions options;
  options.maxNewTokens = 4;
  options.keepLogits = true;
  options.prefixCache = cache;
  GenerateResult result;
  std::string error;
  EXPECT_TRUE(generate(e, {prompt}, options, result, error)) << error;
  if (reused)
    *reused = result.reusedTokens;
  return result.logits.empty() ? std::vector<std::vector<float>>{}
                               : result.logits[0];
}

std::unique_ptr<PrefixCache> makeCache(Executor &e, PrefixCacheOptions o) {
  std::string error;
  auto cache = PrefixCache::create(e, o, error);
  EXPECT_NE(cache, nullptr) << error;
  return cache;
}

std::vector<fs::path> cacheFiles(const fs::path &dir) {
  std::vector<fs::path> files;
  for (const auto &f : fs::directory_iterator(dir))
    if (f.path().extension() == ".dsv4kv")
      files.push_back(f.path());
  return files;
}

} // namespace

TEST(PrefixCache, EveryTierGivesAFreshPrefillsLogits) {
  Model m("tiers");
  ASSERT_NE(m.executor, nullptr);
  Executor &e = *m.executor;
  const auto fresh = logitsOf(e, request(m.config, 1), nullptr);
  ASSERT_EQ(fresh.size(), 4u);
  struct Tier {
    const char *name;
    int64_t deviceEntries, hostBytes;
    bool disk;
  };
  for (const Tier &t :
       {Tier{"device", 2, 0, false}, Tier{"host", 0, int64_t(1) << 30, false},
        Tier{"disk", 0, 0, true}}) {
    SCOPED_TRACE(t.name);
    PrefixCacheOptions o;
    o.deviceEntries = t.deviceEntries;
    o.hostBytes = t.hostBytes;
    if (t.disk)
      o.diskDir = (m.dir / "kv").string();
    o.modelKey = "tiny seed 3";
    auto cache = makeCache(e, o);
    ASSERT_NE(cache, nullptr);
    int64_t reused = -1;
    const auto first = logitsOf(e, request(m.config, 0), cache.get(), &reused);
    EXPECT_EQ(reused, 0);
    EXPECT_EQ(cache->stats().stored, 1);
    const auto second = logitsOf(e, request(m.config, 1), cache.get(), &reused);
    EXPECT_EQ(reused, 256);
    EXPECT_EQ(second, fresh);
    const PrefixCacheStats &s = cache->stats();
    EXPECT_EQ(s.deviceHits + s.hostHits + s.diskHits, 1);
    EXPECT_EQ(t.deviceEntries ? s.deviceHits
              : t.hostBytes   ? s.hostHits
                              : s.diskHits,
              1);
    EXPECT_EQ(s.corruptFiles, 0);
  }
}

// A device-only cache with a disk directory writes its entries there when
// it goes; a later cache (another process, say) restores them from the
// files.
TEST(PrefixCache, FilesOutliveTheCache) {
  Model m("persist");
  ASSERT_NE(m.executor, nullptr);
  Executor &e = *m.executor;
  PrefixCacheOptions o;
  o.diskDir = (m.dir / "kv").string();
  o.modelKey = "tiny seed 3";
  {
    auto cache = makeCache(e, o);
    ASSERT_NE(cache, nullptr);
    logitsOf(e, request(m.config, 0), cache.get());
    EXPECT_TRUE(cacheFiles(o.diskDir).empty()); // still on the device
  }
  EXPECT_EQ(cacheFiles(o.diskDir).size(), 1u);
  const auto fresh = logitsOf(e, request(m.config, 1), nullptr);
  o.deviceEntries = 0;
  auto cache = makeCache(e, o);
  int64_t reused = 0;
  EXPECT_EQ(logitsOf(e, request(m.config, 1), cache.get(), &reused), fresh);
  EXPECT_EQ(reused, 256);
  EXPECT_EQ(cache->stats().diskHits, 1);
}

// A damaged file is detected, removed and recomputed: never a wrong answer.
TEST(PrefixCache, DamagedFilesAreMisses) {
  Model m("damaged");
  ASSERT_NE(m.executor, nullptr);
  Executor &e = *m.executor;
  const auto fresh = logitsOf(e, request(m.config, 1), nullptr);
  PrefixCacheOptions o;
  o.deviceEntries = 0;
  o.diskDir = (m.dir / "kv").string();
  o.modelKey = "tiny seed 3";
  struct Damage {
    const char *what;
    std::function<void(const fs::path &)> apply;
    bool corrupt;
  };
  auto flip = [](std::streamoff at) {
    return [at](const fs::path &f) {
      std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
      io.seekg(at < 0 ? at : at, at < 0 ? std::ios::end : std::ios::beg);
      char c = 0;
      io.get(c);
      io.seekp(at, at < 0 ? std::ios::end : std::ios::beg);
      io.put(char(c ^ 0x10));
    };
  };
  for (const Damage &d :
       {Damage{"a state byte flipped", flip(-1000), true},
        Damage{"a token flipped", flip(48 + 8 * 7), true},
        Damage{"cut short",
               [](const fs::path &f) {
                 fs::resize_file(f, fs::file_size(f) - 4096);
               },
               true},
        Damage{"removed", [](const fs::path &f) { fs::remove(f); }, false}}) {
    SCOPED_TRACE(d.what);
    fs::remove_all(o.diskDir);
    {
      auto writer = makeCache(e, o);
      ASSERT_NE(writer, nullptr);
      logitsOf(e, request(m.config, 0), writer.get());
    }
    const auto files = cacheFiles(o.diskDir);
    ASSERT_EQ(files.size(), 1u);
    d.apply(files[0]);
    auto cache = makeCache(e, o);
    int64_t reused = -1;
    EXPECT_EQ(logitsOf(e, request(m.config, 1), cache.get(), &reused), fresh);
    EXPECT_EQ(reused, 0);
    EXPECT_EQ(cache->stats().diskHits, 0);
    EXPECT_EQ(cache->stats().misses, 1);
    EXPECT_EQ(cache->stats().corruptFiles, d.corrupt ? 1 : 0);
    // The damaged file is gone; the second request's prefix is stored.
    for (const fs::path &f : cacheFiles(o.diskDir))
      EXPECT_NE(f, files[0]);
  }
  // Files made under another model key are not found.
  PrefixCacheOptions other = o;
  other.modelKey = "another model";
  auto cache = makeCache(e, other);
  int64_t reused = -1;
  EXPECT_EQ(logitsOf(e, request(m.config, 1), cache.get(), &reused), fresh);
  EXPECT_EQ(reused, 0);
}

// A sound file whose state does not fit this model (made by another one
// under the same key) is removed and is a miss, not an error.
TEST(PrefixCache, AFileOfAnotherModelShapeIsAMiss) {
  Model m("shape");
  Model other("shapeother", {0, 128, 128, 0}); // 128-token blocks too
  ASSERT_NE(m.executor, nullptr);
  ASSERT_NE(other.executor, nullptr);
  PrefixCacheOptions o;
  o.deviceEntries = 0;
  o.diskDir = (m.dir / "kv").string();
  o.modelKey = "the same key";
  {
    auto writer = makeCache(*other.executor, o);
    ASSERT_NE(writer, nullptr);
    logitsOf(*other.executor, request(m.config, 0), writer.get());
  }
  ASSERT_EQ(cacheFiles(o.diskDir).size(), 1u);
  const fs::path file = cacheFiles(o.diskDir)[0];
  const auto fresh = logitsOf(*m.executor, request(m.config, 1), nullptr);
  auto cache = makeCache(*m.executor, o);
  int64_t reused = -1;
  EXPECT_EQ(logitsOf(*m.executor, request(m.config, 1), cache.get(), &reused),
            fresh);
  EXPECT_EQ(reused, 0);
  EXPECT_EQ(cache->stats().corruptFiles, 1)
      << "misses " << cache->stats().misses << " disk hits "
      << cache->stats().diskHits << " stored " << cache->stats().stored;
  EXPECT_FALSE(fs::exists(file));
}

// Down the tiers: one device entry, host room for one snapshot; a third
// prefix pushes the first to disk.
TEST(PrefixCache, EntriesMoveDownTheTiers) {
  Model m("evict");
  ASSERT_NE(m.executor, nullptr);
  Executor &e = *m.executor;
  PrefixCacheOptions o;
  o.deviceEntries = 1;
  o.diskDir = (m.dir / "kv").string();
  o.modelKey = "tiny seed 3";
  std::vector<std::vector<int64_t>> prompts;
  for (int64_t k = 0; k < 3; ++k) {
    std::vector<int64_t> p = request(m.config, 0);
    p[0] = k + 1; // three different 256-token prefixes
    prompts.push_back(p);
  }
  {
    // The host tier's size: one snapshot of a 256-token prefix.
    SequenceSnapshot snap;
    std::string error;
    const int s = e.addSequence(error);
    std::vector<float> logits;
    ASSERT_TRUE(e.step({{s, std::vector<int64_t>(256, 5)}}, logits, error));
    ASSERT_TRUE(e.saveSequence(s, snap, error)) << error;
    e.releaseSequence(s);
    o.hostBytes = int64_t(snap.state.size());
  }
  auto cache = makeCache(e, o);
  for (const auto &p : prompts)
    logitsOf(e, p, cache.get());
  const PrefixCacheStats &s = cache->stats();
  EXPECT_EQ(s.stored, 3);
  EXPECT_EQ(s.toHost, 2);
  EXPECT_EQ(s.toDisk, 1);
  EXPECT_EQ(cacheFiles(o.diskDir).size(), 1u);
  // Each is found again, in its tier.
  for (const auto &p : prompts) {
    std::vector<int64_t> longer = p;
    longer.resize(400, 9);
    int64_t reused = 0;
    logitsOf(e, longer, cache.get(), &reused);
    EXPECT_EQ(reused, 256);
  }
  EXPECT_EQ(s.deviceHits + s.hostHits + s.diskHits, 3);
  EXPECT_GE(s.diskHits, 1);
}

TEST(PrefixCache, ASnapshotOfTheWrongSizeIsRefused) {
  Model m("wrongsize");
  ASSERT_NE(m.executor, nullptr);
  Executor &e = *m.executor;
  std::string error;
  const int s = e.addSequence(error);
  std::vector<float> logits;
  ASSERT_TRUE(e.step({{s, std::vector<int64_t>(130, 5)}}, logits, error));
  SequenceSnapshot snap;
  ASSERT_TRUE(e.saveSequence(s, snap, error)) << error;
  EXPECT_EQ(snap.length, 130);
  const size_t bytes = snap.state.size();
  snap.state.pop_back();
  EXPECT_EQ(e.restoreSequence(snap, error), -1);
  EXPECT_EQ(error, "restore: a state of " + std::to_string(bytes - 1) +
                       " bytes; a sequence of 130 tokens of this model holds " +
                       std::to_string(bytes));
  snap.length = 100000;
  EXPECT_EQ(e.restoreSequence(snap, error), -1);
  EXPECT_EQ(error, "restore: a sequence of 100000 tokens; the maximum "
                   "sequence length is 512");
  EXPECT_FALSE(e.saveSequence(77, snap, error));
  EXPECT_EQ(error, "save: no sequence 77");
}
