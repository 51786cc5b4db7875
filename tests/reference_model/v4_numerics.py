"""Number formats and quantisation for the DeepSeek-V4 PyTorch reference.

torch 1.13 (Debian's python3-torch) has bfloat16 but no float8/float4 dtypes,
so every low-precision format is decoded and rounded here by hand, from the
bit layouts:

  e4m3 (float8_e4m3fn): s eeee mmm, bias 7, no inf, 0x7F/0xFF NaN,
                        subnormals man * 2^-9, max 448.
  e8m0 (float8_e8m0fnu): 2^(code - 127), 0xFF NaN (scales only).
  e2m1 (float4_e2m1fn):  s ee m, codes 0..7 = 0 0.5 1 1.5 2 3 4 6, sign bit 3;
                        packed two per byte, low nibble = even element.

Activations are carried as float32 tensors holding bf16-representable values;
`bf()` is the rounding point wherever the official code stores bf16.

Also here: the safetensors reader (8-byte LE header length, JSON header, raw
data; sharded through model.safetensors.index.json) and the torch versions of
the official tilelang quantisation kernels (act_quant, fp4_act_quant).
"""
import json
import os
import struct

import numpy as np
import torch

# ---------------------------------------------------------------------------
# bf16 rounding switch (the CLI's --no-bf16 turns every activation rounding
# point into a no-op, for diagnosing; the default follows the official code).
# ---------------------------------------------------------------------------
_ROUND_BF16 = True


def set_bf16_rounding(enabled):
    global _ROUND_BF16
    _ROUND_BF16 = bool(enabled)


def bf(t):
    """Rounds float32 values to bf16 (round to nearest even), kept as float32."""
    if not _ROUND_BF16:
        return t
    return t.to(torch.bfloat16).to(torch.float32)


# ---------------------------------------------------------------------------
# Decoding lookup tables.
# ---------------------------------------------------------------------------
def _e4m3_value(code):
    s = -1.0 if code & 0x80 else 1.0
    e = (code >> 3) & 0xF
    m = code & 0x7
    if e == 0xF and m == 0x7:
        return float("nan")
    if e == 0:
        return s * m * 2.0 ** -9
    return s * (1.0 + m / 8.0) * 2.0 ** (e - 7)


def _e8m0_value(code):
    if code == 0xFF:
        return float("nan")
    return 2.0 ** (code - 127)


_E2M1_MAG = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def _e2m1_value(code):
    return (-1.0 if code & 0x8 else 1.0) * _E2M1_MAG[code & 0x7]


E4M3_LUT = torch.tensor([_e4m3_value(c) for c in range(256)], dtype=torch.float32)
E8M0_LUT = torch.tensor([_e8m0_value(c) for c in range(256)], dtype=torch.float32)
E2M1_LUT = torch.tensor([_e2m1_value(c) for c in range(16)], dtype=torch.float32)


def _as_codes(t):
    """uint8 codes as an int64 index tensor (accepts numpy or torch, int8/uint8)."""
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(np.array(t).view(np.uint8))
    elif t.dtype == torch.int8:
        t = t.view(torch.uint8)
    return t.to(torch.int64)


def decode_e4m3(codes):
    return E4M3_LUT[_as_codes(codes)]


def decode_e8m0(codes):
    return E8M0_LUT[_as_codes(codes)]


def decode_e2m1_packed(packed):
    """[..., K/2] bytes -> [..., K] float32; the low nibble is the even element."""
    c = _as_codes(packed)
    lo = E2M1_LUT[c & 0xF]
    hi = E2M1_LUT[(c >> 4) & 0xF]
    return torch.stack([lo, hi], dim=-1).flatten(-2)


def bf16_bits_to_f32(bits):
    """uint16 bf16 bit patterns (numpy) -> float32 torch tensor."""
    b = np.ascontiguousarray(bits).view(np.uint16).astype(np.uint32) << 16
    return torch.from_numpy(b.view(np.float32).copy())


# ---------------------------------------------------------------------------
# Rounding to the small float formats (round to nearest, ties to even).
# ---------------------------------------------------------------------------
def _pow2_from_int(e):
    """2^e for int32 tensors e in [-126, 127], exact (built from the bits)."""
    return ((e.to(torch.int32) + 127) << 23).view(torch.float32)


