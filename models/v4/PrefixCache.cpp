//===- PrefixCache.cpp - prompt prefixes kept on device, host and disk ----===//
#include "models/v4/PrefixCache.h"

#include "runtime/Hash.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace dsv4c;
using namespace dsv4c::v4;
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'D', 'S', 'V', '4', 'K', 'V', '0', '1'};
constexpr uint64_t kPageBytes = uint64_t(1) << 20;
constexpr const char *kSuffix = ".dsv4kv";

/// The fixed part of a file's header.
struct FileHead {
  char magic[8];
  uint64_t model, tokens, recent, stateBytes, pageBytes;
};
static_assert(sizeof(FileHead) == 48);

template <typename T>
void append(std::vector<uint8_t> &out, const T *v, size_t count) {
  const auto *p = reinterpret_cast<const uint8_t *>(v);
  out.insert(out.end(), p, p + count * sizeof(T));
}

std::vector<uint64_t> pageSums(const std::vector<uint8_t> &state) {
  std::vector<uint64_t> sums;
  for (size_t at = 0; at < state.size(); at += kPageBytes)
    sums.push_back(xxh64(state.data() + at,
                         std::min<size_t>(kPageBytes, state.size() - at)));
  return sums;
}

} // namespace

PrefixCache::PrefixCache(Executor &executor, PrefixCacheOptions options)
    : executor_(executor), options_(std::move(options)),
      modelHash_(xxh64(options_.modelKey.data(), options_.modelKey.size())) {}

std::unique_ptr<PrefixCache> PrefixCache::create(Executor &executor,
                                                 PrefixCacheOptions options,
                                                 std::string &error) {
  if (!options.diskDir.empty()) {
    std::error_code ec;
    fs::create_directories(options.diskDir, ec);
    if (ec || !fs::is_directory(options.diskDir)) {
      error = "prefix cache: cannot make the directory " + options.diskDir +
              (ec ? ": " + ec.message() : "");
      return nullptr;
    }
  }
  return std::unique_ptr<PrefixCache>(
      new PrefixCache(executor, std::move(options)));
}

PrefixCache::~PrefixCache() {
  std::string ignored;
  flush(ignored);
  for (const Entry &e : device_)
    executor_.releaseSequence(e.sequence);
}

int64_t PrefixCache::storableLength(int64_t tokens) const {
  const int64_t m = executor_.prefillChunkMultiple();
  return tokens > 0 ? ((tokens - 1) / m) * m : 0;
}

std::vector<uint64_t>
PrefixCache::prefixKeys(const std::vector<int64_t> &tokens,
                        int64_t upTo) const {
  // Chained: a prefix's key hashes its last block of tokens seeded with the
  // key before it, so that every prefix of a prompt costs one pass.
  const int64_t m = executor_.prefillChunkMultiple();
  std::vector<uint64_t> keys;
  uint64_t key = modelHash_;
  for (int64_t end = m; end <= upTo; end += m) {
    key = xxh64(tokens.data() + (end - m), size_t(m) * sizeof(int64_t), key);
    keys.push_back(key);
  }
  return keys;
}

std::string PrefixCache::pathOf(uint64_t key) const {
  return (fs::path(options_.diskDir) / (hashToHex(key) + kSuffix)).string();
}

bool PrefixCache::onDisk(uint64_t key) const {
  std::error_code ec;
  return !options_.diskDir.empty() && fs::exists(pathOf(key), ec);
}

PrefixCache::Entry *PrefixCache::find(std::list<Entry> &tier, uint64_t key,
                                      const std::vector<int64_t> &tokens,
                                      int64_t length) {
  for (auto it = tier.begin(); it != tier.end(); ++it)
    if (it->key == key && int64_t(it->tokens.size()) == length &&
        std::equal(it->tokens.begin(), it->tokens.end(), tokens.begin())) {
      tier.splice(tier.begin(), tier, it);
      return &tier.front();
    }
  return nullptr;
}

void PrefixCache::pushHost(Entry &&entry) {
  hostUsed_ += int64_t(entry.snapshot.state.size());
  host_.push_front(std::move(entry));
}

