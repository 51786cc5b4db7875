//===- CompileCommand.cpp - `dsv4c compile`: an AOT model bundle ----------===//
#include "tools/dsv4c/Commands.h"

#include "models/v4/Executor.h"
#include "models/v4/JitKernels.h"
#include "models/v4/KvCacheLayout.h"
#include "runtime/Bundle.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/cuda/CudaCompile.h"
#include "tools/runner/Model.h"
#include "tools/runner/Progress.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using namespace dsv4c;
using namespace dsv4c::runner;
namespace fs = std::filesystem;

namespace {

const char *kUsage =
    R"(usage: dsv4c compile MODEL_DIR -o BUNDLE [--target T]... [options]

Compiles a DeepSeek-V4 model directory (config.json + safetensors in the
official layout, optional tokenizer.json) into one bundle file that the
runtime runs without the compiler (`dsv4-run run BUNDLE`, or `dsv4c run`).
The bundle holds the config, the tokenizer, the model's layer plan, the
compiled kernels and the weight layout of each target, and the weights by
reference to MODEL_DIR (default) or embedded. Format: docs/bundle-format.md.

options:
  -o, --output FILE    the bundle to write (required)
  --target T           a target to compile for; repeatable (default: cpu).
                       This build compiles for: cpu, cuda (PTX, loaded by
                       the CUDA driver at run time)
  --cpu NAME           the cpu target's CPU: host (default: this machine's
                       CPU and features) or an LLVM CPU name such as
                       x86-64-v2, x86-64-v3, x86-64-v4, znver4
  --sm ARCH            the cuda target's GPU architecture (default sm_90a)
  --embed-weights      copy the safetensors files into the bundle (one file
                       to deploy) instead of referring to MODEL_DIR
  --quiet              no progress lines
  --help               this text

example:
  dsv4c compile models/tiny -o tiny.dsv4 && dsv4-run run tiny.dsv4 --prompt Hi
)";

int fail(const std::string &message) {
  std::fprintf(stderr, "dsv4c compile: %s\n", message.c_str());
  return 1;
}

std::string readFile(const fs::path &path, std::string &error) {
  std::FILE *f = std::fopen(path.string().c_str(), "rb");
  if (!f) {
    error = path.string() + ": cannot open";
    return "";
  }
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    text.append(buf, n);
  std::fclose(f);
  return text;
}

JsonValue stringArray(const std::vector<std::string> &items) {
  JsonValue a = JsonValue::array();
  for (const std::string &s : items)
    a.push(JsonValue::string(s));
  return a;
}

/// graph.json: what the executor runs, block by block, and the kernels it
/// launches. The runtime checks the bundle's targets hold every one.
JsonValue graphJson(const v4::V4Config &config) {
  JsonValue blocks = JsonValue::array();
  for (int64_t b = 0; b < config.numBlocks(); ++b) {
    int64_t ratio = config.compressRatio(b);
    JsonValue block = JsonValue::object();
    block.set("block", JsonValue::integer(b));
    block.set("kind",
              JsonValue::string(b < config.numLayers ? "layer" : "mtp"));
    block.set("attention", JsonValue::string(ratio == 0   ? "sliding_window"
                                             : ratio == 4 ? "csa"
                                                          : "hca"));
    block.set("compress_ratio", JsonValue::integer(ratio));
    block.set("routing",
              JsonValue::string(config.isHashLayer(b) ? "hash" : "score"));
    blocks.push(std::move(block));
  }
  JsonValue g = JsonValue::object();
  g.set("model", JsonValue::string("deepseek-v4"));
  g.set("executor", JsonValue::string("models/v4/Executor"));
  g.set("blocks", std::move(blocks));
  g.set("kernels", stringArray(v4::executorKernelNames()));
  return g;
}

