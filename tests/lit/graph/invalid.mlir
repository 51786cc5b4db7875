// Every graph verifier rule, one case each.
// RUN: dsv4c opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{buffer element type must be a tile element type}}
graph.func @f(%b: !graph.buffer<4xf64>) {
  graph.return
}

// -----

// expected-error @+1 {{buffer element type must be a tile element type}}
graph.func @f(%b: !graph.buffer<?x4xi16>) {
  graph.return
}

// -----

// expected-error @+1 {{'graph.func' op must not return values}}
graph.func @f(%n: index) -> index {
  graph.return
}

// -----

// expected-error @+1 {{'graph.func' op argument #1 has type 'i32'; entry function arguments must be !graph.buffer or index}}
graph.func @f(%n: index, %m: i32) {
  graph.return
}

// -----

// expected-error @+1 {{'graph.func' op type of entry block argument #0('i32') must match the type of the corresponding argument in function signature('index')}}
"graph.func"() <{function_type = (index) -> (), sym_name = "f"}> ({
^bb0(%a: i32):
  "graph.return"() : () -> ()
}) : () -> ()

// -----

// expected-error @+1 {{'graph.func' op entry block must have 1 arguments}}
"graph.func"() <{function_type = (index) -> (), sym_name = "f"}> ({
  "graph.return"() : () -> ()
}) : () -> ()

// -----

tile.kernel @k() {
  // expected-error @+1 {{'graph.return' op expects parent op 'graph.func'}}
  graph.return
}

// -----

graph.func @f() {
  // expected-error @+1 {{'graph.buffer' op buffer name must not be empty}}
  %w = graph.buffer "" weight : !graph.buffer<16xbf16>
  graph.return
}

// -----

graph.func @f() {
  // expected-error @+1 {{expected buffer kind 'weight', 'activation' or 'cache', got 'scratch'}}
  %w = graph.buffer "w" scratch : !graph.buffer<16xbf16>
  graph.return
}

// -----

graph.func @f(%n: index) {
  // expected-error @+1 {{'graph.buffer' op needs one index operand per dynamic dim of '!graph.buffer<?x?x4096xbf16>' (2), got 1}}
  %h = graph.buffer "h" activation [%n] : !graph.buffer<?x?x4096xbf16>
  graph.return
}

// -----

graph.func @f(%n: index) {
  // expected-error @+1 {{'graph.buffer' op needs one index operand per dynamic dim of '!graph.buffer<4096xbf16>' (0), got 1}}
  %h = graph.buffer "h" activation [%n] : !graph.buffer<4096xbf16>
  graph.return
}

// -----

graph.func @f(%b: !graph.buffer<?x4096xbf16>) {
  // expected-error @+1 {{'graph.dim' op dim 2 is out of range for '!graph.buffer<?x4096xbf16>' of rank 2}}
  %d = graph.dim %b, 2 : !graph.buffer<?x4096xbf16>
  graph.return
}

// -----

graph.func @f(%b: !graph.buffer<?x4096xbf16>) {
  // expected-error @+1 {{'graph.dim' op dim -1 is out of range for '!graph.buffer<?x4096xbf16>' of rank 2}}
  %d = graph.dim %b, -1 : !graph.buffer<?x4096xbf16>
  graph.return
}

// -----

tile.kernel @k(%n: index) {
  tile.return
}
graph.func @f(%n: index) {
  // expected-error @+1 {{'graph.launch' op grid must have 1, 2 or 3 dims, got 0}}
  graph.launch @k grid [] (%n) : (index)
  graph.return
}

// -----

tile.kernel @k(%n: index) {
  tile.return
}
graph.func @f(%n: index) {
  // expected-error @+1 {{'graph.launch' op grid must have 1, 2 or 3 dims, got 4}}
  graph.launch @k grid [%n, %n, %n, %n] (%n) : (index)
  graph.return
}

// -----

graph.func @f(%n: index) {
  // expected-error @+1 {{'graph.launch' op no tile.kernel named @missing in the enclosing module}}
  graph.launch @missing grid [%n] (%n) : (index)
  graph.return
}

// -----

graph.func @g(%n: index) {
  graph.return
}
graph.func @f(%n: index) {
  // expected-error @+1 {{'graph.launch' op @g is a 'graph.func', not a tile.kernel}}
  graph.launch @g grid [%n] (%n) : (index)
  graph.return
}

// -----

tile.kernel @k(%x: !tile.ptr<bf16>, %n: index) {
  tile.return
}
graph.func @f(%b: !graph.buffer<?xbf16>, %n: index) {
  // expected-error @+1 {{'graph.launch' op kernel @k takes 2 arguments, got 1}}
  graph.launch @k grid [%n] (%b) : (!graph.buffer<?xbf16>)
  graph.return
}

// -----

tile.kernel @k(%x: !tile.ptr<bf16>, %n: index) {
  tile.return
}
graph.func @f(%b: !graph.buffer<?xf32>, %n: index) {
  // expected-error @+1 {{'graph.launch' op argument #0 buffer element type 'f32' does not match kernel parameter '!tile.ptr<bf16>'}}
  graph.launch @k grid [%n] (%b, %n) : (!graph.buffer<?xf32>, index)
  graph.return
}

// -----

tile.kernel @k(%x: !tile.ptr<bf16>, %n: index) {
  tile.return
}
graph.func @f(%n: index) {
  // expected-error @+1 {{'graph.launch' op argument #0 must be a buffer for kernel parameter '!tile.ptr<bf16>', got 'index'}}
  graph.launch @k grid [%n] (%n, %n) : (index, index)
  graph.return
}

// -----

tile.kernel @k(%x: !tile.ptr<bf16>, %n: index) {
  tile.return
}
graph.func @f(%b: !graph.buffer<?xbf16>, %n: index) {
  // expected-error @+1 {{'graph.launch' op argument #1 has type '!graph.buffer<?xbf16>' but kernel parameter is 'index'}}
  graph.launch @k grid [%n] (%b, %b) : (!graph.buffer<?xbf16>, !graph.buffer<?xbf16>)
  graph.return
}

// -----

tile.kernel @k(%x: !tile.ptr<bf16>, %n: i32) {
  tile.return
}
graph.func @f(%b: !graph.buffer<?xbf16>, %n: index) {
  %c = arith.constant 4 : i64
  // expected-error @+1 {{'graph.launch' op argument #1 has type 'i64' but kernel parameter is 'i32'}}
  graph.launch @k grid [%n] (%b, %c) : (!graph.buffer<?xbf16>, i64)
  graph.return
}

// -----

tile.kernel @k(%x: !tile.ptr<bf16>, %n: i64) {
  tile.return
}
graph.func @f(%b: !graph.buffer<?xbf16>, %n: index) {
  // expected-error @+1 {{'graph.launch' op argument #1 has type 'index' but kernel parameter is 'i64'}}
  graph.launch @k grid [%n] (%b, %n) : (!graph.buffer<?xbf16>, index)
  graph.return
}

// -----

tile.kernel @k(%x: f32) {
  tile.return
}
graph.func @f(%n: index) {
  %c = arith.constant 1.0 : f64
  // expected-error @+1 {{'graph.launch' op operand #1 must be variadic of}}
  graph.launch @k grid [%n] (%c) : (f64)
  graph.return
}
