//===- BenchCommand.cpp - `bench`: prefill and decode tokens/s ------------===//
#include "tools/runner/Args.h"
#include "tools/runner/Commands.h"
#include "tools/runner/Progress.h"

#include "models/v4/Executor.h"
#include "models/v4/Generate.h"
#include "models/v4/PrefixCache.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

using namespace dsv4c;
using namespace dsv4c::runner;
namespace fs = std::filesystem;

namespace {
const char *kUsage =
    R"(usage: %s MODEL [--batch N[,N...]] [--context N[,N...]] [--decode N]
                    [options]

Measures prefill and decode tokens/s of a V4 model (a bundle, or with dsv4c
a model directory): BATCH sequences of CONTEXT seeded random prompt tokens
are prefilled together, then DECODE greedy steps run (end-of-sentence
ignored). Each of --repeat runs starts fresh sequences; the best run is
reported, after --warmup untimed runs. Several batch sizes and contexts
are measured one after the other (each context at each batch size) on the
weights loaded once. The caches are sized for the longest context plus the
decode steps; their device bytes per sequence, and how many of them each
token of context adds (compressed KV entries and indexer keys), are printed
first.

options:
  --batch N,...   sequences (default 1); a list measures each
  --context N,... prompt tokens per sequence (default 64); a list measures
                  each
  --decode N      decode steps (default 32)
  --prefill-chunk N
                  prefill N tokens per sequence per step (a multiple of
                  128 for V4); default: whole prompts
  --shared-prefix N
                  also, per context longer than N (a multiple of 128 for
                  V4): the time to the first token of one prompt prefilled
                  whole, and of the same prompt whose first N tokens are
                  reused (computed once; the rest prefilled): forked from a
                  sequence that holds them (caches copied on the device),
                  restored from host memory, and restored from a prefix
                  cache file (checked as it is read; the file was just
                  written, so it is likely in the OS's page cache); with
                  --prefill-chunk, every prefill in steps of that size
  --repeat N      timed runs (default 3)
  --warmup N      untimed runs before them (default 1; 0 for prompts so
                  long that one run is all the time there is)
  --target T      as for run
  --threads N     cpu worker threads (default: all hardware threads)
  --seed N        prompt token seed (default 0)
  --weights DIR   a bundle's weights directory, if it moved
  --generate-weights N
                  random weights instead of the checkpoint: the values
                  `gen-checkpoint --seed N` writes for the model's config.json,
                  made as they load (no files, any size)
  --profile       after each batch size, launches and time per kernel (all
                  its runs, warm-up included), then the last run's decode
                  steps: launches per step and per block, and each step's
                  time in kernels and outside them; every launch then waits
                  for its kernel, so the tokens/s are lower than without
                  (and decode steps are not graphs)
  --temperature T, --top-p P
                  sample each token (as `run` does, seed 0) instead of the
                  greedy choice: on the device (rows of a flat distribution,
                  whose nucleus passes 1024 tokens or a 4096-id slice's 256
                  largest, on the host: counted after the tokens/s)
  --no-graphs     launch each decode step kernel by kernel; by default a
                  target whose driver makes graphs (cuda) queues a decode
                  step as one graph, made the first time its launches are
                  seen and replayed while they recur (printed per batch)
  --quiet         no progress lines
  --help          this text
)";
} // namespace

/// Times to the first token of one prompt (the best of `repeat`, after
/// `warmup` untimed runs), prefilled whole or with its first `prefix` tokens
/// reused; in steps of `chunk` tokens (--prefill-chunk) when chunk > 0.
struct FirstTokenTimes {
  double whole = 0;
  double forked = 0;   // forked from a device sequence holding them
  double fromHost = 0; // restored from a snapshot in host memory
  double fromFile = 0; // restored from a prefix cache file (checked)
};

