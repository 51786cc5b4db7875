//===- ConvertTileToCPU.cpp - tile kernels to host functions --------------===//
#include "dialects/tile/TileDialect.h"
#include "lowering/Passes.h"
#include "lowering/TileToTensor.h"

#include "mlir/IR/IRMapping.h"

namespace dsv4c {
#define GEN_PASS_DEF_CONVERTTILETOCPU
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;
using namespace dsv4c;

namespace {

/// Drops tile layouts from every tensor type under `root`: the CPU target
/// has one layout, row-major.
void stripLayouts(Operation *root) {
  auto strip = [](Type t) -> Type {
    auto tensor = dyn_cast<RankedTensorType>(t);
    if (!tensor || !tensor.getEncoding())
      return t;
    return RankedTensorType::get(tensor.getShape(), tensor.getElementType());
  };
  root->walk([&](Operation *op) {
    for (Value v : op->getResults())
      v.setType(strip(v.getType()));
    for (Region &r : op->getRegions())
      for (Block &block : r)
        for (BlockArgument arg : block.getArguments())
          arg.setType(strip(arg.getType()));
  });
}

/// Loads kernel argument `i` from the `void **args` array.
Value loadKernelArg(OpBuilder &b, Location loc, Value args, unsigned i,
                    Type type) {
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Value slot = LLVM::GEPOp::create(
      b, loc, ptrType, ptrType, args,
      ArrayRef<LLVM::GEPArg>{LLVM::GEPArg(static_cast<int32_t>(i))});
  Value valuePtr = LLVM::LoadOp::create(b, loc, ptrType, slot);
  if (isa<tile::PtrType>(type)) {
    Value base = LLVM::LoadOp::create(b, loc, ptrType, valuePtr);
    return UnrealizedConversionCastOp::create(b, loc, type, base).getResult(0);
  }
  if (type.isIndex()) {
    Value v = LLVM::LoadOp::create(b, loc, b.getI64Type(), valuePtr);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  return LLVM::LoadOp::create(b, loc, type, valuePtr);
}

LogicalResult convertKernel(tile::KernelOp kernel,
                            const TileLoweringOptions &options) {
  OpBuilder b(kernel);
  Location loc = kernel.getLoc();
  Type i64 = b.getI64Type();
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  auto funcType =
      b.getFunctionType({ptrType, i64, i64, i64, i64, i64, i64}, {});
  auto func = func::FuncOp::create(b, loc, kernel.getSymName(), funcType);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping mapping;
  for (auto [i, arg] : llvm::enumerate(kernel.getBody().getArguments()))
    mapping.map(arg,
                loadKernelArg(b, loc, entry->getArgument(0), i, arg.getType()));
  Value pids[3], counts[3];
  for (int d = 0; d < 3; ++d) {
    pids[d] = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         entry->getArgument(1 + d));
    counts[d] = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           entry->getArgument(4 + d));
  }
  for (Operation &op : kernel.getBody().front()) {
    if (isa<tile::ReturnOp>(op)) {
      func::ReturnOp::create(b, op.getLoc());
      continue;
    }
    if (auto pid = dyn_cast<tile::ProgramIdOp>(op)) {
      mapping.map(pid.getResult(), pids[pid.getDim()]);
      continue;
    }
    if (auto n = dyn_cast<tile::NumProgramsOp>(op)) {
      mapping.map(n.getResult(), counts[n.getDim()]);
      continue;
    }
    b.clone(op, mapping);
  }
  // Grid queries nested in regions (loops, ifs) read the same values.
  WalkResult nested = func.walk([&](Operation *op) {
    if (auto pid = dyn_cast<tile::ProgramIdOp>(op)) {
      pid.replaceAllUsesWith(pids[pid.getDim()]);
      op->erase();
    } else if (auto n = dyn_cast<tile::NumProgramsOp>(op)) {
      n.replaceAllUsesWith(counts[n.getDim()]);
      op->erase();
    }
    return WalkResult::advance();
  });
  (void)nested;
  kernel.erase();
  stripLayouts(func);
  return lowerTileOpsToTensor(func, options);
}

/// Declares the dsv4c.* helpers the lowering calls (asynchronous copies,
/// e2m1 unpacking copies, e4m3 conversion), which the target defines.
void declareTargetHelpers(ModuleOp module) {
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  module.walk([&](func::CallOp call) {
    StringRef name = call.getCallee();
    if (!(name.starts_with("dsv4c.copy_async") ||
          name.starts_with("dsv4c.copy_e2m1") || name == "dsv4c.cvt_e4m3") ||
        module.lookupSymbol(name))
      return;
    func::FuncOp::create(b, module.getLoc(), name, call.getCalleeType())
        .setPrivate();
  });
}

struct ConvertTileToCPUPass
    : public dsv4c::impl::ConvertTileToCPUBase<ConvertTileToCPUPass> {
  using ConvertTileToCPUBase::ConvertTileToCPUBase;
  void runOnOperation() override {
    SmallVector<tile::KernelOp> kernels(
        getOperation().getOps<tile::KernelOp>());
    for (tile::KernelOp kernel : kernels)
      if (failed(
              convertKernel(kernel, {parallelTopK, threadedDot, warpMma,
                                     warpShuffles, asyncCopies, parallelStores,
                                     hardwareE4m3, atomicScope})))
        return signalPassFailure();
    declareTargetHelpers(getOperation());
  }
};

} // namespace
