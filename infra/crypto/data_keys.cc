#include "infra/crypto/data_keys.h"

#include "infra/crypto/aead.h"

namespace mneme::infra::crypto {
namespace {
std::string WrapAad(std::string_view owner) { return "mneme/dek/" + std::string(owner); }
std::string DataAad(std::string_view owner) { return "mneme/pii/" + std::string(owner); }
}  // namespace

DataKeyring::DataKeyring(std::vector<std::string> cipher_secrets)
    : keks_(std::move(cipher_secrets)) {}

Result<NewDataKey> DataKeyring::NewKey(std::string_view owner) const {
  if (keks_.empty()) {
    return MakeError(Code::kFailedPrecondition, "secrets.cipher is not configured");
  }
  NewDataKey key;
  key.raw = RandomBytes(kKeySize);
  MNEME_TRY(key.wrapped, Seal(keks_.front(), key.raw, WrapAad(owner)));
  return key;
}

Result<std::string> DataKeyring::Unwrap(std::string_view owner, std::string_view wrapped) const {
  if (keks_.empty()) {
    return MakeError(Code::kFailedPrecondition, "secrets.cipher is not configured");
  }
  for (const auto& kek : keks_) {
    if (auto raw = Open(kek, wrapped, WrapAad(owner))) {
      return *raw;
    }
  }
  return MakeError(Code::kDataLoss, "no secrets.cipher entry unwraps this data key");
}

Result<std::string> DataKeyring::SealPersonal(std::string_view raw_key, std::string_view owner,
                                              std::string_view plaintext) const {
  return Seal(raw_key, plaintext, DataAad(owner));
}

Result<std::string> DataKeyring::OpenPersonal(std::string_view raw_key, std::string_view owner,
                                              std::string_view sealed) const {
  return Open(raw_key, sealed, DataAad(owner));
}

}  // namespace mneme::infra::crypto
