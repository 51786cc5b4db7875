// Every tile op, in its custom form, survives print -> parse -> print.
// RUN: dsv4c opt %s | dsv4c opt | FileCheck %s
// The printed form is also stable: printing twice gives the same text.
// RUN: dsv4c opt %s > %t.1.mlir
// RUN: dsv4c opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir

// Kernel arguments: pointers and every kernel scalar type. Inside a kernel
// the tile dialect is the default, so its ops print without the prefix.
// CHECK-LABEL: tile.kernel @grid(
// CHECK-SAME:    %{{.*}}: !tile.ptr<f32>, %{{.*}}: index, %{{.*}}: i32, %{{.*}}: i64, %{{.*}}: f16, %{{.*}}: bf16, %{{.*}}: f32) {
// CHECK-NEXT:    %{{.*}} = program_id 0
// CHECK-NEXT:    %{{.*}} = program_id 1
// CHECK-NEXT:    %{{.*}} = program_id 2
// CHECK-NEXT:    %{{.*}} = num_programs 0
// CHECK-NEXT:    %{{.*}} = num_programs 2
// CHECK-NEXT:    return
// CHECK-NEXT:  }
tile.kernel @grid(%x: !tile.ptr<f32>, %n: index, %a: i32, %b: i64, %c: f16, %d: bf16, %e: f32) {
  %p0 = tile.program_id 0
  %p1 = tile.program_id 1
  %p2 = tile.program_id 2
  %n0 = tile.num_programs 0
  %n2 = tile.num_programs 2
  tile.return
}

// The prefix may be omitted inside a kernel when parsing, too.
// CHECK-LABEL: tile.kernel @unprefixed(
// CHECK-NEXT:    program_id 1
// CHECK-NEXT:    return
tile.kernel @unprefixed() {
  %p = program_id 1
  return
}

// Every element type a pointer may address.
// CHECK-LABEL: tile.kernel @ptr_types(
// CHECK-SAME:    !tile.ptr<i8>, %{{.*}}: !tile.ptr<i32>, %{{.*}}: !tile.ptr<i64>,
// CHECK-SAME:    !tile.ptr<f16>, %{{.*}}: !tile.ptr<bf16>, %{{.*}}: !tile.ptr<f32>,
// CHECK-SAME:    !tile.ptr<f8E4M3FN>, %{{.*}}: !tile.ptr<f4E2M1FN>, %{{.*}}: !tile.ptr<f8E8M0FNU>)
tile.kernel @ptr_types(%a: !tile.ptr<i8>, %b: !tile.ptr<i32>, %c: !tile.ptr<i64>, %d: !tile.ptr<f16>, %e: !tile.ptr<bf16>, %f: !tile.ptr<f32>, %g: !tile.ptr<f8E4M3FN>, %h: !tile.ptr<f4E2M1FN>, %i: !tile.ptr<f8E8M0FNU>) {
  tile.return
}

