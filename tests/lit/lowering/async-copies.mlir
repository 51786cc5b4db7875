// RUN: dsv4c opt %s --convert-tile-to-cpu="async-copies" | FileCheck %s
// RUN: dsv4c opt %s --convert-tile-to-cpu | FileCheck %s --check-prefix=OFF
// tile.loads with contiguous rows become a tile buffer filled by
// dsv4c.copy_async.N (N: the largest of 16, 8, 4 bytes that divides a row)
// over (row, chunk), then dsv4c.copy_async_wait; the buffer is the tile.
// Each chunk reads clamp(bound - column, 0, N / element size) elements, none
// on a row past the bound. Rows of a multiple of 64 bytes get 16 bytes of
// padding (the tile is a strided view), so that the 8 rows of a warp's
// matrix fragments start in different shared-memory banks. Masked loads,
// padded loads, loads whose rows are strided and loads of a single chunk
// stay element loops. (The e2m1 case at the end: dsv4c.copy_e2m1.128 and .32.)

// CHECK-DAG: func.func private @dsv4c.copy_async.16(i64, i64, i32)
// CHECK-DAG: func.func private @dsv4c.copy_async.4(i64, i64, i32)
// CHECK-DAG: func.func private @dsv4c.copy_async_wait()
// CHECK-DAG: func.func private @dsv4c.copy_e2m1.32(i64, i64, i64, i32)
// CHECK-DAG: func.func private @dsv4c.copy_e2m1.128(i64, i64, i64, i32)
// OFF-NOT: dsv4c.copy_async

// CHECK-LABEL: func.func @rows
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x136xbf16>
// CHECK: memref.extract_aligned_pointer_as_index %[[BUF]]
// CHECK: scf.parallel (%[[R:.*]], %[[C:.*]]) = (%c0{{.*}}, %c0{{.*}}) to (%c16{{.*}}, %c16{{.*}})
// CHECK: arith.cmpi slt
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: arith.select
// CHECK: func.call @dsv4c.copy_async.16(%{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i32) -> ()
// CHECK: call @dsv4c.copy_async_wait()
// CHECK: %[[VIEW:.*]] = memref.subview %[[BUF]][0, 0] [16, 128] [1, 1] : memref<16x136xbf16> to memref<16x128xbf16, strided<[136, 1]>>
// CHECK: bufferization.to_tensor %[[VIEW]] restrict writable
tile.kernel @rows(%x: !tile.ptr<bf16>, %y: !tile.ptr<bf16>, %m: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tile.load %x[%c0, %c0] strides[%k, %c1] bounds[%m, %k] : !tile.ptr<bf16> -> tensor<16x128xbf16>
  tile.store %t, %y[%c0, %c0] strides[%k, %c1] bounds[%m, %k] : tensor<16x128xbf16> -> !tile.ptr<bf16>
  tile.return
}

// Three f32 per row: 12 bytes, 4-byte chunks, no padding.
// CHECK-LABEL: func.func @narrow
// CHECK: %[[NBUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x3xf32>
// CHECK: func.call @dsv4c.copy_async.4
// CHECK: bufferization.to_tensor %[[NBUF]] restrict writable
tile.kernel @narrow(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %t = tile.load %x[%c0, %c0] strides[%c3, %c1] : !tile.ptr<f32> -> tensor<8x3xf32>
  tile.store %t, %y[%c0, %c0] strides[%c3, %c1] : tensor<8x3xf32> -> !tile.ptr<f32>
  tile.return
}

// CHECK-LABEL: func.func @element_loads
// CHECK-NOT: dsv4c.copy_async
// CHECK: return
tile.kernel @element_loads(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 1.0 : f32
  // Columns strided by k.
  %a = tile.load %x[%c0, %c0] strides[%c1, %k] : !tile.ptr<f32> -> tensor<4x4xf32>
  // Padded with a value other than zero.
  %b = tile.load %x[%c0, %c0] strides[%c4, %c1] bounds[%c4, %k] other %pad : !tile.ptr<f32> -> tensor<4x4xf32>
  // One 16-byte chunk.
  %one = tile.load %x[%c0, %c0] strides[%c4, %c1] : !tile.ptr<f32> -> tensor<1x4xf32>
  %ob = tile.broadcast %one : tensor<1x4xf32> -> tensor<4x4xf32>
  %s = arith.addf %a, %b : tensor<4x4xf32>
  %s2 = arith.addf %s, %ob : tensor<4x4xf32>
  tile.store %s2, %y[%c0, %c0] strides[%c4, %c1] : tensor<4x4xf32> -> !tile.ptr<f32>
  tile.return
}

