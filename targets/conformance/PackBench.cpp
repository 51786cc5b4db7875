//===- PackBench.cpp - timing a bench pack's cases on a device ------------===//
#include "targets/conformance/ConformancePack.h"

#include "runtime/HostTensor.h"

#include <algorithm>
#include <chrono>
#include <cstring>

using namespace dsv4c;
using namespace dsv4c::conformance;

BenchResult conformance::benchPackCase(const PackCase &c, Device &device,
                                       KernelRunner &runner, int iters) {
  BenchResult r;
  std::string error;
  std::vector<void *> buffers;
  std::vector<uint64_t> slots(c.args.size());
  std::vector<void *> argv(c.args.size());
  auto releaseAll = [&] {
    for (void *p : buffers)
      device.release(p);
  };
  auto failWith = [&](const std::string &message) {
    releaseAll();
    r.message = message;
    return r;
  };
  // Seeds from the argument's position: the same inputs on every run.
  uint64_t seed = 1;
  for (size_t i = 0; i < c.args.size(); ++i) {
    const PackArg &a = c.args[i];
    argv[i] = &slots[i];
    if (a.kind == "index") {
      int64_t v = int64_t(a.value);
      std::memcpy(&slots[i], &v, 8);
    } else if (a.kind == "i32") {
      int32_t v = int32_t(a.value);
      std::memcpy(&slots[i], &v, 4);
    } else if (a.kind == "f32") {
      float v = float(a.value);
      std::memcpy(&slots[i], &v, 4);
    } else if (!a.type) {
      return failWith("argument " + std::to_string(i) +
                      " is not a generated buffer (not a bench pack)");
    } else {
      HostTensor t(*a.type, a.shape);
      fillBufferInParallel(t, a.fill, seed + i);
      void *p = device.allocate(t.storage.size(), error);
      if (!p)
        return failWith(error);
      buffers.push_back(p);
      if (!device.upload(p, t.data(), t.storage.size(), error))
        return failWith(error);
      slots[i] = uint64_t(uintptr_t(p));
      r.bytes += int64_t(t.storage.size());
    }
  }
  std::vector<double> micros;
  for (int i = 0; i < 3 + iters; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!runner.launch(argv.data(), c.grid, error) ||
        !device.synchronize(error))
      return failWith("launch: " + error);
    double us = std::chrono::duration<double, std::micro>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    if (i >= 3)
      micros.push_back(us);
  }
  std::sort(micros.begin(), micros.end());
  r.minMicros = micros.front();
  r.medianMicros = micros[micros.size() / 2];
  // The same launches queued back to back, one wait at the end.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i)
    if (!runner.launch(argv.data(), c.grid, error))
      return failWith("launch: " + error);
  if (!device.synchronize(error))
    return failWith("launch: " + error);
  r.backToBackMicros = std::chrono::duration<double, std::micro>(
                           std::chrono::steady_clock::now() - start)
                           .count() /
                       iters;
  r.ok = true;
  releaseAll();
  return r;
}
