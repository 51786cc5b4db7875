//===- HostKernels.h - tile kernels compiled to host code ------*- C++ -*-===//
//
// Runs host-compiled kernels (the cpu target's code, JIT-compiled or loaded
// from a bundle's shared object) on a persistent pool of threads. Links no
// LLVM: the runtime-only build uses it to run AOT bundles.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_HOSTKERNELS_H
#define DSV4C_RUNTIME_HOSTKERNELS_H

#include "runtime/Device.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dsv4c {

/// One program of a host kernel: (args, x, y, z, gridX, gridY, gridZ). The
/// calling convention is in docs/tile-dialect.md.
using HostKernelFn = void (*)(void **, int64_t, int64_t, int64_t, int64_t,
                              int64_t, int64_t);

/// Workers that run the programs of one launch at a time. Threads are made
/// once: a decode step launches hundreds of small kernels.
class ThreadPool {
public:
  /// `threads` counts the caller; 0 means one per hardware thread.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  unsigned size() const { return unsigned(workers.size()) + 1; }

  /// Calls body(i) for i in [0, total) on the workers and the caller.
  void run(int64_t total, const std::function<void(int64_t)> &body);

private:
  void work();
  void workerLoop();

  std::vector<std::thread> workers;
  std::mutex launchMutex; // one launch at a time
  std::mutex mutex;
  std::condition_variable wake, finished;
  const std::function<void(int64_t)> *job = nullptr;
  std::atomic<int64_t> next{0};
  int64_t jobTotal = 0;
  unsigned tickets = 0; // workers still to join this launch
  unsigned busy = 0;    // workers that joined or may still join
  uint64_t generation = 0;
  bool stopping = false;
};

/// Launches `fn` over a grid on `pool`. `owner` keeps the code alive.
class HostKernelRunner : public KernelRunner {
public:
  HostKernelRunner(HostKernelFn fn, std::shared_ptr<ThreadPool> pool,
                   std::shared_ptr<void> owner)
      : fn(fn), pool(std::move(pool)), owner(std::move(owner)) {}
  bool launch(void **args, Grid grid, std::string &error) override;

private:
  HostKernelFn fn;
  std::shared_ptr<ThreadPool> pool;
  std::shared_ptr<void> owner;
};

/// Kernels by name from a symbol lookup (a JIT or a loaded shared object).
class HostKernelLibrary : public KernelLibrary {
public:
  /// Returns the entry point of `name`, or null with `error` set.
  using Lookup = std::function<HostKernelFn(const std::string &name,
                                            std::string &error)>;
  /// `target` prefixes errors ("cpu"); `names` are the kernels it holds;
  /// `owner` keeps the code alive as long as the library or a runner lives.
  HostKernelLibrary(std::string target, std::vector<std::string> names,
                    Lookup lookup, std::shared_ptr<void> owner,
                    unsigned threads);
  KernelRunner *find(const std::string &name, std::string &error) override;
  const std::vector<std::string> &names() const { return names_; }

private:
  std::string target;
  std::vector<std::string> names_;
  Lookup lookup;
  std::shared_ptr<void> owner;
  std::shared_ptr<ThreadPool> pool;
  std::mutex findMutex;
  std::map<std::string, std::unique_ptr<HostKernelRunner>> runners;
};

/// A shared object loaded from memory (a bundle's kernels): written to an
/// anonymous file (memfd) and dlopen'd, so nothing is left on disk.
class SharedObject {
public:
  /// `label` names the object in errors ("model.dsv4: kernels/cpu").
  static std::shared_ptr<SharedObject> load(const void *bytes, size_t size,
                                            const std::string &label,
                                            std::string &error);
  ~SharedObject();
  /// Null with `error` set when the object has no such symbol.
  void *symbol(const std::string &name, std::string &error) const;

private:
  SharedObject() = default;
  void *handle = nullptr;
  std::string label;
};

} // namespace dsv4c

#endif
