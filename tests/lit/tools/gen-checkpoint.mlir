// `dsv4c gen-checkpoint` writes a V4 checkpoint; the file holds only RUN lines.
// RUN: rm -rf %t && dsv4c gen-checkpoint %t/one --seed 3 | FileCheck %s
// CHECK: wrote {{.*}}one/config.json, tokenizer.json and model.safetensors
// RUN: dsv4c gen-checkpoint %t/two --seed 3 && cmp %t/one/model.safetensors %t/two/model.safetensors
// RUN: dsv4c gen-checkpoint %t/sharded --shards 3 && test -f %t/sharded/model.safetensors.index.json
// RUN: test -f %t/sharded/model-00003-of-00003.safetensors

// A config.json from the generator reads back as a config.
// RUN: dsv4c gen-checkpoint %t/again --seed 3 --config %t/one/config.json
// RUN: cmp %t/one/model.safetensors %t/again/model.safetensors

// Bad input: one message naming the problem, exit status 1.
// RUN: not dsv4c gen-checkpoint %t/x --shards 0 2>&1 | FileCheck %s --check-prefix=SHARDS
// SHARDS: dsv4c gen-checkpoint: --shards needs an integer from 1 to 99999
// RUN: echo '{"hidden_size": 64}' > %t/bad.json
// RUN: not dsv4c gen-checkpoint %t/x --config %t/bad.json 2>&1 | FileCheck %s --check-prefix=CONFIG
// CONFIG: bad.json
// RUN: not dsv4c gen-checkpoint %t/x --bogus 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: unknown option '--bogus'
