//===- RunCommand.cpp - `run`: V4 end to end ------------------------------===//
#include "tools/runner/Args.h"
#include "tools/runner/Commands.h"
#include "tools/runner/Progress.h"

#include "models/v4/Executor.h"
#include "models/v4/Generate.h"
#include "models/v4/PrefixCache.h"
#include "runtime/Collectives.h"
#include "runtime/HostTensor.h"
#include "runtime/Npy.h"
#include "runtime/Safetensors.h"
#include "runtime/Tokenizer.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace dsv4c;
using namespace dsv4c::runner;

namespace {

const char *kUsage =
    R"(usage: %s MODEL [--prompt TEXT | --tokens IDS]... [options]

Runs a DeepSeek-V4 model end to end: the prompt is prefilled, then one token
is decoded per step. MODEL is a bundle made by `dsv4c compile` (kernels
compiled ahead of time) or, with dsv4c, a model directory (config.json +
safetensors in the official layout; kernels compiled now). Prints the prompt
and the generated text (or ids when the model has no tokenizer.json) on
stdout; progress and tokens/s on stderr. Several --prompt/--tokens run as a
batch.

options:
  --prompt TEXT          text, encoded with the model's tokenizer.json (BOS
                         added when the tokenizer has one)
  --tokens IDS           token ids, comma separated (e.g. 1,2,3)
  --max-new-tokens N     tokens to generate per sequence (default 32)
  --target T             a bundle: one of its targets (default: the first
                         this runtime runs); a directory: cpu (default),
                         reference (the interpreter: slow) or cuda (GPU 0;
                         first lowering: slow)
  --threads N            cpu worker threads (default: all hardware threads)
  --ranks N              tensor parallelism: N ranks, a thread each, each
                         holding official model.py's share of the weights
                         for world_size N (heads, experts, vocabulary) and
                         exchanging partial sums (cpu target only: the cuda
                         target's NCCL collectives are not built yet)
  --temperature T        0 = greedy (default); > 0 samples
  --top-p P              nucleus sampling mass, (0, 1] (default 1)
  --seed N               sampling seed (default 0; sequence i uses N + i)
  --max-seq-len N        positions per sequence (default: prompt + new tokens)
  --prefill-chunk N      prefill prompts N tokens per step (a multiple of
                         128 for V4; the logits are those of one prefill,
                         with activations for N tokens, not the prompt's)
  --prefix-cache DIR     keep the caches of prompt prefixes (multiples of 128
                         tokens for V4) in files in DIR: a later run whose
                         prompt starts with a stored prefix prefills only
                         the rest (same logits). Files are checked on
                         reuse; a damaged one is removed and recomputed
  --prefix-cache-mib N   the most DIR's files may take (default 65536)
  --ignore-eos           keep generating after the end-of-sentence token
  --weights DIR          a bundle's weights directory, if it moved
  --generate-weights N   random weights instead of the checkpoint: the values
                         `gen-checkpoint --seed N` writes for the model's
                         config.json, made as they load (no files, any size)
  --no-verify            skip the bundle's section checksums at load
  --dump-logits FILE     f32 logits of every step as .npy: [steps, vocab] for
                         one sequence, [batch, steps, vocab] for several
                         (rows after a sequence stopped are 0)
  --dump-tokens FILE     int64 prompt + generated ids as .npy ([n], or
                         [batch, n] padded with -1)
  --profile              print launches and time per kernel at the end
  --no-graphs            launch each decode step kernel by kernel (by default
                         a target whose driver makes graphs, cuda, queues a
                         decode step as one graph, replayed while its
                         launches recur)
  --quiet                no progress lines
  --help                 this text

example:
  dsv4c gen-checkpoint models/tiny && dsv4c run models/tiny --prompt "Hello"
  dsv4c compile models/tiny -o tiny.dsv4 && dsv4-run run tiny.dsv4 --prompt "Hello"
)";

std::string prog = "run";

int fail(const std::string &message) {
  std::fprintf(stderr, "%s: %s\n", prog.c_str(), message.c_str());
  return 1;
}

struct Prompt {
  bool isText = false;
  std::string text;
  std::vector<int64_t> ids;
};

} // namespace

