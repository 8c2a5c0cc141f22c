// An in-memory ProjectionWriter for projection tests: rows in a std::map, so
// a test can read them back in key order and scans see them at once. Not
// thread-safe, like the writer it stands in for.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/event/projection.h"

namespace mneme::testing {

class MapRows final : public domain::ProjectionWriter {
 public:
  void Put(std::string_view k, std::string_view v) override { rows[std::string(k)] = v; }
  void Delete(std::string_view k) override { rows.erase(std::string(k)); }
  Result<std::optional<std::string>> Get(std::string_view k) override {
    auto it = rows.find(std::string(k));
    return it == rows.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  Result<std::vector<std::string>> Keys(std::string_view prefix, size_t limit) override {
    std::vector<std::string> out;
    for (auto it = rows.lower_bound(std::string(prefix));
         it != rows.end() && it->first.compare(0, prefix.size(), prefix) == 0 && out.size() < limit;
         ++it) {
      out.push_back(it->first);
    }
    return out;
  }
  // Keys starting with `prefix`, in key order.
  std::vector<std::string> KeysWith(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : rows) {
      if (k.compare(0, prefix.size(), prefix) == 0) {
        out.push_back(k);
      }
    }
    return out;
  }

  std::map<std::string, std::string> rows;
};

}  // namespace mneme::testing
