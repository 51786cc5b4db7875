//===- AsyncCopy.cpp - tile.load as asynchronous row-chunk copies ---------===//
//
// On a GPU, a tile.load whose rows are contiguous in memory (innermost
// stride 1, no mask, zero padding) is copied into its tile buffer in chunks
// of 16, 8 or 4 bytes by `dsv4c.copy_async.N(dst, src, valid_bytes)`, one
// chunk per iteration of a parallel loop over (outer indices, chunk), then
// `dsv4c.copy_async_wait()`: the target starts each copy without passing
// the data through registers (CUDA: cp.async into shared memory, zero-
// filling past `valid_bytes`) and waits for this thread's copies.
// distribute-to-threads puts the wait before the barrier that ends the
// loop. The result is the buffer as a tensor, computed once (staged),
// where a `tensor.generate` would be re-read from global memory by every
// consumer. Rows of a multiple of 64 bytes are padded by 16 bytes (the
// tile is a strided view of the buffer), so that the rows of a warp's
// matrix fragments (DotToWarpMma.cpp) fall in different shared-memory banks.
//
//===----------------------------------------------------------------------===//
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace dsv4c::lowering {

int64_t asyncCopyChunkBytes(tile::LoadOp op) {
  auto type = op.getType();
  if (op.getMask() || op.getOther() || !type.hasStaticShape() ||
      type.getRank() == 0)
    return 0;
  Type elt = type.getElementType();
  if (!elt.isIntOrFloat() || isa<Float4E2M1FNType>(elt) || elt.isInteger(1))
    return 0;
  unsigned bits = elt.getIntOrFloatBitWidth();
  if (bits % 8 || bits > 64)
    return 0;
  std::optional<int64_t> innerStride =
      getConstantIntValue(op.getStrides().back());
  if (!innerStride || *innerStride != 1)
    return 0;
  int64_t rowBytes = type.getShape().back() * (bits / 8);
  for (int64_t chunk : {16, 8, 4}) {
    if (rowBytes % chunk)
      continue;
    // A single chunk would be a loop of one iteration, which the
    // canonicalizer unwraps: left outside any nest, every thread of a
    // group would copy it. Such small loads stay element loops.
    if (type.getNumElements() * (bits / 8) == chunk)
      return 0;
    return chunk;
  }
  return 0;
}

bool canStageSwizzled(tile::LoadOp op) {
  auto type = op.getType();
  if (type.getRank() != 2 || asyncCopyChunkBytes(op) != 16)
    return false;
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  return (bits == 8 || bits == 16) &&
         type.getDimSize(1) * (bits / 8) % 128 == 0 &&
         type.getDimSize(0) % 8 == 0;
}

/// Copies one chunk of a staged row: (destination address (i64), the
/// source element index of the chunk's first element, the elements of the
/// chunk inside the bounds).
using ChunkCopy =
    function_ref<void(OpBuilder &, Location, Value, Value, Value)>;

/// `op`'s tile as a buffer filled by `copy` over (outer indices, chunk of
/// `perChunk` elements), then `dsv4c.copy_async_wait` where `wait`. An
/// element takes `eltBytes` bytes in the buffer; rows of a multiple of 64
/// bytes get 16 bytes of padding: the 8 rows a warp's matrix fragments read
/// at once then start in different banks.
///
/// A load marked `dsv4c.swizzle128` (rank 2, 16-byte chunks, rows of whole
/// 128-byte blocks) is staged in the layout of the warpgroup instruction's
/// operands instead: each 128-byte block of a row's columns is a
/// [rows, 128 bytes] region of its own, row r's 16-byte chunk j of the block
/// at chunk j ^ r % 8, the buffer 1024-byte aligned (the swizzle atom). Only
/// that instruction reads such a buffer.
static Value stageRows(OpBuilder &b, tile::LoadOp op, int64_t perChunk,
                       int64_t eltBytes, bool wait, ChunkCopy copy) {
  Location loc = op.getLoc();
  auto type = op.getType();
  ArrayRef<int64_t> shape = type.getShape();
  Type elt = type.getElementType();
  int64_t rank = type.getRank();
  Type i64 = b.getI64Type();
  // lowerTileOpsToTensor refuses a marked load canStageSwizzled rejects.
  bool swizzle = op->hasAttr(kSwizzle128Attr);
  assert((!swizzle || (canStageSwizzled(op) && perChunk * eltBytes == 16)) &&
         "a swizzled load is staged in 16-byte chunks");

  SmallVector<int64_t> padded(shape);
  if (!swizzle && rank >= 2 && shape.back() * eltBytes % 64 == 0 &&
      type.getNumElements() / shape.back() > 1)
    padded.back() += 16 / eltBytes;
  auto buffer = memref::AllocOp::create(b, loc, MemRefType::get(padded, elt));
  buffer.setAlignment(swizzle ? kSwizzleAlignment : 64);
  Value dstBase = arith::IndexCastOp::create(
      b, loc, i64,
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer));

  SmallVector<Value> lbs(rank, indexConst(b, loc, 0)),
      steps(rank, indexConst(b, loc, 1)), ubs;
  for (int64_t d = 0; d + 1 < rank; ++d)
    ubs.push_back(indexConst(b, loc, shape[d]));
  ubs.push_back(indexConst(b, loc, shape.back() / perChunk));
  scf::ParallelOp::create(
      b, loc, lbs, ubs, steps, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        auto c = [&](int64_t v) { return indexConst(b, loc, v); };
        auto add = [&](Value x, Value y) {
          return arith::AddIOp::create(b, loc, x, y).getResult();
        };
        auto mul = [&](Value x, Value y) {
          return arith::MulIOp::create(b, loc, x, y).getResult();
        };
        auto less = [&](Value x, Value y) {
          return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y)
              .getResult();
        };
        ValueRange offsets = op.getOffsets(), strides = op.getStrides(),
                   bounds = op.getBounds();
        // Source element of the chunk's first element, destination offset.
        Value src = c(0), dst = c(0), rowInside;
        for (int64_t d = 0; d < rank; ++d) {
          Value at = d + 1 < rank ? ivs[d] : mul(ivs[d], c(perChunk));
          Value pos = add(offsets[d], at);
          src = add(src, mul(pos, strides[d]));
          dst = add(mul(dst, c(padded[d])), at);
          if (!bounds.empty() && d + 1 < rank) {
            Value in = less(pos, bounds[d]);
            rowInside =
                rowInside
                    ? arith::AndIOp::create(b, loc, rowInside, in).getResult()
                    : in;
          }
        }
        // Elements of this chunk inside the bounds: clamp(bound - pos, 0, n).
        Value valid = c(perChunk);
        if (!bounds.empty()) {
          Value pos = add(offsets[rank - 1], mul(ivs[rank - 1], c(perChunk)));
          Value left = arith::SubIOp::create(b, loc, bounds[rank - 1], pos);
          valid = arith::MaxSIOp::create(
              b, loc, arith::MinSIOp::create(b, loc, left, c(perChunk)), c(0));
          if (rowInside)
            valid = arith::SelectOp::create(b, loc, rowInside, valid, c(0));
        }
        if (swizzle) {
          // Block ivs[1] / 8 of the row (128 bytes), chunk ivs[1] % 8 of the
          // block; dst in elements.
          auto rem = [&](Value x, int64_t y) {
            return arith::RemUIOp::create(b, loc, x, c(y)).getResult();
          };
          Value block = arith::DivUIOp::create(b, loc, ivs[1], c(8));
          Value chunk =
              arith::XOrIOp::create(b, loc, rem(ivs[1], 8), rem(ivs[0], 8));
          dst = add(add(mul(block, c(shape[0] * 128 / eltBytes)),
                        mul(ivs[0], c(128 / eltBytes))),
                    mul(chunk, c(perChunk)));
        }
        Value dstAddr =
            add(dstBase,
                arith::IndexCastOp::create(b, loc, i64, mul(dst, c(eltBytes))));
        copy(b, loc, dstAddr, src, valid);
        scf::ReduceOp::create(b, loc);
      });
  if (wait)
    func::CallOp::create(b, loc, "dsv4c.copy_async_wait", TypeRange(),
                         ValueRange());
  Value tile = buffer;
  if (padded.back() != shape.back()) {
    SmallVector<int64_t> zeros(rank, 0), ones(rank, 1);
    tile = memref::SubViewOp::create(b, loc, buffer, zeros, shape, ones);
  }
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(shape, elt), tile, /*restrict=*/true,
      /*writable=*/true);
}

