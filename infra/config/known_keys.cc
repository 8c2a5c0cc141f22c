// The keys of Kratos v1.3's config schema (embedx/config.schema.json) that a
// kratos.yml may set, as a shape: objects list their keys, arrays hold one
// element shape, leaves name a type. "any" accepts a free-form subtree (hook
// configs, templates, provider lists). mneme's own keys live under "mneme".
#include "infra/config/config.h"

namespace mneme::infra::config {
namespace {

constexpr const char* kShape = R"json({
  "version": "string",
  "dsn": "string",
  "dev": "bool",
  "watch_courier": "bool",
  "sqa-opt-out": "bool",
  "sqa": "any",
  "serve": {
    "public": {
      "base_url": "string", "host": "string", "port": "port",
      "cors": {"enabled": "bool", "allowed_origins": ["string"], "allowed_methods": ["string"],
               "allowed_headers": ["string"], "exposed_headers": ["string"],
               "allow_credentials": "bool", "options_passthrough": "bool", "max_age": "int",
               "debug": "bool"},
      "tls": "any", "socket": "any", "request_log": {"disable_for_health": "bool"}
    },
    "admin": {
      "base_url": "string", "host": "string", "port": "port",
      "tls": "any", "socket": "any", "request_log": {"disable_for_health": "bool"}
    }
  },
  "cookies": {"domain": "string", "path": "string", "same_site": "string"},
  "session": {
    "lifespan": "duration", "earliest_possible_extend": "duration",
    "cookie": {"name": "string", "persistent": "bool", "domain": "string", "path": "string",
               "same_site": "string"},
    "whoami": {"required_aal": "string", "tokenizer": "any"}
  },
  "selfservice": {
    "default_browser_return_url": "string",
    "allowed_return_urls": ["string"],
    "methods": {
      "password": {"enabled": "bool", "config": {"haveibeenpwned_host": "string",
        "haveibeenpwned_enabled": "bool", "max_breaches": "int", "ignore_network_errors": "bool",
        "min_password_length": "int", "identifier_similarity_check_enabled": "bool",
        "migrate_hook": "any"}},
      "code": {"enabled": "bool", "passwordless_enabled": "bool", "mfa_enabled": "bool",
               "passwordless_login_fallback_enabled": "bool",
               "config": {"lifespan": "duration", "missing_credential_fallback_enabled": "bool"}},
      "link": {"enabled": "bool", "config": {"base_url": "string", "lifespan": "duration"}},
      "totp": {"enabled": "bool", "config": {"issuer": "string"}},
      "lookup_secret": {"enabled": "bool", "config": "any"},
      "webauthn": {"enabled": "bool", "config": "any"},
      "passkey": {"enabled": "bool", "config": "any"},
      "oidc": {"enabled": "bool", "config": "any"},
      "saml": {"enabled": "bool", "config": "any"},
      "profile": {"enabled": "bool"}
    },
    "flows": {
      "error": {"ui_url": "string"},
      "settings": {"ui_url": "string", "lifespan": "duration",
                   "privileged_session_max_age": "duration", "required_aal": "string",
                   "before": "any", "after": "any"},
      "logout": {"after": {"default_browser_return_url": "string"}},
      "registration": {"enabled": "bool", "ui_url": "string", "lifespan": "duration",
                       "login_hints": "bool", "enable_legacy_one_step": "bool",
                       "before": "any", "after": "any"},
      "login": {"ui_url": "string", "lifespan": "duration", "style": "string",
                "before": "any", "after": "any"},
      "verification": {"enabled": "bool", "ui_url": "string", "lifespan": "duration",
                       "use": "string", "notify_unknown_recipients": "bool",
                       "before": "any", "after": "any"},
      "recovery": {"enabled": "bool", "ui_url": "string", "lifespan": "duration",
                   "use": "string", "notify_unknown_recipients": "bool",
                   "before": "any", "after": "any"}
    }
  },
  "courier": {
    "smtp": {"connection_uri": "string", "client_cert_path": "string",
             "client_key_path": "string", "from_address": "string", "from_name": "string",
             "headers": "any", "local_name": "string"},
    "template_override_path": "string",
    "templates": "any",
    "message_retries": "int",
    "delivery_strategy": "string",
    "http": "any",
    "channels": "any",
    "worker": {"pull_count": "int", "pull_wait": "duration"}
  },
  "oauth2_provider": "any",
  "preview": {"default_read_consistency_level": "string"},
  "log": {"level": "string", "format": "string", "leak_sensitive_values": "bool",
          "redaction_text": "string"},
  "identity": {
    "default_schema_id": "string",
    "schemas": [{"id": "string", "url": "string"}]
  },
  "secrets": {"default": ["string"], "cookie": ["string"], "cipher": ["string"],
              "pagination": ["string"]},
  "hashers": {
    "algorithm": "string",
    "bcrypt": {"cost": "int"},
    "argon2": {"memory": "string", "iterations": "int", "parallelism": "int",
               "salt_length": "int", "key_length": "int", "expected_duration": "duration",
               "expected_deviation": "duration", "dedicated_memory": "string"}
  },
  "ciphers": {"algorithm": "string"},
  "tracing": "any",
  "database": "any",
  "clients": "any",
  "feature_flags": "any",
  "security": "any",
  "organizations": "any",
  "enterprise": "any",
  "expose-metrics-port": "int",
  "config_version": "string",
  "mneme": {
    "serve": {"public": {"threads": "int"}, "admin": {"threads": "int"}},
    "identities": {"erase_on_delete": "bool"},
    "throttle": "any",
    "passwords": {"breached_list": "string"},
    "kafka": "any",
    "retention": "any",
    "replica": "any"
  }
})json";

}  // namespace

const nlohmann::json& KnownKeys() {
  static const nlohmann::json shape = nlohmann::json::parse(kShape);
  return shape;
}

}  // namespace mneme::infra::config
