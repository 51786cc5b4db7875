//===- SafetensorsFuzzer.cpp - libFuzzer target: the safetensors reader ---===//
//
// Any bytes must give a checkpoint or an error naming the problem, never a
// crash or an out-of-bounds read; every tensor of an accepted file lies
// inside it.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"

#include "runtime/Safetensors.h"

#include <cstdlib>

using namespace dsv4c;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::InputFile input(data, size);
  if (!input.ok())
    return 0;
  std::string error;
  std::unique_ptr<Checkpoint> ckpt = Checkpoint::open(input.path(), error);
  if (!ckpt) {
    if (error.empty())
      std::abort(); // a failure must say why
    return 0;
  }
  // Read every tensor's first and last byte: outside the mapping faults.
  volatile uint8_t sink = 0;
  for (const TensorInfo &t : ckpt->tensors())
    if (t.bytes) {
      sink ^= static_cast<const uint8_t *>(t.data)[0];
      sink ^= static_cast<const uint8_t *>(t.data)[t.bytes - 1];
    }
  return 0;
}
