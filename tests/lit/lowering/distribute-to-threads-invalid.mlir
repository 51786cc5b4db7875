// RUN: dsv4c opt %s --distribute-to-threads --verify-diagnostics
// A program left to one thread (a loop outside the parallel loops that
// writes memory and yields a value) must not hold a warp-collective helper:
// mma.sync, ldmatrix and shuffles need every lane of the warp.

func.func private @dsv4c.ldmatrix.x4(i64) -> (i32, i32, i32, i32)

func.func @collective_alone(%a: memref<8xf32>, %p: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %z) -> f32 {
    %v = memref.load %a[%i] : memref<8xf32>
    %s = arith.addf %acc, %v : f32
    memref.store %s, %a[%i] : memref<8xf32>
    scf.yield %s : f32
  }
  // expected-error @+1 {{is a warp-collective helper in a program that distribute-to-threads leaves to one thread}}
  %m:4 = func.call @dsv4c.ldmatrix.x4(%p) : (i64) -> (i32, i32, i32, i32)
  memref.store %r, %a[%c0] : memref<8xf32>
  return
}
