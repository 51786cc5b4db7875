"""Compares two runs' --dump-logits files step by step: relative L2 error
and argmax agreement. usage: compare_logits.py WANT.npy GOT.npy TOLERANCE
Exit status 0 when every step's relative L2 error is within TOLERANCE."""
import sys

import numpy as np

want, got = np.load(sys.argv[1]), np.load(sys.argv[2])
tol = float(sys.argv[3])
if want.shape != got.shape:
    sys.exit(f"FAIL  shapes differ: {want.shape} vs {got.shape}")
want = want.reshape(-1, want.shape[-1]).astype(np.float64)
got = got.reshape(-1, got.shape[-1]).astype(np.float64)
rel = np.linalg.norm(got - want, axis=1) / np.maximum(
    np.linalg.norm(want, axis=1), 1e-30)
same = int((want.argmax(1) == got.argmax(1)).sum())
ok = bool(np.all(np.isfinite(got))) and float(rel.max()) <= tol
print(f"{'PASS' if ok else 'FAIL'}  {len(rel)} steps: worst relative L2 "
      f"{rel.max():.2e} (step {int(rel.argmax())}), mean {rel.mean():.2e}, "
      f"argmax equal in {same}/{len(rel)}; tolerance {tol:g}")
sys.exit(0 if ok else 1)
