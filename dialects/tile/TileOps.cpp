//===- TileOps.cpp - tile op verifiers and custom syntax ------------------===//
#include "dialects/tile/TileDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionImplementation.h"

using namespace mlir;
using namespace dsv4c::tile;

#define GET_OP_CLASSES
#include "dialects/tile/TileOps.cpp.inc"

namespace {
RankedTensorType tileOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool isDotOperandType(Type t) {
  return isa<Float32Type, Float16Type, BFloat16Type, Float8E4M3FNType,
             Float4E2M1FNType>(t);
}

bool isScaleType(Type t) { return isa<Float32Type, Float8E8M0FNUType>(t); }

SmallVector<int64_t> ceilDivShape(ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> block) {
  SmallVector<int64_t> out;
  for (auto [s, b] : llvm::zip(shape, block))
    out.push_back((s + b - 1) / b);
  return out;
}

/// Checks a block-scale operand: `block` has the operand's rank and positive
/// sizes, and `scaleShape` is ceil(shape / block).
LogicalResult verifyScaleBlock(Operation *op, StringRef what,
                               ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> block,
                               ArrayRef<int64_t> scaleShape) {
  if (block.size() != shape.size())
    return op->emitOpError() << what << " block must have " << shape.size()
                             << " sizes, got " << block.size();
  for (int64_t b : block)
    if (b <= 0)
      return op->emitOpError() << what << " block sizes must be positive";
  SmallVector<int64_t> expected = ceilDivShape(shape, block);
  if (ArrayRef<int64_t>(expected) != scaleShape)
    return op->emitOpError()
           << what << " scale shape must be ceil(shape / block) = ["
           << llvm::make_range(expected.begin(), expected.end()) << "]";
  return success();
}

LogicalResult verifyInsideKernel(Operation *op, int32_t dim) {
  if (dim < 0 || dim > 2)
    return op->emitOpError() << "grid dimension must be 0, 1 or 2, got " << dim;
  if (!op->getParentOfType<KernelOp>())
    return op->emitOpError() << "must be inside a tile.kernel";
  return success();
}

/// Shared checks of load and store addressing.
LogicalResult verifyAddressing(Operation *op, PtrType ptr,
                               RankedTensorType tile, size_t numOffsets,
                               size_t numStrides, size_t numBounds) {
  int64_t rank = tile.getRank();
  if (ptr.getElementType() != tile.getElementType())
    return op->emitOpError() << "pointer element type "
                             << ptr.getElementType()
                             << " does not match tile element type "
                             << tile.getElementType();
  if ((int64_t)numOffsets != rank)
    return op->emitOpError() << "needs one offset per tile dimension ("
                             << rank << "), got " << numOffsets;
  if ((int64_t)numStrides != rank)
    return op->emitOpError() << "needs one stride per tile dimension ("
                             << rank << "), got " << numStrides;
  if (numBounds != 0 && (int64_t)numBounds != rank)
    return op->emitOpError() << "needs no bounds or one per tile dimension ("
                             << rank << "), got " << numBounds;
  if (rank == 0)
    return op->emitOpError() << "tile must have rank 1 or more";
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// KernelOp
//===----------------------------------------------------------------------===//

ParseResult KernelOp::parse(OpAsmParser &parser, OperationState &result) {
  auto buildFuncType = [](Builder &builder, ArrayRef<Type> argTypes,
                          ArrayRef<Type> results,
                          function_interface_impl::VariadicFlag,
                          std::string &) {
    return builder.getFunctionType(argTypes, results);
  };
  return function_interface_impl::parseFunctionOp(
      parser, result, /*allowVariadic=*/false,
      getFunctionTypeAttrName(result.name), buildFuncType,
      getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void KernelOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(
      p, *this, /*isVariadic=*/false, getFunctionTypeAttrName(),
      getArgAttrsAttrName(), getResAttrsAttrName());
}

LogicalResult KernelOp::verify() {
  if (!getResultTypes().empty())
    return emitOpError() << "must not return values; kernels store results";
  for (auto [i, type] : llvm::enumerate(getArgumentTypes()))
    if (!isa<PtrType>(type) && !isKernelScalarType(type))
      return emitOpError() << "argument #" << i << " has type " << type
                           << "; kernel arguments must be !tile.ptr or "
                              "index, i32, i64, f16, bf16, f32";
  return success();
}

LogicalResult ProgramIdOp::verify() { return verifyInsideKernel(*this, getDim()); }
LogicalResult NumProgramsOp::verify() {
  return verifyInsideKernel(*this, getDim());
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

LogicalResult LoadOp::verify() {
  return verifyAddressing(*this, getBase().getType(), getResult().getType(),
                          getOffsets().size(), getStrides().size(),
                          getBounds().size());
}

LogicalResult StoreOp::verify() {
  RankedTensorType value = getValue().getType();
  if (failed(verifyAddressing(*this, getBase().getType(), value,
                              getOffsets().size(), getStrides().size(),
                              getBounds().size())))
    return failure();
  if (isa<Float4E2M1FNType>(value.getElementType()) &&
      value.getShape().back() % 2 != 0)
    return emitOpError() << "f4E2M1FN stores must write whole bytes: the "
                            "innermost dimension must be even";
  return success();
}

LogicalResult AtomicAddOp::verify() {
  if (!getBase().getType().getElementType().isInteger(32))
    return emitOpError() << "counts in i32 words: the pointer's element type "
                            "must be i32, got "
                         << getBase().getType().getElementType();
  // Once per program: every thread of a GPU program must reach it together.
  for (Operation *parent = (*this)->getParentOp(); parent;
       parent = parent->getParentOp())
    if (parent->getName().getStringRef() == "scf.parallel" ||
        parent->getName().getStringRef() == "scf.forall")
      return emitOpError() << "must not be inside a parallel loop: it is "
                              "done once per program";
  if (!(*this)->getParentOfType<KernelOp>())
    return emitOpError() << "must be inside a tile.kernel";
  return success();
}

LogicalResult GatherOp::verify() {
  RankedTensorType result = getResult().getType();
  RankedTensorType indices = getIndices().getType();
  if (getBase().getType().getElementType() != result.getElementType())
    return emitOpError() << "pointer element type "
                         << getBase().getType().getElementType()
                         << " does not match result element type "
                         << result.getElementType();
  if (indices.getRank() != 1 || result.getRank() != 2)
    return emitOpError() << "gathers rows: indices must have rank 1 and the "
                            "result rank 2";
  if (result.getDimSize(0) != indices.getDimSize(0))
    return emitOpError() << "result has " << result.getDimSize(0)
                         << " rows but there are " << indices.getDimSize(0)
                         << " indices";
  return success();
}

//===----------------------------------------------------------------------===//
// Construction and shape
//===----------------------------------------------------------------------===//

LogicalResult SplatOp::verify() { return success(); }

LogicalResult IotaOp::verify() {
  if (getResult().getType().getRank() != 1)
    return emitOpError() << "result must have rank 1";
  return success();
}

LogicalResult BroadcastOp::verify() {
  RankedTensorType in = tileOf(getInput()), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "element type must not change";
  if (in.getRank() != out.getRank())
    return emitOpError() << "input and result must have the same rank; use "
                            "tile.reshape to add unit dimensions";
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (in.getDimSize(d) != 1 && in.getDimSize(d) != out.getDimSize(d))
      return emitOpError() << "dimension " << d << " of size "
                           << in.getDimSize(d) << " cannot broadcast to "
                           << out.getDimSize(d);
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = tileOf(getInput()), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "element type must not change";
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "element count must not change ("
                         << in.getNumElements() << " vs "
                         << out.getNumElements() << ")";
  return success();
}

LogicalResult TransOp::verify() {
  RankedTensorType in = tileOf(getInput()), out = getResult().getType();
  ArrayRef<int64_t> perm = getPerm();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "element type must not change";
  if ((int64_t)perm.size() != in.getRank() || out.getRank() != in.getRank())
    return emitOpError() << "perm, input and result must have the same rank";
  SmallVector<bool> seen(perm.size(), false);
  for (auto [d, p] : llvm::enumerate(perm)) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError() << "perm must be a permutation of 0.."
                           << in.getRank() - 1;
    seen[p] = true;
    if (out.getDimSize(d) != in.getDimSize(p))
      return emitOpError() << "result dimension " << d << " must be "
                           << in.getDimSize(p);
  }
  return success();
}

LogicalResult ExtractOp::verify() {
  int64_t rank = getTile().getType().getRank();
  if ((int64_t)getIndices().size() != rank)
    return emitOpError() << "needs one index per tile dimension (" << rank
                         << "), got " << getIndices().size();
  return success();
}

LogicalResult SliceOp::verify() {
  RankedTensorType in = tileOf(getInput()), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "element type must not change";
  int64_t rank = in.getRank();
  ArrayRef<int64_t> offsets = getOffsets();
  SmallVector<int64_t> strides(rank, 1);
  if (getStrides())
    strides.assign(getStrides()->begin(), getStrides()->end());
  if (out.getRank() != rank || (int64_t)offsets.size() != rank ||
      (int64_t)strides.size() != rank)
    return emitOpError() << "offsets, strides, input and result must have "
                            "the same rank";
  for (int64_t d = 0; d < rank; ++d) {
    if (offsets[d] < 0 || strides[d] < 1)
      return emitOpError() << "offsets must be >= 0 and strides >= 1";
    int64_t last = offsets[d] + (out.getDimSize(d) - 1) * strides[d];
    if (out.getDimSize(d) > 0 && last >= in.getDimSize(d))
      return emitOpError() << "dimension " << d << " reads element " << last
                           << " of an input of size " << in.getDimSize(d);
  }
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  RankedTensorType out = getResult().getType();
  int64_t dim = getDim(), total = 0;
  if (dim < 0 || dim >= out.getRank())
    return emitOpError() << "dim " << dim << " is out of range for rank "
                         << out.getRank();
  for (Value v : getInputs()) {
    RankedTensorType in = tileOf(v);
    if (in.getElementType() != out.getElementType() ||
        in.getRank() != out.getRank())
      return emitOpError() << "inputs must have the result's rank and "
                              "element type";
    for (int64_t d = 0; d < out.getRank(); ++d)
      if (d != dim && in.getDimSize(d) != out.getDimSize(d))
        return emitOpError() << "inputs must match the result outside "
                                "dimension "
                             << dim;
    total += in.getDimSize(dim);
  }
  if (total != out.getDimSize(dim))
    return emitOpError() << "result dimension " << dim << " must be "
                         << total << ", the sum of the inputs'";
  return success();
}

LogicalResult CastOp::verify() {
  if (tileOf(getInput()).getShape() != getResult().getType().getShape())
    return emitOpError() << "shape must not change";
  return success();
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

LogicalResult DotOp::verify() {
  RankedTensorType lhs = tileOf(getLhs()), rhs = tileOf(getRhs());
  RankedTensorType result = getResult().getType();
  if (lhs.getRank() != 2 || rhs.getRank() != 2 || result.getRank() != 2)
    return emitOpError() << "operands and result must have rank 2";
  if (!isDotOperandType(lhs.getElementType()) ||
      !isDotOperandType(rhs.getElementType()))
    return emitOpError() << "operands must be f32, f16, bf16, f8E4M3FN or "
                            "f4E2M1FN";
  if (!result.getElementType().isF32())
    return emitOpError() << "result must be f32";
  int64_t m = lhs.getDimSize(0), k = lhs.getDimSize(1);
  int64_t rhsK = getRhsTransposed() ? rhs.getDimSize(1) : rhs.getDimSize(0);
  int64_t n = getRhsTransposed() ? rhs.getDimSize(0) : rhs.getDimSize(1);
  if (k != rhsK)
    return emitOpError() << "contraction sizes differ: lhs has K = " << k
                         << ", rhs has K = " << rhsK;
  if (result.getDimSize(0) != m || result.getDimSize(1) != n)
    return emitOpError() << "result must be " << m << "x" << n;

  auto checkScale = [&](StringRef what, Value scale,
                        std::optional<ArrayRef<int64_t>> block,
                        RankedTensorType operand) -> LogicalResult {
    if (!scale && !block)
      return success();
    if (!scale || !block)
      return emitOpError() << what << "_scale and " << what
                           << "_scale_block must be given together";
    if (!isScaleType(tileOf(scale).getElementType()))
      return emitOpError() << what << " scale must be f32 or f8E8M0FNU";
    return verifyScaleBlock(*this, what, operand.getShape(), *block,
                            tileOf(scale).getShape());
  };
  if (failed(checkScale("lhs", getLhsScale(), getLhsScaleBlock(), lhs)) ||
      failed(checkScale("rhs", getRhsScale(), getRhsScaleBlock(), rhs)))
    return failure();
  return success();
}

LogicalResult ReduceOp::verify() {
  RankedTensorType in = tileOf(getInput()), out = getResult().getType();
  int64_t dim = getDim();
  if (dim < 0 || dim >= in.getRank())
    return emitOpError() << "dim " << dim << " is out of range for rank "
                         << in.getRank();
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "element type must not change";
  if (in.getElementType().isInteger(1))
    return emitOpError() << "cannot reduce i1 tiles";
  SmallVector<int64_t> expected(in.getShape());
  expected.erase(expected.begin() + dim);
  if (out.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "result shape must be the input shape without "
                            "dimension "
                         << dim;
  return success();
}

LogicalResult ScanOp::verify() {
  RankedTensorType in = tileOf(getInput());
  int64_t dim = getDim();
  if (dim < 0 || dim >= in.getRank())
    return emitOpError() << "dim " << dim << " is out of range for rank "
                         << in.getRank();
  if (in.getElementType().isInteger(1))
    return emitOpError() << "cannot scan i1 tiles";
  return success();
}

LogicalResult TopKOp::verify() {
  RankedTensorType in = tileOf(getInput());
  RankedTensorType values = getValues().getType();
  RankedTensorType indices = getIndices().getType();
  if (in.getRank() == 0)
    return emitOpError() << "input must have rank 1 or more";
  int64_t k = getK(), n = in.getShape().back();
  if (k < 1 || k > n)
    return emitOpError() << "k must be in [1, " << n << "], got " << k;
  int64_t runs = getSortedRuns();
  if (runs < 1 || n % runs || !llvm::isPowerOf2_64(uint64_t(runs)))
    return emitOpError() << "sorted_runs must be a power of two that divides "
                         << n << ", got " << runs;
  SmallVector<int64_t> expected(in.getShape());
  expected.back() = k;
  if (values.getShape() != ArrayRef<int64_t>(expected) ||
      indices.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "values and indices must have the input's shape "
                            "with the last dimension k";
  if (values.getElementType() != in.getElementType())
    return emitOpError() << "values must have the input's element type";
  if (!indices.getElementType().isInteger(32))
    return emitOpError() << "indices must be i32";
  if (in.getElementType().isInteger(1))
    return emitOpError() << "cannot rank i1 tiles";
  return success();
}

LogicalResult QuantizeOp::verify() {
  RankedTensorType in = tileOf(getInput());
  RankedTensorType q = getResult().getType(), scale = getScale().getType();
  if (!isa<Float32Type, BFloat16Type, Float16Type>(in.getElementType()))
    return emitOpError() << "input must be an f32, bf16 or f16 tile";
  if (q.getShape() != in.getShape())
    return emitOpError() << "result must have the input's shape";
  Type qType = q.getElementType();
  if (!isa<Float8E4M3FNType, Float4E2M1FNType>(qType))
    return emitOpError() << "result must be f8E4M3FN or f4E2M1FN";
  if (!isScaleType(scale.getElementType()))
    return emitOpError() << "scale must be f32 or f8E8M0FNU";
  if (!getRoundScale() && (isa<Float4E2M1FNType>(qType) ||
                           isa<Float8E8M0FNUType>(scale.getElementType())))
    return emitOpError() << "f4E2M1FN results and f8E8M0FNU scales need "
                            "power-of-two scales: add round_scale";
  return verifyScaleBlock(*this, "quantize", in.getShape(), getBlock(),
                          scale.getShape());
}

LogicalResult DequantizeOp::verify() {
  RankedTensorType in = tileOf(getInput()), scale = tileOf(getScale());
  RankedTensorType out = getResult().getType();
  if (!isa<FloatType>(in.getElementType()))
    return emitOpError() << "input must be a float tile";
  if (!isScaleType(scale.getElementType()))
    return emitOpError() << "scale must be f32 or f8E8M0FNU";
  if (out.getShape() != in.getShape())
    return emitOpError() << "result must have the input's shape";
  if (!isa<Float32Type, BFloat16Type, Float16Type>(out.getElementType()))
    return emitOpError() << "result must be f32, bf16 or f16";
  return verifyScaleBlock(*this, "dequantize", in.getShape(), getBlock(),
                          scale.getShape());
}
