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

void runner::printDecodeSteps(std::FILE *out, const v4::GenerateResult &result,
                              int64_t blocks) {
  if (result.decodeSteps == 0 || result.profileAtEnd.empty())
    return;
  std::map<std::string, v4::KernelProfile> prefill;
  for (const v4::KernelProfile &p : result.profileAfterPrefill)
    prefill[p.name] = p;
  double launches = 0, seconds = 0;
  for (const v4::KernelProfile &p : result.profileAtEnd) {
    launches += double(p.launches);
    seconds += p.seconds;
    if (auto it = prefill.find(p.name); it != prefill.end()) {
      launches -= double(it->second.launches);
      seconds -= it->second.seconds;
    }
  }
  const double steps = double(result.decodeSteps);
  const double stepMs = result.decodeSeconds * 1e3 / steps;
  const double kernelMs = seconds * 1e3 / steps;
  std::fprintf(out,
               "decode steps (last run, %lld): %.1f launches per step, %.1f "
               "per block (%lld blocks); %.2f ms per step, %.2f in kernels, "
               "%.2f outside them\n",
               (long long)result.decodeSteps, launches / steps,
               launches / steps / double(std::max<int64_t>(blocks, 1)),
               (long long)blocks, stepMs, kernelMs, stepMs - kernelMs);
}