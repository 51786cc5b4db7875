// `dsv4c compile`, `inspect`, and running bundles with dsv4c and the
// runtime's dsv4-run; every damaged or mismatched bundle gives one message
// naming the file and the problem, and exit status 1. (RUN lines only.)
// RUN: rm -rf %t && mkdir -p %t && dsv4c gen-checkpoint %t/m --seed 3 > /dev/null 2>&1
// RUN: dsv4c compile %t/m -o %t/m.dsv4 2>&1 | FileCheck %s --check-prefix=COMPILE
// COMPILE: dsv4c compile: compiling {{[0-9]+}} kernels for cpu (cpu host)
// COMPILE: dsv4c compile: wrote {{.*}}m.dsv4

// The same input compiles to the same bytes.
// RUN: dsv4c compile %t/m -o %t/again.dsv4 --quiet
// RUN: cmp %t/m.dsv4 %t/again.dsv4
// RUN: dsv4-run inspect %t/m.dsv4 | FileCheck %s --check-prefix=INSPECT
// INSPECT: format version 1, {{.*}}, checksums verified
// INSPECT: manifest.json
// INSPECT: model: DeepSeek-V4, 3 layers + 1 MTP, dim 64, vocab 300
// INSPECT: graph: sliding_window/hash, csa/score, hca/score, mtp:sliding_window/score
// INSPECT: tokenizer: yes
// INSPECT: target cpu: elf-shared-object, {{.*}} kernels
// INSPECT: kernels: {{.*}}sparse_attention
// INSPECT: layout: {{[0-9]+}} tensors, placement in-place
// INSPECT-NEXT: kv cache: 584-byte entries, pages of 64
// INSPECT: weights: by reference to {{.*}}/m
// INSPECT: model.safetensors:

// The bundle runs (dsv4-run, no compiler) bit for bit like the JIT on the
// model directory (dsv4c).
// RUN: dsv4-run run %t/m.dsv4 --tokens 5,6,7,8 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/aot.npy
// RUN: dsv4c run %t/m --tokens 5,6,7,8 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/jit.npy
// RUN: cmp %t/aot.npy %t/jit.npy
// Two tensor-parallel ranks (threads; each holds one of the 2 heads, 4 of
// the 8 experts, half the vocabulary) give other logits bits (partial sums
// added in another order; tests/model_e2e/TensorParallelTest.cpp bounds
// them), the same number of steps; ranks must divide the heads.
// RUN: dsv4-run run %t/m.dsv4 --tokens 5,6,7,8 --max-new-tokens 4 --ignore-eos --quiet --ranks 2 --dump-logits %t/tp2.npy
// RUN: wc -c < %t/aot.npy > %t/aot.size && wc -c < %t/tp2.npy > %t/tp2.size
// RUN: cmp %t/aot.size %t/tp2.size
// RUN: not cmp -s %t/aot.npy %t/tp2.npy
// RUN: not dsv4-run run %t/m.dsv4 --tokens 1 --ranks 4 2>&1 | FileCheck %s --check-prefix=TP4
// TP4: dsv4-run run: config.json: field 'num_attention_heads' is 2, which 4 tensor-parallel ranks do not divide
// RUN: not dsv4-run run %t/m.dsv4 --tokens 1 --ranks 0 2>&1 | FileCheck %s --check-prefix=TP0
// TP0: dsv4-run run: --ranks needs an integer from 1 to 64
// A portable CPU level: same logits (no fast-math: the ISA changes speed,
// not results); bf16 conversions then come from compiler-rt, linked in.
// RUN: dsv4c compile %t/m -o %t/v2.dsv4 --cpu x86-64-v2 --quiet
// RUN: dsv4-run run %t/v2.dsv4 --tokens 5,6,7,8 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/v2.npy
// RUN: cmp %t/v2.npy %t/jit.npy
// RUN: dsv4c run %t/m.dsv4 --prompt "Hello" --max-new-tokens 2 --quiet | FileCheck %s --check-prefix=TEXT
// TEXT: Hello

