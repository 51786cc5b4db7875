#!/usr/bin/env python3
"""Cross-checks dsv4c's Tokenizer against HF `tokenizers`.

    crosscheck.py PATH/TO/tokenizer_encode [--keep DIR]

Trains small byte-level BPE tokenizers with HF `tokenizers` (DeepSeek V3's
pre-tokenizer, also with "a b" string merges, and the Llama 3 and GPT-2
ones for the regex engine), saves each tokenizer.json, and compares
tokenizer_encode's ids and decoded text with HF's on a fixed corpus plus
seeded random strings. Exits 0 if all agree, 1 on any difference, and 77
(ctest: skipped) with the reason when python `tokenizers` is missing.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

try:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from tokenizers import AddedToken
except ImportError as e:  # never pass silently
    print(f"SKIPPED: python package 'tokenizers' is not importable ({e}); "
          "install it with scripts/setup.sh to run the HF cross-check")
    sys.exit(77)

DEEPSEEK_SPLITS = [
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|"
    "[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|"
    "\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
]
LLAMA3_SPLIT = (
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")

SPECIAL = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"]
NON_SPECIAL = ["<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"]

# Character pools for training text and random strings: long-assigned
# characters only (our table is Python's Unicode, HF's is Oniguruma's).
POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789", "٠١٢٣٤٥٦٧٨٩", "०१२३",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "«»¿¡§¶°±×÷€£¥©®™",
    " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\x85",
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
    "あいうえおかきくけこさしすせそアイウエオカキクケコーッ",
    "한국어텍스트가나다라", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "αβγδεζηθλμπσω", "مرحبابالعالم", "שלוםעולם", "สวัสดีครับ",
    "क्षत्रज्ञ", "e\u0301a\u0308o\u0302n\u0303", "ﬁﬂ", "ＡＢＣａｂｃ１２３，。！？",
    "😀🙂👍🏽🇯🇵", "👨\u200d👩\u200d👧", "❤\ufe0f", "∑∫√∞≤≥⟨⟩→⇒",
    "\x01\x07\x1b\x7f", "\u200b\u200d\ufeff", "\ue000",
    "'s 't 're 've 'm 'll 'd 'S 'LL ſ",
    "<｜", "｜>", "▁",
]

FIXED = [
    "Hello world", "12345 apples", "你好世界abc", "a  b", "x\n\ny",
    "#include <stdio.h>\nint main() { return 0; }\n",
    "日本語のテキストです。", "한국어 텍스트", "tab\there  \r\n end",
    "naïve café", "e\u0301t\u00e9", "price: $1,234.56!!",
    "👍🏽 emoji 👨\u200d👩\u200d👧", "x   ", "  lead", "don't stop",
    "a\u00a0b\u3000c", "(a+b)*c", "٣٤٥٦ numbers", "",
    " ", "\n", "\r\n\r\n", "   \n   ", "\t\t", "a\u2028b\x85c",
    "<｜begin▁of▁sentence｜>Hi<｜User｜>What is 2+2?<｜Assistant｜><think>\n"
    "easy</think>4<｜end▁of▁sentence｜>",
    "<｜begin▁of▁sentence｜><｜begin▁of▁sentence｜>", "<｜begin", "▁of▁",
    "I'M HERE, you're there; they'VE gone. It'S ok", "x'ſ K",
    "The year 2024 had 366 days; π≈3.14159.",
    "def f(x):\n    return x ** 2  # square\n",
    "Ünïcödé façade — “quotes” ‘single’ …",
    "مرحبا بالعالم ١٢٣", "क्षत्रिय हिन्दी", "สวัสดีครับ",
    "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ１２３", "\u200b\u200d\ufeff",
    "e" + "\u0301" * 5, "a" * 300, " " * 50 + "b", "1" * 40, "中" * 30,
]


def training_text(rng):
    lines = []
    english = ("the quick brown fox jumps over the lazy dog and then "
               "it's time to write some code: for i in range(10): print(i) ")
    for _ in range(400):
        lines.append(english)
    for _ in range(3000):
        lines.append(random_string(rng, 60))
    return lines


def random_string(rng, max_pieces):
    out = []
    for _ in range(rng.randint(1, max_pieces)):
        pool = rng.choice(POOLS)
        if rng.random() < 0.3:
            out.append(pool)
        else:
            k = rng.randint(1, 6)
            out.append("".join(rng.choice(pool) for _ in range(k)))
    if rng.random() < 0.1:
        out.insert(rng.randint(0, len(out)), rng.choice(SPECIAL + NON_SPECIAL))
    return "".join(out)


def build(kind, lines):
    tok = Tokenizer(models.BPE())
    if kind == "deepseek":
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(p), "isolated") for p in DEEPSEEK_SPLITS] +
            [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    elif kind == "llama3":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                     use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=3000, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=SPECIAL)
    tok.train_from_iterator(lines, trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=True)
                    for t in NON_SPECIAL])
    return tok


def legacy_merges(path_in, path_out):
    """Rewrites [a, b] merges as "a b" strings (the older format)."""
    with open(path_in, encoding="utf-8") as f:
        j = json.load(f)
    j["model"]["merges"] = [m if isinstance(m, str) else " ".join(m)
                            for m in j["model"]["merges"]]
    with open(path_out, "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False)


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


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    tool = sys.argv[1]
    keep = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--keep" else None
    rng = random.Random(1234)
    lines = training_text(rng)
    texts = FIXED + [random_string(rng, 40) for _ in range(1500)]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = keep or tmp
        os.makedirs(workdir, exist_ok=True)
        for kind in ["deepseek", "deepseek-legacy-merges", "llama3", "gpt2"]:
            base = kind.split("-")[0]
            tok = build(base, lines)
            path = os.path.join(workdir, f"{kind}.json")
            tok.save(path)
            if kind.endswith("legacy-merges"):
                legacy_merges(path, path)
                tok = Tokenizer.from_file(path)
            # Arbitrary id sequences too: cut characters, special tokens.
            vocab = tok.get_vocab_size()
            ids_rng = random.Random(99)
            seqs = [[ids_rng.randrange(vocab) for _ in range(ids_rng.randint(1, 12))]
                    for _ in range(500)]
            ours, our_decoded = run_ours(tool, path, texts, seqs, workdir)
            bad = 0
            for text, (ids, dec) in zip(texts, ours):
                want = tok.encode(text, add_special_tokens=False).ids
                want_dec = tok.decode(want, skip_special_tokens=False)
                if ids != want or dec != want_dec:
                    bad += 1
                    if bad <= 5:
                        print(f"[{kind}] MISMATCH for {text!r}\n"
                              f"  hf  ids {want}\n  our ids {ids}\n"
                              f"  hf  dec {want_dec!r}\n  our dec {dec!r}")
            bad_dec = 0
            for seq, dec in zip(seqs, our_decoded):
                want_dec = tok.decode(seq, skip_special_tokens=False)
                if dec != want_dec:
                    bad_dec += 1
                    if bad_dec <= 5:
                        print(f"[{kind}] DECODE MISMATCH for {seq}\n"
                              f"  hf  {want_dec!r}\n  our {dec!r}")
            print(f"[{kind}] vocab {vocab}: {len(texts) - bad}/{len(texts)} "
                  f"texts agree (ids and decode), {len(seqs) - bad_dec}/"
                  f"{len(seqs)} random id sequences decode alike")
            failures += bad + bad_dec
    if failures:
        print(f"FAILED: {failures} differences")
        return 1
    print("PASSED: dsv4c Tokenizer matches HF tokenizers "
          f"{__import__('tokenizers').__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
