//===- Parallel.h - one job on several host threads ------------*- C++ -*-===//
#ifndef DSV4C_RUNTIME_PARALLEL_H
#define DSV4C_RUNTIME_PARALLEL_H

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace dsv4c {

/// The host threads worth starting for `tasks` independent tasks: one per
/// core, at most one per task, at least one.
inline size_t threadsFor(size_t tasks) {
  size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::max<size_t>(1, std::min(cores, tasks));
}

/// Runs `work` on `threads` threads, this one among them, and waits for
/// all. `work` takes its own share (e.g. the next task from an atomic
/// counter) until none is left.
template <typename Work> void runOnThreads(size_t threads, Work &&work) {
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back([&] { work(); });
  work();
  for (std::thread &t : pool)
    t.join();
}

} // namespace dsv4c

#endif
