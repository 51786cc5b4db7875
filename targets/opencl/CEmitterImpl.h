//===- CEmitterImpl.h - the OpenCL C emitter's parts ------------*- C++ -*-===//
//
// Private to targets/opencl: the Emitter that CEmitter.cpp (functions,
// control flow, constants) and CExpressions.cpp (types, operands, one
// expression per instruction) share.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TARGETS_OPENCL_CEMITTERIMPL_H
#define DSV4C_TARGETS_OPENCL_CEMITTERIMPL_H

#include "targets/opencl/CEmitter.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Operator.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace dsv4c::opencl::detail {

using namespace llvm;

/// SPIR-V address spaces the lowering uses (targets/gpu/OpenclIsa.cpp).
constexpr unsigned kPrivate = 0, kLocal = 3;

/// C built-ins (dot, min, ...).
constexpr const char *kKernelPrefix = "dsv4c_";


/// `name` with every character that C does not allow in names as '_'.
std::string sanitize(StringRef name);

class Emitter {
public:
  Emitter(Module &m, std::string &error)
      : m(m), dl(m.getDataLayout()), error(error) {}
  bool run(std::string &source);

private:
  bool fail(const Value &v, const Twine &why) {
    std::string text;
    raw_string_ostream os(text);
    if (isa<GlobalValue>(v))
      v.printAsOperand(os);
    else
      v.print(os);
    if (text.size() > 300) // constants can be huge
      text = text.substr(0, 300) + "...";
    error = ("opencl: " + why + ": " + text).str();
    return false;
  }
  /// The bytes of constant `c` at `out[offset...]`.
  bool serialize(Constant *c, std::vector<uint8_t> &out, uint64_t offset);
  bool emitFunction(Function &f, raw_ostream &os);
  bool emitInstruction(Instruction &inst, raw_ostream &os);
  /// The C type of a value of `t` (pointers are ulong); empty if none.
  std::string type(Type *t);
  /// The signed C type of integer type `t`.
  std::string signedType(Type *t);
  std::string qualifier(unsigned addressSpace) {
    return addressSpace == kLocal     ? "__local"
           : addressSpace == kPrivate ? "__private"
                                      : "__global";
  }
  /// `*(__as T *)(p)` for an access of type `t` through pointer operand p.
  bool access(Value *pointer, Type *t, std::string &out);
  /// The C expression of an operand.
  bool operand(Value *v, std::string &out);
  /// The C expression computing instruction `inst` (not a terminator).
  bool expression(Instruction &inst, std::string &out);
  bool intrinsic(CallInst &call, std::string &out);
  bool isWidthOk(Type *t) {
    if (!t->isIntegerTy())
      return true;
    unsigned w = t->getIntegerBitWidth();
    return w == 1 || w == 8 || w == 16 || w == 32 || w == 64;
  }

  Module &m;
  const DataLayout &dl;
  std::string &error;
  DenseMap<const Value *, std::string> names;
  DenseMap<const BasicBlock *, std::string> labels;
  /// The C name of each constant table (named by content).
  DenseMap<const GlobalVariable *, std::string> constants;
};

} // namespace dsv4c::opencl::detail

#endif
