//===- Safetensors.cpp - read and write .safetensors checkpoints ----------===//
#include "runtime/Safetensors.h"

#include "runtime/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <unordered_map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dsv4c {

//===----------------------------------------------------------------------===//
// Dtypes
//===----------------------------------------------------------------------===//

namespace {
struct DtypeEntry {
  StDtype dtype;
  const char *name;
  int bits;
};
constexpr DtypeEntry kDtypes[] = {
    {StDtype::BOOL, "BOOL", 8},
    {StDtype::F4, "F4", 4},
    {StDtype::F6_E2M3, "F6_E2M3", 6},
    {StDtype::F6_E3M2, "F6_E3M2", 6},
    {StDtype::U8, "U8", 8},
    {StDtype::I8, "I8", 8},
    {StDtype::F8_E5M2, "F8_E5M2", 8},
    {StDtype::F8_E4M3, "F8_E4M3", 8},
    {StDtype::F8_E8M0, "F8_E8M0", 8},
    {StDtype::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8},
    {StDtype::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8},
    {StDtype::I16, "I16", 16},
    {StDtype::U16, "U16", 16},
    {StDtype::F16, "F16", 16},
    {StDtype::BF16, "BF16", 16},
    {StDtype::I32, "I32", 32},
    {StDtype::U32, "U32", 32},
    {StDtype::F32, "F32", 32},
    {StDtype::C64, "C64", 64},
    {StDtype::F64, "F64", 64},
    {StDtype::I64, "I64", 64},
    {StDtype::U64, "U64", 64},
};

/// The official implementation refuses larger headers.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char *kIndexName = "model.safetensors.index.json";
constexpr const char *kSingleName = "model.safetensors";
} // namespace

const char *stDtypeName(StDtype dtype) {
  return kDtypes[static_cast<size_t>(dtype)].name;
}

std::optional<StDtype> parseStDtype(std::string_view name) {
  for (const DtypeEntry &e : kDtypes)
    if (name == e.name)
      return e.dtype;
  return std::nullopt;
}

int stDtypeBits(StDtype dtype) {
  return kDtypes[static_cast<size_t>(dtype)].bits;
}

std::optional<ElementType> stDtypeToElementType(StDtype dtype) {
  switch (dtype) {
  case StDtype::BOOL:
    return ElementType::I1;
  case StDtype::I8:
    return ElementType::I8;
  case StDtype::I32:
    return ElementType::I32;
  case StDtype::I64:
    return ElementType::I64;
  case StDtype::F16:
    return ElementType::F16;
  case StDtype::BF16:
    return ElementType::BF16;
  case StDtype::F32:
    return ElementType::F32;
  case StDtype::F8_E4M3:
    return ElementType::F8E4M3FN;
  case StDtype::F8_E8M0:
    return ElementType::F8E8M0FNU;
  default:
    return std::nullopt;
  }
}

std::string shapeToString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string TensorInfo::describe() const {
  return std::string(stDtypeName(dtype)) + " " + shapeToString(shape);
}

namespace {

/// prod(shape) * bits / 8, or nullopt on overflow or when the bits do not
/// fill whole bytes. `why` says which.
std::optional<uint64_t>
byteSize(StDtype dtype, const std::vector<int64_t> &shape, std::string &why) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t n = 1;
  for (int64_t d : shape) {
    uint64_t u = static_cast<uint64_t>(d);
    if (u != 0 && n > kMax / u) {
      why = "its element count overflows";
      return std::nullopt;
    }
    n *= u;
  }
  uint64_t bits = static_cast<uint64_t>(stDtypeBits(dtype));
  if (n > kMax / bits) {
    why = "its size in bits overflows";
    return std::nullopt;
  }
  if ((n * bits) % 8 != 0) {
    why = std::to_string(n) + " elements of " + stDtypeName(dtype) +
          " do not fill whole bytes";
    return std::nullopt;
  }
  return n * bits / 8;
}

std::string offsetsString(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

} // namespace

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

class MappedFile {
public:
  std::string path;
  const uint8_t *base = nullptr;
  size_t size = 0;
  bool borrowed = false; // memory owned by someone else (a bundle)

  ~MappedFile() {
    if (base && !borrowed)
      ::munmap(const_cast<uint8_t *>(base), size);
  }

  bool map(std::string &error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = path + ": cannot open: " + std::strerror(errno);
      return false;
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      error = path + ": cannot stat: " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      error = path + ": not a regular file";
      ::close(fd);
      return false;
    }
    size = static_cast<size_t>(st.st_size);
    if (size > 0) {
      void *p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        error = path + ": cannot mmap: " + std::strerror(errno);
        ::close(fd);
        return false;
      }
      base = static_cast<const uint8_t *>(p);
    }
    ::close(fd);
    return true;
  }
};

