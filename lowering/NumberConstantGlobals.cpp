//===- NumberConstantGlobals.cpp - constant globals in a fixed order ------===//
#include "lowering/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace dsv4c {
#define GEN_PASS_DEF_NUMBERCONSTANTGLOBALS
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;

namespace {
struct NumberConstantGlobalsPass
    : dsv4c::impl::NumberConstantGlobalsBase<NumberConstantGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<memref::GlobalOp> order;
    llvm::DenseSet<Operation *> seen;
    module.walk([&](memref::GetGlobalOp use) {
      auto global = symbols.lookup<memref::GlobalOp>(use.getName());
      if (global && global.getConstant() && seen.insert(global).second)
        order.push_back(global);
    });
    for (auto [k, global] : llvm::enumerate(order)) {
      auto name = StringAttr::get(module.getContext(),
                                  "dsv4c_const_" + std::to_string(k));
      if (symbols.lookup(name)) {
        global.emitOpError() << "cannot be renamed " << name
                             << ": the name is taken";
        return signalPassFailure();
      }
      if (failed(symbols.rename(global, name)))
        return signalPassFailure();
    }
    // At the top, in numbering order.
    Block *body = module.getBody();
    for (memref::GlobalOp global : llvm::reverse(order))
      global->moveBefore(body, body->begin());
  }
};
} // namespace
