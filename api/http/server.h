// HttpServer: one listener (public or admin) on cpp-httplib with a bounded
// thread pool, keep-alive, TCP_NODELAY, a 5 MB body limit, Kratos's error
// JSON for every failure, no-cache headers, a request id on every answer and
// an access log line per request (path without query: tokens stay out).
//
// Lifecycle: Create() binds (port 0 picks a free port), Start() serves on a
// background thread, Stop() stops accepting, lets in-flight requests finish,
// and joins. Thread-safe: Stop() may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <spdlog/logger.h>

#include "api/http/router.h"
#include "domain/common/clock.h"
#include "domain/common/result.h"

namespace mneme::api {

enum class AdminPrefix { kNone, kRedirect };

// Kratos's serve.public.cors (rs/cors semantics): allowed origins may be "*"
// or hold one "*" wildcard ("https://*.example.com").
struct CorsOptions {
  bool enabled = false;
  std::vector<std::string> allowed_origins = {"*"};
  std::vector<std::string> allowed_methods = {"POST", "GET", "PUT", "PATCH", "DELETE"};
  std::vector<std::string> allowed_headers = {"Authorization", "Content-Type", "Max-Age",
                                              "X-Session-Token", "X-XSRF-TOKEN", "X-CSRF-TOKEN"};
  std::vector<std::string> exposed_headers = {"Content-Type"};
  bool allow_credentials = true;
  int max_age = 0;
};

struct ServerOptions {
  std::string name;  // "public" or "admin", for logs
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 16;
  size_t max_body_bytes = 5 * 1024 * 1024;
  // kRedirect: paths without the /admin prefix get a 307 to /admin/<path>.
  AdminPrefix admin_prefix = AdminPrefix::kNone;
  CorsOptions cors;
};

class HttpServer {
 public:
  // Errors: kUnavailable (cannot bind).
  static Result<std::unique_ptr<HttpServer>> Create(ServerOptions options, Router router,
                                                    domain::IdGenerator& ids,
                                                    std::shared_ptr<spdlog::logger> log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  void Start();
  void Stop();

 private:
  HttpServer() = default;
  void Dispatch(const httplib::Request& req, httplib::Response& res);
  // CORS: true when the request was a preflight and has been answered.
  bool Cors(const httplib::Request& req, httplib::Response& res);

  ServerOptions options_;
  Router router_;
  domain::IdGenerator* ids_ = nullptr;
  std::shared_ptr<spdlog::logger> log_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace mneme::api
