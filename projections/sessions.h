// Sessions: the session read model (sessions_v1), folded from session-*
// streams and from identity.deleted. Rows:
//   "s/<session id>"               -> the session as JSON (session ToJson)
//   "t/<token hash>"               -> <session id>  (live tokens only)
//   "l/<logout token hash>"        -> <session id>  (live sessions only)
//   "x/<identity id>/<session id>" -> ""           (sessions of an identity)
// A revoked session keeps its "s/" row (marked revoked) and loses its token
// rows, so its token no longer authenticates. Deleting an identity removes
// every row of its sessions at once. Expiry is decided at read time.
// Stateless apart from the cipher: safe on the writer and a rebuild thread.
#pragma once

#include <string>

#include "domain/event/personal_data.h"
#include "domain/event/projection.h"
#include "domain/session/session.h"

namespace mneme::projections {

class Sessions final : public domain::Projection {
 public:
  static constexpr const char* kName = "sessions_v1";
  explicit Sessions(domain::PersonalDataCipher& cipher) : cipher_(cipher) {}
  std::string Name() const override { return kName; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override;

  static std::string RowKey(const std::string& id) { return "s/" + id; }
  static std::string TokenKey(const std::string& hash) { return "t/" + hash; }
  static std::string LogoutKey(const std::string& hash) { return "l/" + hash; }
  static std::string IdentityPrefix(const std::string& identity_id) {
    return "x/" + identity_id + "/";
  }

  // Decodes one session event (opening the devices with the identity's key).
  // Errors: kDataLoss.
  static Result<domain::session::Event> DecodeEvent(domain::PersonalDataCipher& cipher,
                                                    const domain::EventEnvelope& event);

 private:
  Status RemoveIdentitySessions(const std::string& identity_id, domain::ProjectionWriter& rows);
  domain::PersonalDataCipher& cipher_;
};

}  // namespace mneme::projections
