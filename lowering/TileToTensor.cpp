//===- TileToTensor.cpp - tile ops to tensor/scf/llvm memory ops ----------===//
//
// Each cheap tile-producing op becomes a `tensor.generate` whose body computes
// one element; the canonicalizer inlines such bodies into their consumers'
// `tensor.extract`s (fusion). Ops whose element is a loop (dot, reduce, scan,
// quantize scales) are `linalg.generic`s instead, which are computed once:
// inlined, their loops would run again for every element of every consumer.
// Stores become loop nests. Targets that want more (vector, mma) rewrite tile
// ops before this.
//
//===----------------------------------------------------------------------===//
#include "lowering/TileToTensor.h"

#include "dialects/tile/TileDialect.h"
#include "lowering/ScalarConversions.h"
#include "lowering/TileToTensorUtil.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
using namespace mlir;
using namespace dsv4c;

namespace dsv4c::lowering {

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// A tile of `type` whose element at `ivs` is `body(ivs)`.
Value generate(OpBuilder &b, Location loc, RankedTensorType type, BodyFn body) {
  auto plain = RankedTensorType::get(type.getShape(), type.getElementType());
  return tensor::GenerateOp::create(
      b, loc, plain, ValueRange{},
      [&](OpBuilder &nb, Location nl, ValueRange ivs) {
        tensor::YieldOp::create(nb, nl, body(nb, nl, ivs));
      });
}

/// Like `generate`, but the tile is computed once into memory: a
/// `linalg.generic` is not inlined into `tensor.extract`s as a
/// `tensor.generate` is. For bodies too costly to recompute per use.
Value materialize(OpBuilder &b, Location loc, RankedTensorType type,
                  BodyFn body) {
  int64_t rank = type.getRank();
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, nl, d));
        linalg::YieldOp::create(nb, nl, body(nb, nl, ivs));
      });
  return op.getResult(0);
}

/// Runs `body` for every index of `shape`, row-major.
void forEachIndex(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t s : shape) {
    lbs.push_back(indexConst(b, loc, 0));
    ubs.push_back(indexConst(b, loc, s));
    steps.push_back(indexConst(b, loc, 1));
  }
  scf::buildLoopNest(b, loc, lbs, ubs, steps, body);
}

Value extract(OpBuilder &b, Location loc, Value tile, ValueRange ivs) {
  return tensor::ExtractOp::create(b, loc, tile, ivs);
}

/// `x` with `convert` applied to every element, computed once: for the inputs
/// of ops that read each element many times.
Value materializeConverted(
    OpBuilder &b, Location loc, Value x, Type elt,
    function_ref<Value(OpBuilder &, Location, Value)> convert) {
  auto type = cast<RankedTensorType>(x.getType());
  return materialize(b, loc, RankedTensorType::get(type.getShape(), elt),
                     [&](OpBuilder &b, Location loc, ValueRange ivs) {
                       return convert(b, loc, extract(b, loc, x, ivs));
                     });
}

} // namespace dsv4c::lowering

using namespace dsv4c::lowering;

namespace {

Value zeroOf(OpBuilder &b, Location loc, Type t) {
  // ue8m0 has no zero: its all-zero code (2^-127), as the reference reads
  // zero-filled memory.
  if (isa<Float8E8M0FNUType>(t))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(t, APFloat(cast<FloatType>(t).getFloatSemantics(),
                                  APInt(8, 0))));
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

//===----------------------------------------------------------------------===//
// Op lowerings
//===----------------------------------------------------------------------===//

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

/// Elements a 16-byte store of `elt` holds on GPU targets, 0 where stores
/// stay one element wide (e2m1 nibbles, i1, wider types).
int64_t vectorStoreWidth(Type elt) {
  if (!elt.isIntOrFloat() || isa<Float4E2M1FNType>(elt) || elt.isInteger(1))
    return 0;
  unsigned bits = isSmallFloat(elt) ? 8 : elt.getIntOrFloatBitWidth();
  return bits == 8 || bits == 16 || bits == 32 ? 128 / bits : 0;
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

/// Combiner of reductions and scans: floats accumulate in f32.
struct Combiner {
  tile::CombineKind kind;
  Type elt;

  bool isFloat() const { return isa<FloatType>(elt); }
  Type accType(OpBuilder &b) const { return isFloat() ? b.getF32Type() : elt; }

  Value identity(OpBuilder &b, Location loc) const {
    if (isFloat()) {
      float v = kind == tile::CombineKind::Sum ? 0.0f
                : kind == tile::CombineKind::Max
                    ? -std::numeric_limits<float>::infinity()
                    : std::numeric_limits<float>::infinity();
      return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
    }
    unsigned w = elt.getIntOrFloatBitWidth();
    APInt v = kind == tile::CombineKind::Sum   ? APInt::getZero(w)
              : kind == tile::CombineKind::Max ? APInt::getSignedMinValue(w)
                                               : APInt::getSignedMaxValue(w);
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elt, v));
  }