// Embedded weights: the bundle alone suffices.
// RUN: dsv4c compile %t/m -o %t/e.dsv4 --embed-weights --quiet
// RUN: mv %t/m %t/m-moved
// RUN: dsv4-run run %t/e.dsv4 --tokens 5,6,7,8 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/emb.npy
// RUN: cmp %t/emb.npy %t/jit.npy
// RUN: dsv4-run inspect %t/e.dsv4 | FileCheck %s --check-prefix=EMB
// EMB: weights/model.safetensors
// EMB: weights: embedded

// The weights directory moved: say so, and --weights finds it.
// RUN: not dsv4-run run %t/m.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=MOVED
// MOVED: dsv4-run run: {{.*}}m.dsv4: the weights directory {{.*}}/m it refers to does not exist (use --weights DIR, or compile with --embed-weights)
// RUN: dsv4-run run %t/m.dsv4 --weights %t/m-moved --tokens 1 --max-new-tokens 1 --quiet > /dev/null

// --generate-weights needs no files: the weights made while they load equal
// the checkpoint of that seed bit for bit (the directory made with
// --seed 3), and another seed gives other logits.
// RUN: dsv4-run run %t/m.dsv4 --generate-weights 3 --tokens 5,6,7,8 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/gen3.npy
// RUN: cmp %t/gen3.npy %t/jit.npy
// RUN: dsv4-run run %t/m.dsv4 --generate-weights 4 --tokens 5,6,7,8 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/gen4.npy
// RUN: not cmp -s %t/gen4.npy %t/jit.npy
// RUN: dsv4-run bench %t/m.dsv4 --generate-weights 3 --context 4 --decode 2 --repeat 1 --quiet | FileCheck %s --check-prefix=GENBENCH
// GENBENCH: decode {{ *}}{{[0-9.]+}} tokens/s
// RUN: not dsv4-run run %t/m.dsv4 --generate-weights 3 --weights %t/m-moved --tokens 1 2>&1 | FileCheck %s --check-prefix=GENBOTH
// GENBOTH: dsv4-run run: give --weights or --generate-weights, not both
// RUN: not dsv4-run bench %t/m.dsv4 --generate-weights -1 2>&1 | FileCheck %s --check-prefix=GENSEED
// GENSEED: dsv4-run bench: --generate-weights needs a seed (a non-negative integer)
// RUN: mv %t/m-moved %t/m

// The weights no longer match: a file gone, resized, or retabled.
// RUN: cp -r %t/m %t/w
// RUN: echo extra >> %t/w/model.safetensors
// RUN: not dsv4-run run %t/m.dsv4 --weights %t/w --tokens 1 2>&1 | FileCheck %s --check-prefix=SIZE
// SIZE: {{.*}}m.dsv4: weights file {{.*}}/w/model.safetensors has {{[0-9]+}} bytes, not the {{[0-9]+}} recorded, since the bundle was compiled
// RUN: cp %t/m/model.safetensors %t/w/ && sed -i 's/embed.weight/embed.weighs/' %t/w/model.safetensors
// RUN: not dsv4-run run %t/m.dsv4 --weights %t/w --tokens 1 2>&1 | FileCheck %s --check-prefix=TABLE
// TABLE: weights file {{.*}}/w/model.safetensors has a different tensor table since the bundle was compiled
// RUN: rm %t/w/model.safetensors
// RUN: not dsv4-run run %t/m.dsv4 --weights %t/w --tokens 1 2>&1 | FileCheck %s --check-prefix=GONE
// GONE: weights file {{.*}}/w/model.safetensors is missing

// Damaged files.
// RUN: head -c 100000 %t/m.dsv4 > %t/trunc.dsv4
// RUN: not dsv4-run run %t/trunc.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: dsv4-run run: {{.*}}trunc.dsv4: truncated: the file has 100000 bytes, its header records {{[0-9]+}}
// RUN: cp %t/m.dsv4 %t/corrupt.dsv4 && printf 'dsv4c-corrupt-16' | dd of=%t/corrupt.dsv4 bs=1 seek=40000 conv=notrunc 2>/dev/null
// RUN: not dsv4-run run %t/corrupt.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=CORRUPT
// CORRUPT: {{.*}}corrupt.dsv4: section 'kernels/cpu' is corrupt (checksum mismatch)
// RUN: bundle_forge %t/m.dsv4 %t/ver2.dsv4 --version 2
// RUN: not dsv4-run run %t/ver2.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=VERSION
// VERSION: {{.*}}ver2.dsv4: bundle format version 2; this runtime reads version 1
// RUN: not dsv4-run run %t/m/config.json --tokens 1 2>&1 | FileCheck %s --check-prefix=NOTBUNDLE
// NOTBUNDLE: config.json: not a dsv4c bundle

