#!/usr/bin/python3
"""The PyTorch peer of v4_decode_bench: decode tokens/s of the reference model.

  v4_torch_decode.py MODEL_DIR --prompts 1,2,3;4,5,6 --decode-steps D
                     [--threads T] [--warmup-steps W] [--warmup-prompt N]
                     [--mode batched|loop]

Runs tests/reference_model/v4_reference.py (batch 1 by design) on the given
prompts (one per sequence, all of one length) under torch.no_grad(): a
prefill of every prompt, then D greedy decode steps, timed separately. The
last line on stdout is one JSON object; progress goes to stderr.

With several prompts:
  batched  (default) one forward over [B, s] tokens per step. The reference
           says "batch size 1", but its tensors carry a batch dimension; only
           the window / compressed index lists are built for batch 1, so
           they are broadcast here and every block's caches are reset for B.
  loop     B separate reference models, stepped one after the other (what the
           reference supports as written). Used when batched mode fails.
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in tests/reference_model
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference_model"))


def log(msg):
    print("[v4_torch_decode] " + msg, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("--prompts", required=True,
                    help="token ids, comma separated; sequences separated by ';'")
    ap.add_argument("--decode-steps", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--warmup-steps", type=int, default=1,
                    help="decode steps of an untimed run first (0: no warm-up run)")
    ap.add_argument("--warmup-prompt", type=int, default=4,
                    help="prompt tokens per sequence of the warm-up run")
    ap.add_argument("--mode", choices=("batched", "loop"), default="batched")
    a = ap.parse_args()

    try:
        import torch
        import v4_reference as ref
    except Exception as e:  # torch missing, or the reference broken
        emit({"ok": False, "error": "cannot import torch / v4_reference: %s: %s"
              % (type(e).__name__, e)})
        return 0

    if a.threads:
        torch.set_num_threads(a.threads)
    prompts = [[int(t) for t in p.split(",") if t != ""] for p in a.prompts.split(";")]
    prompts = [p for p in prompts if p]
    if not prompts or len({len(p) for p in prompts}) != 1:
        emit({"ok": False, "error": "--prompts: give non-empty prompts of one length"})
        return 0
    B, P, D = len(prompts), len(prompts[0]), a.decode_steps
    max_seq_len = P + D + 1

    # Batched mode: the index lists are built with batch dimension 1.
    state = {"b": 1}
    orig_window, orig_compress = ref.window_idxs, ref.compress_idxs

    def expand(m):
        return m.expand(state["b"], -1, -1) if m.shape[0] == 1 and state["b"] > 1 else m

    ref.window_idxs = lambda *args: expand(orig_window(*args))
    ref.compress_idxs = lambda *args: expand(orig_compress(*args))

    def reset(model, b):
        state["b"] = b
        for blk in model.layers + model.mtp:
            blk.attn.reset(b)

    t0 = time.time()
    n_models = B if a.mode == "loop" else 1
    models = [ref.Model(a.model_dir, max_seq_len) for _ in range(n_models)]
    load_s = time.time() - t0
    log("%d model(s) loaded in %.1f s, %d torch threads" % (n_models, load_s, torch.get_num_threads()))

    def argmax(row):
        return int(torch.argmax(row).item())  # first maximum, like the reference

    def run(mode, steps, plen=P):
        """-> (prefill s, decode s, per-step s list, generated ids per sequence)."""
        prompts_ = [p[:plen] for p in prompts]
        gen = [[] for _ in range(B)]
        step_s = []
        if mode == "batched":
            m = models[0]
            reset(m, B)
            t = time.perf_counter()
            logits, _ = m.forward(torch.tensor(prompts_), 0)
            prefill = time.perf_counter() - t
            for i in range(B):
                gen[i].append(argmax(logits[i]))
            for k in range(steps):
                ids = torch.tensor([[g[-1]] for g in gen])
                t = time.perf_counter()
                logits, _ = m.forward(ids, plen + k)
                step_s.append(time.perf_counter() - t)
                for i in range(B):
                    gen[i].append(argmax(logits[i]))
        else:
            for m in models:
                reset(m, 1)
            t = time.perf_counter()
            for i, m in enumerate(models):
                logits, _ = m.forward(torch.tensor([prompts_[i]]), 0)
                gen[i].append(argmax(logits[0]))
            prefill = time.perf_counter() - t
            for k in range(steps):
                t = time.perf_counter()
                for i, m in enumerate(models):
                    logits, _ = m.forward(torch.tensor([[gen[i][-1]]]), plen + k)
                    gen[i].append(argmax(logits[0]))
                step_s.append(time.perf_counter() - t)
        return prefill, sum(step_s), step_s, gen

    mode = a.mode if B > 1 else "loop"
    note = ""
    with torch.no_grad():
        try:
            if a.warmup_steps:
                run(mode, min(a.warmup_steps, D), max(1, min(a.warmup_prompt, P)))
            prefill_s, decode_s, step_s, gen = run(mode, D)
        except Exception as e:
            if mode != "batched":
                raise
            note = "batched mode failed (%s: %s); ran the sequences one after another" % (
                type(e).__name__, e)
            log(note)
            mode = "loop"
            models.extend(ref.Model(a.model_dir, max_seq_len) for _ in range(B - 1))
            if a.warmup_steps:
                run(mode, min(a.warmup_steps, D), max(1, min(a.warmup_prompt, P)))
            prefill_s, decode_s, step_s, gen = run(mode, D)

    emit({
        "ok": True,
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "mode": mode,
        "note": note,
        "batch": B,
        "prompt": P,
        "decode_steps": D,
        "load_seconds": load_s,
        "prefill_seconds": prefill_s,
        "decode_seconds": decode_s,
        "prefill_tokens_per_s": B * P / prefill_s if prefill_s > 0 else 0.0,
        "decode_tokens_per_s": B * D / decode_s if decode_s > 0 else 0.0,
        "step_ms_median": sorted(step_s)[len(step_s) // 2] * 1e3 if step_s else 0.0,
        # Per sequence: the prefill's pick, then one id per decode step.
        "generated": gen,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
