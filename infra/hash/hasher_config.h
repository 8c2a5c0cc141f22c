// HasherConfig from Kratos's `hashers` config block (algorithm, bcrypt.cost,
// argon2.{memory, iterations, parallelism, salt_length, key_length}).
#pragma once

#include <nlohmann/json.hpp>

#include "infra/hash/hasher.h"

namespace mneme::infra::hash {

enum class DevMode { kOff, kOn };

// Outside --dev a bcrypt cost below 12 is raised to 12, as Kratos does.
// Errors: kInvalidArgument naming the key (e.g. argon2.memory "12 apples").
Result<HasherConfig> HasherConfigFrom(const nlohmann::json& config_tree, DevMode dev);

// "128MB", "1GB", "131072KB", "4096" (bytes) -> bytes; 1 KB = 1024 bytes.
Result<uint64_t> ParseByteSize(const std::string& text);

}  // namespace mneme::infra::hash
