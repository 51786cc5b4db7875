//===- Safetensors.h - read and write .safetensors checkpoints -*- C++ -*-===//
//
// Format (huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON (UTF-8, an object; the official writer pads it with
// spaces to a multiple of 8), then the data region. Each header key but
// "__metadata__" (an object of string -> string) names a tensor:
//   {"dtype": "BF16", "shape": [4096, 1024], "data_offsets": [BEGIN, END]}
// with offsets relative to the data region. Like the official reader we
// require the tensors to tile the data region exactly: sorted by offset,
// they start at 0, follow each other without gap or overlap, and the last
// one ends at the end of the file; END - BEGIN must equal
// prod(shape) * bits(dtype) / 8.
//
// A sharded checkpoint is a directory with model.safetensors.index.json
// ({"metadata": {...}, "weight_map": {tensor: shard file name}}) next to
// its shards. Files are mapped with mmap (POSIX); tensor data pointers stay
// valid while the Checkpoint lives.
//
// Standard library + POSIX only: the runtime links no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_SAFETENSORS_H
#define DSV4C_RUNTIME_SAFETENSORS_H

#include "runtime/ElementType.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4c {

/// Safetensors dtypes, in the official enum's order (the writer lays out
/// tensors by descending dtype in this order, then by name).
enum class StDtype : uint8_t {
  BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0,
  F8_E4M3FNUZ, F8_E5M2FNUZ, I16, U16, F16, BF16, I32, U32, F32, C64, F64,
  I64, U64
};

/// The header spelling: "BF16", "F8_E4M3", "F8_E8M0" (torch's
/// float8_e8m0fnu), "F4" (torch's float4_e2m1fn_x2), ...
const char *stDtypeName(StDtype dtype);
std::optional<StDtype> parseStDtype(std::string_view name);
/// Bits per element (4 for F4, 6 for F6_*).
int stDtypeBits(StDtype dtype);
/// The runtime element type with the same bits, if there is one: F32, F16,
/// BF16, I8, I32, I64, F8_E4M3 -> f8E4M3FN, F8_E8M0 -> f8E8M0FNU, BOOL ->
/// i1. (U8 and F4 have none: F4's packing differs from f4E2M1FN's.)
std::optional<ElementType> stDtypeToElementType(StDtype dtype);

/// "[4096, 1024]"; "[]" for a scalar.
std::string shapeToString(const std::vector<int64_t> &shape);

struct TensorInfo {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::string dtypeName() const { return stDtypeName(dtype); }
  std::vector<int64_t> shape;
  /// Into the mapped file; no alignment is promised beyond what the file
  /// gives (the official writer keeps every tensor aligned to its dtype).
  const void *data = nullptr;
  size_t bytes = 0;
  /// The .safetensors file holding it.
  std::string file;

  int64_t numElements() const;
  /// "F8_E4M3 [1024, 4096]"
  std::string describe() const;
};

class MappedFile;

class Checkpoint {
public:
  /// `path`: a .safetensors file; a model.safetensors.index.json; or a
  /// directory holding either model.safetensors.index.json (sharded) or
  /// model.safetensors. Everything is validated; on failure returns null
  /// and sets `error` to a message naming the file (and the tensor).
  static std::unique_ptr<Checkpoint> open(const std::string &path,
                                          std::string &error);
  /// A safetensors file already in memory.
  struct MemoryFile {
    std::string label; // names the file in errors and TensorInfo::file
    const void *data = nullptr;
    size_t size = 0;
  };
  /// Tensors of `files` used in place (no copies); `owner` keeps their
  /// memory alive as long as the checkpoint lives. Validated like open().
  static std::unique_ptr<Checkpoint>
  openMemory(const std::vector<MemoryFile> &files, std::shared_ptr<void> owner,
             std::string &error);
  ~Checkpoint();
  Checkpoint(const Checkpoint &) = delete;
  Checkpoint &operator=(const Checkpoint &) = delete;

  const TensorInfo *find(std::string_view name) const;
  /// Sorted.
  std::vector<std::string> names() const;
  /// Sorted by name.
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  size_t size() const { return tensors_.size(); }
  /// The .safetensors files, in the order they were opened.
  std::vector<std::string> files() const;
  /// "__metadata__" of a single file; for a sharded checkpoint, the union
  /// of its shards' "__metadata__" (first value wins).
  const std::map<std::string, std::string> &metadata() const {
    return metadata_;
  }
  /// The index's "metadata" object ("total_size", ...) with every value
  /// written as JSON text; empty for a single file.
  const std::map<std::string, std::string> &indexMetadata() const {
    return indexMetadata_;
  }

private:
  Checkpoint();
  bool addFile(const std::string &path, std::string &error);
  bool addMapped(std::unique_ptr<MappedFile> file, std::string &error);

  std::shared_ptr<void> owner_;
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, std::string> indexMetadata_;
};

/// A tensor to write: `data` holds `bytes` bytes, which must equal
/// prod(shape) * bits(dtype) / 8.
struct TensorToWrite {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  size_t bytes = 0;
};

/// Writes one .safetensors file in the official writer's layout: tensors
/// ordered by descending dtype (StDtype order) then name, contiguous from
/// offset 0; a compact JSON header with "__metadata__" first (omitted when
/// empty) and the tensors in data order; the header padded with spaces to
/// a multiple of 8 bytes. Rejects duplicate or empty names, the name
/// "__metadata__", and a byte count that does not match shape and dtype.
/// With `holes`, a tensor without data is left as a hole of its size (the
/// file is sparse where the file system allows): the layout without the
/// values.
bool writeSafetensors(const std::string &path,
                      const std::vector<TensorToWrite> &tensors,
                      const std::map<std::string, std::string> &metadata,
                      std::string &error, bool holes = false);

/// Writes model.safetensors.index.json: {"metadata": {"total_size": N},
/// "weight_map": {tensor: shard file name}} (keys sorted, indent 2, as
/// transformers writes it).
bool writeSafetensorsIndex(const std::string &path,
                           const std::map<std::string, std::string> &weightMap,
                           uint64_t totalSize, std::string &error);

} // namespace dsv4c

#endif
