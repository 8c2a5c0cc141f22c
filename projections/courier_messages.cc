#include "projections/courier_messages.h"

#include <nlohmann/json.hpp>

namespace mneme::projections {

using nlohmann::json;

std::string CourierMessages::OrderKey(domain::Timestamp created, const std::string& id) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(UINT64_MAX - static_cast<uint64_t>(created.micros)));
  return "o/" + std::string(hex) + "/" + id;
}

std::string CourierMessages::StatusAfter(const std::string& type) {
  if (type == "courier.message.queued" || type == "courier.message.dispatch_failed") {
    return "queued";
  }
  if (type == "courier.message.processing") {
    return "processing";
  }
  if (type == "courier.message.sent") {
    return "sent";
  }
  if (type == "courier.message.abandoned") {
    return "abandoned";
  }
  return "";
}

Status CourierMessages::Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) {
  if (event.stream.rfind("identity-", 0) == 0) {
    if (event.type != "identity.deleted") {
      return OkStatus();
    }
    const std::string prefix = IdentityPrefix(event.stream.substr(9));
    MNEME_TRY(auto keys, rows.Keys(prefix, SIZE_MAX));
    for (const auto& key : keys) {
      const std::string id = key.substr(prefix.size());
      MNEME_TRY(auto existing, rows.Get(RowKey(id)));
      if (existing) {
        auto row = json::parse(*existing, nullptr, false);
        if (row.is_object() && row.contains("order")) {
          rows.Delete(row["order"].get<std::string>());
        }
      }
      rows.Delete(RowKey(id));
      rows.Delete(QueueKey(id));
      rows.Delete(key);
    }
    return OkStatus();
  }
  if (event.stream.rfind("message-", 0) != 0) {
    return OkStatus();
  }
  const std::string id = event.stream.substr(8);
  const std::string status = StatusAfter(event.type);
  if (status.empty()) {
    return OkStatus();
  }
  json row;
  if (event.type == "courier.message.queued") {
    MNEME_TRY(auto opened, domain::OpenEventData(cipher_, event.stream, event.data));
    const json& personal = opened.personal.is_object() ? opened.personal : json::object();
    const json& plain = opened.plain.is_object() ? opened.plain : json::object();
    row = {{"recipient", personal.value("recipient", "")},
           {"identity_id", plain.value("identity_id", "")},
           {"template_type", plain.value("template_type", "")}};
    if (!row["identity_id"].get<std::string>().empty()) {
      rows.Put(IdentityPrefix(row["identity_id"].get<std::string>()) + id, "");
    }
    const std::string order = OrderKey(event.time, id);
    row["order"] = order;
    rows.Put(order, id);
  } else {
    MNEME_TRY(auto existing, rows.Get(RowKey(id)));
    if (!existing) {
      return OkStatus();  // its identity was deleted
    }
    row = json::parse(*existing, nullptr, false);
    if (!row.is_object()) {
      return MakeError(Code::kDataLoss, "courier message row is not JSON");
    }
  }
  row["status"] = status;
  rows.Put(RowKey(id), row.dump());
  if (status == "queued" || status == "processing") {
    rows.Put(QueueKey(id), "");
  } else {
    rows.Delete(QueueKey(id));
  }
  return OkStatus();
}

}  // namespace mneme::projections
