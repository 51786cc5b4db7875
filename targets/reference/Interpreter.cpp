//===- Interpreter.cpp - control flow, values and the runner --------------===//
//
// Runs a tile.kernel op by op for each program of the grid. Tile ops are in
// TileOps.cpp, arith and math in ArithMathOps.cpp; scf control flow is here.
//
//===----------------------------------------------------------------------===//
#include "targets/reference/ReferenceTarget.h"
#include "targets/reference/Interpreter.h"

#include "runtime/FloatFormats.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cstring>

using namespace mlir;

namespace dsv4c::reference {

//===----------------------------------------------------------------------===//
// Interpreter basics
//===----------------------------------------------------------------------===//

const Val &Interpreter::get(Value v) const {
  auto it = env.find(v);
  if (it != env.end())
    return it->second;
  // Only reachable for IR that does not verify; give an empty value rather
  // than crash (callers see a size mismatch, not a dangling reference).
  static const Val empty;
  return empty;
}

LogicalResult Interpreter::fail(Operation *op, const llvm::Twine &message) {
  error = ("reference: " + message + " at " + describeLocation(op->getLoc()))
              .str();
  return failure();
}

FailureOr<Kind> Interpreter::kindFor(Operation *op, Type type) {
  std::optional<Kind> kind = kindOf(type);
  if (!kind) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << type;
    return fail(op, "unsupported type " + s + " in '" +
                        op->getName().getStringRef() + "'");
  }
  return *kind;
}

FailureOr<Val> Interpreter::zerosFor(Operation *op, Type type) {
  FailureOr<Kind> kind = kindFor(op, type);
  if (failed(kind))
    return failure();
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    if (!tensor.hasStaticShape())
      return fail(op, "dynamically shaped tensors are not tiles");
    return Val::zeros(*kind, tensor.getShape());
  }
  return Val::zeros(*kind, {});
}

bool isSupportedOp(Operation *op) {
  if (!op->getName().isRegistered() || !op->getDialect())
    return false;
  StringRef ns = op->getDialect()->getNamespace();
  StringRef name = op->getName().getStringRef();
  if (ns == "tile")
    return isSupportedTileOp(name);
  if (ns == "arith")
    return isSupportedArithOp(name);
  if (ns == "math")
    return isSupportedMathOp(name);
  if (ns == "scf")
    return llvm::is_contained(
        {"scf.for", "scf.if", "scf.while", "scf.yield", "scf.condition"},
        name);
  return false;
}

LogicalResult Interpreter::execOp(Operation *op) {
  if (!isSupportedOp(op)) {
    error = unsupportedOpMessage(op);
    return failure();
  }
  StringRef ns = op->getDialect()->getNamespace();
  if (ns == "tile")
    return execTileOp(*this, op);
  if (ns == "arith")
    return execArithOp(*this, op);
  if (ns == "math")
    return execMathOp(*this, op);
  return execScfOp(op);
}

LogicalResult
Interpreter::execBlock(Block &block, ArrayRef<Val> args,
                       SmallVectorImpl<Val> &terminatorOperands) {
  if (block.getNumArguments() != args.size())
    return fail(block.getParentOp(), "block argument count mismatch");
  for (auto [arg, val] : llvm::zip(block.getArguments(), args))
    set(arg, val);
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      StringRef name = op.getName().getStringRef();
      if (name != "scf.yield" && name != "scf.condition" &&
          name != "tile.return") {
        error = unsupportedOpMessage(&op);
        return failure();
      }
      terminatorOperands.clear();
      for (Value v : op.getOperands())
        terminatorOperands.push_back(get(v));
      return success();
    }
    if (failed(execOp(&op)))
      return failure();
  }
  return fail(block.getParentOp(), "block has no terminator");
}

LogicalResult Interpreter::runKernel(tile::KernelOp kernel,
                                     ArrayRef<Val> args) {
  SmallVector<Val> ignored;
  return execBlock(kernel.getBody().front(), args, ignored);
}

//===----------------------------------------------------------------------===//
// scf
//===----------------------------------------------------------------------===//

LogicalResult Interpreter::execScfOp(Operation *op) {
  if (isa<scf::ForOp>(op))
    return execFor(op);
  if (isa<scf::IfOp>(op))
    return execIf(op);
  if (isa<scf::WhileOp>(op))
    return execWhile(op);
  error = unsupportedOpMessage(op);
  return failure();
}

LogicalResult Interpreter::execFor(Operation *operation) {
  auto op = cast<scf::ForOp>(operation);
  FailureOr<Kind> ivKind = kindFor(op, op.getInductionVar().getType());
  if (failed(ivKind))
    return failure();
  unsigned width = ivKind->width;
  int64_t lb = get(op.getLowerBound()).ints[0];
  int64_t ub = get(op.getUpperBound()).ints[0];
  int64_t step = get(op.getStep()).ints[0];
  bool isUnsigned = op.getUnsignedCmp();
  if (isUnsigned ? toUnsigned(step, width) == 0 : step <= 0)
    return fail(op, "scf.for step must be positive, got " +
                        llvm::Twine(step));

  SmallVector<Val> iter;
  for (Value init : op.getInitArgs())
    iter.push_back(get(init));
  auto below = [&](int64_t iv) {
    return isUnsigned ? toUnsigned(iv, width) < toUnsigned(ub, width)
                      : iv < ub;
  };
  for (int64_t iv = lb; below(iv);) {
    SmallVector<Val> args;
    args.push_back(Val::scalarInt(*ivKind, iv));
    args.append(iter.begin(), iter.end());
    SmallVector<Val> yielded;
    if (failed(execBlock(*op.getBody(), args, yielded)))
      return failure();
    iter = std::move(yielded);
    // Stop rather than wrap around when iv + step overflows the type.
    if (isUnsigned) {
      uint64_t next = toUnsigned(iv, width) + toUnsigned(step, width);
      if (toUnsigned(static_cast<int64_t>(next), width) <
          toUnsigned(iv, width))
        break;
      iv = wrapInt(static_cast<int64_t>(next), width);
    } else {
      int64_t next;
      if (__builtin_add_overflow(iv, step, &next) ||
          wrapInt(next, width) != next)
        break;
      iv = next;
    }
  }
  for (auto [result, val] : llvm::zip(op.getResults(), iter))
    set(result, std::move(val));
  return success();
}

