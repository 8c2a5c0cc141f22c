// bcrypt and the crypt(3) formats ($1$ md5-crypt, $5$ sha256-crypt, $6$
// sha512-crypt) through libxcrypt's crypt_rn and crypt_gensalt_rn. libxcrypt
// takes C strings, so a password with a NUL byte cannot be hashed exactly: it
// is refused by HashBcrypt and never matches in the verifiers.
// Pure functions, thread-safe (each call has its own crypt_data).
#pragma once

#include <string>
#include <string_view>

#include "domain/common/result.h"
#include "domain/identity/password_hasher.h"

namespace mneme::infra::hash {

// A decoded bcrypt string "$2<minor>$<cost>$<22 salt chars><31 hash chars>".
struct BcryptHash {
  char minor = 'b';  // 'a', 'b', 'y', 'z', or '\0' for "$2$"
  int cost = 0;
  std::string salt;    // 22 characters of bcrypt's base64 alphabet
  std::string digest;  // 31 characters of bcrypt's base64 alphabet
};

// Accepts the prefixes Kratos's regex `^\$2[abzy]?\$` accepts.
// Errors: kInvalidArgument (cost not two digits in 04..31, wrong lengths or
// characters).
Result<BcryptHash> ParseBcryptHash(std::string_view encoded);

// A new "$2b$<cost>$..." hash.
// Errors: kInvalidArgument (cost outside 4..31, password longer than 72 bytes
// with Kratos's 4000033 message, password with a NUL byte), kInternal
// (libxcrypt failed).
Result<std::string> HashBcrypt(std::string_view password, int cost);

// Go's bcrypt (used by Kratos) computes every minor version the same way, so
// the hash is recomputed as $2b$ (identical to Go's for passwords of at most
// 72 bytes) and only the 31-character digest is compared, in constant time.
// Longer passwords are kMismatch, as Kratos refuses them.
// Errors: kInvalidArgument (malformed hash).
Result<domain::identity::PasswordCheck> VerifyBcrypt(std::string_view password,
                                                     std::string_view encoded);

// Verifies a "$1$", "$5$" or "$6$" crypt string (salt, optional
// "rounds=N$" for $5$/$6$, digest of 22/43/86 characters). The recomputed
// string is compared in constant time with the stored one.
// Errors: kInvalidArgument (malformed string or rejected by libxcrypt).
Result<domain::identity::PasswordCheck> VerifyCrypt(std::string_view password,
                                                    std::string_view encoded);

}  // namespace mneme::infra::hash
