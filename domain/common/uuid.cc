#include "domain/common/uuid.h"

#include <cctype>

namespace mneme::common {

bool IsUuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < 36; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-') || (!dash && !std::isxdigit(static_cast<unsigned char>(s[i])))) {
      return false;
    }
  }
  return true;
}

}  // namespace mneme::common
