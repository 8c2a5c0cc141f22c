#include "api/http/server.h"

#include <chrono>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "api/http/errors.h"

namespace mneme::api {
namespace {

// Debian's compiled httplib listens with a backlog of 5: 64 clients
// connecting at once overflow it and wait for SYN retransmits (a second or
// more of tail latency). Calling listen() again on the bound socket raises
// the backlog; the socket is found by its port (httplib keeps it private).
void WidenBacklog(int port) {
  for (int fd = 0; fd < 4096; ++fd) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) {
      continue;
    }
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) {
      continue;
    }
    int bound = 0;
    if (addr.ss_family == AF_INET) {
      bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
    if (bound == port) {
      (void)::listen(fd, SOMAXCONN);  // best effort: the default backlog still works
    }
  }
}

constexpr const char* kNoCache = "private, no-cache, no-store, must-revalidate";

bool IsHealthPath(const std::string& path) {
  return path.rfind("/health/", 0) == 0 || path.rfind("/admin/health/", 0) == 0;
}

std::string RequestIdFrom(const httplib::Request& req, domain::IdGenerator& ids) {
  auto given = req.get_header_value("X-Request-Id");
  if (!given.empty() && given.size() <= 128) {
    bool printable = true;
    for (char c : given) {
      printable = printable && c > 0x20 && c < 0x7f;
    }
    if (printable) {
      return given;
    }
  }
  return ids.NewUuid();
}

void CommonHeaders(httplib::Response& res, const std::string& request_id) {
  res.set_header("Cache-Control", kNoCache);
  if (!res.has_header("X-Request-Id")) {
    res.set_header("X-Request-Id", request_id);
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(ServerOptions options, Router router,
                                                       domain::IdGenerator& ids,
                                                       std::shared_ptr<spdlog::logger> log) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->options_ = std::move(options);
  s->router_ = std::move(router);
  s->ids_ = &ids;
  s->log_ = std::move(log);
  auto& svr = s->server_;
  const int threads = s->options_.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    // Accepted sockets inherit TCP_NODELAY from the listener on Linux.
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  });
  svr.set_keep_alive_max_count(10000);
  // Idle keep-alive connections hold a pool thread and delay a graceful
  // stop by up to this long, so keep it short.
  svr.set_keep_alive_timeout(5);
  svr.set_read_timeout(15, 0);
  svr.set_write_timeout(60, 0);
  svr.set_payload_max_length(s->options_.max_body_bytes);
  HttpServer* self = s.get();
  auto dispatch = [self](const httplib::Request& req, httplib::Response& res) {
    self->Dispatch(req, res);
  };
  const std::string any = R"(.*)";
  svr.Get(any, dispatch);
  svr.Post(any, dispatch);
  svr.Put(any, dispatch);
  svr.Patch(any, dispatch);
  svr.Delete(any, dispatch);
  svr.Options(any, dispatch);
  // Failures httplib answers itself (413, 400 on a malformed request line, ...).
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [self](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) {
      return httplib::Server::HandlerResponse::Unhandled;  // already rendered by Dispatch
    }
    ApiError e;
    if (res.status == 413) {
      e = PayloadTooLargeError();
    } else if (res.status == 404) {
      e = NotFoundError();
    } else {
      e = ApiError{res.status, "", StatusText(res.status), StatusText(res.status),
                   nlohmann::json::object()};
    }
    WriteError(res, e);
    CommonHeaders(res, RequestIdFrom(req, *self->ids_));
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler(
      [self](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        self->log_->error("handler threw path={} error={}", req.path, what);
        WriteError(res, InternalError());
        CommonHeaders(res, RequestIdFrom(req, *self->ids_));
      });
  svr.set_logger([self](const httplib::Request& req, const httplib::Response& res) {
    auto level = IsHealthPath(req.path) ? spdlog::level::debug : spdlog::level::info;
    self->log_->log(level, "http_request server={} method={} path={} status={} request_id={} remote={}",
                    self->options_.name, req.method, req.path, res.status,
                    res.get_header_value("X-Request-Id"), req.remote_addr);
  });
  int port = 0;
  if (s->options_.port == 0) {
    port = svr.bind_to_any_port(s->options_.host);
  } else {
    port = svr.bind_to_port(s->options_.host, s->options_.port) ? s->options_.port : -1;
  }
  if (port <= 0) {
    return MakeError(Code::kUnavailable, "cannot listen on " + s->options_.host + ":" +
                                             std::to_string(s->options_.port) +
                                             " for the " + s->options_.name + " API");
  }
  s->port_ = port;
  WidenBacklog(port);
  return s;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs: wait for it, so a
  // Stop() right after Start() cannot leave the loop running forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void HttpServer::Stop() {
  if (thread_.joinable()) {
    server_.stop();
    thread_.join();
  }
}

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