/// The address of `base` (a !tile.ptr) as an i64.
static Value addressBits(OpBuilder &b, Location loc, Value base) {
  Value ptr = UnrealizedConversionCastOp::create(
                  b, loc, LLVM::LLVMPointerType::get(b.getContext()), base)
                  .getResult(0);
  return LLVM::PtrToIntOp::create(b, loc, b.getI64Type(), ptr);
}

Value lowerLoadAsync(OpBuilder &b, tile::LoadOp op) {
  int64_t chunk = asyncCopyChunkBytes(op);
  if (!chunk)
    return nullptr;
  int64_t eltBytes = op.getType().getElementType().getIntOrFloatBitWidth() / 8;
  Value srcBase = addressBits(b, op.getLoc(), op.getBase());
  return stageRows(
      b, op, chunk / eltBytes, eltBytes, /*wait=*/true,
      [&](OpBuilder &b, Location loc, Value dstAddr, Value src, Value valid) {
        Type i64 = b.getI64Type();
        auto bytes = [&](Value elements) {
          return arith::IndexCastOp::create(
              b, loc, i64,
              arith::MulIOp::create(b, loc, elements,
                                    indexConst(b, loc, eltBytes)));
        };
        Value validBytes = arith::IndexCastOp::create(
            b, loc, b.getI32Type(),
            arith::MulIOp::create(b, loc, valid, indexConst(b, loc, eltBytes)));
        // Nothing is read for an empty chunk: point it at the base.
        Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                          valid, indexConst(b, loc, 0));
        Value srcAddr = arith::SelectOp::create(
            b, loc, any, arith::AddIOp::create(b, loc, srcBase, bytes(src)),
            srcBase);
        func::CallOp::create(b, loc, ("dsv4c.copy_async." + Twine(chunk)).str(),
                             TypeRange(),
                             ValueRange{dstAddr, srcAddr, validBytes});
      });
}