/// layout/<target>.json: where each weight goes on the target, and the KV
/// cache layout (models/v4/KvCacheLayout.h). The cpu target uses every
/// tensor in place, row-major as the checkpoint stores it; the cuda target
/// copies each one to device memory as it is: its tensor-core dots read FP8
/// and FP4 weights [out, in] with `in` contiguous, the B operand layout of
/// mma.sync .row.col, so no repacking is needed.
JsonValue layoutJson(const std::string &target, const Checkpoint &ckpt) {
  JsonValue tensors = JsonValue::array();
  for (const TensorInfo &t : ckpt.tensors()) {
    JsonValue e = JsonValue::object();
    e.set("name", JsonValue::string(t.name));
    e.set("dtype", JsonValue::string(t.dtypeName()));
    JsonValue shape = JsonValue::array();
    for (int64_t d : t.shape)
      shape.push(JsonValue::integer(d));
    e.set("shape", std::move(shape));
    e.set("layout", JsonValue::string("row-major"));
    tensors.push(std::move(e));
  }
  JsonValue l = JsonValue::object();
  l.set("target", JsonValue::string(target));
  l.set("placement",
        JsonValue::string(target == "cpu" ? "in-place" : "device-copy"));
  l.set("tensors", std::move(tensors));
  l.set("kv_cache", v4::kvCacheLayoutJson());
  return l;
}

} // namespace

