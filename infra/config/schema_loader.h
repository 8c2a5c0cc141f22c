// Loads identity schema documents named by identity.schemas[].url:
// file:// (absolute or relative path), base64:// (standard or URL alphabet)
// and http(s):// (fetched once at start).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infra/config/config.h"

namespace mneme::infra::config {

struct SchemaDocument {
  std::string id;
  std::string url;
  nlohmann::json document;
  std::string text;  // as fetched: keeps the authors' key order
};

// Errors: kInvalidArgument naming identity.schemas.<i>.url and the cause.
Result<std::vector<SchemaDocument>> LoadSchemaDocuments(const Config& config);

}  // namespace mneme::infra::config