Value lowerLoadE2m1(OpBuilder &b, tile::LoadOp op) {
  auto type = op.getType();
  if (!isa<Float4E2M1FNType>(type.getElementType()) || op.getMask() ||
      op.getOther() || !type.hasStaticShape() || type.getRank() == 0)
    return nullptr;
  // A single chunk would be a loop of one iteration (lowerLoadAsync).
  int64_t chunk = 0;
  for (int64_t codes : kE2m1Chunks)
    if (type.getShape().back() % codes == 0 && type.getNumElements() != codes) {
      chunk = codes;
      break;
    }
  if (!chunk)
    return nullptr;
  std::optional<int64_t> innerStride =
      getConstantIntValue(op.getStrides().back());
  if (!innerStride || *innerStride != 1)
    return nullptr;
  Value srcBase = addressBits(b, op.getLoc(), op.getBase());
  return stageRows(
      b, op, chunk, /*eltBytes=*/1, /*wait=*/false,
      [&](OpBuilder &b, Location loc, Value dstAddr, Value src, Value valid) {
        Value srcElement =
            arith::IndexCastOp::create(b, loc, b.getI64Type(), src);
        Value validCodes =
            arith::IndexCastOp::create(b, loc, b.getI32Type(), valid);
        func::CallOp::create(
            b, loc, ("dsv4c.copy_e2m1." + Twine(chunk)).str(), TypeRange(),
            ValueRange{dstAddr, srcBase, srcElement, validCodes});
      });
}

/// The chunk size in bytes for copying rows of `rowBytes` bytes that start
/// at `offsetBytes + i * strideBytes` (each unknown: nullopt): the largest of
/// 16, 8, 4 that divides them all, 0 if none.
static int64_t rowChunkBytes(int64_t rowBytes,
                             std::optional<int64_t> offsetBytes,
                             std::optional<int64_t> strideBytes) {
  for (int64_t chunk : {16, 8, 4})
    if (rowBytes % chunk == 0 && (!offsetBytes || *offsetBytes % chunk == 0) &&
        (!strideBytes || *strideBytes % chunk == 0))
      return chunk;
  return 0;
}

