#include "infra/crypto/mail_vault.h"

#include <cryptopp/hkdf.h>
#include <cryptopp/sha.h>

#include "infra/crypto/aead.h"

namespace mneme::infra::crypto {
namespace {

constexpr char kInfo[] = "mneme courier mail v1";

std::string Derive(const std::string& secret) {
  std::string key(kKeySize, '\0');
  CryptoPP::HKDF<CryptoPP::SHA256> hkdf;
  hkdf.DeriveKey(reinterpret_cast<CryptoPP::byte*>(key.data()), key.size(),
                 reinterpret_cast<const CryptoPP::byte*>(secret.data()), secret.size(), nullptr, 0,
                 reinterpret_cast<const CryptoPP::byte*>(kInfo), sizeof(kInfo) - 1);
  return key;
}

}  // namespace

MailVault::MailVault(const std::vector<std::string>& cipher_secrets) {
  for (const auto& s : cipher_secrets) {
    keys_.push_back(Derive(s));
  }
}

Result<std::optional<domain::DataKeyOp>> MailVault::EnsureKey(const std::string&) {
  return std::optional<domain::DataKeyOp>();
}

Result<domain::DataKeyOp> MailVault::CreateKey(const std::string&) {
  return MakeError(Code::kFailedPrecondition, "courier mail has no per-owner data keys");
}

Result<std::string> MailVault::Seal(const std::string& owner, const std::string& plaintext) {
  if (keys_.empty()) {
    return MakeError(Code::kFailedPrecondition, "secrets.cipher is not configured");
  }
  MNEME_TRY(auto sealed, crypto::Seal(keys_.front(), plaintext, owner));
  return Base64UrlEncode(sealed);
}

Result<std::optional<std::string>> MailVault::Open(const std::string& owner,
                                                   const std::string& sealed) {
  if (keys_.empty()) {
    return MakeError(Code::kFailedPrecondition, "secrets.cipher is not configured");
  }
  auto bytes = Base64UrlDecode(sealed);
  if (!bytes) {
    return MakeError(Code::kDataLoss, "the sealed mail is not base64url");
  }
  for (const auto& key : keys_) {
    auto opened = crypto::Open(key, *bytes, owner);
    if (opened) {
      return std::optional<std::string>(std::move(*opened));
    }
  }
  return MakeError(Code::kDataLoss, "the mail cannot be opened with any secrets.cipher key");
}

}  // namespace mneme::infra::crypto
