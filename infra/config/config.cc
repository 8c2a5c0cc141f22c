#include "infra/config/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>

#include <yaml-cpp/yaml.h>

#include "infra/config/duration.h"

extern char** environ;

namespace mneme::infra::config {
namespace {

using nlohmann::json;

Error Bad(const std::string& key, const std::string& what) {
  return Error(Code::kInvalidArgument, "config: " + key + ": " + what);
}

// YAML scalars become JSON by their look, as a YAML 1.2 core schema would:
// quoted scalars stay strings.
json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        obj[kv.first.as<std::string>()] = YamlToJson(kv.second);
      }
      return obj;
    }
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) {
        arr.push_back(YamlToJson(item));
      }
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() == "!") {
        return s;
      }
      if (s == "true" || s == "True" || s == "TRUE") {
        return true;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        return false;
      }
      if (s == "null" || s == "~" || s.empty()) {
        return nullptr;
      }
      if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
        char* end = nullptr;
        errno = 0;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (end && *end == '\0' && errno == 0) {
          return v;
        }
      }
      return s;
    }
    default:
      return nullptr;
  }
}

// Objects merge key by key; anything else (arrays included) is replaced.
void Merge(json& into, const json& from) {
  if (into.is_object() && from.is_object()) {
    for (auto it = from.begin(); it != from.end(); ++it) {
      Merge(into[it.key()], it.value());
    }
  } else {
    into = from;
  }
}

void FindUnknown(const json& value, const json& shape, const std::string& path,
                 std::vector<std::string>& out) {
  if (shape.is_string() || value.is_null()) {
    return;  // leaf or "any": nothing below to check
  }
  if (shape.is_array()) {
    if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        FindUnknown(value[i], shape[0], path + "." + std::to_string(i), out);
      }
    }
    return;
  }
  if (!value.is_object()) {
    return;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string child = path.empty() ? it.key() : path + "." + it.key();
    if (!shape.contains(it.key())) {
      out.push_back(child);
    } else {
      FindUnknown(it.value(), shape[it.key()], child, out);
    }
  }
}

std::vector<std::string> SplitUpper(const std::string& key) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : key) {
    if (c == '_' || c == '-') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  parts.push_back(cur);
  return parts;
}

struct EnvTarget {
  json::json_pointer pointer;
  std::string type;  // leaf type, "array", "object" or "any"
};

// Resolves env tokens against the shape: SERVE_PUBLIC_BASE_URL ->
// /serve/public/base_url. Keys may contain '_' themselves, so this backtracks.
bool Resolve(const json& shape, const std::vector<std::string>& tokens, size_t at,
             json::json_pointer pointer, EnvTarget& out) {
  if (at == tokens.size()) {
    out.pointer = pointer;
    out.type = shape.is_string() ? shape.get<std::string>()
               : shape.is_array() ? "array"
                                  : "object";
    return true;
  }
  if (shape.is_string()) {
    return false;
  }
  if (shape.is_array()) {
    const std::string& idx = tokens[at];
    if (idx.empty() || !std::all_of(idx.begin(), idx.end(), ::isdigit)) {
      return false;
    }
    return Resolve(shape[0], tokens, at + 1, pointer / std::stoul(idx), out);
  }
  for (auto it = shape.begin(); it != shape.end(); ++it) {
    auto parts = SplitUpper(it.key());
    if (at + parts.size() > tokens.size()) {
      continue;
    }
    if (std::equal(parts.begin(), parts.end(), tokens.begin() + static_cast<long>(at)) &&
        Resolve(it.value(), tokens, at + parts.size(), pointer / it.key(), out)) {
      return true;
    }
  }
  return false;
}

Status ApplyEnv(json& tree, const Environment& env) {
  for (const auto& [name, value] : env) {
    if (name.empty() || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
                            std::string::npos) {
      continue;
    }
    EnvTarget target;
    if (!Resolve(KnownKeys(), SplitUpper(name), 0, json::json_pointer(), target)) {
      continue;
    }
    json v;
    if (target.type == "int" || target.type == "port") {
      char* end = nullptr;
      long long n = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') {
        return tl::unexpected(Bad(name, "\"" + value + "\" is not an integer"));
      }
      v = n;
    } else if (target.type == "bool") {
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        return tl::unexpected(Bad(name, "\"" + value + "\" is not true or false"));
      }
      v = value == "true" || value == "1";
    } else if (target.type == "array" || target.type == "object" || target.type == "any") {
      v = json::parse(value, nullptr, false);
      if (v.is_discarded()) {
        if (target.type != "array") {
          return tl::unexpected(Bad(name, "expects a JSON value"));
        }
        v = json::array({value});  // a single entry, e.g. SECRETS_CIPHER=<32 chars>
      }
    } else {
      v = value;
    }
    tree[target.pointer] = v;
  }
  return OkStatus();
}

const json* At(const json& tree, const std::string& dotted) {
  const json* cur = &tree;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(key)) {
      return nullptr;
    }
    cur = &(*cur)[key];
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  return cur;
}

