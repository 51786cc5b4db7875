//===- Interpreter.h - internals of the reference interpreter --*- C++ -*-===//
//
// Value model: every SSA value is a `Val`: a scalar (rank 0) or a tile of
// some shape, holding either integers (sign-extended from their bit width
// into int64_t) or floats (f32 values already rounded to the element
// format, which every tile float format fits in exactly), or a pointer.
// Float math is done in f32 and rounded to the element format.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_REFERENCE_INTERPRETER_H
#define DSV4C_TARGETS_REFERENCE_INTERPRETER_H

#include "dialects/tile/TileDialect.h"
#include "runtime/ElementType.h"
#include "targets/KernelRunner.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsv4c::reference {

/// How elements of one MLIR scalar type are held.
struct Kind {
  enum Class { Int, Float, Pointer };
  Class cls = Int;
  /// Int: bit width (index counts as 64).
  unsigned width = 64;
  /// Float: the element format. Pointer: the pointee element type.
  ElementType format = ElementType::F32;

  bool isInt() const { return cls == Int; }
  bool isFloat() const { return cls == Float; }
  bool operator==(const Kind &o) const {
    return cls == o.cls && (cls == Int ? width == o.width : format == o.format);
  }
};

/// The kind of a scalar type or of a tile's element type, if supported.
std::optional<Kind> kindOf(mlir::Type type);

struct Val {
  Kind kind;
  std::vector<int64_t> shape; // empty for scalars and rank-0 tiles
  std::vector<int64_t> ints;  // when kind.isInt()
  std::vector<float> floats;  // when kind.isFloat()
  void *ptr = nullptr;        // when kind is Pointer

  /// A zero-filled value of `kind` and `shape` (ue8m0: the all-zero code).
  static Val zeros(Kind kind, llvm::ArrayRef<int64_t> shape);
  static Val scalarInt(Kind kind, int64_t v);
  static Val scalarFloat(Kind kind, float v);
  int64_t numElements() const;
  /// Copies element `si` of `src` (same kind) into element `di`.
  void copyElement(int64_t di, const Val &src, int64_t si);
  /// Element `i` as f32 (integers converted, signed).
  float asFloat(int64_t i) const;
};

//===----------------------------------------------------------------------===//
// Element helpers (Values.cpp)
//===----------------------------------------------------------------------===//

/// Sign-extends the low `width` bits of `v`.
int64_t wrapInt(int64_t v, unsigned width);
/// The low `width` bits of `v`, zero-extended.
uint64_t toUnsigned(int64_t v, unsigned width);
/// Rounds `v` to `format` (nearest even; f8E4M3FN/f4E2M1FN saturate).
float roundToFormat(float v, ElementType format);
/// Integer `v` (of `width` bits, read unsigned if `isUnsigned`) rounded
/// once, to nearest even, to `format`.
float intToFloat(int64_t v, bool isUnsigned, unsigned width,
                 ElementType format);
/// `v` truncated toward zero, wrapped to `width` (out of range: clamped).
int64_t floatToInt(float v, bool isUnsigned, unsigned width);
/// The bits of `v` in `format` (a bitcast source).
uint64_t floatToBits(float v, ElementType format);
float bitsToFloat(uint64_t bits, ElementType format);
unsigned formatBits(ElementType format);

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);
/// The multi-index of row-major position `linear` in `shape`.
llvm::SmallVector<int64_t> unravel(int64_t linear,
                                   llvm::ArrayRef<int64_t> shape);
int64_t numElementsOf(llvm::ArrayRef<int64_t> shape);

/// "file:line:col" of `loc` (or its printed form when it has none).
std::string describeLocation(mlir::Location loc);
/// "reference: unsupported op 'x.y' at file:line:col".
std::string unsupportedOpMessage(mlir::Operation *op);

//===----------------------------------------------------------------------===//
// The interpreter of one program
//===----------------------------------------------------------------------===//

class Interpreter {
public:
  Interpreter(std::array<int64_t, 3> programId, Grid grid)
      : programId(programId), grid(grid) {}

  /// Runs the body of `kernel` once with its arguments bound to `args`.
  llvm::LogicalResult runKernel(tile::KernelOp kernel,
                                llvm::ArrayRef<Val> args);
  const std::string &getError() const { return error; }

  // For the op families.
  const Val &get(mlir::Value v) const;
  void set(mlir::Value v, Val val) { env[v] = std::move(val); }
  /// Records "reference: <message> at <loc>" and returns failure.
  llvm::LogicalResult fail(mlir::Operation *op, const llvm::Twine &message);
  /// The kind of `type` (scalar or tile element), or a failure naming it.
  llvm::FailureOr<Kind> kindFor(mlir::Operation *op, mlir::Type type);
  /// A zero-filled value of type `type` (scalar or tile).
  llvm::FailureOr<Val> zerosFor(mlir::Operation *op, mlir::Type type);
  int64_t getProgramId(int d) const { return programId[d]; }
  int64_t getNumPrograms(int d) const { return grid[d]; }

private:
  llvm::LogicalResult execOp(mlir::Operation *op);
  /// Runs `block` with its arguments bound to `args`; the operands of its
  /// terminator (scf.yield / scf.condition) go to `terminatorOperands`.
  llvm::LogicalResult execBlock(mlir::Block &block, llvm::ArrayRef<Val> args,
                                llvm::SmallVectorImpl<Val> &terminatorOperands);
  llvm::LogicalResult execScfOp(mlir::Operation *op);
  llvm::LogicalResult execFor(mlir::Operation *op);
  llvm::LogicalResult execIf(mlir::Operation *op);
  llvm::LogicalResult execWhile(mlir::Operation *op);

  std::array<int64_t, 3> programId;
  Grid grid;
  llvm::DenseMap<mlir::Value, Val> env;
  std::string error;
};

// Op families, each in its own file. `isSupported*` is what createRunner
// checks up front; `exec*` runs one op of the family.
bool isSupportedTileOp(llvm::StringRef name);
bool isSupportedArithOp(llvm::StringRef name);
bool isSupportedMathOp(llvm::StringRef name);
llvm::LogicalResult execTileOp(Interpreter &in, mlir::Operation *op);
llvm::LogicalResult execArithOp(Interpreter &in, mlir::Operation *op);
llvm::LogicalResult execMathOp(Interpreter &in, mlir::Operation *op);

/// True for every op the interpreter can run (any dialect).
bool isSupportedOp(mlir::Operation *op);

} // namespace dsv4c::reference

#endif
