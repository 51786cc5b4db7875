//===- Model.cpp - a V4 model opened from a bundle or a directory ---------===//
#include "tools/runner/Model.h"

#include "models/v4/KvCacheLayout.h"
#include "runtime/Hash.h"
#include "runtime/HostKernels.h"
#include "targets/cuda/CudaKernels.h"
#include "targets/opencl/OpenclDriver.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace dsv4c;
using namespace dsv4c::runner;
namespace fs = std::filesystem;

namespace {

/// This machine's architecture as LLVM triples spell it.
const char *hostArch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

/// Whether this CPU has `feature` (an LLVM feature name); true for
/// features we cannot test, which are then the user's to know.
bool hostHasFeature(const std::string &f) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DSV4C_FEATURE(name)                                                    \
  if (f == name)                                                               \
    return __builtin_cpu_supports(name);
  DSV4C_FEATURE("sse3")
  DSV4C_FEATURE("ssse3")
  DSV4C_FEATURE("sse4.1")
  DSV4C_FEATURE("sse4.2")
  DSV4C_FEATURE("popcnt")
  DSV4C_FEATURE("avx")
  DSV4C_FEATURE("avx2")
  DSV4C_FEATURE("fma")
  DSV4C_FEATURE("bmi")
  DSV4C_FEATURE("bmi2")
  DSV4C_FEATURE("avx512f")
  DSV4C_FEATURE("avx512bw")
  DSV4C_FEATURE("avx512dq")
  DSV4C_FEATURE("avx512vl")
  DSV4C_FEATURE("avx512cd")
  DSV4C_FEATURE("avx512vnni")
  DSV4C_FEATURE("avx512bf16")
#undef DSV4C_FEATURE
#endif
  return true;
}

std::vector<std::string> stringList(const JsonValue *v) {
  std::vector<std::string> out;
  if (const JsonValue::Array *a = v ? v->asArray() : nullptr)
    for (const JsonValue &e : *a)
      if (const std::string *s = e.asString())
        out.push_back(*s);
  return out;
}

std::string stringField(const JsonValue &o, const char *key) {
  const JsonValue *v = o.find(key);
  const std::string *s = v ? v->asString() : nullptr;
  return s ? *s : "";
}

/// The kernels of `target` from the bundle, made ready to launch.
std::unique_ptr<KernelLibrary> loadKernels(const Model &model,
                                           const BundleTarget &target,
                                           unsigned threads,
                                           std::string &error) {
  const std::string where = model.path + ": target '" + target.name + "'";
  if (target.name == "cuda") {
    const BundleSection *ptx = model.bundle->find(kernelsSection(target.name));
    if (!ptx) {
      error = where + ": section '" + kernelsSection(target.name) + "' missing";
      return nullptr;
    }
    auto library = cuda::createKernelLibrary(
        static_cast<cuda::CudaDevice &>(*model.device),
        std::string(ptx->text()), target.kernels, error);
    if (!library)
      error = where + ": " + error;
    return library;
  }
  if (target.name != "cpu") {
    error = where + ": this runtime cannot run it (it runs: cpu, cuda)";
    return nullptr;
  }
  std::string arch = target.triple.substr(0, target.triple.find('-'));
  if (arch != hostArch()) {
    error = where + " was compiled for " + target.triple +
            "; this machine is " + hostArch() +
            " (recompile with dsv4c compile on or for this architecture)";
    return nullptr;
  }
  std::vector<std::string> missing;
  for (const std::string &f : target.features)
    if (!hostHasFeature(f))
      missing.push_back(f);
  if (!missing.empty()) {
    std::string list;
    for (const std::string &f : missing)
      list += (list.empty() ? "" : ", ") + f;
    error = where + " was compiled for CPU '" + target.cpu +
            "', which has features this CPU lacks: " + list +
            " (recompile with e.g. --cpu x86-64-v2)";
    return nullptr;
  }
  const BundleSection *so = model.bundle->find(kernelsSection(target.name));
  if (!so) {
    error = where + ": section '" + kernelsSection(target.name) + "' missing";
    return nullptr;
  }
  auto object = SharedObject::load(so->data, so->size,
                                   model.path + ": " + so->name, error);
  if (!object)
    return nullptr;
  SharedObject *raw = object.get();
  return std::make_unique<HostKernelLibrary>(
      "cpu", target.kernels,
      [raw](const std::string &name, std::string &error) {
        return reinterpret_cast<HostKernelFn>(raw->symbol(name, error));
      },
      object, threads);
}

