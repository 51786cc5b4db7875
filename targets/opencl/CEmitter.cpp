//===- CEmitter.cpp - optimized LLVM IR as OpenCL C -----------------------===//
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

using namespace llvm;

namespace dsv4c::opencl {
namespace {

constexpr unsigned kPrivate = 0, kLocal = 3;

// Helpers the emitted code calls: LLVM's maximum/minimum (NaN wins, -0 <
// +0), which OpenCL C has no function for; f16 <-> f32 (f16 values are
// their 16 bits: OpenCL C without cl_khr_fp16 only stores halfs).
constexpr const char *kPrelude = R"(// Written by dsv4c (targets/opencl): OpenCL C from the shared GPU lowering.
static float dsv4c_maximum(float a, float b) {
  if (isnan(a)) return a;
  if (isnan(b)) return b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static float dsv4c_half_to_float(ushort h) {
  return vload_half(0, (const __private half *)&h);
}
static ushort dsv4c_float_to_half(float f) {
  ushort h;
  vstore_half_rte(f, 0, (__private half *)&h);
  return h;
}
static float dsv4c_minimum(float a, float b) {
  if (isnan(a)) return a;
  if (isnan(b)) return b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
)";

/// Kernel K is __kernel dsv4c_K: tile kernels may have the names of OpenCL
/// C built-ins (dot, min, ...).
constexpr const char *kKernelPrefix = "dsv4c_";

std::string sanitize(StringRef name) {
  std::string out;
  for (char c : name)
    out += isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

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
};

std::string Emitter::type(Type *t) {
  if (t->isPointerTy())
    return "ulong";
  if (t->isFloatTy())
    return "float";
  if (t->isDoubleTy())
    return "double";
  if (t->isHalfTy())
    return "ushort";
  if (t->isVoidTy())
    return "void";
  if (t->isIntegerTy()) {
    switch (t->getIntegerBitWidth()) {
    case 1:
    case 8:
      return "uchar";
    case 16:
      return "ushort";
    case 32:
      return "uint";
    case 64:
      return "ulong";
    }
  }
  return "";
}

std::string Emitter::signedType(Type *t) {
  std::string u = type(t);
  if (u == "ulong" || u == "uint" || u == "ushort" || u == "uchar")
    return u == "uchar" ? "char" : u.substr(1);
  return u;
}

bool Emitter::operand(Value *v, std::string &out) {
  if (auto it = names.find(v); it != names.end()) {
    out = it->second;
    return true;
  }
  Type *t = v->getType();
  if (!isWidthOk(t))
    return fail(*v, "an integer width OpenCL C has no type for");
  if (auto *c = dyn_cast<ConstantInt>(v)) {
    unsigned w = c->getBitWidth();
    uint64_t bits = c->getZExtValue();
    out = w == 64   ? std::to_string(bits) + "ul"
          : w == 32 ? std::to_string(bits) + "u"
                    : "((" + type(t) + ")" + std::to_string(bits) + ")";
    return true;
  }
  if (auto *c = dyn_cast<ConstantFP>(v)) {
    uint64_t bits = c->getValueAPF().bitcastToAPInt().getZExtValue();
    char text[48];
    if (t->isFloatTy())
      snprintf(text, sizeof text, "as_float(0x%08xu)", unsigned(bits));
    else if (t->isDoubleTy())
      snprintf(text, sizeof text, "as_double(0x%016llxul)",
               (unsigned long long)bits);
    else if (t->isHalfTy())
      snprintf(text, sizeof text, "((ushort)0x%04xu)", unsigned(bits));
    else
      return fail(*v, "a floating-point type OpenCL C lacks here");
    out = text;
    return true;
  }
  if (isa<ConstantPointerNull>(v)) {
    out = "0ul";
    return true;
  }
  if (isa<UndefValue>(v)) { // undef and poison: any value will do
    std::string ty = type(t);
    if (ty.empty())
      return fail(*v, "an undefined value of a type without a C type");
    out = "((" + ty + ")0)";
    return true;
  }
  if (auto *g = dyn_cast<GlobalVariable>(v)) {
    if (g->getAddressSpace() == kLocal)
      out = "((ulong)l_" + sanitize(g->getName()) + ")";
    else if (g->isConstant() && g->hasInitializer())
      out = "((ulong)c_" + sanitize(g->getName()) + ")";
    else
      return fail(*v, "a global variable outside local memory");
    return true;
  }
  if (auto *ce = dyn_cast<ConstantExpr>(v)) {
    Instruction *inst = ce->getAsInstruction();
    bool ok = expression(*inst, out);
    inst->deleteValue();
    return ok;
  }
  return fail(*v, "an operand the emitter does not write");
}

bool Emitter::access(Value *pointer, Type *t, std::string &out) {
  std::string p;
  if (!operand(pointer, p))
    return false;
  std::string ty = t->isIntegerTy(1) ? "uchar" : type(t);
  if (ty.empty() || !isWidthOk(t))
    return fail(*pointer, "an access of a type without a C type");
  out = "*(" + qualifier(pointer->getType()->getPointerAddressSpace()) + " " +
        ty + " *)(" + p + ")";
  return true;
}

bool Emitter::intrinsic(CallInst &call, std::string &out) {
  Function *callee = call.getCalledFunction();
  std::vector<std::string> a(call.arg_size());
  for (unsigned i = 0; i < call.arg_size(); ++i)
    if (!operand(call.getArgOperand(i), a[i]))
      return false;
  Type *t = call.getType();
  auto fn = [&](const char *name, size_t n) {
    out = std::string(name) + "(";
    for (size_t i = 0; i < n; ++i)
      out += (i ? ", " : "") + a[i];
    out += ")";
    return true;
  };
  auto signedFn = [&](const char *name) {
    std::string s = signedType(t);
    out = "((" + type(t) + ")" + name + "((" + s + ")" + a[0] + ", (" + s +
          ")" + a[1] + "))";
    return true;
  };
  switch (callee->getIntrinsicID()) {
  case Intrinsic::fma:
  case Intrinsic::fmuladd:
    return fn("fma", 3);
  case Intrinsic::umin:
    return fn("min", 2);
  case Intrinsic::umax:
    return fn("max", 2);
  case Intrinsic::smin:
    return signedFn("min");
  case Intrinsic::smax:
    return signedFn("max");
  case Intrinsic::minnum:
    return fn("fmin", 2);
  case Intrinsic::maxnum:
    return fn("fmax", 2);
  case Intrinsic::minimum:
    return fn("dsv4c_minimum", 2);
  case Intrinsic::maximum:
    return fn("dsv4c_maximum", 2);
  case Intrinsic::floor:
    return fn("floor", 1);
  case Intrinsic::ceil:
    return fn("ceil", 1);
  case Intrinsic::trunc:
    return fn("trunc", 1);
  case Intrinsic::round:
    return fn("round", 1);
  case Intrinsic::roundeven:
  case Intrinsic::rint:
  case Intrinsic::nearbyint:
    return fn("rint", 1);
  case Intrinsic::sqrt:
    return fn("sqrt", 1);
  case Intrinsic::fabs:
    return fn("fabs", 1);
  case Intrinsic::copysign:
    return fn("copysign", 2);
  case Intrinsic::exp:
    return fn("exp", 1);
  case Intrinsic::exp2:
    return fn("exp2", 1);
  case Intrinsic::log:
    return fn("log", 1);
  case Intrinsic::log2:
    return fn("log2", 1);
  case Intrinsic::ctpop:
    return fn("popcount", 1);
  case Intrinsic::ctlz:
    return fn("clz", 1);
  case Intrinsic::usub_sat:
    return fn("sub_sat", 2);
  case Intrinsic::uadd_sat:
    return fn("add_sat", 2);
  case Intrinsic::ssub_sat:
    return signedFn("sub_sat");
  case Intrinsic::sadd_sat:
    return signedFn("add_sat");
  case Intrinsic::abs: {
    std::string s = signedType(t);
    out = "((" + type(t) + ")abs((" + s + ")" + a[0] + "))";
    return true;
  }
  default:
    return fail(call, "an intrinsic the emitter does not write");
  }
}

bool Emitter::expression(Instruction &inst, std::string &out) {
  Type *t = inst.getType();
  if (!isWidthOk(t))
    return fail(inst, "an integer width OpenCL C has no type for");
  std::vector<std::string> ops(inst.getNumOperands());
  auto operands = [&] {
    for (unsigned i = 0; i < inst.getNumOperands(); ++i)
      if (!isa<BasicBlock>(inst.getOperand(i)) &&
          !isa<Function>(inst.getOperand(i)) &&
          !operand(inst.getOperand(i), ops[i]))
        return false;
    return true;
  };
  std::string ty = type(t);
  bool halfOperand = llvm::any_of(inst.operands(), [](Value *v) {
    return v->getType()->isHalfTy();
  });
  if ((t->isHalfTy() || halfOperand) && !isa<CastInst>(inst) &&
      !isa<LoadInst>(inst) && !isa<SelectInst>(inst) &&
      !isa<FreezeInst>(inst) && !isa<CallInst>(inst))
    return fail(inst, "f16 arithmetic (f16 is only loaded, stored and "
                      "converted here)");
  if (auto *bin = dyn_cast<BinaryOperator>(&inst)) {
    if (!operands())
      return false;
    const std::string &x = ops[0], &y = ops[1];
    std::string s = signedType(t);
    auto op = [&](const char *o) {
      out = "((" + ty + ")(" + x + " " + o + " " + y + "))";
      return true;
    };
    auto sop = [&](const char *o) {
      out = "((" + ty + ")((" + s + ")" + x + " " + o + " (" + s + ")" + y +
            "))";
      return true;
    };
    bool bit = t->isIntegerTy(1);
    switch (bin->getOpcode()) {
    case Instruction::Add:
    case Instruction::Sub:
      return op(bit ? "^" : bin->getOpcode() == Instruction::Add ? "+" : "-");
    case Instruction::Mul:
      return op(bit ? "&" : "*");
    case Instruction::UDiv:
      return op("/");
    case Instruction::URem:
      return op("%");
    case Instruction::SDiv:
      return sop("/");
    case Instruction::SRem:
      return sop("%");
    case Instruction::Shl:
      return op("<<");
    case Instruction::LShr:
      return op(">>");
    case Instruction::AShr:
      out = "((" + ty + ")((" + s + ")" + x + " >> " + y + "))";
      return true;
    case Instruction::And:
      return op("&");
    case Instruction::Or:
      return op("|");
    case Instruction::Xor:
      return op("^");
    case Instruction::FAdd:
      return op("+");
    case Instruction::FSub:
      return op("-");
    case Instruction::FMul:
      return op("*");
    case Instruction::FDiv:
      return op("/");
    case Instruction::FRem:
      out = "fmod(" + x + ", " + y + ")";
      return true;
    default:
      return fail(inst, "a binary operation the emitter does not write");
    }
  }
  if (isa<UnaryOperator>(inst) && inst.getOpcode() == Instruction::FNeg) {
    if (!operands())
      return false;
    out = "(-" + ops[0] + ")";
    return true;
  }
  if (auto *cmp = dyn_cast<ICmpInst>(&inst)) {
    if (!operands())
      return false;
    Type *ot = cmp->getOperand(0)->getType();
    std::string x = ops[0], y = ops[1];
    if (cmp->isSigned()) {
      x = "(" + signedType(ot) + ")" + x;
      y = "(" + signedType(ot) + ")" + y;
    }
    const char *o = nullptr;
    switch (cmp->getPredicate()) {
    case CmpInst::ICMP_EQ:
      o = "==";
      break;
    case CmpInst::ICMP_NE:
      o = "!=";
      break;
    case CmpInst::ICMP_UGT:
    case CmpInst::ICMP_SGT:
      o = ">";
      break;
    case CmpInst::ICMP_UGE:
    case CmpInst::ICMP_SGE:
      o = ">=";
      break;
    case CmpInst::ICMP_ULT:
    case CmpInst::ICMP_SLT:
      o = "<";
      break;
    default:
      o = "<=";
      break;
    }
    out = "((uchar)(" + x + " " + o + " " + y + "))";
    return true;
  }
  if (auto *cmp = dyn_cast<FCmpInst>(&inst)) {
    if (!operands())
      return false;
    const std::string &x = ops[0], &y = ops[1];
    std::string nan = "(isnan(" + x + ") || isnan(" + y + "))";
    auto ordered = [&](const char *o) {
      return "(" + x + " " + o + " " + y + ")";
    };
    std::string e;
    switch (cmp->getPredicate()) {
    case CmpInst::FCMP_FALSE:
      e = "0";
      break;
    case CmpInst::FCMP_TRUE:
      e = "1";
      break;
    case CmpInst::FCMP_OEQ:
      e = ordered("==");
      break;
    case CmpInst::FCMP_OGT:
      e = ordered(">");
      break;
    case CmpInst::FCMP_OGE:
      e = ordered(">=");
      break;
    case CmpInst::FCMP_OLT:
      e = ordered("<");
      break;
    case CmpInst::FCMP_OLE:
      e = ordered("<=");
      break;
    case CmpInst::FCMP_ONE:
      e = "(" + ordered("<") + " || " + ordered(">") + ")";
      break;
    case CmpInst::FCMP_ORD:
      e = "!" + nan;
      break;
    case CmpInst::FCMP_UNO:
      e = nan;
      break;
    case CmpInst::FCMP_UEQ:
      e = "(" + nan + " || " + ordered("==") + ")";
      break;
    case CmpInst::FCMP_UNE:
      e = ordered("!=");
      break;
    case CmpInst::FCMP_UGT:
      e = "!" + ordered("<=");
      break;
    case CmpInst::FCMP_UGE:
      e = "!" + ordered("<");
      break;
    case CmpInst::FCMP_ULT:
      e = "!" + ordered(">=");
      break;
    case CmpInst::FCMP_ULE:
      e = "!" + ordered(">");
      break;
    default:
      return fail(inst, "an unknown comparison");
    }
    out = "((uchar)(" + e + "))";
    return true;
  }
  if (isa<SelectInst>(inst)) {
    if (!operands())
      return false;
    out = "(" + ops[0] + " ? " + ops[1] + " : " + ops[2] + ")";
    return true;
  }
  if (auto *cast = dyn_cast<CastInst>(&inst)) {
    if (!operands())
      return false;
    Type *from = cast->getSrcTy();
    if (!isWidthOk(from))
      return fail(inst, "an integer width OpenCL C has no type for");
    const std::string &x = ops[0];
    if (from->isHalfTy() && cast->getOpcode() != Instruction::BitCast) {
      // Through f32.
      std::string f = "dsv4c_half_to_float(" + x + ")";
      if (t->isFloatTy())
        out = f;
      else if (cast->getOpcode() == Instruction::FPToSI)
        out = "((" + ty + ")(" + signedType(t) + ")" + f + ")";
      else
        out = "((" + ty + ")" + f + ")";
      return true;
    }
    if (t->isHalfTy() && cast->getOpcode() != Instruction::BitCast) {
      std::string f = cast->getOpcode() == Instruction::SIToFP
                          ? "(float)(" + signedType(from) + ")" + x
                          : "(float)" + x;
      out = "dsv4c_float_to_half(" + f + ")";
      return true;
    }
    switch (cast->getOpcode()) {
    case Instruction::Trunc:
      out = t->isIntegerTy(1) ? "((uchar)(" + x + " & 1))"
                              : "((" + ty + ")" + x + ")";
      return true;
    case Instruction::ZExt:
    case Instruction::FPExt:
    case Instruction::FPTrunc:
    case Instruction::UIToFP:
    case Instruction::FPToUI:
    case Instruction::PtrToInt:
    case Instruction::IntToPtr:
      out = "((" + ty + ")" + x + ")";
      return true;
    case Instruction::SExt:
      out = from->isIntegerTy(1)
                ? "((" + ty + ")(-(" + signedType(t) + ")" + x + "))"
                : "((" + ty + ")(" + signedType(t) + ")(" + signedType(from) +
                      ")" + x + ")";
      return true;
    case Instruction::SIToFP:
      out = "((" + ty + ")(" + signedType(from) + ")" + x + ")";
      return true;
    case Instruction::FPToSI:
      out = "((" + ty + ")(" + signedType(t) + ")" + x + ")";
      return true;
    case Instruction::AddrSpaceCast:
      out = x; // one flat memory
      return true;
    case Instruction::BitCast:
      if (type(from) == ty)
        out = x;
      else
        out = "as_" + ty + "(" + x + ")";
      return true;
    default:
      return fail(inst, "a cast the emitter does not write");
    }
  }
  if (auto *gep = dyn_cast<GEPOperator>(&inst)) {
    std::string base;
    if (!operand(gep->getPointerOperand(), base))
      return false;
    unsigned bits = dl.getIndexTypeSizeInBits(gep->getType());
    SmallMapVector<Value *, APInt, 4> variable;
    APInt constant(bits, 0);
    if (!gep->collectOffset(dl, bits, variable, constant))
      return fail(inst, "an address the emitter cannot compute");
    out = "(" + base;
    if (!constant.isZero())
      out += " + " + std::to_string(constant.getZExtValue()) + "ul";
    for (auto &[index, scale] : variable) {
      std::string i;
      if (!operand(index, i))
        return false;
      out += " + (ulong)((long)(" + signedType(index->getType()) + ")" + i +
             " * " + std::to_string(scale.getSExtValue()) + "l)";
    }
    out += ")";
    return true;
  }
  if (auto *load = dyn_cast<LoadInst>(&inst)) {
    if (load->isAtomic() || load->isVolatile())
      return fail(inst, "an atomic or volatile load");
    std::string a;
    if (!access(load->getPointerOperand(), t, a))
      return false;
    out = t->isIntegerTy(1) ? "((uchar)(" + a + " & 1))" : a;
    return true;
  }
  if (isa<FreezeInst>(inst)) {
    return operand(inst.getOperand(0), out);
  }
  if (auto *call = dyn_cast<CallInst>(&inst)) {
    Function *callee = call->getCalledFunction();
    if (!callee)
      return fail(inst, "an indirect call");
    if (callee->isIntrinsic())
      return intrinsic(*call, out);
    StringRef name = callee->getName();
    const char *builtin = name == "_Z12get_local_idj"     ? "get_local_id"
                          : name == "_Z12get_group_idj"   ? "get_group_id"
                          : name == "_Z14get_local_sizej" ? "get_local_size"
                                                          : nullptr;
    if (builtin) {
      out = "((ulong)" + std::string(builtin) + "(0))";
      return true;
    }
    if (callee->isDeclaration())
      return fail(inst, "a call to a function with no body");
    out = sanitize(name) + "(";
    for (unsigned i = 0; i < call->arg_size(); ++i) {
      std::string a;
      if (!operand(call->getArgOperand(i), a))
        return false;
      out += (i ? ", " : "") + a;
    }
    out += ")";
    return true;
  }
  return fail(inst, "an instruction the emitter does not write");
}

bool Emitter::emitFunction(Function &f, raw_ostream &os) {
  names.clear();
  labels.clear();
  bool kernel = f.getCallingConv() == CallingConv::SPIR_KERNEL;
  std::string head;
  raw_string_ostream h(head);
  if (kernel)
    h << "__kernel __attribute__((reqd_work_group_size(128, 1, 1))) void "
      << kKernelPrefix << f.getName() << "(";
  else
    h << "static " << type(f.getReturnType()) << " " << sanitize(f.getName())
      << "(";
  unsigned n = 0;
  for (Argument &a : f.args()) {
    std::string ty = type(a.getType());
    if (ty.empty() || !isWidthOk(a.getType()))
      return fail(a, "an argument without a C type");
    names[&a] = "a" + std::to_string(n);
    h << (n ? ", " : "") << ty << " a" << n;
    ++n;
  }
  h << ")";
  os << head << " {\n";

  // Local memory the kernel uses, then every value's variable.
  if (kernel) {
    SetVector<GlobalVariable *> locals;
    for (Instruction &inst : instructions(f))
      for (Value *v : inst.operands()) {
        SmallVector<Value *> work{v};
        while (!work.empty()) {
          Value *w = work.pop_back_val();
          if (auto *g = dyn_cast<GlobalVariable>(w);
              g && g->getAddressSpace() == kLocal)
            locals.insert(g);
          else if (auto *ce = dyn_cast<ConstantExpr>(w))
            work.append(ce->op_begin(), ce->op_end());
        }
      }
    for (GlobalVariable *g : locals)
      os << "  __local uchar l_" << sanitize(g->getName()) << "["
         << dl.getTypeAllocSize(g->getValueType()) << "] __attribute__(("
         << "aligned(16)));\n";
  }
  // Everything computed from the work-item id.
  SmallPtrSet<const Instruction *, 32> fromLocalId;
  SmallVector<const Instruction *> work;
  for (Instruction &inst : instructions(f))
    if (auto *call = dyn_cast<CallInst>(&inst))
      if (call->getCalledFunction() &&
          call->getCalledFunction()->getName() == "_Z12get_local_idj")
        work.push_back(&inst);
  while (!work.empty()) {
    const Instruction *i = work.pop_back_val();
    if (!fromLocalId.insert(i).second)
      continue;
    for (const User *u : i->users())
      if (auto *ui = dyn_cast<Instruction>(u); ui && !isa<StoreInst>(ui))
        work.push_back(ui);
  }
  unsigned values = 0, blocks = 0;
  for (BasicBlock &bb : f) {
    labels[&bb] = "b" + std::to_string(blocks++);
    for (Instruction &inst : bb) {
      if (inst.getType()->isVoidTy())
        continue;
      std::string ty = type(inst.getType());
      if (ty.empty() || !isWidthOk(inst.getType()))
        return fail(inst, "a value without a C type (vector or aggregate?)");
      std::string name = "v" + std::to_string(values++);
      names[&inst] = name;
      // PoCL 3.1 loses values computed from the work-item id that live
      // across a barrier (its work-item loops keep them in registers): such
      // values used in other blocks stay in (per work-item) memory.
      bool crossesBlocks =
          fromLocalId.contains(&inst) &&
          llvm::any_of(inst.users(), [&](User *u) {
            auto *ui = dyn_cast<Instruction>(u);
            return !ui || ui->getParent() != &bb || isa<PHINode>(ui);
          });
      os << "  " << (crossesBlocks ? "volatile " : "") << ty << " " << name
         << ";\n";
      if (auto *alloca = dyn_cast<AllocaInst>(&inst)) {
        auto size = alloca->getAllocationSize(dl);
        if (!size || size->isScalable())
          return fail(inst, "an allocation of unknown size");
        os << "  __private uchar s" << name << "["
           << std::max<uint64_t>(size->getFixedValue(), 1)
           << "] __attribute__((aligned(16)));\n";
      }
    }
  }
  for (BasicBlock &bb : f) {
    os << labels[&bb] << ":;\n";
    for (Instruction &inst : bb)
      if (!emitInstruction(inst, os))
        return false;
  }
  os << "}\n\n";
  return true;
}

bool Emitter::emitInstruction(Instruction &inst, raw_ostream &os) {
  auto edge = [&](BasicBlock *to) -> std::string {
    std::string text;
    raw_string_ostream s(text);
    std::vector<std::pair<std::string, std::string>> copies;
    for (PHINode &phi : to->phis()) {
      std::string v;
      if (!operand(phi.getIncomingValueForBlock(inst.getParent()), v))
        return "";
      copies.push_back({names[&phi], v});
    }
    s << "{";
    for (size_t i = 0; i < copies.size(); ++i)
      s << " " << type(cast<PHINode>(&*std::next(to->begin(), i))->getType())
        << " t" << i << " = " << copies[i].second << ";";
    for (size_t i = 0; i < copies.size(); ++i)
      s << " " << copies[i].first << " = t" << i << ";";
    s << " goto " << labels[to] << "; }";
    return text;
  };
  if (isa<PHINode>(inst))
    return true; // assigned on the edges
  if (auto *br = dyn_cast<BranchInst>(&inst)) {
    std::string taken = edge(br->getSuccessor(0));
    if (taken.empty())
      return false;
    if (br->isUnconditional()) {
      os << "  " << taken << "\n";
      return true;
    }
    std::string c, other = edge(br->getSuccessor(1));
    if (other.empty() || !operand(br->getCondition(), c))
      return false;
    os << "  if (" << c << ") " << taken << " else " << other << "\n";
    return true;
  }
  if (auto *sw = dyn_cast<SwitchInst>(&inst)) {
    std::string c;
    if (!operand(sw->getCondition(), c))
      return false;
    os << "  switch (" << c << ") {\n";
    for (auto &kase : sw->cases()) {
      std::string k, e = edge(kase.getCaseSuccessor());
      if (e.empty() || !operand(kase.getCaseValue(), k))
        return false;
      os << "  case " << k << ": " << e << "\n";
    }
    std::string d = edge(sw->getDefaultDest());
    if (d.empty())
      return false;
    os << "  default: " << d << "\n  }\n";
    return true;
  }
  if (auto *ret = dyn_cast<ReturnInst>(&inst)) {
    std::string v;
    if (ret->getReturnValue() && !operand(ret->getReturnValue(), v))
      return false;
    os << "  return" << (v.empty() ? "" : " " + v) << ";\n";
    return true;
  }
  if (isa<UnreachableInst>(inst)) {
    // Not a return: an exit between two barriers would be one that not all
    // work-items of the group reach.
    os << "  __builtin_unreachable();\n";
    return true;
  }
  if (isa<FenceInst>(inst))
    return true; // barrier() orders the group's memory
  if (auto *alloca = dyn_cast<AllocaInst>(&inst)) {
    os << "  " << names[&inst] << " = (ulong)s" << names[&inst] << ";\n";
    return true;
  }
  if (auto *store = dyn_cast<StoreInst>(&inst)) {
    if (store->isAtomic() || store->isVolatile())
      return fail(inst, "an atomic or volatile store");
    std::string a, v;
    if (!access(store->getPointerOperand(), store->getValueOperand()->getType(),
                a) ||
        !operand(store->getValueOperand(), v))
      return false;
    os << "  " << a << " = " << v << ";\n";
    return true;
  }
  if (auto *call = dyn_cast<CallInst>(&inst);
      call && call->getType()->isVoidTy()) {
    Function *callee = call->getCalledFunction();
    if (!callee)
      return fail(inst, "an indirect call");
    switch (callee->getIntrinsicID()) {
    case Intrinsic::lifetime_start:
    case Intrinsic::lifetime_end:
    case Intrinsic::assume:
    case Intrinsic::experimental_noalias_scope_decl:
    case Intrinsic::dbg_declare:
    case Intrinsic::dbg_value:
      return true;
    case Intrinsic::trap:
      os << "  __builtin_trap();\n";
      return true;
    case Intrinsic::memcpy:
    case Intrinsic::memmove:
    case Intrinsic::memset: {
      std::string d, s, n;
      Value *dst = call->getArgOperand(0);
      if (!operand(dst, d) || !operand(call->getArgOperand(1), s) ||
          !operand(call->getArgOperand(2), n))
        return false;
      std::string to = "((" +
                       qualifier(dst->getType()->getPointerAddressSpace()) +
                       " uchar *)" + d + ")";
      if (callee->getIntrinsicID() == Intrinsic::memset) {
        os << "  for (ulong i_ = 0; i_ < (ulong)" << n << "; ++i_) " << to
           << "[i_] = " << s << ";\n";
        return true;
      }
      Value *src = call->getArgOperand(1);
      std::string from = "((" +
                         qualifier(src->getType()->getPointerAddressSpace()) +
                         " uchar *)" + s + ")";
      // memmove: copy backwards when the destination is above the source.
      os << "  if (" << d << " <= " << s << ") for (ulong i_ = 0; i_ < (ulong)"
         << n << "; ++i_) " << to << "[i_] = " << from << "[i_];\n"
         << "  else for (ulong i_ = (ulong)" << n << "; i_-- > 0;) " << to
         << "[i_] = " << from << "[i_];\n";
      return true;
    }
    default:
      break;
    }
    if (callee->getName() == "_Z7barrierj") {
      // One barrier for a run of them (PoCL's parallel regions trip over
      // empty ones).
      if (Instruction *prev = inst.getPrevNode())
        if (auto *c = dyn_cast<CallInst>(prev);
            c && c->getCalledFunction() == callee)
          return true;
      os << "  barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);\n";
      return true;
    }
    if (callee->isIntrinsic() || callee->isDeclaration())
      return fail(inst, "a call the emitter does not write");
    std::string e;
    if (!expression(inst, e))
      return false;
    os << "  " << e << ";\n";
    return true;
  }
  std::string e;
  if (!expression(inst, e))
    return false;
  os << "  " << names[&inst] << " = " << e << ";\n";
  return true;
}

bool Emitter::serialize(Constant *c, std::vector<uint8_t> &out,
                        uint64_t offset) {
  if (isa<ConstantAggregateZero>(c) || isa<UndefValue>(c) ||
      isa<ConstantPointerNull>(c))
    return true; // zeros already
  if (auto *data = dyn_cast<ConstantDataSequential>(c)) {
    StringRef raw = data->getRawDataValues();
    std::copy(raw.begin(), raw.end(), out.begin() + offset);
    return true;
  }
  if (auto *i = dyn_cast<ConstantInt>(c)) {
    uint64_t bits = i->getZExtValue();
    for (uint64_t b = 0; b < dl.getTypeStoreSize(i->getType()); ++b)
      out[offset + b] = uint8_t(bits >> (8 * b));
    return true;
  }
  if (auto *f = dyn_cast<ConstantFP>(c)) {
    uint64_t bits = f->getValueAPF().bitcastToAPInt().getZExtValue();
    for (uint64_t b = 0; b < dl.getTypeStoreSize(f->getType()); ++b)
      out[offset + b] = uint8_t(bits >> (8 * b));
    return true;
  }
  if (auto *array = dyn_cast<ConstantArray>(c)) {
    uint64_t step = dl.getTypeAllocSize(array->getType()->getElementType());
    for (unsigned i = 0; i < array->getNumOperands(); ++i)
      if (!serialize(array->getOperand(i), out, offset + i * step))
        return false;
    return true;
  }
  if (auto *st = dyn_cast<ConstantStruct>(c)) {
    const StructLayout *layout = dl.getStructLayout(st->getType());
    for (unsigned i = 0; i < st->getNumOperands(); ++i)
      if (!serialize(st->getOperand(i), out,
                     offset + layout->getElementOffset(i)))
        return false;
    return true;
  }
  return fail(*c, "a constant the emitter cannot lay out");
}

bool Emitter::run(std::string &source) {
  raw_string_ostream os(source);
  bool doubles = false;
  for (Function &f : m)
    for (Instruction &inst : instructions(f))
      doubles |= inst.getType()->isDoubleTy();
  if (doubles)
    os << "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n";
  os << kPrelude << "\n";
  // Constant tables as bytes (the IR reads them through pointers).
  for (GlobalVariable &g : m.globals()) {
    if (g.getAddressSpace() == kLocal || !g.hasInitializer() || g.use_empty())
      continue;
    if (!g.isConstant())
      return fail(g, "a mutable global variable outside local memory");
    std::vector<uint8_t> bytes(dl.getTypeAllocSize(g.getValueType()), 0);
    if (!serialize(g.getInitializer(), bytes, 0))
      return false;
    os << "__constant uchar c_" << sanitize(g.getName()) << "["
       << std::max<size_t>(bytes.size(), 1) << "] __attribute__((aligned(64)))"
       << " = {";
    for (size_t i = 0; i < bytes.size(); ++i)
      os << (i == 0 ? "\n  " : i % 32 ? "," : ",\n  ") << unsigned(bytes[i]);
    os << "};\n";
  }
  // Helpers first (declared, then defined), then the kernels.
  std::vector<Function *> helpers, kernels;
  for (Function &f : m) {
    if (f.isDeclaration())
      continue;
    (f.getCallingConv() == CallingConv::SPIR_KERNEL ? kernels : helpers)
        .push_back(&f);
  }
  for (Function *f : helpers) {
    std::string text;
    raw_string_ostream s(text);
    if (!emitFunction(*f, s))
      return false;
    os << text.substr(0, text.find(" {\n")) << ";\n";
  }
  for (Function *f : helpers)
    if (!emitFunction(*f, os))
      return false;
  for (Function *f : kernels)
    if (!emitFunction(*f, os))
      return false;
  return true;
}

} // namespace

bool emitOpenclC(Module &m, std::string &source, std::string &error) {
  return Emitter(m, error).run(source);
}

} // namespace dsv4c::opencl
