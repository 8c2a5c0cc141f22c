#include "projections/flow_retention.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "domain/event/personal_data.h"

namespace mneme::projections {

std::string FlowRetention::ExpiryBound(domain::Timestamp t) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(t.micros < 0 ? 0 : t.micros));
  return "e/" + std::string(hex);
}

std::string FlowRetention::ExpiryKey(domain::Timestamp expires_at, const std::string& flow_id) {
  return ExpiryBound(expires_at) + "/" + flow_id;
}

std::string FlowRetention::FlowOf(const std::string& expiry_key) {
  const size_t slash = expiry_key.rfind('/');
  return slash == std::string::npos ? "" : expiry_key.substr(slash + 1);
}

Status FlowRetention::Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) {
  if (event.stream.rfind("flow-", 0) != 0) {
    return OkStatus();
  }
  const std::string id = event.stream.substr(5);
  if (event.type == "flow.created") {
    // Only plain fields are read: no keys needed.
    auto parsed = domain::PlainOf(event.data);
    const nlohmann::json plain = parsed ? std::move(*parsed) : nlohmann::json::object();
    const std::string owner = plain.is_object() ? plain.value("identity_id", "") : "";
    if (owner.empty() && plain.is_object() && plain.contains("expires_at") &&
        plain["expires_at"].is_number_integer()) {
      const std::string key =
          ExpiryKey(domain::Timestamp{plain["expires_at"].get<int64_t>()}, id);
      rows.Put(key, "");
      rows.Put("f/" + id, key);
    }
    return OkStatus();
  }
  // The events that can name an identity, or end the retention.
  if (event.type != "flow.failed" && event.type != "flow.completed" &&
      event.type != "flow.code_sent" && event.type != "flow.data_expired") {
    return OkStatus();
  }
  MNEME_TRY(auto key, rows.Get("f/" + id));
  if (!key) {
    return OkStatus();  // linked already: nothing to track
  }
  if (event.type != "flow.data_expired") {
    auto parsed = domain::PlainOf(event.data);
    const bool linked = parsed && parsed->is_object() && !parsed->value("identity_id", "").empty();
    if (!linked) {
      return OkStatus();
    }
  }
  rows.Delete(*key);
  rows.Delete("f/" + id);
  return OkStatus();
}

}  // namespace mneme::projections
