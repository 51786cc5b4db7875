//===- JsonTest.cpp - the runtime's strict JSON reader and writer ---------===//
#include "runtime/Json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <regex>

using namespace dsv4c;

namespace {

JsonValue parseOk(std::string_view text) {
  std::string error;
  std::optional<JsonValue> v = parseJson(text, error);
  EXPECT_TRUE(v.has_value()) << "input: " << text << "\nerror: " << error;
  return v ? *v : JsonValue();
}

std::string parseError(std::string_view text,
                       const JsonParseOptions &options = {}) {
  std::string error;
  std::optional<JsonValue> v = parseJson(text, error, options);
  EXPECT_FALSE(v.has_value()) << "input unexpectedly parsed: " << text;
  return error;
}

} // namespace

TEST(Json, Scalars) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_EQ(parseOk("true").asBool(), std::optional<bool>(true));
  EXPECT_EQ(parseOk(" false\n").asBool(), std::optional<bool>(false));
  EXPECT_EQ(*parseOk("\"hi\"").asString(), "hi");
  EXPECT_EQ(parseOk("-12").asInteger(), std::optional<int64_t>(-12));
  EXPECT_DOUBLE_EQ(*parseOk("1.5e-3").asDouble(), 1.5e-3);
  EXPECT_DOUBLE_EQ(*parseOk("-0.25E+2").asDouble(), -25.0);
  // Wrong-kind accessors answer "no", never crash.
  JsonValue s = parseOk("\"x\"");
  EXPECT_FALSE(s.asBool());
  EXPECT_FALSE(s.asDouble());
  EXPECT_FALSE(s.asInteger());
  EXPECT_EQ(s.asArray(), nullptr);
  EXPECT_EQ(s.asObject(), nullptr);
  EXPECT_EQ(s.find("x"), nullptr);
}

TEST(Json, IntegersAreExact) {
  // 2^53 + 1 is not a double; the int64 keeps it.
  JsonValue v = parseOk("9007199254740993");
  EXPECT_TRUE(v.hasExactInteger());
  EXPECT_EQ(*v.asInteger(), 9007199254740993LL);
  EXPECT_EQ(*parseOk("9223372036854775807").asInteger(),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*parseOk("-9223372036854775808").asInteger(),
            std::numeric_limits<int64_t>::min());
  // Beyond int64: a double only.
  JsonValue big = parseOk("9223372036854775808");
  EXPECT_FALSE(big.hasExactInteger());
  EXPECT_FALSE(big.asInteger());
  EXPECT_DOUBLE_EQ(*big.asDouble(), 9223372036854775808.0);
  // Integral doubles are integers; fractions are not.
  EXPECT_EQ(parseOk("1e3").asInteger(), std::optional<int64_t>(1000));
  EXPECT_EQ(parseOk("16.0").asInteger(), std::optional<int64_t>(16));
  EXPECT_FALSE(parseOk("1.5").asInteger());
  EXPECT_FALSE(parseOk("1e-6").isInteger());
  EXPECT_EQ(parseOk("-0").asInteger(), std::optional<int64_t>(0));
  // Underflow rounds to zero; overflow is an error.
  EXPECT_EQ(*parseOk("1e-400").asDouble(), 0.0);
  EXPECT_EQ(*parseOk("0.000000000000000000000000000000000000000000000000000"
                     "00000000000000000000000000000000000000000000000000000"
                     "00000000000000000000000000000000000000000000000000000"
                     "00000000000000000000000000000000000000000000000000000"
                     "00000000000000000000000000000000000000000000000000000"
                     "00000000000000000000000000000000000000000000000000000"
                     "00000000000000000000000000000000000000000000000000000"
                     "001")
                .asDouble(),
            0.0);
  EXPECT_NE(parseError("1e400").find("1:1: number out of range"),
            std::string::npos);
  EXPECT_NE(parseError("[-1e999]").find("1:2: number out of range"),
            std::string::npos);
}

