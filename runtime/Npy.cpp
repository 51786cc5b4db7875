//===- Npy.cpp - read and write NumPy .npy files --------------------------===//
//
// Format: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0,
// uint32 LE for 2.0/3.0), then a Python dict literal padded with spaces and
// ended by '\n', then the raw data.
//
//===----------------------------------------------------------------------===//
#include "runtime/Npy.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>

namespace dsv4c {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
/// Bounds that no legitimate file reaches; garbage gets a clear error.
constexpr uint64_t kMaxHeaderLen = 1u << 20;
constexpr int kMaxRank = 32;

std::string shapeString(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

/// A Python literal of the restricted kind .npy headers hold.
struct PyValue {
  enum Kind { String, Bool, None, Int, Tuple, List } kind = None;
  std::string str;
  bool boolean = false;
  int64_t integer = 0;
  std::vector<PyValue> items; // Tuple, List
};

/// Parses the header: a dict whose keys are strings and whose values are
/// strings, True/False/None, non-negative ints, and tuples and lists of
/// those (a structured descr is a list of tuples). Quotes may be ' or ";
/// whitespace is free; trailing commas are allowed.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s(text) {}

  bool parse(std::map<std::string, PyValue> &out, std::string &error) {
    skipSpace();
    if (!eat('{'))
      return fail("header is not a dict", error);
    while (true) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key", error);
      skipSpace();
      if (!eat(':'))
        return fail("expected ':' after key '" + key + "'", error);
      skipSpace();
      PyValue value;
      if (!parseValue(value, 0))
        return fail("bad value for key '" + key + "'", error);
      if (out.count(key))
        return fail("duplicate key '" + key + "'", error);
      out[key] = std::move(value);
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat('}'))
        break;
      return fail("expected ',' or '}'", error);
    }
    skipSpace();
    if (pos != s.size())
      return fail("unexpected text after the header dict", error);
    return true;
  }

private:
  /// Nesting deeper than any real header; stops garbage recursing far.
  static constexpr int kMaxDepth = 8;

  bool fail(const std::string &what, std::string &error) {
    error = "malformed header: " + what + " at offset " + std::to_string(pos);
    return false;
  }
  void skipSpace() {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos])))
      ++pos;
  }
  bool eat(char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool eatWord(const char *w) {
    size_t n = std::strlen(w);
    if (s.compare(pos, n, w) == 0) {
      pos += n;
      return true;
    }
    return false;
  }
  bool parseString(std::string &out) {
    if (pos >= s.size() || (s[pos] != '\'' && s[pos] != '"'))
      return false;
    char quote = s[pos++];
    while (pos < s.size() && s[pos] != quote) {
      if (s[pos] == '\\' || s[pos] == '\n')
        return false; // NumPy never escapes in these strings
      out += s[pos++];
    }
    return eat(quote);
  }
  bool parseInt(int64_t &out) {
    size_t start = pos;
    uint64_t v = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
      if (v > (uint64_t(1) << 62))
        return false;
      ++pos;
    }
    if (pos == start)
      return false;
    if (pos < s.size() && s[pos] == 'L') // Python 2 longs
      ++pos;
    out = static_cast<int64_t>(v);
    return true;
  }
  bool parseValue(PyValue &v, int depth) {
    if (depth > kMaxDepth || pos >= s.size())
      return false;
    char c = s[pos];
    if (c == '\'' || c == '"') {
      v.kind = PyValue::String;
      return parseString(v.str);
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      v.kind = PyValue::Int;
      return parseInt(v.integer);
    }
    if (eatWord("True") || eatWord("False")) {
      v.kind = PyValue::Bool;
      v.boolean = c == 'T';
      return true;
    }
    if (eatWord("None")) {
      v.kind = PyValue::None;
      return true;
    }
    char close;
    if (eat('(')) {
      v.kind = PyValue::Tuple;
      close = ')';
    } else if (eat('[')) {
      v.kind = PyValue::List;
      close = ']';
    } else {
      return false;
    }
    while (true) {
      skipSpace();
      if (eat(close))
        return true;
      PyValue item;
      if (!parseValue(item, depth + 1))
        return false;
      v.items.push_back(std::move(item));
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      return eat(close);
    }
  }

  const std::string &s;
  size_t pos = 0;
};

/// How the data of a file maps onto a HostTensor.
struct Decoding {
  ElementType type;
  /// f4E2M1FN stored one code per byte (the current format), not packed two
  /// per byte as HostTensor (and the old dsv4c format) keeps it.
  bool unpackedF4 = false;
};

