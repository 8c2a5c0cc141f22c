#include "infra/hash/phc.h"

#include <charconv>
#include <string>

namespace mneme::infra::hash {

std::vector<std::string_view> SplitFields(std::string_view encoded) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t end = encoded.find('$', start);
    if (end == std::string_view::npos) {
      fields.push_back(encoded.substr(start));
      return fields;
    }
    fields.push_back(encoded.substr(start, end - start));
    start = end + 1;
  }
}

Result<std::vector<uint64_t>> ParseParams(std::string_view text,
                                          std::initializer_list<std::string_view> names) {
  std::vector<uint64_t> values;
  values.reserve(names.size());
  std::string_view rest = text;
  bool first = true;
  for (std::string_view name : names) {
    if (!first) {
      if (rest.empty() || rest.front() != ',') {
        return MakeError(Code::kInvalidArgument, "hash parameters: expected ',' before " +
                                                     std::string(name));
      }
      rest.remove_prefix(1);
    }
    first = false;
    if (rest.size() <= name.size() || rest.substr(0, name.size()) != name ||
        rest[name.size()] != '=') {
      return MakeError(Code::kInvalidArgument,
                       "hash parameters: expected " + std::string(name) + "=");
    }
    rest.remove_prefix(name.size() + 1);
    uint64_t value = 0;
    const char* begin = rest.data();
    const char* end = rest.data() + rest.size();
    if (begin == end || *begin < '0' || *begin > '9') {
      return MakeError(Code::kInvalidArgument,
                       "hash parameters: " + std::string(name) + " is not a number");
    }
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc()) {
      return MakeError(Code::kInvalidArgument,
                       "hash parameters: " + std::string(name) + " is out of range");
    }
    rest.remove_prefix(static_cast<size_t>(ptr - begin));
    values.push_back(value);
  }
  if (!rest.empty()) {
    return MakeError(Code::kInvalidArgument, "hash parameters: unexpected trailing text");
  }
  return values;
}

Result<uint32_t> CheckRange(uint64_t value, uint64_t min, uint64_t max, std::string_view what) {
  if (value < min || value > max) {
    return MakeError(Code::kInvalidArgument, std::string(what) + " must be between " +
                                                 std::to_string(min) + " and " +
                                                 std::to_string(max) + ", got " +
                                                 std::to_string(value));
  }
  return static_cast<uint32_t>(value);
}

}  // namespace mneme::infra::hash
