//===- Json.h - a small strict JSON reader and writer ----------*- C++ -*-===//
//
// RFC 8259 JSON, strictly: no comments, no trailing commas, no NaN/Infinity,
// no leading zeros or '+', no duplicate object keys, UTF-8 validated,
// "\u" escapes (surrogate pairs included) decoded to UTF-8, lone surrogates
// rejected. Nesting is limited (JsonParseOptions::maxDepth) so that hostile
// input cannot exhaust the stack. Errors read "LINE:COL: what was found,
// what was expected" (1-based; the column counts bytes).
//
// Numbers keep their double value and, when the literal is an integer that
// fits, the exact int64 value. Objects keep their keys in document order.
//
// Standard library only: the runtime links no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_JSON_H
#define DSV4C_RUNTIME_JSON_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsv4c {

class JsonValue {
public:
  enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<JsonValue>;
  using Member = std::pair<std::string, JsonValue>;
  using Object = std::vector<Member>;

  JsonValue() = default; // null
  static JsonValue null() { return JsonValue(); }
  static JsonValue boolean(bool b);
  static JsonValue number(double d);
  static JsonValue integer(int64_t i);
  static JsonValue string(std::string s);
  static JsonValue array(Array elements = {});
  static JsonValue object(Object members = {});

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }
  /// A number whose value is an integer exactly representable as int64: an
  /// integer literal in range, or a double with no fractional part below
  /// 2^63 in magnitude (so `1e3` and `16.0` count, `1.5` does not).
  bool isInteger() const { return asInteger().has_value(); }
  /// Made by integer() or parsed from an integer literal that fits int64
  /// (the writer prints these without a fraction, other numbers with one).
  bool hasExactInteger() const { return kind_ == Kind::Number && hasInt_; }

  // Typed accessors: the value if it has that kind, else std::nullopt /
  // nullptr. They never throw or abort.
  std::optional<bool> asBool() const;
  std::optional<double> asDouble() const;
  std::optional<int64_t> asInteger() const;
  const std::string *asString() const;
  const Array *asArray() const;
  const Object *asObject() const;
  Array *asArray();
  Object *asObject();

  /// Object member lookup (linear); nullptr if not an object or absent.
  const JsonValue *find(std::string_view key) const;

  /// Builders. `set` replaces an existing key (object only; a null value
  /// becomes an empty object first), `push` appends (array only; a null
  /// value becomes an empty array first). They return *this.
  JsonValue &set(std::string key, JsonValue value);
  JsonValue &push(JsonValue value);

  /// Human-readable kind: "null", "a boolean", "a number", "a string", ...
  static const char *kindName(Kind kind);
  const char *kindName() const { return kindName(kind_); }

  /// Structural equality (numbers compare by double value).
  bool operator==(const JsonValue &other) const;

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  bool hasInt_ = false; // int_ holds the exact literal value
  double double_ = 0;
  int64_t int_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

struct JsonParseOptions {
  /// Arrays/objects nested deeper than this are an error.
  int maxDepth = 256;
};

/// Parses one JSON text (surrounding whitespace allowed, nothing else). On
/// failure returns std::nullopt and sets `error` to "LINE:COL: message".
std::optional<JsonValue> parseJson(std::string_view text, std::string &error,
                                   const JsonParseOptions &options = {});

/// Reads and parses a file; errors read "PATH:LINE:COL: message" (or
/// "PATH: cannot open ..." when it cannot be read).
std::optional<JsonValue> parseJsonFile(const std::string &path,
                                       std::string &error,
                                       const JsonParseOptions &options = {});

struct JsonWriteOptions {
  /// Spaces per nesting level; negative writes compactly (no whitespace at
  /// all, serde_json's and Python's `separators=(",", ":")` form).
  int indent = -1;
};

/// Serialises `value`. Doubles use the shortest form that reads back to the
/// same double; an integral double keeps a ".0" so it reads back as a
/// double. Non-finite doubles (which JSON cannot express) are written as
/// null. Strings are escaped as JSON requires; other bytes pass through.
std::string writeJson(const JsonValue &value, const JsonWriteOptions &options = {});

/// writeJson to a file (with a trailing newline when indenting).
bool writeJsonFile(const std::string &path, const JsonValue &value,
                   std::string &error, const JsonWriteOptions &options = {});

} // namespace dsv4c

#endif
