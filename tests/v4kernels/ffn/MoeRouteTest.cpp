//===- MoeRouteTest.cpp - moe_route.mlir ----------------------------------===//
//
// @moe_route_count then @moe_route_place, on the reference and cpu targets,
// against plain C++ of the official order (MoE.forward's loop over experts
// in ascending order, `idx, top = torch.where(indices == i)`: each expert's
// tokens ascending): the routed rows' tokens and weights, each token's rows
// in ascending expert order (slots), and the groups of experts with picks,
// zeros past them. Integer tables and copied weights: compared exactly.
//
//===----------------------------------------------------------------------===//
#include "FfnTestUtil.h"

using namespace dsv4c;
using namespace dsv4c::ffntest;

namespace {

constexpr int64_t kTopK = 6;
const char *kFile = "moe_route.mlir";

/// m tokens' picks: 6 distinct experts each, in random order; with
/// `crowded` every token picks from the first 8 experts (hash layers and
/// batches of equal tokens pile many rows onto few experts).
HostTensor randomPicks(std::mt19937_64 &gen, int64_t m, int64_t e,
                       bool crowded) {
  HostTensor picks(T::I32, {m, kTopK});
  const int64_t range = crowded ? std::min<int64_t>(e, 8) : e;
  for (int64_t t = 0; t < m; ++t) {
    std::vector<int32_t> pool(range);
    for (int64_t i = 0; i < range; ++i)
      pool[i] = int32_t(i);
    std::shuffle(pool.begin(), pool.end(), gen);
    for (int64_t j = 0; j < kTopK; ++j)
      i32Data(picks)[t * kTopK + j] = pool[j];
  }
  return picks;
}

struct Routed {
  HostTensor tok, rows, rw, slots, groups;
};

/// Routes to experts [first, first + e) of the picks' (a tensor-parallel
/// rank's).
Routed route(Target target, HostTensor picks, HostTensor weights, int64_t m,
             int64_t e, int64_t first) {
  const int64_t n = m * kTopK, g = std::min(e, n);
  HostTensor info(T::I32, {3 * e + 1});
  Routed r{HostTensor(T::I64, {n}), HostTensor(T::I32, {n}),
           HostTensor(T::F32, {n}), HostTensor(T::I32, {n}),
           HostTensor(T::I32, {g, 3})};
  // Stale values where the kernels must write (the runtime reuses buffers).
  std::fill_n(i32Data(r.groups), g * 3, 77);
  EXPECT_TRUE(launch(target, kernelSource(kFile, "moe_route_count"),
                     "moe_route_count",
                     {KArg::buf(picks), KArg::buf(info), KArg::idx(n),
                      KArg::idx(e), KArg::idx(first)},
                     {1, 1, 1}));
  EXPECT_TRUE(launch(target, kernelSource(kFile, "moe_route_place"),
                     "moe_route_place",
                     {KArg::buf(picks), KArg::buf(weights), KArg::buf(info),
                      KArg::buf(r.tok), KArg::buf(r.rows), KArg::buf(r.rw),
                      KArg::buf(r.slots), KArg::buf(r.groups), KArg::idx(m),
                      KArg::idx(e), KArg::idx(g), KArg::idx(first)},
                     {n + e, 1, 1}));
  return r;
}

/// With `ranks` > 1, rank `rank` of the model's e experts routes to its
/// e / ranks (official MoE with world_size > 1: the others' picks skipped,
/// their slots -1).
void checkOfficial(int64_t m, int64_t e, bool crowded, uint64_t seed,
                   int64_t ranks = 1, int64_t rank = 0) {
  SCOPED_TRACE("m " + std::to_string(m) + " e " + std::to_string(e) +
               (crowded ? " crowded" : "") + " rank " + std::to_string(rank) +
               " of " + std::to_string(ranks));
  std::mt19937_64 gen(seed);
  HostTensor picks = randomPicks(gen, m, e, crowded);
  HostTensor weights = randomF32(gen, {m, kTopK}, 0, 2);
  const int64_t local = e / ranks, lo = rank * local;
  const int64_t n = m * kTopK, g = std::min(local, n);

  // The official order: experts ascending, each expert's tokens ascending.
  std::vector<int64_t> tok, slotOf(n, -1);
  std::vector<float> rw;
  std::vector<int32_t> groups;
  for (int64_t x = 0; x < local; ++x) {
    const int64_t first = int64_t(tok.size());
    for (int64_t t = 0; t < m; ++t)
      for (int64_t j = 0; j < kTopK; ++j)
        if (i32Data(picks)[t * kTopK + j] == lo + x) {
          slotOf[t * kTopK + j] = int64_t(tok.size());
          tok.push_back(t);
          rw.push_back(f32Data(weights)[t * kTopK + j]);
        }
    if (int64_t rows = int64_t(tok.size()) - first)
      groups.insert(groups.end(), {int32_t(x), int32_t(first), int32_t(rows)});
  }
  groups.resize(g * 3, 0);

  for (Target target : {Target::Reference, Target::Cpu}) {
    SCOPED_TRACE(target == Target::Cpu ? "cpu" : "reference");
    Routed r = route(target, picks, weights, m, local, lo);
    for (int64_t i = 0; i < int64_t(tok.size()); ++i) {
      ASSERT_EQ(i64Data(r.tok)[i], tok[i]) << "tok[" << i << "]";
      ASSERT_EQ(i32Data(r.rows)[i], tok[i]) << "rows[" << i << "]";
      ASSERT_EQ(floatToBits(f32Data(r.rw)[i]), floatToBits(rw[i]))
          << "rw[" << i << "]";
    }
    for (int64_t t = 0; t < m; ++t) {
      // Token t's rows in ascending expert order.
      std::vector<std::pair<int32_t, int64_t>> mine;
      for (int64_t j = 0; j < kTopK; ++j)
        mine.push_back({i32Data(picks)[t * kTopK + j], slotOf[t * kTopK + j]});
      std::sort(mine.begin(), mine.end());
      for (int64_t j = 0; j < kTopK; ++j)
        ASSERT_EQ(i32Data(r.slots)[t * kTopK + j], mine[j].second)
            << "slots[" << t << ", " << j << "]";
    }
    for (int64_t i = 0; i < g * 3; ++i)
      ASSERT_EQ(i32Data(r.groups)[i], groups[i])
          << "groups[" << i / 3 << ", " << i % 3 << "]";
  }
}

TEST(MoeRoute, MatchesOfficialOrder) {
  checkOfficial(1, 256, false, 1);   // decode, batch 1: 6 groups of 1
  checkOfficial(13, 256, false, 2);  // ragged, past one 64-pick block
  checkOfficial(40, 16, false, 3);   // more picks than experts
  checkOfficial(37, 256, true, 4);   // 37 rows on each of 6-8 experts
  checkOfficial(200, 512, false, 5); // 1200 picks: 19 blocks per count
}

TEST(MoeRoute, TensorParallelRanksRouteTheirOwnExperts) {
  for (int64_t rank = 0; rank < 4; ++rank) {
    checkOfficial(13, 16, false, 6, 4, rank); // 4 experts each
    checkOfficial(37, 256, true, 7, 2, rank % 2);
  }
}

} // namespace
