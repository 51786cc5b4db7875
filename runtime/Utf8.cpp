//===- Utf8.cpp - UTF-8 decoding helpers for the tokenizer ----------------===//
#include "runtime/Utf8.h"

namespace dsv4c::utf8 {
namespace {
/// Sequence length announced by a lead byte, 0 if it cannot lead.
size_t leadLength(uint8_t b) {
  if (b < 0x80)
    return 1;
  if (b >= 0xC2 && b <= 0xDF)
    return 2;
  if (b >= 0xE0 && b <= 0xEF)
    return 3;
  if (b >= 0xF0 && b <= 0xF4)
    return 4;
  return 0;
}

/// Allowed range of the second byte after lead `b` (the rest are 80..BF).
void secondRange(uint8_t b, uint8_t &lo, uint8_t &hi) {
  lo = 0x80;
  hi = 0xBF;
  if (b == 0xE0)
    lo = 0xA0; // no overlongs
  else if (b == 0xED)
    hi = 0x9F; // no surrogates
  else if (b == 0xF0)
    lo = 0x90; // no overlongs
  else if (b == 0xF4)
    hi = 0x8F; // nothing above U+10FFFF
}

/// How many bytes of the sequence at s[i] are well formed (the maximal
/// subpart), and whether they form a complete sequence.
size_t wellFormedPrefix(std::string_view s, size_t i, bool &complete) {
  uint8_t b = uint8_t(s[i]);
  size_t need = leadLength(b);
  complete = need == 1;
  if (need <= 1)
    return need == 1 ? 1 : 0;
  uint8_t lo, hi;
  secondRange(b, lo, hi);
  size_t k = 1;
  for (; k < need && i + k < s.size(); ++k) {
    uint8_t c = uint8_t(s[i + k]);
    if (c < lo || c > hi)
      break;
    lo = 0x80;
    hi = 0xBF;
  }
  complete = k == need;
  return k;
}
} // namespace

size_t validSequenceLength(std::string_view s, size_t i) {
  bool complete;
  size_t k = wellFormedPrefix(s, i, complete);
  return complete ? k : 0;
}

uint32_t decode(std::string_view s, size_t i, size_t &len) {
  uint8_t b = uint8_t(s[i]);
  len = validSequenceLength(s, i);
  switch (len) {
  case 1:
    return b;
  case 2:
    return (uint32_t(b & 0x1F) << 6) | (uint8_t(s[i + 1]) & 0x3F);
  case 3:
    return (uint32_t(b & 0x0F) << 12) | (uint32_t(uint8_t(s[i + 1]) & 0x3F) << 6) |
           (uint8_t(s[i + 2]) & 0x3F);
  case 4:
    return (uint32_t(b & 0x07) << 18) | (uint32_t(uint8_t(s[i + 1]) & 0x3F) << 12) |
           (uint32_t(uint8_t(s[i + 2]) & 0x3F) << 6) | (uint8_t(s[i + 3]) & 0x3F);
  default:
    len = 1;
    return kInvalidByteBase + b;
  }
}

void append(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

std::string toValidLossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    bool complete;
    size_t k = wellFormedPrefix(s, i, complete);
    if (complete) {
      out.append(s.substr(i, k));
      i += k;
    } else {
      out += "\xEF\xBF\xBD"; // U+FFFD for the maximal subpart
      i += k ? k : 1;
    }
  }
  return out;
}

size_t completePrefixLength(std::string_view s) {
  // An incomplete tail is at most 3 bytes: look back for its lead byte.
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    size_t i = s.size() - back;
    uint8_t b = uint8_t(s[i]);
    if (b >= 0x80 && b < 0xC0)
      continue; // continuation byte: keep looking for the lead
    bool complete;
    size_t k = wellFormedPrefix(s, i, complete);
    // Incomplete only because the text ends: wait for more bytes.
    if (!complete && k == back && k > 0)
      return i;
    return s.size();
  }
  return s.size();
}

} // namespace dsv4c::utf8
