//===- GraphOps.cpp - graph op verifiers and custom syntax ----------------===//
#include "dialects/graph/GraphDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionImplementation.h"

using namespace mlir;
using namespace dsv4c::graph;

// The buffer kind as a bare keyword: `weight`, `activation`, `cache`.
static ParseResult parseBufferKind(OpAsmParser &parser, BufferKindAttr &kind) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<BufferKind> value = symbolizeBufferKind(keyword);
  if (!value)
    return parser.emitError(loc) << "expected buffer kind 'weight', "
                                    "'activation' or 'cache', got '"
                                 << keyword << "'";
  kind = BufferKindAttr::get(parser.getContext(), *value);
  return success();
}

static void printBufferKind(OpAsmPrinter &p, Operation *, BufferKindAttr kind) {
  p << stringifyBufferKind(kind.getValue());
}

#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.cpp.inc"

//===----------------------------------------------------------------------===//
// FuncOp
//===----------------------------------------------------------------------===//

ParseResult FuncOp::parse(OpAsmParser &parser, OperationState &result) {
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

void FuncOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(
      p, *this, /*isVariadic=*/false, getFunctionTypeAttrName(),
      getArgAttrsAttrName(), getResAttrsAttrName());
}

LogicalResult FuncOp::verify() {
  if (!getResultTypes().empty())
    return emitOpError() << "must not return values; entry functions write "
                            "their results to buffers";
  for (auto [i, type] : llvm::enumerate(getArgumentTypes()))
    if (!isa<BufferType>(type) && !type.isIndex())
      return emitOpError() << "argument #" << i << " has type " << type
                           << "; entry function arguments must be "
                              "!graph.buffer or index";
  return success();
}

LogicalResult FuncOp::verifyRegions() {
  Block &entry = getBody().front();
  if (entry.getNumArguments() != getArgumentTypes().size())
    return emitOpError() << "entry block must have "
                         << getArgumentTypes().size() << " arguments";
  for (auto [arg, type] : llvm::zip(entry.getArguments(), getArgumentTypes()))
    if (arg.getType() != type)
      return emitOpError() << "entry block argument type " << arg.getType()
                           << " does not match signature type " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// BufferOp, DimOp
//===----------------------------------------------------------------------===//

LogicalResult BufferOp::verify() {
  if (getName().empty())
    return emitOpError() << "buffer name must not be empty";
  unsigned numDynamic = getType().getNumDynamicDims();
  if (getDynamicDims().size() != numDynamic)
    return emitOpError() << "needs one index operand per dynamic dim of "
                         << getType() << " (" << numDynamic << "), got "
                         << getDynamicDims().size();
  return success();
}

LogicalResult DimOp::verify() {
  int64_t rank = getBuffer().getType().getRank();
  int64_t index = static_cast<int64_t>(getIndex());
  if (index < 0 || index >= rank)
    return emitOpError() << "dim " << index << " is out of range for "
                         << getBuffer().getType() << " of rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// LaunchOp
//===----------------------------------------------------------------------===//

LogicalResult LaunchOp::verify() {
  size_t rank = getGrid().size();
  if (rank < 1 || rank > 3)
    return emitOpError() << "grid must have 1, 2 or 3 dims, got " << rank;
  return success();
}

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  Operation *symbol =
      symbolTable.lookupNearestSymbolFrom(*this, getCalleeAttr());
  if (!symbol)
    return emitOpError() << "no tile.kernel named " << getCalleeAttr()
                         << " in the enclosing module";
  auto kernel = dyn_cast<dsv4c::tile::KernelOp>(symbol);
  if (!kernel)
    return emitOpError() << getCalleeAttr() << " is a '"
                         << symbol->getName() << "', not a tile.kernel";

  ArrayRef<Type> params = kernel.getArgumentTypes();
  if (getArgs().size() != params.size())
    return emitOpError() << "kernel " << getCalleeAttr() << " takes "
                         << params.size() << " arguments, got "
                         << getArgs().size();
  for (auto [i, arg, param] : llvm::enumerate(getArgs(), params)) {
    Type argType = arg.getType();
    if (auto ptr = dyn_cast<dsv4c::tile::PtrType>(param)) {
      auto buffer = dyn_cast<BufferType>(argType);
      if (!buffer)
        return emitOpError() << "argument #" << i << " must be a buffer for "
                             << "kernel parameter " << param << ", got "
                             << argType;
      if (buffer.getElementType() != ptr.getElementType())
        return emitOpError()
               << "argument #" << i << " buffer element type "
               << buffer.getElementType() << " does not match kernel "
               << "parameter " << param;
      continue;
    }
    if (argType != param)
      return emitOpError() << "argument #" << i << " has type " << argType
                           << " but kernel parameter is " << param;
  }
  return success();
}