TEST(Json, StringsAndEscapes) {
  EXPECT_EQ(*parseOk(R"("a\"b\\c\/d\b\f\n\r\t")").asString(),
            "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(*parseOk(R"("\u0041\u00e9\u20AC")").asString(),
            "A\xC3\xA9\xE2\x82\xAC");
  // Surrogate pair -> one 4-byte UTF-8 sequence (U+1F600).
  EXPECT_EQ(*parseOk(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(*parseOk(R"("\uDBFF\uDFFF")").asString(), "\xF4\x8F\xBF\xBF");
  // \u0000 is a valid character.
  EXPECT_EQ(*parseOk(R"("a\u0000b")").asString(), std::string("a\0b", 3));
  // Raw UTF-8 passes through.
  EXPECT_EQ(*parseOk("\"\xC3\xA9\xF0\x9F\x98\x80\"").asString(),
            "\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(Json, ArraysAndObjects) {
  JsonValue v = parseOk(R"( { "a" : [1, 2.5, "x", null, true, {}, []],
                              "b": {"c": {"d": -1}} } )");
  ASSERT_TRUE(v.isObject());
  const JsonValue::Object &o = *v.asObject();
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].first, "a"); // document order kept
  EXPECT_EQ(o[1].first, "b");
  const JsonValue::Array &a = *v.find("a")->asArray();
  ASSERT_EQ(a.size(), 7u);
  EXPECT_EQ(*a[0].asInteger(), 1);
  EXPECT_DOUBLE_EQ(*a[1].asDouble(), 2.5);
  EXPECT_EQ(*a[2].asString(), "x");
  EXPECT_TRUE(a[3].isNull());
  EXPECT_TRUE(*a[4].asBool());
  EXPECT_TRUE(a[5].isObject() && a[5].asObject()->empty());
  EXPECT_TRUE(a[6].isArray() && a[6].asArray()->empty());
  EXPECT_EQ(*v.find("b")->find("c")->find("d")->asInteger(), -1);
  EXPECT_EQ(v.find("zz"), nullptr);
}

struct BadCase {
  const char *input;
  const char *message; // expected substring, with line:col
};

