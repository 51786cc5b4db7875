//===- v4_decode_bench.cpp - V4 decode tokens/s: dsv4c beside PyTorch ----===//
//
// One run measures CPU prefill and decode tokens/s of a small V4 model:
//   dsv4c   the V4 executor over the tile kernels JIT-compiled for the CPU
//           target (models/v4/Executor.h, JitKernels.h)
//   torch   the PyTorch reference (tests/reference_model/v4_reference.py)
//           on the same checkpoint, prompts, greedy decode and thread count,
//           through bench/v4_torch_decode.py run by /usr/bin/python3
// and prints both with the ratio dsv4c/torch, plus the top kernels of the
// decode phase (ExecutorOptions::profile, read during the timed run).
//
// The checkpoint is generated into a temporary directory (the tiny preset or
// --config FILE) unless --model DIR names one. A benchmark, not a test: it is
// not registered with ctest.
//
//===----------------------------------------------------------------------===//
#include "models/v4/CheckpointGenerator.h"
#include "models/v4/Config.h"
#include "models/v4/Executor.h"
#include "models/v4/JitKernels.h"
#include "runtime/Device.h"
#include "runtime/Json.h"
#include "runtime/Safetensors.h"
#include "tools/runner/Args.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>

using namespace dsv4c;
using dsv4c::runner::parseInt;
namespace fs = std::filesystem;

namespace {

const char *kUsage = R"(usage: v4_decode_bench [options]

CPU decode (and prefill) tokens/s of a small DeepSeek-V4 model: dsv4c's
executor over the JIT-compiled tile kernels beside the PyTorch reference
(tests/reference_model/v4_reference.py) on the same checkpoint, prompts,
greedy decode and thread count, with the ratio dsv4c/torch.

options:
  --model DIR          use this checkpoint (default: generate one into a
                       temporary directory)
  --config FILE        config.json of the checkpoint to generate (default:
                       the tiny preset, models/v4/CheckpointGenerator.h)
  --seed N             checkpoint seed (default 1)
  --threads N          dsv4c worker threads and torch.set_num_threads
                       (default: all hardware threads)
  --prompt-len P       prompt tokens per sequence (default 64)
  --decode-steps D     timed decode steps (default 32)
  --batch LIST         batch sizes, comma separated (default 1,4)
  --warmup-steps W     decode steps of an untimed warm-up run (4-token
                       prompts) before each timed run (default 1; 0: none)
  --top K              kernels in the decode profile (default 8; 0: none)
  --python PATH        interpreter for the torch side (default /usr/bin/python3)
  --torch-mode M       batched (default: one forward over the batch) or loop
                       (one batch-1 reference model per sequence)
  --no-torch           dsv4c only
  --keep               keep the generated checkpoint (its path is printed)
  --help               this text
)";

int fail(const std::string &message) {
  std::fprintf(stderr, "v4_decode_bench: %s\n", message.c_str());
  return 1;
}

/// Prompt tokens per sequence of the warm-up run (both sides).
constexpr int64_t kWarmupPrompt = 4;

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int64_t argmaxFirst(const float *row, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = i;
  return best;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Deterministic prompts: B sequences of P ids in [0, vocab).
std::vector<std::vector<int64_t>> makePrompts(int64_t batch, int64_t len,
                                              int64_t vocab) {
  std::vector<std::vector<int64_t>> prompts(batch);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto &p : prompts)
    for (int64_t i = 0; i < len; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      p.push_back(int64_t(x % uint64_t(vocab)));
    }
  return prompts;
}

struct Side {
  bool ran = false;
  double prefillSeconds = 0, decodeSeconds = 0, stepMsMedian = 0;
  std::vector<std::vector<int64_t>> generated;
};