// CHECK-LABEL: tile.kernel @memory(
// CHECK-SAME:    %[[X:.*]]: !tile.ptr<f32>, %[[O:.*]]: !tile.ptr<f32>, %[[N:.*]]: index)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[L0:.*]] = load %[[X]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] : !tile.ptr<f32> -> tensor<16x64xf32>
// CHECK-NEXT:    %[[L1:.*]] = load %[[X]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] bounds[%[[N]], %[[C64]]] : !tile.ptr<f32> -> tensor<16x64xf32>
// CHECK-NEXT:    %[[M:.*]] = arith.cmpf ogt, %[[L0]], %[[L1]] : tensor<16x64xf32>
// CHECK-NEXT:    load %[[X]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] mask %[[M]] : !tile.ptr<f32> -> tensor<16x64xf32>
// CHECK-NEXT:    load %[[X]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] other %[[ZERO]] : !tile.ptr<f32> -> tensor<16x64xf32>
// CHECK-NEXT:    %[[L4:.*]] = load %[[X]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] bounds[%[[N]], %[[C64]]] mask %[[M]] other %[[ZERO]] : !tile.ptr<f32> -> tensor<16x64xf32>
// CHECK-NEXT:    store %[[L4]], %[[O]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] : tensor<16x64xf32> -> !tile.ptr<f32>
// CHECK-NEXT:    store %[[L4]], %[[O]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] bounds[%[[N]], %[[C64]]] : tensor<16x64xf32> -> !tile.ptr<f32>
// CHECK-NEXT:    store %[[L4]], %[[O]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] mask %[[M]] : tensor<16x64xf32> -> !tile.ptr<f32>
// CHECK-NEXT:    store %[[L4]], %[[O]][%[[C0]], %[[C0]]] strides[%[[C64]], %[[C1]]] bounds[%[[N]], %[[C64]]] mask %[[M]] : tensor<16x64xf32> -> !tile.ptr<f32>
// CHECK-NEXT:    return
tile.kernel @memory(%x: !tile.ptr<f32>, %o: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %l0 = tile.load %x[%c0, %c0] strides[%c64, %c1] : !tile.ptr<f32> -> tensor<16x64xf32>
  %l1 = tile.load %x[%c0, %c0] strides[%c64, %c1] bounds[%n, %c64] : !tile.ptr<f32> -> tensor<16x64xf32>
  %m = arith.cmpf ogt, %l0, %l1 : tensor<16x64xf32>
  %l2 = tile.load %x[%c0, %c0] strides[%c64, %c1] mask %m : !tile.ptr<f32> -> tensor<16x64xf32>
  %l3 = tile.load %x[%c0, %c0] strides[%c64, %c1] other %zero : !tile.ptr<f32> -> tensor<16x64xf32>
  %l4 = tile.load %x[%c0, %c0] strides[%c64, %c1] bounds[%n, %c64] mask %m other %zero : !tile.ptr<f32> -> tensor<16x64xf32>
  tile.store %l4, %o[%c0, %c0] strides[%c64, %c1] : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.store %l4, %o[%c0, %c0] strides[%c64, %c1] bounds[%n, %c64] : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.store %l4, %o[%c0, %c0] strides[%c64, %c1] mask %m : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.store %l4, %o[%c0, %c0] strides[%c64, %c1] bounds[%n, %c64] mask %m : tensor<16x64xf32> -> !tile.ptr<f32>
  tile.return
}

// Rank-1 and rank-3 addressing, i1-free narrow types, packed f4E2M1FN.
// CHECK-LABEL: tile.kernel @memory_ranks(
// CHECK:         load %{{.*}}[%{{.*}}] strides[%{{.*}}] : !tile.ptr<i8> -> tensor<32xi8>
// CHECK:         load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] strides[%{{.*}}, %{{.*}}, %{{.*}}] bounds[%{{.*}}, %{{.*}}, %{{.*}}] : !tile.ptr<bf16> -> tensor<2x4x8xbf16>
// CHECK:         load %{{.*}}[%{{.*}}, %{{.*}}] strides[%{{.*}}, %{{.*}}] : !tile.ptr<f4E2M1FN> -> tensor<4x32xf4E2M1FN>
// CHECK:         store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] strides[%{{.*}}, %{{.*}}] : tensor<4x32xf4E2M1FN> -> !tile.ptr<f4E2M1FN>
tile.kernel @memory_ranks(%a: !tile.ptr<i8>, %b: !tile.ptr<bf16>, %f: !tile.ptr<f4E2M1FN>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t1 = tile.load %a[%c0] strides[%c1] : !tile.ptr<i8> -> tensor<32xi8>
  %t3 = tile.load %b[%c0, %c0, %c0] strides[%c1, %c1, %c1] bounds[%c1, %c1, %c1] : !tile.ptr<bf16> -> tensor<2x4x8xbf16>
  %t4 = tile.load %f[%c0, %c0] strides[%c1, %c1] : !tile.ptr<f4E2M1FN> -> tensor<4x32xf4E2M1FN>
  tile.store %t4, %f[%c0, %c0] strides[%c1, %c1] : tensor<4x32xf4E2M1FN> -> !tile.ptr<f4E2M1FN>
  tile.return
}

