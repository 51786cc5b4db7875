// Verifier rules of !tile.ptr, the #tile layouts (dialects/tile/TileDialect.cpp)
// and the tile type constraint every op relies on (isTileType).
// RUN: dsv4c opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// !tile.ptr
//===----------------------------------------------------------------------===//

// expected-error @+1 {{pointer element type must be a tile element type other than i1, got 'i1'}}
func.func private @ptr_i1(!tile.ptr<i1>)

// -----

// expected-error @+1 {{pointer element type must be a tile element type other than i1, got 'f64'}}
func.func private @ptr_f64(!tile.ptr<f64>)

// -----

// Only signless integers are tile element types.
// expected-error @+1 {{pointer element type must be a tile element type other than i1, got 'ui8'}}
func.func private @ptr_unsigned(!tile.ptr<ui8>)

//===----------------------------------------------------------------------===//
// Tiles: statically shaped ranked tensors of a tile element type with no
// encoding or a #tile layout.
//===----------------------------------------------------------------------===//

// -----

func.func @tile_dynamic(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'tile.cast' op operand #0 must be tile (statically shaped tensor of a tile element type), but got 'tensor<?x4xf32>'}}
  %c = tile.cast %x : tensor<?x4xf32> -> tensor<8x4xf16>
  return
}

// -----

func.func @tile_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{'tile.reshape' op operand #0 must be tile (statically shaped tensor of a tile element type), but got 'tensor<*xf32>'}}
  %r = "tile.reshape"(%x) : (tensor<*xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @tile_element_type(%x: tensor<4xf64>) {
  // expected-error @+1 {{'tile.cast' op operand #0 must be tile (statically shaped tensor of a tile element type), but got 'tensor<4xf64>'}}
  %c = tile.cast %x : tensor<4xf64> -> tensor<4xf32>
  return
}

// -----

func.func @tile_i16(%v: i16) {
  // expected-error @+1 {{'tile.splat' op result #0 must be tile (statically shaped tensor of a tile element type), but got 'tensor<4xi16>'}}
  %s = "tile.splat"(%v) : (i16) -> tensor<4xi16>
  return
}

// -----

func.func @tile_vector(%x: vector<4xf32>) {
  // expected-error @+1 {{'tile.cast' op operand #0 must be tile (statically shaped tensor of a tile element type), but got 'vector<4xf32>'}}
  %c = "tile.cast"(%x) : (vector<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @tile_foreign_encoding(%x: tensor<4xf32, "dense">) {
  // expected-error @+1 {{'tile.cast' op operand #0 must be tile (statically shaped tensor of a tile element type), but got 'tensor<4xf32, "dense">'}}
  %c = tile.cast %x : tensor<4xf32, "dense"> -> tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// #tile.blocked
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{blocked layout fields must all have rank 2}}
#b = #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [32], warpsPerProgram = [4, 1], order = [1, 0]>

// -----

// expected-error @+1 {{sizePerThread must be positive, got 0}}
#b = #tile.blocked<sizePerThread = [0, 4], threadsPerWarp = [4, 8], warpsPerProgram = [4, 1], order = [1, 0]>

// -----

// expected-error @+1 {{threadsPerWarp must be positive, got -8}}
#b = #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, -8], warpsPerProgram = [4, 1], order = [1, 0]>

// -----

// expected-error @+1 {{warpsPerProgram must be positive, got 0}}
#b = #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerProgram = [4, 0], order = [1, 0]>

// -----

// expected-error @+1 {{order must be a permutation of 0..1}}
#b = #tile.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerProgram = [4, 1], order = [0, 0]>

// -----

// A layout error inside a tensor type is reported where the layout is written.
// expected-error @+1 {{order must be a permutation of 0..1}}
func.func private @blocked_in_type(tensor<4x4xf32, #tile.blocked<sizePerThread = [1, 1], threadsPerWarp = [2, 2], warpsPerProgram = [1, 1], order = [1, 2]>>)

//===----------------------------------------------------------------------===//
// #tile.mma
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{mma operand must be 0 (lhs), 1 (rhs) or 2 (accumulator), got 3}}
#m = #tile.mma<"wgmma", operand = 3, instrShape = [64, 16, 16]>

// -----

// expected-error @+1 {{mma instrShape must be [m, n, k]}}
#m = #tile.mma<"mma_sync", operand = 0, instrShape = [16, 8]>

// -----

// expected-error @+1 {{instrShape must be positive, got 0}}
#m = #tile.mma<"mfma", operand = 2, instrShape = [32, 0, 8]>

//===----------------------------------------------------------------------===//
// #tile.shared
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{vec, perPhase and maxPhase must be positive, got 0}}
#s = #tile.shared<vec = 8, perPhase = 1, maxPhase = 0, order = [1, 0]>

// -----

// expected-error @+1 {{order must be a permutation of 0..2}}
#s = #tile.shared<vec = 8, perPhase = 1, maxPhase = 8, order = [0, 1, 3]>
