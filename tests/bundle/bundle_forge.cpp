//===- bundle_forge.cpp - rewrite a bundle's sections, for tests ----------===//
//
// usage: bundle_forge IN OUT [--replace SECTION OLD NEW]... [--drop SECTION]
//                            [--version N] [--no-verify]
// Copies bundle IN to OUT with text OLD replaced by NEW in section SECTION
// (every occurrence; an error if there is none), sections dropped, or
// another format version in the header; checksums are recomputed, so the
// runtime sees a well-formed bundle with forged contents.
//
//===----------------------------------------------------------------------===//
#include "runtime/Bundle.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

using namespace dsv4c;

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bundle_forge IN OUT [--replace SECTION OLD "
                         "NEW]... [--drop SECTION] [--version N]\n");
    return 2;
  }
  std::string error;
  std::unique_ptr<Bundle> in = Bundle::open(argv[1], error);
  if (!in) {
    std::fprintf(stderr, "bundle_forge: %s\n", error.c_str());
    return 1;
  }
  std::multimap<std::string, std::pair<std::string, std::string>> replace;
  std::set<std::string> drop;
  BundleWriter out;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--replace" && i + 3 < argc) {
      replace.insert({argv[i + 1], {argv[i + 2], argv[i + 3]}});
      i += 3;
    } else if (a == "--drop" && i + 1 < argc) {
      drop.insert(argv[++i]);
    } else if (a == "--version" && i + 1 < argc) {
      out.versionToWrite = uint32_t(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "bundle_forge: bad argument '%s'\n", a.c_str());
      return 2;
    }
  }
  for (const BundleSection &s : in->sections()) {
    if (drop.count(s.name))
      continue;
    std::string text(s.text());
    auto [lo, hi] = replace.equal_range(s.name);
    for (auto it = lo; it != hi; ++it) {
      const auto &[from, to] = it->second;
      size_t pos = text.find(from);
      if (pos == std::string::npos) {
        std::fprintf(stderr, "bundle_forge: '%s' not in section '%s'\n",
                     from.c_str(), s.name.c_str());
        return 1;
      }
      for (; pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
    }
    out.addBytes(s.name, std::move(text));
  }
  if (!out.write(argv[2], error)) {
    std::fprintf(stderr, "bundle_forge: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
