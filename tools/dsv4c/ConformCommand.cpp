//===- ConformCommand.cpp - `dsv4c conform`: a target vs the reference ----===//
//
// Three parts, one table: every tile op case (targets/conformance), one
// case per V4 kernel (models/v4/KernelCases.h) and the tiny V4 model end to
// end. The cpu target runs here; a GPU target's cases go into a pack
// (ConformancePack.h) that runs here or, exported, on a GPU machine.
//
//===----------------------------------------------------------------------===//
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "models/v4/CheckpointGenerator.h"
#include "models/v4/JitKernels.h"
#include "models/v4/KernelCases.h"
#include "runtime/Npy.h"
#include "targets/conformance/ConformanceSuite.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/cuda/CudaCompile.h"
#include "targets/opencl/OpenclCompile.h"
#include "tools/runner/Commands.h"
#include "tools/runner/Model.h"
#include "tools/runner/Progress.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace dsv4c;
using namespace dsv4c::conformance;
namespace fs = std::filesystem;

namespace {
const char *kUsage =
    R"(usage: dsv4c conform --target T [--export DIR] [--filter TEXT] [--no-model]
                     [--sm ARCH]
       dsv4c conform --target cuda|opencl --bench --export DIR [--filter TEXT]

Runs the conformance suite on target T against the reference target and
prints one row per case: op, case, grid, max error, tolerance, result, time.
The suite has three parts:
  tile.*     every tile op, with ragged edges, masks, NaNs and ties
  v4.*       every V4 kernel (models/v4/kernels) at V4-Flash widths
  v4.model   the tiny V4 model (seed 1) end to end: greedy decoding, each
             step's logits against the reference target's (relative L2)
Exit status 1 when a case fails.

targets:
  cpu    runs here
  cuda   with --export DIR, writes a conformance pack (the code, inputs and
         reference outputs of every case, and the tiny checkpoint) for
         `dsv4-run conform DIR` on a GPU machine, which needs no compiler;
         without --export, runs on this machine's GPU
  opencl the same with OpenCL C; without --export, runs on this machine's
         first OpenCL device (PoCL on the CPU in CI: its first launch of
         each V4 kernel compiles it, seconds to minutes each, cached for
         later runs)

--bench writes a bench pack instead: the V4 kernels of a V4-Flash decode
step at full shapes (64 tokens in flight), their inputs generated on the
device machine, no reference outputs. `dsv4-run conform DIR --json F` times
them there; bench/cuda_v4_kernels.py puts PyTorch and the hardware limits
beside them.

options:
  --target T      cpu, cuda or opencl (required)
  --export DIR    cuda, opencl: write the pack to DIR instead of running it
  --filter TEXT   only the cases whose name or op contains TEXT
  --sm ARCH       cuda: the PTX's GPU architecture (default sm_90a); a
                  newer GPU runs an older architecture's PTX (sm_80's code
                  paths checked on a Hopper)
  --no-model      leave out the end-to-end model row
  --bench         write a bench pack (with --export)
  --help          this text
)";

// The model row: the tiny checkpoint of `dsv4c gen-checkpoint DIR --seed 1`,
// greedy from a fixed prompt. Tolerance 5% relative L2 per step, as for the
// end-to-end tests: targets agree to ~1e-7 today (cpu vs reference 5e-8,
// cuda and opencl vs cpu 0), but a one-ulp difference in a bf16 intermediate
// may flip an FP8/FP4 quantisation step later on and move the logits by a
// few percent, while a wrong kernel or cache moves them by tens of percent.
const std::vector<int64_t> kModelPrompt = {5, 17, 42, 99, 3, 250, 77, 8};
constexpr int64_t kModelNewTokens = 6;
constexpr double kModelTolerance = 0.05;
const char *kModelName = "tiny_seed1_8+6_tokens";

int fail(const std::string &m) {
  std::fprintf(stderr, "dsv4c conform: %s\n", m.c_str());
  return 1;
}

bool selected(const std::string &filter, const std::string &name,
              const std::string &op) {
  return filter.empty() || name.find(filter) != std::string::npos ||
         op.find(filter) != std::string::npos;
}

struct Options {
  std::string target, exportDir, filter;
  /// cuda: the PTX's GPU architecture.
  std::string sm = "sm_90a";
  bool model = true;
  bool bench = false;
};