Checkpoint::Checkpoint() = default;
Checkpoint::~Checkpoint() = default;

const TensorInfo *Checkpoint::find(std::string_view name) const {
  auto it = std::lower_bound(
      tensors_.begin(), tensors_.end(), name,
      [](const TensorInfo &t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name)
    return nullptr;
  return &*it;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const TensorInfo &t : tensors_)
    out.push_back(t.name);
  return out;
}

std::vector<std::string> Checkpoint::files() const {
  std::vector<std::string> out;
  for (const auto &f : files_)
    out.push_back(f->path);
  return out;
}

/// Maps `path`, validates its header and layout, and appends its tensors
/// (unsorted) and metadata.
bool Checkpoint::addFile(const std::string &path, std::string &error) {
  auto file = std::make_unique<MappedFile>();
  file->path = path;
  if (!file->map(error))
    return false;
  return addMapped(std::move(file), error);
}

std::unique_ptr<Checkpoint>
Checkpoint::openMemory(const std::vector<MemoryFile> &files,
                       std::shared_ptr<void> owner, std::string &error) {
  std::unique_ptr<Checkpoint> ckpt(new Checkpoint());
  ckpt->owner_ = std::move(owner);
  for (const MemoryFile &f : files) {
    auto file = std::make_unique<MappedFile>();
    file->path = f.label;
    file->base = static_cast<const uint8_t *>(f.data);
    file->size = f.size;
    file->borrowed = true;
    if (!ckpt->addMapped(std::move(file), error))
      return nullptr;
  }
  std::sort(
      ckpt->tensors_.begin(), ckpt->tensors_.end(),
      [](const TensorInfo &a, const TensorInfo &b) { return a.name < b.name; });
  for (size_t i = 1; i < ckpt->tensors_.size(); ++i)
    if (ckpt->tensors_[i].name == ckpt->tensors_[i - 1].name) {
      error = ckpt->tensors_[i].file + ": tensor '" + ckpt->tensors_[i].name +
              "' is also in " + ckpt->tensors_[i - 1].file;
      return nullptr;
    }
  return ckpt;
}

