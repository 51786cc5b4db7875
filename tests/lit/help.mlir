// `dsv4c opt --help` lists the tile dialect among the registered dialects.
// RUN: dsv4c opt --help | FileCheck %s
// RUN: dsv4c --help | FileCheck %s --check-prefix=DRIVER

// CHECK: Available Dialects: {{.*}}, tile,
// DRIVER: usage: dsv4c <command>
// DRIVER: opt
// DRIVER: run-kernel
