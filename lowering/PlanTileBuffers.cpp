//===- PlanTileBuffers.cpp - tile buffers at fixed shared-memory offsets --===//
//
// After distribute-to-threads every tile op of a program reads and writes
// tile buffers, and each buffer was a run-time allocation: one thread took
// it from the group's arena (or the device heap) between barriers and
// handed the pointer out through shared memory. The sizes are constants and
// the control flow is structured and uniform, so the places can be chosen
// here instead: live ranges over the program's ops, then offsets such that
// buffers live at the same time do not overlap.
//
//===----------------------------------------------------------------------===//
#include "lowering/Passes.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace dsv4c {
#define GEN_PASS_DEF_PLANTILEBUFFERS
#define GEN_PASS_DEF_DROPPLANNEDDEALLOCS
#include "lowering/Passes.h.inc"
} // namespace dsv4c

using namespace mlir;

namespace {

constexpr int64_t kAlign = 16;              // cp.async's 16-byte chunks
constexpr unsigned kSharedAddressSpace = 3; // GPU group-shared memory
constexpr llvm::StringLiteral kDynamicTiles = "dsv4c_dynamic_tiles";

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0, first = 0, last = 0, offset = -1;
  int64_t at = 0; // the alloc's number in program order
  /// The offset's alignment: 16, or what the alloc asks beyond the 64 bytes
  /// every staged tile asks of a heap (a swizzled operand of the warpgroup
  /// instruction: 1024, its swizzle atom).
  int64_t align = kAlign;
  /// Set when the buffer is yielded by this loop, in whose body it is
  /// allocated: the next trip reads it while writing a new one, so it takes
  /// two places, used by turns (trip parity).
  scf::ForOp alternating;
  unsigned yieldedAt = 0; // with `alternating`: the iter_arg it is
  /// Set on a loop's first tile (a pipelined load's prologue) that takes the
  /// second place of that loop's alternating buffer instead of its own.
  Buffer *secondPlaceOf = nullptr;
  int64_t size() const {
    int64_t one = int64_t(llvm::alignTo(bytes, align));
    return alternating ? 2 * one : one;
  }
};

/// Ops numbered in program order; `last[op]`: the highest number inside op.
struct Numbering {
  DenseMap<Operation *, int64_t> at, last;
  void number(Operation *op, int64_t &next) {
    at[op] = next++;
    for (Region &r : op->getRegions())
      for (Block &b : r)
        for (Operation &inner : b)
          number(&inner, next);
    last[op] = next - 1;
  }
};

/// Bytes of a buffer of this type, as the LLVM lowering lays it out (each
/// element in whole bytes: an f4 element takes one; an index as the data
/// layout says); -1 if not constant.
int64_t bufferBytes(MemRefType type, const DataLayout &layout) {
  Type element = type.getElementType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace() || !element.isIntOrIndexOrFloat())
    return -1;
  int64_t bits = element.isIndex() ? int64_t(layout.getTypeSizeInBits(element))
                                   : int64_t(element.getIntOrFloatBitWidth());
  return type.getNumElements() * ((bits + 7) / 8);
}

/// Whether `v`, yielded by `loop`, is a buffer allocated in this trip on
/// every path (through scf.if results and views): the turns of an alternating
/// buffer assume no trip hands an older buffer on.
bool freshEachTrip(Value v, scf::ForOp loop) {
  Operation *def = v.getDefiningOp();
  if (!def || !loop->isProperAncestor(def))
    return false;
  if (isa<memref::AllocOp>(def))
    return true;
  if (auto branch = dyn_cast<scf::IfOp>(def)) {
    unsigned i = cast<OpResult>(v).getResultNumber();
    return branch.elseBlock() &&
           freshEachTrip(branch.thenYield().getOperand(i), loop) &&
           freshEachTrip(branch.elseYield().getOperand(i), loop);
  }
  if (auto view = dyn_cast<ViewLikeOpInterface>(def))
    return freshEachTrip(view.getViewSource(), loop);
  if (auto cast = dyn_cast<memref::CastOp>(def))
    return freshEachTrip(cast.getSource(), loop);
  return false;
}

