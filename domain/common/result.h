// Result<T> and Status: expected failures as values.
//
// Error carries a Code that mirrors absl::StatusCode and a human message. The
// HTTP mapping of codes lives in exactly one table, api/http/errors.cc.
// Thread-safety: value types, no shared state.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace mneme {

enum class Code {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view CodeName(Code code);

class [[nodiscard]] Error {
 public:
  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // Structured details for the API (e.g. validation messages per field).
  const nlohmann::json& details() const { return details_; }
  Error&& WithDetails(nlohmann::json details) && {
    details_ = std::move(details);
    return std::move(*this);
  }
  std::string ToString() const;

  // Marks an error as deliberately ignored; say why at the call site.
  void IgnoreError() const {}

 private:
  Code code_;
  std::string message_;
  nlohmann::json details_;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> MakeError(Code code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
inline Status OkStatus() { return {}; }

}  // namespace mneme

#define MNEME_CONCAT_INNER_(a, b) a##b
#define MNEME_CONCAT_(a, b) MNEME_CONCAT_INNER_(a, b)

// Returns the error of a Result/Status expression from the enclosing function.
#define MNEME_RETURN_IF_ERROR(expr)                         \
  do {                                                      \
    auto&& mneme_status_ = (expr);                          \
    if (!mneme_status_) {                                   \
      return tl::unexpected<::mneme::Error>(mneme_status_.error()); \
    }                                                       \
  } while (false)

// MNEME_TRY(auto x, Expr()): binds the value or returns the error.
#define MNEME_TRY(lhs, expr) MNEME_TRY_IMPL_(MNEME_CONCAT_(mneme_try_, __LINE__), lhs, expr)
#define MNEME_TRY_IMPL_(tmp, lhs, expr)                   \
  auto tmp = (expr);                                      \
  if (!tmp) {                                             \
    return tl::unexpected<::mneme::Error>(tmp.error());   \
  }                                                       \
  lhs = std::move(*tmp)
