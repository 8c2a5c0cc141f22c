// UTF-8 decoding shared by the schema validator (lengths in code points) and
// the extension (identifier normalisation). Pure.
#pragma once

#include <cstddef>
#include <string_view>

namespace mneme::common {

struct Rune {
  char32_t cp;
  size_t width;
  bool valid;
};

// Decodes the UTF-8 sequence at s[i] (i < s.size()); an invalid sequence is
// one byte wide with cp U+FFFD and valid false.
Rune DecodeRune(std::string_view s, size_t i);

}  // namespace mneme::common
