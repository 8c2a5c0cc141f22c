#include "api/http/errors.h"

namespace mneme::api {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kOutOfRange: return 400;
    case Code::kFailedPrecondition: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kAborted: return 409;
    case Code::kResourceExhausted: return 429;
    case Code::kCancelled: return 499;
    case Code::kUnimplemented: return 501;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    case Code::kUnknown:
    case Code::kInternal:
    case Code::kDataLoss: return 500;
  }
  return 500;
}

std::string StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

nlohmann::json ErrorBody(const ApiError& e) {
  nlohmann::json error = {{"code", e.status},
                          {"status", StatusText(e.status)},
                          {"reason", e.reason},
                          {"message", e.message}};
  if (!e.id.empty()) {
    error["id"] = e.id;
  }
  if (!e.details.empty()) {
    error["details"] = e.details;
  }
  return {{"error", error}};
}

void WriteJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void WriteError(httplib::Response& res, const ApiError& error) {
  WriteJson(res, error.status, ErrorBody(error));
}

std::string DefaultMessage(int status) {
  // herodot's standard messages, which Kratos's errors carry.
  switch (status) {
    case 400: return "The request was malformed or contained invalid parameters";
    case 401: return "The request could not be authorized";
    case 403: return "The requested action was forbidden";
    case 404: return "The requested resource could not be found";
    case 409: return "The resource could not be created due to a conflict";
    case 413: return "The request body is too large";
    case 415: return "The request body has an unsupported media type";
    case 429: return "Too many requests";
    case 503: return "The service is unavailable";
    default: return "An internal server error occurred, please contact the system administrator";
  }
}

void WriteError(httplib::Response& res, const Error& error) {
  ApiError e;
  e.status = HttpStatusFor(error.code());
  e.message = DefaultMessage(e.status);
  e.reason = e.status >= 500 && e.status != 503 ? "" : error.message();
  if (error.details().is_object()) {
    e.details = error.details();
  }
  WriteError(res, e);
}

ApiError NotFoundError() {
  return {404, "not_found", "The requested resource could not be found.",
          "The requested resource could not be found", nlohmann::json::object()};
}

ApiError MethodNotAllowedError() {
  return {405, "method_not_allowed", "The HTTP method is not allowed for this resource.",
          "The requested method is not allowed", nlohmann::json::object()};
}

ApiError PayloadTooLargeError() {
  return {413, "request_entity_too_large", "The request body is larger than 5 MB.",
          "The request body is too large", nlohmann::json::object()};
}

ApiError InternalError() {
  return {500, "internal_server_error", "",
          "An internal server error occurred, please contact the system administrator",
          nlohmann::json::object()};
}

void WriteOrdered(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json; charset=utf-8");
}

}  // namespace mneme::api
