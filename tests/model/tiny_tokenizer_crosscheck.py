#!/usr/bin/env python3
"""Cross-checks the generated tiny tokenizer against HF `tokenizers`.

    tiny_tokenizer_crosscheck.py TINY_TOKENIZER_WRITE TOKENIZER_ENCODE

For several vocab sizes, writes tokenizer.json with tiny_tokenizer_write
(models/v4/TinyTokenizer.h), loads it with HF `tokenizers`, and compares
tokenizer_encode's ids and decoded text (dsv4c's runtime Tokenizer) with
HF's on fixed texts plus seeded random strings; also checks the ids are in
range, the special tokens take the last two ids, HF's post-processor adds
BOS, and texts round-trip. Exits 0 if all agree, 1 on any difference, and
77 (ctest: skipped) with the reason when python `tokenizers` is missing.
"""
import os
import random
import subprocess
import sys
import tempfile

try:
    from tokenizers import Tokenizer
except ImportError as e:  # never pass silently
    print(f"SKIPPED: python package 'tokenizers' is not importable ({e}); "
          "install it with scripts/setup.sh to run the HF cross-check")
    sys.exit(77)

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"

FIXED = [
    "The river runs past the old mill and through the middle of the town.",
    "Hello world", "12345 apples", "don't stop, it'll be dry", "a  b",
    "x\n\ny", "tab\there  \r\n end", "x   ", "  lead", " " * 40 + "b", "",
    " ", "\n", "\r\n\r\n", "   \n   ", "\t\t",
    "naïve café", "你好世界abc", "日本語のテキストです。", "한국어 텍스트",
    "👍🏽 emoji 👨\u200d👩\u200d👧", "e\u0301t\u00e9", "a\u00a0b\u3000c",
    "price: $1,234.56!!", "#include <stdio.h>\nint main() { return 0; }\n",
    BOS + "Hi there" + EOS, BOS + BOS, "<｜begin", "<｜place▁holder▁no▁3｜>",
    "the the the the the", "a" * 200,
]

POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
    " the", " and", "ing", " river", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    " ", "  ", "\t", "\n", "\r\n", "\u00a0", "éèêëüöäçñ", "αβγδ", "абвгд",
    "的一是不了人", "あいうえお", "😀👍🏽", "\u200d", BOS, EOS,
]


def random_string(rng):
    out = []
    for _ in range(rng.randint(1, 30)):
        pool = rng.choice(POOLS)
        if pool in (BOS, EOS) or rng.random() < 0.3:
            out.append(pool)
        else:
            out.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
    return "".join(out)


def run_ours(tool, tok_path, texts, id_seqs, workdir):
    """[(ids, decoded)] for `texts`, then [decoded] for `id_seqs`."""
    corpus = os.path.join(workdir, "corpus.bin")
    with open(corpus, "wb") as f:
        for t in texts:
            b = t.encode("utf-8")
            f.write(f"E{len(b)}\n".encode() + b)
        for seq in id_seqs:
            b = " ".join(map(str, seq)).encode()
            f.write(f"D{len(b)}\n".encode() + b)
    p = subprocess.run([tool, tok_path, corpus], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"tokenizer_encode failed ({p.returncode}): "
                           f"{p.stderr.decode(errors='replace')}")
    lines = iter(p.stdout.decode().split("\n"))
    encoded, decoded = [], []
    for _ in texts:
        ids = [int(x) for x in next(lines).split()[1:]]
        encoded.append((ids, bytes.fromhex(next(lines)[4:]).decode("utf-8")))
    for _ in id_seqs:
        decoded.append(bytes.fromhex(next(lines)[4:]).decode("utf-8"))
    return encoded, decoded


def check(write_tool, encode_tool, vocab, texts, workdir):
    """Number of problems for one vocab size; prints the first few."""
    d = os.path.join(workdir, f"v{vocab}")
    os.makedirs(d, exist_ok=True)
    subprocess.run([write_tool, d, str(vocab)], check=True)
    path = os.path.join(d, "tokenizer.json")
    tok = Tokenizer.from_file(path)
    problems = []
    if tok.get_vocab_size() != vocab:
        problems.append(f"HF vocab size {tok.get_vocab_size()}, want {vocab}")
    if tok.token_to_id(BOS) != vocab - 2 or tok.token_to_id(EOS) != vocab - 1:
        problems.append(f"HF ids of BOS/EOS {tok.token_to_id(BOS)}, "
                        f"{tok.token_to_id(EOS)}; want {vocab - 2}, {vocab - 1}")
    ids_rng = random.Random(99)
    seqs = [[ids_rng.randrange(vocab) for _ in range(ids_rng.randint(1, 12))]
            for _ in range(300)]
    ours, our_decoded = run_ours(encode_tool, path, texts, seqs, d)
    for text, (ids, dec) in zip(texts, ours):
        want = tok.encode(text, add_special_tokens=False).ids
        want_dec = tok.decode(want, skip_special_tokens=False)
        with_bos = tok.encode(text).ids
        if ids != want or dec != want_dec:
            problems.append(f"MISMATCH for {text!r}\n  hf  ids {want}\n"
                            f"  our ids {ids}\n  hf  dec {want_dec!r}\n"
                            f"  our dec {dec!r}")
        elif dec != text:
            problems.append(f"no round trip for {text!r}: {dec!r}")
        elif any(not 0 <= i < vocab for i in ids):
            problems.append(f"id out of range for {text!r}: {ids}")
        elif with_bos != [vocab - 2] + want:
            problems.append(f"HF post-processor for {text!r}: {with_bos}")
    for seq, dec in zip(seqs, our_decoded):
        want_dec = tok.decode(seq, skip_special_tokens=False)
        if dec != want_dec:
            problems.append(f"DECODE MISMATCH for {seq}\n  hf  {want_dec!r}\n"
                            f"  our {dec!r}")
    for p in problems[:5]:
        print(f"[vocab {vocab}] {p}")
    print(f"[vocab {vocab}] {len(texts)} texts, {len(seqs)} id sequences: "
          f"{len(problems)} problems")
    return len(problems)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    write_tool, encode_tool = sys.argv[1], sys.argv[2]
    rng = random.Random(4321)
    texts = FIXED + [random_string(rng) for _ in range(500)]
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        # 258: bytes only; 300: the tiny preset; 2000: placeholders too.
        for vocab in [258, 300, 2000]:
            failures += check(write_tool, encode_tool, vocab, texts, workdir)
    if failures:
        print(f"FAILED: {failures} problems")
        return 1
    print("PASSED: the tiny tokenizer reads alike in dsv4c and HF tokenizers "
          f"{__import__('tokenizers').__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
