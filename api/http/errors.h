// Kratos's error JSON ({"error":{id, code, status, reason, message}}) and the
// one table that maps domain error codes to HTTP statuses.
#pragma once

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "domain/common/result.h"

namespace mneme::api {

// The HTTP status for a domain error code (the single mapping table).
int HttpStatusFor(Code code);

// "Not Found", "Payload Too Large", ...
std::string StatusText(int status);

struct ApiError {
  int status = 500;
  std::string id;       // Kratos error id, e.g. "security_csrf_violation"
  std::string reason;
  std::string message;
  nlohmann::json details = nlohmann::json::object();
};

nlohmann::json ErrorBody(const ApiError& error);
void WriteError(httplib::Response& res, const ApiError& error);
// The error of a failed Result, mapped through HttpStatusFor.
void WriteError(httplib::Response& res, const Error& error);

// herodot's standard message for a status ("The requested resource could not be found").
std::string DefaultMessage(int status);

// Standard errors.
ApiError NotFoundError();
ApiError MethodNotAllowedError();
ApiError PayloadTooLargeError();
ApiError InternalError();

void WriteJson(httplib::Response& res, int status, const nlohmann::json& body);
// For bodies whose key order matters (Kratos's flows, in Go's field order).
void WriteOrdered(httplib::Response& res, int status, const nlohmann::ordered_json& body);

}  // namespace mneme::api
