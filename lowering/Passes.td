//===- Passes.td - dsv4c lowering passes -------------------*- tablegen -*-===//
#ifndef DSV4C_LOWERING_PASSES_TD
#define DSV4C_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTileToCPU : Pass<"convert-tile-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Lower tile kernels to func/tensor/scf/llvm for the host CPU";
  let description = [{
    Each `tile.kernel @k` becomes `func.func @k(%args: !llvm.ptr, %pid0..2:
    i64, %n0..2: i64)`, reading its arguments through the calling convention
    of docs/tile-dialect.md. Tile ops become `tensor.generate` bodies and
    `scf` loops with LLVM-dialect loads and stores through raw pointers, and
    tile layouts are dropped (the CPU ignores them). The result is ready for
    one-shot bufferization.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def ExpandSmallFloats : Pass<"expand-small-floats"> {
  let summary = "Expand scalar conversions and constants of f8E4M3FN, "
                "f4E2M1FN and f8E8M0FNU into integer code";
  let description = [{
    LLVM has no 8- or 4-bit float types. This rewrites scalar `arith.extf`,
    `arith.truncf` and `arith.constant` of those types into integer bit
    manipulation on their codes, with the rounding rules of
    docs/tile-dialect.md. Run it after the last folding pass: folding would
    turn the bitcast constants back into small-float constants.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def ApproximateMath : Pass<"approximate-math"> {
  let summary = "Expand transcendental math ops into polynomial arithmetic";
  let description = [{
    Rewrites f32 `math` ops that GPU code generators have no instructions
    for (exp, log, sin, cos, powf, tanh, ...) into `fma`/`floor`-based
    polynomial approximations (upstream's MathF32Expansion and
    PolynomialApproximation patterns), so the PTX needs no libdevice. The
    results differ from libm's in the last bits; conformance tolerances
    cover that.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif
