// NormalizingHasher: a PasswordHasher that hashes and checks passwords in
// Unicode NFKC form (NIST SP 800-63B 5.1.1.2), so "é" typed as one code point
// (U+00E9) or as "e" + U+0301 is the same password. Kratos hashes the raw
// bytes; a stored hash of a non-normalized password (imported from Kratos or
// elsewhere) is still accepted by a second check of the raw form, and is
// replaced by the NFKC hash on that login (see IdentityService::CheckPassword).
// Input that is not valid UTF-8 is used as it is. Thread-safe if `inner` is.
#pragma once

#include <string>
#include <string_view>

#include "domain/identity/password_hasher.h"

namespace mneme::infra::hash {

// The NFKC form of `text`, or `text` unchanged when it is not valid UTF-8.
std::string Nfkc(std::string_view text);

class NormalizingHasher final : public domain::identity::PasswordHasher {
 public:
  explicit NormalizingHasher(domain::identity::PasswordHasher& inner) : inner_(inner) {}
  Result<std::string> Hash(std::string_view password) override;
  Result<domain::identity::PasswordCheck> Verify(std::string_view password,
                                                 std::string_view stored_hash) override;
  bool NeedsRehash(std::string_view stored_hash) const override;

 private:
  domain::identity::PasswordHasher& inner_;
};

}  // namespace mneme::infra::hash