  Value combine(OpBuilder &b, Location loc, Value acc, Value x) const {
    if (isFloat()) {
      x = emitToF32(b, loc, x);
      switch (kind) {
      case tile::CombineKind::Sum:
        return arith::AddFOp::create(b, loc, acc, x);
      case tile::CombineKind::Max:
        return arith::MaximumFOp::create(b, loc, acc, x);
      case tile::CombineKind::Min:
        return arith::MinimumFOp::create(b, loc, acc, x);
      }
    }
    switch (kind) {
    case tile::CombineKind::Sum:
      return arith::AddIOp::create(b, loc, acc, x);
    case tile::CombineKind::Max:
      return arith::MaxSIOp::create(b, loc, acc, x);
    case tile::CombineKind::Min:
      return arith::MinSIOp::create(b, loc, acc, x);
    }
    llvm_unreachable("unknown combine kind");
  }

  Value finish(OpBuilder &b, Location loc, Value acc) const {
    return isFloat() ? emitFromF32(b, loc, acc, elt) : acc;
  }

  /// Combines input[idx with idx[dim] = lo..hi-1] into one element.
  Value fold(OpBuilder &b, Location loc, Value input, SmallVector<Value> idx,
             int64_t dim, Value lo, Value hi) const {
    auto loop = scf::ForOp::create(
        b, loc, lo, hi, indexConst(b, loc, 1), ValueRange{identity(b, loc)},
        [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
          idx[dim] = i;
          scf::YieldOp::create(
              b, loc, combine(b, loc, acc[0], extract(b, loc, input, idx)));
        });
    return finish(b, loc, loop.getResult(0));
  }
};

/// A reduction as a generic over the input's dims (`dim` a reduction)
/// into the combiner's identity, marked `dsv4c.warp_reduce` for
/// reduce-to-warp-shuffles: the pass splits each result over a warp's lanes.
Value lowerReduceForWarp(OpBuilder &b, tile::ReduceOp op, const Combiner &c) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t rank = inType.getRank(), dim = op.getDim();
  Type acc = c.accType(b);
  Value init =
      linalg::FillOp::create(
          b, loc, c.identity(b, loc),
          ValueRange{tensor::EmptyOp::create(b, loc, outType.getShape(), acc)})
          .getResult(0);
  SmallVector<AffineExpr> kept;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(d == dim ? utils::IteratorType::reduction
                                 : utils::IteratorType::parallel);
    if (d != dim)
      kept.push_back(b.getAffineDimExpr(d));
  }
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank),
                              AffineMap::get(rank, 0, kept, b.getContext())};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{op.getInput()},
      ValueRange{init}, maps, iterators,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, c.combine(b, loc, args[1], args[0]));
      });
  generic->setAttr("dsv4c.warp_reduce",
                   b.getStringAttr(tile::stringifyCombineKind(c.kind)));
  Value result = generic.getResult(0);
  if (acc == c.elt)
    return result;
  return materializeConverted(
      b, loc, result, c.elt,
      [&](OpBuilder &b, Location loc, Value v) { return c.finish(b, loc, v); });
}

Value lowerReduce(OpBuilder &b, tile::ReduceOp op,
                  const TileLoweringOptions &options) {
  Location loc = op.getLoc();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  int64_t dim = op.getDim();
  Combiner c{op.getKind(), inType.getElementType()};
  // Across lanes where each result has a warp's worth of inputs, and the
  // accumulator is a 32-bit word the shuffles move.
  Type acc = c.accType(b);
  if (options.warpShuffles && inType.getDimSize(dim) >= 32 &&
      (acc.isF32() || acc.isInteger(32)))
    return lowerReduceForWarp(b, op, c);
  return materialize(
      b, loc, op.getType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> idx(ivs.begin(), ivs.end());
        idx.insert(idx.begin() + dim, Value());
        return c.fold(b, loc, op.getInput(), idx, dim, indexConst(b, loc, 0),
                      indexConst(b, loc, inType.getDimSize(dim)));
      });
}