/// Fills b.first/last (and b.alternating) from the buffer's uses, through
/// views and the loops that carry it; false if it may leave what this can
/// follow (a return, an scf.if's or scf.while's yield, a select, a call).
bool liveRange(Buffer &b, const Numbering &n) {
  Operation *def = b.alloc;
  b.first = b.last = b.at = n.at.lookup(def);
  // A use inside a loop that does not hold the alloc is needed again on
  // the loop's next trip: live to the loop's end.
  auto liveAt = [&](Operation *user) {
    int64_t end = n.last.lookup(user);
    for (Operation *p = user->getParentOp(); p && !p->isAncestor(def);
         p = p->getParentOp())
      if (isa<LoopLikeOpInterface>(p))
        end = std::max(end, n.last.lookup(p));
    b.last = std::max(b.last, end);
  };
  SmallVector<Value> values{b.alloc.getResult()};
  DenseSet<Value> seen;
  while (!values.empty()) {
    Value v = values.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto loop = dyn_cast<scf::ForOp>(user)) {
        if (use.getOperandNumber() < loop.getNumControlOperands())
          return false;
        unsigned i = use.getOperandNumber() - loop.getNumControlOperands();
        liveAt(loop); // the loop's first trip reads it
        values.push_back(loop.getRegionIterArgs()[i]);
        values.push_back(loop.getResult(i)); // a loop of no trips
        continue;
      }
      if (auto yield = dyn_cast<scf::YieldOp>(user)) {
        // An scf.if's result is one branch's buffer: each branch's buffer
        // lives through the result's uses.
        if (auto branch = dyn_cast<scf::IfOp>(yield->getParentOp())) {
          liveAt(yield);
          values.push_back(branch.getResult(use.getOperandNumber()));
          continue;
        }
        auto loop = dyn_cast<scf::ForOp>(yield->getParentOp());
        if (!loop)
          return false;
        if (loop->isAncestor(def)) {
          if ((b.alternating && b.alternating != loop) ||
              !freshEachTrip(use.get(), loop))
            return false;
          for (Operation *p = def->getParentOp(); p != loop;
               p = p->getParentOp())
            if (isa<LoopLikeOpInterface>(p))
              return false; // allocated more than once per trip
          b.alternating = loop;
          b.yieldedAt = use.getOperandNumber();
        }
        liveAt(loop);
        values.push_back(loop.getRegionIterArgs()[use.getOperandNumber()]);
        values.push_back(loop.getResult(use.getOperandNumber()));
        continue;
      }
      if (user->hasTrait<OpTrait::IsTerminator>() || isa<arith::SelectOp>(user))
        return false;
      if (auto call = dyn_cast<func::CallOp>(user))
        if (!call.getCallee().starts_with("dsv4c."))
          return false;
      if (isa<ViewLikeOpInterface, memref::CastOp, memref::MemorySpaceCastOp,
              memref::ExtractStridedMetadataOp>(user)) {
        for (Value r : user->getResults())
          if (isa<BaseMemRefType>(r.getType()))
            values.push_back(r);
      } else if (llvm::any_of(user->getResultTypes(),
                              [](Type t) { return isa<BaseMemRefType>(t); })) {
        return false; // some other op that makes a memref from it
      }
      liveAt(user);
    }
  }
  // Both places hold data from the loop's start (the last trip's buffer is
  // read at the next trip's beginning).
  if (b.alternating)
    b.first = std::min(b.first, n.at.lookup(b.alternating));
  return true;
}

/// The alloc `v` is a view of, or null.
memref::AllocOp allocOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return alloc;
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else if (isa<memref::CastOp, memref::MemorySpaceCastOp>(def))
      v = def->getOperand(0);
    else
      return {};
  }
  return {};
}

