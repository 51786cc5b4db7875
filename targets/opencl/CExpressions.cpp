//===- CExpressions.cpp - LLVM values as OpenCL C expressions -------------===//
#include "targets/opencl/CEmitterImpl.h"

namespace dsv4c::opencl::detail {

std::string sanitize(StringRef name) {
  std::string out;
  for (char c : name)
    out += isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

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
      out = "((ulong)" + constants.lookup(g) + ")";
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
  if (auto *rmw = dyn_cast<AtomicRMWInst>(&inst)) {
    // tile.atomic_add's one add (OpenCL C 1.2's atomic_add returns the old
    // value).
    std::string p, v;
    if (rmw->getOperation() != AtomicRMWInst::Add || !t->isIntegerTy(32))
      return fail(inst, "an atomic other than a 32-bit add");
    if (!operand(rmw->getPointerOperand(), p) ||
        !operand(rmw->getValOperand(), v))
      return false;
    out = "((uint)atomic_add((volatile " +
          qualifier(rmw->getPointerAddressSpace()) + " int *)(" + p +
          "), (int)" + v + "))";
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

} // namespace dsv4c::opencl::detail
