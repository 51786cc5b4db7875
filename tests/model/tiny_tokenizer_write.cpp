//===- tiny_tokenizer_write.cpp - writeTinyTokenizer for scripts ----------===//
//
//   tiny_tokenizer_write DIR VOCAB_SIZE
//
// Writes DIR/tokenizer.json and DIR/tokenizer_config.json (DIR must exist)
// for tiny_tokenizer_crosscheck.py; exits 1 with the error on stderr.
//
//===----------------------------------------------------------------------===//
#include "models/v4/TinyTokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tiny_tokenizer_write DIR VOCAB_SIZE\n");
    return 2;
  }
  std::string error;
  if (!dsv4c::v4::writeTinyTokenizer(argv[1], std::strtoll(argv[2], nullptr, 10),
                                     error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  return 0;
}
