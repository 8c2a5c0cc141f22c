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
#include "domain/event/projection.h"

namespace mneme::api {

struct HistoryPage {
  nlohmann::json events = nlohmann::json::array();
  uint64_t next_position = 0;  // 0 on the last page
};

class AuditService {
 public:
  AuditService(domain::EventStore& store, domain::ProjectionReader& reads,
               domain::PersonalDataCipher& cipher, const IdentityService& identities)
      : store_(store), reads_(reads), cipher_(cipher), identities_(identities) {}

  // The identity's events and the events of its sessions and self-service
  // flows (identity_activity_v1: sign-ins with device, logouts, failed
  // attempts on its account), in log order, from global position
  // `from_position`, at most `limit`. Errors: kNotFound (no such identity, ever).
  Result<HistoryPage> History(const std::string& id, uint64_t from_position, size_t limit);

  // The identity as it was at `at` (rendered as GET /admin/identities/{id}).
  // Errors: kNotFound (it did not exist at that instant).
  Result<nlohmann::json> At(const std::string& id, domain::Timestamp at);

 private:
  Result<nlohmann::json> ActivityItem(const std::string& identity_id, uint64_t position);

  domain::EventStore& store_;
  domain::ProjectionReader& reads_;
  domain::PersonalDataCipher& cipher_;
  const IdentityService& identities_;
};

}  // namespace mneme::api