bool Checkpoint::addMapped(std::unique_ptr<MappedFile> file,
                           std::string &error) {
  const std::string path = file->path;
  auto fail = [&](const std::string &what) {
    error = path + ": " + what;
    return false;
  };
  const uint64_t fileSize = file->size;
  if (fileSize < 8)
    return fail("file of " + std::to_string(fileSize) +
                " bytes is too small: a safetensors file starts with an "
                "8-byte header length");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | file->base[i];
  if (headerLen > kMaxHeaderBytes)
    return fail("header length " + std::to_string(headerLen) +
                " exceeds the limit of " + std::to_string(kMaxHeaderBytes) +
                " bytes (not a safetensors file?)");
  if (headerLen > fileSize - 8)
    return fail("header length " + std::to_string(headerLen) + " exceeds the " +
                std::to_string(fileSize - 8) +
                " bytes after the length field (file truncated?)");
  if (headerLen < 2)
    return fail("header length " + std::to_string(headerLen) +
                " is too small for a JSON object");
  std::string_view headerText(reinterpret_cast<const char *>(file->base + 8),
                              headerLen);
  std::string jsonError;
  // A header is flat: {name: {dtype, shape: [...], data_offsets: [...]}}.
  JsonParseOptions options;
  options.maxDepth = 8;
  std::optional<JsonValue> header = parseJson(headerText, jsonError, options);
  if (!header)
    return fail("invalid header JSON at " + jsonError);
  const JsonValue::Object *entries = header->asObject();
  if (!entries)
    return fail(std::string("header is ") + header->kindName() +
                ", not a JSON object");

  const uint64_t dataSize = fileSize - 8 - headerLen;
  const uint8_t *data = file->base + 8 + headerLen;
  struct Placed {
    size_t index; // into tensors_
    uint64_t begin, end;
  };
  std::vector<Placed> placed;

  for (const JsonValue::Member &m : *entries) {
    const std::string &name = m.first;
    if (name == "__metadata__") {
      const JsonValue::Object *md = m.second.asObject();
      if (!md)
        return fail(std::string("\"__metadata__\" is ") + m.second.kindName() +
                    ", not an object of strings");
      for (const JsonValue::Member &kv : *md) {
        const std::string *value = kv.second.asString();
        if (!value)
          return fail("\"__metadata__\" value of '" + kv.first + "' is " +
                      kv.second.kindName() + ", not a string");
        metadata_.emplace(kv.first, *value);
      }
      continue;
    }
    auto tfail = [&](const std::string &what) {
      return fail("tensor '" + name + "': " + what);
    };
    const JsonValue &info = m.second;
    if (!info.isObject())
      return tfail(std::string("entry is ") + info.kindName() +
                   ", not an object");
    const JsonValue *dtypeV = info.find("dtype");
    const JsonValue *shapeV = info.find("shape");
    const JsonValue *offsetsV = info.find("data_offsets");
    if (!dtypeV)
      return tfail("missing \"dtype\"");
    if (!shapeV)
      return tfail("missing \"shape\"");
    if (!offsetsV)
      return tfail("missing \"data_offsets\"");
    const std::string *dtypeName = dtypeV->asString();
    if (!dtypeName)
      return tfail(std::string("\"dtype\" is ") + dtypeV->kindName() +
                   ", not a string");
    std::optional<StDtype> dtype = parseStDtype(*dtypeName);
    if (!dtype)
      return tfail("unknown dtype '" + *dtypeName + "'");
    const JsonValue::Array *shapeA = shapeV->asArray();
    if (!shapeA)
      return tfail(std::string("\"shape\" is ") + shapeV->kindName() +
                   ", not an array");
    std::vector<int64_t> shape;
    for (const JsonValue &d : *shapeA) {
      std::optional<int64_t> v =
          d.hasExactInteger() ? d.asInteger() : std::nullopt;
      if (!v || *v < 0)
        return tfail("\"shape\" entries must be non-negative integers");
      shape.push_back(*v);
    }
    const JsonValue::Array *offA = offsetsV->asArray();
    std::optional<int64_t> b, e;
    if (offA && offA->size() == 2) {
      if ((*offA)[0].hasExactInteger())
        b = (*offA)[0].asInteger();
      if ((*offA)[1].hasExactInteger())
        e = (*offA)[1].asInteger();
    }
    if (!b || !e || *b < 0 || *e < 0)
      return tfail("\"data_offsets\" must be two non-negative integers "
                   "[BEGIN, END]");
    uint64_t begin = static_cast<uint64_t>(*b);
    uint64_t end = static_cast<uint64_t>(*e);
    if (end < begin)
      return tfail("data_offsets " + offsetsString(begin, end) +
                   " end before they begin");
    std::string why;
    std::optional<uint64_t> need = byteSize(*dtype, shape, why);
    if (!need)
      return tfail(std::string(*dtypeName) + " " + shapeToString(shape) + ": " +
                   why);
    if (end - begin != *need)
      return tfail("data_offsets " + offsetsString(begin, end) + " hold " +
                   std::to_string(end - begin) + " bytes but " + *dtypeName +
                   " " + shapeToString(shape) + " needs " +
                   std::to_string(*need));
    if (end > dataSize)
      return tfail("data_offsets " + offsetsString(begin, end) +
                   " reach beyond the data region of " +
                   std::to_string(dataSize) + " bytes (file truncated?)");
    TensorInfo t;
    t.name = name;
    t.dtype = *dtype;
    t.shape = std::move(shape);
    t.data = data + begin;
    t.bytes = static_cast<size_t>(end - begin);
    t.file = path;
    placed.push_back({tensors_.size(), begin, end});
    tensors_.push_back(std::move(t));
  }

  // The tensors must tile the data region exactly.
  std::sort(placed.begin(), placed.end(), [](const Placed &a, const Placed &c) {
    return a.begin != c.begin ? a.begin < c.begin : a.end < c.end;
  });
  uint64_t expected = 0;
  const Placed *previous = nullptr;
  for (const Placed &p : placed) {
    const TensorInfo &t = tensors_[p.index];
    if (p.begin < expected)
      return fail("tensors '" + tensors_[previous->index].name + "' " +
                  offsetsString(previous->begin, previous->end) + " and '" +
                  t.name + "' " + offsetsString(p.begin, p.end) + " overlap");
    if (p.begin > expected)
      return fail("gap of " + std::to_string(p.begin - expected) +
                  " bytes in the data region before tensor '" + t.name + "' " +
                  offsetsString(p.begin, p.end));
    expected = p.end;
    previous = &p;
  }
  if (expected != dataSize)
    return fail(std::to_string(dataSize - expected) +
                " bytes after the last tensor: the data region holds " +
                std::to_string(dataSize) + " bytes, the tensors " +
                std::to_string(expected));
  files_.push_back(std::move(file));
  return true;
}