// Checks every leaf's type against the shape and every duration's syntax.
Status CheckTypes(const json& value, const json& shape, const std::string& path) {
  if (value.is_null()) {
    return OkStatus();
  }
  if (shape.is_array()) {
    if (!value.is_array()) {
      return tl::unexpected(Bad(path, "must be a list"));
    }
    for (size_t i = 0; i < value.size(); ++i) {
      MNEME_RETURN_IF_ERROR(CheckTypes(value[i], shape[0], path + "." + std::to_string(i)));
    }
    return OkStatus();
  }
  if (shape.is_object()) {
    if (!value.is_object()) {
      return tl::unexpected(Bad(path, "must be a map"));
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (shape.contains(it.key())) {
        MNEME_RETURN_IF_ERROR(CheckTypes(it.value(), shape[it.key()],
                                         path.empty() ? it.key() : path + "." + it.key()));
      }
    }
    return OkStatus();
  }
  const std::string type = shape.get<std::string>();
  if (type == "string" && !value.is_string() && !value.is_number()) {
    return tl::unexpected(Bad(path, "must be a string"));
  }
  if (type == "bool" && !value.is_boolean()) {
    return tl::unexpected(Bad(path, "must be true or false"));
  }
  if (type == "int" && !value.is_number_integer()) {
    return tl::unexpected(Bad(path, "must be an integer"));
  }
  if (type == "port") {
    if (!value.is_number_integer()) {
      return tl::unexpected(Bad(path, "must be a port number"));
    }
    auto port = value.get<long long>();
    if (port < 0 || port > 65535) {
      return tl::unexpected(Bad(path, std::to_string(port) + " is not a port (0 to 65535)"));
    }
  }
  if (type == "duration") {
    if (!value.is_string()) {
      return tl::unexpected(Bad(path, "must be a duration such as 10m or 1h"));
    }
    auto d = ParseDuration(value.get<std::string>());
    if (!d) {
      return tl::unexpected(Bad(path, d.error().message()));
    }
  }
  return OkStatus();
}

std::string Str(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<std::string> Strings(const json& tree, const std::string& path) {
  std::vector<std::string> out;
  if (const json* v = At(tree, path); v && v->is_array()) {
    for (const auto& s : *v) {
      out.push_back(Str(s));
    }
  }
  return out;
}

Status ParseDsn(Config& c) {
  const std::string& dsn = c.dsn;
  if (dsn.empty()) {
    return tl::unexpected(Bad("dsn", "is required (rocksdb:///path/to/dir, a directory path, or memory)"));
  }
  if (dsn == "memory") {
    c.dsn_kind = DsnKind::kMemory;
    return OkStatus();
  }
  const std::string scheme = "rocksdb://";
  if (dsn.rfind(scheme, 0) == 0) {
    c.store_path = dsn.substr(scheme.size());
    if (c.store_path.empty() || c.store_path[0] != '/') {
      return tl::unexpected(Bad("dsn", "rocksdb DSNs take an absolute path: rocksdb:///var/lib/mneme"));
    }
    return OkStatus();
  }
  if (dsn.find("://") != std::string::npos) {
    return tl::unexpected(Bad("dsn", "\"" + RedactDsn(dsn) +
                                         "\" is not supported: mneme stores its log in RocksDB; "
                                         "use rocksdb:///path/to/dir, a directory path, or memory"));
  }
  c.store_path = dsn;
  return OkStatus();
}

Status CheckValues(Config& c) {
  MNEME_RETURN_IF_ERROR(ParseDsn(c));
  for (size_t i = 0; i < c.secrets_cipher.size(); ++i) {
    if (c.secrets_cipher[i].size() != 32) {
      return tl::unexpected(Bad("secrets.cipher." + std::to_string(i),
                                "must be exactly 32 characters long (it has " +
                                    std::to_string(c.secrets_cipher[i].size()) + ")"));
    }
  }
  for (const char* key : {"default", "cookie"}) {
    auto list = key == std::string("default") ? c.secrets_default : c.secrets_cookie;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].size() < 16) {
        return tl::unexpected(Bad(std::string("secrets.") + key + "." + std::to_string(i),
                                  "must be at least 16 characters long"));
      }
    }
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info",  "warn",
                                                  "warning", "error", "fatal", "panic"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
    return tl::unexpected(Bad("log.level", "\"" + c.log_level +
                                               "\" is not one of trace, debug, info, warn, error, fatal, panic"));
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return tl::unexpected(Bad("log.format", "\"" + c.log_format + "\" is not text or json"));
  }
  const std::string same_site = c.GetString("cookies.same_site", "Lax");
  if (same_site != "Lax" && same_site != "Strict" && same_site != "None") {
    return tl::unexpected(Bad("cookies.same_site", "must be Lax, Strict or None"));
  }
  const std::string algorithm = c.GetString("hashers.algorithm", "bcrypt");
  if (algorithm != "bcrypt" && algorithm != "argon2") {
    return tl::unexpected(Bad("hashers.algorithm", "must be bcrypt or argon2"));
  }
  if (const json* cost = At(c.tree, "hashers.bcrypt.cost"); cost && cost->is_number_integer()) {
    auto v = cost->get<int>();
    if (v < 4 || v > 31) {
      return tl::unexpected(Bad("hashers.bcrypt.cost", "must be between 4 and 31"));
    }
  }
  for (auto* l : {&c.public_api, &c.admin_api}) {
    if (l->threads < 1 || l->threads > 4096) {
      return tl::unexpected(Bad(l == &c.public_api ? "mneme.serve.public.threads"
                                                    : "mneme.serve.admin.threads",
                                "must be between 1 and 4096"));
    }
  }
  for (size_t i = 0; i < c.schemas.size(); ++i) {
    const auto& url = c.schemas[i].url;
    const bool known = url.rfind("file://", 0) == 0 || url.rfind("base64://", 0) == 0 ||
                       url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    if (!known) {
      return tl::unexpected(Bad("identity.schemas." + std::to_string(i) + ".url",
                                "\"" + url + "\" must be a file://, base64://, http:// or https:// URL"));
    }
    if (c.schemas[i].id.empty()) {
      return tl::unexpected(Bad("identity.schemas." + std::to_string(i) + ".id", "is required"));
    }
  }
  return OkStatus();
}

}  // namespace

