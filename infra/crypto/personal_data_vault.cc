#include "infra/crypto/personal_data_vault.h"

#include "infra/crypto/aead.h"

namespace mneme::infra::crypto {
namespace {
constexpr size_t kMaxCachedKeys = 100000;
}

Result<std::optional<std::string>> PersonalDataVault::RawKey(const std::string& owner) {
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(owner); it != cache_.end()) {
      return std::optional<std::string>(it->second);
    }
  }
  if (!store_) {
    return MakeError(Code::kUnavailable, "personal data vault has no store");
  }
  MNEME_TRY(auto wrapped, store_->DataKey(owner));
  if (!wrapped) {
    return std::optional<std::string>();
  }
  MNEME_TRY(auto raw, keyring_.Unwrap(owner, *wrapped));
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCachedKeys) {
    cache_.clear();
  }
  cache_[owner] = raw;
  return std::optional<std::string>(raw);
}

Result<std::optional<domain::DataKeyOp>> PersonalDataVault::EnsureKey(const std::string& owner) {
  MNEME_TRY(auto existing, RawKey(owner));
  if (existing) {
    return std::optional<domain::DataKeyOp>();
  }
  MNEME_TRY(auto op, CreateKey(owner));
  return std::optional<domain::DataKeyOp>(std::move(op));
}

Result<domain::DataKeyOp> PersonalDataVault::CreateKey(const std::string& owner) {
  MNEME_TRY(auto key, keyring_.NewKey(owner));
  {
    std::lock_guard lock(mu_);
    if (cache_.size() >= kMaxCachedKeys) {
      cache_.clear();
    }
    cache_[owner] = key.raw;
  }
  return domain::DataKeyOp{domain::DataKeyAction::kPut, owner, key.wrapped};
}

Result<std::string> PersonalDataVault::Seal(const std::string& owner, const std::string& plaintext) {
  MNEME_TRY(auto key, RawKey(owner));
  if (!key) {
    return MakeError(Code::kFailedPrecondition, "no data key for " + owner);
  }
  MNEME_TRY(auto sealed, keyring_.SealPersonal(*key, owner, plaintext));
  return Base64UrlEncode(sealed);
}

Result<std::optional<std::string>> PersonalDataVault::Open(const std::string& owner,
                                                           const std::string& sealed) {
  MNEME_TRY(auto key, RawKey(owner));
  if (!key) {
    return std::optional<std::string>();
  }
  MNEME_TRY(auto bytes, Base64UrlDecode(sealed));
  MNEME_TRY(auto plain, keyring_.OpenPersonal(*key, owner, bytes));
  return std::optional<std::string>(std::move(plain));
}

void PersonalDataVault::Forget(const std::string& owner) {
  std::lock_guard lock(mu_);
  cache_.erase(owner);
}

}  // namespace mneme::infra::crypto
