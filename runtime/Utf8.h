//===- Utf8.h - UTF-8 decoding helpers for the tokenizer -------*- C++ -*-===//
//
// Decoding never fails: a byte that does not start a well-formed sequence
// (overlong, surrogate, above U+10FFFF, truncated) decodes, alone, to
// kInvalidByteBase + byte, a value above U+10FFFF that no Unicode class
// matches. The tokenizer keeps the original bytes, so such text still
// round-trips.
//
//===----------------------------------------------------------------------===//
#ifndef DSV4C_RUNTIME_UTF8_H
#define DSV4C_RUNTIME_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dsv4c::utf8 {

constexpr uint32_t kInvalidByteBase = 0x110000;

/// Decodes the sequence at s[i]; sets `len` to its length in bytes (1 for
/// an invalid byte).
uint32_t decode(std::string_view s, size_t i, size_t &len);

/// Appends the UTF-8 encoding of `cp` (must be a Unicode scalar value).
void append(std::string &out, uint32_t cp);

/// Length of the well-formed sequence at s[i], or 0 when there is none.
size_t validSequenceLength(std::string_view s, size_t i);

/// `s` with each ill-formed part replaced by U+FFFD, one per maximal
/// subpart (the Unicode "best practice", as Rust's from_utf8_lossy does).
std::string toValidLossy(std::string_view s);

/// The longest prefix of `s` that does not end inside an incomplete but
/// still completable sequence: a streaming decoder emits this much and
/// keeps the rest for the next token.
size_t completePrefixLength(std::string_view s);

} // namespace dsv4c::utf8

#endif
