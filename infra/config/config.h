// Config: Kratos's kratos.yml, read with yaml-cpp, merged over several files,
// with Kratos's environment overrides (the key path upper-cased and joined by
// '_': DSN, SERVE_PUBLIC_PORT, LOG_LEVEL, IDENTITY_SCHEMAS_0_URL, ...).
//
// LoadConfig parses and checks values; CheckResources checks what the values
// point at (schema files). Each failure is one line naming the key. Unknown
// keys are warnings, by name. Value type, immutable after load.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"

namespace mneme::infra::config {

struct Listener {
  std::string host;
  int port = 0;
  std::string base_url;
  int threads = 0;  // mneme.serve.<name>.threads
};

struct SchemaRef {
  std::string id;
  std::string url;
};

enum class DsnKind { kRocksDb, kMemory };

struct Config {
  nlohmann::json tree;  // everything, after merging and env overrides

  std::string dsn;
  DsnKind dsn_kind = DsnKind::kRocksDb;
  std::string store_path;  // empty for memory

  Listener public_api;
  Listener admin_api;

  std::string log_level = "info";
  std::string log_format = "text";
  bool log_leak_sensitive_values = false;

  std::vector<std::string> secrets_default;
  std::vector<std::string> secrets_cookie;
  std::vector<std::string> secrets_cipher;

  std::string default_schema_id = "default";
  std::vector<SchemaRef> schemas;

  std::vector<std::string> warnings;  // unknown keys and the like

  // A string at a dotted path ("selfservice.flows.login.ui_url"), or fallback.
  std::string GetString(const std::string& path, const std::string& fallback = "") const;
};

using Environment = std::map<std::string, std::string>;
Environment ProcessEnvironment();

// Errors: kInvalidArgument with a one-line message naming the key or file.
Result<Config> LoadConfig(const std::vector<std::string>& files, const Environment& env);

// Checks that file:// schema URLs exist and are readable.
// Errors: kInvalidArgument naming the key.
Status CheckResources(const Config& config);

// The DSN with any password replaced by "xxxxx", for logs.
std::string RedactDsn(const std::string& dsn);

// The shape of Kratos's config schema (known_keys.cc): objects of known keys;
// leaves are type names ("string", "int", "bool", "duration", "port", "any").
const nlohmann::json& KnownKeys();

}  // namespace mneme::infra::config
