//===- JsonParse.cpp - the strict JSON reader -----------------------------===//
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
// Parser
//===----------------------------------------------------------------------===//

namespace {

class Parser {
public:
  Parser(std::string_view text, const JsonParseOptions &options)
      : text_(text), maxDepth_(options.maxDepth) {}

  std::optional<JsonValue> parse(std::string &error) {
    JsonValue v;
    skipWhitespace();
    if (!parseValue(v, 0)) {
      error = error_;
      return std::nullopt;
    }
    skipWhitespace();
    if (pos_ != text_.size()) {
      fail(pos_, "expected end of input after the JSON value");
      error = error_;
      return std::nullopt;
    }
    return v;
  }

private:
  std::string_view text_;
  size_t pos_ = 0;
  int maxDepth_;
  std::string error_;

  bool atEnd() const { return pos_ >= text_.size(); }
  unsigned char peek() const {
    return static_cast<unsigned char>(text_[pos_]);
  }

  std::string describeAt(size_t at) const {
    if (at >= text_.size())
      return "end of input";
    unsigned char c = static_cast<unsigned char>(text_[at]);
    char buf[16];
    if (c >= 0x20 && c < 0x7f) {
      if (c == '\'')
        return "\"'\"";
      std::snprintf(buf, sizeof buf, "'%c'", c);
    } else {
      std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
    }
    return buf;
  }

  /// Records "LINE:COL: what, found X" for the byte at `at`; always false.
  bool fail(size_t at, const std::string &what, bool found = true) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    error_ = std::to_string(line) + ":" + std::to_string(col) + ": " + what;
    if (found)
      error_ += ", found " + describeAt(at);
    return false;
  }

  void skipWhitespace() {
    while (!atEnd()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        return;
      ++pos_;
    }
  }

  bool parseValue(JsonValue &out, int depth) {
    if (atEnd())
      return fail(pos_, "expected a JSON value");
    switch (peek()) {
    case '{':
      return parseObject(out, depth + 1);
    case '[':
      return parseArray(out, depth + 1);
    case '"': {
      std::string s;
      if (!parseString(s))
        return false;
      out = JsonValue::string(std::move(s));
      return true;
    }
    case 't':
      return parseLiteral("true", JsonValue::boolean(true), out);
    case 'f':
      return parseLiteral("false", JsonValue::boolean(false), out);
    case 'n':
      return parseLiteral("null", JsonValue::null(), out);
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        return parseNumber(out);
      return fail(pos_, "expected a JSON value (object, array, string, "
                        "number, true, false or null)");
    }
  }

