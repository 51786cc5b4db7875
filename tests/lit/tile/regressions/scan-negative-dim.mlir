// Regression: a negative scan dim must be reported as negative (the
// unsigned attribute value was printed as 18446744073709551615).
// RUN: dsv4c opt %s -verify-diagnostics

func.func @scan_negative_dim(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.scan' op dim -1 is out of range for rank 2}}
  %s = tile.scan sum %x {dim = -1} : tensor<4x8xf32>
  return
}
