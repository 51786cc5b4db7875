"""Engram conditional memory for the V4 reference, written from the math of
deepseek-ai/Engram's engram_demo_v1.py (NgramHashMapping, MultiHeadEmbedding,
Engram.forward, ShortConv), independently of dsv4c's kernels.

The demo's module is stateless: it hashes and convolves a whole sequence.
The official generate loop feeds one token per decode step, so this module
keeps the sequence's compressed ids and gated values and recomputes the hash
and the convolution over the whole sequence at every step (no conv state),
then returns the rows of the new tokens.

Weights (layers.L.engram.*): embedding.weight [sum of primes, head dim],
key_proj.weight [hc*dim, E] (the demo's hc key projections stacked),
key_proj.bias [hc, dim], value_proj.weight [dim, E], value_proj.bias [dim],
norm1.weight / norm2.weight [hc, dim], conv.weight [hc*dim, K] (Conv1d's
[C, 1, K]), conv_norm.weight [hc, dim]. Tables (engram.safetensors, from
scripts/engram_tables.py): engram.lookup, engram.pad_id,
engram.layers.L.multipliers.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from v4_numerics import bf


def _is_prime(v):
    if v < 2:
        return False
    d = 2
    while d * d <= v:
        if v % d == 0:
            return False
        d += 1
    return True


def engram_primes(e):
    """calculate_vocab_size_across_layers: layer -> flat list of moduli."""
    seen, out = set(), {}
    for layer in e["layer_ids"]:
        primes = []
        for n in range(2, e["max_ngram_size"] + 1):
            start = e["engram_vocab_size"][n - 2] - 1
            for _ in range(e["n_head_per_ngram"]):
                p = start + 1
                while not _is_prime(p) or p in seen:
                    p += 1
                seen.add(p)
                primes.append(p)
                start = p
        out[layer] = primes
    return out


def _rms(x, eps):
    return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + eps)


class Engram:
    def __init__(self, w, prefix, cfg, layer_id):
        e = cfg.engram
        self.n = e["max_ngram_size"]
        self.heads = e["n_head_per_ngram"]
        self.k = e.get("kernel_size", 4)
        self.hc, self.dim = cfg.hc_mult, cfg.dim
        self.primes = engram_primes(e)[layer_id]
        self.offsets = np.cumsum([0] + self.primes[:-1]).astype(np.int64)
        self.mult = w.t["engram.layers.%d.multipliers" % layer_id].data.astype(np.int64)
        self.lookup = w.t["engram.lookup"].data.astype(np.int64)
        self.pad = int(w.t["engram.pad_id"].data[0])
        self.emb = w.plain(prefix + "embedding.weight")
        self.key_w = w.plain(prefix + "key_proj.weight")
        self.key_b = w.plain(prefix + "key_proj.bias")
        self.val_w = w.plain(prefix + "value_proj.weight")
        self.val_b = w.plain(prefix + "value_proj.bias")
        self.norm1 = w.plain(prefix + "norm1.weight")
        self.norm2 = w.plain(prefix + "norm2.weight")
        self.conv = w.plain(prefix + "conv.weight")
        self.conv_norm = w.plain(prefix + "conv_norm.weight")
        self.reset()

    def reset(self):
        self.ids = []
        self.values = None

    def _hashes(self):
        """_get_ngram_hashes over the whole sequence: [T, (N-1)*heads]."""
        x = np.asarray([self.ids], dtype=np.int64)
        t = x.shape[1]
        shifts = [x if k == 0 else
                  np.pad(x, ((0, 0), (k, 0)), constant_values=self.pad)[:, :t]
                  for k in range(self.n)]
        out = []
        for n in range(2, self.n + 1):
            mix = shifts[0] * self.mult[0]
            for k in range(1, n):
                mix = np.bitwise_xor(mix, shifts[k] * self.mult[k])
            for j in range(self.heads):
                out.append(mix % self.primes[(n - 2) * self.heads + j])
        return np.stack(out, axis=2)[0]

    def __call__(self, x, ids):
        """x: the residual streams [1, s, hc, dim]; ids [1, s] token ids."""
        s = ids.shape[1]
        self.ids += [int(self.lookup[t]) for t in ids[0].tolist()]
        hashed = torch.from_numpy(self._hashes()[-s:] + self.offsets)
        emb = self.emb[hashed].flatten(-2)                        # [s, E]
        key = (emb @ self.key_w.t()).view(s, self.hc, self.dim) + self.key_b
        val = emb @ self.val_w.t() + self.val_b                  # [s, dim]
        eps = torch.finfo(torch.float32).eps                      # nn.RMSNorm default
        nk = _rms(key, eps) * self.norm1
        nq = _rms(x[0], eps) * self.norm2
        g = (nk * nq).sum(-1) / math.sqrt(self.dim)
        g = g.abs().clamp_min(1e-6).sqrt() * g.sign()
        value = torch.sigmoid(g).unsqueeze(-1) * val.unsqueeze(1)  # [s, hc, dim]
        self.values = value if self.values is None else torch.cat([self.values, value])
        t = self.values.shape[0]
        c = self.hc * self.dim
        xn = (_rms(self.values, 1e-5) * self.conv_norm).reshape(t, c)
        y = F.conv1d(xn.t().unsqueeze(0), self.conv.unsqueeze(1),
                     padding=(self.k - 1) * self.n, dilation=self.n, groups=c)[..., :t]
        y = F.silu(y)[0].t().reshape(t, self.hc, self.dim)[-s:]
        return bf(x + (value + y).unsqueeze(0))