// Wrong target: not in the bundle, another architecture, a directory for
// the runtime-only tool.
// RUN: not dsv4-run run %t/m.dsv4 --target cuda --tokens 1 2>&1 | FileCheck %s --check-prefix=NOTARGET
// NOTARGET: {{.*}}m.dsv4: holds kernels for cpu, not for 'cuda' (dsv4c compile --target cuda)
// RUN: bundle_forge %t/m.dsv4 %t/arm.dsv4 --replace manifest.json x86_64- aarch64-
// RUN: not dsv4-run run %t/arm.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: {{.*}}arm.dsv4: target 'cpu' was compiled for aarch64-{{.*}}; this machine is x86_64
// The target's layout section must state this runtime's KV cache layout.
// RUN: bundle_forge %t/m.dsv4 %t/kv656.dsv4 --replace layout/cpu '"entry_bytes":584' '"entry_bytes":656'
// RUN: not dsv4-run run %t/kv656.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=KVLAYOUT
// KVLAYOUT: {{.*}}kv656.dsv4: layout/cpu: field 'kv_cache' states another KV cache layout than this runtime's (584-byte entries, pages of 64); recompile the bundle with the dsv4c of this runtime
// RUN: bundle_forge %t/m.dsv4 %t/kvnone.dsv4 --replace layout/cpu '"kv_cache"' '"kv_cachX"'
// RUN: not dsv4-run run %t/kvnone.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=KVNONE
// KVNONE: {{.*}}kvnone.dsv4: layout/cpu: no 'kv_cache' layout (a bundle of an older dsv4c; recompile it with the dsv4c of this runtime)
// RUN: not dsv4-run run %t/m --tokens 1 2>&1 | FileCheck %s --check-prefix=DIR
// DIR: dsv4-run run: {{.*}}/m is a model directory; this runtime-only build runs bundles (make one with: dsv4c compile
// RUN: not dsv4c compile %t/m -o %t/x.dsv4 --target reference 2>&1 | FileCheck %s --check-prefix=REF
// REF: dsv4c compile: the reference target is an interpreter
// RUN: not dsv4c compile %t/m -o %t/x.dsv4 --cpu pentium9000 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: dsv4c compile: cpu: unknown CPU 'pentium9000'

