//===- Npy.h - read and write NumPy .npy files -----------------*- C++ -*-===//
//
// Version 1.0/2.0 .npy, C order, little-endian. bf16 has no NumPy dtype: it
// is written as '<V2' plus a "dsv4c_dtype" key (and read back from either).
// f8/f4 types likewise as uint8 ('|u1') with "dsv4c_dtype"; f4E2M1FN packed
// two per byte.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_NPY_H
#define DSV4C_RUNTIME_NPY_H

#include "runtime/HostTensor.h"

#include <string>

namespace dsv4c {
/// On failure returns false and sets `error` to a message naming the file
/// and what is wrong with it.
bool readNpy(const std::string &path, HostTensor &out, std::string &error);
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);
} // namespace dsv4c

#endif
