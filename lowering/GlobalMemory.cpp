//===- GlobalMemory.cpp - tile loads, stores, gathers, atomics ------------===//
//
// The tile ops that touch global memory through raw pointers, lowered for
// TileToTensor.cpp: loads and gathers as `tensor.generate`s of element loads
// (masked elements never touched), stores as loop nests (GPU stores in
// 16-byte chunks where the rows allow), `tile.atomic_add` through a helper.
//
//===----------------------------------------------------------------------===//
#include "dialects/tile/TileDialect.h"
#include "lowering/ScalarConversions.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace dsv4c;
using namespace dsv4c::lowering;

namespace {

Value zeroOf(OpBuilder &b, Location loc, Type t) {
  // ue8m0 has no zero: its all-zero code (2^-127), as the reference reads
  // zero-filled memory.
  if (isa<Float8E8M0FNUType>(t))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(
            t, APFloat(cast<FloatType>(t).getFloatSemantics(), APInt(8, 0))));
  if (isSmallFloat(t))
    return emitFromF32(
        b, loc,
        arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(0.0f)),
        t);
  return arith::ConstantOp::create(b, loc, b.getZeroAttr(t));
}

/// `cond ? then() : otherwise`, with `then` emitted only under the condition
/// (so masked-off memory is never touched).
Value ifThenElse(OpBuilder &b, Location loc, Value cond,
                 function_ref<Value(OpBuilder &, Location)> then,
                 Value otherwise) {
  if (!cond)
    return then(b, loc);
  auto ifOp = scf::IfOp::create(
      b, loc, cond,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, then(tb, tl));
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(eb, el, otherwise);
      });
  return ifOp.getResult(0);
}

/// a && c, where a null value stands for true.
Value andOpt(OpBuilder &b, Location loc, Value a, Value c) {
  if (!a || !c)
    return a ? a : c;
  return arith::AndIOp::create(b, loc, a, c).getResult();
}

//===----------------------------------------------------------------------===//
// Global memory through raw pointers
//===----------------------------------------------------------------------===//

Value llvmPtrOf(OpBuilder &b, Location loc, Value tilePtr) {
  return UnrealizedConversionCastOp::create(
             b, loc, LLVM::LLVMPointerType::get(b.getContext()), tilePtr)
      .getResult(0);
}

Value addressOf(OpBuilder &b, Location loc, Value base, Type storage,
                Value index) {
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return LLVM::GEPOp::create(b, loc, base.getType(), storage, base,
                             ValueRange{i64});
}

/// Loads element `index` of a buffer of `elt` (f4E2M1FN packed in nibbles).
Value loadElement(OpBuilder &b, Location loc, Value base, Type elt,
                  Value index) {
  Type i8 = b.getI8Type();
  if (isa<Float4E2M1FNType>(elt)) {
    Value byteIndex =
        arith::DivUIOp::create(b, loc, index, indexConst(b, loc, 2));
    Value byte = LLVM::LoadOp::create(b, loc, i8,
                                      addressOf(b, loc, base, i8, byteIndex));
    Value odd = arith::RemUIOp::create(b, loc, index, indexConst(b, loc, 2));
    Value shift = arith::IndexCastOp::create(
        b, loc, i8, arith::MulIOp::create(b, loc, odd, indexConst(b, loc, 4)));
    Value nibble =
        arith::TruncIOp::create(b, loc, b.getIntegerType(4),
                                arith::ShRUIOp::create(b, loc, byte, shift));
    return arith::BitcastOp::create(b, loc, elt, nibble);
  }
  if (isSmallFloat(elt) || elt.isInteger(1)) {
    Value byte =
        LLVM::LoadOp::create(b, loc, i8, addressOf(b, loc, base, i8, index));
    if (elt.isInteger(1))
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, byte,
                                   zeroOf(b, loc, i8));
    return arith::BitcastOp::create(b, loc, elt, byte);
  }
  return LLVM::LoadOp::create(b, loc, elt, addressOf(b, loc, base, elt, index));
}

