//===- TemplateCompile.cpp - a new target's compiler side (skeleton) ------===//
#include "targets/template/TemplateCompile.h"

#include "dialects/tile/TileDialect.h"
#include "lowering/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

bool dsv4c::templ::compileToLLVMIR(ModuleOp module, std::string &ir,
                                   std::vector<std::string> &kernels,
                                   std::string &error) {
  for (tile::KernelOp k : module.getOps<tile::KernelOp>())
    kernels.push_back(k.getSymName().str());
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> clone = module.clone();
  llvm::raw_string_ostream errors(error);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    errors << diag.getLocation() << ": " << diag << "\n";
    return success();
  });

  // Step 1: the shared GPU pipeline. Each kernel K becomes
  //   void K(void **args, i64 pid0, i64 pid1, i64 pid2, i64 n0, i64 n1, i64 n2)
  // to be run by every thread of a group, calling dsv4c.thread_id,
  // dsv4c.num_threads, dsv4c.barrier and malloc/free (tile buffers).
  // PORT: a target that wants its own tile layouts (matrix units, local
  // memory) rewrites tile ops before this, as docs/porting.md says.
  PassManager pm(context);
  buildGpuPipeline(pm);
  if (failed(pm.run(*clone))) {
    error = "template: lowering failed:\n" + error;
    return false;
  }
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(*clone, llvmContext);
  if (!m) {
    error = "template: translation to LLVM IR failed:\n" + error;
    return false;
  }

  // PORT step 2: define dsv4c.thread_id / dsv4c.num_threads /
  // dsv4c.barrier with the ISA's intrinsics, and make malloc/free give one
  // buffer per thread group (targets/gpu/GpuModule.cpp: finishModule,
  // which a GPU-like ISA gets by describing itself in a gpu::GpuIsa).
  // PORT step 3: add an entry per kernel in the target's calling convention
  // that maps a hardware group to program (pid0, pid1, pid2) and builds
  // `args` (GpuModule.cpp: HelperBuilder::addEntry; the ABI is in GpuAbi.h).
  // PORT step 4: set the triple and data layout, run O3 and the target's
  // backend to get a loadable binary (HipCompile.cpp: compileToHsaco).
  // The skeleton stops here and returns the IR.
  llvm::raw_string_ostream os(ir);
  m->print(os, nullptr);
  return true;
}