// tile.gather of contiguous rows: each row's chunks are copied from
// offset + index * row_stride; the chunk also divides the constant offset
// and stride in bytes (448-byte rows 584 bytes apart: 8-byte chunks), and a
// row whose index is negative is zero-filled (0 valid bytes, reading the
// base). A gather with `other`, or whose rows split into no 4-byte chunks,
// stays an element loop.
// CHECK-LABEL: func.func @gather_rows
// CHECK: %[[GBUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x464xf8E4M3FN>
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0{{.*}}, %c0{{.*}}) to (%c64{{.*}}, %c56{{.*}})
// CHECK: tensor.extract
// CHECK: arith.cmpi sge
// CHECK: arith.select
// CHECK: func.call @dsv4c.copy_async.8
// CHECK: call @dsv4c.copy_async_wait()
// CHECK: memref.subview %[[GBUF]][0, 0] [64, 448] [1, 1]
// CHECK-NOT: dsv4c.copy_async
// CHECK: return
tile.kernel @gather_rows(%kv: !tile.ptr<f8E4M3FN>, %sc: !tile.ptr<f8E8M0FNU>,
                         %y: !tile.ptr<f8E4M3FN>, %ys: !tile.ptr<f8E8M0FNU>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c448 = arith.constant 448 : index
  %c576 = arith.constant 576 : index
  %c584 = arith.constant 584 : index
  %ids = tile.iota : tensor<64xi32>
  %k = tile.gather %kv[%c0], %ids row_stride %c584
      : !tile.ptr<f8E4M3FN>, tensor<64xi32> -> tensor<64x448xf8E4M3FN>
  %s = tile.gather %sc[%c576], %ids row_stride %c584
      : !tile.ptr<f8E8M0FNU>, tensor<64xi32> -> tensor<64x7xf8E8M0FNU>
  tile.store %k, %y[%c0, %c0] strides[%c448, %c1] : tensor<64x448xf8E4M3FN> -> !tile.ptr<f8E4M3FN>
  tile.store %s, %ys[%c0, %c0] strides[%c7, %c1] : tensor<64x7xf8E8M0FNU> -> !tile.ptr<f8E8M0FNU>
  tile.return
}

// An e2m1 load of whole chunks of 128 codes (else 32): each chunk by
// dsv4c.copy_e2m1.N (destination, base, first code's element index, codes
// inside the bounds), which reads the packed bytes and writes a byte per
// code; no wait (the copy is not asynchronous). 128-code rows are 128
// buffer bytes: padded by 16. A 1x128 tile, one 128-code chunk, is four of
// 32; a load of one chunk, or of rows that are not whole chunks, stays an
// element loop.
// CHECK-LABEL: func.func @e2m1_rows
// CHECK: %[[FBUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x144xf4E2M1FN>
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0{{.*}}, %c0{{.*}}) to (%c64{{.*}}, %c1{{.*}})
// CHECK: arith.minsi
// CHECK: func.call @dsv4c.copy_e2m1.128(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i64, i32) -> ()
// CHECK-NOT: dsv4c.copy_async_wait
// CHECK: memref.subview %[[FBUF]][0, 0] [64, 128] [1, 1]
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<1x128xf4E2M1FN>
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0{{.*}}, %c0{{.*}}) to (%c1{{.*}}, %c4{{.*}})
// CHECK: func.call @dsv4c.copy_e2m1.32(
// CHECK-NOT: dsv4c.copy_e2m1
// CHECK: return
tile.kernel @e2m1_rows(%w: !tile.ptr<f4E2M1FN>, %y: !tile.ptr<f32>, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %t = tile.load %w[%c0, %c0] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<f4E2M1FN> -> tensor<64x128xf4E2M1FN>
  %f = tile.cast %t : tensor<64x128xf4E2M1FN> -> tensor<64x128xf32>
  tile.store %f, %y[%c0, %c0] strides[%c128, %c1] : tensor<64x128xf32> -> !tile.ptr<f32>
  %row = tile.load %w[%c0, %c0] strides[%k, %c1] bounds[%n, %k] : !tile.ptr<f4E2M1FN> -> tensor<1x128xf4E2M1FN>
  %rf = tile.cast %row : tensor<1x128xf4E2M1FN> -> tensor<1x128xf32>
  tile.store %rf, %y[%c0, %c0] strides[%c128, %c1] : tensor<1x128xf32> -> !tile.ptr<f32>
  %one = tile.load %w[%c0, %c0] strides[%k, %c1] : !tile.ptr<f4E2M1FN> -> tensor<1x32xf4E2M1FN>
  %odd = tile.load %w[%c0, %c0] strides[%k, %c1] : !tile.ptr<f4E2M1FN> -> tensor<2x16xf4E2M1FN>
  %of = tile.cast %one : tensor<1x32xf4E2M1FN> -> tensor<1x32xf32>
  %df = tile.cast %odd : tensor<2x16xf4E2M1FN> -> tensor<2x16xf32>
  tile.store %of, %y[%c0, %c0] strides[%c128, %c1] : tensor<1x32xf32> -> !tile.ptr<f32>
  tile.store %df, %y[%c0, %c0] strides[%c16, %c1] : tensor<2x16xf32> -> !tile.ptr<f32>
  tile.return
}
