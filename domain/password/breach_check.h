// BreachCheck: the breach part of the password policy. Asks an offline list
// first, then (if configured) an online source such as Have I Been Pwned, and
// turns a hit into Kratos's violation 4000034.
//
// Ownership: borrows both sources; they must outlive the BreachCheck.
// Thread-safety: Check is safe to call concurrently if the sources are (the
// BreachedPasswords contract requires it); BreachCheck holds no mutable state.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "domain/common/result.h"
#include "domain/password/breached.h"
#include "domain/password/policy.h"

namespace mneme::domain::password {

// Whether an unreachable online source lets the password through
// (Kratos's password.ignore_network_errors).
enum class NetworkErrors { kFail, kIgnore };

class BreachCheck {
 public:
  // `offline` and `online` may each be null (that source is skipped).
  // A password seen more than `max_breaches` times is refused
  // (Kratos's password.max_breaches, default 0). `offline` hits always refuse:
  // the list has no counts, and its entries are the most common passwords.
  BreachCheck(BreachedPasswords* offline, BreachedPasswords* online, int64_t max_breaches,
              NetworkErrors network_errors);

  // nullopt if the password may be used, else violation 4000034 with context
  // {"breaches": count}.
  //
  // Stricter than Kratos: with kIgnore, Kratos lets every password through
  // while HIBP is unreachable; mneme has already refused the passwords of the
  // offline list by then, so only the long tail goes unchecked.
  // Errors: kUnavailable (the online source failed and network errors are not
  // ignored; also an offline source's failure, which is never ignored).
  Result<std::optional<Violation>> Check(std::string_view password) const;

 private:
  BreachedPasswords* offline_;
  BreachedPasswords* online_;
  int64_t max_breaches_;
  NetworkErrors network_errors_;
};

}  // namespace mneme::domain::password
