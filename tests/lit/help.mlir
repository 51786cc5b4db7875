// `dsv4c opt --help` lists the tile dialect among the registered dialects.
// RUN: dsv4c opt --help | FileCheck %s
// RUN: dsv4c --help | FileCheck %s --check-prefix=DRIVER

// CHECK: Available Dialects: {{.*}}, tile,
// DRIVER: usage: dsv4c <command>
// DRIVER: opt
// DRIVER: run-kernel
// DRIVER: compile
// DRIVER: run
// DRIVER: bench
// DRIVER: inspect
// DRIVER: targets

// Every command's --help starts with its usage line.
// RUN: dsv4c compile --help | FileCheck %s --check-prefix=COMPILE
// COMPILE: usage: dsv4c compile MODEL_DIR -o BUNDLE
// RUN: dsv4c bench --help | FileCheck %s --check-prefix=BENCH
// BENCH: usage: dsv4c bench MODEL
// RUN: dsv4c inspect --help | FileCheck %s --check-prefix=INSPECT
// RUN: dsv4c conform --help | FileCheck %s --check-prefix=CONFORM
// CONFORM: usage: dsv4c conform --target T
// RUN: dsv4-run conform --help | FileCheck %s --check-prefix=RTCONFORM
// RTCONFORM: usage: dsv4-run conform PACK_DIR
// INSPECT: usage: dsv4c inspect BUNDLE
// RUN: dsv4-run --help | FileCheck %s --check-prefix=RUNTIME
// RUNTIME: usage: dsv4-run <command>
// RUN: dsv4-run run --help | FileCheck %s --check-prefix=RUNHELP
// RUNHELP: usage: dsv4-run run MODEL
// RUN: not dsv4-run frobnicate 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: dsv4-run: unknown command 'frobnicate'