/// Checks that the weights directory still holds the files the bundle was
/// compiled against.
bool checkWeightFiles(const Model &model, const std::string &dir,
                      std::string &error) {
  for (const WeightFile &w : model.manifest.weightFiles) {
    fs::path p = fs::path(dir) / w.name;
    auto fail = [&](const std::string &what) {
      error = model.path + ": weights file " + p.string() + " " + what +
              " since the bundle was compiled (recompile with dsv4c "
              "compile, or point --weights at the original checkpoint)";
      return false;
    };
    std::error_code ec;
    if (!fs::exists(p, ec))
      return fail("is missing: it was there");
    uint64_t size = fs::file_size(p, ec);
    if (ec || size != w.bytes)
      return fail("has " + std::to_string(size) + " bytes, not the " +
                  std::to_string(w.bytes) + " recorded,");
    if (safetensorsFileHeaderHash(p.string()) != w.headerHash)
      return fail("has a different tensor table");
  }
  return true;
}

bool openBundle(const std::string &path, const OpenOptions &options,
                Model &model, std::string &error) {
  if (options.note)
    options.note("opening bundle " + path);
  std::unique_ptr<Bundle> bundle = Bundle::open(
      path, error, options.verify, [&](uint64_t done, uint64_t total) {
        if (options.progress)
          options.progress(done, total, "checksums");
      });
  if (!bundle)
    return false;
  model.bundle = std::move(bundle);
  model.fromBundle = true;
  if (!parseManifest(*model.bundle, model.manifest, error))
    return false;
  const Manifest &mf = model.manifest;

  // The model: config, tokenizer.
  const BundleSection *cfg = model.bundle->find(kConfigSection);
  if (!cfg) {
    error = path + ": section 'config.json' missing";
    return false;
  }
  std::string jsonError;
  std::optional<JsonValue> cfgJson = parseJson(cfg->text(), jsonError);
  if (!cfgJson) {
    error = path + ": config.json: invalid JSON at " + jsonError;
    return false;
  }
  if (!v4::parseV4ConfigJson(*cfgJson, model.config, error,
                             path + ": config.json"))
    return false;
  if (model.config.engram) {
    const BundleSection *t = model.bundle->find(kEngramTablesSection);
    if (!t) {
      error = path + ": the model has Engram layers but the bundle has no "
                     "section 'engram.safetensors'";
      return false;
    }
    model.engramTables = Checkpoint::openMemory(
        {{path + ": engram.safetensors", t->data, size_t(t->size)}},
        model.bundle, error);
    if (!model.engramTables)
      return false;
  }
  if (const BundleSection *tok = model.bundle->find(kTokenizerSection)) {
    const BundleSection *tc = model.bundle->find(kTokenizerConfigSection);
    std::string tcText = tc ? std::string(tc->text()) : std::string();
    model.tokenizer = Tokenizer::loadFromString(
        tok->text(), path + ": tokenizer.json", error, tc ? &tcText : nullptr);
    if (!model.tokenizer)
      return false;
  }

  // The kernels.
  if (mf.targets.empty()) {
    error = path + ": the bundle holds kernels for no target";
    return false;
  }
  std::string targetList;
  for (const BundleTarget &t : mf.targets)
    targetList += (targetList.empty() ? "" : ", ") + t.name;
  const BundleTarget *target = nullptr;
  if (options.target.empty()) {
    std::vector<std::string> runnable = runnableTargets();
    for (const BundleTarget &t : mf.targets)
      if (!target && std::count(runnable.begin(), runnable.end(), t.name))
        target = &t;
    if (!target) {
      error = path + ": holds kernels for " + targetList +
              "; this runtime runs none of them";
      return false;
    }
  } else if (!(target = mf.findTarget(options.target))) {
    error = path + ": holds kernels for " + targetList + ", not for '" +
            options.target + "' (dsv4c compile --target " + options.target +
            ")";
    return false;
  }
  for (const std::string &k : options.requiredKernels)
    if (std::find(target->kernels.begin(), target->kernels.end(), k) ==
        target->kernels.end()) {
      error = path + ": target '" + target->name + "' has no kernel '" + k +
              "', which this runtime launches (recompile the bundle with "
              "the dsv4c of this runtime)";
      return false;
    }
  // The target's layout statement: the KV cache this runtime writes.
  const std::string layoutName = layoutSection(target->name);
  const BundleSection *layout = model.bundle->find(layoutName);
  if (!layout) {
    error = path + ": section '" + layoutName + "' missing";
    return false;
  }
  std::optional<JsonValue> layoutJson = parseJson(layout->text(), jsonError);
  if (!layoutJson) {
    error = path + ": " + layoutName + ": invalid JSON at " + jsonError;
    return false;
  }
  if (!v4::checkKvCacheLayout(*layoutJson, path + ": " + layoutName, error))
    return false;
  model.target = target->name;
  model.device = openDevice(target->name, error);
  if (!model.device)
    return false;
  model.kernels = loadKernels(model, *target, options.threads, error);
  if (!model.kernels)
    return false;

  // The weights: generated, embedded sections or the directory they refer
  // to.
  if (options.generateWeightsSeed) {
    model.generator = std::make_unique<v4::TensorGenerator>(
        model.config, *options.generateWeightsSeed);
    return true;
  }
  if (mf.embeddedWeights) {
    std::vector<Checkpoint::MemoryFile> files;
    for (const WeightFile &w : mf.weightFiles) {
      const BundleSection *s = model.bundle->find(weightsSection(w.name));
      if (!s) {
        error = path + ": section '" + weightsSection(w.name) + "' missing";
        return false;
      }
      files.push_back({path + ": " + s->name, s->data, size_t(s->size)});
    }
    model.checkpoint = Checkpoint::openMemory(files, model.bundle, error);
    return model.checkpoint != nullptr;
  }
  std::string dir = options.weightsDirectory.empty() ? mf.weightsDirectory
                                                     : options.weightsDirectory;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = path + ": the weights directory " + dir +
            " it refers to does not exist (use --weights DIR, or compile "
            "with --embed-weights)";
    return false;
  }
  if (!checkWeightFiles(model, dir, error))
    return false;
  model.checkpoint = Checkpoint::open(dir, error);
  return model.checkpoint != nullptr;
}

} // namespace