/// One timed run on `executor`: prefill all prompts in one step, then
/// `steps` greedy decode steps. Sequences are reset first.
bool runDsv4c(v4::Executor &executor, const std::vector<int> &seqs,
              const std::vector<std::vector<int64_t>> &prompts, int64_t steps,
              Side &out, std::string &error,
              std::vector<v4::KernelProfile> *prefillProfile = nullptr) {
  const int64_t vocab = executor.config().vocabSize;
  const size_t batch = prompts.size();
  out = Side();
  out.generated.resize(batch);
  std::vector<v4::StepInput> inputs;
  for (size_t i = 0; i < batch; ++i) {
    if (!executor.resetSequence(seqs[i], error))
      return false;
    inputs.push_back({seqs[i], prompts[i]});
  }
  std::vector<float> logits;
  auto t = Clock::now();
  if (!executor.step(inputs, logits, error))
    return false;
  out.prefillSeconds = since(t);
  if (prefillProfile)
    *prefillProfile = executor.profile();
  std::vector<double> stepSeconds;
  for (int64_t k = 0;; ++k) {
    for (size_t i = 0; i < batch; ++i) {
      int64_t token = argmaxFirst(logits.data() + i * vocab, vocab);
      out.generated[i].push_back(token);
      inputs[i].tokens = {token};
    }
    if (k == steps)
      break;
    t = Clock::now();
    if (!executor.step(inputs, logits, error))
      return false;
    stepSeconds.push_back(since(t));
  }
  for (double s : stepSeconds)
    out.decodeSeconds += s;
  out.stepMsMedian = median(stepSeconds) * 1e3;
  out.ran = true;
  return true;
}

std::string shellQuote(const std::string &s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct TorchResult {
  Side side;
  std::string error; // why it did not run
  std::string version, mode, note;
  int64_t threads = 0;
};

/// Runs bench/v4_torch_decode.py and reads the JSON on its last stdout line.
TorchResult runTorch(const std::string &python, const std::string &modelDir,
                     const std::vector<std::vector<int64_t>> &prompts,
                     int64_t steps, unsigned threads, int64_t warmup,
                     const std::string &mode) {
  TorchResult r;
  std::string ids;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (i)
      ids += ";";
    for (size_t k = 0; k < prompts[i].size(); ++k)
      ids += (k ? "," : "") + std::to_string(prompts[i][k]);
  }
  std::string cmd = shellQuote(python) + " " +
                    shellQuote(DSV4C_BENCH_DIR "/v4_torch_decode.py") + " " +
                    shellQuote(modelDir) + " --prompts " + shellQuote(ids) +
                    " --decode-steps " + std::to_string(steps) +
                    " --threads " + std::to_string(threads) +
                    " --warmup-steps " + std::to_string(warmup) +
                    " --warmup-prompt " + std::to_string(kWarmupPrompt) +
                    " --mode " + mode;
  std::fflush(stdout);
  std::fflush(stderr);
  FILE *pipe = popen(cmd.c_str(), "r");
  if (!pipe) {
    r.error = "cannot start " + python;
    return r;
  }
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    output.append(buf, n);
  int status = pclose(pipe);
  // The last non-empty line is the JSON object.
  while (!output.empty() && (output.back() == '\n' || output.back() == ' '))
    output.pop_back();
  size_t nl = output.rfind('\n');
  std::string last = nl == std::string::npos ? output : output.substr(nl + 1);
  std::string error;
  std::optional<JsonValue> json = parseJson(last, error);
  if (!json || !json->isObject()) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.error = python + (code == 127 ? " not found"
                                    : " exited with status " +
                                          std::to_string(code)) +
              " and printed no result (see its messages above)";
    return r;
  }
  auto num = [&](const char *key) {
    const JsonValue *v = json->find(key);
    return v && v->asDouble() ? *v->asDouble() : 0.0;
  };
  auto str = [&](const char *key) {
    const JsonValue *v = json->find(key);
    return v && v->asString() ? *v->asString() : std::string();
  };
  const JsonValue *ok = json->find("ok");
  if (!ok || !ok->asBool() || !*ok->asBool()) {
    r.error = str("error");
    return r;
  }
  r.version = str("torch_version");
  r.mode = str("mode");
  r.note = str("note");
  r.threads = int64_t(num("threads"));
  r.side.prefillSeconds = num("prefill_seconds");
  r.side.decodeSeconds = num("decode_seconds");
  r.side.stepMsMedian = num("step_ms_median");
  if (const JsonValue *g = json->find("generated"); g && g->asArray())
    for (const JsonValue &row : *g->asArray()) {
      r.side.generated.emplace_back();
      if (row.asArray())
        for (const JsonValue &t : *row.asArray())
          r.side.generated.back().push_back(t.asInteger().value_or(-1));
    }
  r.side.ran = true;
  return r;
}

