#include "domain/common/utf8.h"

namespace mneme::common {

Rune DecodeRune(std::string_view s, size_t i) {
  const auto c0 = static_cast<unsigned char>(s[i]);
  if (c0 < 0x80) {
    return {c0, 1, true};
  }
  size_t need = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    need = 1;
    cp = c0 & 0x1F;
    min = 0x80;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    need = 2;
    cp = c0 & 0x0F;
    min = 0x800;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    need = 3;
    cp = c0 & 0x07;
    min = 0x10000;
  } else {
    return {0xFFFD, 1, false};
  }
  if (s.size() - i <= need) {
    return {0xFFFD, 1, false};
  }
  for (size_t k = 1; k <= need; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      return {0xFFFD, 1, false};
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return {0xFFFD, 1, false};
  }
  return {cp, need + 1, true};
}

}  // namespace mneme::common