std::string Config::GetString(const std::string& path, const std::string& fallback) const {
  const json* v = At(tree, path);
  return v && !v->is_null() ? Str(*v) : fallback;
}

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) {
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return env;
}

std::string RedactDsn(const std::string& dsn) {
  auto scheme = dsn.find("://");
  auto at = dsn.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) {
    return dsn;
  }
  auto colon = dsn.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) {
    return dsn;
  }
  return dsn.substr(0, colon + 1) + "xxxxx" + dsn.substr(at);
}

Result<Config> LoadConfig(const std::vector<std::string>& files, const Environment& env) {
  Config c;
  c.tree = json::object();
  for (const auto& file : files) {
    if (!std::filesystem::exists(file)) {
      return MakeError(Code::kInvalidArgument, "config: file " + file + " does not exist");
    }
    try {
      YAML::Node root = YAML::LoadFile(file);
      json part = YamlToJson(root);
      if (!part.is_null() && !part.is_object()) {
        return MakeError(Code::kInvalidArgument, "config: " + file + " is not a map of keys");
      }
      if (part.is_object()) {
        Merge(c.tree, part);
      }
    } catch (const YAML::Exception& e) {
      return MakeError(Code::kInvalidArgument, "config: " + file + ": " + e.what());
    }
  }
  MNEME_RETURN_IF_ERROR(ApplyEnv(c.tree, env));
  FindUnknown(c.tree, KnownKeys(), "", c.warnings);
  for (auto& w : c.warnings) {
    w = "unknown config key " + w + " (ignored)";
  }
  MNEME_RETURN_IF_ERROR(CheckTypes(c.tree, KnownKeys(), ""));

  c.dsn = c.GetString("dsn");
  auto listener = [&](Listener& l, const std::string& name, int port, int threads) {
    l.host = c.GetString("serve." + name + ".host", "0.0.0.0");
    const json* p = At(c.tree, "serve." + name + ".port");
    l.port = p && p->is_number_integer() ? p->get<int>() : port;
    const json* t = At(c.tree, "mneme.serve." + name + ".threads");
    l.threads = t && t->is_number_integer() ? t->get<int>() : threads;
    const std::string shown_host = l.host == "0.0.0.0" || l.host.empty() ? "127.0.0.1" : l.host;
    l.base_url = c.GetString("serve." + name + ".base_url",
                             "http://" + shown_host + ":" + std::to_string(l.port) + "/");
  };
  listener(c.public_api, "public", 4433, 128);
  listener(c.admin_api, "admin", 4434, 16);
  c.log_level = c.GetString("log.level", "info");
  c.log_format = c.GetString("log.format", "text");
  if (const json* v = At(c.tree, "log.leak_sensitive_values"); v && v->is_boolean()) {
    c.log_leak_sensitive_values = v->get<bool>();
  }
  c.secrets_default = Strings(c.tree, "secrets.default");
  c.secrets_cookie = Strings(c.tree, "secrets.cookie");
  c.secrets_cipher = Strings(c.tree, "secrets.cipher");
  c.default_schema_id = c.GetString("identity.default_schema_id", "default");
  if (const json* s = At(c.tree, "identity.schemas"); s && s->is_array()) {
    for (const auto& item : *s) {
      if (item.is_object()) {
        c.schemas.push_back(SchemaRef{item.value("id", ""), item.value("url", "")});
      }
    }
  }
  MNEME_RETURN_IF_ERROR(CheckValues(c));
  return c;
}

Status CheckResources(const Config& config) {
  for (size_t i = 0; i < config.schemas.size(); ++i) {
    const auto& url = config.schemas[i].url;
    if (url.rfind("file://", 0) == 0) {
      const std::string path = url.substr(7);
      std::ifstream in(path);
      if (!in) {
        return MakeError(Code::kInvalidArgument,
                         "config: identity.schemas." + std::to_string(i) + ".url: schema file " +
                             path + " does not exist or cannot be read");
      }
    }
  }
  return OkStatus();
}

}  // namespace mneme::infra::config
