//===- Registration.h - what dsv4c registers ------------------*- C++ -*-===//
#ifndef DSV4C_TOOLS_REGISTRATION_H
#define DSV4C_TOOLS_REGISTRATION_H

namespace mlir {
class DialectRegistry;
}

namespace dsv4c {
/// Every dialect (and interface model) that dsv4c IR may contain.
void registerDialects(mlir::DialectRegistry &registry);
/// Every pass and pipeline dsv4c provides, plus the upstream ones it uses.
void registerPasses();
} // namespace dsv4c

#endif
