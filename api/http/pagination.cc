#include "api/http/pagination.h"

#include "infra/crypto/aead.h"

namespace mneme::api {

Result<PageRequest> ParsePageRequest(const httplib::Request& req, size_t default_size,
                                     size_t max_size) {
  PageRequest p;
  p.size = default_size;
  std::string size = req.has_param("page_size") ? req.get_param_value("page_size")
                                                : req.get_param_value("per_page");
  if (!size.empty()) {
    char* end = nullptr;
    long n = std::strtol(size.c_str(), &end, 10);
    if (*end != '\0' || n < 1) {
      return MakeError(Code::kInvalidArgument, "page_size must be a positive integer");
    }
    p.size = std::min(static_cast<size_t>(n), max_size);
  }
  if (req.has_param("page_token")) {
    auto decoded = infra::crypto::Base64UrlDecode(req.get_param_value("page_token"));
    if (!decoded) {
      return MakeError(Code::kInvalidArgument, "page_token is malformed");
    }
    p.token = *decoded;
  } else if (req.has_param("page")) {
    char* end = nullptr;
    long n = std::strtol(req.get_param_value("page").c_str(), &end, 10);
    if (*end != '\0' || n < 0) {
      return MakeError(Code::kInvalidArgument, "page must be a non-negative integer");
    }
    p.legacy_page = n;
  }
  return p;
}

void SetLinkHeader(httplib::Response& res, const std::string& path, size_t size,
                   const std::string& next_key) {
  std::string link = "<" + path + "?page_size=" + std::to_string(size) + ">; rel=\"first\"";
  if (!next_key.empty()) {
    link += ",<" + path + "?page_size=" + std::to_string(size) +
            "&page_token=" + infra::crypto::Base64UrlEncode(next_key) + ">; rel=\"next\"";
  }
  res.set_header("Link", link);
}

}  // namespace mneme::api
