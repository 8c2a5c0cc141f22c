// AuditService: an identity's history from its event stream (a mneme
// extension, docs/api.md): every event with its type, time, actor, request id
// and what changed, and the identity as it was at any instant, rebuilt by
// folding its events up to it. Secrets and hashes are never shown; events
// whose personal data was erased keep their shape and say so.
// Thread-safe (stateless over thread-safe ports).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/admin/identity_service.h"
#include "domain/event/event_store.h"
#include "domain/event/personal_data.h"

namespace mneme::api {

struct HistoryPage {
  nlohmann::json events = nlohmann::json::array();
  uint64_t next_version = 0;  // 0 on the last page
};

class AuditService {
 public:
  AuditService(domain::EventStore& store, domain::PersonalDataCipher& cipher,
               const IdentityService& identities)
      : store_(store), cipher_(cipher), identities_(identities) {}

  // Events of the identity with stream version >= from_version, at most
  // `limit`. Errors: kNotFound (no such identity, ever).
  Result<HistoryPage> History(const std::string& id, uint64_t from_version, size_t limit);

  // The identity as it was at `at` (rendered as GET /admin/identities/{id}).
  // Errors: kNotFound (it did not exist at that instant).
  Result<nlohmann::json> At(const std::string& id, domain::Timestamp at);

 private:
  domain::EventStore& store_;
  domain::PersonalDataCipher& cipher_;
  const IdentityService& identities_;
};

}  // namespace mneme::api
