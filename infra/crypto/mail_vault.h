// MailVault: the PersonalDataCipher of courier messages (design: "Courier
// message bodies, which carry live codes, are sealed with a key derived from
// secrets.cipher that the courier shares"). The key of each secrets.cipher
// entry is HKDF-SHA-256(secret, info "mneme courier mail v1"); the first seals,
// every one still opens (rotation). The owner (the message's stream) is the
// associated data, so a sealed mail cannot be moved to another message.
// No data-key operations: EnsureKey/CreateKey give nothing to store.
// Immutable after construction: thread-safe.
#pragma once

#include <string>
#include <vector>

#include "domain/event/personal_data.h"

namespace mneme::infra::crypto {

class MailVault final : public domain::PersonalDataCipher {
 public:
  // Each secret is a secrets.cipher entry (32 characters, checked by the config).
  explicit MailVault(const std::vector<std::string>& cipher_secrets);

  Result<std::optional<domain::DataKeyOp>> EnsureKey(const std::string& owner) override;
  Result<domain::DataKeyOp> CreateKey(const std::string& owner) override;
  Result<std::string> Seal(const std::string& owner, const std::string& plaintext) override;
  void Forget(const std::string&) override {}
  // Errors: kDataLoss (tampered, or sealed under a secret no longer configured),
  // kFailedPrecondition (no secrets).
  Result<std::optional<std::string>> Open(const std::string& owner,
                                          const std::string& sealed) override;

 private:
  std::vector<std::string> keys_;
};

}  // namespace mneme::infra::crypto
