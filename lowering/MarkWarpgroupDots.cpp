//===- MarkWarpgroupDots.cpp - dots for warpgroup matrix instructions -----===//
//
// Hopper's warpgroup instruction (wgmma) multiplies a 64-row A by an N-row
// B straight from shared memory: the program's 4 warps together, with no
// fragment loads. (For e4m3 it also skips the conversions that ptxas's
// emulated e4m3 mma.sync spends per byte on sm_90, but sums in fewer bits:
// off by default, the pass's `f8`.) It reads its operands through
// descriptors of a fixed
// layout: K-major rows of 128 bytes, eight rows an atom of 1024 bytes whose
// 16-byte chunks are swizzled (chunk j of row r at j ^ r % 8). This pass
// picks the dots that can use it and marks them and the loads that fill
// their operands, so that convert-tile-to-cpu stages those tiles in that
// layout (AsyncCopy.cpp) and dot-to-warp-mma calls the instruction.
//
//===----------------------------------------------------------------------===//
#include "lowering/Passes.h"
#include "lowering/TileToTensorUtil.h"

namespace dsv4c {
#define GEN_PASS_DEF_MARKWARPGROUPDOTS
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;
using dsv4c::lowering::kSwizzle128Attr;
using dsv4c::lowering::kWarpgroupAttr;
using dsv4c::tile::DotOp;
using dsv4c::tile::LoadOp;

namespace {

/// The loads whose tile is `v` and nothing else reads: a tile.load, or the
/// iter_arg of a pipelined loop (the load before the loop and the one each
/// trip yields). Empty if `v` comes from elsewhere or has other readers.
SmallVector<LoadOp> operandLoads(Value v, Operation *dot) {
  if (!v.hasOneUse() || *v.getUsers().begin() != dot)
    return {};
  if (auto load = v.getDefiningOp<LoadOp>())
    return {load};
  auto arg = dyn_cast<BlockArgument>(v);
  auto loop =
      arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp()) : scf::ForOp();
  OpOperand *initUse = loop ? loop.getTiedLoopInit(arg) : nullptr;
  if (!initUse)
    return {};
  Value init = initUse->get(), next = loop.getTiedLoopYieldedValue(arg)->get();
  auto first = init.getDefiningOp<LoadOp>();
  auto ahead = next.getDefiningOp<LoadOp>();
  if (!first || !ahead || !init.hasOneUse() || !next.hasOneUse())
    return {};
  return {first, ahead};
}

/// Whether the instruction can compute `dot`: e4m3 x e4m3 with block scales
/// (if any) constant over each 128 k (the instruction sums a chunk of 128 k,
/// which is then scaled and added in f32), or bf16 x bf16 unscaled; B stored
/// [n, k], 64 x N f32 results (N a multiple of 8 up to 256), K whole
/// 128-byte blocks.
bool fitsInstruction(DotOp dot, bool f8) {
  auto lhs = cast<RankedTensorType>(dot.getLhs().getType());
  auto rhs = cast<RankedTensorType>(dot.getRhs().getType());
  auto result = cast<RankedTensorType>(dot.getType());
  Type l = lhs.getElementType(), r = rhs.getElementType();
  bool e4m3 = f8 && isa<Float8E4M3FNType>(l) && isa<Float8E4M3FNType>(r);
  bool bf16 =
      l.isBF16() && r.isBF16() && !dot.getLhsScale() && !dot.getRhsScale();
  if (!(e4m3 || bf16) || !dot.getRhsTransposed() ||
      !result.getElementType().isF32())
    return false;
  int64_t m = result.getDimSize(0), n = result.getDimSize(1),
          k = lhs.getDimSize(1);
  if (m != 64 || n % 8 || n > 256 || k % (e4m3 ? 128 : 64))
    return false;
  if (auto block = dot.getLhsScaleBlock(); block && (*block)[1] % 128)
    return false;
  if (auto block = dot.getRhsScaleBlock(); block && (*block)[1] % 128)
    return false;
  return true;
}

struct MarkWarpgroupDotsPass
    : dsv4c::impl::MarkWarpgroupDotsBase<MarkWarpgroupDotsPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->walk([&](DotOp dot) {
      if (!fitsInstruction(dot, f8))
        return;
      SmallVector<LoadOp> loads = operandLoads(dot.getLhs(), dot);
      SmallVector<LoadOp> rhs = operandLoads(dot.getRhs(), dot);
      if (loads.empty() || rhs.empty())
        return;
      loads.append(rhs.begin(), rhs.end());
      if (!llvm::all_of(loads, dsv4c::lowering::canStageSwizzled))
        return;
      Builder b(dot.getContext());
      for (LoadOp load : loads)
        load->setAttr(kSwizzle128Attr, b.getUnitAttr());
      dot->setAttr(kWarpgroupAttr, b.getUnitAttr());
    });
  }
};

} // namespace