Value lowerGatherAsync(OpBuilder &b, tile::GatherOp op) {
  auto type = op.getType();
  Type elt = type.getElementType();
  if (op.getOther() || type.getRank() != 2 || !type.hasStaticShape() ||
      !elt.isIntOrFloat() || isa<Float4E2M1FNType>(elt) || elt.isInteger(1))
    return nullptr;
  unsigned bits = elt.getIntOrFloatBitWidth();
  if (bits % 8 || bits > 64)
    return nullptr;
  int64_t eltBytes = bits / 8;
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  auto bytesOf = [&](Value v) -> std::optional<int64_t> {
    if (std::optional<int64_t> c = getConstantIntValue(v))
      return *c * eltBytes;
    return std::nullopt;
  };
  int64_t chunk = rowChunkBytes(cols * eltBytes, bytesOf(op.getOffset()),
                                bytesOf(op.getRowStride()));
  // One chunk per row would be a nest the canonicalizer may unwrap.
  if (!chunk || cols * eltBytes == chunk)
    return nullptr;
  int64_t perChunk = chunk / eltBytes;
  Location loc = op.getLoc();
  Type i64 = b.getI64Type();

  // Padded as lowerLoadAsync pads (bank-spread fragment rows).
  int64_t paddedCols = cols;
  if (cols * eltBytes % 64 == 0 && rows > 1)
    paddedCols += 16 / eltBytes;
  auto buffer =
      memref::AllocOp::create(b, loc, MemRefType::get({rows, paddedCols}, elt));
  buffer.setAlignment(64);
  Value dstBase = arith::IndexCastOp::create(
      b, loc, i64,
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer));
  Value srcPtr =
      UnrealizedConversionCastOp::create(
          b, loc, LLVM::LLVMPointerType::get(b.getContext()), op.getBase())
          .getResult(0);
  Value srcBase = LLVM::PtrToIntOp::create(b, loc, i64, srcPtr);
  Value indices = op.getIndices();
  scf::ParallelOp::create(
      b, loc, ValueRange{indexConst(b, loc, 0), indexConst(b, loc, 0)},
      ValueRange{indexConst(b, loc, rows), indexConst(b, loc, cols / perChunk)},
      ValueRange{indexConst(b, loc, 1), indexConst(b, loc, 1)},
      [&](OpBuilder &b, Location loc, ValueRange ivs) {
        auto c = [&](int64_t v) { return indexConst(b, loc, v); };
        Value row = tensor::ExtractOp::create(b, loc, indices, ivs[0]);
        Value valid = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sge, row,
            arith::ConstantOp::create(b, loc, b.getZeroAttr(row.getType())));
        Value r = arith::IndexCastOp::create(b, loc, b.getIndexType(), row);
        Value col = arith::MulIOp::create(b, loc, ivs[1], c(perChunk));
        Value src = arith::AddIOp::create(
            b, loc, op.getOffset(),
            arith::AddIOp::create(
                b, loc, arith::MulIOp::create(b, loc, r, op.getRowStride()),
                col));
        Value dst = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, ivs[0], c(paddedCols)), col);
        auto bytesAt = [&](Value base, Value elements) {
          return arith::AddIOp::create(
                     b, loc, base,
                     arith::IndexCastOp::create(
                         b, loc, i64,
                         arith::MulIOp::create(b, loc, elements, c(eltBytes))))
              .getResult();
        };
        // A masked row (index < 0) is zero-filled and reads nothing.
        Value srcAddr = arith::SelectOp::create(b, loc, valid,
                                                bytesAt(srcBase, src), srcBase);
        Value validBytes = arith::SelectOp::create(
            b, loc, valid,
            arith::ConstantIntOp::create(b, loc, b.getI32Type(), chunk),
            arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0));
        func::CallOp::create(
            b, loc, ("dsv4c.copy_async." + Twine(chunk)).str(), TypeRange(),
            ValueRange{bytesAt(dstBase, dst), srcAddr, validBytes});
        scf::ReduceOp::create(b, loc);
      });
  func::CallOp::create(b, loc, "dsv4c.copy_async_wait", TypeRange(),
                       ValueRange());
  Value tile = buffer;
  if (paddedCols != cols)
    tile = memref::SubViewOp::create(b, loc, buffer, ArrayRef<int64_t>{0, 0},
                                     ArrayRef<int64_t>{rows, cols},
                                     ArrayRef<int64_t>{1, 1});
  return bufferization::ToTensorOp::create(b, loc, type, tile,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

} // namespace dsv4c::lowering