TEST(Json, MalformedInputsGiveLineAndColumn) {
  const BadCase cases[] = {
      {"", "1:1: expected a JSON value, found end of input"},
      {"   \n  ", "2:3: expected a JSON value, found end of input"},
      {"{\"a\":1,}", "1:8: expected a string key after ',' (trailing commas "
                     "are not allowed), found '}'"},
      {"[1,2,]", "1:6: expected a JSON value after ',' (trailing commas are "
                 "not allowed), found ']'"},
      {"{\n  \"a\": tru\n}", "2:11: invalid literal: expected 'true', found "
                             "byte 0x0A"},
      {"nul", "1:4: invalid literal: expected 'null', found end of input"},
      {"01", "1:1: invalid number: leading zeros are not allowed"},
      {"-", "1:2: expected a digit after '-', found end of input"},
      {"-a", "1:2: expected a digit after '-', found 'a'"},
      {"1.", "1:3: expected a digit after the decimal point"},
      {"1.e5", "1:3: expected a digit after the decimal point, found 'e'"},
      {"1e", "1:3: expected a digit in the exponent"},
      {"1e+", "1:4: expected a digit in the exponent"},
      {"+1", "1:1: expected a JSON value (object, array, string, number, "
             "true, false or null), found '+'"},
      {".5", "1:1: expected a JSON value"},
      {"NaN", "1:1: expected a JSON value"},
      {"Infinity", "1:1: expected a JSON value"},
      {"[1 2]", "1:4: expected ',' or ']' after an array element, found '2'"},
      {"[1", "1:3: expected ',' or ']' after an array element, found end of "
             "input"},
      {"{1:2}", "1:2: expected a string key or '}', found '1'"},
      {"{\"a\" 1}", "1:6: expected ':' after an object key, found '1'"},
      {"{\"a\":1 \"b\":2}", "1:8: expected ',' or '}' after an object member"},
      {"{\"a\":1,\"a\":2}", "1:8: duplicate object key \"a\""},
      {"{\"b\":1,\n\"a\":2,\n \"b\":3}", "3:2: duplicate object key \"b\""},
      {"[1] x", "1:5: expected end of input after the JSON value, found 'x'"},
      {"{} {}", "1:4: expected end of input"},
      {"\"abc", "1:1: unterminated string"},
      {"\"abc\\", "1:1: unterminated string"},
      {"\"a\tb\"", "1:3: control characters must be escaped in strings, "
                   "found byte 0x09"},
      {"\"a\nb\"", "1:3: control characters must be escaped"},
      {"\"\\x\"", "1:3: invalid escape: expected one of"},
      {"\"\\u12\"", "1:6: expected 4 hex digits after \\u, found '\"'"},
      {"\"\\u12G4\"", "1:6: expected 4 hex digits after \\u, found 'G'"},
      {"\"\\ud800\"", "1:2: invalid \\u escape: high surrogate not followed "
                      "by a \\u low surrogate"},
      {"\"\\ud800x\"", "1:2: invalid \\u escape: high surrogate"},
      {"\"\\udc00\"", "1:2: invalid \\u escape: lone low surrogate"},
      {"\"\\ud800\\u0041\"", "1:8: invalid \\u escape: expected a low "
                             "surrogate"},
      {"\"\xff\"", "1:2: invalid UTF-8 in string, found byte 0xFF"},
      {"\"\xc0\xaf\"", "1:2: invalid UTF-8"},         // overlong '/'
      {"\"\xe0\x80\xaf\"", "1:2: invalid UTF-8"},     // overlong
      {"\"\xed\xa0\x80\"", "1:2: invalid UTF-8"},     // encoded surrogate
      {"\"\xf4\x90\x80\x80\"", "1:2: invalid UTF-8"}, // > U+10FFFF
      {"\"\xc3\"", "1:2: invalid UTF-8"},             // truncated sequence
      {"\xEF\xBB\xBF{}", "1:1: expected a JSON value (object, array, string, "
                         "number, true, false or null), found byte 0xEF"},
      {"[1,\n2,\n\x01]", "3:1: expected a JSON value"},
  };
  for (const BadCase &c : cases) {
    std::string error = parseError(c.input);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "input: " << c.input << "\nerror:    " << error
        << "\nexpected: " << c.message;
    EXPECT_EQ(error.rfind(c.message, 0), 0u)
        << "message should start with line:col; got " << error;
  }
}

TEST(Json, DepthLimit) {
  auto nested = [](int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  EXPECT_TRUE(parseOk(nested(256)).isArray());
  EXPECT_NE(parseError(nested(257)).find("1:257: nesting deeper than 256 "
                                         "levels"),
            std::string::npos);
  // Hostile input: a million brackets must neither crash nor recurse deep.
  EXPECT_NE(parseError(std::string(1000000, '[')).find("nesting deeper"),
            std::string::npos);
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += "{\"a\":";
  EXPECT_NE(parseError(objects).find("nesting deeper"), std::string::npos);
  JsonParseOptions shallow;
  shallow.maxDepth = 2;
  EXPECT_NE(parseError("[[[1]]]", shallow).find("1:3: nesting deeper than 2"),
            std::string::npos);
  std::string error;
  EXPECT_TRUE(parseJson("[[1]]", error, shallow).has_value());
}

TEST(Json, FuzzedInputNeverCrashes) {
  const std::string seed =
      R"({"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", null, true, false],
          "b": {"c": {"d": [[], {}, "\\\"\n"]}}, "e": 0.1})";
  std::mt19937 rng(1234);
  const std::regex located("^[0-9]+:[0-9]+: .+");
  int parsed = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = seed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = rng() % s.size();
      switch (rng() % 4) {
      case 0:
        s[at] = static_cast<char>(rng() % 256);
        break;
      case 1:
        s.erase(at, 1 + rng() % 3);
        break;
      case 2:
        s.insert(at, 1, "{}[]\",:\\0e-.u"[rng() % 13]);
        break;
      case 3:
        s.resize(at);
        break;
      }
    }
    std::string error;
    std::optional<JsonValue> v = parseJson(s, error);
    if (v) {
      ++parsed;
      // Whatever parses must survive a write/parse round trip.
      std::optional<JsonValue> again = parseJson(writeJson(*v), error);
      ASSERT_TRUE(again.has_value()) << error;
      EXPECT_TRUE(*again == *v);
    } else {
      ++rejected;
      EXPECT_TRUE(std::regex_match(error, located)) << error;
    }
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(parsed, 0);
}

