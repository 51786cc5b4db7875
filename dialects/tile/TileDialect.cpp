//===- TileDialect.cpp - tile dialect, types and attributes ---------------===//
#include "dialects/tile/TileDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dsv4c::tile;

#include "dialects/tile/TileDialect.cpp.inc"
#include "dialects/tile/TileEnums.cpp.inc"
#include "dialects/tile/TileInterfaces.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/tile/TileTypes.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/tile/TileAttrs.cpp.inc"

void TileDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "dialects/tile/TileOps.cpp.inc"
      >();
}

void TileDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/tile/TileTypes.cpp.inc"
      >();
}

void TileDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/tile/TileAttrs.cpp.inc"
      >();
}

bool dsv4c::tile::isTileElementType(Type type) {
  if (auto intType = dyn_cast<IntegerType>(type))
    return intType.isSignless() && llvm::is_contained({1u, 8u, 32u, 64u},
                                                      intType.getWidth());
  return isa<Float16Type, BFloat16Type, Float32Type, Float8E4M3FNType,
             Float4E2M1FNType, Float8E8M0FNUType>(type);
}

bool dsv4c::tile::isTileType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !isTileElementType(tensor.getElementType()))
    return false;
  if (!tensor.getEncoding())
    return true;
  auto layout = dyn_cast<LayoutAttrInterface>(tensor.getEncoding());
  return layout && (layout.getLayoutRank() == -1 ||
                    layout.getLayoutRank() == tensor.getRank());
}

RankedTensorType dsv4c::tile::getMaskType(Type tileType) {
  auto tensor = cast<ShapedType>(tileType);
  return RankedTensorType::get(tensor.getShape(),
                               IntegerType::get(tileType.getContext(), 1));
}

bool dsv4c::tile::isKernelScalarType(Type type) {
  return type.isIndex() || type.isInteger(32) || type.isInteger(64) ||
         isa<Float16Type, BFloat16Type, Float32Type>(type);
}

std::optional<dsv4c::ElementType> dsv4c::tile::toElementType(Type type) {
  if (type.isInteger(1))
    return ElementType::I1;
  if (type.isInteger(8))
    return ElementType::I8;
  if (type.isInteger(32))
    return ElementType::I32;
  if (type.isInteger(64))
    return ElementType::I64;
  if (type.isF16())
    return ElementType::F16;
  if (type.isBF16())
    return ElementType::BF16;
  if (type.isF32())
    return ElementType::F32;
  if (isa<Float8E4M3FNType>(type))
    return ElementType::F8E4M3FN;
  if (isa<Float4E2M1FNType>(type))
    return ElementType::F4E2M1FN;
  if (isa<Float8E8M0FNUType>(type))
    return ElementType::F8E8M0FNU;
  return std::nullopt;
}

LogicalResult PtrType::verify(function_ref<InFlightDiagnostic()> emitError,
                              Type elementType) {
  if (!isTileElementType(elementType) || elementType.isInteger(1))
    return emitError() << "pointer element type must be a tile element type "
                          "other than i1, got "
                       << elementType;
  return success();
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

static LogicalResult verifyPositive(function_ref<InFlightDiagnostic()> emitError,
                                    StringRef what, ArrayRef<int64_t> values) {
  for (int64_t v : values)
    if (v <= 0)
      return emitError() << what << " must be positive, got " << v;
  return success();
}

static LogicalResult verifyOrder(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> order) {
  SmallVector<bool> seen(order.size(), false);
  for (int64_t d : order) {
    if (d < 0 || d >= (int64_t)order.size() || seen[d])
      return emitError() << "order must be a permutation of 0.."
                         << order.size() - 1;
    seen[d] = true;
  }
  return success();
}

LogicalResult
BlockedLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          ArrayRef<int64_t> sizePerThread,
                          ArrayRef<int64_t> threadsPerWarp,
                          ArrayRef<int64_t> warpsPerProgram,
                          ArrayRef<int64_t> order) {
  size_t rank = sizePerThread.size();
  if (threadsPerWarp.size() != rank || warpsPerProgram.size() != rank ||
      order.size() != rank)
    return emitError() << "blocked layout fields must all have rank " << rank;
  if (failed(verifyPositive(emitError, "sizePerThread", sizePerThread)) ||
      failed(verifyPositive(emitError, "threadsPerWarp", threadsPerWarp)) ||
      failed(verifyPositive(emitError, "warpsPerProgram", warpsPerProgram)))
    return failure();
  return verifyOrder(emitError, order);
}
int64_t BlockedLayoutAttr::getLayoutRank() const { return getOrder().size(); }

/// A layout describes tiles of one rank: every tensor type using it as its
/// encoding must have that rank.
static LogicalResult
verifyLayoutRank(LayoutAttrInterface layout, ArrayRef<int64_t> shape,
                 function_ref<InFlightDiagnostic()> emitError) {
  int64_t rank = layout.getLayoutRank();
  if (rank != -1 && rank != (int64_t)shape.size())
    return emitError() << "layout " << layout << " describes rank-" << rank
                       << " tiles, not rank " << shape.size();
  return success();
}

LogicalResult BlockedLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutRank(*this, shape, emitError);
}
LogicalResult MmaLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutRank(*this, shape, emitError);
}
LogicalResult SharedLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutRank(*this, shape, emitError);
}

LogicalResult MmaLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    StringRef family, int64_t operand,
                                    ArrayRef<int64_t> instrShape) {
  if (operand < 0 || operand > 2)
    return emitError() << "mma operand must be 0 (lhs), 1 (rhs) or 2 "
                          "(accumulator), got "
                       << operand;
  if (instrShape.size() != 3)
    return emitError() << "mma instrShape must be [m, n, k]";
  return verifyPositive(emitError, "instrShape", instrShape);
}
int64_t MmaLayoutAttr::getLayoutRank() const { return 2; }

LogicalResult
SharedLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         int64_t vec, int64_t perPhase, int64_t maxPhase,
                         ArrayRef<int64_t> order) {
  if (failed(verifyPositive(emitError, "vec, perPhase and maxPhase",
                            {vec, perPhase, maxPhase})))
    return failure();
  return verifyOrder(emitError, order);
}
int64_t SharedLayoutAttr::getLayoutRank() const { return getOrder().size(); }
