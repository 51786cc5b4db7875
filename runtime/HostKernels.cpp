//===- HostKernels.cpp - tile kernels compiled to host code ---------------===//
#include "runtime/HostKernels.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace dsv4c;

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 1; t < threads; ++t)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::run(int64_t total, const std::function<void(int64_t)> &body) {
  std::lock_guard<std::mutex> launchLock(launchMutex);
  if (workers.empty() || total == 1) {
    for (int64_t i = 0; i < total; ++i)
      body(i);
    return;
  }
  // Wake only as many workers as there are other programs: decode launches
  // are often a handful of programs, and waking every core costs more than
  // the programs on a many-core host.
  unsigned helpers =
      unsigned(std::min<int64_t>(int64_t(workers.size()), total - 1));
  {
    std::lock_guard<std::mutex> lock(mutex);
    job = &body;
    jobTotal = total;
    next = 0;
    tickets = helpers;
    busy = helpers;
    ++generation;
  }
  if (helpers == workers.size())
    wake.notify_all();
  else
    for (unsigned h = 0; h < helpers; ++h)
      wake.notify_one();
  work();
  std::unique_lock<std::mutex> lock(mutex);
  // Tickets nobody took yet need nobody: every program is done or taken.
  busy -= tickets;
  tickets = 0;
  finished.wait(lock, [&] { return busy == 0; });
  job = nullptr;
}

void ThreadPool::work() {
  for (int64_t i = next++; i < jobTotal; i = next++)
    (*job)(i);
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] {
        return stopping || (generation != seen && tickets > 0);
      });
      if (stopping)
        return;
      seen = generation;
      --tickets;
    }
    work();
    std::lock_guard<std::mutex> lock(mutex);
    if (--busy == 0)
      finished.notify_one();
  }
}

bool HostKernelRunner::launch(void **args, Grid grid, std::string &error) {
  for (int64_t extent : grid)
    if (extent < 1) {
      error = "cpu: grid extents must be at least 1";
      return false;
    }
  int64_t total = grid[0] * grid[1] * grid[2];
  pool->run(total, [&](int64_t p) {
    int64_t x = p % grid[0], y = (p / grid[0]) % grid[1],
            z = p / (grid[0] * grid[1]);
    fn(args, x, y, z, grid[0], grid[1], grid[2]);
  });
  return true;
}

HostKernelLibrary::HostKernelLibrary(std::string target,
                                     std::vector<std::string> names,
                                     Lookup lookup,
                                     std::shared_ptr<void> owner,
                                     unsigned threads)
    : target(std::move(target)), names_(std::move(names)),
      lookup(std::move(lookup)), owner(std::move(owner)),
      pool(std::make_shared<ThreadPool>(threads)) {}

KernelRunner *HostKernelLibrary::find(const std::string &name,
                                      std::string &error) {
  // Tensor-parallel ranks (threads) share one library.
  std::lock_guard<std::mutex> lock(findMutex);
  auto it = runners.find(name);
  if (it != runners.end())
    return it->second.get();
  if (std::find(names_.begin(), names_.end(), name) == names_.end()) {
    error = target + ": the kernel library has no kernel '" + name + "'";
    return nullptr;
  }
  HostKernelFn fn = lookup(name, error);
  if (!fn)
    return nullptr;
  auto runner = std::make_unique<HostKernelRunner>(fn, pool, owner);
  return (runners[name] = std::move(runner)).get();
}

std::shared_ptr<SharedObject> SharedObject::load(const void *bytes,
                                                 size_t size,
                                                 const std::string &label,
                                                 std::string &error) {
  int fd = ::memfd_create("dsv4c-kernels", MFD_CLOEXEC);
  if (fd < 0) {
    error = label + ": memfd_create failed: " + std::strerror(errno);
    return nullptr;
  }
  const char *p = static_cast<const char *>(bytes);
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, p + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = label + ": cannot write the shared object: " +
              std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    done += size_t(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(fd); // the mapping keeps the contents
  if (!handle) {
    const char *why = ::dlerror();
    error = label + ": cannot load the kernels: " + (why ? why : "dlopen failed");
    return nullptr;
  }
  std::shared_ptr<SharedObject> object(new SharedObject());
  object->handle = handle;
  object->label = label;
  return object;
}

SharedObject::~SharedObject() {
  if (handle)
    ::dlclose(handle);
}

void *SharedObject::symbol(const std::string &name, std::string &error) const {
  ::dlerror();
  void *p = ::dlsym(handle, name.c_str());
  if (!p)
    error = label + ": no symbol '" + name + "' in the kernels";
  return p;
}