// CHECK-LABEL: tile.kernel @gather(
// CHECK-SAME:    %[[X:.*]]: !tile.ptr<f32>, %[[IDX:.*]]: !tile.ptr<i32>, %[[I64P:.*]]: !tile.ptr<i64>)
// CHECK:         %[[I:.*]] = load %[[IDX]]
// CHECK:         gather %[[X]][%[[OFF:.*]]], %[[I]] row_stride %[[RS:.*]] : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x64xf32>
// CHECK-NEXT:    gather %[[X]][%[[OFF]]], %[[I]] row_stride %[[RS]] other %{{.*}} : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x64xf32>
// CHECK-NEXT:    gather %[[X]][%[[OFF]]], %{{.*}} row_stride %[[RS]] : !tile.ptr<f32>, tensor<8xi64> -> tensor<8x4xf32>
tile.kernel @gather(%x: !tile.ptr<f32>, %idx: !tile.ptr<i32>, %idx64: !tile.ptr<i64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %neg = arith.constant -1.0 : f32
  %i = tile.load %idx[%c0] strides[%c1] : !tile.ptr<i32> -> tensor<16xi32>
  %j = tile.load %idx64[%c0] strides[%c1] : !tile.ptr<i64> -> tensor<8xi64>
  %g0 = tile.gather %x[%c0], %i row_stride %c64 : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x64xf32>
  %g1 = tile.gather %x[%c0], %i row_stride %c64 other %neg : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x64xf32>
  %g2 = tile.gather %x[%c0], %j row_stride %c64 : !tile.ptr<f32>, tensor<8xi64> -> tensor<8x4xf32>
  tile.return
}

// CHECK-LABEL: tile.kernel @construction(
// CHECK:         %[[S:.*]] = splat %{{.*}} : tensor<16x16xf32>
// CHECK-NEXT:    splat %{{.*}} : tensor<f32>
// CHECK-NEXT:    splat %{{.*}} : tensor<4xi1>
// CHECK-NEXT:    iota : tensor<16xi32>
// CHECK-NEXT:    iota : tensor<8xi64>
// CHECK-NEXT:    %[[R:.*]] = reshape %[[S]] : tensor<16x16xf32> -> tensor<256xf32>
// CHECK-NEXT:    %[[R2:.*]] = reshape %[[R]] : tensor<256xf32> -> tensor<16x1x16xf32>
// CHECK-NEXT:    broadcast %[[R2]] : tensor<16x1x16xf32> -> tensor<16x8x16xf32>
// CHECK-NEXT:    trans %[[S]] {perm = array<i64: 1, 0>} : tensor<16x16xf32> -> tensor<16x16xf32>
// CHECK-NEXT:    trans %[[R2]] {perm = array<i64: 2, 0, 1>} : tensor<16x1x16xf32> -> tensor<16x16x1xf32>
// CHECK-NEXT:    cast %[[S]] : tensor<16x16xf32> -> tensor<16x16xbf16>
// CHECK-NEXT:    cast %[[S]] : tensor<16x16xf32> -> tensor<16x16xf8E4M3FN>
// CHECK-NEXT:    cast %[[S]] : tensor<16x16xf32> -> tensor<16x16xi32>
// CHECK-NEXT:    cast %{{.*}} : tensor<16xi32> -> tensor<16xi64>
tile.kernel @construction(%v: f32) {
  %b = arith.constant true
  %s = tile.splat %v : tensor<16x16xf32>
  %s0 = tile.splat %v : tensor<f32>
  %sb = tile.splat %b : tensor<4xi1>
  %io = tile.iota : tensor<16xi32>
  %io64 = tile.iota : tensor<8xi64>
  %r = tile.reshape %s : tensor<16x16xf32> -> tensor<256xf32>
  %r2 = tile.reshape %r : tensor<256xf32> -> tensor<16x1x16xf32>
  %bc = tile.broadcast %r2 : tensor<16x1x16xf32> -> tensor<16x8x16xf32>
  %t = tile.trans %s {perm = array<i64: 1, 0>} : tensor<16x16xf32> -> tensor<16x16xf32>
  %t3 = tile.trans %r2 {perm = array<i64: 2, 0, 1>} : tensor<16x1x16xf32> -> tensor<16x16x1xf32>
  %c0 = tile.cast %s : tensor<16x16xf32> -> tensor<16x16xbf16>
  %c1 = tile.cast %s : tensor<16x16xf32> -> tensor<16x16xf8E4M3FN>
  %c2 = tile.cast %s : tensor<16x16xf32> -> tensor<16x16xi32>
  %c3 = tile.cast %io : tensor<16xi32> -> tensor<16xi64>
  tile.return
}

