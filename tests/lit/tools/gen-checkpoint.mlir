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

// --layers keeps the first layers and the MTP block (tiny: 3 layers + MTP).
// RUN: dsv4c gen-checkpoint %t/two_layers --layers 2 --no-tokenizer
// RUN: FileCheck %s --check-prefix=LAYERS < %t/two_layers/config.json
// LAYERS: "num_hidden_layers": 2
// LAYERS: "compress_ratios": [
// LAYERS-NEXT: 0,
// LAYERS-NEXT: 4,
// LAYERS-NEXT: 0
// LAYERS-NEXT: ]
// RUN: not dsv4c gen-checkpoint %t/x --preset flash --layers 44 2>&1 | FileCheck %s --check-prefix=TOOMANY
// TOOMANY: dsv4c gen-checkpoint: --layers 44: the config has 43 layers
// RUN: not dsv4c gen-checkpoint %t/x --preset huge 2>&1 | FileCheck %s --check-prefix=PRESET
// PRESET: --preset takes 'tiny' or 'flash'
