//===- ExpandSmallFloats.cpp - small-float conversions to integer code ----===//
#include "lowering/Passes.h"
#include "lowering/ScalarConversions.h"

namespace dsv4c {
#define GEN_PASS_DEF_EXPANDSMALLFLOATS
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;
using namespace dsv4c;

namespace {

struct ExpandSmallFloatsPass
    : public dsv4c::impl::ExpandSmallFloatsBase<ExpandSmallFloatsPass> {
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
      } else {
        replacement = emitScalarCast(b, loc, op->getOperand(0), to);
      }
      op->getResult(0).replaceAllUsesWith(replacement);
      op->erase();
    }
  }
};

} // namespace
