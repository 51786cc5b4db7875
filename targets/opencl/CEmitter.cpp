//===- CEmitter.cpp - optimized LLVM IR as OpenCL C -----------------------===//
#include "targets/opencl/CEmitterImpl.h"

#include "llvm/Support/xxhash.h"

#include <map>

namespace dsv4c::opencl {
namespace detail {
namespace {
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

} // namespace

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
  if (isa<FenceInst>(inst)) {
    // Only tile.atomic_add's fences (barriers are calls here): this
    // work-item's global accesses against other groups'.
    os << "  mem_fence(CLK_GLOBAL_MEM_FENCE);\n";
    return true;
  }
  if (isa<AllocaInst>(inst)) {
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
  // Constant tables as bytes (the IR reads them through pointers), named
  // and ordered by content: the lowering's global names vary from run to
  // run, and the same source lets the OpenCL runtime reuse its cache.
  std::map<std::string, std::vector<uint8_t>> tables;
  for (GlobalVariable &g : m.globals()) {
    if (g.getAddressSpace() == kLocal || !g.hasInitializer() || g.use_empty())
      continue;
    if (!g.isConstant())
      return fail(g, "a mutable global variable outside local memory");
    std::vector<uint8_t> bytes(dl.getTypeAllocSize(g.getValueType()), 0);
    if (!serialize(g.getInitializer(), bytes, 0))
      return false;
    char name[48];
    snprintf(name, sizeof name, "c_%zu_%016llx", bytes.size(),
             (unsigned long long)xxh3_64bits(bytes));
    constants[&g] = name;
    tables.emplace(name, std::move(bytes));
  }
  for (const auto &[name, bytes] : tables) {
    os << "__constant uchar " << name << "[" << std::max<size_t>(bytes.size(), 1)
       << "] __attribute__((aligned(64))) = {";
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

} // namespace detail

bool emitOpenclC(llvm::Module &m, std::string &source, std::string &error) {
  return detail::Emitter(m, error).run(source);
}

} // namespace dsv4c::opencl
