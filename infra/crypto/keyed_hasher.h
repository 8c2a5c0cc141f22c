// HMAC-SHA-256 keyed hashes (domain::KeyedHasher) with Kratos-style key
// rotation: secrets[0] hashes, every secret recognises. Also the plain
// SHA-256 and base64 helpers the CSRF cookie needs. Immutable: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "domain/common/keyed_hash.h"

namespace mneme::infra::crypto {

class HmacKeyedHasher final : public domain::KeyedHasher {
 public:
  // `secrets` must not be empty.
  explicit HmacKeyedHasher(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}
  std::string Hash(std::string_view secret) const override;
  std::vector<std::string> Candidates(std::string_view secret) const override;

 private:
  std::vector<std::string> secrets_;
};

std::string HmacSha256Hex(std::string_view key, std::string_view message);
std::string Sha256Hex(std::string_view message);
std::string Base64StdEncode(std::string_view bytes);
// Accepts padded standard base64. Errors: none; empty optional on bad input.
bool Base64StdDecode(std::string_view text, std::string& out);

}  // namespace mneme::infra::crypto