int dsv4c::runCompileCommand(int argc, char **argv) {
  std::string modelDir, output, cpuName = "host";
  std::vector<std::string> targets;
  cuda::PtxOptions ptxOptions;
  bool embed = false, quiet = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      if (!value(output))
        return fail(arg + " needs a file");
    } else if (arg == "--target") {
      if (!value(v))
        return fail("--target needs a name");
      if (v == "reference")
        return fail("the reference target is an interpreter: there is no "
                    "code to put in a bundle (compile for: cpu)");
      if (v != "cpu" && v != "cuda")
        return fail("unknown target '" + v +
                    "' (this build compiles for: "
                    "cpu, cuda)");
      if (std::find(targets.begin(), targets.end(), v) == targets.end())
        targets.push_back(v);
    } else if (arg == "--cpu") {
      if (!value(cpuName))
        return fail("--cpu needs a CPU name");
    } else if (arg == "--sm") {
      if (!value(ptxOptions.sm))
        return fail("--sm needs a GPU architecture, e.g. sm_90a");
    } else if (arg == "--embed-weights") {
      embed = true;
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
    return fail("missing MODEL_DIR (see --help)");
  if (output.empty())
    return fail("missing -o BUNDLE (see --help)");
  if (targets.empty())
    targets.push_back("cpu");

  Progress progress("dsv4c compile", quiet);
  std::string error;
  std::error_code ec;
  if (!fs::is_directory(modelDir, ec))
    return fail(modelDir + ": not a model directory");
  fs::path dir = fs::absolute(modelDir, ec);
  v4::V4Config config;
  if (!v4::parseV4Config((dir / "config.json").string(), config, error))
    return fail(error);
  if (!v4::checkExecutorSupport(config, error))
    return fail((dir / "config.json").string() + ": " + error);
  std::unique_ptr<Checkpoint> ckpt = Checkpoint::open(dir.string(), error);
  if (!ckpt)
    return fail(error);
  if (!v4::validateCheckpoint(config, *ckpt, error))
    return fail(dir.string() + ": " + error);

  BundleWriter writer;
  writer.addFile(kConfigSection, (dir / "config.json").string());
  bool hasTokenizer = fs::exists(dir / "tokenizer.json", ec);
  if (hasTokenizer) {
    std::string tokText = readFile(dir / "tokenizer.json", error);
    if (!error.empty())
      return fail(error);
    // Refuse now what the runtime would refuse later.
    if (!Tokenizer::loadFromString(tokText, (dir / "tokenizer.json").string(),
                                   error))
      return fail(error);
    writer.addBytes(kTokenizerSection, std::move(tokText));
    if (fs::exists(dir / "tokenizer_config.json", ec))
      writer.addFile(kTokenizerConfigSection,
                     (dir / "tokenizer_config.json").string());
  }
  writer.addBytes(kGraphSection, writeJson(graphJson(config)));
  if (config.engram) {
    fs::path tables = dir / "engram.safetensors";
    std::unique_ptr<Checkpoint> t = Checkpoint::open(tables.string(), error);
    if (!t)
      return fail(error +
                  " (the model has Engram layers; write the tables "
                  "with python3 scripts/engram_tables.py " +
                  dir.string() + ")");
    writer.addFile(kEngramTablesSection, tables.string());
  }

  // Weights: the files, by reference or embedded.
  JsonValue files = JsonValue::array();
  for (const std::string &path : ckpt->files()) {
    fs::path rel = fs::path(path).lexically_relative(dir);
    JsonValue f = JsonValue::object();
    f.set("name", JsonValue::string(rel.string()));
    f.set("bytes", JsonValue::integer(int64_t(fs::file_size(path, ec))));
    f.set("header_xxh64", JsonValue::string(safetensorsFileHeaderHash(path)));
    files.push(std::move(f));
    if (embed)
      writer.addFile(weightsSection(rel.string()), path);
  }
  JsonValue weights = JsonValue::object();
  weights.set("mode", JsonValue::string(embed ? "embedded" : "reference"));
  weights.set("directory", JsonValue::string(dir.string()));
  weights.set("files", std::move(files));

  // Kernels for each target.
  v4::KernelModule kernels;
  if (!v4::parseKernelModule(kernels, error))
    return fail(error);
  JsonValue targetList = JsonValue::array();
  for (const std::string &target : targets) {
    auto t0 = std::chrono::steady_clock::now();
    bool isCuda = target == "cuda";
    progress.note(
        "compiling " +
        std::to_string(cpu::kernelNames(*kernels.module).size()) +
        " kernels for " + target +
        (isCuda ? " (" + ptxOptions.sm + ")" : " (cpu " + cpuName + ")"));
    cpu::CpuAotResult result;
    if (isCuda) {
      std::string ptx;
      if (!cuda::compileToPtx(*kernels.module, ptxOptions, ptx, error))
        return fail(error);
      result.sharedObject.assign(ptx.begin(), ptx.end());
      result.kernels = cpu::kernelNames(*kernels.module);
      result.triple = "nvptx64-nvidia-cuda";
      result.cpu = ptxOptions.sm;
    } else if (!cpu::compileSharedObject(*kernels.module, {cpuName}, result,
                                         error)) {
      return fail(error);
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    char line[128];
    std::snprintf(line, sizeof line, "%s: %zu kernels, %zu bytes in %.1f s",
                  target.c_str(), result.kernels.size(),
                  result.sharedObject.size(), seconds);
    progress.note(line);
    JsonValue t = JsonValue::object();
    t.set("name", JsonValue::string(target));
    t.set("format", JsonValue::string(isCuda ? "ptx" : "elf-shared-object"));
    t.set("triple", JsonValue::string(result.triple));
    t.set("cpu", JsonValue::string(result.cpu));
    t.set("features", stringArray(result.features));
    t.set("kernels", stringArray(result.kernels));
    t.set("kernels_section", JsonValue::string(kernelsSection(target)));
    t.set("layout_section", JsonValue::string(layoutSection(target)));
    targetList.push(std::move(t));
    writer.addBytes(kernelsSection(target), std::move(result.sharedObject));
    writer.addBytes(layoutSection(target),
                    writeJson(layoutJson(target, *ckpt)));
  }

  JsonValue manifest = JsonValue::object();
  manifest.set("format", JsonValue::string("dsv4c-bundle"));
  manifest.set("format_version", JsonValue::integer(kBundleFormatVersion));
  manifest.set("producer", JsonValue::string("dsv4c compile"));
  manifest.set("weights", std::move(weights));
  manifest.set("targets", std::move(targetList));
  writer.addBytes(kManifestSection, writeJson(manifest));

  if (!writer.write(output, error, [&](uint64_t done, uint64_t total) {
        progress.update(size_t(done), size_t(total), "writing");
      }))
    return fail(error);
  progress.note("wrote " + output + " (" +
                std::to_string(fs::file_size(output, ec)) + " bytes)");
  return 0;
}
