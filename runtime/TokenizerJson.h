//===- TokenizerJson.h - minimal JSON reader for tokenizer.json -*- C++ -*-===//
//
// A small DOM reader private to the tokenizer (RFC 8259: objects keep their
// key order; \u escapes with surrogate pairs; depth limited to 512).
// Numbers keep their text; asInt() accepts integers only.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_TOKENIZERJSON_H
#define DSV4C_RUNTIME_TOKENIZERJSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4c::tokjson {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text; // String contents, or a Number's source text
  std::vector<Value> items;       // Array elements, or Object values
  std::vector<std::string> keys;  // Object keys, parallel to items

  bool isNull() const { return kind == Kind::Null; }
  bool isBool() const { return kind == Kind::Bool; }
  bool isNumber() const { return kind == Kind::Number; }
  bool isString() const { return kind == Kind::String; }
  bool isArray() const { return kind == Kind::Array; }
  bool isObject() const { return kind == Kind::Object; }
  /// First member named `key`, or nullptr (also when not an object).
  const Value *find(std::string_view key) const;
  /// The integer value of a Number without fraction or exponent.
  bool asInt(int64_t &out) const;
  /// "null", "a boolean", "a number", "a string", "an array", "an object".
  const char *kindName() const;
};

/// Parses `text`; on failure returns false and sets `error` to
/// "line L, column C: what".
bool parse(std::string_view text, Value &out, std::string &error);

} // namespace dsv4c::tokjson

#endif
