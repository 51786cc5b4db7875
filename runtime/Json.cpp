//===- Json.cpp - JSON values and the writer ------------------------------===//
#include "runtime/Json.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>


namespace dsv4c {

//===----------------------------------------------------------------------===//
// JsonValue
//===----------------------------------------------------------------------===//

JsonValue JsonValue::boolean(bool b) {
  JsonValue v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::number(double d) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.double_ = d;
  return v;
}

JsonValue JsonValue::integer(int64_t i) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.double_ = static_cast<double>(i);
  v.int_ = i;
  v.hasInt_ = true;
  return v;
}

JsonValue JsonValue::string(std::string s) {
  JsonValue v;
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}

JsonValue JsonValue::array(Array elements) {
  JsonValue v;
  v.kind_ = Kind::Array;
  v.array_ = std::move(elements);
  return v;
}

JsonValue JsonValue::object(Object members) {
  JsonValue v;
  v.kind_ = Kind::Object;
  v.object_ = std::move(members);
  return v;
}

std::optional<bool> JsonValue::asBool() const {
  if (kind_ != Kind::Bool)
    return std::nullopt;
  return bool_;
}

std::optional<double> JsonValue::asDouble() const {
  if (kind_ != Kind::Number)
    return std::nullopt;
  return double_;
}

std::optional<int64_t> JsonValue::asInteger() const {
  if (kind_ != Kind::Number)
    return std::nullopt;
  if (hasInt_)
    return int_;
  // 2^63 is exactly representable; everything strictly below it in
  // magnitude (and integral) converts exactly.
  constexpr double kLimit = 9223372036854775808.0;
  if (!std::isfinite(double_) || std::trunc(double_) != double_ ||
      double_ >= kLimit || double_ < -kLimit)
    return std::nullopt;
  return static_cast<int64_t>(double_);
}

const std::string *JsonValue::asString() const {
  return kind_ == Kind::String ? &string_ : nullptr;
}
const JsonValue::Array *JsonValue::asArray() const {
  return kind_ == Kind::Array ? &array_ : nullptr;
}
const JsonValue::Object *JsonValue::asObject() const {
  return kind_ == Kind::Object ? &object_ : nullptr;
}
JsonValue::Array *JsonValue::asArray() {
  return kind_ == Kind::Array ? &array_ : nullptr;
}
JsonValue::Object *JsonValue::asObject() {
  return kind_ == Kind::Object ? &object_ : nullptr;
}

const JsonValue *JsonValue::find(std::string_view key) const {
  if (kind_ != Kind::Object)
    return nullptr;
  for (const Member &m : object_)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

JsonValue &JsonValue::set(std::string key, JsonValue value) {
  if (kind_ == Kind::Null)
    kind_ = Kind::Object;
  if (kind_ != Kind::Object)
    return *this;
  for (Member &m : object_)
    if (m.first == key) {
      m.second = std::move(value);
      return *this;
    }
  object_.emplace_back(std::move(key), std::move(value));
  return *this;
}

JsonValue &JsonValue::push(JsonValue value) {
  if (kind_ == Kind::Null)
    kind_ = Kind::Array;
  if (kind_ == Kind::Array)
    array_.push_back(std::move(value));
  return *this;
}

const char *JsonValue::kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "a boolean";
  case Kind::Number:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::Array:
    return "an array";
  case Kind::Object:
    return "an object";
  }
  return "?";
}

bool JsonValue::operator==(const JsonValue &o) const {
  if (kind_ != o.kind_)
    return false;
  switch (kind_) {
  case Kind::Null:
    return true;
  case Kind::Bool:
    return bool_ == o.bool_;
  case Kind::Number:
    if (hasInt_ && o.hasInt_)
      return int_ == o.int_;
    return double_ == o.double_;
  case Kind::String:
    return string_ == o.string_;
  case Kind::Array:
    return array_ == o.array_;
  case Kind::Object:
    return object_ == o.object_;
  }
  return false;
}


//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

namespace {

void writeString(std::string &out, const std::string &s) {
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
  }
  out += '"';
}

void writeNumber(std::string &out, const JsonValue &v) {
  char buf[64];
  if (v.hasExactInteger()) {
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *v.asInteger());
    out.append(buf, p - buf);
    return;
  }
  double d = *v.asDouble();
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view s(buf, p - buf);
  out += s;
  // Keep doubles doubles: "16.0", not "16".
  if (s.find_first_of(".eE") == std::string_view::npos)
    out += ".0";
}

void writeValue(std::string &out, const JsonValue &v, int indent, int level);

void newline(std::string &out, int indent, int level) {
  out += '\n';
  out.append(static_cast<size_t>(indent) * level, ' ');
}

void writeValue(std::string &out, const JsonValue &v, int indent, int level) {
  switch (v.kind()) {
  case JsonValue::Kind::Null:
    out += "null";
    return;
  case JsonValue::Kind::Bool:
    out += *v.asBool() ? "true" : "false";
    return;
  case JsonValue::Kind::Number:
    writeNumber(out, v);
    return;
  case JsonValue::Kind::String:
    writeString(out, *v.asString());
    return;
  case JsonValue::Kind::Array: {
    const JsonValue::Array &a = *v.asArray();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    for (size_t i = 0; i < a.size(); ++i) {
      if (i)
        out += ',';
      if (indent >= 0)
        newline(out, indent, level + 1);
      writeValue(out, a[i], indent, level + 1);
    }
    if (indent >= 0)
      newline(out, indent, level);
    out += ']';
    return;
  }
  case JsonValue::Kind::Object: {
    const JsonValue::Object &o = *v.asObject();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    for (size_t i = 0; i < o.size(); ++i) {
      if (i)
        out += ',';
      if (indent >= 0)
        newline(out, indent, level + 1);
      writeString(out, o[i].first);
      out += indent >= 0 ? ": " : ":";
      writeValue(out, o[i].second, indent, level + 1);
    }
    if (indent >= 0)
      newline(out, indent, level);
    out += '}';
    return;
  }
  }
}

} // namespace

std::string writeJson(const JsonValue &value, const JsonWriteOptions &options) {
  std::string out;
  writeValue(out, value, options.indent, 0);
  return out;
}

bool writeJsonFile(const std::string &path, const JsonValue &value,
                   std::string &error, const JsonWriteOptions &options) {
  std::string text = writeJson(value, options);
  if (options.indent >= 0)
    text += '\n';
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = path + ": cannot open for writing: " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    error = path + ": write failed";
    return false;
  }
  return true;
}

} // namespace dsv4c
