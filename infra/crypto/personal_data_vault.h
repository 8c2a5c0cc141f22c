// PersonalDataVault: the PersonalDataCipher over the store's `keys` column
// family and a DataKeyring. Unwrapped keys are cached in memory (bounded);
// a key created by EnsureKey is cached before its append commits, so the
// inline projections can open the events of that same append.
// Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/event/event_store.h"
#include "domain/event/personal_data.h"
#include "infra/crypto/data_keys.h"

namespace mneme::infra::crypto {

class PersonalDataVault final : public domain::PersonalDataCipher {
 public:
  // `store` may be null until SetStore (the store needs the projections,
  // which need the vault).
  explicit PersonalDataVault(DataKeyring keyring) : keyring_(std::move(keyring)) {}
  void SetStore(domain::EventStore* store) { store_ = store; }

  Result<std::optional<domain::DataKeyOp>> EnsureKey(const std::string& owner) override;
  Result<domain::DataKeyOp> CreateKey(const std::string& owner) override;
  Result<std::string> Seal(const std::string& owner, const std::string& plaintext) override;
  Result<std::optional<std::string>> Open(const std::string& owner,
                                          const std::string& sealed) override;
  void Forget(const std::string& owner) override;

 private:
  Result<std::optional<std::string>> RawKey(const std::string& owner);

  DataKeyring keyring_;
  domain::EventStore* store_ = nullptr;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> cache_;
};

}  // namespace mneme::infra::crypto