bool runner::openCheckpointDirectory(const std::string &path, Model &model,
                                     std::string &error, bool weights) {
  if (!v4::parseV4Config((fs::path(path) / "config.json").string(),
                         model.config, error))
    return false;
  fs::path tokPath = fs::path(path) / "tokenizer.json";
  std::error_code ec;
  if (fs::exists(tokPath, ec)) {
    model.tokenizer = Tokenizer::load(tokPath.string(), error);
    if (!model.tokenizer)
      return false;
  }
  if (weights) {
    model.checkpoint = Checkpoint::open(path, error);
    if (!model.checkpoint)
      return false;
  }
  if (model.config.engram) {
    fs::path tables = fs::path(path) / "engram.safetensors";
    if (!fs::exists(tables, ec)) {
      error = tables.string() +
              " not found: the model has Engram layers; "
              "write its tables with python3 "
              "scripts/engram_tables.py " +
              path;
      return false;
    }
    model.engramTables = Checkpoint::open(tables.string(), error);
    if (!model.engramTables)
      return false;
  }
  return true;
}

namespace {
bool openDirectory(const std::string &path, const OpenOptions &options,
                   const JitHook &jit, Model &model, std::string &error) {
  if (!jit) {
    error = path +
            " is a model directory; this runtime-only build runs "
            "bundles (make one with: dsv4c compile " +
            path + " -o model.dsv4)";
    return false;
  }
  const bool generate = options.generateWeightsSeed.has_value();
  if (!openCheckpointDirectory(path, model, error, !generate))
    return false;
  if (generate)
    model.generator = std::make_unique<v4::TensorGenerator>(
        model.config, *options.generateWeightsSeed);
  model.target = options.target.empty() ? "cpu" : options.target;
  model.device = openDevice(model.target, error);
  if (!model.device)
    return false;
  if (options.note)
    options.note(
        "compiling the kernels for " + model.target +
        (model.target == "opencl"
             ? " (the OpenCL runtime then compiles each kernel at its first "
               "launch: minutes on PoCL, cached for later runs)"
             : ""));
  model.kernels = jit(model.target, options.threads, *model.device, error);
  return model.kernels != nullptr;
}

} // namespace