// RUN: dsv4-run targets | FileCheck %s --check-prefix=TARGETS
// TARGETS: compiles for: nothing (a runtime-only build)
// TARGETS: runs bundles for: cpu
// RUN: dsv4-run bench %t/m.dsv4 --context 8 --decode 2 --repeat 1 --quiet | FileCheck %s --check-prefix=BENCH
// BENCH: kv cache: {{[0-9.]+}} MiB per sequence at 11 positions; {{[1-9][0-9.]*}} bytes per token of context
// BENCH: target cpu, batch 1, context 8, decode 2 steps
// BENCH: decode {{ *}}{{[0-9.]+}} tokens/s
// A chunked prefill (128 tokens, then 2) gives the logits of one prefill.
// RUN: dsv4-run run %t/m.dsv4 --tokens 11,48,85,122,159,196,233,270,7,44,81,118,155,192,229,266,3,40,77,114,151,188,225,262,299,36,73,110,147,184,221,258,295,32,69,106,143,180,217,254,291,28,65,102,139,176,213,250,287,24,61,98,135,172,209,246,283,20,57,94,131,168,205,242,279,16,53,90,127,164,201,238,275,12,49,86,123,160,197,234,271,8,45,82,119,156,193,230,267,4,41,78,115,152,189,226,263,0,37,74,111,148,185,222,259,296,33,70,107,144,181,218,255,292,29,66,103,140,177,214,251,288,25,62,99,136,173,210,247,284 --max-new-tokens 3 --ignore-eos --quiet --dump-logits %t/whole.npy
// RUN: dsv4-run run %t/m.dsv4 --tokens 11,48,85,122,159,196,233,270,7,44,81,118,155,192,229,266,3,40,77,114,151,188,225,262,299,36,73,110,147,184,221,258,295,32,69,106,143,180,217,254,291,28,65,102,139,176,213,250,287,24,61,98,135,172,209,246,283,20,57,94,131,168,205,242,279,16,53,90,127,164,201,238,275,12,49,86,123,160,197,234,271,8,45,82,119,156,193,230,267,4,41,78,115,152,189,226,263,0,37,74,111,148,185,222,259,296,33,70,107,144,181,218,255,292,29,66,103,140,177,214,251,288,25,62,99,136,173,210,247,284 --max-new-tokens 3 --ignore-eos --quiet --prefill-chunk 128 --dump-logits %t/chunked.npy
// RUN: cmp %t/whole.npy %t/chunked.npy
// A prefix cache directory: the first run stores the prompt's 128-token
// prefix in a file, the second reuses it and gives the same logits.
// RUN: rm -rf %t/pc && dsv4-run run %t/m.dsv4 --tokens 11,48,85,122,159,196,233,270,7,44,81,118,155,192,229,266,3,40,77,114,151,188,225,262,299,36,73,110,147,184,221,258,295,32,69,106,143,180,217,254,291,28,65,102,139,176,213,250,287,24,61,98,135,172,209,246,283,20,57,94,131,168,205,242,279,16,53,90,127,164,201,238,275,12,49,86,123,160,197,234,271,8,45,82,119,156,193,230,267,4,41,78,115,152,189,226,263,0,37,74,111,148,185,222,259,296,33,70,107,144,181,218,255,292,29,66,103,140,177,214,251,288,25,62,99,136,173,210,247,284 --max-new-tokens 3 --ignore-eos --prefix-cache %t/pc 2>&1 >/dev/null | FileCheck %s --check-prefix=PCSTORE
// PCSTORE: prefix cache {{.*}}/pc: 0 prompt tokens reused; 0 found (0 on disk), 1 not found, 0 damaged files removed, 1 stored
// RUN: dsv4-run run %t/m.dsv4 --tokens 11,48,85,122,159,196,233,270,7,44,81,118,155,192,229,266,3,40,77,114,151,188,225,262,299,36,73,110,147,184,221,258,295,32,69,106,143,180,217,254,291,28,65,102,139,176,213,250,287,24,61,98,135,172,209,246,283,20,57,94,131,168,205,242,279,16,53,90,127,164,201,238,275,12,49,86,123,160,197,234,271,8,45,82,119,156,193,230,267,4,41,78,115,152,189,226,263,0,37,74,111,148,185,222,259,296,33,70,107,144,181,218,255,292,29,66,103,140,177,214,251,288,25,62,99,136,173,210,247,284 --max-new-tokens 3 --ignore-eos --prefix-cache %t/pc --dump-logits %t/cached.npy 2>&1 >/dev/null | FileCheck %s --check-prefix=PCHIT
// PCHIT: prefix cache {{.*}}/pc: 128 prompt tokens reused; 1 found (1 on disk), 0 not found, 0 damaged files removed, 0 stored
// RUN: cmp %t/whole.npy %t/cached.npy
// RUN: not dsv4-run run %t/m.dsv4 --tokens 1,2 --prefix-cache %t/m.dsv4/pc 2>&1 | FileCheck %s --check-prefix=PCBAD
// PCBAD: dsv4-run run: prefix cache: cannot make the directory {{.*}}m.dsv4/pc: Not a directory
// RUN: not dsv4-run run %t/m.dsv4 --tokens 1,2 --prefill-chunk 100 2>&1 | FileCheck %s --check-prefix=BADCHUNK
// BADCHUNK: dsv4-run run: a prefill chunk of 100 tokens: it must be a multiple of 128 (the compression ratios' common multiple), or 0 for whole prompts
// RUN: dsv4-run bench %t/m.dsv4 --context 130 --prefill-chunk 128 --decode 2 --repeat 1 --quiet | FileCheck %s --check-prefix=BENCHCHUNK
// BENCHCHUNK: prefill {{ *}}{{[0-9.]+}} tokens/s
// Time to the first token with a 128-token prefix forked, and without.
// RUN: dsv4-run bench %t/m.dsv4 --context 130 --shared-prefix 128 --decode 1 --repeat 1 --quiet | FileCheck %s --check-prefix=PREFIX
// PREFIX: time to first token, context 130: {{[0-9.]+}} ms prefilled whole; with the first 128 tokens reused: {{[0-9.]+}} ms forked ({{[0-9.]+}}x), {{[0-9.]+}} ms from host memory ({{[0-9.]+}}x), {{[0-9.]+}} ms from a file ({{[0-9.]+}}x)
// RUN: dsv4-run bench %t/m.dsv4 --context 128 --shared-prefix 128 --decode 1 --repeat 1 --quiet | FileCheck %s --check-prefix=SHORTPREFIX
// SHORTPREFIX: time to first token, context 128: not measured (not longer than the 128-token prefix)
// RUN: not dsv4-run bench %t/m.dsv4 --shared-prefix 100 2>&1 | FileCheck %s --check-prefix=BADPREFIX
// BADPREFIX: dsv4-run bench: --shared-prefix 100: must be a multiple of 128 tokens (the compression ratios' common multiple)
// Several contexts: caches for the longest, each context measured.
// RUN: dsv4-run bench %t/m.dsv4 --context 4,8 --batch 1,2 --decode 2 --repeat 1 --quiet | FileCheck %s --check-prefix=CONTEXTS
// CONTEXTS: kv cache: {{.*}} at 11 positions
// CONTEXTS: batch 1, context 4,
// CONTEXTS: batch 2, context 4,
// CONTEXTS: batch 1, context 8,
// CONTEXTS: batch 2, context 8,
// RUN: not dsv4-run bench %t/m.dsv4 --context 4,0 2>&1 | FileCheck %s --check-prefix=BADCONTEXT
// BADCONTEXT: dsv4-run bench: --context needs integers >= 1, comma separated
// RUN: dsv4-run bench %t/m.dsv4 --context 8 --decode 2 --repeat 1 --quiet --profile | FileCheck %s --check-prefix=PROFILE
// PROFILE: kernel {{ *}}launches {{ *}}total ms
// PROFILE: decode steps (last run, 2): {{[1-9][0-9.]*}} launches per step, {{[0-9.]+}} per block ({{[1-9][0-9]*}} blocks); {{[0-9.]+}} ms per step, {{[0-9.]+}} in kernels, {{-?[0-9.]+}} outside them

