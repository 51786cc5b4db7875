//===- tokenizer_encode.cpp - encode a corpus for crosscheck.py -----------===//
//
//   tokenizer_encode TOKENIZER_JSON CORPUS
//
// CORPUS holds records "E<byte count>\n<text>" or "D<byte count>\n<ids>"
// (decimal ids separated by spaces). For each it prints
//   ids <id> <id> ...        E only: encode(text, /*addBos=*/false)
//   dec <hex>                decode(those ids), as hex
// and exits 1 (message on stderr) if the tokenizer does not load.
//
//===----------------------------------------------------------------------===//
#include "runtime/Tokenizer.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: tokenizer_encode TOKENIZER_JSON CORPUS\n";
    return 2;
  }
  std::string error;
  auto tok = dsv4c::Tokenizer::load(argv[1], error);
  if (!tok) {
    std::cerr << error << "\n";
    return 1;
  }
  std::ifstream in(argv[2], std::ios::binary);
  std::string corpus((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  size_t pos = 0;
  std::string out;
  while (pos < corpus.size()) {
    size_t nl = corpus.find('\n', pos);
    if (nl == std::string::npos) {
      std::cerr << "malformed corpus\n";
      return 2;
    }
    char kind = corpus[pos];
    size_t len = std::stoul(corpus.substr(pos + 1, nl - pos - 1));
    std::string text = corpus.substr(nl + 1, len);
    pos = nl + 1 + len;
    std::vector<int32_t> ids;
    if (kind == 'D') {
      std::istringstream in(text);
      for (int32_t id; in >> id;)
        ids.push_back(id);
    } else {
      ids = tok->encode(text, false);
      out += "ids";
      for (int32_t id : ids)
        out += " " + std::to_string(id);
      out += "\n";
    }
    out += "dec ";
    static const char hex[] = "0123456789abcdef";
    for (unsigned char c : tok->decode(ids)) {
      out += hex[c >> 4];
      out += hex[c & 15];
    }
    out += "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
