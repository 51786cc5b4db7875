//===- Collectives.cpp - collectives of ranks that are threads ------------===//
//
// Each rank stages its operand in host memory, waits for the others at a
// barrier, computes the result from every rank's stage (the same
// arithmetic in the same order on every rank), waits again so that no stage
// is overwritten while another rank reads it, and writes its result.
//
//===----------------------------------------------------------------------===//
#include "runtime/Collectives.h"
#include "runtime/FloatFormats.h"

#include <condition_variable>
#include <cstring>
#include <mutex>

using namespace dsv4c;

namespace {

struct Group {
  explicit Group(int ranks) : ranks(ranks), stages(size_t(ranks)) {}

  /// Waits until every rank has arrived; false once the group is aborted.
  bool barrier() {
    std::unique_lock<std::mutex> lock(mutex);
    if (aborted)
      return false;
    const uint64_t generation = passed;
    if (++arrived == ranks) {
      arrived = 0;
      ++passed;
      wake.notify_all();
      return true;
    }
    wake.wait(lock, [&] { return aborted || passed != generation; });
    return !aborted;
  }

  void abort() {
    std::lock_guard<std::mutex> lock(mutex);
    aborted = true;
    wake.notify_all();
  }

  const int ranks;
  std::vector<std::vector<float>> stages;
  std::mutex mutex;
  std::condition_variable wake;
  int arrived = 0;
  uint64_t passed = 0;
  bool aborted = false;
};

class HostCollectives : public Collectives {
public:
  HostCollectives(std::shared_ptr<Group> group, int rank)
      : group(std::move(group)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group->ranks; }
  void abort() override { group->abort(); }

  bool allReduceSum(Device &device, void *data, size_t count,
                    std::string &error) override {
    std::vector<float> &stage = group->stages[size_t(rank_)];
    stage.resize(count);
    if (!device.download(stage.data(), data, count * 4, error))
      return failed(error);
    std::vector<float> sum;
    return sumStages(sum, error) &&
           (device.upload(data, sum.data(), count * 4, error) || failed(error));
  }

  bool allReduceSumBf16(Device &device, void *data, size_t count,
                        std::string &error) override {
    std::vector<uint16_t> bits(count);
    if (!device.download(bits.data(), data, count * 2, error))
      return failed(error);
    std::vector<float> &stage = group->stages[size_t(rank_)];
    stage.resize(count);
    for (size_t i = 0; i < count; ++i)
      stage[i] = bf16ToFloat(bits[i]);
    std::vector<float> sum;
    if (!sumStages(sum, error))
      return false;
    for (size_t i = 0; i < count; ++i)
      bits[i] = floatToBf16(sum[i]);
    return device.upload(data, bits.data(), count * 2, error) || failed(error);
  }

  bool allGatherColumns(Device &device, const void *part, void *all,
                        size_t rows, size_t cols, std::string &error) override {
    std::vector<float> &stage = group->stages[size_t(rank_)];
    stage.resize(rows * cols);
    if (!device.download(stage.data(), part, rows * cols * 4, error))
      return failed(error);
    if (!group->barrier())
      return stopped(error);
    const size_t width = size_t(group->ranks) * cols;
    std::vector<float> whole(rows * width);
    for (size_t r = 0; r < group->stages.size(); ++r) {
      const std::vector<float> &other = group->stages[r];
      if (other.size() != rows * cols)
        return mismatch(error);
      for (size_t i = 0; i < rows; ++i)
        std::memcpy(&whole[i * width + r * cols], &other[i * cols], cols * 4);
    }
    if (!group->barrier())
      return stopped(error);
    return device.upload(all, whole.data(), whole.size() * 4, error) ||
           failed(error);
  }

private:
  /// Once every rank has staged its operand: their f32 sum, added in rank
  /// order (the same bits on every rank); the stages are free again on
  /// return.
  bool sumStages(std::vector<float> &sum, std::string &error) {
    if (!group->barrier())
      return stopped(error);
    const size_t count = group->stages[size_t(rank_)].size();
    for (const std::vector<float> &other : group->stages)
      if (other.size() != count)
        return mismatch(error);
    sum = group->stages[0];
    for (size_t r = 1; r < group->stages.size(); ++r)
      for (size_t i = 0; i < count; ++i)
        sum[i] += group->stages[r][i];
    return group->barrier() || stopped(error);
  }

  /// This rank failed: the others must not wait for it.
  bool failed(std::string &error) {
    error = "rank " + std::to_string(rank_) + ": " + error;
    group->abort();
    return false;
  }
  bool stopped(std::string &error) {
    error = "rank " + std::to_string(rank_) +
            ": the collective was aborted (another rank failed)";
    return false;
  }
  bool mismatch(std::string &error) {
    error = "rank " + std::to_string(rank_) +
            ": the ranks called a collective with different sizes";
    group->abort();
    return false;
  }

  std::shared_ptr<Group> group;
  int rank_;
};

} // namespace

std::vector<std::unique_ptr<Collectives>>
dsv4c::makeHostCollectives(int ranks) {
  auto group = std::make_shared<Group>(ranks);
  std::vector<std::unique_ptr<Collectives>> members;
  for (int r = 0; r < ranks; ++r)
    members.push_back(std::make_unique<HostCollectives>(group, r));
  return members;
}