const BundleTarget *Manifest::findTarget(const std::string &name) const {
  for (const BundleTarget &t : targets)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::unique_ptr<Device> runner::openDevice(const std::string &target,
                                           std::string &error) {
  if (target == "cuda")
    return cuda::CudaDevice::open(0, error);
  if (target == "opencl")
    return opencl::OpenclDevice::open(0, error);
  return std::make_unique<HostDevice>(target);
}

std::vector<std::string> runner::runnableTargets() {
  std::vector<std::string> targets = {"cpu"};
  std::string error;
  std::vector<cuda::DeviceInfo> devices;
  if (auto driver = cuda::loadDriver(error);
      driver && cuda::listDevices(*driver, devices, error) && !devices.empty())
    targets.push_back("cuda");
  return targets;
}

std::string runner::safetensorsFileHeaderHash(const std::string &path) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return "";
  std::string head(8, '\0');
  bool ok = std::fread(head.data(), 1, 8, f) == 8;
  uint64_t len = 0;
  for (int i = 7; ok && i >= 0; --i)
    len = (len << 8) | uint8_t(head[i]);
  ok = ok && len <= (uint64_t(1) << 30); // far above any real header
  if (ok) {
    head.resize(8 + len);
    ok = std::fread(head.data() + 8, 1, len, f) == len;
  }
  std::fclose(f);
  return ok ? hashToHex(xxh64(head.data(), head.size())) : "";
}

bool runner::parseManifest(const Bundle &bundle, Manifest &manifest,
                           std::string &error) {
  const std::string where = bundle.path() + ": manifest.json";
  const BundleSection *s = bundle.find(kManifestSection);
  if (!s) {
    error = bundle.path() + ": section 'manifest.json' missing";
    return false;
  }
  std::string jsonError;
  std::optional<JsonValue> j = parseJson(s->text(), jsonError);
  if (!j || !j->isObject()) {
    error = where + ": " +
            (j ? "not a JSON object" : "invalid JSON at " + jsonError);
    return false;
  }
  auto fail = [&](const std::string &what) {
    error = where + ": " + what;
    return false;
  };
  if (stringField(*j, "format") != "dsv4c-bundle")
    return fail("field 'format' is not \"dsv4c-bundle\"");
  const JsonValue *v = j->find("format_version");
  manifest.formatVersion = v && v->asInteger() ? *v->asInteger() : 0;
  if (manifest.formatVersion != kBundleFormatVersion)
    return fail("field 'format_version' is " +
                std::to_string(manifest.formatVersion) +
                "; this runtime reads " + std::to_string(kBundleFormatVersion));
  manifest.producer = stringField(*j, "producer");
  const JsonValue *w = j->find("weights");
  if (!w || !w->isObject())
    return fail("field 'weights' missing");
  std::string mode = stringField(*w, "mode");
  if (mode != "embedded" && mode != "reference")
    return fail("field 'weights.mode' is '" + mode +
                "', not 'embedded' or 'reference'");
  manifest.embeddedWeights = mode == "embedded";
  manifest.weightsDirectory = stringField(*w, "directory");
  const JsonValue *files = w->find("files");
  if (!files || !files->asArray() || files->asArray()->empty())
    return fail("field 'weights.files' must list the safetensors files");
  for (const JsonValue &f : *files->asArray()) {
    WeightFile wf;
    wf.name = stringField(f, "name");
    const JsonValue *b = f.find("bytes");
    wf.bytes = b && b->asInteger() ? uint64_t(*b->asInteger()) : 0;
    wf.headerHash = stringField(f, "header_xxh64");
    if (wf.name.empty() || wf.name.find("..") != std::string::npos ||
        wf.name[0] == '/')
      return fail("field 'weights.files': bad file name '" + wf.name + "'");
    manifest.weightFiles.push_back(wf);
  }
  const JsonValue *targets = j->find("targets");
  if (!targets || !targets->asArray())
    return fail("field 'targets' missing");
  for (const JsonValue &t : *targets->asArray()) {
    BundleTarget bt;
    bt.name = stringField(t, "name");
    bt.format = stringField(t, "format");
    bt.triple = stringField(t, "triple");
    bt.cpu = stringField(t, "cpu");
    bt.features = stringList(t.find("features"));
    bt.kernels = stringList(t.find("kernels"));
    if (bt.name.empty())
      return fail("a target has no 'name'");
    manifest.targets.push_back(bt);
  }
  manifest.hasTokenizer = bundle.find(kTokenizerSection) != nullptr;
  return true;
}

