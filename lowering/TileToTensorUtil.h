//===- TileToTensorUtil.h - helpers of the tile-to-tensor lowering -*- C++
//-*-===//
//
// Shared by TileToTensor.cpp and the lowerings split out of it (TopK.cpp,
// Quantize.cpp, Dot.cpp, AsyncCopy.cpp, GlobalMemory.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_LOWERING_TILETOTENSORUTIL_H
#define DSV4C_LOWERING_TILETOTENSORUTIL_H

#include "dialects/tile/TileDialect.h"
#include "lowering/TileToTensor.h"

#include "mlir/IR/Builders.h"

#include <utility>

namespace dsv4c::lowering {

using BodyFn = mlir::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;

mlir::Value indexConst(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
/// A tile of `type` whose element at `ivs` is `body(ivs)`, recomputed where
/// it is used (`tensor.generate`).
mlir::Value generate(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::RankedTensorType type, BodyFn body);
/// Like `generate`, but computed once into memory (`linalg.generic`).
mlir::Value materialize(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type, BodyFn body);
/// Runs `body` for every index of `shape`, row-major.
void forEachIndex(mlir::OpBuilder &b, mlir::Location loc,
                  llvm::ArrayRef<int64_t> shape,
                  mlir::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                          mlir::ValueRange)>
                      body);
mlir::Value extract(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tile,
                    mlir::ValueRange ivs);
/// `x` with `convert` applied to every element, computed once.
mlir::Value materializeConverted(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Type elt,
    mlir::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value)>
        convert);

/// `tile.load` (GlobalMemory.cpp): a generate of element loads, masked
/// elements `other` (or zero) without touching memory.
mlir::Value lowerLoad(mlir::OpBuilder &b, tile::LoadOp op);
/// `tile.store` (GlobalMemory.cpp). `parallel`: the elements as one
/// parallel loop nest (GPUs), unmasked rows of whole 16-byte chunks a chunk
/// an iteration; else a sequential nest.
void lowerStore(mlir::OpBuilder &b, tile::StoreOp op, bool parallel);
/// `tile.gather` (GlobalMemory.cpp): rows by index, negative rows `other`.
mlir::Value lowerGather(mlir::OpBuilder &b, tile::GatherOp op);
/// `tile.atomic_add` (GlobalMemory.cpp) at LLVM sync scope `scope`.
mlir::Value lowerAtomicAdd(mlir::OpBuilder &b, tile::AtomicAddOp op,
                           llvm::StringRef scope);

/// `tile.dot` (Dot.cpp) as a linalg.generic, in `options`' form.
mlir::Value lowerDot(mlir::OpBuilder &b, tile::DotOp op,
                     const TileLoweringOptions &options);

/// `tile.quantize` (Quantize.cpp): the codes and the block scales.
std::pair<mlir::Value, mlir::Value>
lowerQuantize(mlir::OpBuilder &b, tile::QuantizeOp op,
              const TileLoweringOptions &options);
/// `tile.dequantize` (Quantize.cpp).
mlir::Value lowerDequantize(mlir::OpBuilder &b, tile::DequantizeOp op,
                            const TileLoweringOptions &options);

/// mark-warpgroup-dots' marks: a tile.load staged in the warpgroup
/// instruction's swizzled layout (rows of 128-byte blocks, chunk j of row r
/// at j ^ r % 8; AsyncCopy.cpp), and a tile.dot that instruction computes
/// (dot-to-warp-mma), kept on the dot's generic.
constexpr llvm::StringLiteral kSwizzle128Attr = "dsv4c.swizzle128";
constexpr llvm::StringLiteral kWarpgroupAttr = "dsv4c.wgmma";
/// The alignment of a swizzled tile buffer: the swizzle's 8-row atom.
constexpr int64_t kSwizzleAlignment = 1024;

/// `tile.load` (AsyncCopy.cpp) as asynchronous copies of row chunks into a
/// tile buffer; null where its rows are not contiguous or it is masked.
mlir::Value lowerLoadAsync(mlir::OpBuilder &b, tile::LoadOp op);
/// The e2m1 codes one `dsv4c.copy_e2m1.N(dst, src_base, src_element,
/// valid)` copies (lowerLoadE2m1): N / 2 packed bytes read, N written. The
/// largest that divides a tile's rows: a 128-code chunk's four 16-byte loads
/// are all in flight before its codes are unpacked.
constexpr int64_t kE2m1Chunks[] = {128, 32};
/// An f4E2M1FN `tile.load` (AsyncCopy.cpp) with contiguous rows of whole
/// 32-code chunks: each chunk's packed bytes read at once and unpacked into
/// the tile buffer (a byte per code, as LLVM keeps i4 in memory) by
/// `dsv4c.copy_e2m1.N`, where an element loop would read each byte twice,
/// one code at a time. Null otherwise.
mlir::Value lowerLoadE2m1(mlir::OpBuilder &b, tile::LoadOp op);
/// The chunk size in bytes lowerLoadAsync splits `op`'s rows into; 0 where
/// it would not copy `op` asynchronously.
int64_t asyncCopyChunkBytes(tile::LoadOp op);
/// Whether lowerLoadAsync can stage `op` in the warpgroup instruction's
/// swizzled layout (kSwizzle128Attr): rank 2, 16-byte copies of 8- or
/// 16-bit elements, rows of whole 128-byte blocks, whole 8-row atoms.
bool canStageSwizzled(tile::LoadOp op);
/// `tile.gather` (AsyncCopy.cpp) as asynchronous copies of each row's
/// chunks (masked rows zero-filled); null where rows do not split into 4-,
/// 8- or 16-byte chunks, or masked rows take `other`.
mlir::Value lowerGatherAsync(mlir::OpBuilder &b, tile::GatherOp op);
/// `tile.topk` (TopK.cpp) as sequential merges: fewest comparisons.
std::pair<mlir::Value, mlir::Value> lowerTopK(mlir::OpBuilder &b,
                                              tile::TopKOp op);
/// `tile.topk` as merge passes of independent elements: parallel loops only.
std::pair<mlir::Value, mlir::Value> lowerTopKParallel(mlir::OpBuilder &b,
                                                      tile::TopKOp op);
/// `tile.topk` on a warp's shuffles (dsv4c.shuffle_xor.*), one warp per row;
/// null where k > 32 or the keys are integers wider than 32 bits.
std::pair<mlir::Value, mlir::Value> lowerTopKWarp(mlir::OpBuilder &b,
                                                  tile::TopKOp op);

} // namespace dsv4c::lowering

#endif
