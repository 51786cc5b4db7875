//===- GraphRegistration.h - register the graph dialect ---------*- C++ -*-===//
#ifndef DSV4C_DIALECTS_GRAPH_GRAPHREGISTRATION_H
#define DSV4C_DIALECTS_GRAPH_GRAPHREGISTRATION_H

#include "dialects/graph/GraphDialect.h"

#include "mlir/IR/DialectRegistry.h"

namespace dsv4c::graph {

/// Adds the graph dialect (and, through it, the tile dialect) to `registry`.
inline void registerGraphDialect(mlir::DialectRegistry &registry) {
  registry.insert<GraphDialect>();
}

} // namespace dsv4c::graph

#endif // DSV4C_DIALECTS_GRAPH_GRAPHREGISTRATION_H