Value lowerScan(OpBuilder &b, tile::ScanOp op) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  int64_t dim = op.getDim();
  Combiner c{op.getKind(), type.getElementType()};
  // Each output folds a prefix of the input: read it from memory, as f32 for
  // floats (what `combine` converts to anyway).
  Value input =
      materializeConverted(b, loc, op.getInput(), c.accType(b),
                           [&](OpBuilder &b, Location loc, Value x) {
                             return c.isFloat() ? emitToF32(b, loc, x) : x;
                           });
  return materialize(
      b, loc, type, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> idx(ivs.begin(), ivs.end());
        Value one = indexConst(b, loc, 1);
        Value lo = op.getReverse() ? ivs[dim] : indexConst(b, loc, 0);
        Value hi = op.getReverse()
                       ? indexConst(b, loc, type.getDimSize(dim))
                       : arith::AddIOp::create(b, loc, ivs[dim], one);
        return c.fold(b, loc, input, idx, dim, lo, hi);
      });
}

/// Row-major linear index of `ivs` in `shape`, and its inverse.
Value linearize(OpBuilder &b, Location loc, ValueRange ivs,
                ArrayRef<int64_t> shape) {
  Value linear = indexConst(b, loc, 0);
  for (auto [iv, s] : llvm::zip(ivs, shape))
    linear = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, linear, indexConst(b, loc, s)),
        iv);
  return linear;
}

SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<int64_t> shape) {
  SmallVector<Value> ivs(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    Value s = indexConst(b, loc, shape[d]);
    ivs[d] = arith::RemUIOp::create(b, loc, linear, s);
    linear = arith::DivUIOp::create(b, loc, linear, s);
  }
  return ivs;
}

Value lowerShapeOp(OpBuilder &b, Operation *op) {
  Location loc = op->getLoc();
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Value input = op->getNumOperands() ? op->getOperand(0) : Value();
  auto inShape = [&] {
    return cast<RankedTensorType>(input.getType()).getShape();
  };
  return generate(
      b, loc, type, [&](OpBuilder &b, Location loc, ValueRange ivs) -> Value {
        if (auto splat = dyn_cast<tile::SplatOp>(op))
          return splat.getValue();
        if (isa<tile::IotaOp>(op))
          return arith::IndexCastOp::create(b, loc, type.getElementType(),
                                            ivs[0]);
        if (isa<tile::BroadcastOp>(op)) {
          SmallVector<Value> idx;
          for (auto [iv, s] : llvm::zip(ivs, inShape()))
            idx.push_back(s == 1 ? indexConst(b, loc, 0) : iv);
          return extract(b, loc, input, idx);
        }
        if (isa<tile::ReshapeOp>(op))
          return extract(b, loc, input,
                         delinearize(b, loc,
                                     linearize(b, loc, ivs, type.getShape()),
                                     inShape()));
        if (auto trans = dyn_cast<tile::TransOp>(op)) {
          SmallVector<Value> idx(ivs.size());
          for (auto [d, p] : llvm::enumerate(trans.getPerm()))
            idx[p] = ivs[d];
          return extract(b, loc, input, idx);
        }
        auto cast = dyn_cast<tile::CastOp>(op);
        return emitScalarCast(b, loc, extract(b, loc, cast.getInput(), ivs),
                              type.getElementType());
      });
}

Value lowerSlice(OpBuilder &b, tile::SliceOp op) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> offsets = op.getOffsets();
  return generate(
      b, loc, op.getType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        SmallVector<Value> idx;
        for (auto [d, iv] : llvm::enumerate(ivs)) {
          int64_t step = op.getStrides() ? (*op.getStrides())[d] : 1;
          idx.push_back(arith::AddIOp::create(
              b, loc, indexConst(b, loc, offsets[d]),
              arith::MulIOp::create(b, loc, iv, indexConst(b, loc, step))));
        }
        return extract(b, loc, op.getInput(), idx);
      });
}

/// Element `ivs` of the concatenation of `inputs` (from `start` on `dim`):
/// the first input whose range holds ivs[dim], tested in order so only
/// in-bounds elements are read.
Value concatElement(OpBuilder &b, Location loc, ValueRange inputs, int64_t dim,
                    int64_t start, ValueRange ivs) {
  Value input = inputs.front();
  int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(dim);
  auto read = [&](OpBuilder &b, Location loc) {
    SmallVector<Value> idx(ivs.begin(), ivs.end());
    idx[dim] =
        arith::SubIOp::create(b, loc, ivs[dim], indexConst(b, loc, start));
    return extract(b, loc, input, idx);
  };
  if (inputs.size() == 1)
    return read(b, loc);
  Value inside =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, ivs[dim],
                            indexConst(b, loc, start + size));
  auto ifOp = scf::IfOp::create(
      b, loc, inside,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, read(tb, tl));
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(
            eb, el,
            concatElement(eb, el, inputs.drop_front(), dim, start + size, ivs));
      });
  return ifOp.getResult(0);
}