void storeElement(OpBuilder &b, Location loc, Value base, Type elt, Value index,
                  Value value) {
  Type i8 = b.getI8Type();
  if (isa<Float4E2M1FNType>(elt)) {
    // Read-modify-write of the byte holding this nibble.
    Value byteIndex =
        arith::DivUIOp::create(b, loc, index, indexConst(b, loc, 2));
    Value addr = addressOf(b, loc, base, i8, byteIndex);
    Value byte = LLVM::LoadOp::create(b, loc, i8, addr);
    Value odd = arith::RemUIOp::create(b, loc, index, indexConst(b, loc, 2));
    Value shift = arith::IndexCastOp::create(
        b, loc, i8, arith::MulIOp::create(b, loc, odd, indexConst(b, loc, 4)));
    Value code = arith::ExtUIOp::create(
        b, loc, i8,
        arith::BitcastOp::create(b, loc, b.getIntegerType(4), value));
    Value keepMask = arith::XOrIOp::create(
        b, loc,
        arith::ShLIOp::create(
            b, loc, arith::ConstantIntOp::create(b, loc, i8, 0xF), shift),
        arith::ConstantIntOp::create(b, loc, i8, 0xFF));
    Value merged = arith::OrIOp::create(
        b, loc, arith::AndIOp::create(b, loc, byte, keepMask),
        arith::ShLIOp::create(b, loc, code, shift));
    LLVM::StoreOp::create(b, loc, merged, addr);
    return;
  }
  if (isSmallFloat(elt) || elt.isInteger(1)) {
    Value byte = elt.isInteger(1)
                     ? arith::ExtUIOp::create(b, loc, i8, value).getResult()
                     : arith::BitcastOp::create(b, loc, i8, value).getResult();
    LLVM::StoreOp::create(b, loc, byte, addressOf(b, loc, base, i8, index));
    return;
  }
  LLVM::StoreOp::create(b, loc, value, addressOf(b, loc, base, elt, index));
}

/// Linear address and in-bounds condition of element `ivs` of a load/store.
std::pair<Value, Value> addressing(OpBuilder &b, Location loc, ValueRange ivs,
                                   ValueRange offsets, ValueRange strides,
                                   ValueRange bounds, Value mask) {
  Value linear = indexConst(b, loc, 0), cond;
  for (auto [d, iv] : llvm::enumerate(ivs)) {
    Value pos = arith::AddIOp::create(b, loc, offsets[d], iv);
    linear = arith::AddIOp::create(
        b, loc, linear, arith::MulIOp::create(b, loc, pos, strides[d]));
    if (!bounds.empty())
      cond = andOpt(b, loc, cond,
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          pos, bounds[d]));
  }
  if (mask)
    cond = andOpt(b, loc, cond, extract(b, loc, mask, ivs));
  return {linear, cond};
}

/// Elements a 16-byte store of `elt` holds on GPU targets, 0 where stores
/// stay one element wide (e2m1 nibbles, i1, wider types).
int64_t vectorStoreWidth(Type elt) {
  if (!elt.isIntOrFloat() || isa<Float4E2M1FNType>(elt) || elt.isInteger(1))
    return 0;
  unsigned bits = isSmallFloat(elt) ? 8 : elt.getIntOrFloatBitWidth();
  return bits == 8 || bits == 16 || bits == 32 ? 128 / bits : 0;
}

/// The module's `i32 tile_atomic_add_i32(ptr, i32)`: one acquire-release
/// add between a release and an acquire fence. A function of its own, because
/// ownership-based deallocation refuses ops with unknown memory effects
/// (llvm.atomicrmw) in func.func bodies.
LLVM::LLVMFuncOp atomicAddHelper(Operation *at, StringRef scope) {
  constexpr StringLiteral kName = "tile_atomic_add_i32";
  auto module = at->getParentOfType<ModuleOp>();
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kName))
    return fn;
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  Type i32 = b.getI32Type(), ptr = LLVM::LLVMPointerType::get(b.getContext());
  auto fn = LLVM::LLVMFuncOp::create(
      b, loc, kName, LLVM::LLVMFunctionType::get(i32, {ptr, i32}),
      LLVM::Linkage::Internal);
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  // Fences as well as the ordered add: NVPTX emits the add relaxed.
  LLVM::FenceOp::create(b, loc, LLVM::AtomicOrdering::release, scope);
  Value old = LLVM::AtomicRMWOp::create(
      b, loc, LLVM::AtomicBinOp::add, entry->getArgument(0),
      entry->getArgument(1), LLVM::AtomicOrdering::acq_rel, scope);
  LLVM::FenceOp::create(b, loc, LLVM::AtomicOrdering::acquire, scope);
  LLVM::ReturnOp::create(b, loc, old);
  return fn;
}

} // namespace