/// What the filter selected.
struct Selection {
  std::vector<Case> tileCases, v4Cases;
  bool model = false;
  size_t size() const {
    return tileCases.size() + v4Cases.size() + (model ? 1 : 0);
  }
};

/// Writes the tiny checkpoint to `dir`, opens it into `model` and runs it
/// on the reference target: `want` gets each step's logits.
bool prepareModel(const std::string &dir, runner::Model &model,
                  std::vector<std::vector<float>> &want, std::string &error) {
  v4::GeneratorOptions generator;
  generator.seed = 1;
  if (!v4::generateCheckpoint(v4::v4TinyConfig(), dir, generator, error) ||
      !runner::openCheckpointDirectory(dir, model, error))
    return false;
  std::fprintf(stderr, "dsv4c conform: the tiny model on the reference "
                       "target (the model row's expected logits)\n");
  HostDevice device("reference");
  auto kernels = v4::createJitKernels({"reference", 0, &device}, error);
  return kernels && runner::greedyLogits(model, device, *kernels, kModelPrompt,
                                         kModelNewTokens, want, error);
}

/// A kernel of a library that outlives it (the V4 kernels, compiled once).
class BorrowedRunner : public KernelRunner {
public:
  explicit BorrowedRunner(KernelRunner &inner) : inner(inner) {}
  bool launch(void **args, Grid grid, std::string &error) override {
    return inner.launch(args, grid, error);
  }

private:
  KernelRunner &inner;
};

void printRow(const Case &c, const Result &r) {
  printResultRow(stdout, c.op, c.name, c.grid, c.tolerance,
                 {r.passed, r.maxError, r.millis, r.message});
  std::fflush(stdout);
}

int runOnCpu(const Selection &s, mlir::MLIRContext &context) {
  std::printf("conformance: %zu cases on cpu\n", s.size());
  printResultHeader(stdout);
  int passed = 0;
  for (const Case &c : s.tileCases) {
    Result r = runCase(c, context,
                       [](mlir::ModuleOp module, const std::string &name,
                          std::string &error) {
                         return cpu::createRunner(module, name, error);
                       });
    passed += r.passed;
    printRow(c, r);
  }
  // The V4 kernels as the model runs them: one library of all of them.
  HostDevice device("cpu");
  std::unique_ptr<KernelLibrary> v4Kernels;
  std::string libraryError;
  if (!s.v4Cases.empty() || s.model)
    v4Kernels = v4::createJitKernels({"cpu", 0, &device}, libraryError);
  for (const Case &c : s.v4Cases) {
    Result r = runCase(
        c, context,
        [&](mlir::ModuleOp, const std::string &name, std::string &error)
            -> std::unique_ptr<KernelRunner> {
          KernelRunner *k = v4Kernels ? v4Kernels->find(name, error) : nullptr;
          if (!v4Kernels)
            error = libraryError;
          return k ? std::make_unique<BorrowedRunner>(*k) : nullptr;
        });
    passed += r.passed;
    printRow(c, r);
  }
  if (s.model) {
    CaseResult r;
    std::string error;
    std::error_code ec;
    fs::path dir = fs::temp_directory_path(ec) /
                   ("dsv4c-conform-model-" + std::to_string(::getpid()));
    runner::Model model;
    std::vector<std::vector<float>> want, got;
    size_t agree = 0;
    bool ok = v4Kernels && prepareModel(dir.string(), model, want, error);
    if (!v4Kernels)
      error = libraryError;
    auto start = std::chrono::steady_clock::now();
    ok = ok && runner::greedyLogits(model, device, *v4Kernels, kModelPrompt,
                                    kModelNewTokens, got, error);
    r.millis = std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    ok = ok && compareLogits(want, got, r.maxError, agree, error);
    r.passed = ok && r.maxError <= kModelTolerance;
    r.message = ok ? "relative L2 of each step's logits (worst of " +
                         std::to_string(got.size()) +
                         " steps); argmax equal in " + std::to_string(agree) +
                         "/" + std::to_string(got.size())
                   : error;
    printResultRow(stdout, "v4.model", kModelName, {1, 1, 1}, kModelTolerance,
                   r);
    if (r.passed)
      std::printf("    %s\n", r.message.c_str());
    passed += r.passed;
    fs::remove_all(dir, ec);
  }
  std::printf("%d of %zu cases passed\n", passed, s.size());
  return passed == int(s.size()) ? 0 : 1;
}

