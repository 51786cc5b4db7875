//===- ExecutorMoE.cpp - V4 MoE: routing, experts, combination ------------===//
//
// Official MoE.forward: the gate picks 6 experts per token (score routing,
// or tid2eid on hash layers); each routed expert runs over its tokens
// (gathered), its output is added to an f32 accumulator in ascending expert
// order, then the shared expert's output; bf16 at the end. The token lists
// are built on the host from the gate's picks.
//
//===----------------------------------------------------------------------===//
#include "models/v4/ExecutorImpl.h"

using namespace dsv4c;
using namespace dsv4c::v4;

bool Executor::Impl::moe(int64_t l, int64_t m) {
  const V4Config &c = config;
  const BlockW &b = blocks[l];
  const int64_t k = c.nActivatedExperts, d = c.dim, inter = c.moeInterDim;
  const int64_t experts = c.nRoutedExperts;
  if (!run("moe_gate", {ceilDiv(m, 4), 1, 1},
           {KArg::p(s.xn), KArg::p(b.gate),
            KArg::p(b.hash ? zeros : b.gateBias),
            KArg::p(b.hash ? b.tid2eid : zeros), KArg::p(s.ids),
            KArg::p(s.gateW), KArg::p(s.gateI), KArg::i(m), KArg::i(d),
            KArg::i(experts), KArg::i(b.hash ? 1 : 0),
            KArg::f(c.routeScale)}))
    return false;
  std::vector<int32_t> picks(m * k);
  std::vector<float> weights(m * k);
  std::string e;
  if (!device.download(picks.data(), s.gateI, picks.size() * 4, e) ||
      !device.download(weights.data(), s.gateW, weights.size() * 4, e))
    return fail(e);

  // Token lists grouped by expert, tokens ascending (torch.where order).
  std::vector<int64_t> count(experts + 1, 0);
  for (int32_t x : picks) {
    if (x < 0 || x >= experts)
      return fail("layer " + std::to_string(l) + ": the gate picked expert " +
                  std::to_string(x) + " of " + std::to_string(experts) +
                  " (check ffn.gate.tid2eid)");
    ++count[x + 1];
  }
  for (int64_t x = 0; x < experts; ++x)
    count[x + 1] += count[x];
  std::vector<int64_t> tok(m * k);
  std::vector<int32_t> rows(m * k);
  std::vector<float> rw(m * k);
  std::vector<int64_t> fillAt(count.begin(), count.end() - 1);
  for (int64_t t = 0; t < m; ++t)
    for (int64_t j = 0; j < k; ++j) {
      int64_t at = fillAt[picks[t * k + j]]++;
      tok[at] = t;
      rows[at] = int32_t(t);
      rw[at] = weights[t * k + j];
    }
  if (!upload(s.tok, tok.data(), tok.size() * 8) ||
      !upload(s.rows, rows.data(), rows.size() * 4) ||
      !upload(s.rw, rw.data(), rw.size() * 4) ||
      !fill32(s.yacc, 0, m * d))
    return false;

  auto expert = [&](const std::array<LinearW, 3> &w, const void *x, void *g,
                    void *u, void *hidden, void *out, const void *routing,
                    int64_t rowsIn) {
    return linear(w[0], x, g, rowsIn) && linear(w[2], x, u, rowsIn) &&
           run("swiglu", {ceilDiv(rowsIn, 4), ceilDiv(inter, 256), 1},
               {KArg::p(g), KArg::p(u), KArg::p(routing ? routing : zeros),
                KArg::p(hidden), KArg::i(rowsIn), KArg::i(inter),
                // nw: rows that have a weight (all, or none).
                KArg::i(routing ? rowsIn : 0), KArg::f(c.swigluLimit)}) &&
           linear(w[1], hidden, out, rowsIn);
  };
  for (int64_t x = 0; x < experts; ++x) {
    const int64_t first = count[x], me = count[x + 1] - count[x];
    if (me == 0)
      continue;
    if (!run("embedding", {ceilDiv(me, 16), ceilDiv(d, 64), 1},
             {KArg::p(s.xn), KArg::p(at(s.tok, first, 8)), KArg::p(s.xe),
              KArg::i(me), KArg::i(d), KArg::i(1)}) ||
        !expert(b.experts[x], s.xe, s.ge, s.ue, s.he, s.ye,
                f32At(s.rw, first), me) ||
        !run("moe_scatter_add", {me, ceilDiv(d, 256), 1},
             {KArg::p(s.ye), KArg::p(at(s.rows, first, 4)), KArg::p(s.yacc),
              KArg::i(me), KArg::i(d)}))
      return false;
  }
  return expert(b.shared, s.xn, s.sg, s.su, s.sh, s.so, nullptr, m) &&
         run("moe_finish", {ceilDiv(m, 4), ceilDiv(d, 256), 1},
             {KArg::p(s.yacc), KArg::p(s.so), KArg::p(s.fo), KArg::i(m),
              KArg::i(d)});
}
