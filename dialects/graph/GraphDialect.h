//===- GraphDialect.h - the graph dialect -----------------------*- C++ -*-===//
#ifndef DSV4C_DIALECTS_GRAPH_GRAPHDIALECT_H
#define DSV4C_DIALECTS_GRAPH_GRAPHDIALECT_H

#include "dialects/tile/TileDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/graph/GraphDialect.h.inc"
#include "dialects/graph/GraphEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/graph/GraphTypes.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/graph/GraphAttrs.h.inc"
#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.h.inc"

#endif // DSV4C_DIALECTS_GRAPH_GRAPHDIALECT_H
