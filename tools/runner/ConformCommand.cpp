//===- ConformCommand.cpp - `dsv4-run conform PACK` -----------------------===//
#include "tools/runner/Commands.h"

#include "runtime/Npy.h"
#include "targets/conformance/ConformancePack.h"
#include "targets/cuda/CudaKernels.h"
#include "targets/opencl/OpenclDriver.h"

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace dsv4c;
using namespace dsv4c::conformance;
using namespace dsv4c::runner;
namespace fs = std::filesystem;

namespace {
const char *kUsage = R"(usage: dsv4-run conform PACK_DIR [--filter TEXT] [--no-model]
                               [--iters N] [--json FILE]

Runs a conformance pack (made by `dsv4c conform --target cuda|opencl
--export PACK_DIR` on a machine with the compiler) on this machine's device
(the pack's target: cuda or opencl): every tile op case and every V4
kernel case against the reference target's outputs, and the pack's model
(a tiny V4 checkpoint) end to end against the reference target's logits.
Prints one row per case (op, case, grid, max error, tolerance, result, ms)
and a summary; exit status 1 when a case fails.

A bench pack (`dsv4c conform --target T --bench --export PACK_DIR`: the V4
kernels at V4-Flash shapes, inputs generated here) is timed instead: each
case's time per launch over N launches queued back to back with one wait
at the end (the device's time: launch cost hidden), its median and fastest
launch over N launches each waited for (after 3 warm-up launches), the
bytes of its buffers and what that is in GB/s (back to back). The PyTorch
and hardware-limit side: bench/cuda_v4_kernels.py.

options:
  --filter TEXT   only the cases whose name or op contains TEXT
  --no-model      leave out the model row
  --iters N       bench packs: timed launches per case (default 20)
  --json FILE     bench packs: also write the times as JSON to FILE
  --help          this text
)";

int fail(const std::string &m) {
  std::fprintf(stderr, "dsv4-run conform: %s\n", m.c_str());
  return 1;
}
} // namespace

namespace {
/// The byte size of each kernel argument of a pack case.
gpu::KernelArguments kernelArguments(const PackCase &c) {
  gpu::KernelArguments k{c.kernel, {}};
  for (const PackArg &a : c.args)
    k.bytes.push_back(a.kind == "i32" || a.kind == "f32" ? 4 : 8);
  return k;
}

/// The pack's programs, each built once on first use: a case's own code,
/// or a library the V4 cases and the model row share.
class PackPrograms {
public:
  PackPrograms(const std::string &dir, const Pack &pack, Device &device)
      : dir(dir), pack(pack), device(device) {}

  /// Null with `error` set when the code cannot be read or built.
  KernelLibrary *get(const std::string &code,
                     const std::vector<gpu::KernelArguments> &kernels,
                     std::string &error) {
    auto it = built.find(code);
    if (it == built.end())
      it = built.emplace(code, build(code, kernels)).first;
    error = it->second.error;
    return it->second.library.get();
  }

  /// For a case: its library's kernels when it shares one.
  KernelLibrary *forCase(const PackCase &c, std::string &error) {
    const PackLibrary *shared = pack.findLibrary(c.code);
    return shared ? forLibrary(*shared, error)
                  : get(c.code, {kernelArguments(c)}, error);
  }
  /// Frees a case's own program once it has run (PoCL holds hundreds of MB
  /// per program); libraries stay for the other cases and the model.
  void doneWith(const PackCase &c) {
    if (!pack.findLibrary(c.code))
      built.erase(c.code);
  }
  KernelLibrary *forLibrary(const PackLibrary &l, std::string &error) {
    std::vector<gpu::KernelArguments> kernels;
    for (const PackKernel &k : l.kernels)
      kernels.push_back({k.name, k.argumentBytes});
    return get(l.code, kernels, error);
  }

private:
  struct Built {
    std::unique_ptr<KernelLibrary> library;
    std::string error;
  };
  Built build(const std::string &code,
              const std::vector<gpu::KernelArguments> &kernels) {
    Built b;
    std::ifstream in(fs::path(dir) / code, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      b.error = (fs::path(dir) / code).string() + ": cannot read";
      return b;
    }
    if (pack.target == "cuda") {
      std::vector<std::string> names;
      for (const gpu::KernelArguments &k : kernels)
        names.push_back(k.name);
      b.library = cuda::createKernelLibrary(
          static_cast<cuda::CudaDevice &>(device), text.str(), names, b.error);
    } else {
      b.library = opencl::createKernelLibrary(
          static_cast<opencl::OpenclDevice &>(device), text.str(), kernels,
          b.error);
    }
    return b;
  }