/// NumPy's spelling of a one-byte type: any byte-order character will do.
bool isOneByte(const std::string &descr, const char *code) {
  return descr.size() == 3 &&
         std::string("|<>=").find(descr[0]) != std::string::npos &&
         descr.compare(1, 2, code) == 0;
}

/// The types a plain (non-structured) descr names by itself.
std::optional<ElementType> plainType(const std::string &descr) {
  if (descr == "<f4")
    return ElementType::F32;
  if (descr == "<f2")
    return ElementType::F16;
  if (descr == "<i4")
    return ElementType::I32;
  if (descr == "<i8")
    return ElementType::I64;
  if (isOneByte(descr, "i1"))
    return ElementType::I8;
  if (isOneByte(descr, "b1"))
    return ElementType::I1;
  if (descr == "<V2" || descr == "|V2") // the first dsv4c bf16 spelling
    return ElementType::BF16;
  return std::nullopt;
}

bool isF8(ElementType type) {
  return type == ElementType::F8E4M3FN || type == ElementType::F8E8M0FNU;
}

/// The descr of a one-field structured dtype holding `type`, as NumPy
/// writes it: [('bf16', '<u2')].
std::string structuredDescr(ElementType type) {
  return std::string("[('") + elementTypeName(type) + "', '" +
         (type == ElementType::BF16 ? "<u2" : "|u1") + "')]";
}

/// A one-field structured descr: [('f8E4M3FN', '|u1')].
std::optional<Decoding> decodeStructured(const PyValue &descr,
                                         std::string &error) {
  const char *usage = "dsv4c reads one-field structured dtypes only: "
                      "[('bf16', '<u2')], [('f8E4M3FN', '|u1')], "
                      "[('f8E8M0FNU', '|u1')] or [('f4E2M1FN', '|u1')]";
  if (descr.items.size() != 1) {
    error = "unsupported structured dtype with " +
            std::to_string(descr.items.size()) + " fields: " + usage;
    return std::nullopt;
  }
  const PyValue &field = descr.items[0];
  if (field.kind != PyValue::Tuple || field.items.size() != 2 ||
      field.items[0].kind != PyValue::String ||
      field.items[1].kind != PyValue::String) {
    error = std::string("unsupported structured dtype: the field is not a "
                        "(name, type) pair of strings; ") +
            usage;
    return std::nullopt;
  }
  const std::string &name = field.items[0].str;
  const std::string &fieldType = field.items[1].str;
  std::optional<ElementType> type = parseElementType(name);
  if (!type || !(*type == ElementType::BF16 || isF8(*type) ||
                 *type == ElementType::F4E2M1FN)) {
    error = "unsupported structured field name '" + name + "': " + usage;
    return std::nullopt;
  }
  bool ok = *type == ElementType::BF16 ? fieldType == "<u2"
                                       : isOneByte(fieldType, "u1");
  if (!ok) {
    error = "structured field '" + name + "' has type '" + fieldType +
            "'; it must be '" + (*type == ElementType::BF16 ? "<u2" : "|u1") +
            "'";
    return std::nullopt;
  }
  return Decoding{*type, *type == ElementType::F4E2M1FN};
}

/// The old dsv4c spelling: a plain descr plus a "dsv4c_dtype" key.
std::optional<Decoding> decodeOldFormat(const std::string &descr,
                                        const std::string &extra,
                                        std::string &error) {
  std::optional<ElementType> fromDescr = plainType(descr);
  std::optional<ElementType> named = parseElementType(extra);
  if (!named) {
    error = "unsupported dsv4c_dtype '" + extra + "'";
    return std::nullopt;
  }
  bool ok;
  switch (*named) {
  case ElementType::BF16:
    ok = fromDescr == ElementType::BF16 || descr == "<u2";
    break;
  case ElementType::F8E4M3FN:
  case ElementType::F8E8M0FNU:
  case ElementType::F4E2M1FN: // packed two per byte in this format
    ok = isOneByte(descr, "u1");
    break;
  default:
    ok = fromDescr == named;
    break;
  }
  if (!ok) {
    error = "dtype '" + descr + "' cannot hold dsv4c_dtype '" + extra + "'";
    return std::nullopt;
  }
  return Decoding{*named, false};
}

