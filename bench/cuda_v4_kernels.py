#!/usr/bin/python3
"""dsv4c's V4 kernels beside PyTorch and the hardware limits, on one GPU.

  python3 bench/cuda_v4_kernels.py PACK_DIR [DSV4C_JSON] [--iters N] [--warmup N]
          [--no-compile] [--compile-mode MODE] [--json-out FILE]
          [--device cuda|cpu] [--copy-mib N] [--mm-size N]

PACK_DIR: a bench pack (`dsv4c conform --target cuda --bench --export PACK_DIR`).
DSV4C_JSON: dsv4c's times of its cases on this GPU (`dsv4-run conform PACK_DIR
--json FILE`), matched by case name, else by op; missing: the dsv4c columns say `-`.
For each case this builds random inputs of the pack's shapes and types on the
device once, times a PyTorch peer of the kernel's math (keyed by op) eagerly and
under torch.compile (CUDA events around --iters calls queued back to back,
the median of 5 such batches, after --warmup; dsv4c's "us" is timed the same
way), measures the copy bandwidth and the bf16 / fp8 matmul peaks, and
prints one table on stdout (progress on stderr): eager/dsv4c and compile/dsv4c
(> 1: dsv4c is faster), the limit max(bytes / bandwidth, flops / peak) and
dsv4c's share of it. --device cpu runs the peers on the CPU (perf_counter; no
torch.compile before torch 2): a test of this script without a GPU.

Peers (same math, same shapes; speed peers, not bit-identical):
  rmsnorm           f32 x * rsqrt(mean(x^2) + eps) * w -> bf16
  swiglu            rw * silu(min(g, L)) * clamp(u, -L, L), f32 -> bf16
  act_quant         x -> e4m3 codes and ue8m0 scales per 1x128 block (amax, log2,
                    ceil, divide, cast), f32 math.
  linear_fp8        x already e4m3 (act_quant's row), torch._scaled_mm (f32 scales
                    per row of x and of W, the first of each row's blocks;
                    per-tensor where rowwise is unsupported) -> bf16. dsv4c scales
                    1x128 / 128x128 blocks; no torch GEMM does, and the scales are
                    ~0.1% of the bytes. Without FP8 GEMM: x and W * block scales
                    dequantised each call, bf16 F.linear.
  linear_fp4        no FP4 GEMM on Hopper: W (uint8, two e2m1 codes per byte)
                    dequantised each call (16-entry table, 1x32 ue8m0 scales), x
                    (e4m3, 1x128 scales) dequantised, bf16 F.linear.
  matmul_bf16(_f32) bf16 F.linear (groups: an einsum).
  head              bf16 GEMM of the normalised rows over the vocabulary with f32
                    logits (torch.mm out_dtype=f32 where torch has it, else widened).
  embedding         F.embedding (id < 0: zero row), repeated `copies` times.
  sparse_attention  gather 584-byte entries through the page table, dequantise
                    (e4m3 x ue8m0, bf16 rope), bf16 q.k, -1 masked, softmax with
                    the sink as an extra column, bf16 P @ V.
  rope              in place on the last rd dims: (x_2j + i x_2j+1) * (cos + i sin)
                    at pos0 + i * pstep (conjugate when inverse), f32 -> bf16.
  moe_gate          sqrt(softplus(x @ Wg^T)) in f32, top-6 of score + bias (or
                    tid2eid[ids]), weights normalised * route_scale; dsv4c's is
                    matmul_bf16_f32 (the logits, D = 4096) + moe_gate: add the rows.
  kv_pack           e4m3 quantisation of 448 dims in 1x64 blocks, scattered with
                    the ue8m0 scales and bf16 rope dims into 584-byte entries.
  indexer_topk      bf16 einsum of the queries' heads with the compressed keys,
                    relu, times the head weights, summed over heads, the
                    invisible entries masked, torch.topk (the indices).
  mhc_pre           the reference's hc_pre: f32 mixes, sigmoid, softmax + Sinkhorn,
                    y = bf16(sum_i pre_i h_i); dsv4c's is two launches, mhc_mix
                    (the mixes' partial sums) + mhc_pre: add the two rows.
Other ops: "no peer". FP8 buffers are torch.float8_e4m3fn where torch has it,
else bf16 stand-ins (the peer column says so).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

FP8 = getattr(torch, "float8_e4m3fn", None) if torch else None
MM_OUT_F32 = False   # torch.mm(..., out_dtype=torch.float32) works (set in main)
E2M1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0,
        -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0]
MMA_OPS = {"v4.linear_fp8": "fp8", "v4.linear_fp8_rows64": "fp8", "v4.linear_fp4": "fp8", "v4.matmul_bf16": "bf16",
           "v4.matmul_bf16_f32": "bf16", "v4.head": "bf16", "v4.moe_gate": "bf16",
           "v4.sparse_attention": "bf16", "v4.indexer_topk": "bf16"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- inputs
def storage_bytes(a):
    n = math.prod(a["shape"])
    size = {"i1": 1, "i8": 1, "i32": 4, "i64": 8, "f16": 2, "bf16": 2, "f32": 4,
            "f8E4M3FN": 1, "f8E8M0FNU": 1}
    return (n + 1) // 2 if a["type"] == "f4E2M1FN" else n * size[a["type"]]


def make_arg(a, dev):
    """A pack argument as a device tensor (buffers) or a Python number (scalars)."""
    if a["kind"] == "index" or a["kind"] == "i32":
        return int(a["value"])
    if a["kind"] == "f32":
        return float(a["value"])
    t, shape, rnd = a["type"], list(a["shape"]), a.get("random", True)
    ints = {"i8": torch.int8, "i32": torch.int32, "i64": torch.int64}
    if "values" in a:     # given values (e.g. linear_fp4_grouped's groups)
        return torch.tensor(a["values"], dtype=ints[t], device=dev).reshape(shape)
    floats = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}
    if t in ints:
        if not rnd:
            return torch.zeros(shape, dtype=ints[t], device=dev)
        return torch.randint(a.get("lo", 0), a.get("hi", 15) + 1, shape, dtype=ints[t], device=dev)
    if t == "i1":
        return torch.randint(0, 2, shape, device=dev).bool()
    if t == "f4E2M1FN":   # two e2m1 codes per byte along the last dimension
        return torch.randint(0, 256, shape[:-1] + [(shape[-1] + 1) // 2], dtype=torch.uint8, device=dev)
    if t == "f8E8M0FNU":  # powers of two 2^-7 .. 2^7, as the runtime fills them
        return torch.randint(120, 135, shape, dtype=torch.uint8, device=dev)
    u = torch.rand(shape, device=dev) * 2 - 1 if rnd else torch.zeros(shape, device=dev)
    if t == "f8E4M3FN":
        return u.to(FP8) if FP8 is not None else u.to(torch.bfloat16)
    return u.to(floats[t])


def e8m0(s):
    return torch.exp2(s.float() - 127)


def mm_f32(a, b):
    """a [m, k] @ b[n, k]^T with an f32 result from bf16 operands."""
    if MM_OUT_F32:
        return torch.mm(a, b.t(), out_dtype=torch.float32)
    return F.linear(a, b).float()


def probe_mm_out_f32(dev):
    try:
        a = torch.ones(16, 16, dtype=torch.bfloat16, device=dev)
        return torch.mm(a, a, out_dtype=torch.float32).dtype == torch.float32
    except Exception:
        return False


# --------------------------------------------------------------------------- peers
# Each peer takes the case's arguments (tensors and numbers, pack order) and returns
# (fn, tensor inputs of fn, note, flops). Scalars are closed over; tensors are inputs.
def peer_rmsnorm(a):
    x, w, _, _, _, eps = a
    def fn(x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.square().mean(-1, keepdim=True) + eps) * w.float()).bfloat16()
    return fn, (x, w), "f32 math", 0


def peer_swiglu(a):
    g, u, rw, _, m, n, nw, limit = a
    lim = limit if limit > 0 else float("inf")
    def fn(g, u, rw):
        h = F.silu(g.float().clamp(max=lim)) * u.float().clamp(-lim, lim)
        return (rw[:, None] * h if nw else h).bfloat16()
    return fn, (g, u, rw), "f32 math", 0


def scaled_mm(a, b, sa, sb):
    r = torch._scaled_mm(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16)
    return r[0] if isinstance(r, tuple) else r


def peer_act_quant(a):
    x, _, _, m, k = a
    def fn(x):
        xb = x.float().unflatten(-1, (k // 128, 128))
        amax = xb.abs().amax(-1, keepdim=True).clamp(min=1e-4)
        e = torch.ceil(torch.log2(amax / 448))
        q = (xb / torch.exp2(e)).clamp(-448, 448).flatten(-2)
        return (q.to(FP8) if FP8 is not None else q.bfloat16()), (e + 127).to(torch.uint8)
    return fn, (x,), "f32 math" + ("" if FP8 else " (no float8 dtype)"), 0


def dequant_x(x, xs):
    """e4m3 codes [m, k] times their 1x128 ue8m0 scales, as bf16."""
    m, k = x.shape
    return (x.float().view(m, k // 128, 128) * e8m0(xs)[:, :, None]).view(m, k).bfloat16()


def peer_linear_fp8(a):
    if len(a) == 8:   # linear_fp8_rows64: x, xs, w, ws, y, m, n, k
        x, xs, w, ws, _, m, n, k = a
    else:             # y, part, counters (split-k), splits
        x, xs, w, ws, _, _, _, m, n, k, _ = a
    flops = 2 * m * n * k
    if FP8 is not None and w.dtype == FP8 and x.is_cuda:
        # Per row of x and of W: the scale of its first block.
        sa_row = e8m0(xs[:, 0]).reshape(m, 1).contiguous()
        sb_row = e8m0(ws[:, 0]).repeat_interleave(128)[:n].reshape(1, n).contiguous()
        one = torch.ones((), device=x.device)
        for kind, sa, sb in (("rowwise", sa_row, sb_row), ("per-tensor", one, one)):
            def fn(x, w, sa, sb):
                return scaled_mm(x, w.t(), sa, sb)
            try:
                fn(x, w, sa, sb)
                return fn, (x, w, sa, sb), "torch._scaled_mm e4m3, %s scales" % kind, flops
            except Exception as e:
                log("  _scaled_mm %s: %s" % (kind, str(e).splitlines()[0][:100]))
    nb, kb = ws.shape   # W * S over 128x128 blocks (n, k multiples of 128 here)
    def fn(x, xs, w, ws):
        wd = w.float().view(nb, 128, kb, 128) * e8m0(ws)[:, None, :, None]
        return F.linear(dequant_x(x, xs), wd.view(n, k).bfloat16())
    what = "e4m3" if FP8 is not None and w.dtype == FP8 else "bf16 stand-in"
    return fn, (x, xs, w, ws), "no FP8 GEMM: %s x and W dequantised, bf16 F.linear" % what, flops


def peer_linear_fp4(a):
    x, xs, w, ws, _, m, n, k = a
    lut = torch.tensor(E2M1, dtype=torch.bfloat16, device=x.device)
    def fn(x, xs, w, ws, lut):
        codes = torch.stack((w & 15, w >> 4), -1).view(n, k // 32, 32).long()
        wd = lut[codes] * e8m0(ws)[:, :, None].bfloat16()
        return F.linear(dequant_x(x, xs), wd.view(n, k))
    return (fn, (x, xs, w, ws, lut), "W uint8 e2m1 dequantised (16-entry LUT, 1x32 scales) "
            "and x (e4m3, 1x128 scales) each call, bf16 F.linear", 2 * m * n * k)


def peer_matmul_bf16(a, f32_out=False):
    x, w, _, m, n, k, ldx, ldy = a[:8]  # then part, splits (split-k)
    groups = w.shape[0] // n
    def fn(x, w):
        if groups == 1:
            y = F.linear(x[:, :k], w)
        else:
            y = torch.einsum("mgk,gnk->mgn", x[:, :groups * k].reshape(m, groups, k),
                             w.view(groups, n, k)).reshape(m, groups * n)
        return y.float() if f32_out else y
    return fn, (x, w), "bf16 F.linear" + (", widened to f32" if f32_out else ""), 2 * m * n * k * groups


def peer_head(a):
    xn, w, _, m, d, v = a
    def fn(xn, w):
        return mm_f32(xn, w)
    how = "torch.mm out_dtype=f32" if MM_OUT_F32 else "bf16 logits widened to f32"
    return fn, (xn, w), "bf16 GEMM, " + how, 2 * m * d * v


def peer_greedy_part(a):
    """The whole greedy choice (greedy_part + greedy_token's rows together)."""
    logits, _, _, m, v = a
    def fn(logits):
        return torch.argmax(logits.nan_to_num(nan=float("-inf")), dim=1).to(torch.int32)
    return fn, (logits,), "argmax over NaN-cleaned logits (both greedy kernels)", 0


def peer_sample_part(a):
    """The whole temperature/top-p choice (sample_part + sample_token's rows
    together), as serving stacks do it: softmax, a sort of the row, the
    nucleus by cumulative sum, the draw's token by searchsorted."""
    logits, par = a[0], a[1]
    def fn(logits, par):
        x = logits.nan_to_num(nan=float("-inf"))
        p = torch.softmax(x / par[:, 0:1].clamp_min(0.05), dim=-1)
        sp, si = torch.sort(p, dim=-1, descending=True)
        c = torch.cumsum(sp, dim=-1)
        sp = sp * ((c - sp) < par[:, 1:2])
        cc = torch.cumsum(sp, dim=-1)
        j = torch.searchsorted(cc, (par[:, 2:3] * cc[:, -1:]).contiguous())
        return si.gather(1, j.clamp_max(p.shape[1] - 1)).to(torch.int32)
    return fn, (logits, par), "softmax, sort, cumsum, searchsorted (both sample kernels)", 0


def peer_embedding(a):
    table, ids, _, n, dim, copies = a
    def fn(table, ids):
        rows = F.embedding(ids.clamp(min=0), table) * (ids >= 0)[:, None].to(table.dtype)
        return rows.unsqueeze(1).repeat(1, copies, 1)
    return fn, (table, ids), "F.embedding + repeat", 0


def peer_sparse_attention(a):
    # then splits and part: a split launch's first half (its slices' states)
    q, kvn, kvr, kvs, pages, sink, idx, _, m, n, h, topk, scale = a[:13]
    b, hd = q.shape[0], q.shape[-1]
    entry = kvn.shape[-1]                                              # 584 bytes
    def fn(q, kvn, kvr, kvs, pages, sink, idx):
        ids = idx.clamp(min=0).long()                                  # [b, m, topk]
        pg = pages.long().gather(1, (ids // 64).view(b, -1)).view_as(ids)
        phys = (pg * 64 + ids % 64).view(-1)
        nope = kvn.view(-1, entry)[phys, :448].float()                 # e4m3 codes
        sc = e8m0(kvs.view(-1, entry)[phys, 576:583]).repeat_interleave(64, -1)
        rope = kvr.view(-1, entry // 2)[phys, 224:288]
        kvg = torch.cat(((nope * sc).bfloat16(), rope), -1).view(b, m, topk, hd)
        s = torch.einsum("bmhd,bmtd->bmht", q, kvg).float() * scale
        s = s.masked_fill((idx < 0)[:, :, None, :], float("-inf"))
        s = torch.cat((s, sink.view(1, 1, h, 1).expand(b, m, h, 1)), -1)
        p = torch.softmax(s, -1)[..., :topk]
        return torch.einsum("bmht,bmtd->bmhd", p.bfloat16(), kvg)
    return (fn, (q, kvn, kvr, kvs, pages, sink, idx),
            "gather 584-B paged entries, dequantise, bf16 GEMMs + softmax with sink",
            2 * 2 * b * m * h * topk * hd)


def peer_rope(a):
    x, tab, s, nh, hd, rd, starts, pstep, inverse, _ = a
    # Row i of batch entry b at starts[b] + i * pstep: [b, s].
    pos = starts.long()[:, None] + torch.arange(s, device=x.device) * pstep
    def fn(x, tab, pos):
        c, sn = tab[pos, :, 0][:, :, None], tab[pos, :, 1][:, :, None]
        sn = -sn if inverse else sn
        xr = x[..., hd - rd:].float().unflatten(-1, (rd // 2, 2))
        xe, xo = xr[..., 0], xr[..., 1]
        y = torch.stack((xe * c - xo * sn, xe * sn + xo * c), -1).flatten(-2)
        x[..., hd - rd:] = y.bfloat16()
        return x
    return fn, (x, tab, pos), "in place, f32 math", 0


def peer_moe_gate(a):
    # dsv4c's gate is two launches: matmul_bf16_f32 (the logits; its own row,
    # matmul_bf16_f32_64x256x4096...) and moe_gate (the routing): this peer is
    # the whole gate, so compare it with the sum of the two rows.
    logits, bias, tid2eid, ids, _, _, m, e, hsh, route_scale = a
    d = 4096
    x = torch.randn(m, d, device=logits.device).bfloat16()
    wg = (torch.randn(e, d, device=logits.device) * 0.02).bfloat16()
    def fn(x, wg, bias, tid2eid, ids):
        s = F.softplus(mm_f32(x, wg)).sqrt()
        idx = tid2eid[ids] if hsh else torch.topk(s + bias, 6, dim=-1).indices
        w = s.gather(1, idx)
        return w / w.sum(-1, keepdim=True) * route_scale, idx.int()
    return (fn, (x, wg, bias, tid2eid, ids),
            "bf16 GEMM (f32 out) + softplus + topk (vs matmul_bf16_f32 + moe_gate)", 2 * m * d * e)


def peer_kv_pack(a):
    x, slots, kvn, kvr, kvs, rows, ld = a
    entry = kvn.shape[-1]
    def fn(x, slots, kvn, kvr, kvs):
        xb = x[:, :448].float().unflatten(-1, (7, 64))
        amax = xb.abs().amax(-1, keepdim=True).clamp(min=1e-4)
        s = torch.ceil(torch.log2(amax / 448))
        q = (xb / torch.exp2(s)).clamp(-448, 448).flatten(-2)
        sl = slots.long()
        kvn.view(-1, entry)[sl, :448] = q.to(kvn.dtype)
        kvs.view(-1, entry)[sl, 576:583] = (s.squeeze(-1) + 127).to(kvs.dtype)
        kvr.view(-1, entry // 2)[sl, 224:288] = x[:, 448:512]
        return kvn
    return (fn, (x, slots, kvn, kvr, kvs),
            "quantise + scatter into 584-B entries" + ("" if FP8 else " (no float8 dtype)"), 0)


def peer_mhc_pre(a):
    # dsv4c splits hc_pre in two launches (mhc_mix: the 24 mixes' partial
    # sums over 32 slices of 4D; mhc_pre: the rest): this peer is the whole
    # of hc_pre, so compare it with the sum of the two rows.
    h, part, scale, base, _, _, _, n, d, norm_eps, hc_eps, iters = a
    fn_w = torch.randn(24, 4 * d, device=h.device) * 0.01
    def fn(h, fn_w, scale, base):
        xf = h.flatten(1).float()
        mix = (xf @ fn_w.t()) * torch.rsqrt(xf.square().mean(-1, keepdim=True) + norm_eps)
        pre = torch.sigmoid(mix[:, :4] * scale[0] + base[:4]) + hc_eps
        post = 2 * torch.sigmoid(mix[:, 4:8] * scale[1] + base[4:8])
        comb = (mix[:, 8:] * scale[2] + base[8:]).view(-1, 4, 4).softmax(-1) + hc_eps
        comb = comb / (comb.sum(-2, keepdim=True) + hc_eps)
        for _ in range(iters - 1):
            comb = comb / (comb.sum(-1, keepdim=True) + hc_eps)
            comb = comb / (comb.sum(-2, keepdim=True) + hc_eps)
        return (pre[:, :, None] * h.float()).sum(1).bfloat16(), post, comb
    return fn, (h, fn_w, scale, base), "reference hc_pre, f32 (vs mhc_mix + mhc_pre)", 0


def peer_indexer_topk(a):
    q, k, w, _, _, starts, s, nh, nkeys, topk, ratio, _, _, wscale = a[:14]  # then splits, part
    # Batch entry b's keys are its own rows here (the pack's are a row range
    # of one buffer: the same bytes read); query i sees entries
    # t < min(nkeys, (starts[b] + i + 1) // ratio).
    pos = starts.long()[:, None] + torch.arange(s, device=q.device)
    vis = torch.clamp((pos + 1) // ratio, max=nkeys)
    t = torch.arange(k.shape[1], device=q.device)
    hidden = t[None, None, :] >= vis[:, :, None]
    def fn(q, k, w, hidden):
        sc = torch.einsum("bshd,btd->bsht", q, k).relu()
        ws = (w.float() * wscale).bfloat16()
        score = (sc * ws[..., None]).bfloat16().float().sum(2).bfloat16().float()
        return score.masked_fill(hidden, float("-inf")).topk(topk, dim=-1).indices
    flops = 2 * q.shape[0] * s * nh * k.shape[1] * 128
    return fn, (q, k, w, hidden), "bf16 einsum, f32 sum, torch.topk", flops


PEERS = {"v4.rmsnorm": peer_rmsnorm, "v4.swiglu": peer_swiglu,
         "v4.act_quant": peer_act_quant,
         "v4.linear_fp8": peer_linear_fp8, "v4.linear_fp8_rows64": peer_linear_fp8,
         "v4.linear_fp4": peer_linear_fp4,
         "v4.matmul_bf16": peer_matmul_bf16,
         "v4.matmul_bf16_f32": lambda a: peer_matmul_bf16(a, True),
         "v4.head": peer_head,
         "v4.greedy_part": peer_greedy_part, "v4.sample_part": peer_sample_part,
         "v4.embedding": peer_embedding,
         "v4.sparse_attention": peer_sparse_attention, "v4.rope": peer_rope,
         "v4.moe_gate": peer_moe_gate, "v4.kv_pack": peer_kv_pack,
         "v4.mhc_pre": peer_mhc_pre, "v4.indexer_topk": peer_indexer_topk}


def moved_bytes(op, a, allocated):
    """Bytes the kernel must move where that is far from its buffers' sizes: the
    gathers read only the indexed rows, the in-place kernels read and write."""
    if op == "v4.embedding":
        table, ids, _, n, dim, copies = a
        return n * 8 + n * dim * 2 * (1 + copies)
    if op == "v4.sparse_attention":
        q, kvn, kvr, kvs, pages, sink, idx, _, m, n, h, topk, _ = a[:13]
        b = q.shape[0]
        return (2 * q.numel() * 2 + idx.numel() * 4 + h * 4 + pages.numel() * 4
                + b * min(n, m * topk) * kvn.shape[-1])
    if op == "v4.rope":
        x, tab, s, nh, hd, rd, *_ = a
        return 2 * x.shape[0] * s * nh * rd * 2 + s * rd * 4
    if op == "v4.linear_fp4_grouped":
        # Only the experts the groups name are read, not the whole stack.
        x, xs, w, ws, y, groups, part, sem, n, k, rows, splits = a
        experts = groups.view(-1, 3)[:, 0].unique().numel()
        return (x.numel() + xs.numel() + y.numel() * 2
                + experts * n * (k // 2 + (k + 31) // 32))
    if op == "v4.kv_pack":
        x, slots, kvn, kvr, kvs, rows, ld = a
        return rows * (512 * 2 + 4 + kvn.shape[-1])
    return allocated


# --------------------------------------------------------------------------- timing
def time_us(fn, inputs, dev, warmup, iters):
    """Microseconds of one call: on cuda, CUDA events around `iters` calls
    queued back to back (launch cost hidden, as dsv4c's "us" column), the
    median of 5 such batches; on cpu, the median call by perf_counter."""
    for _ in range(warmup):
        fn(*inputs)
    times = []
    if dev == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        for _ in range(5):
            start.record()
            for _ in range(iters):
                fn(*inputs)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) * 1e3 / iters)
    else:
        for _ in range(iters):
            t0 = time.perf_counter()
            fn(*inputs)
            times.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(times)


def measure_limits(dev, args):
    """Copy bandwidth (GB/s), bf16 and fp8 matmul peaks (TFLOPS), launch+sync floor (us)."""
    out = {}
    nbytes = (args.copy_mib or (1024 if dev == "cuda" else 64)) << 20
    src = torch.empty(nbytes, dtype=torch.uint8, device=dev).fill_(1)
    dst = torch.empty_like(src)
    out["hbm_gbps"] = 2 * nbytes / time_us(dst.copy_, (src,), dev, 3, 10) * 1e-3
    del src, dst
    sz = args.mm_size or (8192 if dev == "cuda" else 1024)
    a = torch.randn(sz, sz, device=dev).to(torch.bfloat16)
    b = torch.randn(sz, sz, device=dev).to(torch.bfloat16)
    out["bf16_tflops"] = 2 * sz ** 3 / time_us(torch.matmul, (a, b), dev, 3, 10) * 1e-6
    out["fp8_tflops"] = None
    if FP8 is not None and dev == "cuda":
        try:
            one = torch.ones((), device=dev)
            a8, b8 = a.to(FP8), b.to(FP8).t().contiguous().t()
            us = time_us(scaled_mm, (a8, b8, one, one), dev, 3, 10)
            out["fp8_tflops"] = 2 * sz ** 3 / us * 1e-6
        except Exception as e:
            log("fp8 peak not measured: %s" % str(e).splitlines()[0][:100])
    del a, b
    if dev == "cuda":   # what one tiny launch + synchronize costs on the host
        t, times = torch.zeros(1, device=dev), []
        for i in range(50):
            t0 = time.perf_counter()
            t.add_(1)
            torch.cuda.synchronize()
            times.append((time.perf_counter() - t0) * 1e6)
        out["launch_sync_us"] = statistics.median(times[5:])
        torch.cuda.empty_cache()
    return out


# --------------------------------------------------------------------------- main
def load_dsv4c(path):
    if not path:
        return {}, None
    if not os.path.exists(path):
        log("%s: no such file; the dsv4c columns print '-'" % path)
        return {}, None
    with open(path) as f:
        j = json.load(f)
    return {c["name"]: c for c in j.get("cases", [])}, j


def run_case(c, ours, dev, args, lim):
    r = {"name": c["name"], "op": c["op"], "dsv4c_us": ours.get("us"),
         "dsv4c_min_us": ours.get("min_us"), "eager_us": None, "compile_us": None,
         "peer": "no peer", "flops": 0}
    r["bytes"] = ours.get("bytes") or sum(storage_bytes(a) for a in c["args"] if a["kind"] == "buffer")
    peer = PEERS.get(c["op"])
    if (c["op"] == "v4.sparse_attention" and len(c["args"]) > 13
            and c["args"][13].get("value", 1) > 1):
        # The first half of a split launch: the peer would time all of it.
        peer = None
        r["peer"] = "no peer: a split launch's first half (+ sparse_attention_combine)"
    if not peer and c["op"] == "v4.linear_fp4_grouped":
        # No torch peer, but the limit needs the bytes its groups read.
        torch.manual_seed(0)
        vals = [make_arg(a, dev) for a in c["args"]]
        r["moved_bytes"] = moved_bytes(c["op"], vals, r["bytes"])
        vals = None
    if peer:
        torch.manual_seed(0)
        try:
            vals = [make_arg(a, dev) for a in c["args"]]
            r["moved_bytes"] = moved_bytes(c["op"], vals, r["bytes"])
            fn, inputs, r["peer"], r["flops"] = peer(vals)
            vals = None
            r["eager_us"] = time_us(fn, inputs, dev, args.warmup, args.iters)
        except Exception as e:
            r["peer"] = "peer failed: %s" % str(e).splitlines()[0][:100]
            fn = None
        if fn and not args.no_compile and int(torch.__version__.split(".")[0]) >= 2:
            try:
                torch._dynamo.reset()
                mode = None if args.compile_mode == "default" else args.compile_mode
                cfn = torch.compile(fn, mode=mode)
                r["compile_us"] = time_us(cfn, inputs, dev, max(args.warmup, 2), args.iters)
            except Exception as e:
                r["compile_error"] = "compile failed: %s" % (str(e).strip().splitlines() or ["?"])[0][:80]
        fn = inputs = cfn = None
        if dev == "cuda":
            torch.cuda.empty_cache()
    r.setdefault("moved_bytes", r["bytes"])
    r["hbm_us"] = r["moved_bytes"] / (lim["hbm_gbps"] * 1e3)
    kind = MMA_OPS.get(c["op"])
    if kind == "fp8" and not lim.get("fp8_tflops"):
        kind = "bf16"   # no fp8 peak measured: the bf16 one
    r["tc_us"] = r["flops"] / (lim[kind + "_tflops"] * 1e6) if kind and r["flops"] else 0.0
    r["limit_us"] = max(r["hbm_us"], r["tc_us"])
    r["bound"] = "TC " + kind if r["tc_us"] > r["hbm_us"] else "HBM"
    return r


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def fmt2(v, unit=""):
    """Two significant digits below 10 (0.0031, 0.42, 3.1), whole numbers above."""
    return "-" if v is None else ("%.2g" if abs(v) < 10 else "%.0f") % v + unit


def print_table(rows, lim, dev_name, meta):
    print("V4 kernels at V4-Flash decode shapes on %s (torch %s); ratio > 1: dsv4c is faster"
          % (dev_name, torch.__version__))
    hdr = ("op", "case", "dsv4c us", "eager us", "compile us", "eager/dsv4c",
           "compile/dsv4c", "limit us", "bound", "% of limit")
    line = "%-20s %-44s %9s %9s %10s %11s %13s %9s %8s %10s"
    print(line % hdr)
    for r in rows:
        d = r["dsv4c_us"]
        ratio = lambda t: fmt2(t / d if t is not None and d else None)
        comp = r["compile_us"]
        print(line % (r["op"], r["name"][:44], fmt(d), fmt(r["eager_us"]),
                      "failed" if "compile_error" in r else fmt(comp),
                      ratio(r["eager_us"]), ratio(comp), fmt(r["limit_us"]), r["bound"],
                      fmt2(r["limit_us"] / d * 100 if d else None, "%")))
    print("\nlimit: max(bytes / copy bandwidth, flops / matmul peak); bytes: all buffer bytes, but\n"
          "  the gathered rows (embedding, sparse_attention) and read + write of the touched dims\n"
          "  (rope); peak: fp8 for linear_fp8 / linear_fp4, else bf16")
    print("peers:")
    seen = set()
    for r in rows:
        note = "  %-20s %s%s" % (r["op"], r["peer"],
                                 "; " + r["compile_error"] if "compile_error" in r else "")
        if note not in seen:
            seen.add(note)
            print(note)
    fp8 = lim.get("fp8_tflops")
    print("\nmeasured: copy %.0f GB/s, bf16 matmul %.1f TFLOPS, fp8 _scaled_mm %s TFLOPS%s"
          % (lim["hbm_gbps"], lim["bf16_tflops"], fmt(fp8),
             ", one launch + synchronize %.1f us" % lim["launch_sync_us"] if "launch_sync_us" in lim else ""))
    if meta:
        print("dsv4c: %s, %s launches queued back to back, one wait at the end (per launch)"
              % (meta.get("device", "?"), meta.get("iters", "?")))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pack_dir")
    p.add_argument("dsv4c_json", nargs="?")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-compile", action="store_true")
    p.add_argument("--compile-mode", default="default", help="torch.compile mode (default, reduce-overhead, ...)")
    p.add_argument("--json-out")
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    p.add_argument("--copy-mib", type=int, help="copy size for the bandwidth (default 1024; cpu 64)")
    p.add_argument("--mm-size", type=int, help="n of the n^3 peak matmuls (default 8192; cpu 1024)")
    args = p.parse_args(argv)
    if torch is None:
        print("cuda_v4_kernels.py: PyTorch is not installed (import torch failed)", file=sys.stderr)
        return 1
    dev = args.device
    warnings.filterwarnings("ignore", module="torch")   # inductor's performance hints
    if dev == "cuda" and not torch.cuda.is_available():
        print("cuda_v4_kernels.py: torch %s sees no CUDA device (--device cpu tests the peers "
              "on the CPU)" % torch.__version__, file=sys.stderr)
        return 1
    with open(os.path.join(args.pack_dir, "pack.json")) as f:
        pack = json.load(f)
    if pack.get("format") != "dsv4c-conformance-pack" or not pack.get("bench"):
        print("cuda_v4_kernels.py: %s is not a bench pack" % args.pack_dir, file=sys.stderr)
        return 1
    ours, meta = load_dsv4c(args.dsv4c_json)
    names = {c["name"] for c in pack["cases"]}
    spare = [c for c in ours.values() if c["name"] not in names]   # renamed: match by op

    def dsv4c_of(c):
        if c["name"] in ours:
            return ours[c["name"]]
        for o in spare:
            if o.get("op") == c["op"]:
                spare.remove(o)
                return o
        return {}
    global MM_OUT_F32
    MM_OUT_F32 = probe_mm_out_f32(dev)
    dev_name = torch.cuda.get_device_name() if dev == "cuda" else "cpu"
    log("measuring copy bandwidth and matmul peaks on %s" % dev_name)
    lim = measure_limits(dev, args)
    rows = []
    for c in pack["cases"]:
        log("%s (%s)" % (c["name"], c["op"]))
        with torch.no_grad():
            rows.append(run_case(c, dsv4c_of(c), dev, args, lim))
    print_table(rows, lim, dev_name, meta)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"device": dev_name, "torch": torch.__version__,
                       "dsv4c_device": meta.get("device") if meta else None,
                       "iters": args.iters, "warmup": args.warmup,
                       "compile_mode": None if args.no_compile else args.compile_mode,
                       **lim, "cases": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