// CHECK-LABEL: tile.kernel @dot(
// CHECK:         %[[A:.*]] = splat %{{.*}} : tensor<16x64xf32>
// CHECK-NEXT:    %[[B:.*]] = splat %{{.*}} : tensor<64x32xbf16>
// CHECK-NEXT:    %[[ONE:.*]] = splat %{{.*}} : tensor<1x1xf32>
// CHECK-NEXT:    %[[D:.*]] = dot %[[A]], %[[B]] : tensor<16x64xf32>, tensor<64x32xbf16> -> tensor<16x32xf32>
// CHECK-NEXT:    %[[DT:.*]] = dot %[[A]], %[[A]] {rhs_transposed} : tensor<16x64xf32>, tensor<16x64xf32> -> tensor<16x16xf32>
// CHECK-NEXT:    dot %[[A]], %[[B]] acc %[[D]] : tensor<16x64xf32>, tensor<64x32xbf16> -> tensor<16x32xf32>
// CHECK-NEXT:    %[[Q:.*]], %[[QS:.*]] = quantize
// CHECK-NEXT:    %[[F:.*]], %[[FS:.*]] = quantize
// CHECK-NEXT:    dot %[[Q]] scale %[[QS]] : tensor<16x2xf8E8M0FNU>, %[[Q]] scale %[[QS]] : tensor<16x2xf8E8M0FNU> acc %[[DT]] {lhs_scale_block = array<i64: 1, 32>, rhs_scale_block = array<i64: 1, 32>, rhs_transposed} : tensor<16x64xf8E4M3FN>, tensor<16x64xf8E4M3FN> -> tensor<16x16xf32>
// CHECK-NEXT:    dot %[[F]] scale %[[FS]] : tensor<16x4xf32>, %[[B]] {lhs_scale_block = array<i64: 1, 16>} : tensor<16x64xf4E2M1FN>, tensor<64x32xbf16> -> tensor<16x32xf32>
// CHECK-NEXT:    dot %[[A]], %[[B]] scale %[[ONE]] : tensor<1x1xf32> {rhs_scale_block = array<i64: 64, 32>} : tensor<16x64xf32>, tensor<64x32xbf16> -> tensor<16x32xf32>
// CHECK:         dot %{{.*}}, %{{.*}} : tensor<8x16xf16>, tensor<16x8xf8E4M3FN> -> tensor<8x8xf32>
tile.kernel @dot(%x: f32, %y: bf16, %h: f16) {
  %z = arith.constant 1.0 : f8E4M3FN
  %a = tile.splat %x : tensor<16x64xf32>
  %b = tile.splat %y : tensor<64x32xbf16>
  %one = tile.splat %x : tensor<1x1xf32>
  %d = tile.dot %a, %b : tensor<16x64xf32>, tensor<64x32xbf16> -> tensor<16x32xf32>
  %dt = tile.dot %a, %a {rhs_transposed} : tensor<16x64xf32>, tensor<16x64xf32> -> tensor<16x16xf32>
  %da = tile.dot %a, %b acc %d : tensor<16x64xf32>, tensor<64x32xbf16> -> tensor<16x32xf32>
  %q, %qs = tile.quantize %a {block = array<i64: 1, 32>, round_scale} : tensor<16x64xf32> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>
  %f, %fs = tile.quantize %a {block = array<i64: 1, 16>, round_scale} : tensor<16x64xf32> -> tensor<16x64xf4E2M1FN>, tensor<16x4xf32>
  %ds = tile.dot %q scale %qs : tensor<16x2xf8E8M0FNU>, %q scale %qs : tensor<16x2xf8E8M0FNU> acc %dt {rhs_transposed, lhs_scale_block = array<i64: 1, 32>, rhs_scale_block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x64xf8E4M3FN> -> tensor<16x16xf32>
  %dl = tile.dot %f scale %fs : tensor<16x4xf32>, %b {lhs_scale_block = array<i64: 1, 16>} : tensor<16x64xf4E2M1FN>, tensor<64x32xbf16> -> tensor<16x32xf32>
  %dr = tile.dot %a, %b scale %one : tensor<1x1xf32> {rhs_scale_block = array<i64: 64, 32>} : tensor<16x64xf32>, tensor<64x32xbf16> -> tensor<16x32xf32>
  %hh = tile.splat %h : tensor<8x16xf16>
  %e = tile.splat %z : tensor<16x8xf8E4M3FN>
  %dm = tile.dot %hh, %e : tensor<8x16xf16>, tensor<16x8xf8E4M3FN> -> tensor<8x8xf32>
  tile.return
}

// CHECK-LABEL: tile.kernel @reductions(
// CHECK:         %[[T:.*]] = splat %{{.*}} : tensor<16x32xf32>
// CHECK-NEXT:    %[[I:.*]] = splat %{{.*}} : tensor<16x32xi32>
// CHECK-NEXT:    reduce sum %[[T]] {dim = 1 : i64} : tensor<16x32xf32> -> tensor<16xf32>
// CHECK-NEXT:    reduce max %[[T]] {dim = 0 : i64} : tensor<16x32xf32> -> tensor<32xf32>
// CHECK-NEXT:    reduce min %[[I]] {dim = 1 : i64} : tensor<16x32xi32> -> tensor<16xi32>
// CHECK-NEXT:    reduce sum %{{.*}} {dim = 0 : i64} : tensor<32xf32> -> tensor<f32>
// CHECK-NEXT:    scan sum %[[T]] {dim = 1 : i64} : tensor<16x32xf32>
// CHECK-NEXT:    scan max %[[T]] {dim = 0 : i64, reverse} : tensor<16x32xf32>
// CHECK-NEXT:    scan min %[[I]] {dim = 1 : i64, reverse} : tensor<16x32xi32>
// CHECK-NEXT:    %{{.*}}, %{{.*}} = topk %[[T]] {k = 4 : i64} : tensor<16x32xf32> -> tensor<16x4xf32>, tensor<16x4xi32>
// CHECK-NEXT:    %{{.*}}, %{{.*}} = topk %[[I]] {k = 32 : i64} : tensor<16x32xi32> -> tensor<16x32xi32>, tensor<16x32xi32>
tile.kernel @reductions(%x: f32, %y: i32) {
  %t = tile.splat %x : tensor<16x32xf32>
  %i = tile.splat %y : tensor<16x32xi32>
  %r0 = tile.reduce sum %t {dim = 1} : tensor<16x32xf32> -> tensor<16xf32>
  %r1 = tile.reduce max %t {dim = 0} : tensor<16x32xf32> -> tensor<32xf32>
  %r2 = tile.reduce min %i {dim = 1} : tensor<16x32xi32> -> tensor<16xi32>
  %r3 = tile.reduce sum %r1 {dim = 0} : tensor<32xf32> -> tensor<f32>
  %s0 = tile.scan sum %t {dim = 1} : tensor<16x32xf32>
  %s1 = tile.scan max %t {dim = 0, reverse} : tensor<16x32xf32>
  %s2 = tile.scan min %i {dim = 1, reverse} : tensor<16x32xi32>
  %v, %vi = tile.topk %t {k = 4} : tensor<16x32xf32> -> tensor<16x4xf32>, tensor<16x4xi32>
  %w, %wi = tile.topk %i {k = 32} : tensor<16x32xi32> -> tensor<16x32xi32>, tensor<16x32xi32>
  tile.return
}

// CHECK-LABEL: tile.kernel @quantization(
// CHECK:         %[[X:.*]] = splat %{{.*}} : tensor<16x64xbf16>
// CHECK-NEXT:    %[[Q0:.*]], %[[S0:.*]] = quantize %[[X]] {block = array<i64: 1, 128>} : tensor<16x64xbf16> -> tensor<16x64xf8E4M3FN>, tensor<16x1xf32>
// CHECK-NEXT:    %[[Q1:.*]], %[[S1:.*]] = quantize %[[X]] {block = array<i64: 1, 32>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf32>
// CHECK-NEXT:    %[[Q2:.*]], %[[S2:.*]] = quantize %[[X]] {block = array<i64: 1, 32>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>
// CHECK-NEXT:    %[[Q3:.*]], %[[S3:.*]] = quantize %[[X]] {block = array<i64: 1, 32>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf4E2M1FN>, tensor<16x2xf32>
// CHECK-NEXT:    %[[Q4:.*]], %[[S4:.*]] = quantize %[[X]] {block = array<i64: 16, 64>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf4E2M1FN>, tensor<1x1xf8E8M0FNU>
// CHECK-NEXT:    dequantize %[[Q0]], %[[S0]] {block = array<i64: 1, 128>} : tensor<16x64xf8E4M3FN>, tensor<16x1xf32> -> tensor<16x64xf32>
// CHECK-NEXT:    dequantize %[[Q2]], %[[S2]] {block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU> -> tensor<16x64xbf16>
// CHECK-NEXT:    dequantize %[[Q3]], %[[S3]] {block = array<i64: 1, 32>} : tensor<16x64xf4E2M1FN>, tensor<16x2xf32> -> tensor<16x64xf16>
// CHECK-NEXT:    dequantize %[[Q4]], %[[S4]] {block = array<i64: 16, 64>} : tensor<16x64xf4E2M1FN>, tensor<1x1xf8E8M0FNU> -> tensor<16x64xf32>
tile.kernel @quantization(%v: bf16) {
  %x = tile.splat %v : tensor<16x64xbf16>
  %q0, %s0 = tile.quantize %x {block = array<i64: 1, 128>} : tensor<16x64xbf16> -> tensor<16x64xf8E4M3FN>, tensor<16x1xf32>
  %q1, %s1 = tile.quantize %x {block = array<i64: 1, 32>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf32>
  %q2, %s2 = tile.quantize %x {block = array<i64: 1, 32>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>
  %q3, %s3 = tile.quantize %x {block = array<i64: 1, 32>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf4E2M1FN>, tensor<16x2xf32>
  %q4, %s4 = tile.quantize %x {block = array<i64: 16, 64>, round_scale} : tensor<16x64xbf16> -> tensor<16x64xf4E2M1FN>, tensor<1x1xf8E8M0FNU>
  %d0 = tile.dequantize %q0, %s0 {block = array<i64: 1, 128>} : tensor<16x64xf8E4M3FN>, tensor<16x1xf32> -> tensor<16x64xf32>
  %d1 = tile.dequantize %q2, %s2 {block = array<i64: 1, 32>} : tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU> -> tensor<16x64xbf16>
  %d2 = tile.dequantize %q3, %s3 {block = array<i64: 1, 32>} : tensor<16x64xf4E2M1FN>, tensor<16x2xf32> -> tensor<16x64xf16>
  %d3 = tile.dequantize %q4, %s4 {block = array<i64: 16, 64>} : tensor<16x64xf4E2M1FN>, tensor<1x1xf8E8M0FNU> -> tensor<16x64xf32>
  tile.return
}

// Tiles flow through the upstream dialects unchanged.
// CHECK-LABEL: tile.kernel @upstream(
// CHECK:         scf.for
// CHECK:           arith.addf %{{.*}}, %{{.*}} : tensor<8xf32>
// CHECK:           math.exp %{{.*}} : tensor<8xf32>
// CHECK:           scf.yield %{{.*}} : tensor<8xf32>
// CHECK:         store
tile.kernel @upstream(%o: !tile.ptr<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %init = tile.splat %one : tensor<8xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<8xf32>) {
    %s = arith.addf %acc, %init : tensor<8xf32>
    %e = math.exp %s : tensor<8xf32>
    scf.yield %e : tensor<8xf32>
  }
  tile.store %r, %o[%c0] strides[%c1] : tensor<8xf32> -> !tile.ptr<f32>
  tile.return
}

// CHECK-LABEL: tile.kernel @counters(
// CHECK: %{{.*}} = atomic_add %{{.*}}[%{{.*}}], %{{.*}} : !tile.ptr<i32>
tile.kernel @counters(%c: !tile.ptr<i32>) {
  %pid = tile.program_id 0
  %one = arith.constant 1 : i32
  %old = tile.atomic_add %c[%pid], %one : !tile.ptr<i32>
  tile.return
}