namespace dsv4c::lowering {

Value lowerLoad(OpBuilder &b, tile::LoadOp op) {
  Location loc = op.getLoc();
  Type elt = op.getType().getElementType();
  Value base = llvmPtrOf(b, loc, op.getBase());
  return generate(
      b, loc, op.getType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        auto [linear, cond] =
            addressing(b, loc, ivs, op.getOffsets(), op.getStrides(),
                       op.getBounds(), op.getMask());
        Value other = op.getOther() ? op.getOther() : zeroOf(b, loc, elt);
        return ifThenElse(
            b, loc, cond,
            [&](OpBuilder &b, Location loc) {
              return loadElement(b, loc, base, elt, linear);
            },
            other);
      });
}

/// `parallel`: the elements as one parallel loop nest (GPUs: shared out
/// over a group's threads), except f4E2M1FN, whose neighbours share a byte.
/// Unmasked GPU stores whose rows are whole 16-byte chunks take a chunk an
/// iteration: one 128-bit store where the chunk is in bounds, contiguous
/// (innermost stride 1) and aligned, checked at run time; else the chunk's
/// elements one by one, each with its bounds. The nest is marked
/// `dsv4c.store_nest` (fuse-elementwise-tiles computes each element there).
void lowerStore(OpBuilder &b, tile::StoreOp op, bool parallel) {
  Location loc = op.getLoc();
  Type elt = op.getValue().getType().getElementType();
  Value base = llvmPtrOf(b, loc, op.getBase());
  // The element at `ivs` stored where in bounds; `value` is null where the
  // element is extracted only then.
  auto storeAt = [&](OpBuilder &b, Location loc, ValueRange ivs, Value value) {
    auto [linear, cond] =
        addressing(b, loc, ivs, op.getOffsets(), op.getStrides(),
                   op.getBounds(), op.getMask());
    auto store = [&](OpBuilder &b, Location loc) {
      storeElement(b, loc, base, elt, linear,
                   value ? value : extract(b, loc, op.getValue(), ivs));
    };
    if (!cond)
      return store(b, loc);
    scf::IfOp::create(b, loc, cond, [&](OpBuilder &b, Location loc) {
      store(b, loc);
      scf::YieldOp::create(b, loc);
    });
  };
  auto body = [&](OpBuilder &b, Location loc, ValueRange ivs) {
    storeAt(b, loc, ivs, Value());
  };
  ArrayRef<int64_t> shape = op.getValue().getType().getShape();
  if (!parallel || isa<Float4E2M1FNType>(elt) || shape.empty())
    return forEachIndex(b, loc, shape, body);
  const int64_t width = vectorStoreWidth(elt);
  const bool chunks = width > 1 && !op.getMask() && shape.back() % width == 0;
  SmallVector<Value> lbs, ubs, steps;
  for (auto [d, size] : llvm::enumerate(shape)) {
    bool last = d + 1 == shape.size();
    lbs.push_back(indexConst(b, loc, 0));
    ubs.push_back(indexConst(b, loc, chunks && last ? size / width : size));
    steps.push_back(indexConst(b, loc, 1));
  }
  auto chunkBody = [&](OpBuilder &b, Location loc, ValueRange ivs) {
    SmallVector<Value> at(ivs);
    Value first =
        arith::MulIOp::create(b, loc, ivs.back(), indexConst(b, loc, width));
    SmallVector<Value> values;
    SmallVector<SmallVector<Value>> points;
    for (int64_t j = 0; j < width; ++j) {
      at.back() = arith::AddIOp::create(b, loc, first, indexConst(b, loc, j));
      points.push_back(at);
      values.push_back(extract(b, loc, op.getValue(), at));
    }
    // In bounds at both ends (bounds are a box), stride 1, 16-byte aligned.
    auto [linear, inFirst] = addressing(b, loc, points.front(), op.getOffsets(),
                                        op.getStrides(), op.getBounds(), {});
    Value inLast = addressing(b, loc, points.back(), op.getOffsets(),
                              op.getStrides(), op.getBounds(), {})
                       .second;
    Type storage = isSmallFloat(elt) ? Type(b.getI8Type()) : elt;
    Value addr = addressOf(b, loc, base, storage, linear);
    Value bits = LLVM::PtrToIntOp::create(b, loc, b.getI64Type(), addr);
    Value misaligned = arith::AndIOp::create(
        b, loc, bits, arith::ConstantIntOp::create(b, loc, b.getI64Type(), 15));
    Value fast = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                              op.getStrides().back(), indexConst(b, loc, 1)),
        arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq, misaligned,
            arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0)));
    fast = andOpt(b, loc, andOpt(b, loc, fast, inFirst), inLast);
    auto vectorType = VectorType::get({width}, storage);
    scf::IfOp::create(
        b, loc, fast,
        [&](OpBuilder &b, Location loc) {
          Value v = LLVM::PoisonOp::create(b, loc, vectorType);
          for (auto [j, value] : llvm::enumerate(values)) {
            Value element =
                isSmallFloat(elt)
                    ? arith::BitcastOp::create(b, loc, storage, value)
                          .getResult()
                    : value;
            v = LLVM::InsertElementOp::create(
                b, loc, v, element,
                arith::ConstantIntOp::create(b, loc, b.getI32Type(), j));
          }
          LLVM::StoreOp::create(b, loc, v, addr, /*alignment=*/16);
          scf::YieldOp::create(b, loc);
        },
        [&](OpBuilder &b, Location loc) {
          for (auto [point, value] : llvm::zip(points, values))
            storeAt(b, loc, point, value);
          scf::YieldOp::create(b, loc);
        });
  };
  auto nest = scf::ParallelOp::create(
      b, loc, lbs, ubs, steps, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        if (chunks)
          chunkBody(b, loc, ivs);
        else
          body(b, loc, ivs);
        scf::ReduceOp::create(b, loc);
      });
  nest->setAttr("dsv4c.store_nest", b.getUnitAttr());
}

