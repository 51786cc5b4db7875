//===- PtxCommand.cpp - `dsv4c ptx`: tile kernels to PTX ------------------===//
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "targets/cuda/CudaCompile.h"

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
const char *kUsage = R"(usage: dsv4c ptx FILE.mlir [-o OUT.ptx] [--sm ARCH]

Lowers every tile kernel of FILE.mlir to PTX with the first CUDA lowering
(docs/cuda.md): one program per block of 128 threads, which share out each
tile op; transcendental math as polynomials; LLVM's NVPTX backend. Kernel K
becomes `.entry K(arg0, ..., argN-1, gx, gy, gz)`. Writes OUT.ptx, or stdout.

options:
  -o, --output FILE   where to write (default: stdout)
  --sm ARCH           GPU architecture (default sm_90a)
  --help              this text
)";

int fail(const std::string &m) {
  std::fprintf(stderr, "dsv4c ptx: %s\n", m.c_str());
  return 1;
}
} // namespace

int dsv4c::runPtxCommand(int argc, char **argv) {
  std::string file, out;
  cuda::PtxOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      if (i + 1 >= argc)
        return fail(arg + " needs a file");
      out = argv[++i];
    } else if (arg == "--sm") {
      if (i + 1 >= argc)
        return fail("--sm needs an architecture, e.g. sm_90a");
      options.sm = argv[++i];
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (file.empty()) {
      file = arg;
    } else {
      return fail("one input file only");
    }
  }
  if (file.empty())
    return fail("missing FILE.mlir (see --help)");
  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    os << d.getLocation() << ": " << d << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(file, &context);
  if (!module)
    return fail("cannot parse " + file + ":\n" + diagnostics);
  std::string ptx, error;
  if (!cuda::compileToPtx(*module, options, ptx, error))
    return fail(error);
  if (out.empty()) {
    std::fwrite(ptx.data(), 1, ptx.size(), stdout);
    return 0;
  }
  std::ofstream f(out, std::ios::binary);
  f << ptx;
  if (!f)
    return fail("cannot write " + out);
  return 0;
}
