// Router: (method, path pattern) -> handler, with "{name}" path parameters.
// Unknown paths are 404 and known paths with another method 405, both in
// Kratos's error JSON. Built before the server starts, read-only afterwards:
// thread-safe for lookups.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <httplib.h>

namespace mneme::api {

struct RequestContext {
  std::string request_id;
  std::map<std::string, std::string> params;  // path parameters
};

using Handler =
    std::function<void(const httplib::Request&, httplib::Response&, RequestContext&)>;

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;     // null: see status
    int status = 404;                     // 404 or 405 when handler is null
    std::map<std::string, std::string> params;
  };
  Match Find(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace mneme::api
