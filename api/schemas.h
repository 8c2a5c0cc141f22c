// SchemaRegistry: the configured identity schemas, compiled, and the public
// GET /schemas and GET /schemas/{id} endpoints. Immutable after Create:
// thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/http/router.h"
#include "domain/identity/schema_validator.h"

namespace mneme::api {

struct SchemaEntry {
  std::string id;
  std::string url;
  nlohmann::json document;
  domain::identity::CompiledSchema compiled;
  // The document in its authors' key order (form nodes follow it).
  nlohmann::ordered_json ordered;
};

class SchemaRegistry {
 public:
  struct Source {
    std::string id;
    std::string url;
    nlohmann::json document;
    std::string text;  // optional: the source text, for key order
  };
  // Errors: kInvalidArgument naming the schema that does not compile.
  static Result<std::unique_ptr<SchemaRegistry>> Create(std::vector<Source> sources,
                                                        std::string default_id,
                                                        std::string public_base_url);

  // By id, or by the base64url-encoded id (as in schema_url). Null if unknown.
  const SchemaEntry* Find(const std::string& id) const;
  const std::string& default_id() const { return default_id_; }
  // "<public base>/schemas/<base64url(id)>"
  std::string SchemaUrl(const std::string& id) const;
  const std::vector<SchemaEntry>& entries() const { return entries_; }

 private:
  std::vector<SchemaEntry> entries_;
  std::string default_id_;
  std::string public_base_url_;
};

void AddSchemaRoutes(Router& router, const SchemaRegistry& registry);

}  // namespace mneme::api
