#include "api/http/json_body.h"

#include "api/http/errors.h"

namespace mneme::api {
namespace {
constexpr int kMaxDepth = 64;

bool TooDeep(const std::string& body) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) {
        return true;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}
}  // namespace

tl::expected<nlohmann::json, BodyError> ParseJsonBody(const httplib::Request& req,
                                                      bool allow_json_patch) {
  const std::string type = req.get_header_value("Content-Type");
  const bool json_type = type.rfind("application/json", 0) == 0 ||
                         (allow_json_patch && type.rfind("application/json-patch+json", 0) == 0);
  if (!json_type) {
    return tl::unexpected(BodyError{415, "The request Content-Type must be application/json, got \"" +
                                             type + "\"."});
  }
  if (TooDeep(req.body)) {
    return tl::unexpected(BodyError{400, "The request body is nested too deeply."});
  }
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    return tl::unexpected(BodyError{400, "The request body is not valid JSON."});
  }
  return j;
}

void WriteBodyError(httplib::Response& res, const BodyError& error) {
  ApiError e;
  e.status = error.status;
  e.reason = error.reason;
  e.message = DefaultMessage(error.status);
  WriteError(res, e);
}

}  // namespace mneme::api
