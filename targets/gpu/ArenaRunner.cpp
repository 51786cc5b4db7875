//===- ArenaRunner.cpp - launching arena kernels (runtime side) -----------===//
#include "targets/gpu/ArenaRunner.h"

#include "targets/gpu/GpuAbi.h"

#include <algorithm>

using namespace dsv4c;
using namespace dsv4c::gpu;

ArenaKernelRunner::ArenaKernelRunner(std::string target,
                                     KernelArguments kernel, Device &device,
                                     void *heap, uint64_t heapBytes,
                                     Launch launch)
    : target(std::move(target)), kernel(std::move(kernel)), device(device),
      heap(heap), heapBytes(heapBytes), launch_(std::move(launch)) {
  size_t n = this->kernel.bytes.size();
  call.values.resize(n + kArenaExtraArguments);
  call.bytes = this->kernel.bytes;
  call.bytes.insert(call.bytes.end(), {8, 8, 8, sizeof(void *), 8, 8});
}

bool ArenaKernelRunner::launch(void **args, Grid grid, std::string &error) {
  int64_t programs = grid[0] * grid[1] * grid[2];
  if (programs <= 0)
    return true;
  uint64_t groups = arenaGroups(uint64_t(programs), heapBytes);
  if (groups == 0 || groups > 0x7fffffffu) {
    error = target + ": " + kernel.name + ": no room for a launch of " +
            std::to_string(programs) + " programs";
    return false;
  }
  size_t n = kernel.bytes.size();
  for (size_t i = 0; i < n; ++i)
    call.values[i] = args[i];
  // The API copies the values before the launch call returns.
  call.values[n] = &grid[0];
  call.values[n + 1] = &grid[1];
  call.values[n + 2] = &grid[2];
  call.values[n + 3] = &heap;
  bytesPerGroup = kArenaBytesPerGroup;
  this->groups = groups;
  call.values[n + 4] = &bytesPerGroup;
  call.values[n + 5] = &this->groups;
  call.groups = groups;
  if (!launch_(call, error)) {
    error += " (kernel " + kernel.name + ")";
    return false;
  }
  uint32_t status = 0;
  if (!device.synchronize(error) ||
      !device.download(&status, heap, sizeof status, error))
    return false;
  if (status != 0) {
    uint32_t zero = 0;
    device.upload(heap, &zero, sizeof zero, error);
    error = target + ": " + kernel.name + ": a program's tile buffers " +
            "outgrew its " + std::to_string(kArenaBytesPerGroup >> 20) +
            " MiB slice of the tile heap (its results are wrong)";
    return false;
  }
  return true;
}

bool ArenaKernelLibrary::allocateHeap(uint64_t slices, std::string &error) {
  heapBytes = kArenaStatusBytes + std::max<uint64_t>(slices, 1) *
                                      kArenaBytesPerGroup;
  heap = device.allocate(heapBytes, error);
  return heap != nullptr;
}

void ArenaKernelLibrary::add(const KernelArguments &kernel,
                             ArenaKernelRunner::Launch launch) {
  runners[kernel.name] = std::make_unique<ArenaKernelRunner>(
      target, kernel, device, heap, heapBytes, std::move(launch));
}

KernelRunner *ArenaKernelLibrary::find(const std::string &name,
                                       std::string &error) {
  auto it = runners.find(name);
  if (it == runners.end()) {
    error = target + ": no kernel '" + name + "' in the library";
    return nullptr;
  }
  return it->second.get();
}
