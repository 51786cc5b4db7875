#!/usr/bin/python3
"""Self-tests of the DeepSeek-V4 PyTorch reference (v4_reference.py).

  test_v4_reference.py [--dsv4c PATH] [--work-dir DIR] [unittest args, e.g. Formats]

Groups (unittest class names, each well under 60 s on a 2-core machine):
  Formats      e4m3 / e8m0 / e2m1 / bf16 decoding and weight dequantisation
               against hand-computed codes; safetensors reading (plain and
               sharded).
  Quant        act_quant / fp4_act_quant / the in-place fake quant against
               hand-computed examples, incl. the amax floors and partial
               blocks; rounding ties.
  Kernels      sparse_attn, Sinkhorn, Hadamard, index lists, by hand.
  DecodeSmall  decode with caches == full re-prefill at each of 16 decode
               steps after a 44-token prompt, tiny V4 (SWA, CSA + indexer,
               HCA, hash layer, MTP) with sliding_window 8; MTP logits too;
               a broken cache must be caught.
  DecodeLong   the same on a 5-layer, 3-shard checkpoint with a 120-token
               prompt, so the decode steps cross the first ratio-128 (HCA)
               boundary and the full prefills past it emit HCA entries.
  Determinism  two CLI runs give byte-identical logits; greedy feeding feeds
               the argmax.

Tolerance of the decode-vs-prefill check: max |logit difference| <= 1e-2 at
every step (logits are O(1); a lost or wrong key moves them by 0.1-1). On the
development machine the two paths agree bit for bit.

Needs torch (Debian python3-torch) and numpy. Without torch it prints
'SKIPPED: torch not importable' and exits 0 (ctest reports it as skipped).
The model tests make checkpoints with `dsv4c gen-checkpoint`.
"""
import atexit
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print("SKIPPED: torch not importable (%s); install Debian's python3-torch" % e)
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import v4_numerics as nx  # noqa: E402
import v4_reference as ref  # noqa: E402

DSV4C = None
WORK_DIR = None
DECODE_TOL = 1e-2
NAN = float("nan")


def _find_dsv4c():
    if DSV4C:
        return DSV4C
    env = os.environ.get("DSV4C")
    if env:
        return env
    cand = os.path.join(HERE, "..", "..", "build", "tools", "dsv4c", "dsv4c")
    return os.path.abspath(cand)


_RUN_DIR = None


def _work_dir():
    """A fresh directory per process (under --work-dir if given), removed at
    exit unless V4REF_KEEP=1; ctest may run the groups in parallel."""
    global _RUN_DIR
    if _RUN_DIR is None:
        if WORK_DIR:
            os.makedirs(WORK_DIR, exist_ok=True)
        _RUN_DIR = tempfile.mkdtemp(prefix="v4ref-", dir=WORK_DIR)
        if os.environ.get("V4REF_KEEP") != "1":
            atexit.register(shutil.rmtree, _RUN_DIR, True)
    return _RUN_DIR


