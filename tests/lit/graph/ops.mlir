// Every graph op, in its custom form, survives print -> parse -> print.
// RUN: dsv4c opt %s | dsv4c opt | FileCheck %s
// The printed form is also stable: printing twice gives the same text.
// RUN: dsv4c opt %s > %t.1.mlir
// RUN: dsv4c opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// The generic form parses back to the same IR.
// RUN: dsv4c opt %s --mlir-print-op-generic | dsv4c opt > %t.3.mlir
// RUN: diff %t.1.mlir %t.3.mlir

// CHECK-LABEL: tile.kernel @embed(
tile.kernel @embed(%table: !tile.ptr<bf16>, %tokens: !tile.ptr<i32>,
                   %out: !tile.ptr<bf16>, %n: index) {
  tile.return
}

// Every kernel scalar type, and a 3-dim grid.
// CHECK-LABEL: tile.kernel @scalars(
tile.kernel @scalars(%x: !tile.ptr<f8E4M3FN>, %s: !tile.ptr<f8E8M0FNU>,
                     %a: index, %b: i32, %c: i64, %d: f16, %e: bf16,
                     %f: f32) {
  tile.return
}

// CHECK-LABEL: graph.func @prefill(
// CHECK-SAME:    %[[TOK:.*]]: !graph.buffer<?xi32>, %[[N:.*]]: index) {
// CHECK-NEXT:    %[[W:.*]] = graph.buffer "embed.weight" weight : !graph.buffer<129280x4096xbf16>
// CHECK-NEXT:    %[[H:.*]] = graph.buffer "h" activation[%[[N]]] : !graph.buffer<?x4096xbf16>
// CHECK-NEXT:    %[[D:.*]] = graph.dim %[[H]], 0 : !graph.buffer<?x4096xbf16>
// CHECK-NEXT:    %[[D1:.*]] = graph.dim %[[H]], 1 : !graph.buffer<?x4096xbf16>
// CHECK:         %[[G:.*]] = arith.ceildivui %[[D]], %{{.*}} : index
// CHECK-NEXT:    graph.launch @embed grid[%[[G]]] (%[[W]], %[[TOK]], %[[H]], %[[N]]) : (!graph.buffer<129280x4096xbf16>, !graph.buffer<?xi32>, !graph.buffer<?x4096xbf16>, index)
// CHECK-NEXT:    graph.launch @embed grid[%[[G]], %[[D1]]] (%[[W]], %[[TOK]], %[[H]], %[[D]]) : (!graph.buffer<129280x4096xbf16>, !graph.buffer<?xi32>, !graph.buffer<?x4096xbf16>, index)
// CHECK-NEXT:    graph.return
// CHECK-NEXT:  }
graph.func @prefill(%tokens: !graph.buffer<?xi32>, %n: index) {
  %w = graph.buffer "embed.weight" weight : !graph.buffer<129280x4096xbf16>
  %h = graph.buffer "h" activation [%n] : !graph.buffer<?x4096xbf16>
  %rows = graph.dim %h, 0 : !graph.buffer<?x4096xbf16>
  %cols = graph.dim %h, 1 : !graph.buffer<?x4096xbf16>
  %c16 = arith.constant 16 : index
  %g = arith.ceildivui %rows, %c16 : index
  graph.launch @embed grid [%g] (%w, %tokens, %h, %n)
      : (!graph.buffer<129280x4096xbf16>, !graph.buffer<?xi32>,
         !graph.buffer<?x4096xbf16>, index)
  graph.launch @embed grid [%g, %cols] (%w, %tokens, %h, %rows)
      : (!graph.buffer<129280x4096xbf16>, !graph.buffer<?xi32>,
         !graph.buffer<?x4096xbf16>, index)
  graph.return
}

// Every buffer kind; several dynamic dims; rank-0 buffers; scalars.
// CHECK-LABEL: graph.func @decode(
// CHECK-SAME:    %{{.*}}: !graph.buffer<bf16>, %[[B:.*]]: index, %[[L:.*]]: index) {
// CHECK-NEXT:    %[[X:.*]] = graph.buffer "layers.0.attn.wq_a.weight" weight : !graph.buffer<1024x4096xf8E4M3FN>
// CHECK-NEXT:    %[[S:.*]] = graph.buffer "layers.0.attn.wq_a.scale" weight : !graph.buffer<8x32xf8E8M0FNU>
// CHECK-NEXT:    %{{.*}} = graph.buffer "layers.0.attn.kv_cache" cache[%[[B]], %[[L]]] : !graph.buffer<?x?x512xbf16>
// CHECK-NEXT:    %{{.*}} = graph.buffer "packed" activation[%[[B]]] : !graph.buffer<?x0x64xf4E2M1FN>
// CHECK:         graph.launch @scalars grid[%[[B]], %[[L]], %{{.*}}] (%[[X]], %[[S]], %[[B]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!graph.buffer<1024x4096xf8E4M3FN>, !graph.buffer<8x32xf8E8M0FNU>, index, i32, i64, f16, bf16, f32)
// CHECK-NEXT:    graph.return
graph.func @decode(%scalar: !graph.buffer<bf16>, %batch: index, %len: index) {
  %x = graph.buffer "layers.0.attn.wq_a.weight" weight : !graph.buffer<1024x4096xf8E4M3FN>
  %s = graph.buffer "layers.0.attn.wq_a.scale" weight : !graph.buffer<8x32xf8E8M0FNU>
  %kv = graph.buffer "layers.0.attn.kv_cache" cache [%batch, %len] : !graph.buffer<?x?x512xbf16>
  %p = graph.buffer "packed" activation [%batch] : !graph.buffer<?x0x64xf4E2M1FN>
  %c1 = arith.constant 1 : index
  %i32 = arith.constant 7 : i32
  %i64 = arith.constant 7 : i64
  %f16 = arith.constant 1.0 : f16
  %bf16 = arith.constant 1.0 : bf16
  %f32 = arith.constant 1.0 : f32
  graph.launch @scalars grid [%batch, %len, %c1]
      (%x, %s, %batch, %i32, %i64, %f16, %bf16, %f32)
      : (!graph.buffer<1024x4096xf8E4M3FN>, !graph.buffer<8x32xf8E8M0FNU>,
         index, i32, i64, f16, bf16, f32)
  graph.return
}
