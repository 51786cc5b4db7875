//===- RunKernelCommand.cpp - `dsv4c run-kernel` --------------------------===//
#include "tools/dsv4c/Commands.h"
#include <cstdio>
int dsv4c::runKernelCommand(int argc, char **argv) {
  std::fprintf(stderr, "dsv4c run-kernel: not built yet\n");
  return 1;
}
