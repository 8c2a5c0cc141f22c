// IdentityActivity: which events of other streams concern an identity
// (identity_activity_v1), so its audit history can show sign-ins, logouts and
// failed attempts beside the identity's own events. Rows:
//   "a/<identity id>/<position, 16 hex digits>" -> the event's stream
//   "s/<session id>"                            -> <identity id>
// Session events (issued, revoked, extended) and flow events that name an
// identity (flow.failed with a known account, flow.completed) are indexed.
// Rows stay when the identity is deleted or erased: the history is kept
// (what the events hold that is personal is sealed and goes with the keys).
// Stateless: safe on the writer and a rebuild thread at once.
#pragma once

#include <cstdint>
#include <string>

#include "domain/event/projection.h"

namespace mneme::projections {

class IdentityActivity final : public domain::Projection {
 public:
  static constexpr const char* kName = "identity_activity_v1";
  std::string Name() const override { return kName; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override;

  static std::string Prefix(const std::string& identity_id) { return "a/" + identity_id + "/"; }
  static std::string RowKey(const std::string& identity_id, uint64_t position);
  // The position encoded in a row key; 0 when malformed.
  static uint64_t PositionOf(const std::string& key);
};

}  // namespace mneme::projections
