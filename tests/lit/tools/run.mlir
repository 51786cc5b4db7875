// `dsv4c run` on a generated tiny checkpoint; the file holds only RUN lines.
// The happy path uses the reference target (no compile step); the cpu
// target is covered by tests/model_e2e.
// RUN: rm -rf %t && dsv4c gen-checkpoint %t/m --seed 2 > /dev/null
// RUN: dsv4c run %t/m --prompt "Hello, world" --max-new-tokens 3 --target reference --ignore-eos 2>%t/err | FileCheck %s
// CHECK: Hello, world
// RUN: FileCheck %s --check-prefix=STATS < %t/err
// STATS: dsv4c run: weights {{[0-9]+}}/{{[0-9]+}}
// STATS: prefill {{[0-9]+}} tokens in {{.*}} tokens/s); decode 2 tokens in {{.*}} tokens/s)

// Token ids in; a batch prints one line per sequence.
// RUN: dsv4c run %t/m --tokens 1,2,3 --tokens 4,5 --max-new-tokens 2 --target reference --ignore-eos --quiet --dump-logits %t/l.npy --dump-tokens %t/t.npy | FileCheck %s --check-prefix=BATCH
// BATCH: {{^}}[0] 
// BATCH-NEXT: {{^}}[1] 

// Bad input: one message naming the problem, exit status 1.
// RUN: not dsv4c run 2>&1 | FileCheck %s --check-prefix=NODIR
// NODIR: dsv4c run: missing MODEL (a bundle or a model directory
// RUN: not dsv4c run %t/m 2>&1 | FileCheck %s --check-prefix=NOPROMPT
// NOPROMPT: dsv4c run: give a --prompt or --tokens
// RUN: not dsv4c run %t/m --tokens 1,x 2>&1 | FileCheck %s --check-prefix=IDS
// IDS: dsv4c run: --tokens needs comma-separated non-negative ids
// RUN: not dsv4c run %t/m --tokens 1,300 2>&1 | FileCheck %s --check-prefix=VOCAB
// VOCAB: dsv4c run: token id 300 is outside the vocabulary [0, 300)
// RUN: not dsv4c run %t/m --tokens 1 --target tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: dsv4c run: unknown target 'tpu' for a model directory (this build runs: cpu, reference, cuda)
// RUN: not dsv4c run %t/nowhere --tokens 1 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: dsv4c run: {{.*}}nowhere: no such file or directory
// RUN: not dsv4c run %t/m --tokens 1,2,3 --max-new-tokens 4 --max-seq-len 5 --target reference --quiet 2>&1 | FileCheck %s --check-prefix=LEN
// LEN: dsv4c run: prompt 0 (3 tokens) + 4 new tokens need 6 positions; the maximum sequence length is 5
// RUN: mkdir -p %t/badhead && cp %t/m/* %t/badhead/ && sed -i 's/"head_dim": 512/"head_dim": 96/' %t/badhead/config.json
// RUN: not dsv4c run %t/badhead --tokens 1 2>&1 | FileCheck %s --check-prefix=HEAD
// HEAD: dsv4c run: config.json: field 'head_dim' is 96; the V4 kernels need 512 (sparse_attention)

// Engram: a bad `engram` section names the field; missing tables name the tool.
// RUN: rm -rf %t/eg && dsv4c gen-checkpoint %t/eg --engram > /dev/null 2>&1
// RUN: not dsv4c run %t/eg --tokens 1 2>&1 | FileCheck %s --check-prefix=EGTABLES
// EGTABLES: dsv4c run: {{.*}}eg/engram.safetensors not found: the model has Engram layers; write its tables with python3 scripts/engram_tables.py
// RUN: sed -i 's/"max_ngram_size": 3/"max_ngram_size": 5/' %t/eg/config.json
// RUN: not dsv4c run %t/eg --tokens 1 2>&1 | FileCheck %s --check-prefix=EGFIELD
// EGFIELD: dsv4c run: {{.*}}config.json: field 'engram.max_ngram_size' is 5; must be 2 to 4 (engram_hash)