int PrefixCache::acquire(const std::vector<int64_t> &prompt, int64_t &reused,
                         std::string &error) {
  reused = 0;
  const int64_t m = executor_.prefillChunkMultiple();
  const std::vector<uint64_t> keys =
      prefixKeys(prompt, storableLength(int64_t(prompt.size())));
  for (size_t i = keys.size(); i-- > 0;) {
    const int64_t length = int64_t(i + 1) * m;
    int s = -1;
    if (const Entry *e = find(device_, keys[i], prompt, length)) {
      s = executor_.forkSequence(e->sequence, error);
      stats_.deviceHits += s >= 0;
    } else if (const Entry *h = find(host_, keys[i], prompt, length)) {
      s = executor_.restoreSequence(h->snapshot, error);
      stats_.hostHits += s >= 0;
    } else {
      SequenceSnapshot snapshot;
      if (options_.diskDir.empty() ||
          !readFile(keys[i], prompt, length, snapshot))
        continue;
      s = executor_.restoreSequence(snapshot, error);
      if (s < 0 && error.rfind("restore: ", 0) == 0) {
        // A sound file that does not fit this executor (its checks passed,
        // but its state's size or length is not this model's): a miss.
        ++stats_.corruptFiles;
        std::error_code ec;
        fs::remove(pathOf(keys[i]), ec);
        error.clear();
        continue;
      }
      if (s < 0)
        return -1;
      ++stats_.diskHits;
      // Kept in host memory too when it fits (the file stays).
      if (int64_t(snapshot.state.size()) <= options_.hostBytes) {
        pushHost({keys[i],
                  {prompt.begin(), prompt.begin() + length},
                  -1,
                  std::move(snapshot)});
        if (!evict(error)) {
          executor_.releaseSequence(s);
          return -1;
        }
      }
    }
    if (s >= 0)
      reused = length;
    return s;
  }
  ++stats_.misses;
  return executor_.addSequence(error);
}

bool PrefixCache::store(const std::vector<int64_t> &tokens, int sequence,
                        std::string &error) {
  const int64_t m = executor_.prefillChunkMultiple(),
                length = int64_t(tokens.size());
  if (length == 0 || length % m) {
    error = "prefix cache: a prefix of " + std::to_string(length) +
            " tokens; it must be a nonzero multiple of " + std::to_string(m);
    return false;
  }
  if (executor_.sequenceLength(sequence) != length) {
    error = "prefix cache: sequence " + std::to_string(sequence) + " holds " +
            std::to_string(executor_.sequenceLength(sequence)) +
            " tokens, not the prefix's " + std::to_string(length);
    return false;
  }
  Entry e;
  e.key = prefixKeys(tokens, length).back();
  e.tokens = tokens;
  if (find(device_, e.key, tokens, length) ||
      find(host_, e.key, tokens, length))
    return true;
  if (onDisk(e.key))
    return true; // found there when needed (its check decides)
  ++stats_.stored;
  if (options_.deviceEntries > 0) {
    e.sequence = executor_.forkSequence(sequence, error);
    if (e.sequence < 0)
      return false;
    device_.push_front(std::move(e));
    return evict(error);
  }
  if (options_.hostBytes <= 0 && options_.diskDir.empty()) {
    ++stats_.dropped;
    return true;
  }
  if (!executor_.saveSequence(sequence, e.snapshot, error))
    return false;
  if (int64_t(e.snapshot.state.size()) <= options_.hostBytes) {
    pushHost(std::move(e));
    return evict(error);
  }
  if (options_.diskDir.empty()) {
    ++stats_.dropped;
    return true;
  }
  ++stats_.toDisk;
  return writeFile(e, e.snapshot, error);
}

bool PrefixCache::evict(std::string &error) {
  while (int64_t(device_.size()) >
         std::max<int64_t>(options_.deviceEntries, 0)) {
    Entry e = std::move(device_.back());
    device_.pop_back();
    const bool keep = options_.hostBytes > 0 || !options_.diskDir.empty();
    bool ok = !keep || executor_.saveSequence(e.sequence, e.snapshot, error);
    executor_.releaseSequence(e.sequence);
    e.sequence = -1;
    if (!ok)
      return false;
    if (keep && int64_t(e.snapshot.state.size()) <= options_.hostBytes) {
      ++stats_.toHost;
      pushHost(std::move(e));
    } else if (keep && !options_.diskDir.empty()) {
      ++stats_.toDisk;
      if (!writeFile(e, e.snapshot, error))
        return false;
    } else {
      ++stats_.dropped;
    }
  }
  while (hostUsed_ > options_.hostBytes && !host_.empty()) {
    Entry e = std::move(host_.back());
    host_.pop_back();
    hostUsed_ -= int64_t(e.snapshot.state.size());
    if (options_.diskDir.empty()) {
      ++stats_.dropped;
    } else {
      ++stats_.toDisk;
      if (!onDisk(e.key) && !writeFile(e, e.snapshot, error))
        return false;
    }
  }
  return true;
}

bool PrefixCache::flush(std::string &error) {
  if (options_.diskDir.empty())
    return true;
  for (const Entry &e : device_) {
    if (onDisk(e.key))
      continue;
    SequenceSnapshot snapshot;
    if (!executor_.saveSequence(e.sequence, snapshot, error) ||
        !writeFile(e, snapshot, error))
      return false;
  }
  for (const Entry &e : host_)
    if (!onDisk(e.key) && !writeFile(e, e.snapshot, error))
      return false;
  return true;
}