/// A plain descr with no "dsv4c_dtype" key; `expected` resolves '<u2' and
/// '|u1', which do not say which dsv4c type they hold.
std::optional<Decoding> decodePlain(const std::string &descr,
                                    std::optional<ElementType> expected,
                                    std::string &error) {
  if (std::optional<ElementType> type = plainType(descr))
    return Decoding{*type, false};
  bool u2 = descr == "<u2", u1 = isOneByte(descr, "u1");
  if (!u2 && !u1) {
    error = "unsupported dtype '" + descr + "'";
    return std::nullopt;
  }
  if (expected) {
    if (u2 && *expected == ElementType::BF16)
      return Decoding{ElementType::BF16, false};
    if (u1 && isF8(*expected))
      return Decoding{*expected, false};
    if (u1 && *expected == ElementType::F4E2M1FN)
      return Decoding{ElementType::F4E2M1FN, true};
  }
  error = "dtype '" + descr + "' (plain " + (u2 ? "uint16" : "uint8") +
          ") does not say which dsv4c type it holds";
  if (expected)
    error +=
        std::string(" and cannot be read as ") + elementTypeName(*expected);
  error += std::string("; save it with dtype ") +
           (u2 ? "[('bf16', '<u2')]"
               : "[('f8E4M3FN', '|u1')], [('f8E8M0FNU', '|u1')] or "
                 "[('f4E2M1FN', '|u1')]");
  return std::nullopt;
}

uint64_t readLE(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

} // namespace

bool readNpy(const std::string &path, HostTensor &out, std::string &error,
             std::optional<ElementType> expectedType) {
  auto fail = [&](const std::string &what) {
    error = path + ": " + what;
    return false;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (in.bad())
    return fail("read error");

  if (bytes.size() < kMagicLen + 2 ||
      bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    return fail("not a .npy file (no \\x93NUMPY magic)");
  const auto *u = reinterpret_cast<const unsigned char *>(bytes.data());
  int major = u[6], minor = u[7];
  int lenBytes;
  if (major == 1)
    lenBytes = 2;
  else if (major == 2 || major == 3)
    lenBytes = 4;
  else
    return fail("unsupported .npy version " + std::to_string(major) + "." +
                std::to_string(minor));
  size_t headerStart = 8 + size_t(lenBytes);
  if (bytes.size() < headerStart)
    return fail("truncated: file ends inside the header length");
  uint64_t headerLen = readLE(u + 8, lenBytes);
  if (headerLen > kMaxHeaderLen)
    return fail("header length " + std::to_string(headerLen) +
                " is implausible");
  if (bytes.size() < headerStart + headerLen)
    return fail("truncated: header says it is " + std::to_string(headerLen) +
                " bytes, file has " +
                std::to_string(bytes.size() - headerStart) + " after it");
  std::string header = bytes.substr(headerStart, headerLen);

  std::map<std::string, PyValue> dict;
  std::string parseError;
  if (!HeaderParser(header).parse(dict, parseError))
    return fail(parseError);

  auto get = [&](const char *key, PyValue::Kind kind) -> const PyValue * {
    auto it = dict.find(key);
    if (it == dict.end() || it->second.kind != kind)
      return nullptr;
    return &it->second;
  };
  auto descrIt = dict.find("descr");
  if (descrIt == dict.end())
    return fail("malformed header: no 'descr' key");
  const PyValue &descr = descrIt->second;
  if (descr.kind != PyValue::String && descr.kind != PyValue::List)
    return fail("malformed header: 'descr' is neither a type string nor a "
                "structured dtype list");
  const PyValue *fortran = get("fortran_order", PyValue::Bool);
  if (!fortran)
    return fail("malformed header: no boolean 'fortran_order' key");
  if (fortran->boolean)
    return fail("fortran_order is True; only C-order arrays are supported "
                "(save with np.ascontiguousarray)");
  const PyValue *shapeV = get("shape", PyValue::Tuple);
  if (!shapeV)
    return fail("malformed header: no 'shape' tuple");
  std::vector<int64_t> shape;
  for (const PyValue &d : shapeV->items) {
    if (d.kind != PyValue::Int)
      return fail("malformed header: 'shape' holds something other than "
                  "non-negative integers");
    shape.push_back(d.integer);
  }
  if (shape.size() > size_t(kMaxRank))
    return fail("shape has rank " + std::to_string(shape.size()) +
                "; at most " + std::to_string(kMaxRank) + " is supported");
  const PyValue *extraV = nullptr;
  if (dict.count("dsv4c_dtype")) {
    extraV = get("dsv4c_dtype", PyValue::String);
    if (!extraV)
      return fail("malformed header: 'dsv4c_dtype' is not a string");
  }
  for (const auto &kv : dict)
    if (kv.first != "descr" && kv.first != "fortran_order" &&
        kv.first != "shape" && kv.first != "dsv4c_dtype")
      return fail("unknown header key '" + kv.first + "'");

  std::string typeError;
  std::optional<Decoding> decoding;
  if (descr.kind == PyValue::List) {
    if (extraV)
      return fail("a structured descr cannot be combined with a "
                  "'dsv4c_dtype' key");
    decoding = decodeStructured(descr, typeError);
  } else if (extraV) {
    decoding = decodeOldFormat(descr.str, extraV->str, typeError);
  } else {
    decoding = decodePlain(descr.str, expectedType, typeError);
  }
  if (!decoding)
    return fail(typeError);
  ElementType type = decoding->type;

  // Element count, guarding against overflow from absurd shapes.
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > (uint64_t(1) << 50) / uint64_t(d))
      return fail("shape " + shapeString(shape) + " is too large");
    count *= uint64_t(d);
  }
  uint64_t expected = decoding->unpackedF4
                          ? count
                          : uint64_t(storageBytes(type, int64_t(count)));
  uint64_t have = bytes.size() - headerStart - headerLen;
  std::string what =
      "header says " + shapeString(shape) + " " + elementTypeName(type) +
      (decoding->unpackedF4 ? " (one code per byte)" : "") + " = " +
      std::to_string(expected) + " bytes, file has " + std::to_string(have);
  if (have < expected)
    return fail("truncated: " + what);
  if (have > expected)
    return fail("trailing data: " + what);

  HostTensor t(type, shape);
  const auto *data = u + headerStart + headerLen;
  if (decoding->unpackedF4) {
    for (uint64_t i = 0; i < count; ++i) {
      if (data[i] > 0xF) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", unsigned(data[i]));
        return fail("f4E2M1FN element " + std::to_string(i) + " is " + hex +
                    ": one 4-bit code (0..15) per byte expected");
      }
      // HostTensor packs f4 two per byte, even elements in the low nibble.
      t.storage[i / 2] |= uint8_t(data[i] << (i % 2 ? 4 : 0));
    }
  } else if (expected) {
    std::memcpy(t.data(), data, expected);
  }
  if (type == ElementType::I1)
    for (uint8_t &b : t.storage)
      b = b != 0;
  out = std::move(t);
  return true;
}

