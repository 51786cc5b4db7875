//===- ApproximateMath.cpp - transcendental math as polynomials -----------===//
#include "lowering/Passes.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dsv4c {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;

namespace {
struct ApproximateMathPass
    : dsv4c::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // powf, tan, ... into exp/log/sin/cos; then those into polynomials.
    // fma, floor, ceil and round stay: GPUs have instructions for them.
    math::populateExpansionPatterns(
        patterns, {"sinh", "cosh", "tan", "tanh", "asinh", "acosh", "atanh",
                   "powf", "fpowi", "exp2", "rsqrt"});
    populateMathF32ExpansionPatterns(patterns, [](StringRef) { return true; });
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef) { return true; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
