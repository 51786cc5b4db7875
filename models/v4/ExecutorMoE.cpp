//===- ExecutorMoE.cpp - V4 MoE: routing, experts, combination ------------===//
//
// Official MoE.forward: the gate picks 6 experts per token (score routing,
// or tid2eid on hash layers); each routed expert runs over its tokens
// (gathered), its output is added to an f32 accumulator in ascending expert
// order, then the shared expert's output; bf16 at the end. The token lists
// are built on the device from the gate's picks (moe_route.mlir). Stacked (FP4)
// experts run as one grouped launch per expert linear over all routed rows,
// which produce the same values as a launch per expert.
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

using namespace dsv4c;
using namespace dsv4c::v4;

bool Executor::Impl::moe(int64_t l, int64_t m) {
  const V4Config &c = config;
  const BlockW &b = blocks[l];
  const int64_t k = c.nActivatedExperts, d = c.dim, inter = c.moeInterDim;
  // The gate scores all experts; this rank routes to and runs its own
  // [firstExpert, firstExpert + localExperts).
  const int64_t all = c.nRoutedExperts, experts = localExperts;
  // The gate's logits (f32, as F.linear on floats), then the routing.
  if (!matmulF32(s.xn, b.gate, s.gateLogits, m, all, d) ||
      !run("moe_gate", {ceilDiv(m, 4), 1, 1},
           {KArg::p(s.gateLogits), KArg::p(b.hash ? zeros : b.gateBias),
            KArg::p(b.hash ? b.tid2eid : zeros), KArg::p(stepArg(stepIds)),
            KArg::p(s.gateW), KArg::p(s.gateI), KArg::i(m), KArg::i(all),
            KArg::i(b.hash ? 1 : 0), KArg::f(c.routeScale)}))
    return false;
  // The picks as row lists grouped by expert, on the device
  // (moe_route.mlir); G: the groups a grouped launch covers.
  const int64_t n = m * k, groups = std::min(experts, n);
  if (!run("moe_route_count", {1, 1, 1},
           {KArg::p(s.gateI), KArg::p(s.moeInfo), KArg::i(n), KArg::i(experts),
            KArg::i(firstExpert)}) ||
      !run("moe_route_place", {n + experts, 1, 1},
           {KArg::p(s.gateI), KArg::p(s.gateW), KArg::p(s.moeInfo),
            KArg::p(s.tok), KArg::p(s.rows), KArg::p(s.rw), KArg::p(s.moeSlots),
            KArg::p(s.moeGroups), KArg::i(m), KArg::i(experts), KArg::i(groups),
            KArg::i(firstExpert)}) ||
      !fill32(s.yacc, 0, m * d))
    return false;
  if (b.stacked && !moeStacked(b, m, groups))
    return false;
  // Experts in their own allocations (FP8 or BF16 experts: not V4's
  // shipped format) launch per expert, so the host needs the counts.
  std::vector<int32_t> count(b.stacked ? 0 : 2 * experts);
  std::string e;
  if (!b.stacked && (!runRecorded() || !device.download(count.data(), s.moeInfo,
                                                        count.size() * 4, e)))
    return fail(e);
  auto expert = [&](const std::array<LinearW, 3> &w, const void *x, void *g,
                    void *u, void *hidden, void *out, const void *routing,
                    int64_t rowsIn) {
    return linears(x, rowsIn, {{&w[0], g}, {&w[2], u}}) &&
           run("swiglu", {ceilDiv(rowsIn, 4), ceilDiv(inter, 256), 1},
               {KArg::p(g), KArg::p(u), KArg::p(routing ? routing : zeros),
                KArg::p(hidden), KArg::i(rowsIn), KArg::i(inter),
                // nw: rows that have a weight (all, or none).
                KArg::i(routing ? rowsIn : 0), KArg::f(c.swigluLimit)}) &&
           linear(w[1], hidden, out, rowsIn);
  };
  for (int64_t x = 0; !b.stacked && x < experts; ++x) {
    const int64_t me = count[x], first = count[experts + x];
    if (me == 0)
      continue;
    if (!run("embedding", {ceilDiv(me, 16), ceilDiv(d, 64), 1},
             {KArg::p(s.xn), KArg::p(at(s.tok, first, 8)), KArg::p(s.xe),
              KArg::i(me), KArg::i(d), KArg::i(1)}) ||
        !expert(b.experts[x], s.xe, s.ge, s.ue, s.he, s.ye, f32At(s.rw, first),
                me) ||
        !run("moe_scatter_add", {me, ceilDiv(d, 256), 1},
             {KArg::p(s.ye), KArg::p(at(s.rows, first, 4)), KArg::p(s.yacc),
              KArg::i(me), KArg::i(d)}))
      return false;
  }
  // The ranks' routed sums added (f32), then the shared expert, which
  // every rank computes whole (official MoE.forward).
  return allReduceF32(s.yacc, m * d) &&
         expert(b.shared, s.xn, s.sg, s.su, s.sh, s.so, nullptr, m) &&
         run("moe_finish", {ceilDiv(m, 4), ceilDiv(d, 256), 1},
             {KArg::p(s.yacc), KArg::p(s.so), KArg::p(s.fo), KArg::i(m),
              KArg::i(d)});
}

bool Executor::Impl::moeStacked(const BlockW &b, int64_t m, int64_t groups) {
  const V4Config &c = config;
  const int64_t k = c.nActivatedExperts, d = c.dim, inter = c.moeInterDim;
  const int64_t rows = m * k;
  // An expert has at most m rows (a token picks it at most once): the grid
  // covers m rows of every group; programs past a group's rows, and the
  // groups past the busy experts, do nothing.
  // Over the routed rows as act_quant left them in s.xq / s.xqs.
  auto grouped = [&](int part, void *y, int64_t n, int64_t in) {
    const LinearW &w = b.experts[0][part]; // the stack starts at expert 0
    const int64_t programs = ceilDiv(m, 8) * ceilDiv(n, 64) * groups;
    const int64_t splits = splitsFor(programs, ceilDiv(in, 256), rows, n);
    return run("linear_fp4_grouped",
               {ceilDiv(m, 8), ceilDiv(n, 64), groups * splits},
               {KArg::p(s.xq), KArg::p(s.xqs), KArg::p(w.weight),
                KArg::p(w.scale), KArg::p(y), KArg::p(s.moeGroups),
                KArg::p(s.splitPart), KArg::p(s.splitCounters), KArg::i(n),
                KArg::i(in), KArg::i(rows), KArg::i(splits)});
  };
  // w1 and w3 read the same rows (quantised once).
  return run("embedding", {ceilDiv(rows, 16), ceilDiv(d, 64), 1},
             {KArg::p(s.xn), KArg::p(s.tok), KArg::p(s.xe), KArg::i(rows),
              KArg::i(d), KArg::i(1)}) &&
         actQuant(s.xe, rows, d) && grouped(0, s.ge, inter, d) &&
         grouped(2, s.ue, inter, d) &&
         run("swiglu", {ceilDiv(rows, 4), ceilDiv(inter, 256), 1},
             {KArg::p(s.ge), KArg::p(s.ue), KArg::p(s.rw), KArg::p(s.he),
              KArg::i(rows), KArg::i(inter), KArg::i(rows),
              KArg::f(c.swigluLimit)}) &&
         actQuant(s.he, rows, inter) && grouped(1, s.ye, d, inter) &&
         run("moe_gather_add", {m, ceilDiv(d, 256), 1},
             {KArg::p(s.ye), KArg::p(s.moeSlots), KArg::p(s.yacc), KArg::i(m),
              KArg::i(d), KArg::i(k)});
}