Value lowerConcat(OpBuilder &b, tile::ConcatOp op) {
  return generate(b, op.getLoc(), op.getType(),
                  [&](OpBuilder &b, Location loc, ValueRange ivs) {
                    return concatElement(b, loc, op.getInputs(), op.getDim(), 0,
                                         ivs);
                  });
}

/// A splat that starts a loop's carried tile and is used elsewhere too gets
/// a copy of its own before that loop: one-shot bufferization would
/// otherwise give the loop a copy of the shared tile buffer (linear_fp8's
/// k loop and its split sum: 4 KiB more shared memory, 73 us a launch
/// instead of 26 on the H100).
void giveEachLoopItsOwnSplat(Operation *root) {
  SmallVector<tile::SplatOp> splats;
  root->walk([&](tile::SplatOp splat) {
    if (!splat->hasOneUse())
      splats.push_back(splat);
  });
  OpBuilder b(root->getContext());
  for (tile::SplatOp splat : splats) {
    for (OpOperand &use : llvm::make_early_inc_range(splat->getUses())) {
      auto loop = dyn_cast<scf::ForOp>(use.getOwner());
      if (!loop || use.getOperandNumber() < loop.getNumControlOperands() ||
          splat->hasOneUse())
        continue;
      b.setInsertionPoint(loop);
      use.set(b.clone(*splat)->getResult(0));
    }
  }
}

} // namespace

LogicalResult dsv4c::lowerTileOpsToTensor(Operation *root,
                                          const TileLoweringOptions &options) {
  giveEachLoopItsOwnSplat(root);
  SmallVector<Operation *> ops;
  root->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<tile::TileDialect>(op->getDialect()) &&
        !isa<tile::KernelOp, tile::ReturnOp, tile::ProgramIdOp,
             tile::NumProgramsOp>(op))
      ops.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (Operation *op : ops) {
    rewriter.setInsertionPoint(op);
    SmallVector<Value> results;
    if (auto load = dyn_cast<tile::LoadOp>(op)) {
      Value staged;
      if (options.asyncCopies) {
        staged = lowerLoadAsync(rewriter, load);
        if (!staged)
          staged = lowerLoadE2m1(rewriter, load);
      }
      results = {staged ? staged : lowerLoad(rewriter, load)};
    } else if (auto store = dyn_cast<tile::StoreOp>(op))
      lowerStore(rewriter, store, options.parallelStores);
    else if (auto atomic = dyn_cast<tile::AtomicAddOp>(op))
      results = {lowerAtomicAdd(rewriter, atomic, options.atomicScope)};
    else if (auto gather = dyn_cast<tile::GatherOp>(op)) {
      Value staged =
          options.asyncCopies ? lowerGatherAsync(rewriter, gather) : Value();
      results = {staged ? staged : lowerGather(rewriter, gather)};
    } else if (auto dot = dyn_cast<tile::DotOp>(op))
      results = {lowerDot(rewriter, dot, options)};
    else if (auto reduce = dyn_cast<tile::ReduceOp>(op))
      results = {lowerReduce(rewriter, reduce, options)};
    else if (auto scan = dyn_cast<tile::ScanOp>(op))
      results = {lowerScan(rewriter, scan)};
    else if (auto topk = dyn_cast<tile::TopKOp>(op)) {
      std::pair<Value, Value> vi;
      if (options.warpShuffles)
        vi = lowerTopKWarp(rewriter, topk);
      if (!vi.first)
        vi = options.parallelTopK ? lowerTopKParallel(rewriter, topk)
                                  : lowerTopK(rewriter, topk);
      results = {vi.first, vi.second};
    } else if (auto quant = dyn_cast<tile::QuantizeOp>(op)) {
      auto [q, s] = lowerQuantize(rewriter, quant, options);
      results = {q, s};
    } else if (auto dequant = dyn_cast<tile::DequantizeOp>(op))
      results = {lowerDequantize(rewriter, dequant, options)};
    else if (auto ex = dyn_cast<tile::ExtractOp>(op))
      results = {tensor::ExtractOp::create(rewriter, ex.getLoc(), ex.getTile(),
                                           ex.getIndices())};
    else if (auto slice = dyn_cast<tile::SliceOp>(op))
      results = {lowerSlice(rewriter, slice)};
    else if (auto concat = dyn_cast<tile::ConcatOp>(op))
      results = {lowerConcat(rewriter, concat)};
    else if (isa<tile::SplatOp, tile::IotaOp, tile::BroadcastOp,
                 tile::ReshapeOp, tile::TransOp, tile::CastOp>(op))
      results = {lowerShapeOp(rewriter, op)};
    else
      return op->emitOpError() << "has no lowering to tensor ops";
    if (results.empty())
      rewriter.eraseOp(op);
    else
      rewriter.replaceOp(op, results);
  }
  return success();
}
