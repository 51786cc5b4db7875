//===- KvCacheLayout.cpp - the KV cache layout a bundle states ------------===//
#include "models/v4/KvCacheLayout.h"

using namespace dsv4c;

namespace {

struct Field {
  const char *name, *dtype;
  int64_t offset, count;
};

constexpr Field kFields[] = {
    {"nope", "f8e4m3fn", 0, v4::kKvNopeDims},
    {"rope", "bf16", v4::kKvRopeOffset, 64},
    {"scales", "f8e8m0fnu", v4::kKvScaleOffset, v4::kKvNopeDims / 64},
};

} // namespace

JsonValue v4::kvCacheLayoutJson() {
  JsonValue fields = JsonValue::array();
  for (const Field &f : kFields) {
    JsonValue j = JsonValue::object();
    j.set("name", JsonValue::string(f.name));
    j.set("dtype", JsonValue::string(f.dtype));
    j.set("offset", JsonValue::integer(f.offset));
    j.set("count", JsonValue::integer(f.count));
    fields.push(std::move(j));
  }
  JsonValue kv = JsonValue::object();
  kv.set("entry_bytes", JsonValue::integer(kKvEntryBytes));
  kv.set("page_entries", JsonValue::integer(kKvPageEntries));
  kv.set("fields", std::move(fields));
  return kv;
}

bool v4::checkKvCacheLayout(const JsonValue &layout, const std::string &where,
                            std::string &error) {
  const JsonValue *kv = layout.find("kv_cache");
  if (!kv) {
    error = where + ": no 'kv_cache' layout (a bundle of an older dsv4c; "
                    "recompile it with the dsv4c of this runtime)";
    return false;
  }
  // The statement must be this runtime's, field for field.
  if (!(*kv == kvCacheLayoutJson())) {
    error = where +
            ": field 'kv_cache' states another KV cache layout than "
            "this runtime's (" +
            std::to_string(kKvEntryBytes) + "-byte entries, pages of " +
            std::to_string(kKvPageEntries) +
            "); recompile the bundle with the dsv4c of this runtime";
    return false;
  }
  return true;
}