def _round_minifloat(v, man_bits, min_exp):
    """Rounds finite float32 values to a float format with `man_bits` mantissa
    bits and smallest normal exponent `min_exp` (subnormals below it), ties to
    even. No overflow handling: callers clamp to the format's max first."""
    a = v.abs()
    _, e = torch.frexp(a)  # a = m * 2^e, m in [0.5, 1): floor(log2 a) = e - 1
    ex = torch.clamp(e.to(torch.int32) - 1, min=min_exp)
    step = _pow2_from_int(ex - man_bits)
    q = torch.round(a / step) * step  # torch.round: half to even
    q = torch.where(v < 0, -q, q)
    return torch.where(torch.isnan(v), v, q)


def round_e4m3(v):
    """float32 -> nearest e4m3 value (as float32). Inputs must be in [-448, 448]."""
    return _round_minifloat(v, 3, -6)


def round_e2m1(v):
    """float32 -> nearest e2m1 value (as float32). Inputs must be in [-6, 6]."""
    return _round_minifloat(v, 1, 0)


# ---------------------------------------------------------------------------
# Power-of-two (ue8m0) block scales, as the official kernels compute them:
#   amax = max(amax, floor); s = 2^ceil(log2(amax * fp32(1/max)))
# with ceil(log2) taken from the float32 bits (exponent, +1 if any mantissa).
# ---------------------------------------------------------------------------
FP8_MAX = 448.0
FP4_MAX = 6.0
FP8_AMAX_FLOOR = 1e-4
FP4_AMAX_FLOOR = 6.0 * 2.0 ** -126


def pow2_ceil_scale(amax, floor, fmt_max):
    amax = torch.clamp(amax.to(torch.float32),
                       min=torch.tensor(floor, dtype=torch.float32).item())
    inv = torch.tensor(1.0 / fmt_max, dtype=torch.float32)
    x = amax * inv
    bits = x.contiguous().view(torch.int32)
    exp = (bits >> 23) & 0xFF
    man = bits & 0x7FFFFF
    log2c = exp - 127 + (man != 0).to(torch.int32)
    return _pow2_from_int(log2c)


def _blocks(x, block):
    """[..., N] -> ([..., nb, block] zero padded, N). The last block may be
    partial (the official kernels assert N % block == 0; the tiny test
    models have N < 128, so a partial block takes the amax of what it has)."""
    n = x.shape[-1]
    nb = (n + block - 1) // block
    pad = nb * block - n
    if pad:
        x = torch.nn.functional.pad(x, (0, pad))
    return x.unflatten(-1, (nb, block)), n


def act_quant(x, block=128):
    """FP8 block quantisation of activations (official act_quant with
    scale_fmt ue8m0, not in place): returns (q, s) with q the e4m3 values
    (float32) [..., N] and s the power-of-two scales [..., ceil(N/block)]."""
    xb, n = _blocks(x.to(torch.float32), block)
    s = pow2_ceil_scale(xb.abs().amax(-1), FP8_AMAX_FLOOR, FP8_MAX)
    q = round_e4m3(torch.clamp(xb / s.unsqueeze(-1), -FP8_MAX, FP8_MAX))
    return q.flatten(-2)[..., :n], s


def fp4_act_quant(x, block=32):
    """FP4 block quantisation (official fp4_act_quant, not in place):
    (q e2m1 values [..., N], s power-of-two scales [..., N/block])."""
    xb, n = _blocks(x.to(torch.float32), block)
    s = pow2_ceil_scale(xb.abs().amax(-1), FP4_AMAX_FLOOR, FP4_MAX)
    q = round_e2m1(torch.clamp(xb / s.unsqueeze(-1), -FP4_MAX, FP4_MAX))
    return q.flatten(-2)[..., :n], s


def _dequant(q, s, block):
    n = q.shape[-1]
    qb, _ = _blocks(q, block)
    return (qb * s.unsqueeze(-1)).flatten(-2)[..., :n]


def fake_quant_fp8(x, block):
    """In-place FP8 simulation (act_quant(..., inplace=True)), later official
    revision: bf16(e4m3(clamp(x / s)) * s)."""
    q, s = act_quant(x, block)
    return bf(_dequant(q, s, block))


def fake_quant_fp4(x, block=32):
    """In-place FP4 simulation (fp4_act_quant(..., inplace=True)):
    bf16(e2m1(clamp(x / s)) * s)."""
    q, s = fp4_act_quant(x, block)
    return bf(_dequant(q, s, block))


def quant_dequant_act(x, block=128):
    """The activation operand an fp8_gemm/fp4_gemm sees, dequantised (exact:
    e4m3 values times powers of two)."""
    q, s = act_quant(x, block)
    return _dequant(q, s, block)