static bool timeToFirstToken(v4::Executor &executor,
                             const std::vector<int64_t> &prompt, int64_t prefix,
                             int64_t warmup, int64_t repeat, int64_t chunk,
                             FirstTokenTimes &best, std::string &error) {
  using Clock = std::chrono::steady_clock;
  v4::StepResult out;
  // `tokens` into sequence s, the last step's parts `parts`.
  auto prefill = [&](int s, const std::vector<int64_t> &tokens,
                     unsigned parts) {
    const size_t n = tokens.size(), step = chunk > 0 ? size_t(chunk) : n;
    for (size_t i = 0; i < n; i += step) {
      const size_t end = std::min(n, i + step);
      if (!executor.step(
              {{s,
                {tokens.begin() + int64_t(i), tokens.begin() + int64_t(end)}}},
              end == n ? parts : 0, out, error))
        return false;
    }
    return true;
  };
  const std::vector<int64_t> head(prompt.begin(), prompt.begin() + prefix),
      rest(prompt.begin() + prefix, prompt.end());
  const int source = executor.addSequence(error);
  if (source < 0)
    return false;
  v4::SequenceSnapshot snapshot;
  const fs::path dir = fs::temp_directory_path() /
                       ("dsv4_bench_prefix_" + std::to_string(::getpid()));
  v4::PrefixCacheOptions options;
  options.deviceEntries = 0;
  options.diskDir = dir.string();
  std::unique_ptr<v4::PrefixCache> files;
  bool ok = prefill(source, head, 0) &&
            executor.saveSequence(source, snapshot, error) &&
            (files = v4::PrefixCache::create(executor, options, error)) &&
            files->store(head, source, error);
  best = FirstTokenTimes();
  for (int64_t r = 1 - warmup; ok && r <= repeat; ++r)
    for (double *slot :
         {&best.whole, &best.forked, &best.fromHost, &best.fromFile}) {
      auto start = Clock::now();
      int64_t reused = prefix;
      const int s =
          slot == &best.whole      ? executor.addSequence(error)
          : slot == &best.forked   ? executor.forkSequence(source, error)
          : slot == &best.fromHost ? executor.restoreSequence(snapshot, error)
                                   : files->acquire(prompt, reused, error);
      if (s >= 0 && reused != prefix) {
        error = "the prefix cache file was not found";
        ok = false;
      }
      ok = ok && s >= 0 &&
           prefill(s, slot == &best.whole ? prompt : rest,
                   v4::StepResult::Greedy);
      const double t =
          std::chrono::duration<double>(Clock::now() - start).count();
      if (s >= 0)
        executor.releaseSequence(s);
      if (!ok)
        break;
      if (r > 0) // after a warm-up
        *slot = *slot > 0 ? std::min(*slot, t) : t;
    }
  files.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
  executor.releaseSequence(source);
  return ok;
}

