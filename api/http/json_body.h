// Reading JSON request bodies as Kratos does: a JSON content type (else
// 415), well-formed (else 400), nesting at most 64 deep (else 400, before
// parsing, so hostile input cannot exhaust the stack).
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "domain/common/result.h"

namespace mneme::api {

// Errors: kInvalidArgument (malformed, too deep); kFailedPrecondition is not
// used: an unsupported media type is reported through `unsupported_media`.
struct BodyError {
  int status;
  std::string reason;
};
tl::expected<nlohmann::json, BodyError> ParseJsonBody(const httplib::Request& req,
                                                      bool allow_json_patch = false);
void WriteBodyError(httplib::Response& res, const BodyError& error);

}  // namespace mneme::api