/// A pipelined loop's first tile, filled before the loop and handed to it
/// as the iter_arg its alternating buffer takes: trip 0 reads it while it
/// fills the first place, trip 1 fills the second. So the first tile can
/// be that second place, where it lived in a third one: two copies of a
/// pipelined tile instead of three. Only where nothing but the loop's init
/// reads it (all its uses are before the loop, in the loop's block).
void shareFirstTiles(MutableArrayRef<Buffer> buffers) {
  DenseMap<Operation *, Buffer *> byAlloc;
  for (Buffer &b : buffers)
    byAlloc[b.alloc] = &b;
  for (Buffer &a : buffers) {
    scf::ForOp loop = a.alternating;
    if (!loop)
      continue;
    memref::AllocOp alloc = allocOf(loop.getInitArgs()[a.yieldedAt]);
    Buffer *first = alloc ? byAlloc.lookup(alloc) : nullptr;
    if (!first || first == &a || first->alternating || first->secondPlaceOf ||
        alloc->getBlock() != loop->getBlock() || first->bytes != a.bytes)
      continue;
    bool onlyBefore = true;
    SmallVector<Value> values{alloc.getResult()};
    while (!values.empty() && onlyBefore) {
      Value v = values.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (user == loop.getOperation()) {
          onlyBefore &= use.getOperandNumber() ==
                        loop.getNumControlOperands() + a.yieldedAt;
          continue;
        }
        Operation *at = loop->getBlock()->findAncestorOpInBlock(*user);
        onlyBefore &= at && at->isBeforeInBlock(loop);
        if (isa<ViewLikeOpInterface, memref::CastOp, memref::MemorySpaceCastOp>(
                user))
          values.append(user->result_begin(), user->result_end());
      }
    }
    if (!onlyBefore)
      continue;
    first->secondPlaceOf = &a;
    a.first = std::min(a.first, first->first);
  }
}

/// Largest first, each at the lowest aligned offset that overlaps no
/// placed buffer live at the same time. Returns the bytes used.
int64_t place(MutableArrayRef<Buffer> buffers) {
  shareFirstTiles(buffers);
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    if (!b.secondPlaceOf)
      order.push_back(&b);
  // Ties broken by the alloc's own place in the program (buffers that take
  // turns in one loop share `first`), so offsets do not depend on the sort.
  llvm::sort(order, [](Buffer *x, Buffer *y) {
    if (x->size() != y->size())
      return x->size() > y->size();
    if (x->first != y->first)
      return x->first < y->first;
    return x->at < y->at;
  });
  int64_t total = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *b : order) {
    SmallVector<std::pair<int64_t, int64_t>> taken; // [begin, end)
    for (Buffer *p : placed)
      if (p->first <= b->last && b->first <= p->last)
        taken.push_back({p->offset, p->offset + p->size()});
    llvm::sort(taken);
    int64_t at = 0;
    for (auto [begin, end] : taken) {
      if (at + b->size() <= begin)
        break;
      at = std::max<int64_t>(at, llvm::alignTo(end, b->align));
    }
    b->offset = at;
    total = std::max(total, at + b->size());
    placed.push_back(b);
  }
  for (Buffer &b : buffers)
    if (b.secondPlaceOf)
      b.offset = b.secondPlaceOf->offset + b.secondPlaceOf->size() / 2;
  return int64_t(llvm::alignTo(total, kAlign));
}

