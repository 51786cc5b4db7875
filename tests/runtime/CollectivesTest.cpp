//===- CollectivesTest.cpp - host collectives among threads ---------------===//
#include "runtime/Collectives.h"
#include "runtime/FloatFormats.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

using namespace dsv4c;

namespace {

/// Runs `body(rank, collectives, device)` on one thread per rank.
template <typename Body> void onRanks(int ranks, Body body) {
  std::vector<std::unique_ptr<Collectives>> members =
      makeHostCollectives(ranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      HostDevice device("rank" + std::to_string(r));
      body(r, *members[size_t(r)], device);
    });
  for (std::thread &t : threads)
    t.join();
}

TEST(HostCollectives, AllReduceSumsInRankOrder) {
  for (int ranks : {1, 2, 4}) {
    std::vector<std::vector<float>> results(static_cast<size_t>(ranks));
    onRanks(ranks, [&](int r, Collectives &c, Device &device) {
      EXPECT_EQ(c.rank(), r);
      EXPECT_EQ(c.size(), ranks);
      // 1e8 + 5 + 5 + 5 is 100000024 in rank order, 100000016 backwards.
      std::vector<float> x = {float(r + 1), r == 0 ? 1e8f : 5.f,
                              -float(r) * 0.5f};
      std::string error;
      for (int round = 0; round < 3; ++round) { // reused stages
        std::vector<float> y = x;
        ASSERT_TRUE(c.allReduceSum(device, y.data(), y.size(), error)) << error;
        results[size_t(r)] = y;
      }
    });
    float first = 0, second = 0, third = 0;
    for (int r = 0; r < ranks; ++r) {
      first += float(r + 1);
      second += r == 0 ? 1e8f : 5.f;
      third += -float(r) * 0.5f;
    }
    for (const std::vector<float> &y : results) {
      EXPECT_EQ(y, (std::vector<float>{first, second, third}))
          << ranks << " ranks";
      EXPECT_EQ(0, std::memcmp(y.data(), results[0].data(), y.size() * 4));
    }
  }
}

// bf16 partial sums (official RowParallelLinear): added in f32, rounded
// once. 256 + 1 + 1 is 258 in f32 and a bf16; rounding each addition to
// bf16 (8 bits of mantissa) would give 256.
TEST(HostCollectives, AllReduceBf16AddsInF32AndRoundsOnce) {
  const int ranks = 4;
  std::vector<std::vector<uint16_t>> results(static_cast<size_t>(ranks));
  onRanks(ranks, [&](int r, Collectives &c, Device &device) {
    std::vector<uint16_t> x = {
        floatToBf16(r == 0 ? 256.f : (r < 3 ? 1.f : 0.f)),
        floatToBf16(-0.5f * float(r))};
    std::string error;
    ASSERT_TRUE(c.allReduceSumBf16(device, x.data(), x.size(), error)) << error;
    results[size_t(r)] = x;
  });
  for (const std::vector<uint16_t> &y : results) {
    EXPECT_EQ(bf16ToFloat(y[0]), 258.f);
    EXPECT_EQ(bf16ToFloat(y[1]), -3.f);
  }
}

TEST(HostCollectives, AllGatherPlacesEachRanksColumns) {
  const int ranks = 4;
  const size_t rows = 3, cols = 2;
  onRanks(ranks, [&](int r, Collectives &c, Device &device) {
    std::vector<float> part(rows * cols), all(rows * cols * ranks, -1);
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < cols; ++j)
        part[i * cols + j] = float(100 * r + 10 * i + j);
    std::string error;
    ASSERT_TRUE(
        c.allGatherColumns(device, part.data(), all.data(), rows, cols, error))
        << error;
    for (size_t i = 0; i < rows; ++i)
      for (int s = 0; s < ranks; ++s)
        for (size_t j = 0; j < cols; ++j)
          EXPECT_EQ(all[i * cols * ranks + size_t(s) * cols + j],
                    float(100 * s + 10 * i + j));
  });
}

TEST(HostCollectives, AbortReleasesTheWaitingRanks) {
  onRanks(3, [&](int r, Collectives &c, Device &device) {
    std::string error;
    float x = 1;
    if (r == 2) { // fails before its collective
      c.abort();
      return;
    }
    EXPECT_FALSE(c.allReduceSum(device, &x, 1, error));
    EXPECT_NE(error.find("aborted"), std::string::npos) << error;
    EXPECT_FALSE(c.allReduceSum(device, &x, 1, error)); // and later ones
  });
}

TEST(HostCollectives, DifferentSizesAreAnError) {
  onRanks(2, [&](int r, Collectives &c, Device &device) {
    std::vector<float> x(size_t(r + 1), 1.f);
    std::string error;
    EXPECT_FALSE(c.allReduceSum(device, x.data(), x.size(), error));
    EXPECT_FALSE(error.empty());
  });
}

} // namespace