bool runner::openModel(const std::string &path, const OpenOptions &options,
                       const JitHook &jit, Model &model, std::string &error) {
  model.path = path;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return openDirectory(path, options, jit, model, error);
  if (!fs::exists(path, ec)) {
    error = path + ": no such file or directory";
    return false;
  }
  return openBundle(path, options, model, error);
}

std::string runner::modelIdentity(const Model &model,
                                  const OpenOptions &options) {
  // The state's layout (KV entry and page sizes) and the kernels: a
  // bundle's sections (its manifest holds the config), or for a model
  // directory this build of dsv4c and its config.json.
  std::string id = "target " + model.target + "; kv entries of " +
                   std::to_string(v4::kKvEntryBytes) + " bytes, pages of " +
                   std::to_string(v4::kKvPageEntries);
  if (model.bundle) {
    for (const BundleSection &s : model.bundle->sections())
      id += "; " + s.name + " " + hashToHex(s.checksum);
  } else {
    // Kernels compiled now by this program: its file's size and time.
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    id +=
        "; kernels of " + self.string() + " " +
        std::to_string(ec ? 0 : fs::file_size(self, ec)) + " " +
        std::to_string(
            ec ? 0 : fs::last_write_time(self, ec).time_since_epoch().count());
    std::ifstream config(fs::path(model.path) / "config.json",
                         std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(config)),
                           std::istreambuf_iterator<char>());
    id += "; config.json " + hashToHex(xxh64(text.data(), text.size()));
  }
  if (options.generateWeightsSeed)
    return id + "; weights generated, seed " +
           std::to_string(*options.generateWeightsSeed);
  if (model.bundle && model.manifest.embeddedWeights)
    return id;
  // Weight files by name, size and time (hashing gigabytes per run would
  // cost more than the prefill a cache saves).
  const std::string dir = !options.weightsDirectory.empty()
                              ? options.weightsDirectory
                          : model.bundle ? model.manifest.weightsDirectory
                                         : model.path;
  std::vector<std::string> files;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) // no weight files to name: a key no other run shares
    return id + "; weights in " + dir + " unreadable: " + ec.message() + " (" +
           std::to_string(::getpid()) + ")";
  for (const auto &f : it) {
    std::error_code fe;
    const auto size = f.file_size(fe);
    const auto time = f.last_write_time(fe).time_since_epoch().count();
    files.push_back(f.path().filename().string() + " " + std::to_string(size) +
                    " " + std::to_string(time));
  }
  std::sort(files.begin(), files.end());
  for (const std::string &f : files)
    id += "; " + f;
  return id;
}
