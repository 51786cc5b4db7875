//===- Collectives.h - collectives among tensor-parallel ranks -*- C++ -*-===//
//
// What a tensor-parallel executor exchanges (official model.py with
// world_size > 1: all_reduce of the row-parallel linears' and the routed
// experts' partial sums, all_gather of the head's vocabulary slices), behind
// one interface. makeHostCollectives is the implementation for ranks that
// are threads of one process (the cpu target's ranks in CI); NCCL's belongs
// behind the same interface.
//
// Every rank makes the same calls in the same order. A rank that fails
// between collectives calls abort(), so that the others' pending and later
// calls return false instead of waiting for it.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_COLLECTIVES_H
#define DSV4C_RUNTIME_COLLECTIVES_H

#include "runtime/Device.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv4c {

class Collectives {
public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// The `count` f32 at `data` (memory of `device`) become their sum over
  /// the ranks, added in rank order: every rank gets the same bits.
  virtual bool allReduceSum(Device &device, void *data, size_t count,
                            std::string &error) = 0;
  /// The `count` bf16 at `data` become their sum over the ranks, added in
  /// f32 in rank order and rounded to bf16 once (official
  /// RowParallelLinear: `y.float()`, all_reduce, `type_as(x)`).
  virtual bool allReduceSumBf16(Device &device, void *data, size_t count,
                                std::string &error) = 0;
  /// Rank r's [rows, cols] f32 at `part` become columns [r * cols, (r + 1)
  /// * cols) of the [rows, size() * cols] f32 at `all`, on every rank.
  virtual bool allGatherColumns(Device &device, const void *part, void *all,
                                size_t rows, size_t cols,
                                std::string &error) = 0;
  /// Makes every rank's pending and later collectives fail.
  virtual void abort() = 0;
};

/// The `ranks` (>= 1) members of one group over host memory; member i is
/// rank i and is used by one thread.
std::vector<std::unique_ptr<Collectives>> makeHostCollectives(int ranks);

} // namespace dsv4c

#endif
