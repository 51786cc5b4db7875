//===- PrefixCache.h - prompt prefixes kept on device, host and disk -*- C++
//-*-===//
//
// A cache of sequences' states at prompt prefixes (issue 22's tiers), so
// that a prompt starting with an earlier prompt's tokens prefills only the
// rest. A prefix is a multiple of Executor::prefillChunkMultiple() tokens
// (128 for V4: where a chunked prefill may continue). Its state lives in
// one of three tiers:
//   device: a sequence of the executor, forked from on reuse;
//   host:   a SequenceSnapshot in host memory, restored (uploaded) on reuse;
//   disk:   a file per prefix in a directory, checked (one XXH64 per MiB
//           page of the state, one over the header and tokens) and restored
//           on reuse. A file that fails a check, or whose state does not
//           fit the executor (Executor::restoreSequence's "restore: "
//           errors), is removed and is a miss: the prefix is prefilled
//           again, never used wrong.
// Entries past a tier's budget move down, least recently used first:
// device -> host -> disk -> dropped. On destruction (or flush()) the device
// and host entries are written to the disk tier, so that a later process
// with the same model key reuses them.
//
// File format (little-endian; docs/architecture.md, "Prefix cache"):
//   "DSV4KV01", u64 model key hash, u64 tokens n, u64 Engram ids r,
//   u64 state bytes S, u64 page bytes P, i64 tokens[n], i64 engram[r],
//   u64 page sums[ceil(S / P)], u64 header sum (XXH64 of all before it),
//   then the S state bytes.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_MODELS_V4_PREFIXCACHE_H
#define DSV4C_MODELS_V4_PREFIXCACHE_H

#include "models/v4/Executor.h"

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace dsv4c::v4 {

struct PrefixCacheOptions {
  /// Prefixes kept as device sequences (each holds a sequence's caches).
  int64_t deviceEntries = 2;
  /// Host memory for snapshots, bytes (0: no host tier).
  int64_t hostBytes = 0;
  /// A directory for snapshot files ("": no disk tier), created if needed,
  /// and the bytes its files may take.
  std::string diskDir;
  int64_t diskBytes = int64_t(64) << 30;
  /// What the states are valid for (the weights and kernels: a bundle's
  /// identity); a file made under another key is a miss.
  std::string modelKey;
};

struct PrefixCacheStats {
  int64_t deviceHits = 0, hostHits = 0, diskHits = 0, misses = 0;
  /// Disk files that failed a check or did not fit (removed; counted as
  /// misses too).
  int64_t corruptFiles = 0;
  /// Prefixes stored, and moves down the tiers.
  int64_t stored = 0, toHost = 0, toDisk = 0, dropped = 0;
};

class PrefixCache {
public:
  /// nullptr with `error` set when the disk directory cannot be made.
  static std::unique_ptr<PrefixCache>
  create(Executor &executor, PrefixCacheOptions options, std::string &error);
  /// Device and host entries written to disk (when there is a disk tier;
  /// errors are dropped: call flush() to see them), device sequences
  /// released.
  ~PrefixCache();

  /// A new sequence of the executor holding the longest stored prefix of
  /// `prompt` shorter than it; its length in `reused` (0: a fresh, empty
  /// sequence). -1 with `error` set when the executor fails.
  int acquire(const std::vector<int64_t> &prompt, int64_t &reused,
              std::string &error);
  /// Stores the state of `sequence`, which holds exactly `tokens` (a
  /// nonzero multiple of the executor's prefillChunkMultiple()), as that
  /// prefix. The sequence stays the caller's.
  bool store(const std::vector<int64_t> &tokens, int sequence,
             std::string &error);
  /// The longest prefix of a prompt of `tokens` worth storing: the largest
  /// multiple of prefillChunkMultiple() below it (0: none).
  int64_t storableLength(int64_t tokens) const;
  /// Device and host entries written to the disk tier (they stay where
  /// they are too).
  bool flush(std::string &error);
  const PrefixCacheStats &stats() const { return stats_; }

private:
  struct Entry {
    uint64_t key = 0;
    std::vector<int64_t> tokens;
    int sequence = -1;         // device tier
    SequenceSnapshot snapshot; // host tier
  };
  PrefixCache(Executor &executor, PrefixCacheOptions options);
  /// The entry of `tier` under `key` that holds the first `length` of
  /// `tokens`, made the most recently used; null when there is none.
  Entry *find(std::list<Entry> &tier, uint64_t key,
              const std::vector<int64_t> &tokens, int64_t length);
  /// `entry` (its snapshot set) at the front of the host tier; the caller
  /// then evicts what is past the budgets.
  void pushHost(Entry &&entry);
  /// The chained key of each prefix of `tokens` that is a multiple of the
  /// chunk multiple: keys[i] for the first (i + 1) * multiple tokens.
  std::vector<uint64_t> prefixKeys(const std::vector<int64_t> &tokens,
                                   int64_t upTo) const;
  std::string pathOf(uint64_t key) const;
  bool writeFile(const Entry &entry, const SequenceSnapshot &snapshot,
                 std::string &error);
  /// The file of `key` read and checked against `tokens`' first `length`
  /// tokens; false (the file removed if it was there but wrong) on a miss.
  bool readFile(uint64_t key, const std::vector<int64_t> &tokens,
                int64_t length, SequenceSnapshot &snapshot);
  void trimDisk();
  /// Moves entries past the device and host budgets down a tier.
  bool evict(std::string &error);
  bool onDisk(uint64_t key) const;

  Executor &executor_;
  PrefixCacheOptions options_;
  uint64_t modelHash_ = 0;
  int64_t hostUsed_ = 0;
  // Most recently used first.
  std::list<Entry> device_, host_;
  PrefixCacheStats stats_;
};

} // namespace dsv4c::v4

#endif
