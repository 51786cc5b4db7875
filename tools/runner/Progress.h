//===- Progress.h - progress lines on stderr -------------------*- C++ -*-===//
//
// A bar redrawn in place on a terminal; on a pipe or file, a line at each
// quarter so logs stay short.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TOOLS_PROGRESS_H
#define DSV4C_TOOLS_PROGRESS_H

#include <cstdio>
#include <string>
#include <unistd.h>

namespace dsv4c {

class Progress {
public:
  Progress(std::string prefix, bool quiet)
      : prefix(std::move(prefix)), quiet(quiet), tty(isatty(2)) {}

  void update(size_t done, size_t total, const char *what) {
    if (quiet || total == 0)
      return;
    if (tty) {
      const int width = 30;
      int filled = int(width * done / total);
      std::fprintf(stderr, "\r%s: %s [%s%s] %zu/%zu", prefix.c_str(), what,
                   std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), done, total);
      drawn = done != total;
      if (!drawn)
        std::fputc('\n', stderr);
      std::fflush(stderr);
      return;
    }
    int quarter = int(4 * done / total);
    if (done == total || quarter > lastQuarter) {
      lastQuarter = quarter;
      std::fprintf(stderr, "%s: %s %zu/%zu\n", prefix.c_str(), what, done,
                   total);
    }
    if (done == total)
      lastQuarter = -1;
  }

  /// Ends a bar left part-drawn on a terminal, before other output.
  void breakLine() {
    if (drawn)
      std::fputc('\n', stderr);
    drawn = false;
  }

  void note(const std::string &line) {
    breakLine();
    if (!quiet)
      std::fprintf(stderr, "%s: %s\n", prefix.c_str(), line.c_str());
  }

private:
  std::string prefix;
  bool quiet;
  bool tty;
  int lastQuarter = -1;
  bool drawn = false; // a terminal's bar, not yet ended by a newline
};

} // namespace dsv4c

#endif