bool writeNpy(const std::string &path, const HostTensor &t,
              std::string &error) {
  std::string descr;
  switch (t.type) {
  case ElementType::F32:
    descr = "'<f4'";
    break;
  case ElementType::F16:
    descr = "'<f2'";
    break;
  case ElementType::I32:
    descr = "'<i4'";
    break;
  case ElementType::I64:
    descr = "'<i8'";
    break;
  case ElementType::I8:
    descr = "'|i1'";
    break;
  case ElementType::I1:
    descr = "'|b1'";
    break;
  default:
    descr = structuredDescr(t.type);
    break;
  }
  std::string dict =
      "{'descr': " + descr + ", 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(t.shape[i]);
  if (t.shape.size() == 1)
    dict += ",";
  dict += "), }";

  // Pad with spaces so the data starts on a 64-byte boundary; end with '\n'.
  size_t unpadded = 10 + dict.size() + 1;
  size_t padded = (unpadded + 63) / 64 * 64;
  std::string header = dict + std::string(padded - unpadded, ' ') + "\n";
  if (header.size() > 0xFFFF) {
    error = path + ": header of " + t.describe() + " is too long for .npy 1.0";
    return false;
  }

  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  out += header;

  int64_t n = t.numElements();
  size_t storage = size_t(storageBytes(t.type, n));
  if (t.storage.size() < storage) {
    error = path + ": tensor " + t.describe() + " has " +
            std::to_string(t.storage.size()) + " bytes of storage, needs " +
            std::to_string(storage);
    return false;
  }
  std::string unpacked;
  const char *data = reinterpret_cast<const char *>(t.storage.data());
  size_t dataBytes = storage;
  if (t.type == ElementType::F4E2M1FN) { // one code per byte
    unpacked.resize(size_t(n));
    for (int64_t i = 0; i < n; ++i)
      unpacked[size_t(i)] =
          char((t.storage[size_t(i / 2)] >> (i % 2 ? 4 : 0)) & 0xF);
    data = unpacked.data();
    dataBytes = unpacked.size();
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    error = path + ": cannot open for writing: " + std::strerror(errno);
    return false;
  }
  f.write(out.data(), std::streamsize(out.size()));
  f.write(data, std::streamsize(dataBytes));
  f.close();
  if (!f) {
    error = path + ": write failed";
    return false;
  }
  return true;
}

} // namespace dsv4c