def make_checkpoint(name, seed, edit, shards=1):
    """A dsv4c gen-checkpoint checkpoint of the tiny config with `edit`
    applied to its config.json."""
    exe = _find_dsv4c()
    if not os.path.exists(exe):
        raise RuntimeError("dsv4c binary not found at %s: build it or pass --dsv4c PATH" % exe)
    root = _work_dir()
    out = os.path.join(root, name)
    if os.path.exists(os.path.join(out, "config.json")):
        return out
    base = os.path.join(root, "tiny-base")
    if not os.path.exists(os.path.join(base, "config.json")):
        subprocess.run([exe, "gen-checkpoint", base, "--seed", "0"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(base, "config.json")) as f:
        cfg = json.load(f)
    edit(cfg)
    cfg_path = os.path.join(root, name + ".json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=1)
    subprocess.run([exe, "gen-checkpoint", out, "--config", cfg_path, "--seed", str(seed),
                    "--shards", str(shards)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def t(values):
    return torch.tensor(values, dtype=torch.float32)


def assert_same(tc, got, want):
    got, want = got.numpy(), np.asarray(want, dtype=np.float32)
    tc.assertEqual(got.shape, want.shape)
    ok = (got == want) | (np.isnan(got) & np.isnan(want))
    tc.assertTrue(ok.all(), "got %s, want %s" % (got, want))


# ---------------------------------------------------------------------------
class Formats(unittest.TestCase):
    def test_e4m3(self):
        codes = np.array([0x00, 0x01, 0x07, 0x08, 0x38, 0x3C, 0x7E, 0x7F,
                          0x80, 0xB9, 0xC0, 0xFE, 0xFF, 0x30], dtype=np.uint8)
        want = [0.0, 2 ** -9, 7 * 2 ** -9, 2 ** -6, 1.0, 1.5, 448.0, NAN,
                -0.0, -1.125, -2.0, -448.0, NAN, 0.5]
        assert_same(self, nx.decode_e4m3(codes), want)
        # every finite code round-trips through round_e4m3
        v = nx.E4M3_LUT[~torch.isnan(nx.E4M3_LUT)]
        assert_same(self, nx.round_e4m3(v), v.numpy())

    def test_e8m0(self):
        codes = np.array([127, 128, 126, 0, 254, 255, 120], dtype=np.uint8)
        assert_same(self, nx.decode_e8m0(codes), [1.0, 2.0, 0.5, 2.0 ** -127, 2.0 ** 127, NAN, 2.0 ** -7])

    def test_e2m1_packed(self):
        packed = np.array([[0x21, 0xF7, 0x9A, 0x00, 0x5C]], dtype=np.uint8).view(np.int8)
        # low nibble = even element: 0x21 -> (1, 2) -> 0.5, 1.0; 0xF7 -> 6, -6;
        # 0x9A -> (A, 9) -> -1.0, -0.5; 0x5C -> (C, 5) -> -2.0, 3.0
        want = [[0.5, 1.0, 6.0, -6.0, -1.0, -0.5, 0.0, 0.0, -2.0, 3.0]]
        assert_same(self, nx.decode_e2m1_packed(packed), want)

    def test_bf16(self):
        bits = np.array([0x3F80, 0xC000, 0x3F81, 0x0000, 0x8000, 0x7F80], dtype=np.uint16)
        assert_same(self, nx.bf16_bits_to_f32(bits), [1.0, -2.0, 1.0078125, 0.0, -0.0, float("inf")])

    def test_fp8_weight_partial_blocks(self):
        # [130, 3] weight of code 0x38 (1.0); scale blocks [2, 1]: rows 0..127
        # use 2^-3 (code 124), rows 128..129 use 2^2 (code 129).
        w = np.full((130, 3), 0x38, dtype=np.uint8)
        w[129, 2] = 0xC0  # -2.0
        s = np.array([[124], [129]], dtype=np.uint8)
        d = nx.dequant_fp8_weight(w, s)
        self.assertEqual(tuple(d.shape), (130, 3))
        self.assertEqual(float(d[0, 0]), 0.125)
        self.assertEqual(float(d[127, 2]), 0.125)
        self.assertEqual(float(d[128, 0]), 4.0)
        self.assertEqual(float(d[129, 2]), -8.0)

    def test_fp4_weight(self):
        # [1, 64]: bytes 0x21 -> (0.5, 1.0); scales [2^0, 2^-1] per 32 columns
        w = np.full((1, 32), 0x21, dtype=np.uint8).view(np.int8)
        s = np.array([[127, 126]], dtype=np.uint8)
        d = nx.dequant_fp4_weight(w, s)
        self.assertEqual(tuple(d.shape), (1, 64))
        assert_same(self, d[0, :4], [0.5, 1.0, 0.5, 1.0])
        assert_same(self, d[0, 32:34], [0.25, 0.5])

    def test_safetensors(self):
        root = tempfile.mkdtemp(prefix="v4ref-st-")

        def write(path, tensors):
            header, blobs, off = {}, [], 0
            for name, (dtype, shape, raw) in tensors.items():
                header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
                blobs.append(raw)
                off += len(raw)
            header["__metadata__"] = {"format": "pt"}
            h = json.dumps(header).encode()
            h += b" " * ((8 - len(h) % 8) % 8)
            with open(path, "wb") as f:
                f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

        write(os.path.join(root, "model-00001-of-00002.safetensors"), {
            "a": ("F32", [2], struct.pack("<2f", 1.5, -2.0)),
            "b": ("BF16", [2], struct.pack("<2H", 0x3F80, 0x4040)),
        })
        write(os.path.join(root, "model-00002-of-00002.safetensors"), {
            "c": ("I64", [1, 2], struct.pack("<2q", 7, -3)),
            "d": ("F8_E4M3", [2], bytes([0x38, 0xC0])),
            "e": ("F8_E8M0", [1], bytes([130])),
        })
        with open(os.path.join(root, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": {
                "a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
                "c": "model-00002-of-00002.safetensors", "d": "model-00002-of-00002.safetensors",
                "e": "model-00002-of-00002.safetensors"}}, f)
        ck = nx.read_checkpoint(root)
        self.assertEqual(sorted(ck), ["a", "b", "c", "d", "e"])
        assert_same(self, ck["a"].float(), [1.5, -2.0])
        assert_same(self, ck["b"].float(), [1.0, 3.0])
        self.assertEqual(ck["c"].int64().tolist(), [[7, -3]])
        assert_same(self, ck["d"].float(), [1.0, -2.0])
        assert_same(self, ck["e"].float(), [8.0])


# ---------------------------------------------------------------------------
class Quant(unittest.TestCase):
    def test_round_e4m3_ties_and_subnormals(self):
        x = t([1.0625, 1.1875, 2 ** -10, 3 * 2 ** -10, 440.0, 0.0, -1.0625, 17.0, 19.0, 0.3 * 128])
        # ties to even; half the smallest subnormal -> 0; [16,32) step 2:
        # 17 -> 16 (tie, even), 19 -> 20 (tie, even); 38.4 -> 40
        assert_same(self, nx.round_e4m3(x), [1.0, 1.25, 0.0, 2 ** -8, 448.0, 0.0, -1.0, 16.0, 20.0, 40.0])

    def test_round_e2m1(self):
        x = t([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 5.5, -2.9, 6.0, 0.2])
        assert_same(self, nx.round_e2m1(x), [0.0, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0, 6.0, -3.0, 6.0, 0.0])

    def test_act_quant_blocks_and_floor(self):
        # Four blocks of 128 plus a partial block of 32 (N = 544):
        #   block 0: amax 3.5 -> 3.5/448 = 2^-7 exactly -> s = 2^-7
        #   block 1: amax 3.6 -> 3.6/448 > 2^-7 -> s = 2^-6
        #   block 2: all zero -> amax floor 1e-4 -> 1e-4/448 ~ 2.23e-7 -> s = 2^-22
        #   block 3: amax 1e-6 < floor -> s = 2^-22; 1e-6 / 2^-22 = 4.19 -> 4
        #   block 4 (32 wide): amax 1000 -> 2.23 -> s = 4
        x = torch.zeros(544)
        x[0], x[1], x[2] = 1.0, -3.5, 0.3
        x[128], x[129] = 3.6, 0.5
        x[384] = 1e-6
        x[512], x[513] = 1000.0, -3.0
        q, s = nx.act_quant(x, 128)
        assert_same(self, s, [2 ** -7, 2 ** -6, 2 ** -22, 2 ** -22, 4.0])
        self.assertEqual(float(q[0]), 128.0)
        self.assertEqual(float(q[1]), -448.0)
        self.assertEqual(float(q[2]), 40.0)            # 38.4 -> 40
        self.assertEqual(float(q[128]), 224.0)         # 3.6*64 = 230.4 -> 224 (step 16)
        self.assertEqual(float(q[129]), 32.0)
        self.assertEqual(float(q[384]), 4.0)
        self.assertEqual(float(q[512]), 256.0)         # 250 -> 256 ([128,256) step 16)
        self.assertEqual(float(q[513]), -0.75)
        fq = nx.fake_quant_fp8(x, 128)
        self.assertEqual(float(fq[2]), 40.0 / 128)
        self.assertEqual(float(fq[128]), 3.5)
        self.assertEqual(float(fq[384]), 4.0 * 2 ** -22)
        # the operand fp8_gemm sees
        self.assertEqual(float(nx.quant_dequant_act(x, 128)[513]), -3.0)

    def test_act_quant_block64(self):
        # the kv fake quant uses blocks of 64
        x = torch.zeros(2, 128)
        x[0, 0] = 0.875      # 0.875/448 = 2^-9 -> s = 2^-9
        x[0, 64] = 100.0     # 100/448 = 0.223 -> s = 2^-2 -> 400 -> e4m3 384 (tie, even)
        q, s = nx.act_quant(x, 64)
        assert_same(self, s, [[2 ** -9, 2 ** -2], [2 ** -22, 2 ** -22]])
        self.assertEqual(float(q[0, 0]), 448.0)
        self.assertEqual(float(q[0, 64]), 384.0)   # 400 is the tie of 384 (m=4) and 416 (m=5)

    def test_fp4_act_quant(self):
        # block 0: amax 6 -> fp32(6 * fp32(1/6)) = 1 -> s = 1
        # block 1: amax 7 -> 7/6 -> s = 2
        # block 2: zeros -> floor 6*2^-126 -> s = 2^-126
        # block 3: amax 1e-6 -> 1e-6/6 = 1.67e-7 -> s = 2^-22; 1e-6*2^22 = 4.19 -> 4
        x = torch.zeros(128)
        x[0], x[1], x[2] = 6.0, 2.5, -5.0
        x[32], x[33] = 7.0, 1.0
        x[96] = 1e-6
        q, s = nx.fp4_act_quant(x, 32)
        assert_same(self, s, [1.0, 2.0, 2.0 ** -126, 2.0 ** -22])
        assert_same(self, q[:3], [6.0, 2.0, -4.0])
        assert_same(self, q[32:34], [4.0, 0.5])   # 3.5 -> 4 (tie, even), 0.5
        self.assertEqual(float(q[96]), 4.0)
        fq = nx.fake_quant_fp4(x, 32)
        assert_same(self, fq[32:34], [8.0, 1.0])

    def test_pow2_ceil_scale_exact_powers(self):
        # amax exactly 448 * 2^k gives s = 2^k (no round up)
        amax = t([448.0, 224.0, 448.0 * 2 ** -10, 449.0])
        assert_same(self, nx.pow2_ceil_scale(amax, 1e-4, 448.0), [1.0, 0.5, 2 ** -10, 2.0])


# ---------------------------------------------------------------------------
class Kernels(unittest.TestCase):
    def test_sparse_attn_by_hand(self):
        # one query, head 0 sees one key with q.k = 0 and sink 0:
        # o = kv * e^0 / (e^0 + e^0) = kv / 2; head 1: sink -inf -> o = kv
        q = torch.zeros(1, 1, 2, 4)
        kv = t([[[1.0, 2.0, 3.0, 4.0], [9.0, 9.0, 9.0, 9.0]]])
        idx = torch.tensor([[[0, -1, -1]]])
        o = ref.sparse_attn(q, kv, t([0.0, float("-inf")]), idx, 1.0)
        assert_same(self, o[0, 0], [[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0]])

    def test_sparse_attn_matches_dense(self):
        g = torch.Generator().manual_seed(0)
        q = nx.bf(torch.randn(1, 3, 2, 16, generator=g))
        kv = nx.bf(torch.randn(1, 150, 16, generator=g))
        sink = t([0.3, -0.2])
        idx = torch.randint(0, 150, (1, 3, 140), generator=g)
        idx[0, 1, 5:50] = -1
        o = ref.sparse_attn(q, kv, sink, idx, 0.25)
        for s in range(3):
            keep = idx[0, s][idx[0, s] >= 0]
            k = kv[0, keep]
            sc = (q[0, s] @ k.t()) * 0.25                      # [h, n]
            full = torch.cat([sc, sink.view(2, 1)], dim=1).softmax(-1)
            dense = full[:, :-1] @ k
            self.assertLess(float((o[0, s] - dense).abs().max()), 2e-2)

    def test_sinkhorn_doubly_stochastic(self):
        g = torch.Generator().manual_seed(1)
        hc = 4
        mixes = torch.randn(2, 3, (2 + hc) * hc, generator=g)
        pre, post, comb = ref.hc_split_sinkhorn(mixes, t([0.7, 0.8, 0.9]), torch.zeros((2 + hc) * hc), hc, 20, 1e-6)
        self.assertTrue(bool(((pre > 0) & (pre < 1 + 1e-5)).all()))
        self.assertTrue(bool(((post > 0) & (post < 2)).all()))
        self.assertLess(float((comb.sum(-1) - 1).abs().max()), 1e-3)
        self.assertLess(float((comb.sum(-2) - 1).abs().max()), 1e-5)

    def test_hadamard(self):
        h = nx.hadamard_matrix(8)
        assert_same(self, h @ h.t(), 8 * torch.eye(8))
        assert_same(self, h[3], [1, -1, -1, 1, 1, -1, -1, 1])
        e0 = torch.zeros(1, 64)
        e0[0, 0] = 1.0
        assert_same(self, nx.rotate_activation(e0), torch.full((1, 64), 0.125))

    def test_index_lists(self):
        w = ref.window_idxs(4, 6, 0)[0].tolist()
        self.assertEqual(w, [[0, -1, -1, -1], [0, 1, -1, -1], [0, 1, 2, -1], [0, 1, 2, 3],
                             [1, 2, 3, 4], [2, 3, 4, 5]])
        self.assertEqual(ref.window_idxs(4, 1, 5)[0].tolist(), [[2, 3, 0, 1]])
        self.assertEqual(ref.window_idxs(4, 1, 2)[0].tolist(), [[0, 1, 2, -1]])
        c = ref.compress_idxs(4, 9, 0, 9)[0].tolist()
        self.assertEqual(c[2], [-1, -1])
        self.assertEqual(c[3], [9, -1])
        self.assertEqual(c[8], [9, 10])
        self.assertEqual(ref.compress_idxs(4, 1, 11, 8)[0].tolist(), [[8, 9, 10]])

    def test_topk_ties_to_smaller_index(self):
        x = t([[1.0, 3.0, 3.0, 2.0, 3.0]])
        self.assertEqual(ref.topk_desc(x, 3).tolist(), [[1, 2, 4]])


# ---------------------------------------------------------------------------
def _prompt(n, mul=37, add=5):
    return [(i * mul + add) % 300 for i in range(n)]


class _DecodeCheck(unittest.TestCase):
    """decode with caches vs. full re-prefill, same fed tokens."""
    STEPS = 16

    def check(self, ck, prompt):
        feed = [(i * 11 + 7) % 300 for i in range(self.STEPS)]
        model = ref.Model(ck, len(prompt) + self.STEPS + 1)
        t0 = time.time()
        with torch.no_grad():
            a, _, am = ref.run(model, prompt, self.STEPS, feed, False, True)
            b, _, bm = ref.run(model, prompt, self.STEPS, feed, True, True)
        self.assertEqual(tuple(a.shape), (self.STEPS + 1, model.cfg.vocab_size))
        self.assertEqual(tuple(am.shape), (self.STEPS, model.cfg.vocab_size))
        self.assertTrue(bool(torch.isfinite(a).all()))
        self.assertGreater(float(a.std()), 1e-3)
        d = (a - b).abs().max(-1)[0]
        dm = (am - bm).abs().max(-1)[0]
        print("\n  %s: prompt %d, per-step max |decode - prefill| = %s (mtp max %.3g), %.1fs" % (
            os.path.basename(ck), len(prompt), ["%.3g" % v for v in d.tolist()], float(dm.max()),
            time.time() - t0), file=sys.stderr)
        self.assertLessEqual(float(d.max()), DECODE_TOL)
        self.assertLessEqual(float(dm.max()), DECODE_TOL)
        return model, feed, a


def _small(cfg):
    cfg["sliding_window"] = 8


def _long(cfg):
    cfg["sliding_window"] = 8
    cfg["num_hidden_layers"] = 5
    cfg["compress_ratios"] = [4, 128, 0, 4, 128, 0]
    cfg["num_hash_layers"] = 2


class DecodeSmall(_DecodeCheck):
    def test_decode_matches_prefill(self):
        ck = make_checkpoint("small-w8", 3, _small)
        prompt = _prompt(44)
        model, feed, a = self.check(ck, prompt)
        # The check must see a broken cache: drop the newest window key
        # from every decode step's attention.
        orig = ref.window_idxs

        def broken(win, seqlen, start_pos):
            m = orig(win, seqlen, start_pos)
            if start_pos == 0:
                return m
            return torch.where(m == (start_pos - 1) % win, torch.tensor(-1), m)

        ref.window_idxs = broken
        try:
            with torch.no_grad():
                c, _, _ = ref.run(model, prompt, self.STEPS, feed, False)
        finally:
            ref.window_idxs = orig
        self.assertGreater(float((c - a).abs().max()), 10 * DECODE_TOL)


class DecodeLong(_DecodeCheck):
    def test_decode_crosses_hca_boundary(self):
        ck = make_checkpoint("long-w8-5l", 5, _long, shards=3)
        self.check(ck, _prompt(120, 53, 11))


class Determinism(unittest.TestCase):
    def test_cli_twice_identical_and_greedy(self):
        ck = make_checkpoint("small-w8", 3, _small)
        root = _work_dir()
        prompt = ",".join(map(str, _prompt(41, 29, 3)))
        outs = []
        for k in range(2):
            lo = os.path.join(root, "det%d.npy" % k)
            to = os.path.join(root, "det%d_tokens.npy" % k)
            r = subprocess.run([sys.executable, os.path.join(HERE, "v4_reference.py"), ck,
                                "--tokens", prompt, "--decode-steps", "6", "--greedy-feed",
                                "--dump-logits", lo, "--dump-tokens", to],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            self.assertIn(b"step 6/6", r.stderr)
            with open(lo, "rb") as f:
                outs.append(f.read())
            logits, tokens = np.load(lo), np.load(to)
            self.assertEqual(logits.shape, (7, 300))
            self.assertEqual(logits.dtype, np.float32)
            self.assertEqual(tokens[41:].tolist(), logits[:6].argmax(1).tolist())
        self.assertEqual(outs[0], outs[1])


def main():
    global DSV4C, WORK_DIR
    argv = [sys.argv[0]]
    args = sys.argv[1:]
    i = 0
    while i < len(args):
        if args[i] == "--dsv4c":
            DSV4C = args[i + 1]
            i += 2
        elif args[i] == "--work-dir":
            WORK_DIR = args[i + 1]
            i += 2
        else:
            argv.append(args[i])
            i += 1
    torch.set_num_threads(1)
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