bool PrefixCache::writeFile(const Entry &entry,
                            const SequenceSnapshot &snapshot,
                            std::string &error) {
  const std::vector<uint64_t> sums = pageSums(snapshot.state);
  FileHead head;
  std::memcpy(head.magic, kMagic, sizeof(kMagic));
  head.model = modelHash_;
  head.tokens = entry.tokens.size();
  head.recent = snapshot.engramRecent.size();
  head.stateBytes = snapshot.state.size();
  head.pageBytes = kPageBytes;
  std::vector<uint8_t> header;
  append(header, &head, 1);
  append(header, entry.tokens.data(), entry.tokens.size());
  append(header, snapshot.engramRecent.data(), snapshot.engramRecent.size());
  append(header, sums.data(), sums.size());
  const uint64_t headerSum = xxh64(header.data(), header.size());
  append(header, &headerSum, 1);
  // Written whole under another name, then renamed: a reader never sees
  // half a file under the real name.
  const std::string path = pathOf(entry.key), partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(header.data()),
              std::streamsize(header.size()));
    out.write(reinterpret_cast<const char *>(snapshot.state.data()),
              std::streamsize(snapshot.state.size()));
    if (!out.flush()) {
      error = "prefix cache: cannot write " + partial;
      std::error_code ec;
      fs::remove(partial, ec);
      return false;
    }
  }
  std::error_code ec;
  fs::rename(partial, path, ec);
  if (ec) {
    error = "prefix cache: cannot rename " + partial + " to " + path + ": " +
            ec.message();
    return false;
  }
  trimDisk();
  return true;
}

bool PrefixCache::readFile(uint64_t key, const std::vector<int64_t> &tokens,
                           int64_t length, SequenceSnapshot &snapshot) {
  const std::string path = pathOf(key);
  auto corrupt = [&] {
    ++stats_.corruptFiles;
    std::error_code ec;
    fs::remove(path, ec);
    return false;
  };
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return false;
  const uint64_t size = uint64_t(in.tellg());
  in.seekg(0);
  FileHead head;
  if (size < sizeof(head) ||
      !in.read(reinterpret_cast<char *>(&head), sizeof(head)) ||
      std::memcmp(head.magic, kMagic, sizeof(kMagic)) != 0 ||
      head.pageBytes != kPageBytes)
    return corrupt();
  // Sizes checked against the file's before anything is allocated.
  const uint64_t limit = size / 8;
  if (head.tokens > limit || head.recent > limit || head.stateBytes > size)
    return corrupt();
  const uint64_t pages = (head.stateBytes + kPageBytes - 1) / kPageBytes;
  const uint64_t headerBytes =
      sizeof(head) + 8 * (head.tokens + head.recent + pages);
  if (headerBytes + 8 + head.stateBytes != size)
    return corrupt();
  std::vector<uint8_t> header(headerBytes);
  uint64_t headerSum = 0;
  std::memcpy(header.data(), &head, sizeof(head));
  if (!in.read(reinterpret_cast<char *>(header.data() + sizeof(head)),
               std::streamsize(headerBytes - sizeof(head))) ||
      !in.read(reinterpret_cast<char *>(&headerSum), 8) ||
      xxh64(header.data(), header.size()) != headerSum)
    return corrupt();
  // A file of another model, or another prefix under a colliding key.
  const auto *fileTokens =
      reinterpret_cast<const int64_t *>(header.data() + sizeof(head));
  if (head.model != modelHash_ || int64_t(head.tokens) != length ||
      !std::equal(fileTokens, fileTokens + length, tokens.begin()))
    return false;
  snapshot.length = length;
  snapshot.engramRecent.assign(fileTokens + length,
                               fileTokens + length + head.recent);
  std::vector<uint64_t> sums(pages);
  std::memcpy(sums.data(), fileTokens + length + head.recent, pages * 8);
  snapshot.state.resize(head.stateBytes);
  if (!in.read(reinterpret_cast<char *>(snapshot.state.data()),
               std::streamsize(head.stateBytes)) ||
      pageSums(snapshot.state) != sums)
    return corrupt();
  // Recently used: trimDisk removes the oldest files first.
  std::error_code ec;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
  return true;
}

void PrefixCache::trimDisk() {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  int64_t total = 0;
  for (const auto &f : fs::directory_iterator(options_.diskDir, ec)) {
    if (f.path().extension() != kSuffix)
      continue;
    std::error_code fe;
    const int64_t bytes = int64_t(f.file_size(fe));
    if (fe)
      continue;
    total += bytes;
    files.push_back({f.last_write_time(fe), f.path()});
  }
  std::sort(files.begin(), files.end());
  for (const auto &[time, path] : files) {
    if (total <= options_.diskBytes)
      break;
    std::error_code fe;
    const int64_t bytes = int64_t(fs::file_size(path, fe));
    if (!fe && fs::remove(path, fe)) {
      total -= bytes;
      ++stats_.dropped;
    }
  }
}
