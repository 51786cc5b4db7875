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

/// A value of the header dict.
struct HeaderValue {
  enum Kind { String, Bool, Tuple } kind = String;
  std::string str;
  bool boolean = false;
  std::vector<int64_t> tuple;
};

/// Parses the restricted Python literal NumPy writes: a dict whose keys
/// are strings and whose values are strings, True/False or int tuples.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s(text) {}

  bool parse(std::map<std::string, HeaderValue> &out, std::string &error) {
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
      HeaderValue value;
      if (!parseValue(value))
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
      if (s[pos] == '\\')
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
    if (pos < s.size() && s[pos] == 'L') // Python 2 longs
      ++pos;
    out = static_cast<int64_t>(v);
    return pos > start;
  }
  bool parseValue(HeaderValue &v) {
    if (pos < s.size() && (s[pos] == '\'' || s[pos] == '"')) {
      v.kind = HeaderValue::String;
      return parseString(v.str);
    }
    if (eatWord("True")) {
      v.kind = HeaderValue::Bool;
      v.boolean = true;
      return true;
    }
    if (eatWord("False")) {
      v.kind = HeaderValue::Bool;
      v.boolean = false;
      return true;
    }
    if (!eat('('))
      return false;
    v.kind = HeaderValue::Tuple;
    while (true) {
      skipSpace();
      if (eat(')'))
        return true;
      int64_t d;
      if (!parseInt(d) || v.tuple.size() >= size_t(kMaxRank))
        return false;
      v.tuple.push_back(d);
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      return eat(')');
    }
  }

  const std::string &s;
  size_t pos = 0;
};

/// The element type of a (descr, dsv4c_dtype) pair, or an error.
std::optional<ElementType> typeOfDescr(const std::string &descr,
                                       const std::string *extra,
                                       std::string &error) {
  std::optional<ElementType> fromDescr;
  if (descr == "<f4")
    fromDescr = ElementType::F32;
  else if (descr == "<f2")
    fromDescr = ElementType::F16;
  else if (descr == "<i4")
    fromDescr = ElementType::I32;
  else if (descr == "<i8")
    fromDescr = ElementType::I64;
  else if (descr == "|i1")
    fromDescr = ElementType::I8;
  else if (descr == "|b1")
    fromDescr = ElementType::I1;
  else if (descr == "<V2" || descr == "|V2")
    fromDescr = ElementType::BF16;

  if (!extra) {
    if (fromDescr)
      return fromDescr;
    if (descr == "|u1" || descr == "<u2")
      error = "dtype '" + descr +
              "' needs a 'dsv4c_dtype' key saying which dsv4c type it holds";
    else
      error = "unsupported dtype '" + descr + "'";
    return std::nullopt;
  }

  std::optional<ElementType> named = parseElementType(*extra);
  if (!named) {
    error = "unsupported dsv4c_dtype '" + *extra + "'";
    return std::nullopt;
  }
  bool ok;
  switch (*named) {
  case ElementType::BF16:
    ok = fromDescr == ElementType::BF16 || descr == "<u2";
    break;
  case ElementType::F8E4M3FN:
  case ElementType::F8E8M0FNU:
  case ElementType::F4E2M1FN:
    ok = descr == "|u1";
    break;
  default:
    ok = fromDescr == named;
    break;
  }
  if (!ok) {
    error = "dtype '" + descr + "' cannot hold dsv4c_dtype '" + *extra + "'";
    return std::nullopt;
  }
  return named;
}

const char *descrOf(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "<f4";
  case ElementType::F16:
    return "<f2";
  case ElementType::I32:
    return "<i4";
  case ElementType::I64:
    return "<i8";
  case ElementType::I8:
    return "|i1";
  case ElementType::I1:
    return "|b1";
  case ElementType::BF16:
    return "<V2";
  case ElementType::F8E4M3FN:
  case ElementType::F8E8M0FNU:
  case ElementType::F4E2M1FN:
    return "|u1";
  }
  return "?";
}

bool needsExtraKey(ElementType type) {
  switch (type) {
  case ElementType::BF16:
  case ElementType::F8E4M3FN:
  case ElementType::F8E8M0FNU:
  case ElementType::F4E2M1FN:
    return true;
  default:
    return false;
  }
}

uint64_t readLE(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

} // namespace

