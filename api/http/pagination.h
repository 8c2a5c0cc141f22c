// Keyset pagination as Kratos does it: page_size (default and maximum per
// endpoint), an opaque page_token, and the next page in a Link header
// (rel="first" and rel="next"). Legacy page/per_page are accepted.
#pragma once

#include <string>

#include <httplib.h>

#include "domain/common/result.h"

namespace mneme::api {

struct PageRequest {
  size_t size = 250;
  std::string token;   // decoded: the last key of the previous page
  long legacy_page = 0;
};

// Errors: kInvalidArgument (page_size not a positive number, bad token).
Result<PageRequest> ParsePageRequest(const httplib::Request& req, size_t default_size,
                                     size_t max_size);

// Link: <path?page_size=N&page_token=T>; rel="next" (only when next_key is
// not empty), plus rel="first".
void SetLinkHeader(httplib::Response& res, const std::string& path, size_t size,
                   const std::string& next_key);

}  // namespace mneme::api