Value lowerGather(OpBuilder &b, tile::GatherOp op) {
  Location loc = op.getLoc();
  Type elt = op.getType().getElementType();
  Value base = llvmPtrOf(b, loc, op.getBase());
  return generate(
      b, loc, op.getType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        Value row = extract(b, loc, op.getIndices(), ivs[0]);
        Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                            row, zeroOf(b, loc, row.getType()));
        Value other = op.getOther() ? op.getOther() : zeroOf(b, loc, elt);
        return ifThenElse(
            b, loc, valid,
            [&](OpBuilder &b, Location loc) {
              Value r =
                  arith::IndexCastOp::create(b, loc, b.getIndexType(), row);
              Value linear = arith::AddIOp::create(
                  b, loc, op.getOffset(),
                  arith::AddIOp::create(
                      b, loc,
                      arith::MulIOp::create(b, loc, r, op.getRowStride()),
                      ivs[1]));
              return loadElement(b, loc, base, elt, linear);
            },
            other);
      });
}

/// The old value goes through a one-word buffer: on a GPU,
/// distribute-to-threads gives the add and that store to one thread between
/// barriers, the buffer is planned in shared memory, and every thread reads
/// it after. With the barriers on either side, the one thread's
/// acquire-release add orders the whole program's accesses (as CUTLASS's
/// split-k semaphore does).
Value lowerAtomicAdd(OpBuilder &b, tile::AtomicAddOp op, StringRef scope) {
  Location loc = op.getLoc();
  Type i32 = b.getI32Type();
  LLVM::LLVMFuncOp helper = atomicAddHelper(op, scope);
  Value old = memref::AllocOp::create(b, loc, MemRefType::get({1}, i32));
  Value addr =
      addressOf(b, loc, llvmPtrOf(b, loc, op.getBase()), i32, op.getIndex());
  // The store right after the add: distribute-to-threads moves the two.
  Value zero = indexConst(b, loc, 0);
  Value prior =
      LLVM::CallOp::create(b, loc, helper, ValueRange{addr, op.getValue()})
          .getResult();
  memref::StoreOp::create(b, loc, prior, old, ValueRange{zero});
  return memref::LoadOp::create(b, loc, old, ValueRange{zero});
}

} // namespace dsv4c::lowering
