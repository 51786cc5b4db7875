//===- ReferenceTestUtil.h - helpers of the reference tests ----*- C++ -*-===//
#ifndef DSV4C_TESTS_REFERENCE_REFERENCETESTUTIL_H
#define DSV4C_TESTS_REFERENCE_REFERENCETESTUTIL_H

#include "dialects/tile/TileDialect.h"
#include "runtime/FloatFormats.h"
#include "runtime/KernelArgs.h"
#include "targets/reference/ReferenceTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace dsv4c::testing {

/// Memory that ends exactly where an inaccessible page starts: any access
/// past the end faults, so a test dies if a masked or out-of-bounds element
/// is read or written.
class GuardedBuffer {
public:
  explicit GuardedBuffer(size_t bytes) : bytes(bytes) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    mappedBytes = ((bytes + page - 1) / page + 1) * page;
    mapping = static_cast<uint8_t *>(mmap(nullptr, mappedBytes,
                                          PROT_READ | PROT_WRITE,
                                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    uint8_t *guard = mapping + mappedBytes - page;
    mprotect(guard, page, PROT_NONE);
    start = guard - bytes;
    std::memset(start, 0, bytes);
  }
  ~GuardedBuffer() { munmap(mapping, mappedBytes); }
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;

  template <typename T> T *as() { return reinterpret_cast<T *>(start); }
  void *data() { return start; }
  size_t size() const { return bytes; }

private:
  size_t bytes, mappedBytes;
  uint8_t *mapping, *start;
};

/// A guarded buffer holding `values`.
template <typename T> class Guarded : public GuardedBuffer {
public:
  explicit Guarded(const std::vector<T> &values)
      : GuardedBuffer(values.size() * sizeof(T)), count(values.size()) {
    std::memcpy(data(), values.data(), values.size() * sizeof(T));
  }
  T &operator[](size_t i) { return as<T>()[i]; }
  size_t count;
};

inline float roundBf16(float x) { return bf16ToFloat(floatToBf16(x)); }
inline float roundF16(float x) { return f16ToFloat(floatToF16(x)); }
inline float roundE4M3(float x) { return f8E4M3FNToFloat(floatToF8E4M3FN(x)); }
inline float roundE2M1(float x) { return f4E2M1FNToFloat(floatToF4E2M1FN(x)); }

/// Parses kernels from strings and runs them on the reference target.
class ReferenceTest : public ::testing::Test {
protected:
  ReferenceTest() {
    context.loadDialect<tile::TileDialect, mlir::arith::ArithDialect,
                        mlir::math::MathDialect, mlir::scf::SCFDialect,
                        mlir::func::FuncDialect>();
  }

  /// Parses `source` (as file "test.mlir") into `module`.
  void parse(llvm::StringRef source) {
    mlir::ParserConfig config(&context);
    module = mlir::parseSourceString<mlir::ModuleOp>(source, config,
                                                     "test.mlir");
    ASSERT_TRUE(module) << "failed to parse:\n" << source.str();
  }

  /// Parses `source` and creates a runner for `kernel`.
  std::unique_ptr<KernelRunner> compile(llvm::StringRef source,
                                        std::string &error,
                                        llvm::StringRef kernel = "k") {
    parse(source);
    if (!module)
      return nullptr;
    return reference::createRunner(*module, kernel, error);
  }

  /// Parses `source` and launches kernel `kernel` over `grid`; fails the
  /// test on any error. Use as ASSERT_NO_FATAL_FAILURE(run(...)).
  void run(llvm::StringRef source, KernelArgs &args, Grid grid = {1, 1, 1},
           llvm::StringRef kernel = "k") {
    std::string error;
    std::unique_ptr<KernelRunner> runner = compile(source, error, kernel);
    ASSERT_TRUE(runner) << error;
    ASSERT_TRUE(runner->launch(args.data(), grid, error)) << error;
  }

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

} // namespace dsv4c::testing

#endif
