#!/usr/bin/python3
"""An independent PyTorch (CPU, torch 1.13) reference of the DeepSeek-V4
forward pass, for checking dsv4c's logits.

It follows DeepSeek's official V4 inference code (model.py / kernel.py) op by
op, including its bf16 rounding points, with every tilelang kernel replaced by
plain torch of the same math (see README.md for the decisions the official
code leaves open). Batch size 1.

  v4_reference.py MODEL_DIR --tokens 1,2,3 --decode-steps N --dump-logits OUT.npy
                  [--greedy-feed | --feed 4,5,6] [--full-prefill]
                  [--dump-mtp-logits MTP.npy]

writes the float32 logits of the prefill's last position and of each decode
step as a [1+N, vocab] .npy. Progress goes to stderr.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import v4_numerics as nx  # noqa: E402
from v4_numerics import bf  # noqa: E402
from engram_reference import Engram  # noqa: E402

FP8_BLOCK = 128   # activation block of fp8_gemm / fp4_gemm inputs
FP4_BLOCK = 32    # indexer fp4 simulation block
KV_QUANT_BLOCK = 64  # act_quant(kv[..., :-rd], 64, ..., inplace=True)
ATTN_KEY_BLOCK = 64  # sparse_attn kernel: keys per online-softmax block


def f32(v):
    """A Python float as the float32 scalar the GPU kernels would use."""
    return torch.tensor(v, dtype=torch.float32)


# ---------------------------------------------------------------------------
# Configuration (HF config.json names, or the official ModelArgs names).
# ---------------------------------------------------------------------------
class Config:
    def __init__(self, j):
        def get(hf, args_name, default=None):
            if hf in j:
                return j[hf]
            if args_name in j:
                return j[args_name]
            if default is None:
                raise KeyError("config.json has neither %s nor %s" % (hf, args_name))
            return default

        self.dim = get("hidden_size", "dim")
        self.n_layers = get("num_hidden_layers", "n_layers")
        self.n_heads = get("num_attention_heads", "n_heads")
        self.head_dim = get("head_dim", "head_dim")
        self.rope_head_dim = get("qk_rope_head_dim", "rope_head_dim")
        self.q_lora_rank = get("q_lora_rank", "q_lora_rank")
        self.o_groups = get("o_groups", "o_groups")
        self.o_lora_rank = get("o_lora_rank", "o_lora_rank")
        self.moe_inter_dim = get("moe_intermediate_size", "moe_inter_dim")
        self.n_routed_experts = get("n_routed_experts", "n_routed_experts")
        self.n_shared_experts = get("n_shared_experts", "n_shared_experts", 1)
        self.n_activated_experts = get("num_experts_per_tok", "n_activated_experts")
        self.n_hash_layers = get("num_hash_layers", "n_hash_layers", 0)
        self.score_func = get("scoring_func", "score_func", "sqrtsoftplus")
        self.route_scale = float(get("routed_scaling_factor", "route_scale", 1.0))
        self.window_size = get("sliding_window", "window_size")
        self.compress_ratios = list(get("compress_ratios", "compress_ratios"))
        self.compress_rope_theta = float(get("compress_rope_theta", "compress_rope_theta"))
        self.rope_theta = float(get("rope_theta", "rope_theta"))
        rs = j.get("rope_scaling") or {}
        if rs:
            self.rope_factor = float(rs.get("factor", 40))
            self.original_seq_len = int(rs.get("original_max_position_embeddings", 0))
            self.beta_fast = float(rs.get("beta_fast", 32))
            self.beta_slow = float(rs.get("beta_slow", 1))
        else:
            self.rope_factor = float(j.get("rope_factor", 40))
            self.original_seq_len = int(j.get("original_seq_len", 0))
            self.beta_fast = float(j.get("beta_fast", 32))
            self.beta_slow = float(j.get("beta_slow", 1))
        self.index_n_heads = get("index_n_heads", "index_n_heads")
        self.index_head_dim = get("index_head_dim", "index_head_dim")
        self.index_topk = get("index_topk", "index_topk")
        self.hc_mult = get("hc_mult", "hc_mult")
        self.hc_sinkhorn_iters = get("hc_sinkhorn_iters", "hc_sinkhorn_iters", 20)
        self.hc_eps = float(get("hc_eps", "hc_eps", 1e-6))
        self.swiglu_limit = float(get("swiglu_limit", "swiglu_limit", 0.0))
        self.n_mtp_layers = get("num_nextn_predict_layers", "n_mtp_layers", 0)
        self.norm_eps = float(get("rms_norm_eps", "norm_eps", 1e-6))
        self.vocab_size = get("vocab_size", "vocab_size")
        self.engram = j.get("engram")  # engram_reference.py
        assert self.n_shared_experts == 1, "the official code supports one shared expert"
        assert len(self.compress_ratios) >= self.n_layers + self.n_mtp_layers
        assert self.score_func in ("softmax", "sigmoid", "sqrtsoftplus")


# ---------------------------------------------------------------------------
# Weights.
# ---------------------------------------------------------------------------
class Weights:
    def __init__(self, model_dir):
        self.t = nx.read_checkpoint(model_dir)

    def has(self, name):
        return name in self.t

    def plain(self, name):
        return self.t[name].float()

    def int64(self, name):
        return self.t[name].int64()

    def linear(self, prefix, out_f, in_f):
        return Linear(self, prefix, out_f, in_f)

    def dense(self, prefix):
        """A linear that the official code keeps in bf16 (wo_a, which the
        official converter dequantises from FP8): bf16 values as float32."""
        w = self.t[prefix + ".weight"]
        if w.dtype == "F8_E4M3":
            return bf(nx.dequant_fp8_weight(w.data, self.t[prefix + ".scale"].data))
        return w.float()


class Linear:
    """official `linear`: FP8/FP4 weights take act_quant(x, 128) inputs and
    fp32 accumulation (fp8_gemm / fp4_gemm), bf16 weights take x as is; all
    write bf16."""

    def __init__(self, w, prefix, out_f, in_f):
        rec = w.t[prefix + ".weight"]
        if rec.dtype == "F8_E4M3":
            self.kind = "fp8"
            self.w = nx.dequant_fp8_weight(rec.data, w.t[prefix + ".scale"].data)
        elif rec.dtype == "I8":
            self.kind = "fp4"
            self.w = nx.dequant_fp4_weight(rec.data, w.t[prefix + ".scale"].data)
        elif rec.dtype in ("BF16", "F32", "F16"):
            self.kind = "bf16"
            self.w = bf(rec.float())
        else:
            raise ValueError("%s.weight: unsupported dtype %s" % (prefix, rec.dtype))
        assert list(self.w.shape) == [out_f, in_f], (prefix, self.w.shape, out_f, in_f)

    def __call__(self, x):
        if self.kind != "bf16":
            x = nx.quant_dequant_act(x, FP8_BLOCK)
        return bf(torch.matmul(x, self.w.t()))


def rmsnorm(x, weight, eps):
    """official RMSNorm: fp32 inside, output in the input's dtype (bf16)."""
    var = x.square().mean(-1, keepdim=True)
    return bf(weight * (x * torch.rsqrt(var + eps)))


