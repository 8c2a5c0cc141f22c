// FlowRetention: the flows whose personal data nobody owns (flow_retention_v1).
// A flow's data key is deleted with its identity's erasure once the flow
// concerned an identity (a sign-in attempt on an account, a registration, a
// code sent to a known address); flows that never did (an unknown identifier,
// an abandoned form) would keep theirs for ever. Rows:
//   "e/<be hex expires_at>/<flow id>" -> ""        (unlinked flows by expiry)
//   "f/<flow id>"                      -> the "e/" key
// flow.created adds them; any flow event naming an identity, and
// flow.data_expired, removes them. The retention job
// (api/selfservice/flow_retention_job.h) expires the data of due flows.
// Stateless: safe on the writer and a rebuild thread.
#pragma once

#include <string>

#include "domain/event/projection.h"

namespace mneme::projections {

class FlowRetention final : public domain::Projection {
 public:
  static constexpr const char* kName = "flow_retention_v1";
  std::string Name() const override { return kName; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override;

  static std::string ExpiryKey(domain::Timestamp expires_at, const std::string& flow_id);
  // The flow id of an "e/" key.
  static std::string FlowOf(const std::string& expiry_key);
  // Prefix of "e/" keys that expire before `t` (for a range scan from "e/").
  static std::string ExpiryBound(domain::Timestamp t);
};

}  // namespace mneme::projections
