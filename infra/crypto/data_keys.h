// DataKeyring: per-identity data keys for sealing personal data in the log
// (design, "Personal data in an immutable log").
//
// A data key is 32 random bytes, wrapped (AES-256-GCM, the owner's id as
// associated data) by the key-encryption key secrets.cipher[0]; older
// secrets.cipher entries still unwrap (rotation). The wrapped key is appended
// as a DataKeyOp in the same batch as the identity's first event, and erasure
// deletes it. Immutable after construction: thread-safe.
#pragma once

#include <string>
#include <vector>

#include "domain/common/result.h"

namespace mneme::infra::crypto {

struct NewDataKey {
  std::string raw;      // 32 bytes, never stored
  std::string wrapped;  // what the keys family holds
};

class DataKeyring {
 public:
  // Each secret must be exactly 32 characters (checked by the config).
  explicit DataKeyring(std::vector<std::string> cipher_secrets);

  Result<NewDataKey> NewKey(std::string_view owner) const;
  // Errors: kDataLoss (no secret unwraps it), kFailedPrecondition (no secrets).
  Result<std::string> Unwrap(std::string_view owner, std::string_view wrapped) const;

  // Seal and open personal data with an unwrapped data key.
  Result<std::string> SealPersonal(std::string_view raw_key, std::string_view owner,
                                   std::string_view plaintext) const;
  Result<std::string> OpenPersonal(std::string_view raw_key, std::string_view owner,
                                   std::string_view sealed) const;

 private:
  std::vector<std::string> keks_;
};

}  // namespace mneme::infra::crypto