// A bundle from an older dsv4c that lacks a kernel this runtime launches.
// RUN: bundle_forge %t/m.dsv4 %t/old.dsv4 --replace manifest.json '"head_rms",' ''
// RUN: not dsv4-run run %t/old.dsv4 --tokens 1 2>&1 | FileCheck %s --check-prefix=KERNEL
// KERNEL: {{.*}}old.dsv4: target 'cpu' has no kernel 'head_rms', which this runtime launches

// An Engram model: its tables travel in the bundle; AOT == JIT.
// RUN: dsv4c gen-checkpoint %t/eg --engram --seed 2 > /dev/null 2>&1
// RUN: not dsv4c compile %t/eg -o %t/eg.dsv4 2>&1 | FileCheck %s --check-prefix=NOTABLES
// NOTABLES: engram.safetensors{{.*}}(the model has Engram layers; write the tables with python3 scripts/engram_tables.py
// RUN: /usr/bin/python3 %dsv4c_src/scripts/engram_tables.py %t/eg > /dev/null
// RUN: dsv4c compile %t/eg -o %t/eg.dsv4 --quiet
// RUN: dsv4-run inspect %t/eg.dsv4 | FileCheck %s --check-prefix=EGSECT
// EGSECT: engram.safetensors
// RUN: dsv4-run run %t/eg.dsv4 --tokens 9,8,7,6,5 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/eg_aot.npy
// RUN: dsv4c run %t/eg --tokens 9,8,7,6,5 --max-new-tokens 4 --ignore-eos --quiet --dump-logits %t/eg_jit.npy
// RUN: cmp %t/eg_aot.npy %t/eg_jit.npy
