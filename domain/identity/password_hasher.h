// PasswordHasher: the port through which identity flows hash new passwords
// and check submitted ones against stored hashes, including hashes imported
// from other systems (bcrypt, argon2, pbkdf2, scrypt, Firebase scrypt, salted
// SHA, MD5, crypt and HMAC formats, as Kratos's hash/hash_comparator.go).
// Implemented by infra/hash/hasher.h.
//
// Thread-safety: implementations are immutable after construction and every
// method may be called concurrently from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "domain/common/result.h"

namespace mneme::domain::identity {

// bcrypt only reads the first 72 bytes of a password. Like Kratos
// (hash/hasher_bcrypt.go validateBcryptPasswordLength), longer passwords are
// refused rather than truncated: message id 4000033, "The password must be at
// most 72 characters long, but got N." (N counts bytes).
inline constexpr size_t kBcryptMaxPasswordBytes = 72;

enum class PasswordCheck { kMatch, kMismatch };

class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;

  // A new hash of `password` with the configured algorithm and parameters and
  // a fresh random salt.
  // Errors:
  //   kInvalidArgument: bcrypt is configured and the password is longer than
  //     kBcryptMaxPasswordBytes (the message is Kratos's 4000033 text, show it
  //     with id 4000033), or contains a NUL byte (libxcrypt takes C strings and
  //     would silently cut the password there).
  //   kResourceExhausted: argon2 could not allocate its memory.
  //   kInternal: the hashing library failed unexpectedly.
  virtual Result<std::string> Hash(std::string_view password) = 0;

  // Compares `password` with `stored_hash` in any supported format. Digest
  // comparisons are constant-time. A password that a format cannot accept
  // (longer than 72 bytes against bcrypt, as Kratos) is kMismatch.
  // Errors:
  //   kInvalidArgument: unknown or malformed hash format, or parameters the
  //     hashing library refuses.
  //   kResourceExhausted: the stored parameters need more memory than is
  //     available.
  virtual Result<PasswordCheck> Verify(std::string_view password,
                                       std::string_view stored_hash) = 0;

  // True when `stored_hash` (already verified) is not of the configured
  // algorithm and parameters (bcrypt cost; argon2id memory, iterations,
  // parallelism and key length) and should be replaced by Hash() of the
  // password on the next successful login. False for a fresh Hash() result.
  virtual bool NeedsRehash(std::string_view stored_hash) const = 0;
};

}  // namespace mneme::domain::identity
