//===- cuda_kernel_check.cpp - one PTX kernel vs saved reference outputs --===//
//
// usage: cuda_kernel_check FILE.ptx KERNEL X,Y,Z TOLERANCE ARG...
//   in:FILE.npy    a pointer argument uploaded from FILE.npy
//   out:FILE.npy   a pointer argument zero-filled, compared after the run
//                  with FILE.npy (|got - want| <= TOLERANCE * max(1, |want|))
//   i:N / f:X      an index / f32 scalar
// Runs the kernel (`dsv4c ptx` output: one program per thread) through the
// CUDA KernelLibrary on GPU 0 over the grid's X*Y*Z programs and prints the
// worst error per output. The
// reference outputs come from `dsv4c run-kernel --target reference
// --out-dir`. Exit status 0 when every output is within the tolerance.
//
//===----------------------------------------------------------------------===//
#include "runtime/ElementType.h"
#include "runtime/HostTensor.h"
#include "runtime/Npy.h"
#include "targets/cuda/CudaKernels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace dsv4c;

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: cuda_kernel_check FILE.ptx KERNEL X,Y,Z "
                         "TOLERANCE ARG...\n");
    return 2;
  }
  std::string error;
  auto dev = cuda::CudaDevice::open(0, error);
  if (!dev) {
    std::printf("NOT RUN  %s: %s\n", argv[2], error.c_str());
    return 0;
  }
  std::ifstream in(argv[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string kernel = argv[2];
  int64_t g[3] = {1, 1, 1};
  std::sscanf(argv[3], "%lld,%lld,%lld", (long long *)&g[0], (long long *)&g[1],
              (long long *)&g[2]);
  double tol = std::atof(argv[4]);
  std::unique_ptr<KernelLibrary> library =
      cuda::createKernelLibrary(*dev, ss.str(), {kernel}, error);
  KernelRunner *runner = library ? library->find(kernel, error) : nullptr;
  if (!runner) {
    std::printf("FAIL  %s: %s\n", kernel.c_str(), error.c_str());
    return 1;
  }
  struct Out {
    HostTensor want;
    void *ptr;
    std::string file;
  };
  std::vector<Out> outs;
  std::vector<uint64_t> slots; // the calling convention's argument values
  for (int i = 5; i < argc; ++i) {
    std::string a = argv[i];
    std::string kind = a.substr(0, a.find(':')), v = a.substr(a.find(':') + 1);
    uint64_t slot = 0;
    if (kind == "in" || kind == "out") {
      HostTensor t;
      if (!readNpy(v, t, error)) {
        std::printf("FAIL  %s\n", error.c_str());
        return 1;
      }
      void *p = dev->allocate(t.storage.size(), error);
      if (!p || (kind == "in" &&
                 !dev->upload(p, t.data(), t.storage.size(), error))) {
        std::printf("FAIL  %s\n", error.c_str());
        return 1;
      }
      if (kind == "out")
        outs.push_back({std::move(t), p, v});
      slot = uint64_t(uintptr_t(p));
    } else if (kind == "i") {
      int64_t n = std::atoll(v.c_str());
      std::memcpy(&slot, &n, 8);
    } else if (kind == "f") {
      float f = float(std::atof(v.c_str()));
      std::memcpy(&slot, &f, 4);
    }
    slots.push_back(slot);
  }
  std::vector<void *> args;
  for (uint64_t &slot : slots)
    args.push_back(&slot);
  int64_t programs = g[0] * g[1] * g[2];
  if (!runner->launch(args.data(), {g[0], g[1], g[2]}, error) ||
      !dev->synchronize(error)) {
    std::printf("FAIL  %s: %s\n", kernel.c_str(), error.c_str());
    return 1;
  }
  int failures = 0;
  for (Out &o : outs) {
    HostTensor got(o.want.type, o.want.shape);
    if (!dev->download(got.data(), o.ptr, got.storage.size(), error)) {
      std::printf("FAIL  %s\n", error.c_str());
      return 1;
    }
    double worst = 0;
    bool isFloat = isFloatType(o.want.type);
    for (int64_t k = 0; k < got.numElements(); ++k) {
      double w = isFloat ? loadFloat(o.want.data(), o.want.type, k)
                         : double(loadInt(o.want.data(), o.want.type, k));
      double x = isFloat ? loadFloat(got.data(), got.type, k)
                         : double(loadInt(got.data(), got.type, k));
      double e = std::fabs(x - w) / std::max(1.0, std::fabs(w));
      if (!(e <= worst))
        worst = std::isnan(e) ? INFINITY : e;
    }
    bool ok = worst <= tol;
    failures += !ok;
    std::printf("%s  %s (%lld programs): %s max error %.3g (tolerance %.0e)\n",
                ok ? "PASS" : "FAIL", kernel.c_str(), (long long)programs,
                o.file.c_str(), worst, tol);
  }
  return failures ? 1 : 0;
}
