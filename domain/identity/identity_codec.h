// JSON codecs of the identity aggregate: events split into plain and personal
// parts (the personal part is sealed by the caller), and the whole state as a
// read-model row. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "domain/identity/identity.h"

namespace mneme::domain::identity {

struct EncodedEvent {
  std::string type;
  uint32_t schema = 1;
  nlohmann::json plain = nlohmann::json::object();
  nlohmann::json personal;  // null when the event has none
};

EncodedEvent Encode(const Event& event);
// `personal` is null when the data key was erased: personal fields are empty.
// Errors: kDataLoss (unknown type or malformed payload).
Result<Event> Decode(const std::string& type, uint32_t schema, const nlohmann::json& plain,
                     const nlohmann::json& personal);

nlohmann::json ToJson(const Identity& identity);
Result<Identity> FromJson(const nlohmann::json& row);

}  // namespace mneme::domain::identity