bool readNpy(const std::string &path, HostTensor &out, std::string &error) {
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

  std::map<std::string, HeaderValue> dict;
  std::string parseError;
  if (!HeaderParser(header).parse(dict, parseError))
    return fail(parseError);

  auto get = [&](const char *key,
                 HeaderValue::Kind kind) -> const HeaderValue * {
    auto it = dict.find(key);
    if (it == dict.end() || it->second.kind != kind)
      return nullptr;
    return &it->second;
  };
  const HeaderValue *descr = get("descr", HeaderValue::String);
  if (!descr) {
    if (dict.count("descr"))
      return fail("unsupported dtype: 'descr' is not a simple type string "
                  "(structured dtypes are not supported)");
    return fail("malformed header: no 'descr' key");
  }
  const HeaderValue *fortran = get("fortran_order", HeaderValue::Bool);
  if (!fortran)
    return fail("malformed header: no boolean 'fortran_order' key");
  if (fortran->boolean)
    return fail("fortran_order is True; only C-order arrays are supported "
                "(save with np.ascontiguousarray)");
  const HeaderValue *shapeV = get("shape", HeaderValue::Tuple);
  if (!shapeV)
    return fail("malformed header: no 'shape' tuple");
  const HeaderValue *extraV = nullptr;
  if (dict.count("dsv4c_dtype")) {
    extraV = get("dsv4c_dtype", HeaderValue::String);
    if (!extraV)
      return fail("malformed header: 'dsv4c_dtype' is not a string");
  }
  for (const auto &kv : dict)
    if (kv.first != "descr" && kv.first != "fortran_order" &&
        kv.first != "shape" && kv.first != "dsv4c_dtype")
      return fail("unknown header key '" + kv.first + "'");

  std::string typeError;
  std::optional<ElementType> type =
      typeOfDescr(descr->str, extraV ? &extraV->str : nullptr, typeError);
  if (!type)
    return fail(typeError);

  // Element count, guarding against overflow from absurd shapes.
  uint64_t count = 1;
  for (int64_t d : shapeV->tuple) {
    if (d != 0 && count > (uint64_t(1) << 50) / uint64_t(d))
      return fail("shape " + shapeString(shapeV->tuple) + " is too large");
    count *= uint64_t(d);
  }
  uint64_t expected = uint64_t(storageBytes(*type, int64_t(count)));
  uint64_t have = bytes.size() - headerStart - headerLen;
  std::string what = "header says " + shapeString(shapeV->tuple) + " " +
                     elementTypeName(*type) + " = " +
                     std::to_string(expected) + " bytes, file has " +
                     std::to_string(have);
  if (have < expected)
    return fail("truncated: " + what);
  if (have > expected)
    return fail("trailing data: " + what);

  HostTensor t(*type, shapeV->tuple);
  if (expected)
    std::memcpy(t.data(), bytes.data() + headerStart + headerLen, expected);
  if (*type == ElementType::I1)
    for (uint8_t &b : t.storage)
      b = b != 0;
  out = std::move(t);
  return true;
}

bool writeNpy(const std::string &path, const HostTensor &t,
              std::string &error) {
  std::string dict = std::string("{'descr': '") + descrOf(t.type) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(t.shape[i]);
  if (t.shape.size() == 1)
    dict += ",";
  dict += "), ";
  if (needsExtraKey(t.type))
    dict += std::string("'dsv4c_dtype': '") + elementTypeName(t.type) + "', ";
  dict += "}";

  // Pad with spaces so the data starts on a 64-byte boundary; end with '\n'.
  size_t unpadded = 10 + dict.size() + 1;
  size_t padded = (unpadded + 63) / 64 * 64;
  std::string header = dict + std::string(padded - unpadded, ' ') + "\n";

  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  out += header;

  size_t dataBytes = size_t(storageBytes(t.type, t.numElements()));
  if (t.storage.size() < dataBytes) {
    error = path + ": tensor " + t.describe() + " has " +
            std::to_string(t.storage.size()) + " bytes of storage, needs " +
            std::to_string(dataBytes);
    return false;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    error = path + ": cannot open for writing: " + std::strerror(errno);
    return false;
  }
  f.write(out.data(), std::streamsize(out.size()));
  f.write(reinterpret_cast<const char *>(t.storage.data()),
          std::streamsize(dataBytes));
  f.close();
  if (!f) {
    error = path + ": write failed";
    return false;
  }
  return true;
}

} // namespace dsv4c