/// The V4 kernels compiled as one program into DIR/v4/kernels.code (what
/// the model runs, so its row and the kernel rows share one build).
bool writeV4Library(const std::string &target, const std::string &sm,
                    const std::string &dir, PackLibrary &library,
                    std::string &error) {
  std::fprintf(stderr, "dsv4c conform: compiling the V4 kernels for %s\n",
               target.c_str());
  v4::KernelModule parsed;
  if (!v4::parseKernelModule(parsed, error))
    return false;
  std::string code;
  library.code = "v4/kernels.code";
  library.kernels.clear();
  if (target == "cuda") {
    if (!cuda::compileToPtx(*parsed.module, {sm}, code, error))
      return false;
    for (const std::string &name : cpu::kernelNames(*parsed.module))
      library.kernels.push_back({name, {}});
  } else {
    std::vector<opencl::KernelSignature> signatures;
    if (!opencl::compileToOpenclC(*parsed.module, code, signatures, error))
      return false;
    for (const opencl::KernelSignature &k : signatures)
      library.kernels.push_back({k.name, k.argumentBytes});
  }
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "v4", ec);
  std::ofstream out(fs::path(dir) / library.code, std::ios::binary);
  out << code;
  if (!out) {
    error = (fs::path(dir) / library.code).string() + ": cannot write";
    return false;
  }
  return true;
}

/// The model row of a pack: the checkpoint in DIR/model, the reference's
/// logits in DIR/model_want_logits.npy.
bool exportModel(const std::string &dir, const PackLibrary &library,
                 PackModel &out, std::string &error) {
  out = PackModel{kModelName,   "model",
                  library.code, kModelPrompt,
                  kModelNewTokens, "model_want_logits.npy",
                  kModelTolerance};
  runner::Model model;
  std::vector<std::vector<float>> want;
  if (!prepareModel((fs::path(dir) / out.checkpoint).string(), model, want,
                    error))
    return false;
  HostTensor t(ElementType::F32,
               {int64_t(want.size()), int64_t(want.empty() ? 0 : want[0].size())});
  for (size_t s = 0; s < want.size(); ++s)
    std::memcpy(static_cast<float *>(t.data()) + s * want[s].size(),
                want[s].data(), want[s].size() * sizeof(float));
  return writeNpy((fs::path(dir) / out.want).string(), t, error);
}

/// A bench pack: the V4 library and a case per selected bench kernel, its
/// buffers described (type, shape, fill) rather than written.
int exportBench(const Options &o, const std::vector<Case> &cases) {
  std::string error;
  std::error_code ec;
  fs::create_directories(o.exportDir, ec);
  if (ec)
    return fail(o.exportDir + ": cannot create (" + ec.message() + ")");
  Pack pack;
  pack.target = o.target;
  pack.bench = true;
  PackLibrary library;
  if (!writeV4Library(o.target, o.sm, o.exportDir, library, error))
    return fail("the V4 kernels: " + error);
  pack.libraries.push_back(library);
  for (const Case &c : cases) {
    PackCase pc{c.name, c.op, c.op.substr(3), library.code, c.grid, 0, {}};
    for (const Arg &a : c.args) {
      PackArg pa;
      switch (a.kind) {
      case Arg::Kind::Buffer:
        pa.kind = "buffer";
        pa.type = a.type;
        pa.shape = a.shape;
        pa.fill = a.fill;
        break;
      case Arg::Kind::Index:
        pa.kind = "index";
        break;
      case Arg::Kind::I32:
        pa.kind = "i32";
        break;
      case Arg::Kind::F32:
        pa.kind = "f32";
        break;
      }
      pa.value = a.scalar;
      pc.args.push_back(std::move(pa));
    }
    pack.cases.push_back(std::move(pc));
  }
  if (!writePack(o.exportDir, pack, error))
    return fail(error);
  std::printf("wrote %s (a bench pack of %zu V4 kernels); time it with: "
              "dsv4-run conform %s --json times.json\n",
              o.exportDir.c_str(), pack.cases.size(), o.exportDir.c_str());
  return 0;
}

