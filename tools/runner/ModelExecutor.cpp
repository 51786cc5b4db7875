//===- ModelExecutor.cpp - an executor over a model's weights -------------===//
//
// Apart from Model.cpp, which opens bundles without the executor (the
// bundle fuzzer links it alone).
//
//===----------------------------------------------------------------------===//
#include "tools/runner/Model.h"

#include <algorithm>
#include <map>

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

void runner::printProfile(std::FILE *out,
                          const std::vector<v4::KernelProfile> &now,
                          const std::vector<v4::KernelProfile> &before) {
  std::map<std::string, v4::KernelProfile> earlier;
  for (const v4::KernelProfile &p : before)
    earlier[p.name] = p;
  std::vector<v4::KernelProfile> rows;
  double total = 0;
  for (v4::KernelProfile p : now) {
    if (auto it = earlier.find(p.name); it != earlier.end()) {
      p.launches -= it->second.launches;
      p.seconds -= it->second.seconds;
    }
    if (p.launches) {
      rows.push_back(p);
      total += p.seconds;
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const v4::KernelProfile &a, const v4::KernelProfile &b) {
              return a.seconds > b.seconds;
            });
  std::fprintf(out, "%-24s %10s %12s %10s %6s\n", "kernel", "launches",
               "total ms", "us/launch", "share");
  for (const v4::KernelProfile &p : rows)
    std::fprintf(out, "%-24s %10llu %12.2f %10.1f %5.1f%%\n", p.name.c_str(),
                 (unsigned long long)p.launches, p.seconds * 1e3,
                 p.seconds * 1e6 / double(p.launches),
                 total > 0 ? 100 * p.seconds / total : 0.0);
}
