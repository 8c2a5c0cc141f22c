#include "infra/hash/hasher_config.h"

#include <cctype>

namespace mneme::infra::hash {

Result<uint64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  if (i == 0) {
    return MakeError(Code::kInvalidArgument, "\"" + text + "\" is not a size such as 128MB");
  }
  double number = std::stod(text.substr(0, i));
  std::string unit;
  for (size_t k = i; k < text.size(); ++k) {
    if (!std::isspace(static_cast<unsigned char>(text[k]))) {
      unit.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[k]))));
    }
  }
  double scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KB" || unit == "K" || unit == "KIB") {
    scale = 1024;
  } else if (unit == "MB" || unit == "M" || unit == "MIB") {
    scale = 1024.0 * 1024;
  } else if (unit == "GB" || unit == "G" || unit == "GIB") {
    scale = 1024.0 * 1024 * 1024;
  } else {
    return MakeError(Code::kInvalidArgument, "\"" + text + "\" is not a size such as 128MB");
  }
  return static_cast<uint64_t>(number * scale);
}

Result<HasherConfig> HasherConfigFrom(const nlohmann::json& tree, DevMode dev) {
  HasherConfig c;
  const nlohmann::json h = tree.contains("hashers") && tree["hashers"].is_object() ? tree["hashers"]
                                                                                   : nlohmann::json::object();
  if (h.value("algorithm", "bcrypt") == "argon2") {
    c.algorithm = HasherConfig::Algorithm::kArgon2;
  }
  const nlohmann::json bcrypt = h.value("bcrypt", nlohmann::json::object());
  c.bcrypt_cost = bcrypt.value("cost", 12);
  if (dev == DevMode::kOff && c.bcrypt_cost < 12) {
    c.bcrypt_cost = 12;
  }
  const nlohmann::json a = h.value("argon2", nlohmann::json::object());
  if (a.contains("memory")) {
    const auto& m = a["memory"];
    if (m.is_number_integer()) {
      c.argon2_memory_kib = static_cast<uint32_t>(m.get<uint64_t>() / 1024);
    } else if (m.is_string()) {
      auto bytes = ParseByteSize(m.get<std::string>());
      if (!bytes) {
        return MakeError(Code::kInvalidArgument, "config: hashers.argon2.memory: " + bytes.error().message());
      }
      c.argon2_memory_kib = static_cast<uint32_t>(*bytes / 1024);
    }
  }
  c.argon2_iterations = a.value("iterations", c.argon2_iterations);
  c.argon2_parallelism = a.value("parallelism", c.argon2_parallelism);
  c.argon2_salt_length = a.value("salt_length", c.argon2_salt_length);
  c.argon2_key_length = a.value("key_length", c.argon2_key_length);
  return c;
}

}  // namespace mneme::infra::hash
