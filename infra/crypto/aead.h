// AES-256-GCM sealing (Crypto++), random bytes and constant-time comparison.
// Sealed bytes: 0x01 | nonce (12) | ciphertext | tag (16). The associated data
// binds a ciphertext to its context (an identity id), so a sealed value cannot
// be moved to another identity. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "domain/common/result.h"

namespace mneme::infra::crypto {

constexpr size_t kKeySize = 32;

// Errors: kInvalidArgument (key not 32 bytes).
Result<std::string> Seal(std::string_view key, std::string_view plaintext, std::string_view aad);
// Errors: kInvalidArgument (key size), kDataLoss (tampered, wrong key or aad).
Result<std::string> Open(std::string_view key, std::string_view sealed, std::string_view aad);

// n bytes from the kernel's CSPRNG.
std::string RandomBytes(size_t n);

bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string Base64UrlEncode(std::string_view bytes);
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace mneme::infra::crypto
