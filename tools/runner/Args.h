//===- Args.h - small command-line parsers shared by the tools -*- C++ -*-===//
#ifndef DSV4C_TOOLS_RUNNER_ARGS_H
#define DSV4C_TOOLS_RUNNER_ARGS_H

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace dsv4c::runner {

/// A decimal integer >= `min`, whole text.
inline bool parseInt(const std::string &text, int64_t min, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno || v < min)
    return false;
  out = v;
  return true;
}

/// A finite number, whole text.
inline bool parseFloat(const std::string &text, double &out) {
  char *end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' && std::isfinite(out);
}

/// "1,2,3" -> {1, 2, 3}; non-negative ids, at least one.
inline bool parseIds(const std::string &text, std::vector<int64_t> &ids) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    int64_t v;
    if (!parseInt(item, 0, v))
      return false;
    ids.push_back(v);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return !ids.empty();
}

} // namespace dsv4c::runner

#endif
