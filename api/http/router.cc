#include "api/http/router.h"

namespace mneme::api {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  if (path.empty() || path[0] != '/') {
    return out;
  }
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

void Router::Add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back(Route{method, Split(pattern), std::move(handler)});
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match result;
  const auto segments = Split(path);
  const std::string wanted = method == "HEAD" ? "GET" : method;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) {
      continue;
    }
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const auto& s = route.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        if (segments[i].empty()) {
          ok = false;
        } else {
          params[s.substr(1, s.size() - 2)] = segments[i];
        }
      } else {
        ok = s == segments[i];
      }
    }
    if (!ok) {
      continue;
    }
    if (route.method == wanted) {
      result.handler = &route.handler;
      result.params = std::move(params);
      return result;
    }
    result.status = 405;
  }
  return result;
}

}  // namespace mneme::api
