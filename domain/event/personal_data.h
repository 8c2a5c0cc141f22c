// PersonalDataCipher: seals and opens the personal part of event payloads
// with the owner's data key (design, "Personal data in an immutable log").
// Declared here for its consumers (application services, projections);
// implemented in infra/crypto/personal_data_vault.
//
// Event data with personal fields is stored as
//   {"plain": {...}, "pii": "<base64url AES-256-GCM of the personal JSON>"}.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::domain {

class PersonalDataCipher {
 public:
  virtual ~PersonalDataCipher() = default;
  // The data-key operation to append with the owner's first event, or
  // nullopt when the owner already has a key.
  virtual Result<std::optional<DataKeyOp>> EnsureKey(const std::string& owner) = 0;
  // A fresh key for an owner that has none yet (a new identity), without the
  // look-up EnsureKey makes.
  virtual Result<DataKeyOp> CreateKey(const std::string& owner) = 0;
  virtual Result<std::string> Seal(const std::string& owner, const std::string& plaintext) = 0;
  // Drops any cached copy of the owner's key (after its erasure).
  virtual void Forget(const std::string& owner) = 0;
  // nullopt when the owner's key was erased (crypto-shredded).
  // Errors: kDataLoss (tampered), kUnavailable.
  virtual Result<std::optional<std::string>> Open(const std::string& owner,
                                                  const std::string& sealed) = 0;
};

// {"plain": plain, "pii": Seal(personal)} as JSON text.
Result<std::string> SealEventData(PersonalDataCipher& cipher, const std::string& owner,
                                  const nlohmann::json& plain, const nlohmann::json& personal);

// The plain part of event data, without reading the sealed part.
// Errors: kDataLoss (not a JSON object).
Result<nlohmann::json> PlainOf(std::string_view data);

struct OpenedEventData {
  nlohmann::json plain;
  nlohmann::json personal;  // null when erased
  bool erased = false;
};
// Errors: kDataLoss (not JSON or tampered).
Result<OpenedEventData> OpenEventData(PersonalDataCipher& cipher, const std::string& owner,
                                      const std::string& data);
// As OpenEventData, for data whose key owner is named in its own plain part
// (`owner_key`, e.g. a session event's "identity_id"): parses it once.
Result<OpenedEventData> OpenEventDataOwnedBy(PersonalDataCipher& cipher, const char* owner_key,
                                             const std::string& data);

}  // namespace mneme::domain
