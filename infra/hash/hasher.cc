#include "infra/hash/hasher.h"

#include "infra/hash/crypt.h"
#include "infra/hash/formats.h"

namespace mneme::infra::hash {

using domain::identity::PasswordCheck;

Result<std::unique_ptr<Hasher>> Hasher::Create(const HasherConfig& config) {
  auto hasher = std::unique_ptr<Hasher>(new Hasher(config));
  switch (config.algorithm) {
    case HasherConfig::Algorithm::kBcrypt:
      if (config.bcrypt_cost < 4 || config.bcrypt_cost > 31) {
        return MakeError(Code::kInvalidArgument, "bcrypt cost must be between 4 and 31");
      }
      break;
    case HasherConfig::Algorithm::kArgon2:
      MNEME_RETURN_IF_ERROR(ValidateArgon2Params(hasher->argon2_params()));
      break;
  }
  return hasher;
}

Argon2Params Hasher::argon2_params() const {
  Argon2Params params;
  params.memory_kib = config_.argon2_memory_kib;
  params.iterations = config_.argon2_iterations;
  params.parallelism = config_.argon2_parallelism;
  params.salt_length = config_.argon2_salt_length;
  params.key_length = config_.argon2_key_length;
  return params;
}

Result<std::string> Hasher::Hash(std::string_view password) {
  switch (config_.algorithm) {
    case HasherConfig::Algorithm::kBcrypt:
      return HashBcrypt(password, config_.bcrypt_cost);
    case HasherConfig::Algorithm::kArgon2:
      return HashArgon2id(password, argon2_params());
  }
  return MakeError(Code::kInternal, "unknown hashing algorithm");
}

Result<PasswordCheck> Hasher::Verify(std::string_view password, std::string_view stored_hash) {
  return VerifyPassword(password, stored_hash);
}

bool Hasher::NeedsRehash(std::string_view stored_hash) const {
  switch (config_.algorithm) {
    case HasherConfig::Algorithm::kBcrypt: {
      const auto bcrypt = ParseBcryptHash(stored_hash);
      return !bcrypt || bcrypt->cost != config_.bcrypt_cost;
    }
    case HasherConfig::Algorithm::kArgon2: {
      const auto argon2 = ParseArgon2Hash(stored_hash);
      return !argon2 || argon2->variant != Argon2Variant::kArgon2id ||
             argon2->memory_kib != config_.argon2_memory_kib ||
             argon2->iterations != config_.argon2_iterations ||
             argon2->parallelism != config_.argon2_parallelism ||
             argon2->key.size() != config_.argon2_key_length;
    }
  }
  return true;
}

}  // namespace mneme::infra::hash
