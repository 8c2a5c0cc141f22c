#include "infra/config/duration.h"

#include <string>

namespace mneme::infra::config {

Result<std::chrono::microseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return MakeError(Code::kInvalidArgument,
                     "\"" + std::string(text) + "\" is not a duration such as 10m, 1h or 500ms");
  };
  if (text.empty()) {
    return bad();
  }
  if (text == "0") {
    return std::chrono::microseconds(0);
  }
  double total_us = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
      ++i;
    }
    if (start == i) {
      return bad();
    }
    double number = std::stod(std::string(text.substr(start, i - start)));
    size_t unit_start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
      ++i;
    }
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "h") {
      scale = 3600e6;
    } else if (unit == "m") {
      scale = 60e6;
    } else if (unit == "s") {
      scale = 1e6;
    } else if (unit == "ms") {
      scale = 1e3;
    } else if (unit == "us" || unit == "µs") {
      scale = 1;
    } else if (unit == "ns") {
      scale = 1e-3;
    } else {
      return bad();
    }
    total_us += number * scale;
  }
  return std::chrono::microseconds(static_cast<int64_t>(total_us));
}

}  // namespace mneme::infra::config