std::string configSummary(const v4::V4Config &c) {
  std::ostringstream s;
  s << "dim " << c.dim << ", " << c.numLayers << " layers + " << c.nMtpLayers
    << " MTP, " << c.numHeads << " heads x " << c.headDim << ", q_lora "
    << c.qLoraRank << ", experts " << c.nRoutedExperts << " (top "
    << c.nActivatedExperts << ", inter " << c.moeInterDim << ", "
    << c.nHashLayers << " hash layers), vocab " << c.vocabSize << ", window "
    << c.windowSize << ", compress_ratios [";
  for (int64_t l = 0; l < c.numLayers; ++l)
    s << (l ? "," : "") << c.compressRatio(l);
  s << "]";
  return s.str();
}

std::string cpuName() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown CPU";
}

/// The 1-minute load average (other work on the machine skews timings).
std::string loadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string one;
  return f >> one ? one : std::string("?");
}

std::string rate(int64_t tokens, double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f",
                seconds > 0 ? double(tokens) / seconds : 0.0);
  return buf;
}

std::string ratio(double dsv4cSeconds, double torchSeconds) {
  if (dsv4cSeconds <= 0 || torchSeconds <= 0)
    return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", torchSeconds / dsv4cSeconds);
  return buf;
}

/// "33/33" per sequence: greedy ids equal before the first difference.
std::string agreement(const Side &a, const Side &b) {
  if (!a.ran || !b.ran || a.generated.size() != b.generated.size())
    return "-";
  size_t same = 0, total = 0;
  for (size_t i = 0; i < a.generated.size(); ++i) {
    size_t n = std::min(a.generated[i].size(), b.generated[i].size());
    size_t k = 0;
    while (k < n && a.generated[i][k] == b.generated[i][k])
      ++k;
    same += k;
    total += a.generated[i].size();
  }
  return std::to_string(same) + "/" + std::to_string(total);
}

struct BatchResult {
  int64_t batch = 0;
  Side dsv4c;
  TorchResult torch;
  std::vector<v4::KernelProfile> decodeProfile;
  double decodeProfileSeconds = 0;
};

} // namespace

