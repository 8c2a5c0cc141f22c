// BreachedPasswords: the port through which the password policy asks whether a
// password is known from data breaches. Declared here, by its consumer
// (BreachCheck); implemented in infra/password by OfflineBreachedList (a local
// hash list) and HibpClient (the Have I Been Pwned range API).
//
// Thread-safety: implementations must allow concurrent Count calls.
#pragma once

#include <cstdint>
#include <string_view>

#include "domain/common/result.h"

namespace mneme::domain::password {

class BreachedPasswords {
 public:
  virtual ~BreachedPasswords() = default;

  // How many times `password` was seen in breaches; 0 if it is not known. A
  // source without counts returns 1 for a known password; a source may also
  // count trivial variants (OfflineBreachedList matches case variants).
  // Errors: kUnavailable (the source could not be asked: network failure,
  // timeout, unexpected response).
  virtual Result<int64_t> Count(std::string_view password) = 0;
};

}  // namespace mneme::domain::password
