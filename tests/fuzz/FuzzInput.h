//===- FuzzInput.h - fuzz input as a file path -----------------*- C++ -*-===//
//
// The readers under test take paths (they mmap files): each input is written
// to an anonymous in-memory file and opened as /proc/self/fd/N.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_TESTS_FUZZ_FUZZINPUT_H
#define DSV4C_TESTS_FUZZ_FUZZINPUT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace dsv4c::fuzz {

class InputFile {
public:
  InputFile(const uint8_t *data, size_t size) {
    fd = ::memfd_create("fuzz-input", MFD_CLOEXEC);
    for (size_t done = 0; fd >= 0 && done < size;) {
      ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0)
        break;
      done += size_t(n);
    }
  }
  ~InputFile() {
    if (fd >= 0)
      ::close(fd);
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
  bool ok() const { return fd >= 0; }

private:
  int fd = -1;
};

} // namespace dsv4c::fuzz

#endif