# ---------------------------------------------------------------------------
# RoPE (interleaved pairs, complex multiply in fp32, result stored bf16).
# ---------------------------------------------------------------------------
def precompute_freqs_cis(dim, seqlen, original_seq_len, base, factor, beta_fast, beta_slow):
    def correction_dim(num_rot):
        return dim * math.log(original_seq_len / (num_rot * 2 * math.pi)) / (2 * math.log(base))

    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    if original_seq_len > 0:
        low = max(math.floor(correction_dim(beta_fast)), 0)
        high = min(math.ceil(correction_dim(beta_slow)), dim - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        smooth = 1 - ramp
        freqs = freqs / factor * (1 - smooth) + freqs * smooth
    t = torch.arange(seqlen)
    freqs = torch.outer(t, freqs)
    return torch.polar(torch.ones_like(freqs), freqs)


def apply_rope(x, cis, inverse=False):
    """x [b, s, (h,) rd] (bf16 values), cis [s, rd/2] complex64."""
    if inverse:
        cis = cis.conj()
    xc = torch.view_as_complex(x.contiguous().unflatten(-1, (-1, 2)))
    if x.dim() == 4:
        cis = cis.view(1, xc.size(1), 1, xc.size(-1))
    else:
        cis = cis.view(1, xc.size(1), xc.size(-1))
    return bf(torch.view_as_real(xc * cis).flatten(-2))


def rope_tail(x, cis, rd, inverse=False):
    return torch.cat([x[..., :-rd], apply_rope(x[..., -rd:], cis, inverse)], dim=-1)


# ---------------------------------------------------------------------------
# Sparse attention (official sparse_attn kernel: gather by index, -1 skipped,
# online softmax over blocks of 64 keys with the probabilities rounded to bf16
# before P@V, per-head sink logit in the denominator).
# ---------------------------------------------------------------------------
def sparse_attn(q, kv, sink, idx, scale):
    """q [b,s,h,d], kv [b,n,d], sink [h], idx [b,s,k] int64 -> o [b,s,h,d]."""
    b, s, h, d = q.shape
    k = idx.shape[-1]
    valid = idx >= 0
    gather = idx.clamp(min=0)
    kvg = torch.stack([kv[i][gather[i]] for i in range(b)])  # [b,s,k,d]
    kvg = torch.where(valid.unsqueeze(-1), kvg, torch.zeros((), dtype=kvg.dtype))
    scale = f32(scale)
    m = torch.full((b, s, h), float("-inf"))
    l = torch.zeros((b, s, h))
    acc = torch.zeros((b, s, h, d))
    for start in range(0, k, ATTN_KEY_BLOCK):
        blk = slice(start, min(start + ATTN_KEY_BLOCK, k))
        kb = kvg[:, :, blk]                                  # [b,s,B,d]
        sc = torch.einsum("bshd,bstd->bsht", q, kb)          # fp32 accumulate
        sc = torch.where(valid[:, :, blk].unsqueeze(2), sc, torch.tensor(float("-inf")))
        sc = sc * scale
        m_new = torch.maximum(m, sc.amax(-1))
        corr = torch.exp(m - m_new)
        p = torch.exp(sc - m_new.unsqueeze(-1))
        l = l * corr + p.sum(-1)
        acc = acc * corr.unsqueeze(-1) + torch.einsum("bsht,bstd->bshd", bf(p), kb)
        m = m_new
    l = l + torch.exp(sink.view(1, 1, h) - m)
    return bf(acc / l.unsqueeze(-1))


# ---------------------------------------------------------------------------
# Window / compressed index lists (official get_window_topk_idxs,
# get_compress_topk_idxs).
# ---------------------------------------------------------------------------
def window_idxs(win, seqlen, start_pos):
    if start_pos >= win - 1:
        p = start_pos % win
        m = torch.cat([torch.arange(p + 1, win), torch.arange(0, p + 1)])
    elif start_pos > 0:
        m = F.pad(torch.arange(start_pos + 1), (0, win - start_pos - 1), value=-1)
    else:
        base = torch.arange(seqlen).unsqueeze(1)
        m = (base - win + 1).clamp(0) + torch.arange(min(seqlen, win))
        m = torch.where(m > base, torch.tensor(-1), m)
    return m.view(1, -1, m.shape[-1]) if m.dim() == 2 else m.view(1, 1, -1)


def compress_idxs(ratio, seqlen, start_pos, offset):
    if start_pos > 0:
        return (torch.arange(0, (start_pos + 1) // ratio) + offset).view(1, 1, -1)
    m = torch.arange(seqlen // ratio).repeat(seqlen, 1)
    mask = m >= (torch.arange(1, seqlen + 1) // ratio).unsqueeze(1)
    return torch.where(mask, torch.tensor(-1), m + offset).unsqueeze(0)


def topk_desc(x, k):
    """Indices of the k largest entries along the last dim, largest first,
    ties to the smaller index (the official torch.topk leaves ties open)."""
    order = torch.sort(-x, dim=-1, stable=True)[1]
    return order[..., :k]


# ---------------------------------------------------------------------------
# Compressor (official Compressor: ratio 4 overlapping, otherwise plain).
# ---------------------------------------------------------------------------
class Compressor:
    def __init__(self, w, prefix, cfg, ratio, head_dim, rotate):
        self.ratio = ratio
        self.overlap = ratio == 4
        self.d = head_dim
        self.rd = cfg.rope_head_dim
        self.rotate = rotate
        self.eps = cfg.norm_eps
        coff = 2 if self.overlap else 1
        self.ape = w.plain(prefix + "ape")                    # [ratio, coff*d]
        self.wkv = w.plain(prefix + "wkv.weight")             # fp32 param from bf16
        self.wgate = w.plain(prefix + "wgate.weight")
        self.norm = w.plain(prefix + "norm.weight")
        assert list(self.ape.shape) == [ratio, coff * head_dim]
        self.coff = coff

    def reset(self, b=1):
        c, r, d = self.coff, self.ratio, self.d
        self.kv_state = torch.zeros(b, c * r, c * d)
        self.score_state = torch.full((b, c * r, c * d), float("-inf"))

    def _overlap_transform(self, t, value):
        b, s, _, _ = t.shape
        r, d = self.ratio, self.d
        out = torch.full((b, s, 2 * r, d), value)
        out[:, :, r:] = t[:, :, :, d:]
        out[:, 1:, :r] = t[:, :-1, :, :d]
        return out

    def __call__(self, x, start_pos, cache, cis):
        """x [b,s,dim] bf16 values; writes entries into cache [b, n, d];
        returns the new entries (prefill) or None."""
        b, seqlen, _ = x.shape
        r, d, rd = self.ratio, self.d, self.rd
        kv = torch.matmul(x, self.wkv.t())       # fp32, not rounded
        score = torch.matmul(x, self.wgate.t())
        if start_pos == 0:
            should = seqlen >= r
            rem = seqlen % r
            cutoff = seqlen - rem
            off = r if self.overlap else 0
            if self.overlap and cutoff >= r:
                self.kv_state[:, :r] = kv[:, cutoff - r:cutoff]
                self.score_state[:, :r] = score[:, cutoff - r:cutoff] + self.ape
            if rem > 0:
                self.kv_state[:, off:off + rem] = kv[:, cutoff:]
                self.score_state[:, off:off + rem] = score[:, cutoff:] + self.ape[:rem]
                kv = kv[:, :cutoff]
                score = score[:, :cutoff]
            kv = kv.unflatten(1, (-1, r))
            score = score.unflatten(1, (-1, r)) + self.ape
            if self.overlap:
                kv = self._overlap_transform(kv, 0.0)
                score = self._overlap_transform(score, float("-inf"))
            kv = (kv * score.softmax(dim=2)).sum(dim=2)
        else:
            should = (start_pos + 1) % r == 0
            score = score + self.ape[start_pos % r]
            if self.overlap:
                self.kv_state[:, r + start_pos % r] = kv.squeeze(1)
                self.score_state[:, r + start_pos % r] = score.squeeze(1)
                if should:
                    kvs = torch.cat([self.kv_state[:, :r, :d], self.kv_state[:, r:, d:]], dim=1)
                    scs = torch.cat([self.score_state[:, :r, :d], self.score_state[:, r:, d:]], dim=1)
                    kv = (kvs * scs.softmax(dim=1)).sum(dim=1, keepdim=True)
                    self.kv_state[:, :r] = self.kv_state[:, r:].clone()
                    self.score_state[:, :r] = self.score_state[:, r:].clone()
            else:
                self.kv_state[:, start_pos % r] = kv.squeeze(1)
                self.score_state[:, start_pos % r] = score.squeeze(1)
                if should:
                    kv = (self.kv_state * self.score_state.softmax(dim=1)).sum(dim=1, keepdim=True)
        if not should:
            return None
        kv = rmsnorm(bf(kv), self.norm, self.eps)
        if start_pos == 0:
            pos_cis = cis[:cutoff:r]
        else:
            pos_cis = cis[start_pos + 1 - r].unsqueeze(0)
        kv = rope_tail(kv, pos_cis, rd)
        if self.rotate:
            kv = nx.fake_quant_fp4(nx.rotate_activation(kv), FP4_BLOCK)
        else:
            kv = torch.cat([nx.fake_quant_fp8(kv[..., :-rd], KV_QUANT_BLOCK), kv[..., -rd:]], dim=-1)
        if start_pos == 0:
            cache[:, :seqlen // r] = kv
        else:
            cache[:, start_pos // r] = kv.squeeze(1)
        return kv


# ---------------------------------------------------------------------------
# Lightning indexer (CSA layers).
# ---------------------------------------------------------------------------
class Indexer:
    def __init__(self, w, prefix, cfg, ratio):
        self.nh = cfg.index_n_heads
        self.hd = cfg.index_head_dim
        self.rd = cfg.rope_head_dim
        self.topk = cfg.index_topk
        self.ratio = ratio
        self.wq_b = w.linear(prefix + "wq_b", self.nh * self.hd, cfg.q_lora_rank)
        self.weights_proj = w.linear(prefix + "weights_proj", self.nh, cfg.dim)  # bf16
        self.wscale = f32(self.hd ** -0.5 * self.nh ** -0.5)
        self.compressor = Compressor(w, prefix + "compressor.", cfg, ratio, self.hd, True)

    def reset(self, max_seq_len, b=1):
        self.kv_cache = torch.zeros(b, max_seq_len // self.ratio, self.hd)
        self.compressor.reset(b)

    def __call__(self, x, qr, start_pos, offset, cis_all):
        b, seqlen, _ = x.shape
        r, rd = self.ratio, self.rd
        end_pos = start_pos + seqlen
        cis = cis_all[start_pos:end_pos]
        q = self.wq_b(qr).unflatten(-1, (self.nh, self.hd))
        q = rope_tail(q, cis, rd)
        q = nx.fake_quant_fp4(nx.rotate_activation(q), FP4_BLOCK)
        self.compressor(x, start_pos, self.kv_cache, cis_all)
        weights = bf(self.weights_proj(x) * self.wscale)                # [b,s,nh] bf16
        keys = self.kv_cache[:, :end_pos // r]
        score = bf(torch.einsum("bshd,btd->bsht", q, keys))
        score = bf(torch.relu(score) * weights.unsqueeze(-1))
        score = bf(score.sum(dim=2))                                     # [b,s,t]
        if start_pos == 0:
            mask = torch.arange(seqlen // r).repeat(seqlen, 1) >= (torch.arange(1, seqlen + 1) // r).unsqueeze(1)
            score = score + torch.where(mask, torch.tensor(float("-inf")), torch.tensor(0.0))
        idx = topk_desc(score, min(self.topk, end_pos // r))
        if start_pos == 0:
            mask = idx >= (torch.arange(1, seqlen + 1) // r).unsqueeze(1)
            idx = torch.where(mask, torch.tensor(-1), idx + offset)
        else:
            idx = idx + offset
        return idx


# ---------------------------------------------------------------------------
# Attention.
# ---------------------------------------------------------------------------
class Attention:
    def __init__(self, w, prefix, cfg, ratio, max_seq_len):
        self.cfg = cfg
        self.h = cfg.n_heads
        self.hd = cfg.head_dim
        self.rd = cfg.rope_head_dim
        self.win = cfg.window_size
        self.ratio = ratio
        self.eps = cfg.norm_eps
        self.groups = cfg.o_groups
        self.o_rank = cfg.o_lora_rank
        self.sink = w.plain(prefix + "attn_sink")
        self.wq_a = w.linear(prefix + "wq_a", cfg.q_lora_rank, cfg.dim)
        self.q_norm = w.plain(prefix + "q_norm.weight")
        self.wq_b = w.linear(prefix + "wq_b", self.h * self.hd, cfg.q_lora_rank)
        self.wkv = w.linear(prefix + "wkv", self.hd, cfg.dim)
        self.kv_norm = w.plain(prefix + "kv_norm.weight")
        self.wo_a = w.dense(prefix + "wo_a").view(self.groups, self.o_rank, -1)
        self.wo_b = w.linear(prefix + "wo_b", cfg.dim, self.groups * self.o_rank)
        self.scale = self.hd ** -0.5
        self.compressor = self.indexer = None
        if ratio:
            self.compressor = Compressor(w, prefix + "compressor.", cfg, ratio, self.hd, False)
            if ratio == 4:
                self.indexer = Indexer(w, prefix + "indexer.", cfg, ratio)
            orig, theta = cfg.original_seq_len, cfg.compress_rope_theta
        else:
            orig, theta = 0, cfg.rope_theta  # no YaRN on pure sliding-window layers
        self.cis = precompute_freqs_cis(self.rd, max_seq_len, orig, theta, cfg.rope_factor,
                                        cfg.beta_fast, cfg.beta_slow)
        self.max_seq_len = max_seq_len

    def reset(self, b=1):
        n = self.win + (self.max_seq_len // self.ratio if self.ratio else 0)
        self.kv_cache = torch.zeros(b, n, self.hd)
        if self.compressor is not None:
            self.compressor.reset(b)
        if self.indexer is not None:
            self.indexer.reset(self.max_seq_len, b)

    def __call__(self, x, start_pos):
        b, seqlen, _ = x.shape
        win, ratio, rd = self.win, self.ratio, self.rd
        cis = self.cis[start_pos:start_pos + seqlen]
        qr = rmsnorm(self.wq_a(x), self.q_norm, self.eps)
        q = self.wq_b(qr).unflatten(-1, (self.h, self.hd))
        # q *= rsqrt(mean(q^2) + eps), every step in bf16 as the official code.
        ms = bf(bf(q.square()).mean(-1, keepdim=True))
        q = bf(q * bf(torch.rsqrt(bf(ms + self.eps))))
        q = rope_tail(q, cis, rd)

        kv = rmsnorm(self.wkv(x), self.kv_norm, self.eps)
        kv = rope_tail(kv, cis, rd)
        kv = torch.cat([nx.fake_quant_fp8(kv[..., :-rd], KV_QUANT_BLOCK), kv[..., -rd:]], dim=-1)
        idx = window_idxs(win, seqlen, start_pos)
        if ratio:
            offset = seqlen if start_pos == 0 else win
            if self.indexer is not None:
                cidx = self.indexer(x, qr, start_pos, offset, self.cis)
            else:
                cidx = compress_idxs(ratio, seqlen, start_pos, offset)
            idx = torch.cat([idx, cidx], dim=-1)

        comp_cache = self.kv_cache[:, win:]
        if start_pos == 0:
            if seqlen <= win:
                self.kv_cache[:, :seqlen] = kv
            else:
                cut = seqlen % win
                tail = kv[:, -win:]
                self.kv_cache[:, cut:win] = tail[:, :win - cut]
                self.kv_cache[:, :cut] = tail[:, win - cut:]
            kv_all = kv
            if ratio:
                kc = self.compressor(x, start_pos, comp_cache, self.cis)
                if kc is not None:
                    kv_all = torch.cat([kv, kc], dim=1)
            o = sparse_attn(q, kv_all, self.sink, idx, self.scale)
        else:
            self.kv_cache[:, start_pos % win] = kv.squeeze(1)
            if ratio:
                self.compressor(x, start_pos, comp_cache, self.cis)
            o = sparse_attn(q, self.kv_cache, self.sink, idx, self.scale)
        o = rope_tail(o, cis, rd, inverse=True)
        o = o.reshape(b, seqlen, self.groups, -1)
        o = bf(torch.einsum("bsgd,grd->bsgr", o, self.wo_a))
        return self.wo_b(o.flatten(2))


# ---------------------------------------------------------------------------
# MoE.
# ---------------------------------------------------------------------------
class Expert:
    def __init__(self, w, prefix, cfg):
        self.w1 = w.linear(prefix + "w1", cfg.moe_inter_dim, cfg.dim)
        self.w2 = w.linear(prefix + "w2", cfg.dim, cfg.moe_inter_dim)
        self.w3 = w.linear(prefix + "w3", cfg.moe_inter_dim, cfg.dim)
        self.limit = cfg.swiglu_limit

    def __call__(self, x, weights=None):
        gate = self.w1(x)
        up = self.w3(x)
        if self.limit > 0:
            up = torch.clamp(up, min=-self.limit, max=self.limit)
            gate = torch.clamp(gate, max=self.limit)
        h = F.silu(gate) * up
        if weights is not None:
            h = weights * h
        return self.w2(bf(h))


class MoE:
    def __init__(self, w, prefix, cfg, is_hash):
        self.cfg = cfg
        self.gate_w = w.plain(prefix + "gate.weight")
        self.is_hash = is_hash
        if is_hash:
            self.tid2eid = w.int64(prefix + "gate.tid2eid")
            self.bias = None
        else:
            self.tid2eid = None
            self.bias = w.plain(prefix + "gate.bias")
        self.experts = [Expert(w, prefix + "experts.%d." % e, cfg) for e in range(cfg.n_routed_experts)]
        self.shared = Expert(w, prefix + "shared_experts.", cfg)

    def __call__(self, x, ids):
        cfg = self.cfg
        shape = x.shape
        x = x.reshape(-1, cfg.dim)
        scores = torch.matmul(x, self.gate_w.t())
        if cfg.score_func == "softmax":
            scores = scores.softmax(dim=-1)
        elif cfg.score_func == "sigmoid":
            scores = scores.sigmoid()
        else:
            scores = F.softplus(scores).sqrt()
        original = scores
        if self.bias is not None:
            scores = scores + self.bias
        if self.is_hash:
            indices = self.tid2eid[ids.reshape(-1)]
        else:
            indices = topk_desc(scores, cfg.n_activated_experts)
        weights = original.gather(1, indices)
        if cfg.score_func != "softmax":
            weights = weights / weights.sum(dim=-1, keepdim=True)
        weights = weights * f32(cfg.route_scale)
        y = torch.zeros_like(x)
        for e in range(cfg.n_routed_experts):
            tok, slot = torch.where(indices == e)
            if tok.numel() == 0:
                continue
            y[tok] += self.experts[e](x[tok], weights[tok, slot, None])
        y = y + self.shared(x)
        return bf(y).view(shape)


# ---------------------------------------------------------------------------
# Blocks with manifold-constrained hyper-connections (mHC).
# ---------------------------------------------------------------------------
def hc_split_sinkhorn(mixes, scale, base, hc, iters, eps):
    pre = torch.sigmoid(mixes[..., :hc] * scale[0] + base[:hc]) + eps
    post = 2 * torch.sigmoid(mixes[..., hc:2 * hc] * scale[1] + base[hc:2 * hc])
    comb = (mixes[..., 2 * hc:] * scale[2] + base[2 * hc:]).unflatten(-1, (hc, hc))
    comb = comb.softmax(-1) + eps
    comb = comb / (comb.sum(-2, keepdim=True) + eps)
    for _ in range(iters - 1):
        comb = comb / (comb.sum(-1, keepdim=True) + eps)
        comb = comb / (comb.sum(-2, keepdim=True) + eps)
    return pre, post, comb


class Block:
    def __init__(self, w, prefix, cfg, layer_id, max_seq_len):
        self.cfg = cfg
        ratio = cfg.compress_ratios[layer_id]
        self.attn = Attention(w, prefix + "attn.", cfg, ratio, max_seq_len)
        self.ffn = MoE(w, prefix + "ffn.", cfg, layer_id < cfg.n_hash_layers)
        self.attn_norm = w.plain(prefix + "attn_norm.weight")
        self.ffn_norm = w.plain(prefix + "ffn_norm.weight")
        e = cfg.engram
        self.engram = (Engram(w, prefix + "engram.", cfg, layer_id)
                       if e and layer_id < cfg.n_layers and layer_id in e["layer_ids"]
                       else None)
        self.hc = {}
        for part in ("attn", "ffn"):
            self.hc[part] = (w.plain(prefix + "hc_%s_fn" % part),
                             w.plain(prefix + "hc_%s_scale" % part),
                             w.plain(prefix + "hc_%s_base" % part))

    def reset(self):
        self.attn.reset()
        if self.engram is not None:
            self.engram.reset()

    def hc_pre(self, x, part):
        fn, scale, base = self.hc[part]
        cfg = self.cfg
        xf = x.flatten(2)
        rs = torch.rsqrt(xf.square().mean(-1, keepdim=True) + cfg.norm_eps)
        mixes = torch.matmul(xf, fn.t()) * rs
        pre, post, comb = hc_split_sinkhorn(mixes, scale, base, cfg.hc_mult,
                                            cfg.hc_sinkhorn_iters, cfg.hc_eps)
        y = torch.sum(pre.unsqueeze(-1) * x, dim=2)
        return bf(y), post, comb

    @staticmethod
    def hc_post(x, residual, post, comb):
        y = post.unsqueeze(-1) * x.unsqueeze(-2) + \
            torch.sum(comb.unsqueeze(-1) * residual.unsqueeze(-2), dim=2)
        return bf(y)

    def __call__(self, x, start_pos, ids):
        if self.engram is not None:
            x = self.engram(x, ids)
        residual = x
        h, post, comb = self.hc_pre(x, "attn")
        h = self.attn(rmsnorm(h, self.attn_norm, self.cfg.norm_eps), start_pos)
        x = self.hc_post(h, residual, post, comb)
        residual = x
        h, post, comb = self.hc_pre(x, "ffn")
        h = self.ffn(rmsnorm(h, self.ffn_norm, self.cfg.norm_eps), ids)
        return self.hc_post(h, residual, post, comb)


def hc_head(x, fn, scale, base, norm_eps, hc_eps):
    xf = x.flatten(2)
    rs = torch.rsqrt(xf.square().mean(-1, keepdim=True) + norm_eps)
    mixes = torch.matmul(xf, fn.t()) * rs
    pre = torch.sigmoid(mixes * scale + base) + hc_eps
    return bf(torch.sum(pre.unsqueeze(-1) * x, dim=2))


class MTPBlock(Block):
    def __init__(self, w, prefix, cfg, layer_id, max_seq_len):
        super().__init__(w, prefix, cfg, layer_id, max_seq_len)
        self.e_proj = w.linear(prefix + "e_proj", cfg.dim, cfg.dim)
        self.h_proj = w.linear(prefix + "h_proj", cfg.dim, cfg.dim)
        self.enorm = w.plain(prefix + "enorm.weight")
        self.hnorm = w.plain(prefix + "hnorm.weight")
        self.norm = w.plain(prefix + "norm.weight")
        self.head_hc = (w.plain(prefix + "hc_head_fn"), w.plain(prefix + "hc_head_scale"),
                        w.plain(prefix + "hc_head_base"))


class Model:
    def __init__(self, model_dir, max_seq_len, log=None):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = cfg = Config(json.load(f))
        t0 = time.time()
        w = Weights(model_dir)
        self.max_seq_len = max_seq_len
        self.embed = w.plain("embed.weight")
        self.layers = []
        for i in range(cfg.n_layers):
            self.layers.append(Block(w, "layers.%d." % i, cfg, i, max_seq_len))
            if log:
                log("loaded layer %d/%d" % (i + 1, cfg.n_layers))
        self.norm = w.plain("norm.weight")
        self.head = w.plain("head.weight")          # fp32 param from bf16
        self.head_hc = (w.plain("hc_head_fn"), w.plain("hc_head_scale"), w.plain("hc_head_base"))
        self.mtp = [MTPBlock(w, "mtp.%d." % m, cfg, cfg.n_layers + m, max_seq_len)
                    for m in range(cfg.n_mtp_layers)]
        if log:
            log("weights ready in %.1fs" % (time.time() - t0))
        self.reset()

    def reset(self):
        for blk in self.layers + self.mtp:
            blk.reset()

    def _logits(self, x, hc, norm):
        cfg = self.cfg
        fn, scale, base = hc
        y = hc_head(x, fn, scale, base, cfg.norm_eps, cfg.hc_eps)
        y = rmsnorm(y, norm, cfg.norm_eps)
        return torch.matmul(y[:, -1], self.head.t())

    def forward(self, ids, start_pos):
        """ids [1, s] int64 -> (logits [1, vocab] fp32 of the last position,
        final hidden streams [1, s, hc, dim])."""
        cfg = self.cfg
        assert start_pos + ids.shape[1] <= self.max_seq_len
        h = self.embed[ids]
        h = h.unsqueeze(2).repeat(1, 1, cfg.hc_mult, 1)
        for layer in self.layers:
            h = layer(h, start_pos, ids)
        return self._logits(h, self.head_hc, self.norm), h

    def forward_mtp(self, h, start_pos, ids, k=0):
        """MTP block k: h the trunk's final streams at positions
        start_pos.., ids the tokens that follow them (ids[i] = token at
        position start_pos + i + 1) -> logits of the last position."""
        cfg = self.cfg
        blk = self.mtp[k]
        e = rmsnorm(self.embed[ids], blk.enorm, cfg.norm_eps)
        x = rmsnorm(h, blk.hnorm, cfg.norm_eps)
        x = bf(blk.e_proj(e).unsqueeze(2) + blk.h_proj(x))
        x = blk(x, start_pos, ids)
        return self._logits(x, blk.head_hc, blk.norm)


# ---------------------------------------------------------------------------
# Generation (official generate loop: prefill at start_pos 0, then one token
# per step at start_pos = its position, with caches).
# ---------------------------------------------------------------------------
def argmax_first(logits):
    return int(np.argmax(logits.numpy()))


def run(model, prompt, steps, feed=None, full_prefill=False, want_mtp=False, log=None):
    """Returns (logits [1+steps, vocab], tokens fed, mtp logits [steps, vocab] or None)."""
    tokens = list(prompt)
    out, mtp_out = [], []
    n = len(prompt)
    for step in range(steps + 1):
        t0 = time.time()
        if full_prefill:
            model.reset()
            logits, h = model.forward(torch.tensor([tokens]), 0)
            h_start = 0
        elif step == 0:
            logits, h = model.forward(torch.tensor([tokens]), 0)
            h_start = 0
        else:
            pos = len(tokens) - 1
            logits, h = model.forward(torch.tensor([[tokens[-1]]]), pos)
            h_start = pos
        out.append(logits[0].clone())
        if log:
            log("step %d/%d (%s, %d tokens): %.2fs, argmax %d" % (
                step, steps, "prefill" if step == 0 or full_prefill else "decode",
                len(tokens), time.time() - t0, argmax_first(logits[0])))
        if step == steps:
            break
        nxt = feed[step] if feed is not None else argmax_first(logits[0])
        if want_mtp and model.mtp:
            # The MTP sees the trunk's streams of the positions just run and
            # the tokens that follow them (the last one being `nxt`).
            follow = tokens[h_start + 1:] + [nxt]
            if full_prefill:
                for blk in model.mtp:
                    blk.reset()
            mtp_out.append(model.forward_mtp(h, h_start, torch.tensor([follow]))[0].clone())
        tokens.append(nxt)
    mtp = torch.stack(mtp_out) if mtp_out else None
    return torch.stack(out), tokens, mtp


def parse_ints(s):
    return [int(v) for v in s.replace(" ", "").split(",") if v != ""]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("--tokens", required=True, help="prompt token ids, comma separated")
    ap.add_argument("--decode-steps", type=int, default=0)
    ap.add_argument("--dump-logits", required=True, help="output .npy [1+N, vocab] float32")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--greedy-feed", action="store_true", help="feed the argmax token (default)")
    g.add_argument("--feed", help="decode inputs, comma separated (N of them)")
    ap.add_argument("--full-prefill", action="store_true",
                    help="recompute every step from scratch without caches")
    ap.add_argument("--dump-mtp-logits", help="output .npy [N, vocab]: MTP block 0's logits at each step")
    ap.add_argument("--dump-tokens", help="output .npy int64: prompt + fed tokens")
    ap.add_argument("--no-bf16", action="store_true",
                    help="diagnostic: skip the bf16 activation rounding points (fake-quant stays)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    a = ap.parse_args(argv)

    def log(msg):
        print("[v4_reference] " + msg, file=sys.stderr, flush=True)

    if a.threads:
        torch.set_num_threads(a.threads)
    nx.set_bf16_rounding(not a.no_bf16)
    prompt = parse_ints(a.tokens)
    if not prompt:
        ap.error("--tokens is empty")
    feed = parse_ints(a.feed) if a.feed else None
    if feed is not None and len(feed) < a.decode_steps:
        ap.error("--feed has %d tokens, --decode-steps needs %d" % (len(feed), a.decode_steps))
    max_seq_len = len(prompt) + a.decode_steps + 1
    model = Model(a.model_dir, max_seq_len, log)
    vocab = model.cfg.vocab_size
    for t in prompt + (feed or []):
        if not 0 <= t < vocab:
            ap.error("token %d outside the vocabulary [0, %d)" % (t, vocab))
    with torch.no_grad():
        logits, tokens, mtp = run(model, prompt, a.decode_steps, feed, a.full_prefill,
                                  bool(a.dump_mtp_logits), log)
    np.save(a.dump_logits, logits.numpy().astype(np.float32))
    log("wrote %s %s" % (a.dump_logits, tuple(logits.shape)))
    if a.dump_mtp_logits:
        if mtp is None:
            mtp = torch.zeros(0, vocab)
        np.save(a.dump_mtp_logits, mtp.numpy().astype(np.float32))
        log("wrote %s %s" % (a.dump_mtp_logits, tuple(mtp.shape)))
    if a.dump_tokens:
        np.save(a.dump_tokens, np.array(tokens, dtype=np.int64))
    return 0


if __name__ == "__main__":
    sys.exit(main())
