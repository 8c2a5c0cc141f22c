#include "projections/identity_activity.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "domain/event/personal_data.h"

namespace mneme::projections {

std::string IdentityActivity::RowKey(const std::string& identity_id, uint64_t position) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(position));
  return Prefix(identity_id) + hex;
}

uint64_t IdentityActivity::PositionOf(const std::string& key) {
  if (key.size() < 16) {
    return 0;
  }
  return std::strtoull(key.substr(key.size() - 16).c_str(), nullptr, 16);
}

Status IdentityActivity::Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) {
  const bool session = event.stream.rfind("session-", 0) == 0;
  const bool flow = event.stream.rfind("flow-", 0) == 0;
  if (!session && !flow) {
    return OkStatus();
  }
  // Only plain fields are read: no keys needed.
  auto parsed = domain::PlainOf(event.data);
  const nlohmann::json plain = parsed ? std::move(*parsed) : nlohmann::json::object();
  std::string identity = plain.is_object() ? plain.value("identity_id", "") : "";
  if (session) {
    const std::string sid = event.stream.substr(8);
    if (identity.empty()) {
      MNEME_TRY(auto owner, rows.Get("s/" + sid));
      identity = owner.value_or("");
    } else {
      rows.Put("s/" + sid, identity);
    }
  } else if (event.type != "flow.failed" && event.type != "flow.completed" &&
             event.type != "flow.code_sent") {
    return OkStatus();
  }
  if (!identity.empty()) {
    rows.Put(RowKey(identity, event.position.value()), event.stream);
  }
  return OkStatus();
}

}  // namespace mneme::projections