int main(int argc, char **argv) {
  std::string modelDir, configPath, python = "/usr/bin/python3",
                                    torchMode = "batched";
  int64_t seed = 1, promptLen = 64, decodeSteps = 32, warmup = 1, top = 8;
  unsigned threads = 0;
  std::vector<int64_t> batches = {1, 4};
  bool noTorch = false, keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], v;
    auto value = [&]() {
      if (i + 1 >= argc)
        return false;
      v = argv[++i];
      return true;
    };
    int64_t n;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--model") {
      if (!value())
        return fail("--model needs a directory");
      modelDir = v;
    } else if (arg == "--config") {
      if (!value())
        return fail("--config needs a file");
      configPath = v;
    } else if (arg == "--seed") {
      if (!value() || !parseInt(v, 0, seed))
        return fail("--seed needs a non-negative integer");
    } else if (arg == "--threads") {
      if (!value() || !parseInt(v, 1, n))
        return fail("--threads needs an integer >= 1");
      threads = unsigned(n);
    } else if (arg == "--prompt-len") {
      if (!value() || !parseInt(v, 1, promptLen))
        return fail("--prompt-len needs an integer >= 1");
    } else if (arg == "--decode-steps") {
      if (!value() || !parseInt(v, 1, decodeSteps))
        return fail("--decode-steps needs an integer >= 1");
    } else if (arg == "--warmup-steps") {
      if (!value() || !parseInt(v, 0, warmup))
        return fail("--warmup-steps needs an integer >= 0");
    } else if (arg == "--top") {
      if (!value() || !parseInt(v, 0, top))
        return fail("--top needs an integer >= 0");
    } else if (arg == "--batch") {
      batches.clear();
      if (!value())
        return fail("--batch needs sizes, e.g. 1,4");
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ','))
        if (!parseInt(item, 1, n))
          return fail("--batch needs integers >= 1, comma separated");
        else
          batches.push_back(n);
      if (batches.empty())
        return fail("--batch needs sizes, e.g. 1,4");
    } else if (arg == "--python") {
      if (!value())
        return fail("--python needs a path");
      python = v;
    } else if (arg == "--torch-mode") {
      if (!value() || (v != "batched" && v != "loop"))
        return fail("--torch-mode needs batched or loop");
      torchMode = v;
    } else if (arg == "--no-torch") {
      noTorch = true;
    } else if (arg == "--keep") {
      keep = true;
    } else {
      return fail("unknown argument '" + arg + "' (see --help)");
    }
  }
  if (!modelDir.empty() && !configPath.empty())
    return fail("give --model or --config, not both");
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());

  const std::string loadBefore = loadAverage();
  std::string error;
  v4::V4Config config;
  std::string tempDir, configName;
  struct Cleanup { // the generated checkpoint, unless --keep
    std::string dir;
    bool keep;
    ~Cleanup() {
      if (!dir.empty() && !keep) {
        std::error_code ec;
        fs::remove_all(dir, ec);
      }
    }
  } cleanup{"", keep};
  auto t0 = Clock::now();
  if (modelDir.empty()) {
    if (configPath.empty()) {
      config = v4::v4TinyConfig();
      configName = "tiny preset (v4TinyConfig)";
    } else {
      if (!v4::parseV4Config(configPath, config, error))
        return fail(error);
      configName = configPath;
    }
    std::string tmpl =
        (fs::temp_directory_path() / "v4_decode_bench.XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      return fail("cannot create a temporary directory");
    tempDir = modelDir = cleanup.dir = tmpl;
    v4::GeneratorOptions gen;
    gen.seed = uint64_t(seed);
    if (!v4::generateCheckpoint(config, modelDir, gen, error))
      return fail(error);
  } else {
    if (!v4::parseV4Config((fs::path(modelDir) / "config.json").string(),
                           config, error))
      return fail(error);
    configName = modelDir;
  }
  double genSeconds = since(t0);
  if (!v4::checkExecutorSupport(config, error))
    return fail(error);

  std::unique_ptr<Checkpoint> ckpt = Checkpoint::open(modelDir, error);
  if (!ckpt)
    return fail(error);
  std::fprintf(stderr, "v4_decode_bench: compiling the kernels for cpu...\n");
  t0 = Clock::now();
  v4::JitOptions jit;
  jit.target = "cpu";
  jit.threads = threads;
  std::unique_ptr<KernelLibrary> kernels = v4::createJitKernels(jit, error);
  if (!kernels)
    return fail(error);
  double compileSeconds = since(t0);
  HostDevice device("cpu");
  const int64_t maxSeqLen = promptLen + decodeSteps + 1;
  const int64_t warmPrompt = std::min<int64_t>(promptLen, kWarmupPrompt);

  std::string torchSkip = noTorch ? "--no-torch" : "";
  std::vector<BatchResult> results;
  for (int64_t batch : batches) {
    BatchResult br;
    br.batch = batch;
    std::vector<std::vector<int64_t>> prompts =
        makePrompts(batch, promptLen, config.vocabSize);
    std::vector<std::vector<int64_t>> warmPrompts = prompts;
    for (auto &p : warmPrompts)
      p.resize(size_t(warmPrompt));
    // One timed run; with profiling on, the executor reads the clock once
    // more per launch (negligible beside a launch).
    v4::ExecutorOptions opts;
    opts.maxSeqLen = maxSeqLen;
    opts.profile = top > 0;
    auto executor =
        v4::Executor::create(config, *ckpt, device, *kernels, opts, error);
    if (!executor)
      return fail(error);
    std::vector<int> seqs;
    for (int64_t i = 0; i < batch; ++i) {
      int s = executor->addSequence(error);
      if (s < 0)
        return fail(error);
      seqs.push_back(s);
    }
    std::fprintf(stderr, "v4_decode_bench: dsv4c, batch %lld\n",
                 (long long)batch);
    Side warm;
    if (warmup && !runDsv4c(*executor, seqs, warmPrompts,
                            std::min(warmup, decodeSteps), warm, error))
      return fail(error);
    std::vector<v4::KernelProfile> before;
    if (!runDsv4c(*executor, seqs, prompts, decodeSteps, br.dsv4c, error,
                  &before))
      return fail(error);
    // The decode phase: the profile at the end less the one after prefill.
    std::map<std::string, v4::KernelProfile> prev;
    for (const auto &p : before)
      prev[p.name] = p;
    for (v4::KernelProfile p : executor->profile()) {
      auto it = prev.find(p.name);
      if (it != prev.end()) {
        p.launches -= it->second.launches;
        p.seconds -= it->second.seconds;
      }
      if (p.launches == 0)
        continue;
      br.decodeProfileSeconds += p.seconds;
      br.decodeProfile.push_back(p);
    }
    std::sort(br.decodeProfile.begin(), br.decodeProfile.end(),
              [](const auto &a, const auto &b) { return a.seconds > b.seconds; });
    executor.reset();
    if (!torchSkip.empty()) {
      br.torch.error = torchSkip;
    } else {
      std::fprintf(stderr, "v4_decode_bench: torch, batch %lld\n",
                   (long long)batch);
      br.torch = runTorch(python, modelDir, prompts, decodeSteps, threads,
                          warmup, torchMode);
      if (!br.torch.side.ran) {
        std::fprintf(stderr, "v4_decode_bench: torch did not run: %s\n",
                     br.torch.error.c_str());
        torchSkip = br.torch.error; // no retry at the next batch size
      }
    }
    results.push_back(std::move(br));
  }

  // Report.
  std::string torchInfo = "not run";
  for (const BatchResult &r : results)
    if (r.torch.side.ran) {
      torchInfo = "torch " + r.torch.version + ", " +
                  std::to_string(r.torch.threads) + " threads";
      break;
    } else if (!r.torch.error.empty()) {
      torchInfo = "NOT RUN (dsv4c numbers only): " + r.torch.error;
    }
  std::printf("\nV4 CPU decode: dsv4c (tile kernels, cpu JIT) vs the PyTorch "
              "reference (tests/reference_model/v4_reference.py)\n");
  std::printf("config   %s\n         %s\n", configName.c_str(),
              configSummary(config).c_str());
  std::printf("machine  %s, %u hardware threads; load average %s at start, "
              "%s at end\n",
              cpuName().c_str(), std::thread::hardware_concurrency(),
              loadBefore.c_str(), loadAverage().c_str());
  std::printf("threads  %u (dsv4c cpu workers; torch.set_num_threads)\n",
              threads);
  std::printf("torch    %s\n", torchInfo.c_str());
  std::printf("setup    checkpoint %s in %.2f s, %zu kernels compiled in "
              "%.2f s\n",
              tempDir.empty() ? "given" : "generated", genSeconds,
              v4::executorKernelNames().size(), compileSeconds);
  std::printf("run      greedy; prompt %lld tokens per sequence, %lld timed "
              "decode steps after a warm-up of %lld; tok/s = batch x tokens / "
              "seconds\n\n",
              (long long)promptLen, (long long)decodeSteps, (long long)warmup);
  std::printf("%5s %6s %6s  %-7s %12s %12s %12s %14s %14s  %s\n", "batch",
              "prompt", "steps", "phase", "dsv4c tok/s", "torch tok/s",
              "dsv4c/torch", "dsv4c ms/step", "torch ms/step", "same ids");
  for (const BatchResult &r : results) {
    const Side &d = r.dsv4c, &t = r.torch.side;
    const int64_t b = r.batch;
    std::string tp = t.ran ? rate(b * promptLen, t.prefillSeconds) : "-";
    std::string td = t.ran ? rate(b * decodeSteps, t.decodeSeconds) : "-";
    char tms[32] = "-", tpms[32] = "-";
    if (t.ran) {
      std::snprintf(tms, sizeof tms, "%.2f", t.stepMsMedian);
      std::snprintf(tpms, sizeof tpms, "%.2f", t.prefillSeconds * 1e3);
    }
    std::printf("%5lld %6lld %6lld  %-7s %12s %12s %12s %14.2f %14s  %s\n",
                (long long)b, (long long)promptLen, (long long)decodeSteps,
                "prefill", rate(b * promptLen, d.prefillSeconds).c_str(),
                tp.c_str(),
                t.ran ? ratio(d.prefillSeconds, t.prefillSeconds).c_str() : "-",
                d.prefillSeconds * 1e3, tpms, "");
    std::printf("%5lld %6lld %6lld  %-7s %12s %12s %12s %14.2f %14s  %s\n",
                (long long)b, (long long)promptLen, (long long)decodeSteps,
                "decode", rate(b * decodeSteps, d.decodeSeconds).c_str(),
                td.c_str(),
                t.ran ? ratio(d.decodeSeconds, t.decodeSeconds).c_str() : "-",
                d.stepMsMedian, tms, agreement(d, t).c_str());
  }
  std::printf("\ndsv4c/torch: tokens/s ratio (> 1: dsv4c faster). ms/step: "
              "prefill = the one prefill step, decode = the median step.\n"
              "same ids: greedy ids equal up to the first difference, summed "
              "over sequences (prefill pick + decode steps). Informative "
              "only: the logits agree to\n~1-3%% (tests/model_e2e/"
              "V4EndToEndTest.cpp checks them) and random weights give near "
              "ties, so ids part early.\n");
  for (const BatchResult &r : results)
    if (!r.torch.note.empty() || (r.torch.side.ran && r.torch.mode == "loop" &&
                                  r.batch > 1))
      std::printf("note: torch at batch %lld ran in %s mode%s%s\n",
                  (long long)r.batch, r.torch.mode.c_str(),
                  r.torch.note.empty() ? "" : ": ", r.torch.note.c_str());

  if (top > 0)
    for (const BatchResult &r : results) {
      std::printf("\ndsv4c decode profile, batch %lld, %lld steps "
                  "(ExecutorOptions::profile, the timed run): top %lld of %zu "
                  "kernels, %.2f ms in kernels\n",
                  (long long)r.batch, (long long)decodeSteps, (long long)top,
                  r.decodeProfile.size(), r.decodeProfileSeconds * 1e3);
      std::printf("  %-28s %9s %10s %10s %7s\n", "kernel", "launches",
                  "total ms", "us/launch", "share");
      for (size_t k = 0; k < r.decodeProfile.size() && k < size_t(top); ++k) {
        const v4::KernelProfile &p = r.decodeProfile[k];
        std::printf("  %-28s %9llu %10.2f %10.1f %6.1f%%\n", p.name.c_str(),
                    (unsigned long long)p.launches, p.seconds * 1e3,
                    p.seconds * 1e6 / double(p.launches),
                    r.decodeProfileSeconds > 0
                        ? 100 * p.seconds / r.decodeProfileSeconds
                        : 0.0);
      }
    }
  if (keep && !tempDir.empty())
    std::printf("\ncheckpoint kept in %s\n", tempDir.c_str());
  return 0;
}