bool OriginAllowed(const CorsOptions& cors, const std::string& origin) {
  const std::string o = Lower(origin);
  for (const auto& a : cors.allowed_origins) {
    const std::string allowed = Lower(a);
    if (allowed == "*" || allowed == o) {
      return true;
    }
    const size_t star = allowed.find('*');
    if (star != std::string::npos) {
      const std::string prefix = allowed.substr(0, star);
      const std::string suffix = allowed.substr(star + 1);
      if (o.size() >= prefix.size() + suffix.size() && o.rfind(prefix, 0) == 0 &&
          o.compare(o.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    }
  }
  return false;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ", ") + i;
  }
  return out;
}

}  // namespace

bool HttpServer::Cors(const httplib::Request& req, httplib::Response& res) {
  const auto& cors = options_.cors;
  const std::string origin = req.get_header_value("Origin");
  const bool preflight = req.method == "OPTIONS" && req.has_header("Access-Control-Request-Method");
  if (preflight) {
    res.set_header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  } else {
    res.set_header("Vary", "Origin");
  }
  if (origin.empty() || !OriginAllowed(cors, origin)) {
    if (preflight) {
      res.status = 204;
    }
    return preflight;
  }
  const bool any_origin = std::find(cors.allowed_origins.begin(), cors.allowed_origins.end(), "*") !=
                          cors.allowed_origins.end();
  res.set_header("Access-Control-Allow-Origin",
                 any_origin && !cors.allow_credentials ? "*" : origin);
  if (cors.allow_credentials) {
    res.set_header("Access-Control-Allow-Credentials", "true");
  }
  if (!preflight) {
    if (!cors.exposed_headers.empty()) {
      res.set_header("Access-Control-Expose-Headers", Join(cors.exposed_headers));
    }
    return false;
  }
  std::string method = req.get_header_value("Access-Control-Request-Method");
  for (auto& ch : method) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  const bool method_ok =
      method == "OPTIONS" ||
      std::find(cors.allowed_methods.begin(), cors.allowed_methods.end(), method) !=
          cors.allowed_methods.end();
  bool headers_ok = true;
  const std::string requested = req.get_header_value("Access-Control-Request-Headers");
  size_t start = 0;
  while (start < requested.size()) {
    size_t comma = requested.find(',', start);
    std::string h = requested.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    h.erase(0, h.find_first_not_of(" \t"));
    h.erase(h.find_last_not_of(" \t") + 1);
    if (!h.empty()) {
      const std::string lh = Lower(h);
      headers_ok = headers_ok && (lh == "origin" ||
                                  std::any_of(cors.allowed_headers.begin(), cors.allowed_headers.end(),
                                              [&](const std::string& a) { return Lower(a) == lh || a == "*"; }));
    }
    start = comma == std::string::npos ? requested.size() : comma + 1;
  }
  res.status = 204;
  if (!method_ok || !headers_ok) {
    res.headers.erase("Access-Control-Allow-Origin");
    res.headers.erase("Access-Control-Allow-Credentials");
    return true;
  }
  res.set_header("Access-Control-Allow-Methods", method);
  if (!requested.empty()) {
    res.set_header("Access-Control-Allow-Headers", requested);
  }
  if (cors.max_age > 0) {
    res.set_header("Access-Control-Max-Age", std::to_string(cors.max_age));
  }
  return true;
}

void HttpServer::Dispatch(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx;
  ctx.request_id = RequestIdFrom(req, *ids_);
  CommonHeaders(res, ctx.request_id);
  if (options_.cors.enabled && Cors(req, res)) {
    return;
  }
  if (options_.admin_prefix == AdminPrefix::kRedirect && req.path != "/admin" &&
      req.path.rfind("/admin/", 0) != 0) {
    std::string location = "/admin" + req.path;
    auto q = req.target.find('?');
    if (q != std::string::npos) {
      location += req.target.substr(q);
    }
    res.status = 307;
    res.set_header("Location", location);
    return;
  }
  auto match = router_.Find(req.method, req.path);
  if (!match.handler) {
    WriteError(res, match.status == 405 ? MethodNotAllowedError() : NotFoundError());
    return;
  }
  ctx.params = std::move(match.params);
  (*match.handler)(req, res, ctx);
}

}  // namespace mneme::api
