//===- CodegenCommand.cpp - `dsv4c codegen` / `dsv4c ptx` -----------------===//
//
// Tile kernels to one GPU target's code: PTX (cuda), an AMDGPU code object
// or its assembly (hip), a SPIR-V module (level_zero).
//
//===----------------------------------------------------------------------===//
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "targets/cuda/CudaCompile.h"
#include "targets/hip/HipCompile.h"
#include "targets/level_zero/SpirvCompile.h"
#include "targets/opencl/OpenclCompile.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <fstream>
#include <string>

namespace {
const char *kPtxUsage =
    R"(usage: dsv4c ptx FILE.mlir [-o OUT.ptx] [--sm ARCH] [--warpgroup-f8]

Lowers every tile kernel of FILE.mlir to PTX with the first CUDA lowering
(docs/cuda.md): one program per block of 128 threads, which share out each
tile op; transcendental math as polynomials; LLVM's NVPTX backend. Kernel K
becomes `.entry K(arg0, ..., argN-1, gx, gy, gz)`. Writes OUT.ptx, or stdout.
The same as `dsv4c codegen FILE.mlir --target cuda`.

options:
  -o, --output FILE   where to write (default: stdout)
  --sm ARCH           GPU architecture (default sm_90a)
  --warpgroup-f8      sm_90a: e4m3 dots of 64-row results on wgmma too (its
                      tensor cores sum each 128 k in fewer bits than f32;
                      default: mma.sync; bf16 dots take wgmma either way)
  --help              this text
)";

const char *kCodegenUsage =
    R"(usage: dsv4c codegen FILE.mlir --target TARGET [--arch ARCH] [--assembly]
                     [-o OUT]

Lowers every tile kernel of FILE.mlir with the shared GPU lowering (a program
per group of 128 threads; targets/gpu/GpuAbi.h gives each target's kernel
arguments) and writes the target's code to OUT, or stdout:

  cuda        PTX text (LLVM's NVPTX backend); --arch sm_90a (default), ...
  hip         an AMDGPU code object, an ELF that hipModuleLoadData loads
              (LLVM's AMDGPU backend, then lld); --arch gfx942 (default),
              gfx90a, ...; --assembly writes the AMDGPU assembly instead
  level_zero  a SPIR-V binary of OpenCL-style kernels (LLVM's SPIR-V
              backend), for zeModuleCreate; check it with spirv-val
  opencl      OpenCL C source (for devices with one flat memory, e.g. PoCL)

options:
  --target TARGET     cuda, hip, level_zero or opencl (required)
  --arch ARCH         the GPU architecture (cuda, hip)
  --assembly          hip: assembly text instead of the code object
  -o, --output FILE   where to write (default: stdout)
  --help              this text
)";

int fail(const char *command, const std::string &m) {
  std::fprintf(stderr, "dsv4c %s: %s\n", command, m.c_str());
  return 1;
}

struct CodegenRequest {
  std::string file, out, target, arch;
  bool assembly = false;
  bool warpgroupF8 = false; // ptx: e4m3 dots on wgmma too
};

/// Parses FILE, generates the code and writes it.
int generate(const char *command, const CodegenRequest &request) {
  mlir::DialectRegistry registry;
  dsv4c::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    os << d.getLocation() << ": " << d << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(request.file, &context);
  if (!module)
    return fail(command, "cannot parse " + request.file + ":\n" + diagnostics);
  std::string code, error;
  bool ok = false;
  if (request.target == "cuda") {
    dsv4c::cuda::PtxOptions options;
    if (!request.arch.empty())
      options.sm = request.arch;
    options.warpgroupF8 = request.warpgroupF8;
    ok = dsv4c::cuda::compileToPtx(*module, options, code, error);
  } else if (request.target == "hip") {
    dsv4c::hip::HipOptions options;
    if (!request.arch.empty())
      options.arch = request.arch;
    ok = request.assembly
             ? dsv4c::hip::compileToAssembly(*module, options, code, error)
             : dsv4c::hip::compileToHsaco(*module, options, code, error);
  } else if (request.target == "opencl") {
    std::vector<dsv4c::opencl::KernelSignature> kernels;
    ok = dsv4c::opencl::compileToOpenclC(*module, code, kernels, error);
  } else {
    ok = dsv4c::level_zero::compileToSpirv(*module, code, error);
  }
  if (!ok)
    return fail(command, error);
  if (request.out.empty()) {
    std::fwrite(code.data(), 1, code.size(), stdout);
    return 0;
  }
  std::ofstream f(request.out, std::ios::binary);
  f << code;
  if (!f)
    return fail(command, "cannot write " + request.out);
  return 0;
}
} // namespace

int dsv4c::runPtxCommand(int argc, char **argv) {
  CodegenRequest request;
  request.target = "cuda";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kPtxUsage, stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      if (i + 1 >= argc)
        return fail("ptx", arg + " needs a file");
      request.out = argv[++i];
    } else if (arg == "--sm") {
      if (i + 1 >= argc)
        return fail("ptx", "--sm needs an architecture, e.g. sm_90a");
      request.arch = argv[++i];
    } else if (arg == "--warpgroup-f8") {
      request.warpgroupF8 = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("ptx", "unknown option '" + arg + "' (see --help)");
    } else if (request.file.empty()) {
      request.file = arg;
    } else {
      return fail("ptx", "one input file only");
    }
  }
  if (request.file.empty())
    return fail("ptx", "missing FILE.mlir (see --help)");
  return generate("ptx", request);
}

int dsv4c::runCodegenCommand(int argc, char **argv) {
  CodegenRequest request;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kCodegenUsage, stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output" || arg == "--target" ||
               arg == "--arch") {
      const char *v = value();
      if (!v)
        return fail("codegen", arg + " needs a value (see --help)");
      (arg == "--target" ? request.target
       : arg == "--arch" ? request.arch
                         : request.out) = v;
    } else if (arg == "--assembly") {
      request.assembly = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("codegen", "unknown option '" + arg + "' (see --help)");
    } else if (request.file.empty()) {
      request.file = arg;
    } else {
      return fail("codegen", "one input file only");
    }
  }
  if (request.file.empty())
    return fail("codegen", "missing FILE.mlir (see --help)");
  if (request.target.empty())
    return fail("codegen",
                "missing --target (cuda, hip, level_zero or opencl)");
  if (request.target != "cuda" && request.target != "hip" &&
      request.target != "level_zero" && request.target != "opencl")
    return fail("codegen", "unknown target '" + request.target +
                               "' (cuda, hip, level_zero or opencl)");
  if (request.assembly && request.target != "hip")
    return fail("codegen", "--assembly is for --target hip (cuda's PTX is "
                           "text already)");
  if (!request.arch.empty() &&
      (request.target == "level_zero" || request.target == "opencl"))
    return fail("codegen", "--arch does not apply to " + request.target +
                               " (the runtime compiles for the device when "
                               "it loads the kernels)");
  return generate("codegen", request);
}
