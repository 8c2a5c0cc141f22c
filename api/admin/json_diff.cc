#include "api/admin/json_diff.h"

#include <string>

namespace mneme::api {
namespace {

using nlohmann::json;

// RFC 6901 escaping of one reference token.
void AppendEscaped(std::string& path, const std::string& key) {
  for (char c : key) {
    if (c == '~') {
      path += "~0";
    } else if (c == '/') {
      path += "~1";
    } else {
      path += c;
    }
  }
}

json Op(const char* op, const std::string& path) {
  json o = json::object();
  o["op"] = op;
  o["path"] = path;
  return o;
}

void Diff(const json& source, const json& target, std::string& path, json& out) {
  if (source.type() != target.type()) {
    json o = Op("replace", path);
    o["value"] = target;
    out.push_back(std::move(o));
    return;
  }
  const size_t mark = path.size();
  if (source.is_array()) {
    size_t i = 0;
    for (; i < source.size() && i < target.size(); ++i) {
      path += '/';
      path += std::to_string(i);
      Diff(source[i], target[i], path, out);
      path.resize(mark);
    }
    // Removals from the end first, as nlohmann inserts each before the last.
    for (size_t k = source.size(); k > i; --k) {
      path += '/';
      path += std::to_string(k - 1);
      out.push_back(Op("remove", path));
      path.resize(mark);
    }
    for (; i < target.size(); ++i) {
      json o = Op("add", path + "/-");
      o["value"] = target[i];
      out.push_back(std::move(o));
    }
    return;
  }
  if (source.is_object()) {
    for (auto it = source.cbegin(); it != source.cend(); ++it) {
      path += '/';
      AppendEscaped(path, it.key());
      auto found = target.find(it.key());
      if (found != target.end()) {
        Diff(it.value(), *found, path, out);
      } else {
        out.push_back(Op("remove", path));
      }
      path.resize(mark);
    }
    for (auto it = target.cbegin(); it != target.cend(); ++it) {
      if (source.find(it.key()) == source.end()) {
        path += '/';
        AppendEscaped(path, it.key());
        json o = Op("add", path);
        o["value"] = it.value();
        out.push_back(std::move(o));
        path.resize(mark);
      }
    }
    return;
  }
  if (source != target) {
    json o = Op("replace", path);
    o["value"] = target;
    out.push_back(std::move(o));
  }
}

}  // namespace

json JsonDiff(const json& source, const json& target) {
  json out = json::array();
  std::string path;
  Diff(source, target, path, out);
  return out;
}

}  // namespace mneme::api