LogicalResult Interpreter::execIf(Operation *operation) {
  auto op = cast<scf::IfOp>(operation);
  bool cond = get(op.getCondition()).ints[0] != 0;
  Region &region = cond ? op.getThenRegion() : op.getElseRegion();
  if (region.empty())
    return success(); // no else and no results
  SmallVector<Val> yielded;
  if (failed(execBlock(region.front(), {}, yielded)))
    return failure();
  for (auto [result, val] : llvm::zip(op.getResults(), yielded))
    set(result, std::move(val));
  return success();
}

LogicalResult Interpreter::execWhile(Operation *operation) {
  auto op = cast<scf::WhileOp>(operation);
  SmallVector<Val> args;
  for (Value init : op.getInits())
    args.push_back(get(init));
  while (true) {
    SmallVector<Val> condOperands;
    if (failed(execBlock(op.getBefore().front(), args, condOperands)))
      return failure();
    bool cond = condOperands.front().ints[0] != 0;
    SmallVector<Val> forwarded(condOperands.begin() + 1, condOperands.end());
    if (!cond) {
      for (auto [result, val] : llvm::zip(op.getResults(), forwarded))
        set(result, std::move(val));
      return success();
    }
    SmallVector<Val> yielded;
    if (failed(execBlock(op.getAfter().front(), forwarded, yielded)))
      return failure();
    args = std::move(yielded);
  }
}

//===----------------------------------------------------------------------===//
// The runner
//===----------------------------------------------------------------------===//

namespace {

class ReferenceRunner final : public KernelRunner {
public:
  explicit ReferenceRunner(tile::KernelOp kernel) : kernel(kernel) {}

  bool launch(void **args, Grid grid, std::string &error) override {
    SmallVector<Val> values;
    if (!unpackArgs(args, values, error))
      return false;
    for (int64_t n : grid)
      if (n < 0) {
        error = "reference: negative grid extent";
        return false;
      }
    for (int64_t z = 0; z < grid[2]; ++z)
      for (int64_t y = 0; y < grid[1]; ++y)
        for (int64_t x = 0; x < grid[0]; ++x) {
          Interpreter interpreter({x, y, z}, grid);
          if (failed(interpreter.runKernel(kernel, values))) {
            error = interpreter.getError() + " (program " + std::to_string(x) +
                    ", " + std::to_string(y) + ", " + std::to_string(z) +
                    " of kernel '" + kernel.getSymName().str() + "')";
            return false;
          }
        }
    return true;
  }

private:
  /// Reads argument i from args[i] as the calling convention says.
  bool unpackArgs(void **args, SmallVectorImpl<Val> &values,
                  std::string &error) {
    ArrayRef<Type> types = kernel.getArgumentTypes();
    if (!types.empty() && !args) {
      error = "reference: null argument array";
      return false;
    }
    for (auto [i, type] : llvm::enumerate(types)) {
      const void *slot = args[i];
      std::optional<Kind> kind = kindOf(type);
      if (!slot || !kind) {
        error = "reference: bad argument #" + std::to_string(i) +
                " of kernel '" + kernel.getSymName().str() + "'";
        return false;
      }
      Val v = Val::zeros(*kind, {});
      if (kind->cls == Kind::Pointer) {
        std::memcpy(&v.ptr, slot, sizeof(void *));
      } else if (type.isIndex() || type.isInteger(64)) {
        int64_t x;
        std::memcpy(&x, slot, sizeof(x));
        v.ints[0] = x;
      } else if (type.isInteger(32)) {
        int32_t x;
        std::memcpy(&x, slot, sizeof(x));
        v.ints[0] = x;
      } else if (type.isF32()) {
        std::memcpy(&v.floats[0], slot, sizeof(float));
      } else if (type.isF16() || type.isBF16()) {
        uint16_t bits;
        std::memcpy(&bits, slot, sizeof(bits));
        v.floats[0] = type.isF16() ? f16ToFloat(bits) : bf16ToFloat(bits);
      } else {
        error = "reference: unsupported kernel argument type for argument #" +
                std::to_string(i);
        return false;
      }
      values.push_back(std::move(v));
    }
    return true;
  }

  tile::KernelOp kernel;
};

} // namespace

std::unique_ptr<KernelRunner> createRunner(ModuleOp module,
                                           llvm::StringRef kernelName,
                                           std::string &error) {
  auto kernel = module.lookupSymbol<tile::KernelOp>(kernelName);
  if (!kernel) {
    error = ("reference: no tile.kernel named '" + kernelName +
             "' in the module")
                .str();
    return nullptr;
  }
  // Report unsupported ops up front, also those on paths a launch may not
  // take.
  WalkResult walk = kernel.getBody().walk([&](Operation *op) {
    if (!isSupportedOp(op)) {
      error = unsupportedOpMessage(op);
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return nullptr;
  for (auto [i, type] : llvm::enumerate(kernel.getArgumentTypes()))
    if (!kindOf(type)) {
      error = "reference: unsupported argument type for argument #" +
              std::to_string(i) + " of kernel '" + kernelName.str() + "'";
      return nullptr;
    }
  return std::make_unique<ReferenceRunner>(kernel);
}

} // namespace dsv4c::reference
