//===- ExpandSmallFloats.cpp - small-float conversions to integer code ----===//
#include "lowering/Passes.h"
#include "lowering/ScalarConversions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace dsv4c {
#define GEN_PASS_DEF_EXPANDSMALLFLOATS
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;
using namespace dsv4c;

namespace {

/// `dsv4c.e4m3_to_f32(i8) -> f32`, declared in the module holding `op`.
Value callE4m3ToF32(OpBuilder &b, Location loc, Operation *op, Value code) {
  constexpr StringLiteral name = "dsv4c.e4m3_to_f32";
  auto module = op->getParentOfType<ModuleOp>();
  if (!module.lookupSymbol(name)) {
    OpBuilder top(module.getBodyRegion());
    func::FuncOp::create(top, module.getLoc(), name,
                         b.getFunctionType({b.getI8Type()}, {b.getF32Type()}))
        .setPrivate();
  }
  Value bits = arith::BitcastOp::create(b, loc, b.getI8Type(), code);
  return func::CallOp::create(b, loc, name, b.getF32Type(), ValueRange{bits})
      .getResult(0);
}

struct ExpandSmallFloatsPass
    : public dsv4c::impl::ExpandSmallFloatsBase<ExpandSmallFloatsPass> {
  using ExpandSmallFloatsBase::ExpandSmallFloatsBase;
  void runOnOperation() override {
    // A plain walk, not a greedy driver: folding would undo the rewrite of
    // constants.
    SmallVector<Operation *> work;
    getOperation()->walk([&](Operation *op) {
      if (isa<arith::ExtFOp, arith::TruncFOp>(op) &&
          (isSmallFloat(op->getOperand(0).getType()) ||
           isSmallFloat(op->getResult(0).getType())))
        work.push_back(op);
      else if (isa<arith::ConstantOp>(op) &&
               isSmallFloat(op->getResult(0).getType()))
        work.push_back(op);
    });
    for (Operation *op : work) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      Type to = op->getResult(0).getType();
      Value replacement;
      if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
        auto value = cast<FloatAttr>(constant.getValue()).getValue();
        APInt code = value.bitcastToAPInt();
        Value bits = arith::ConstantOp::create(
            b, loc, b.getIntegerAttr(b.getIntegerType(code.getBitWidth()),
                                     code));
        replacement = arith::BitcastOp::create(b, loc, to, bits);
      } else if (hardwareE4m3 && isa<arith::ExtFOp>(op) && to.isF32() &&
                 isa<Float8E4M3FNType>(op->getOperand(0).getType())) {
        replacement = callE4m3ToF32(b, loc, op, op->getOperand(0));
      } else {
        replacement = emitScalarCast(b, loc, op->getOperand(0), to);
      }
      op->getResult(0).replaceAllUsesWith(replacement);
      op->erase();
    }
  }
};

} // namespace
