// Hasher: the PasswordHasher port (domain/identity/password_hasher.h) over
// libxcrypt (bcrypt), libargon2 (argon2id) and Crypto++ (the imported
// formats, see infra/hash/formats.h), configured like Kratos's `hashers`.
//
// Lifecycle and concurrency: built once by Create() in the composition root
// and shared; immutable afterwards, so every method is safe to call from any
// number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "domain/common/result.h"
#include "domain/identity/password_hasher.h"
#include "infra/hash/argon2.h"

namespace mneme::infra::hash {

// Kratos's `hashers` section (embedx/config.schema.json). Memory is in KiB
// (Kratos's 128MB with go-bytesize's 1024-based units is 131072 KiB).
struct HasherConfig {
  enum class Algorithm { kBcrypt, kArgon2 };
  Algorithm algorithm = Algorithm::kBcrypt;
  int bcrypt_cost = 12;
  uint32_t argon2_memory_kib = 131072;
  uint32_t argon2_iterations = 1;
  uint32_t argon2_parallelism = DefaultArgon2Parallelism();
  uint32_t argon2_salt_length = 16;
  uint32_t argon2_key_length = 32;
};

class Hasher final : public domain::identity::PasswordHasher {
 public:
  // Checks the parameters of the configured algorithm (the other one's are
  // ignored, as in Kratos). Kratos's rule that bcrypt cost is at least 12
  // outside --dev belongs to the config layer; this accepts 4..31.
  // Errors: kInvalidArgument (bcrypt cost outside 4..31; argon2 parameters
  // libargon2 would refuse, see ValidateArgon2Params).
  static Result<std::unique_ptr<Hasher>> Create(const HasherConfig& config);

  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Result<std::string> Hash(std::string_view password) override;
  Result<domain::identity::PasswordCheck> Verify(std::string_view password,
                                                 std::string_view stored_hash) override;
  bool NeedsRehash(std::string_view stored_hash) const override;

  const HasherConfig& config() const { return config_; }

 private:
  explicit Hasher(const HasherConfig& config) : config_(config) {}
  Argon2Params argon2_params() const;

  const HasherConfig config_;
};

}  // namespace mneme::infra::hash
