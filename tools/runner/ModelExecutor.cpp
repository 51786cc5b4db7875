//===- ModelExecutor.cpp - an executor over a model's weights -------------===//
//
// Apart from Model.cpp, which opens bundles without the executor (the
// bundle fuzzer links it alone).
//
//===----------------------------------------------------------------------===//
#include "tools/runner/Model.h"

using namespace dsv4c;
using namespace dsv4c::runner;

std::unique_ptr<v4::Executor>
runner::createExecutor(const Model &model, Device &device,
                       KernelLibrary &kernels, v4::ExecutorOptions options,
                       std::string &error) {
  if (model.generator)
    return v4::Executor::create(*model.generator, device, kernels,
                                std::move(options), error);
  if (!model.checkpoint) {
    error = model.path + ": no weights were opened";
    return nullptr;
  }
  return v4::Executor::create(model.config, *model.checkpoint, device, kernels,
                              std::move(options), error);
}
