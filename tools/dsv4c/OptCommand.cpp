//===- OptCommand.cpp - `dsv4c opt`, an mlir-opt for dsv4c IR -------------===//
#include "tools/dsv4c/Commands.h"
#include "tools/dsv4c/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int dsv4c::runOptCommand(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  registerPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "dsv4c opt: parse, verify and transform dsv4c IR\n",
      registry));
}