int runner::benchCommand(int argc, char **argv, const JitHook &jit) {
  std::string prog = argv[0], path;
  std::vector<int64_t> batches, contexts;
  int64_t decode = 32, repeat = 3, warmup = 1, seed = 0, prefillChunk = 0,
          sharedPrefix = 0;
  OpenOptions open;
  bool quiet = false, profile = false, graphs = true;
  SamplingOptions sampling; // temperature 0: greedy
  auto fail = [&](const std::string &m) {
    std::fprintf(stderr, "%s: %s\n", prog.c_str(), m.c_str());
    return 1;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], v;
    auto value = [&] {
      if (i + 1 >= argc)
        return false;
      v = argv[++i];
      return true;
    };
    auto count = [&](int64_t min, int64_t &out) {
      return value() && parseInt(v, min, out);
    };
    int64_t n;
    if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, prog.c_str());
      return 0;
    } else if (arg == "--batch" || arg == "--context") {
      std::vector<int64_t> list;
      if (!value() || !parseIds(v, list) ||
          std::count(list.begin(), list.end(), 0))
        return fail(arg + " needs integers >= 1, comma separated");
      std::vector<int64_t> &to = arg == "--batch" ? batches : contexts;
      to.insert(to.end(), list.begin(), list.end());
    } else if (arg == "--shared-prefix") {
      if (!count(1, sharedPrefix))
        return fail("--shared-prefix needs an integer >= 1");
    } else if (arg == "--prefill-chunk") {
      if (!count(1, prefillChunk))
        return fail("--prefill-chunk needs an integer >= 1");
    } else if (arg == "--decode") {
      if (!count(0, decode))
        return fail("--decode needs an integer >= 0");
    } else if (arg == "--repeat") {
      if (!count(1, repeat))
        return fail("--repeat needs an integer >= 1");
    } else if (arg == "--warmup") {
      if (!count(0, warmup))
        return fail("--warmup needs an integer >= 0");
    } else if (arg == "--seed") {
      if (!count(0, seed))
        return fail("--seed needs a non-negative integer");
    } else if (arg == "--threads") {
      if (!count(1, n))
        return fail("--threads needs an integer >= 1");
      open.threads = unsigned(n);
    } else if (arg == "--target") {
      if (!value())
        return fail("--target needs a name");
      open.target = v;
    } else if (arg == "--weights") {
      if (!value())
        return fail("--weights needs a directory");
      open.weightsDirectory = v;
    } else if (arg == "--generate-weights") {
      if (!count(0, n))
        return fail("--generate-weights needs a seed (a non-negative "
                    "integer)");
      open.generateWeightsSeed = uint64_t(n);
    } else if (arg == "--temperature" || arg == "--top-p") {
      double f;
      const bool temp = arg == "--temperature";
      if (!value() || !parseFloat(v, f) || !(temp ? f >= 0 : f > 0 && f <= 1))
        return fail(arg + (temp ? " needs a number >= 0"
                                : " needs a number in (0, 1]"));
      (temp ? sampling.temperature : sampling.topP) = float(f);
    } else if (arg == "--profile") {
      profile = true;
    } else if (arg == "--no-graphs") {
      graphs = false;
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (path.empty()) {
      path = arg;
    } else {
      return fail("unexpected argument '" + arg + "' (see --help)");
    }
  }
  if (path.empty())
    return fail("missing MODEL (see --help)");
  if (batches.empty())
    batches = {1};
  if (contexts.empty())
    contexts = {64};
  if (open.generateWeightsSeed && !open.weightsDirectory.empty())
    return fail("give --weights or --generate-weights, not both");

  Progress progress(prog, quiet);
  open.note = [&](const std::string &line) { progress.note(line); };
  std::string error;
  open.requiredKernels = v4::executorKernelNames();
  Model model;
  if (!openModel(path, open, jit, model, error))
    return fail(error);

  v4::ExecutorOptions exOpts;
  exOpts.maxSeqLen =
      *std::max_element(contexts.begin(), contexts.end()) + decode + 1;
  exOpts.profile = profile;
  exOpts.graphs = graphs;
  exOpts.engramTables = model.engramTables.get();
  exOpts.progress = [&](size_t done, size_t total) {
    progress.update(done, total, "weights");
  };
  auto executor =
      createExecutor(model, *model.device, *model.kernels, exOpts, error);
  if (!executor)
    return fail(error);
  for (auto [option, n] : {std::pair{"--shared-prefix", sharedPrefix},
                           std::pair{"--prefill-chunk", prefillChunk}})
    if (n % executor->prefillChunkMultiple())
      return fail(std::string(option) + " " + std::to_string(n) +
                  ": must be a multiple of " +
                  std::to_string(executor->prefillChunkMultiple()) +
                  " tokens (the compression ratios' common multiple)");
  const v4::Executor::CacheSize cache = executor->cacheSize();
  std::printf("kv cache: %.2f MiB per sequence at %lld positions; %.1f bytes "
              "per token of context\n",
              double(cache.perSequence) / (1 << 20),
              (long long)executor->maxSeqLen(), cache.perToken);
  v4::GenerateOptions gen;
  gen.maxNewTokens = decode + 1; // the prefill's pick counts as one
  gen.sampling = sampling;
  gen.prefillChunk = prefillChunk;
  for (int64_t context : contexts)
    for (int64_t batch : batches) {
      const std::vector<v4::KernelProfile> before = executor->profile();
      const v4::GraphStats graphsBefore = executor->graphStats();
      // Seeded prompt ids (splitmix64), avoiding the last ids (BOS/EOS in the
      // tiny tokenizer).
      uint64_t state = uint64_t(seed) * 0x9E3779B97F4A7C15ull + 1;
      auto nextId = [&] {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return int64_t(
            z % uint64_t(std::max<int64_t>(1, model.config.vocabSize - 2)));
      };
      std::vector<std::vector<int64_t>> prompts(static_cast<size_t>(batch));
      for (auto &p : prompts)
        for (int64_t t = 0; t < context; ++t)
          p.push_back(nextId());
      double bestPrefill = 0, bestDecode = 0;
      v4::GenerateResult result;
      for (int64_t r = 1 - warmup; r <= repeat; ++r) {
        if (!v4::generate(*executor, prompts, gen, result, error))
          return fail(error);
        if (r <= 0)
          continue; // warm-up
        progress.update(size_t(r), size_t(repeat), "runs");
        auto rate = [](int64_t n, double s) {
          return s > 0 ? double(n) / s : 0;
        };
        bestPrefill = std::max(
            bestPrefill, rate(result.prefillTokens, result.prefillSeconds));
        bestDecode = std::max(bestDecode,
                              rate(result.decodeTokens, result.decodeSeconds));
      }
      std::printf("model %s (%s), target %s, batch %lld, context %lld, decode "
                  "%lld steps, best of %lld\n",
                  path.c_str(), model.fromBundle ? "bundle" : "directory",
                  model.target.c_str(), (long long)batch, (long long)context,
                  (long long)decode, (long long)repeat);
      std::printf("prefill %10.1f tokens/s\ndecode  %10.1f tokens/s\n",
                  bestPrefill, bestDecode);
      if (sampling.temperature > 0)
        std::printf("sampling: temperature %g, top-p %g; %lld of the last "
                    "run's %lld choices made on the host\n",
                    double(sampling.temperature), double(sampling.topP),
                    (long long)result.sampledOnHost,
                    (long long)(result.decodeTokens + batch));
      const v4::GraphStats g = executor->graphStats();
      const uint64_t made = g.made - graphsBefore.made,
                     replayed = g.replayed - graphsBefore.replayed;
      if (made + replayed > 0)
        std::printf("graphs: %llu decode steps replayed a graph, %llu made "
                    "one (all runs, warm-up included)\n",
                    (unsigned long long)replayed, (unsigned long long)made);
      else
        std::printf("graphs: none (%s)\n",
                    !graphs   ? "--no-graphs"
                    : profile ? "--profile"
                              : "the target's device makes none");
      if (profile) {
        printProfile(stdout, executor->profile(), before);
        printDecodeSteps(stdout, result, model.config.numBlocks());
      }
      if (sharedPrefix && batch == batches.back() && context <= sharedPrefix)
        std::printf("time to first token, context %lld: not measured (not "
                    "longer than the %lld-token prefix)\n",
                    (long long)context, (long long)sharedPrefix);
      if (sharedPrefix && batch == batches.back() && context > sharedPrefix) {
        FirstTokenTimes t;
        if (!timeToFirstToken(*executor, prompts[0], sharedPrefix, warmup,
                              repeat, prefillChunk, t, error))
          return fail(error);
        std::printf("time to first token, context %lld: %.2f ms prefilled "
                    "whole; with the first %lld tokens reused: %.2f ms forked "
                    "(%.2fx), %.2f ms from host memory (%.2fx), %.2f ms from "
                    "a file (%.2fx)\n",
                    (long long)context, t.whole * 1e3, (long long)sharedPrefix,
                    t.forked * 1e3, t.whole / t.forked, t.fromHost * 1e3,
                    t.whole / t.fromHost, t.fromFile * 1e3,
                    t.whole / t.fromFile);
      }
      std::fflush(stdout);
    }
  return 0;
}
