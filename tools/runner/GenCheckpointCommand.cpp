//===- GenCheckpointCommand.cpp - `gen-checkpoint`
//-------------------------===//
//
// In dsv4c and in the runtime-only dsv4-run: a GPU machine without the
// compiler makes the big V4-Flash-shaped checkpoints itself (a bundle
// compiled elsewhere by reference accepts them: same config and seed, same
// files).
//
//===----------------------------------------------------------------------===//
#include "tools/runner/Commands.h"

#include "tools/runner/Progress.h"

#include "models/v4/CheckpointGenerator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace dsv4c;
using namespace dsv4c::runner;

namespace {

const char *kUsage = R"(usage: %s OUT_DIR [--preset tiny|flash | --config FILE]
           [--layers N] [--seed N] [--shards N] [--layout-only]

Writes config.json, a tokenizer and a safetensors checkpoint of random weights in the
official DeepSeek-V4 layout (tensor names, dtypes, shapes, FP8 weights with
UE8M0 128x128 block scales, FP4 experts packed two per byte with 1x32 scales).
The same config, seed and shards give byte-identical files.

options:
  --preset tiny   a tiny V4 with SWA, CSA and HCA layers, a hash-routed
                  layer and one MTP block (the default)
  --preset flash  DeepSeek-V4-Flash's shapes (hidden 4096, 64 heads, 256
                  experts of 2048, vocabulary 129280; FP8 linears, FP4
                  experts): 43 layers and an MTP block, about 160 GB; take
                  fewer with --layers
  --config FILE   any V4 config.json (HF field names); checked first
  --layers N      keep the first N layers (and the MTP block) of the config
  --seed N        random seed (default 0)
  --shards N      N > 1 writes model-0000K-of-0000N.safetensors and
                  model.safetensors.index.json (default 1)
  --no-tokenizer  do not write tokenizer.json / tokenizer_config.json (a
                  byte-level BPE sized to vocab_size, which must be >= 258)
  --layout-only   the files' layout without the values: config, tokenizer
                  and safetensors headers as the full checkpoint has them,
                  the tensor data left as holes (sparse files, no time, no
                  disk). Enough to compile a bundle by reference
                  (`dsv4c compile`) for a machine that makes the full
                  checkpoint with the same config, seed and shards;
                  nothing runs on it
  --engram        add a tiny Engram module (config section and weights) at
                  layer 1; then write its tables with
                  `python3 scripts/engram_tables.py OUT_DIR`
  --help          this text

examples:
  dsv4c gen-checkpoint models/tiny --seed 1
  dsv4-run gen-checkpoint /data/flash4 --preset flash --layers 4
  dsv4c gen-checkpoint flash12 --preset flash --layers 12 --layout-only
)";

bool parseCount(const std::string &text, long min, long &out) {
  char *end = nullptr;
  out = std::strtol(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0' && out >= min;
}

const char *gProgram = "gen-checkpoint";

int fail(const std::string &message) {
  std::fprintf(stderr, "%s: %s\n", gProgram, message.c_str());
  return 1;
}

/// The first `layers` layers of `config`, with its MTP blocks.
bool keepLayers(v4::V4Config &config, long layers, std::string &error) {
  if (layers > config.numLayers) {
    error = "--layers " + std::to_string(layers) + ": the config has " +
            std::to_string(config.numLayers) + " layers";
    return false;
  }
  std::vector<int64_t> ratios(config.compressRatios.begin(),
                              config.compressRatios.begin() + layers);
  ratios.insert(ratios.end(), config.compressRatios.begin() + config.numLayers,
                config.compressRatios.end());
  config.compressRatios = ratios;
  config.nHashLayers = std::min<int64_t>(config.nHashLayers, layers);
  config.numLayers = layers;
  return v4::validateV4Config(config, error);
}

} // namespace

int dsv4c::runner::genCheckpointCommand(int argc, char **argv) {
  gProgram = argv[0];
  std::string outDir, configPath, preset = "tiny";
  long layers = 0;
  bool engram = false;
  v4::GeneratorOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    long n;
    if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, gProgram);
      return 0;
    } else if (arg == "--preset") {
      if (!value(preset) || (preset != "tiny" && preset != "flash"))
        return fail("--preset takes 'tiny' or 'flash'");
    } else if (arg == "--layers") {
      if (!value(v) || !parseCount(v, 1, layers))
        return fail("--layers needs a positive integer");
    } else if (arg == "--config") {
      if (!value(configPath))
        return fail("--config needs a file");
    } else if (arg == "--seed") {
      if (!value(v) || !parseCount(v, 0, n))
        return fail("--seed needs a non-negative integer");
      options.seed = uint64_t(n);
    } else if (arg == "--no-tokenizer") {
      options.tokenizer = false;
    } else if (arg == "--layout-only") {
      options.layoutOnly = true;
    } else if (arg == "--engram") {
      engram = true;
    } else if (arg == "--shards") {
      if (!value(v) || !parseCount(v, 1, n) || n > 99999)
        return fail("--shards needs an integer from 1 to 99999");
      options.shards = int(n);
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (outDir.empty()) {
      outDir = arg;
    } else {
      return fail("one output directory only, got '" + outDir + "' and '" +
                  arg + "'");
    }
  }
  if (outDir.empty()) {
    std::fprintf(stderr, kUsage, gProgram);
    return 1;
  }

  std::string error;
  v4::V4Config config =
      preset == "flash" ? v4::v4FlashConfig() : v4::v4TinyConfig();
  if (!configPath.empty() && !v4::parseV4Config(configPath, config, error))
    return fail(error);
  if (layers && !keepLayers(config, layers, error))
    return fail(error);
  if (engram) {
    // Small, within the kernels' limits: 2- and 3-grams, 2 heads of 64.
    v4::EngramConfig e;
    e.layerIds = {std::min<int64_t>(1, config.numLayers - 1)};
    e.vocabSizes = {5 * config.vocabSize, 5 * config.vocabSize};
    e.maxNgram = 3;
    e.embedPerNgram = 128;
    e.headsPerNgram = 2;
    e.kernelSize = 4;
    e.padId = 0;
    config.engram = e;
    if (!v4::validateV4Config(config, error))
      return fail(error);
  }
  Progress progress(gProgram, false);
  options.progress = [&](size_t done, size_t total) {
    progress.update(done, total, "tensors");
  };
  if (!v4::generateCheckpoint(config, outDir, options, error))
    return fail(error);
  std::printf(
      "wrote %s/config.json, %s%s%s\n", outDir.c_str(),
      options.tokenizer ? "tokenizer.json and " : "",
      options.shards == 1 ? "model.safetensors" : "the shards with their index",
      options.layoutOnly ? " (layout only: the tensor data are holes)" : "");
  if (engram)
    std::printf("next: python3 scripts/engram_tables.py %s (the Engram "
                "tables)\n",
                outDir.c_str());
  return 0;
}