struct PlanTileBuffersPass
    : dsv4c::impl::PlanTileBuffersBase<PlanTileBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto f : llvm::to_vector(module.getOps<func::FuncOp>()))
      if (!f.isDeclaration())
        plan(f, symbols);
  }

  void plan(func::FuncOp f, SymbolTable &symbols) {
    Numbering n;
    int64_t next = 0;
    n.number(f, next);
    SmallVector<Buffer> buffers;
    bool plannable = true;
    DataLayout layout = DataLayout::closest(f);
    f.walk([&](memref::AllocOp alloc) {
      Buffer b;
      b.alloc = alloc;
      b.bytes = bufferBytes(alloc.getType(), layout);
      if (std::optional<uint64_t> asked = alloc.getAlignment();
          asked && *asked > 64)
        b.align = int64_t(*asked);
      if (b.bytes < 0 || !liveRange(b, n))
        plannable = false;
      buffers.push_back(std::move(b));
    });
    if (!plannable || buffers.empty())
      return;
    int64_t total = place(buffers);
    bool dynamic = total > sharedBytes;
    if (dynamic && total > dynamicSharedBytes)
      return;

    MLIRContext *ctx = f.getContext();
    OpBuilder b(module().getBodyRegion());
    b.setInsertionPointToStart(module().getBody());
    Attribute space =
        IntegerAttr::get(IntegerType::get(ctx, 64), kSharedAddressSpace);
    auto i8 = IntegerType::get(ctx, 8);
    // Static: an array of the program's own. Dynamic: the launch's dynamic
    // shared memory (every program's starts at the same place), sized at
    // launch time from a constant the runtime reads,
    // dsv4c_dynamic_smem_<function>.
    auto sharedType = MemRefType::get({dynamic ? 0 : total}, i8,
                                      MemRefLayoutAttrInterface(), space);
    std::string name = dynamic ? std::string(kDynamicTiles)
                               : ("dsv4c_tiles_" + f.getName()).str();
    int64_t align = kAlign;
    for (const Buffer &buf : buffers)
      align = std::max(align, buf.align);
    auto global = symbols.lookup<memref::GlobalOp>(name);
    if (!global) {
      global = memref::GlobalOp::create(
          b, f.getLoc(), name, b.getStringAttr(dynamic ? "public" : "private"),
          sharedType, dynamic ? Attribute() : b.getUnitAttr(),
          /*constant=*/false, b.getI64IntegerAttr(align));
      symbols.insert(global);
    } else if (global.getAlignment().value_or(0) < uint64_t(align)) {
      // The dynamic array every program shares: the most any asks.
      global.setAlignmentAttr(b.getI64IntegerAttr(align));
    }
    if (dynamic) {
      auto sizeType = MemRefType::get({}, b.getI32Type());
      auto size = memref::GlobalOp::create(
          b, f.getLoc(), ("dsv4c_dynamic_smem_" + f.getName()).str(),
          b.getStringAttr("public"), sizeType,
          DenseElementsAttr::get(RankedTensorType::get({}, b.getI32Type()),
                                 b.getI32IntegerAttr(int32_t(total))),
          /*constant=*/true, b.getI64IntegerAttr(4));
      symbols.insert(size);
      f->setAttr("dsv4c.dynamic_tile_bytes", b.getI64IntegerAttr(total));
    }
    b.setInsertionPointToStart(&f.getBody().front());
    Value arena = memref::GetGlobalOp::create(b, f.getLoc(), sharedType,
                                              global.getName());
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Location loc = buf.alloc.getLoc();
      MemRefType type = buf.alloc.getType();
      Value offset = arith::ConstantIndexOp::create(b, loc, buf.offset);
      if (scf::ForOp loop = buf.alternating) {
        // This trip's place: the second one on odd trips.
        Value trip = arith::DivUIOp::create(
            b, loc,
            arith::SubIOp::create(b, loc, loop.getInductionVar(),
                                  loop.getLowerBound()),
            loop.getStep());
        Value odd = arith::RemUIOp::create(
            b, loc, trip, arith::ConstantIndexOp::create(b, loc, 2));
        Value half = arith::ConstantIndexOp::create(b, loc, buf.size() / 2);
        offset = arith::AddIOp::create(
            b, loc, offset, arith::MulIOp::create(b, loc, odd, half));
      }
      auto view = memref::ViewOp::create(
          b, loc,
          MemRefType::get(type.getShape(), type.getElementType(),
                          MemRefLayoutAttrInterface(),
                          sharedType.getMemorySpace()),
          arena, offset, ValueRange{});
      Value generic =
          memref::MemorySpaceCastOp::create(b, loc, type, view.getResult());
      buf.alloc.getResult().replaceAllUsesWith(generic);
      buf.alloc.erase();
    }
    f->setAttr("dsv4c.tile_bytes", b.getI64IntegerAttr(total));
  }

  ModuleOp module() { return getOperation(); }
};

struct DropPlannedDeallocsPass
    : dsv4c::impl::DropPlannedDeallocsBase<DropPlannedDeallocsPass> {
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      if (!f->hasAttr("dsv4c.tile_bytes"))
        continue;
      f.walk([](bufferization::DeallocOp dealloc) {
        OpBuilder b(dealloc);
        Value owned = arith::ConstantIntOp::create(b, dealloc.getLoc(), 0, 1);
        for (Value r : dealloc.getResults())
          r.replaceAllUsesWith(owned);
        dealloc.erase();
      });
    }
  }
};

} // namespace