  bool parseLiteral(std::string_view word, JsonValue value, JsonValue &out) {
    for (size_t i = 0; i < word.size(); ++i) {
      if (pos_ + i >= text_.size() || text_[pos_ + i] != word[i])
        return fail(pos_ + i, "invalid literal: expected '" +
                                  std::string(word) + "'");
    }
    pos_ += word.size();
    out = std::move(value);
    return true;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  /// For a syntactically valid number literal that does not fit a double:
  /// whether its magnitude is below 1 (underflow) rather than huge.
  static bool isUnderflow(std::string_view lit) {
    size_t i = lit[0] == '-' ? 1 : 0;
    size_t intStart = i;
    while (i < lit.size() && isDigit(lit[i]))
      ++i;
    std::string_view intPart = lit.substr(intStart, i - intStart);
    std::string_view frac;
    if (i < lit.size() && lit[i] == '.') {
      size_t f = ++i;
      while (i < lit.size() && isDigit(lit[i]))
        ++i;
      frac = lit.substr(f, i - f);
    }
    int64_t exponent = 0;
    if (i < lit.size() && (lit[i] == 'e' || lit[i] == 'E')) {
      ++i;
      bool negative = false;
      if (lit[i] == '+' || lit[i] == '-')
        negative = lit[i++] == '-';
      for (; i < lit.size(); ++i)
        exponent = std::min<int64_t>(exponent * 10 + (lit[i] - '0'), 1 << 30);
      if (negative)
        exponent = -exponent;
    }
    int64_t magnitude;
    if (intPart != "0") {
      magnitude = static_cast<int64_t>(intPart.size());
    } else {
      size_t zeros = frac.find_first_not_of('0');
      if (zeros == std::string_view::npos)
        return true; // zero
      magnitude = -static_cast<int64_t>(zeros);
    }
    return magnitude + exponent <= 0;
  }

  bool parseNumber(JsonValue &out) {
    size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-')
      ++pos_;
    if (atEnd() || !isDigit(text_[pos_]))
      return fail(pos_, "expected a digit after '-'");
    if (text_[pos_] == '0') {
      ++pos_;
      if (!atEnd() && isDigit(text_[pos_]))
        return fail(start, "invalid number: leading zeros are not allowed",
                    false);
    } else {
      while (!atEnd() && isDigit(text_[pos_]))
        ++pos_;
    }
    if (!atEnd() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (atEnd() || !isDigit(text_[pos_]))
        return fail(pos_, "expected a digit after the decimal point");
      while (!atEnd() && isDigit(text_[pos_]))
        ++pos_;
    }
    if (!atEnd() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (!atEnd() && (text_[pos_] == '+' || text_[pos_] == '-'))
        ++pos_;
      if (atEnd() || !isDigit(text_[pos_]))
        return fail(pos_, "expected a digit in the exponent");
      while (!atEnd() && isDigit(text_[pos_]))
        ++pos_;
    }
    const char *first = text_.data() + start;
    const char *last = text_.data() + pos_;
    if (integral) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && p == last) {
        out = JsonValue::integer(i);
        return true;
      }
      // Out of int64 range: keep the double only.
    }
    double d = 0;
    auto [p, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range) {
      // Too small rounds to zero (fine); too large is not a JSON number we
      // can hold. Tell them apart by the decimal magnitude of the literal.
      if (!isUnderflow(std::string_view(first, last - first)))
        return fail(start, "number out of range", false);
      out = JsonValue::number(*first == '-' ? -0.0 : 0.0);
      return true;
    }
    if (ec != std::errc() || p != last)
      return fail(start, "invalid number", false);
    if (!std::isfinite(d))
      return fail(start, "number out of range", false);
    out = JsonValue::number(d);
    return true;
  }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  /// Reads the 4 hex digits after "\u" (pos_ at the first digit).
  bool parseHex4(unsigned &out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      if (atEnd())
        return fail(pos_, "expected 4 hex digits after \\u");
      int h = hexValue(text_[pos_]);
      if (h < 0)
        return fail(pos_, "expected 4 hex digits after \\u");
      out = out * 16 + static_cast<unsigned>(h);
      ++pos_;
    }
    return true;
  }

  static void appendUtf8(std::string &s, uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  /// Length of the well-formed UTF-8 sequence at `at`, 0 if ill-formed
  /// (overlong, surrogate, beyond U+10FFFF, truncated).
  size_t utf8SequenceLength(size_t at) const {
    auto byte = [&](size_t i) -> int {
      return i < text_.size() ? static_cast<unsigned char>(text_[i]) : -1;
    };
    int b0 = byte(at);
    int lo = 0x80, hi = 0xBF;
    size_t n;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3;
      if (b0 == 0xE0)
        lo = 0xA0;
      if (b0 == 0xED)
        hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4;
      if (b0 == 0xF0)
        lo = 0x90;
      if (b0 == 0xF4)
        hi = 0x8F;
    } else {
      return 0;
    }
    int b1 = byte(at + 1);
    if (b1 < lo || b1 > hi)
      return 0;
    for (size_t i = 2; i < n; ++i) {
      int b = byte(at + i);
      if (b < 0x80 || b > 0xBF)
        return 0;
    }
    return n;
  }

  /// pos_ at the opening quote; leaves pos_ after the closing quote.
  bool parseString(std::string &out) {
    size_t open = pos_;
    ++pos_;
    while (true) {
      size_t run = pos_;
      while (!atEnd()) {
        unsigned char c = peek();
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
          break;
        ++pos_;
      }
      out.append(text_.data() + run, pos_ - run);
      if (atEnd())
        return fail(open, "unterminated string", false);
      unsigned char c = peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20)
        return fail(pos_, "control characters must be escaped in strings");
      if (c >= 0x80) {
        size_t n = utf8SequenceLength(pos_);
        if (n == 0)
          return fail(pos_, "invalid UTF-8 in string");
        out.append(text_.data() + pos_, n);
        pos_ += n;
        continue;
      }
      // Backslash.
      size_t escape = pos_;
      ++pos_;
      if (atEnd())
        return fail(open, "unterminated string", false);
      char e = text_[pos_++];
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned cp;
        if (!parseHex4(cp))
          return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return fail(escape, "invalid \\u escape: lone low surrogate", false);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (pos_ + 1 >= text_.size() || text_[pos_] != '\\' ||
              text_[pos_ + 1] != 'u')
            return fail(escape,
                        "invalid \\u escape: high surrogate not followed by "
                        "a \\u low surrogate",
                        false);
          size_t second = pos_;
          pos_ += 2;
          unsigned lo;
          if (!parseHex4(lo))
            return false;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(second,
                        "invalid \\u escape: expected a low surrogate "
                        "(\\uDC00-\\uDFFF) after a high surrogate",
                        false);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return fail(escape + 1, "invalid escape: expected one of \" \\ / b f "
                                "n r t u after a backslash");
      }
    }
  }

  bool depthError() {
    return fail(pos_, "nesting deeper than " + std::to_string(maxDepth_) +
                          " levels",
                false);
  }

  bool parseArray(JsonValue &out, int depth) {
    if (depth > maxDepth_)
      return depthError();
    ++pos_; // '['
    JsonValue::Array elements;
    skipWhitespace();
    if (!atEnd() && peek() == ']') {
      ++pos_;
      out = JsonValue::array(std::move(elements));
      return true;
    }
    while (true) {
      skipWhitespace();
      if (!atEnd() && peek() == ']')
        return fail(pos_, "expected a JSON value after ',' (trailing commas "
                          "are not allowed)");
      JsonValue element;
      if (!parseValue(element, depth))
        return false;
      elements.push_back(std::move(element));
      skipWhitespace();
      if (atEnd())
        return fail(pos_, "expected ',' or ']' after an array element");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        out = JsonValue::array(std::move(elements));
        return true;
      }
      return fail(pos_, "expected ',' or ']' after an array element");
    }
  }

  bool parseObject(JsonValue &out, int depth) {
    if (depth > maxDepth_)
      return depthError();
    ++pos_; // '{'
    JsonValue::Object members;
    std::vector<size_t> keyPositions;
    skipWhitespace();
    if (!atEnd() && peek() == '}') {
      ++pos_;
      out = JsonValue::object(std::move(members));
      return true;
    }
    bool first = true;
    while (true) {
      skipWhitespace();
      if (atEnd() || peek() != '"') {
        if (first)
          return fail(pos_, "expected a string key or '}'");
        if (!atEnd() && peek() == '}')
          return fail(pos_, "expected a string key after ',' (trailing "
                            "commas are not allowed)");
        return fail(pos_, "expected a string key");
      }
      first = false;
      keyPositions.push_back(pos_);
      std::string key;
      if (!parseString(key))
        return false;
      skipWhitespace();
      if (atEnd() || peek() != ':')
        return fail(pos_, "expected ':' after an object key");
      ++pos_;
      skipWhitespace();
      JsonValue value;
      if (!parseValue(value, depth))
        return false;
      members.emplace_back(std::move(key), std::move(value));
      skipWhitespace();
      if (atEnd())
        return fail(pos_, "expected ',' or '}' after an object member");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        break;
      }
      return fail(pos_, "expected ',' or '}' after an object member");
    }
    // Duplicate keys: report the second occurrence.
    if (members.size() > 1) {
      std::vector<size_t> order(members.size());
      for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        int c = members[a].first.compare(members[b].first);
        return c != 0 ? c < 0 : a < b;
      });
      size_t dup = members.size();
      for (size_t i = 1; i < order.size(); ++i)
        if (members[order[i]].first == members[order[i - 1]].first)
          dup = std::min(dup, order[i]);
      if (dup != members.size())
        return fail(keyPositions[dup],
                    "duplicate object key \"" + members[dup].first + "\"",
                    false);
    }
    out = JsonValue::object(std::move(members));
    return true;
  }
};

} // namespace

std::optional<JsonValue> parseJson(std::string_view text, std::string &error,
                                   const JsonParseOptions &options) {
  Parser parser(text, options);
  return parser.parse(error);
}

std::optional<JsonValue> parseJsonFile(const std::string &path,
                                       std::string &error,
                                       const JsonParseOptions &options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = path + ": read failed";
    return std::nullopt;
  }
  std::optional<JsonValue> v = parseJson(text, error, options);
  if (!v)
    error = path + ":" + error;
  return v;
}

} // namespace dsv4c
