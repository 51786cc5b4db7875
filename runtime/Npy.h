//===- Npy.h - read and write NumPy .npy files -----------------*- C++ -*-===//
//
// Version 1.0 .npy (2.0/3.0 also read), C order, little-endian, with only
// the keys NumPy accepts: np.load opens everything writeNpy writes.
//
//   f32 '<f4', f16 '<f2', i8 '|i1', i32 '<i4', i64 '<i8', i1 '|b1'.
//   bf16       [('bf16', '<u2')]       raw bits; np.load(f)['bf16'] is
//   f8E4M3FN   [('f8E4M3FN', '|u1')]   a plain uint array (view it with
//   f8E8M0FNU  [('f8E8M0FNU', '|u1')]  ml_dtypes).
//   f4E2M1FN   [('f4E2M1FN', '|u1')]   one 4-bit code per byte (low nibble),
//                                      unpacked; the shape is logical.
//
// readNpy also accepts the older dsv4c spelling (descr '<V2', '<u2' or
// '|u1' plus a "dsv4c_dtype" key; f4E2M1FN packed two per byte there), and
// plain '<u2' / '|u1' arrays when the caller says which type it expects.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_NPY_H
#define DSV4C_RUNTIME_NPY_H

#include "runtime/HostTensor.h"

#include <optional>
#include <string>

namespace dsv4c {
/// On failure returns false and sets `error` to a message naming the file
/// and what is wrong with it.
///
/// `expected` only resolves files whose dtype alone does not say the type:
/// a plain '<u2' array is read as bf16 bits when `expected` is bf16, and a
/// plain '|u1' array as f8 codes when it is f8E4M3FN/f8E8M0FNU, or as one
/// f4 code per byte when it is f4E2M1FN. A file that names its type is read
/// as that type whatever `expected` says: the caller compares `out.type`.
bool readNpy(const std::string &path, HostTensor &out, std::string &error,
             std::optional<ElementType> expected = std::nullopt);
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);
} // namespace dsv4c

#endif