int runner::runCommand(int argc, char **argv, const JitHook &jit) {
  prog = argv[0];
  std::string modelDir, dumpLogits, dumpTokens;
  std::vector<Prompt> prompts;
  v4::GenerateOptions gen;
  OpenOptions open;
  int64_t maxSeqLen = 0;
  v4::PrefixCacheOptions prefixOptions;
  bool ignoreEos = false, quiet = false, profile = false, graphs = true;
  int ranks = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string v;
    auto value = [&]() {
      if (i + 1 >= argc)
        return false;
      v = argv[++i];
      return true;
    };
    int64_t n;
    double f;
    if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, prog.c_str());
      return 0;
    } else if (arg == "--prompt") {
      if (!value())
        return fail("--prompt needs a text");
      prompts.push_back({true, v, {}});
    } else if (arg == "--tokens") {
      Prompt p;
      if (!value() || !parseIds(v, p.ids))
        return fail("--tokens needs comma-separated non-negative ids, e.g. "
                    "1,2,3");
      prompts.push_back(std::move(p));
    } else if (arg == "--max-new-tokens") {
      if (!value() || !parseInt(v, 1, n))
        return fail("--max-new-tokens needs an integer >= 1");
      gen.maxNewTokens = n;
    } else if (arg == "--prefill-chunk") {
      if (!value() || !parseInt(v, 1, n))
        return fail("--prefill-chunk needs an integer >= 1");
      gen.prefillChunk = n;
    } else if (arg == "--target") {
      if (!value())
        return fail("--target needs a name");
      open.target = v;
    } else if (arg == "--threads") {
      if (!value() || !parseInt(v, 1, n))
        return fail("--threads needs an integer >= 1");
      open.threads = unsigned(n);
    } else if (arg == "--ranks") {
      if (!value() || !parseInt(v, 1, n) || n > 64)
        return fail("--ranks needs an integer from 1 to 64");
      ranks = int(n);
    } else if (arg == "--temperature") {
      if (!value() || !parseFloat(v, f) || f < 0)
        return fail("--temperature needs a number >= 0");
      gen.sampling.temperature = float(f);
    } else if (arg == "--top-p") {
      if (!value() || !parseFloat(v, f) || f <= 0 || f > 1)
        return fail("--top-p needs a number in (0, 1]");
      gen.sampling.topP = float(f);
    } else if (arg == "--seed") {
      if (!value() || !parseInt(v, 0, n))
        return fail("--seed needs a non-negative integer");
      gen.sampling.seed = uint64_t(n);
    } else if (arg == "--max-seq-len") {
      if (!value() || !parseInt(v, 1, n))
        return fail("--max-seq-len needs an integer >= 1");
      maxSeqLen = n;
    } else if (arg == "--weights") {
      if (!value())
        return fail("--weights needs a directory");
      open.weightsDirectory = v;
    } else if (arg == "--generate-weights") {
      if (!value() || !parseInt(v, 0, n))
        return fail("--generate-weights needs a seed (a non-negative "
                    "integer)");
      open.generateWeightsSeed = uint64_t(n);
    } else if (arg == "--no-verify") {
      open.verify = false;
    } else if (arg == "--prefix-cache") {
      if (!value())
        return fail("--prefix-cache needs a directory");
      prefixOptions.diskDir = v;
    } else if (arg == "--prefix-cache-mib") {
      if (!value() || !parseInt(v, 1, n) || n > (int64_t(1) << 40))
        return fail("--prefix-cache-mib needs an integer from 1 to 2^40");
      prefixOptions.diskBytes = n << 20;
    } else if (arg == "--ignore-eos") {
      ignoreEos = true;
    } else if (arg == "--dump-logits") {
      if (!value())
        return fail("--dump-logits needs a file");
      dumpLogits = v;
    } else if (arg == "--dump-tokens") {
      if (!value())
        return fail("--dump-tokens needs a file");
      dumpTokens = v;
    } else if (arg == "--profile") {
      profile = true;
    } else if (arg == "--no-graphs") {
      graphs = false;
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (modelDir.empty()) {
      modelDir = arg;
    } else {
      return fail("unexpected argument '" + arg + "' (see --help)");
    }
  }
  if (modelDir.empty())
    return fail("missing MODEL (a bundle or a model directory; see --help)");
  if (open.generateWeightsSeed && !open.weightsDirectory.empty())
    return fail("give --weights or --generate-weights, not both");
  if (prompts.empty())
    return fail("give a --prompt or --tokens");
  if (ranks > 1 && !prefixOptions.diskDir.empty())
    return fail("--prefix-cache does not work with --ranks yet");

  Progress progress(prog, quiet);
  std::string error;
  open.note = [&](const std::string &line) { progress.note(line); };
  open.progress = [&](uint64_t done, uint64_t total, const std::string &what) {
    progress.update(size_t(done), size_t(total), what.c_str());
  };
  auto t0 = std::chrono::steady_clock::now();
  open.requiredKernels = v4::executorKernelNames();
  Model model;
  if (!openModel(modelDir, open, jit, model, error))
    return fail(error);
  const v4::V4Config &config = model.config;
  Tokenizer *tokenizer = model.tokenizer.get();
  std::vector<std::vector<int64_t>> ids;
  for (const Prompt &p : prompts) {
    if (!p.isText) {
      ids.push_back(p.ids);
      continue;
    }
    if (!tokenizer)
      return fail(modelDir +
                  " has no tokenizer.json: --prompt needs one (use --tokens)");
    std::vector<int32_t> enc = tokenizer->encode(p.text, true);
    ids.emplace_back(enc.begin(), enc.end());
    if (ids.back().empty())
      return fail("--prompt encodes to no tokens");
  }
  for (const auto &p : ids)
    for (int64_t t : p)
      if (t >= config.vocabSize)
        return fail("token id " + std::to_string(t) +
                    " is outside the vocabulary [0, " +
                    std::to_string(config.vocabSize) + ")");
  if (tokenizer && !ignoreEos)
    gen.eosId = tokenizer->eosId();
  gen.keepLogits = !dumpLogits.empty();

  auto t1 = std::chrono::steady_clock::now();
  v4::ExecutorOptions exOpts;
  int64_t longest = 0;
  for (const auto &p : ids)
    longest = std::max<int64_t>(longest, int64_t(p.size()));
  exOpts.maxSeqLen = maxSeqLen ? maxSeqLen : longest + gen.maxNewTokens;
  exOpts.profile = profile;
  exOpts.graphs = graphs;
  exOpts.engramTables = model.engramTables.get();
  exOpts.progress = [&](size_t done, size_t total) {
    progress.update(done, total, "weights");
  };
  // With --ranks, rank 0 runs on the model's device and every other rank on
  // a device of its own, sharing the kernels.
  std::vector<std::unique_ptr<Collectives>> group;
  std::vector<std::unique_ptr<Device>> rankDevices;
  std::vector<std::unique_ptr<v4::Executor>> rankExecutors;
  if (ranks > 1) {
    if (model.target != "cpu")
      return fail("--ranks runs tensor-parallel ranks on the cpu target only "
                  "(the cuda target's NCCL collectives are not built yet); "
                  "this run's target is " +
                  model.target);
    if (!v4::checkTensorParallel(config, ranks, error))
      return fail(error);
    group = makeHostCollectives(ranks);
    exOpts.collectives = group[0].get();
    for (int r = 1; r < ranks; ++r) {
      v4::ExecutorOptions rankOpts = exOpts;
      rankOpts.collectives = group[size_t(r)].get();
      rankOpts.progress = nullptr;
      rankDevices.push_back(std::make_unique<HostDevice>("cpu"));
      auto e = createExecutor(model, *rankDevices.back(), *model.kernels,
                              rankOpts, error);
      if (!e)
        return fail("rank " + std::to_string(r) + ": " + error);
      rankExecutors.push_back(std::move(e));
    }
  }
  auto executor =
      createExecutor(model, *model.device, *model.kernels, exOpts, error);
  if (!executor)
    return fail(error);
  auto t2 = std::chrono::steady_clock::now();
  progress.note(std::string(model.fromBundle ? "bundle opened in "
                                             : "kernels ready in ") +
                std::to_string(std::chrono::duration<double>(t1 - t0).count()) +
                " s, weights in " +
                std::to_string(std::chrono::duration<double>(t2 - t1).count()) +
                " s");
  gen.progress = [&](int64_t step, int64_t total) {
    progress.update(size_t(step), size_t(total), "tokens");
  };
  std::unique_ptr<v4::PrefixCache> prefixCache;
  if (!prefixOptions.diskDir.empty()) {
    prefixOptions.modelKey = modelIdentity(model, open);
    prefixCache = v4::PrefixCache::create(*executor, prefixOptions, error);
    if (!prefixCache)
      return fail(error);
    gen.prefixCache = prefixCache.get();
  }
  v4::GenerateResult result;
  // The other ranks make the same calls on threads of their own (their
  // results are rank 0's); a rank that fails releases the others.
  std::vector<std::string> rankErrors(rankExecutors.size());
  std::vector<std::thread> rankThreads;
  for (size_t r = 0; r < rankExecutors.size(); ++r)
    rankThreads.emplace_back([&, r] {
      v4::GenerateOptions rankGen = gen;
      rankGen.progress = nullptr;
      v4::GenerateResult rankResult;
      if (!v4::generate(*rankExecutors[r], ids, rankGen, rankResult,
                        rankErrors[r]))
        group[r + 1]->abort();
    });
  bool ok = v4::generate(*executor, ids, gen, result, error);
  if (!ok && !group.empty())
    group[0]->abort();
  for (std::thread &t : rankThreads)
    t.join();
  // The first cause, not a rank that stopped because another failed.
  for (size_t r = 0; r < rankErrors.size(); ++r)
    if (!rankErrors[r].empty() &&
        (ok || error.find("aborted") != std::string::npos)) {
      ok = false;
      error = "rank " + std::to_string(r + 1) + ": " + rankErrors[r];
    }
  if (!ok)
    return fail(error);
  if (prefixCache) {
    // Written to the directory now, so that a failure is reported.
    if (!prefixCache->flush(error))
      return fail(error);
    const v4::PrefixCacheStats &st = prefixCache->stats();
    char line[256];
    std::snprintf(line, sizeof line,
                  "prefix cache %s: %lld prompt tokens reused; %lld found "
                  "(%lld on disk), %lld not found, %lld damaged files "
                  "removed, %lld stored",
                  prefixOptions.diskDir.c_str(), (long long)result.reusedTokens,
                  (long long)(st.deviceHits + st.hostHits + st.diskHits),
                  (long long)st.diskHits, (long long)st.misses,
                  (long long)st.corruptFiles, (long long)st.stored);
    progress.note(line);
  }

  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids.size() > 1)
      std::printf("[%zu] ", i);
    if (tokenizer) {
      std::vector<int32_t> all(ids[i].begin(), ids[i].end());
      all.insert(all.end(), result.generated[i].begin(),
                 result.generated[i].end());
      std::printf("%s\n", tokenizer->decode(all, true).c_str());
    } else {
      std::string line;
      for (int64_t t : ids[i])
        line += std::to_string(t) + " ";
      line += "|";
      for (int64_t t : result.generated[i])
        line += " " + std::to_string(t);
      std::printf("%s\n", line.c_str());
    }
  }
  std::fflush(stdout);
  auto rate = [](int64_t n, double s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", s > 0 ? double(n) / s : 0.0);
    return std::string(buf);
  };
  char line[256];
  std::snprintf(line, sizeof line,
                "prefill %lld tokens in %.3f s (%s tokens/s); decode %lld "
                "tokens in %.3f s (%s tokens/s)",
                (long long)result.prefillTokens, result.prefillSeconds,
                rate(result.prefillTokens, result.prefillSeconds).c_str(),
                (long long)result.decodeTokens, result.decodeSeconds,
                rate(result.decodeTokens, result.decodeSeconds).c_str());
  std::fprintf(stderr, "%s\n", line);
  if (result.sampledOnHost > 0)
    std::fprintf(stderr,
                 "sampling: %lld choices made on the host from downloaded "
                 "logits (a nucleus over 1024 tokens or past a 4096-id "
                 "slice's 256 largest, or a largest logit of +-inf or NaN); "
                 "the rest on the device\n",
                 (long long)result.sampledOnHost);

  if (profile)
    printProfile(stderr, executor->profile());
  const int64_t vocab = config.vocabSize;
  const int64_t batch = int64_t(ids.size());
  if (!dumpLogits.empty()) {
    int64_t steps = 0;
    for (const auto &l : result.logits)
      steps = std::max<int64_t>(steps, int64_t(l.size()));
    std::vector<int64_t> shape =
        batch == 1 ? std::vector<int64_t>{steps, vocab}
                   : std::vector<int64_t>{batch, steps, vocab};
    HostTensor out(ElementType::F32, shape);
    auto *dst = static_cast<float *>(out.data());
    std::memset(dst, 0, out.numElements() * 4);
    for (int64_t b = 0; b < batch; ++b)
      for (size_t s = 0; s < result.logits[b].size(); ++s)
        std::memcpy(dst + (b * steps + int64_t(s)) * vocab,
                    result.logits[b][s].data(), vocab * 4);
    if (!writeNpy(dumpLogits, out, error))
      return fail(error);
  }
  if (!dumpTokens.empty()) {
    int64_t n = 0;
    for (int64_t b = 0; b < batch; ++b)
      n = std::max<int64_t>(
          n, int64_t(ids[b].size() + result.generated[b].size()));
    std::vector<int64_t> shape =
        batch == 1 ? std::vector<int64_t>{n} : std::vector<int64_t>{batch, n};
    HostTensor out(ElementType::I64, shape);
    auto *dst = static_cast<int64_t *>(out.data());
    for (int64_t k = 0; k < out.numElements(); ++k)
      dst[k] = -1;
    for (int64_t b = 0; b < batch; ++b) {
      int64_t k = 0;
      for (int64_t t : ids[b])
        dst[b * n + k++] = t;
      for (int64_t t : result.generated[b])
        dst[b * n + k++] = t;
    }
    if (!writeNpy(dumpTokens, out, error))
      return fail(error);
  }
  return 0;
}