  std::string dir;
  const Pack &pack;
  Device &device;
  std::map<std::string, Built> built;
};

/// The model row: the pack's checkpoint end to end on `device` with the
/// shared library's kernels, each step's logits vs the reference's.
CaseResult runModelRow(const std::string &dir, const Pack &pack,
                       PackPrograms &programs, Device &device) {
  const PackModel &m = pack.model;
  CaseResult r;
  std::string error;
  Model model;
  HostTensor want;
  KernelLibrary *kernels = programs.forLibrary(*pack.findLibrary(m.code), error);
  if (!kernels) {
    r.message = error;
    return r;
  }
  if (!openCheckpointDirectory((fs::path(dir) / m.checkpoint).string(), model,
                               error) ||
      !readNpy((fs::path(dir) / m.want).string(), want, error)) {
    r.message = error;
    return r;
  }
  if (want.type != ElementType::F32 || want.shape.size() != 2) {
    r.message = m.want + ": not f32 [steps, vocab]";
    return r;
  }
  std::vector<std::vector<float>> wantLogits(want.shape[0]), got;
  const auto *w = static_cast<const float *>(want.data());
  for (int64_t s = 0; s < want.shape[0]; ++s)
    wantLogits[s].assign(w + s * want.shape[1], w + (s + 1) * want.shape[1]);
  auto start = std::chrono::steady_clock::now();
  bool ran = greedyLogits(model, device, *kernels, m.tokens, m.newTokens, got,
                          error);
  r.millis = std::chrono::duration<double, std::milli>(
                 std::chrono::steady_clock::now() - start)
                 .count();
  size_t agree = 0;
  if (!ran || !compareLogits(wantLogits, got, r.maxError, agree, error)) {
    r.message = error;
    return r;
  }
  r.passed = r.maxError <= m.tolerance;
  r.message = "relative L2 of each step's logits (worst of " +
              std::to_string(got.size()) + " steps); argmax equal in " +
              std::to_string(agree) + "/" + std::to_string(got.size());
  return r;
}

bool selected(const std::string &filter, const std::string &name,
              const std::string &op) {
  return filter.empty() || name.find(filter) != std::string::npos ||
         op.find(filter) != std::string::npos;
}
} // namespace

namespace {
/// A bench pack: each case timed, a table and optionally JSON.
int benchPack(const std::string &dir, const Pack &pack, Device &device,
              const std::string &deviceName, const std::string &filter,
              int iters, const std::string &jsonPath) {
  std::printf("bench pack %s: %zu cases on %s (%s), %d timed launches each\n",
              dir.c_str(), pack.cases.size(), deviceName.c_str(),
              pack.target.c_str(), iters);
  std::printf("%-24s %-44s %10s %10s %10s %12s %9s\n", "op", "case",
              "queued us", "median us", "min us", "bytes", "GB/s");
  std::fflush(stdout);
  PackPrograms programs(dir, pack, device);
  JsonValue cases = JsonValue::array();
  int failed = 0;
  std::string error;
  for (const PackCase &c : pack.cases) {
    if (!selected(filter, c.name, c.op))
      continue;
    KernelLibrary *library = programs.forCase(c, error);
    KernelRunner *runner = library ? library->find(c.kernel, error) : nullptr;
    BenchResult r;
    if (runner)
      r = benchPackCase(c, device, *runner, iters);
    else
      r.message = error;
    programs.doneWith(c);
    if (!r.ok) {
      ++failed;
      std::printf("%-24s %-44s FAILED: %s\n", c.op.c_str(), c.name.c_str(),
                  r.message.c_str());
      continue;
    }
    std::printf("%-24s %-44s %10.1f %10.1f %10.1f %12lld %9.1f\n", c.op.c_str(),
                c.name.c_str(), r.backToBackMicros, r.medianMicros, r.minMicros,
                static_cast<long long>(r.bytes),
                double(r.bytes) / r.backToBackMicros * 1e-3);
    std::fflush(stdout);
    JsonValue j = JsonValue::object();
    j.set("name", JsonValue::string(c.name));
    j.set("op", JsonValue::string(c.op));
    j.set("us", JsonValue::number(r.backToBackMicros));
    j.set("sync_us", JsonValue::number(r.medianMicros));
    j.set("min_us", JsonValue::number(r.minMicros));
    j.set("bytes", JsonValue::integer(r.bytes));
    cases.push(std::move(j));
  }
  if (!jsonPath.empty()) {
    JsonValue j = JsonValue::object();
    j.set("device", JsonValue::string(deviceName));
    j.set("target", JsonValue::string(pack.target));
    j.set("iters", JsonValue::integer(iters));
    j.set("cases", std::move(cases));
    std::ofstream out(jsonPath, std::ios::binary);
    out << writeJson(j);
    if (!out)
      return fail(jsonPath + ": cannot write");
  }
  return failed == 0 ? 0 : 1;
}
} // namespace

int runner::runPack(const std::string &dir, const std::string &filter,
                    bool withModel, int iters, const std::string &jsonPath) {
  Pack pack;
  std::string error;
  if (!readPack(dir, pack, error))
    return fail(error);
  if (!pack.bench && !jsonPath.empty())
    return fail("--json is for bench packs; " + dir + " is a conformance "
                "pack");
  std::unique_ptr<Device> device;
  std::string deviceName;
  if (pack.target == "cuda") {
    auto cuda = cuda::CudaDevice::open(0, error);
    if (cuda)
      deviceName = cuda->info().name;
    device = std::move(cuda);
  } else if (pack.target == "opencl") {
    auto cl = opencl::OpenclDevice::open(0, error);
    if (cl)
      deviceName = cl->description();
    device = std::move(cl);
  } else {
    return fail(dir + ": a pack for target '" + pack.target +
                "'; this runtime runs packs for: cuda, opencl");
  }
  if (!device)
    return fail(error);
  if (pack.bench)
    return benchPack(dir, pack, *device, deviceName, filter, iters, jsonPath);
  std::printf("conformance pack %s: %zu cases%s on %s (%s)\n", dir.c_str(),
              pack.cases.size(), pack.hasModel ? " and a model" : "",
              deviceName.c_str(), pack.target.c_str());
  if (pack.target == "opencl" && !pack.libraries.empty())
    std::printf("(the OpenCL runtime compiles each kernel at its first "
                "launch: minutes on PoCL, cached for later runs)\n");
  std::fflush(stdout);
  printResultHeader(stdout);
  PackPrograms programs(dir, pack, *device);
  int passed = 0, run = 0;
  for (const PackCase &c : pack.cases) {
    if (!selected(filter, c.name, c.op))
      continue;
    ++run;
    CaseResult r;
    KernelLibrary *library = programs.forCase(c, error);
    KernelRunner *runner = library ? library->find(c.kernel, error) : nullptr;
    if (!runner)
      r.message = error;
    else
      r = runPackCase(dir, c, *device, *runner);
    programs.doneWith(c);
    passed += r.passed;
    printResultRow(stdout, c.op, c.name, c.grid, c.tolerance, r);
    std::fflush(stdout);
  }
  if (pack.hasModel && withModel &&
      selected(filter, pack.model.name, "v4.model")) {
    ++run;
    CaseResult r = runModelRow(dir, pack, programs, *device);
    passed += r.passed;
    printResultRow(stdout, "v4.model", pack.model.name, {1, 1, 1},
                   pack.model.tolerance, r);
    if (r.passed)
      std::printf("    %s\n", r.message.c_str());
  }
  std::printf("%d of %d cases passed\n", passed, run);
  return passed == run ? 0 : 1;
}

int runner::conformCommand(int argc, char **argv) {
  std::string dir, filter, jsonPath;
  bool withModel = true;
  int iters = 20;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--filter") {
      if (i + 1 >= argc)
        return fail("--filter needs a text");
      filter = argv[++i];
    } else if (arg == "--no-model") {
      withModel = false;
    } else if (arg == "--iters") {
      if (i + 1 >= argc || std::atoi(argv[i + 1]) < 1)
        return fail("--iters needs a count of at least 1");
      iters = std::atoi(argv[++i]);
    } else if (arg == "--json") {
      if (i + 1 >= argc)
        return fail("--json needs a file");
      jsonPath = argv[++i];
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (dir.empty()) {
      dir = arg;
    } else {
      return fail("one pack only");
    }
  }
  if (dir.empty())
    return fail("missing PACK_DIR (see --help)");
  return runPack(dir, filter, withModel, iters, jsonPath);
}
