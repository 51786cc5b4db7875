//===- InspectCommand.cpp - `inspect`: what a bundle holds ----------------===//
#include "tools/runner/Commands.h"

#include "runtime/Hash.h"

#include <cstdio>
#include <string>

using namespace dsv4c;
using namespace dsv4c::runner;

namespace {
const char *kUsage = R"(usage: %s BUNDLE [--no-verify]

Prints what a bundle made by `dsv4c compile` holds: format version, sections
(offset, size, checksum), the model (config summary, layer plan, tokenizer),
each target (triple, CPU, features, kernels and their size) with its weight
layout, and the weights (embedded, or the directory and files it refers to).
Every section's checksum is verified first unless --no-verify.
)";

std::string human(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / (1ull << 30));
  else if (bytes >= (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(bytes) / (1ull << 20));
  else if (bytes >= 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)bytes);
  return buf;
}
} // namespace

int runner::inspectCommand(int argc, char **argv) {
  std::string prog = argv[0], path;
  bool verify = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, prog.c_str());
      return 0;
    }
    if (arg == "--no-verify") {
      verify = false;
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "%s: unknown option '%s' (see --help)\n",
                   prog.c_str(), arg.c_str());
      return 1;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::fprintf(stderr, "%s: unexpected argument '%s'\n", prog.c_str(),
                   arg.c_str());
      return 1;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "%s: missing BUNDLE (see --help)\n", prog.c_str());
    return 1;
  }
  std::string error;
  std::unique_ptr<Bundle> bundle = Bundle::open(path, error, verify);
  Manifest mf;
  if (!bundle || !parseManifest(*bundle, mf, error)) {
    std::fprintf(stderr, "%s: %s\n", prog.c_str(), error.c_str());
    return 1;
  }
  std::printf("bundle %s\n  format version %u, %s, checksums %s\n",
              path.c_str(), bundle->formatVersion(),
              human(bundle->fileBytes()).c_str(),
              verify ? "verified" : "not checked");
  std::printf("sections:\n");
  for (const BundleSection &s : bundle->sections())
    std::printf("  %-36s %12llu bytes at %10llu  xxh64 %s\n", s.name.c_str(),
                (unsigned long long)s.size, (unsigned long long)s.offset,
                hashToHex(s.checksum).c_str());

  v4::V4Config config;
  if (const BundleSection *cfg = bundle->find(kConfigSection)) {
    std::optional<JsonValue> j = parseJson(cfg->text(), error);
    if (j && v4::parseV4ConfigJson(*j, config, error, path + ": config.json"))
      std::printf("model: DeepSeek-V4, %lld layers + %lld MTP, dim %lld, "
                  "vocab %lld, %lld experts (top %lld), %lld heads\n",
                  (long long)config.numLayers, (long long)config.nMtpLayers,
                  (long long)config.dim, (long long)config.vocabSize,
                  (long long)config.nRoutedExperts,
                  (long long)config.nActivatedExperts,
                  (long long)config.numHeads);
    else
      std::printf("model: config.json does not parse: %s\n", error.c_str());
  }
  if (const BundleSection *g = bundle->find(kGraphSection)) {
    std::optional<JsonValue> j = parseJson(g->text(), error);
    const JsonValue *blocks = j ? j->find("blocks") : nullptr;
    std::string plan;
    if (blocks && blocks->asArray())
      for (const JsonValue &b : *blocks->asArray()) {
        const JsonValue *a = b.find("attention");
        const JsonValue *r = b.find("routing");
        const JsonValue *k = b.find("kind");
        plan += std::string(plan.empty() ? "" : ", ") +
                (k && k->asString() && *k->asString() == "mtp" ? "mtp:" : "") +
                (a && a->asString() ? *a->asString() : "?") + "/" +
                (r && r->asString() ? *r->asString() : "?");
      }
    std::printf("graph: %s\n", plan.c_str());
  }
  std::printf("tokenizer: %s\n", mf.hasTokenizer ? "yes" : "none");
  for (const BundleTarget &t : mf.targets) {
    const BundleSection *code = bundle->find(kernelsSection(t.name));
    std::string machine =
        t.format == "ptx" ? "arch " + t.cpu
                          : "cpu " + t.cpu + ", " +
                                std::to_string(t.features.size()) + " features";
    std::printf("target %s: %s, %s, %s, %zu kernels, %s\n", t.name.c_str(),
                t.format.c_str(), t.triple.c_str(), machine.c_str(),
                t.kernels.size(),
                code ? human(code->size).c_str() : "(code missing)");
    std::string names;
    for (const std::string &k : t.kernels)
      names += (names.empty() ? "" : " ") + k;
    std::printf("  kernels: %s\n", names.c_str());
    if (const BundleSection *l = bundle->find(layoutSection(t.name))) {
      std::optional<JsonValue> j = parseJson(l->text(), error);
      const JsonValue *tensors = j ? j->find("tensors") : nullptr;
      const JsonValue *placement = j ? j->find("placement") : nullptr;
      std::printf("  layout: %zu tensors, placement %s\n",
                  tensors && tensors->asArray() ? tensors->asArray()->size()
                                                : size_t(0),
                  placement && placement->asString()
                      ? placement->asString()->c_str()
                      : "?");
      const JsonValue *kv = j ? j->find("kv_cache") : nullptr;
      auto field = [&](const char *name) {
        const JsonValue *v = kv ? kv->find(name) : nullptr;
        return v && v->asInteger() ? *v->asInteger() : int64_t(0);
      };
      if (kv)
        std::printf("  kv cache: %lld-byte entries, pages of %lld\n",
                    (long long)field("entry_bytes"),
                    (long long)field("page_entries"));
      else
        std::printf("  kv cache: not stated (an older bundle)\n");
    }
  }
  std::printf("weights: %s%s\n",
              mf.embeddedWeights ? "embedded" : "by reference to ",
              mf.embeddedWeights ? "" : mf.weightsDirectory.c_str());
  for (const WeightFile &w : mf.weightFiles)
    std::printf("  %s: %s, header xxh64 %s\n", w.name.c_str(),
                human(w.bytes).c_str(), w.headerHash.c_str());
  return 0;
}