TEST(Json, WriterCompactAndIndented) {
  JsonValue v = JsonValue::object();
  v.set("name", JsonValue::string("wq_a"));
  v.set("shape", JsonValue::array({JsonValue::integer(1024),
                                   JsonValue::integer(4096)}));
  v.set("eps", JsonValue::number(1e-6));
  v.set("limit", JsonValue::number(10.0));
  v.set("ok", JsonValue::boolean(true));
  v.set("none", JsonValue::null());
  v.set("empty", JsonValue::object());
  v.set("list", JsonValue::array());
  EXPECT_EQ(writeJson(v),
            R"({"name":"wq_a","shape":[1024,4096],"eps":1e-06,"limit":10.0,)"
            R"("ok":true,"none":null,"empty":{},"list":[]})");
  JsonWriteOptions pretty;
  pretty.indent = 2;
  JsonValue small = JsonValue::object();
  small.set("a", JsonValue::array({JsonValue::integer(1),
                                   JsonValue::number(0.5)}));
  small.set("b", JsonValue::object());
  EXPECT_EQ(writeJson(small, pretty),
            "{\n  \"a\": [\n    1,\n    0.5\n  ],\n  \"b\": {}\n}");
  // set() replaces.
  small.set("a", JsonValue::integer(7));
  EXPECT_EQ(writeJson(small), R"({"a":7,"b":{}})");
}

TEST(Json, WriterEscapesAndNumbers) {
  EXPECT_EQ(writeJson(JsonValue::string(std::string("q\"b\\n\n\x01\x7f\xC3\xA9",
                                                    10))),
            "\"q\\\"b\\\\n\\n\\u0001\x7f\xC3\xA9\"");
  EXPECT_EQ(writeJson(JsonValue::number(0.1)), "0.1");
  EXPECT_EQ(writeJson(JsonValue::number(160000)), "160000.0");
  EXPECT_EQ(writeJson(JsonValue::number(1e300)), "1e+300");
  EXPECT_EQ(writeJson(JsonValue::number(-0.0)), "-0.0");
  EXPECT_EQ(writeJson(JsonValue::integer(-42)), "-42");
  EXPECT_EQ(writeJson(JsonValue::number(std::nan(""))), "null");
  EXPECT_EQ(writeJson(JsonValue::number(INFINITY)), "null");
  // Doubles round-trip exactly; integers keep their kind.
  for (double d : {0.1, 1.0 / 3, 1e-6, 123456.789, 5e-324, 1.7976931348623157e308}) {
    JsonValue back = parseOk(writeJson(JsonValue::number(d)));
    EXPECT_EQ(*back.asDouble(), d);
    EXPECT_FALSE(back.hasExactInteger());
  }
  EXPECT_TRUE(parseOk(writeJson(JsonValue::integer(1LL << 60)))
                  .hasExactInteger());
}

TEST(Json, RoundTripThroughText) {
  const char *text = R"({"s":"\u00e9\ud83d\ude00 \" \\ \n","n":[0,-1,2.5,1e-06,)"
                     R"(9007199254740993],"o":{"t":true,"f":false,"z":null}})";
  JsonValue v = parseOk(text);
  std::string once = writeJson(v);
  JsonValue again = parseOk(once);
  EXPECT_TRUE(again == v);
  EXPECT_EQ(writeJson(again), once);
  JsonWriteOptions pretty;
  pretty.indent = 4;
  EXPECT_TRUE(parseOk(writeJson(v, pretty)) == v);
}

TEST(Json, FileErrorsNameTheFile) {
  std::string error;
  EXPECT_FALSE(parseJsonFile("/nonexistent/dir/x.json", error));
  EXPECT_EQ(error.rfind("/nonexistent/dir/x.json: cannot open", 0), 0u)
      << error;
}