int runAsPack(const Options &o, const Selection &s,
              mlir::MLIRContext &context) {
  bool runHere = o.exportDir.empty();
  std::error_code ec;
  std::string dir = runHere ? (fs::temp_directory_path(ec) /
                               ("dsv4c-conform-" + std::to_string(::getpid())))
                                  .string()
                            : o.exportDir;
  fs::create_directories(dir, ec);
  if (ec)
    return fail(dir + ": cannot create (" + ec.message() + ")");
  Pack pack;
  pack.target = o.target;
  std::string error;
  auto compile = [&](mlir::ModuleOp module, std::string &code,
                     std::string &error) {
    if (o.target == "cuda")
      return cuda::compileToPtx(module, {o.sm}, code, error);
    std::vector<opencl::KernelSignature> kernels;
    return opencl::compileToOpenclC(module, code, kernels, error);
  };
  Progress progress("dsv4c conform", /*quiet=*/false);
  auto exportAll = [&](const std::vector<Case> &cases,
                       const std::string &sharedCode) {
    for (const Case &c : cases) {
      PackCase pc;
      if (!exportCase(c, context, compile, dir, pc, error, sharedCode)) {
        error = c.name + ": " + error;
        return false;
      }
      pack.cases.push_back(std::move(pc));
      progress.update(pack.cases.size(), s.size(), "exported");
    }
    return true;
  };
  if (!exportAll(s.tileCases, ""))
    return fail(error);
  if (!s.v4Cases.empty() || s.model) {
    progress.breakLine();
    PackLibrary library;
    if (!writeV4Library(o.target, o.sm, dir, library, error))
      return fail("the V4 kernels: " + error);
    pack.libraries.push_back(library);
    if (!exportAll(s.v4Cases, library.code))
      return fail(error);
    progress.breakLine();
    if (s.model && !exportModel(dir, library, pack.model, error))
      return fail("the model row: " + error);
    pack.hasModel = s.model;
  }
  progress.breakLine();
  if (!writePack(dir, pack, error))
    return fail(error);
  if (!runHere) {
    std::printf("wrote %s (%zu cases%s); run it with: dsv4-run conform %s\n",
                dir.c_str(), pack.cases.size(),
                pack.hasModel ? " and the model" : "", dir.c_str());
    return 0;
  }
  int rc = runner::runPack(dir, "");
  fs::remove_all(dir, ec);
  return rc;
}
} // namespace

int dsv4c::runConformCommand(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--target") {
      if (!value(o.target))
        return fail("--target needs a name (cpu, cuda or opencl)");
    } else if (arg == "--export") {
      if (!value(o.exportDir))
        return fail("--export needs a directory");
    } else if (arg == "--filter") {
      if (!value(o.filter))
        return fail("--filter needs a text");
    } else if (arg == "--sm") {
      if (!value(o.sm))
        return fail("--sm needs a GPU architecture, e.g. sm_80");
    } else if (arg == "--no-model") {
      o.model = false;
    } else if (arg == "--bench") {
      o.bench = true;
    } else {
      return fail("unexpected argument '" + arg + "' (see --help)");
    }
  }
  if (o.target.empty())
    return fail("missing --target (cpu, cuda or opencl; see --help)");
  if (o.target != "cpu" && o.target != "cuda" && o.target != "opencl")
    return fail("unknown target '" + o.target +
                "' (this build conforms: cpu, cuda, opencl)");
  if (o.sm != "sm_90a" && o.target != "cuda")
    return fail("--sm is for --target cuda");
  if (!o.exportDir.empty() && o.target == "cpu")
    return fail("--export is for the cuda and opencl targets (cpu runs "
                "here)");

  if (o.bench && (o.exportDir.empty() || o.target == "cpu"))
    return fail("--bench writes a pack for a device machine: give --target "
                "cuda or opencl and --export DIR");
  if (o.bench) {
    std::vector<Case> cases;
    for (const Case &c : v4::kernelBenchCases())
      if (selected(o.filter, c.name, c.op))
        cases.push_back(c);
    if (cases.empty())
      return fail("no bench case matches '" + o.filter + "'");
    return exportBench(o, cases);
  }

  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  Selection s;
  for (const Case &c : allCases())
    if (selected(o.filter, c.name, c.op))
      s.tileCases.push_back(c);
  for (const Case &c : v4::kernelConformanceCases())
    if (selected(o.filter, c.name, c.op))
      s.v4Cases.push_back(c);
  s.model = o.model && selected(o.filter, kModelName, "v4.model");
  if (s.size() == 0)
    return fail("no case matches '" + o.filter + "'");
  if (o.target == "cpu")
    return runOnCpu(s, context);
  return runAsPack(o, s, context);
}