# ---------------------------------------------------------------------------
# Weight dequantisation.
# ---------------------------------------------------------------------------
def dequant_fp8_weight(codes, scale_codes, block=128):
    """e4m3 [out, in] with e8m0 scales [ceil(out/128), ceil(in/128)] -> f32."""
    w = decode_e4m3(codes)
    s = decode_e8m0(scale_codes)
    out_f, in_f = w.shape
    s = s.repeat_interleave(block, 0)[:out_f].repeat_interleave(block, 1)[:, :in_f]
    return w * s


def dequant_fp4_weight(packed, scale_codes, block=32):
    """e2m1 packed [out, in/2] with e8m0 scales [out, in/32] -> f32 [out, in]."""
    w = decode_e2m1_packed(packed)
    s = decode_e8m0(scale_codes).repeat_interleave(block, 1)[:, :w.shape[1]]
    return w * s


# ---------------------------------------------------------------------------
# Hadamard rotation (fast_hadamard_transform(x, scale=d^-0.5): Sylvester
# order, fp32 inside, bf16 out).
# ---------------------------------------------------------------------------
_HADAMARD = {}


def hadamard_matrix(d):
    if d not in _HADAMARD:
        assert d & (d - 1) == 0, "Hadamard rotation needs a power-of-two width"
        i = torch.arange(d)
        x = i.unsqueeze(1) & i.unsqueeze(0)
        pop = torch.zeros_like(x)
        while bool((x != 0).any()):
            pop += x & 1
            x = x >> 1
        _HADAMARD[d] = (1 - 2 * (pop & 1)).to(torch.float32)
    return _HADAMARD[d]


def rotate_activation(x):
    d = x.shape[-1]
    scale = torch.tensor(d ** -0.5, dtype=torch.float32)
    return bf(torch.matmul(x, hadamard_matrix(d)) * scale)


# ---------------------------------------------------------------------------
# safetensors reading (no safetensors package in Debian).
# ---------------------------------------------------------------------------
_NP_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16,
    "BF16": np.uint16, "I64": np.int64, "I32": np.int32, "I16": np.int16,
    "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
    "F8_E4M3": np.uint8, "F8_E8M0": np.uint8,
}


class TensorRecord:
    """One tensor of a checkpoint: its safetensors dtype name, shape and raw
    data (a numpy array of the storage type: uint16 for BF16, uint8 for the
    FP8 formats, int8 for packed FP4)."""

    def __init__(self, dtype, shape, data):
        self.dtype = dtype
        self.shape = list(shape)
        self.data = data

    def float(self):
        """Plain (non-block-quantised) tensors as float32 torch tensors."""
        if self.dtype == "BF16":
            return bf16_bits_to_f32(self.data)
        if self.dtype in ("F32", "F16", "F64"):
            return torch.from_numpy(self.data.astype(np.float32))
        if self.dtype == "F8_E4M3":
            return decode_e4m3(self.data)
        if self.dtype == "F8_E8M0":
            return decode_e8m0(self.data)
        raise ValueError("tensor of dtype %s has no plain float value" % self.dtype)

    def int64(self):
        return torch.from_numpy(self.data.astype(np.int64))


def read_safetensors(path):
    """name -> TensorRecord for one .safetensors file (memory mapped)."""
    with open(path, "rb") as f:
        (hlen,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(hlen).decode("utf-8"))
    base = 8 + hlen
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        if dtype not in _NP_DTYPES:
            raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, dtype))
        begin, end = info["data_offsets"]
        np_dtype = np.dtype(_NP_DTYPES[dtype]).newbyteorder("<")
        buf = raw[base + begin: base + end]
        arr = np.frombuffer(buf, dtype=np_dtype).reshape(info["shape"])
        out[name] = TensorRecord(dtype, info["shape"], arr)
    return out


def read_checkpoint(model_dir):
    """All tensors of a checkpoint directory: model.safetensors.index.json
    (sharded) if present, else every *.safetensors file in it."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = sorted(p for p in os.listdir(model_dir) if p.endswith(".safetensors"))
    if not files:
        raise FileNotFoundError("%s: no safetensors files" % model_dir)
    tensors = {}
    for name in files:
        for k, v in read_safetensors(os.path.join(model_dir, name)).items():
            if k in tensors:
                raise ValueError("tensor %s appears in more than one shard" % k)
            tensors[k] = v
    return tensors