namespace {
/// A shard name from an index: a relative path that stays in the
/// directory.
bool isSafeShardName(const std::string &name) {
  if (name.empty() || name.front() == '/')
    return false;
  std::filesystem::path p(name);
  for (const auto &part : p)
    if (part == "..")
      return false;
  return true;
}
} // namespace

std::unique_ptr<Checkpoint> Checkpoint::open(const std::string &path,
                                             std::string &error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string indexPath;
  std::string singlePath;
  if (fs::is_directory(path, ec)) {
    fs::path dir(path);
    if (fs::exists(dir / kIndexName, ec))
      indexPath = (dir / kIndexName).string();
    else if (fs::exists(dir / kSingleName, ec))
      singlePath = (dir / kSingleName).string();
    else {
      error = path + ": directory holds neither " + kIndexName + " nor " +
              kSingleName;
      return nullptr;
    }
  } else if (path.size() >= 5 &&
             path.compare(path.size() - 5, 5, ".json") == 0) {
    indexPath = path;
  } else {
    singlePath = path;
  }

  std::unique_ptr<Checkpoint> ckpt(new Checkpoint());
  if (!singlePath.empty()) {
    if (!ckpt->addFile(singlePath, error))
      return nullptr;
    std::sort(ckpt->tensors_.begin(), ckpt->tensors_.end(),
              [](const TensorInfo &a, const TensorInfo &b) {
                return a.name < b.name;
              });
    return ckpt;
  }

  // Sharded.
  std::optional<JsonValue> index = parseJsonFile(indexPath, error);
  if (!index)
    return nullptr;
  auto fail = [&](const std::string &what) -> std::unique_ptr<Checkpoint> {
    error = indexPath + ": " + what;
    return nullptr;
  };
  if (!index->isObject())
    return fail(std::string("index is ") + index->kindName() +
                ", not a JSON object");
  if (const JsonValue *md = index->find("metadata")) {
    if (!md->isObject() && !md->isNull())
      return fail(std::string("\"metadata\" is ") + md->kindName() +
                  ", not an object");
    if (const JsonValue::Object *o = md->asObject())
      for (const JsonValue::Member &kv : *o)
        ckpt->indexMetadata_.emplace(kv.first, kv.second.isString()
                                                   ? *kv.second.asString()
                                                   : writeJson(kv.second));
  }
  const JsonValue *wm = index->find("weight_map");
  if (!wm)
    return fail("missing \"weight_map\"");
  const JsonValue::Object *weightMap = wm->asObject();
  if (!weightMap)
    return fail(std::string("\"weight_map\" is ") + wm->kindName() +
                ", not an object");
  std::unordered_map<std::string, std::string> shardOf;
  shardOf.reserve(weightMap->size());
  std::vector<std::string> shards;
  for (const JsonValue::Member &kv : *weightMap) {
    const std::string *shard = kv.second.asString();
    if (!shard)
      return fail("\"weight_map\" entry of tensor '" + kv.first + "' is " +
                  kv.second.kindName() + ", not a file name");
    if (!isSafeShardName(*shard))
      return fail("\"weight_map\" entry of tensor '" + kv.first + "' names '" +
                  *shard + "', not a file in the index's directory");
    if (std::find(shards.begin(), shards.end(), *shard) == shards.end())
      shards.push_back(*shard);
    shardOf.emplace(kv.first, *shard);
  }
  if (shards.empty())
    return fail("\"weight_map\" is empty");

  fs::path dir = fs::path(indexPath).parent_path();
  std::unordered_map<std::string, std::string> seenIn;
  seenIn.reserve(shardOf.size());
  for (const std::string &shard : shards) {
    std::string shardPath = (dir / shard).string();
    size_t first = ckpt->tensors_.size();
    if (!ckpt->addFile(shardPath, error))
      return nullptr;
    for (size_t i = first; i < ckpt->tensors_.size(); ++i) {
      const std::string &name = ckpt->tensors_[i].name;
      auto it = shardOf.find(name);
      if (it == shardOf.end()) {
        error = shardPath + ": tensor '" + name + "' is not in the index " +
                indexPath;
        return nullptr;
      }
      if (it->second != shard) {
        error = shardPath + ": tensor '" + name + "' is mapped to '" +
                it->second + "' by the index " + indexPath;
        return nullptr;
      }
      seenIn.emplace(name, shard);
    }
  }
  // Every indexed tensor must be where the index says. (A tensor in two
  // shards fails above: the index maps it to only one of them.)
  for (const JsonValue::Member &kv : *weightMap)
    if (!seenIn.count(kv.first))
      return fail("tensor '" + kv.first + "' is not in its shard '" +
                  *kv.second.asString() + "'");
  std::sort(
      ckpt->tensors_.begin(), ckpt->tensors_.end(),
      [](const TensorInfo &a, const TensorInfo &b) { return a.name < b.name; });
  return ckpt;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

bool writeSafetensors(const std::string &path,
                      const std::vector<TensorToWrite> &tensors,
                      const std::map<std::string, std::string> &metadata,
                      std::string &error, bool holes) {
  auto fail = [&](const std::string &what) {
    error = path + ": " + what;
    return false;
  };
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (tensors[a].dtype != tensors[b].dtype)
      return tensors[a].dtype > tensors[b].dtype;
    return tensors[a].name < tensors[b].name;
  });
  for (size_t k = 0; k < order.size(); ++k) {
    const TensorToWrite &t = tensors[order[k]];
    if (t.name.empty())
      return fail("a tensor has an empty name");
    if (t.name == "__metadata__")
      return fail("a tensor cannot be named \"__metadata__\"");
    for (int64_t d : t.shape)
      if (d < 0)
        return fail("tensor '" + t.name + "': negative dimension in " +
                    shapeToString(t.shape));
    std::string why;
    std::optional<uint64_t> need = byteSize(t.dtype, t.shape, why);
    if (!need)
      return fail("tensor '" + t.name + "': " + why);
    if (*need != t.bytes)
      return fail("tensor '" + t.name + "': " + stDtypeName(t.dtype) + " " +
                  shapeToString(t.shape) + " needs " + std::to_string(*need) +
                  " bytes, given " + std::to_string(t.bytes));
    if (t.bytes && !t.data && !holes)
      return fail("tensor '" + t.name + "': no data");
  }
  {
    std::vector<std::string_view> names;
    for (const TensorToWrite &t : tensors)
      names.push_back(t.name);
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end())
      return fail("tensor '" + std::string(*dup) + "' given twice");
  }

  JsonValue header = JsonValue::object();
  if (!metadata.empty()) {
    JsonValue md = JsonValue::object();
    for (const auto &[k, v] : metadata)
      md.set(k, JsonValue::string(v));
    header.set("__metadata__", std::move(md));
  }
  uint64_t offset = 0;
  for (size_t i : order) {
    const TensorToWrite &t = tensors[i];
    JsonValue shape = JsonValue::array();
    for (int64_t d : t.shape)
      shape.push(JsonValue::integer(d));
    JsonValue offsets = JsonValue::array();
    offsets.push(JsonValue::integer(static_cast<int64_t>(offset)));
    offsets.push(JsonValue::integer(static_cast<int64_t>(offset + t.bytes)));
    JsonValue info = JsonValue::object();
    info.set("dtype", JsonValue::string(stDtypeName(t.dtype)));
    info.set("shape", std::move(shape));
    info.set("data_offsets", std::move(offsets));
    header.asObject()->emplace_back(t.name, std::move(info));
    offset += t.bytes;
  }
  std::string text = writeJson(header);
  text.append((8 - text.size() % 8) % 8, ' ');

  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return fail(std::string("cannot open for writing: ") +
                std::strerror(errno));
  unsigned char len[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<unsigned char>(n >> (8 * i));
  bool ok = std::fwrite(len, 1, 8, f) == 8 &&
            std::fwrite(text.data(), 1, text.size(), f) == text.size();
  for (size_t k = 0; ok && k < order.size(); ++k) {
    const TensorToWrite &t = tensors[order[k]];
    if (!t.data)
      ok = std::fseek(f, long(t.bytes), SEEK_CUR) == 0;
    else
      ok = t.bytes == 0 || std::fwrite(t.data, 1, t.bytes, f) == t.bytes;
  }
  // A hole at the end has no byte written after it: set the size.
  ok = ok && std::fflush(f) == 0 &&
       ::ftruncate(::fileno(f), off_t(8 + n + offset)) == 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok)
    return fail("write failed");
  return true;
}

bool writeSafetensorsIndex(const std::string &path,
                           const std::map<std::string, std::string> &weightMap,
                           uint64_t totalSize, std::string &error) {
  JsonValue md = JsonValue::object();
  md.set("total_size", JsonValue::integer(static_cast<int64_t>(totalSize)));
  JsonValue wm = JsonValue::object();
  for (const auto &[tensor, file] : weightMap)
    wm.asObject()->emplace_back(tensor, JsonValue::string(file));
  JsonValue index = JsonValue::object();
  index.set("metadata", std::move(md));
  index.set("weight_map", std::move(wm));
  JsonWriteOptions options;
  options.indent = 2;
  return writeJsonFile(path, index, error, options);
}

} // namespace dsv4c
