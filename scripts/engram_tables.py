#!/usr/bin/env python3
"""Writes MODEL_DIR/engram.safetensors: the Engram tables dsv4c reads.

Engram (DeepSeek, arXiv 2601.07372) hashes n-grams of *compressed* token
ids. Compression and the hash multipliers are fixed functions of the
tokenizer and the config, so they are computed once here, with the same
libraries as deepseek-ai/Engram's engram_demo_v1.py (HF `tokenizers`
normalizers, numpy's default_rng), never at run time:

  engram.lookup                 I64 [vocab_size]  token id -> compressed id
  engram.pad_id                 I64 [1]           the compressed pad_id
  engram.layers.L.multipliers   I64 [max_ngram_size] per Engram layer L

Compression (CompressedTokenizer): each token's decoded text is normalised
(NFKC, NFD, strip accents, lowercase, whitespace runs to one space, strip;
a lone space stays a space); tokens whose text contains U+FFFD use their
token string instead; equal keys share one compressed id, numbered in token
order. Ids the tokenizer does not have (vocab_size may be padded) get keys of
their own. Multipliers (NgramHashMapping): for each layer,
default_rng(seed + 10007 * layer).integers(0, half_bound, max_ngram_size) * 2
+ 1, half_bound = (int64 max // compressed vocab size) // 2.

usage: engram_tables.py MODEL_DIR   (needs config.json with an `engram`
section and tokenizer.json)
"""
import json
import os
import struct
import sys

import numpy as np
from tokenizers import Regex, Tokenizer, normalizers


def compressed_lookup(tokenizer, vocab_size):
    sentinel = "\uE000"
    norm = normalizers.Sequence([
        normalizers.NFKC(),
        normalizers.NFD(),
        normalizers.StripAccents(),
        normalizers.Lowercase(),
        normalizers.Replace(Regex(r"[ \t\r\n]+"), " "),
        normalizers.Replace(Regex(r"^ $"), sentinel),
        normalizers.Strip(),
        normalizers.Replace(sentinel, " "),
    ])
    known = tokenizer.get_vocab_size(with_added_tokens=True)
    key_to_new, lookup = {}, np.empty(vocab_size, dtype=np.int64)
    for tid in range(vocab_size):
        if tid < known:
            text = tokenizer.decode([tid], skip_special_tokens=False)
            if "\ufffd" in text:
                key = tokenizer.id_to_token(tid)
            else:
                n = norm.normalize_str(text)
                key = n if n else text
        else:
            key = "\x00unknown token %d" % tid
        lookup[tid] = key_to_new.setdefault(key, len(key_to_new))
    return lookup, len(key_to_new)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<i8").tobytes()
        header[name] = {"dtype": "I64", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) == 2 else 1
    model_dir = argv[1]
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    e = cfg.get("engram")
    if not e:
        sys.exit("engram_tables.py: %s/config.json has no 'engram' section" % model_dir)
    tok_path = os.path.join(model_dir, "tokenizer.json")
    if not os.path.exists(tok_path):
        sys.exit("engram_tables.py: %s not found (Engram compresses the "
                 "tokenizer's ids)" % tok_path)
    lookup, compressed = compressed_lookup(Tokenizer.from_file(tok_path),
                                           int(cfg["vocab_size"]))
    n = int(e["max_ngram_size"])
    half_bound = max(1, int(np.iinfo(np.int64).max // compressed) // 2)
    tensors = {"engram.lookup": lookup,
               "engram.pad_id": np.array([lookup[int(e["pad_id"])]], dtype=np.int64)}
    for layer in e["layer_ids"]:
        g = np.random.default_rng(int(e.get("seed", 0)) + 10007 * int(layer))
        r = g.integers(low=0, high=half_bound, size=(n,), dtype=np.int64)
        tensors["engram.layers.%d.multipliers" % layer] = r * 2 + 1
    out = os.path.join(model_dir, "engram.safetensors")
    write_safetensors(out, tensors, {"format": "dsv4c-engram-tables",
                                     "compressed_vocab_size": str(compressed)})
    print("engram_tables.py: wrote %s (%d token ids -> %d compressed ids, %d layers)"
          % (out, len(lookup), compressed, len(e["layer_ids"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
