#include "infra/hash/argon2.h"

#include <sched.h>

#include <algorithm>
#include <thread>

#include <argon2.h>

#include "infra/crypto/aead.h"
#include "infra/hash/base64.h"
#include "infra/hash/phc.h"

namespace mneme::infra::hash {
namespace {

constexpr uint32_t kArgon2Version = 19;  // 0x13, the only version Kratos accepts
constexpr uint32_t kMaxParallelism = 255;  // Kratos's uint8

Error FromArgon2(int rc) {
  std::string message = std::string("argon2: ") + argon2_error_message(rc);
  switch (rc) {
    case ARGON2_MEMORY_ALLOCATION_ERROR:
      return Error(Code::kResourceExhausted, std::move(message));
    case ARGON2_THREAD_FAIL:
      return Error(Code::kInternal, std::move(message));
    default:
      return Error(Code::kInvalidArgument, std::move(message));
  }
}

}  // namespace

uint32_t DefaultArgon2Parallelism() {
  cpu_set_t set;
  CPU_ZERO(&set);
  unsigned cpus = 0;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    cpus = static_cast<unsigned>(CPU_COUNT(&set));
  }
  if (cpus == 0) {
    cpus = std::max(1u, std::thread::hardware_concurrency());
  }
  return std::min<uint32_t>(2 * cpus, kMaxParallelism);
}

Status ValidateArgon2Params(const Argon2Params& params) {
  if (params.iterations < 1) {
    return MakeError(Code::kInvalidArgument, "argon2 iterations must be at least 1");
  }
  if (params.parallelism < 1 || params.parallelism > kMaxParallelism) {
    return MakeError(Code::kInvalidArgument, "argon2 parallelism must be between 1 and 255");
  }
  if (params.memory_kib < 8 * params.parallelism) {
    return MakeError(Code::kInvalidArgument,
                     "argon2 memory must be at least 8 KiB per degree of parallelism");
  }
  if (params.salt_length < ARGON2_MIN_SALT_LENGTH) {
    return MakeError(Code::kInvalidArgument, "argon2 salt length must be at least 8 bytes");
  }
  if (params.key_length < ARGON2_MIN_OUTLEN) {
    return MakeError(Code::kInvalidArgument, "argon2 key length must be at least 4 bytes");
  }
  return OkStatus();
}

Result<Argon2Hash> ParseArgon2Hash(std::string_view encoded) {
  const std::vector<std::string_view> fields = SplitFields(encoded);
  if (fields.size() != 6 || !fields[0].empty()) {
    return MakeError(Code::kInvalidArgument, "argon2 hash must have 6 '$'-separated fields");
  }
  Argon2Hash hash;
  if (fields[1] == "argon2id") {
    hash.variant = Argon2Variant::kArgon2id;
  } else if (fields[1] == "argon2i") {
    hash.variant = Argon2Variant::kArgon2i;
  } else {
    return MakeError(Code::kInvalidArgument, "not an argon2i or argon2id hash");
  }
  MNEME_TRY(auto version, ParseParams(fields[2], {"v"}));
  if (version[0] != kArgon2Version) {
    return MakeError(Code::kInvalidArgument, "incompatible version of argon2");
  }
  MNEME_TRY(auto params, ParseParams(fields[3], {"m", "t", "p"}));
  MNEME_TRY(hash.memory_kib, CheckRange(params[0], 1, UINT32_MAX, "argon2 memory"));
  MNEME_TRY(hash.iterations, CheckRange(params[1], 1, UINT32_MAX, "argon2 iterations"));
  MNEME_TRY(hash.parallelism, CheckRange(params[2], 1, kMaxParallelism, "argon2 parallelism"));
  MNEME_TRY(hash.salt, DecodeBase64(fields[4], Base64Padding::kRaw));
  MNEME_TRY(hash.key, DecodeBase64(fields[5], Base64Padding::kRaw));
  if (hash.key.empty()) {
    return MakeError(Code::kInvalidArgument, "argon2 hash has an empty key");
  }
  return hash;
}

std::string FormatArgon2Hash(const Argon2Hash& hash) {
  std::string out = hash.variant == Argon2Variant::kArgon2id ? "$argon2id" : "$argon2i";
  out += "$v=" + std::to_string(kArgon2Version);
  out += "$m=" + std::to_string(hash.memory_kib) + ",t=" + std::to_string(hash.iterations) +
         ",p=" + std::to_string(hash.parallelism);
  out += "$" + EncodeBase64(hash.salt, Base64Padding::kRaw);
  out += "$" + EncodeBase64(hash.key, Base64Padding::kRaw);
  return out;
}

Result<std::string> DeriveArgon2(Argon2Variant variant, std::string_view password,
                                 std::string_view salt, uint32_t memory_kib,
                                 uint32_t iterations, uint32_t parallelism,
                                 uint32_t key_length) {
  std::string key(key_length, '\0');
  const auto fn = variant == Argon2Variant::kArgon2id ? argon2id_hash_raw : argon2i_hash_raw;
  const int rc = fn(iterations, memory_kib, parallelism, password.data(), password.size(),
                    salt.data(), salt.size(), key.data(), key.size());
  if (rc != ARGON2_OK) {
    return tl::unexpected<Error>(FromArgon2(rc));
  }
  return key;
}

Result<std::string> HashArgon2id(std::string_view password, const Argon2Params& params) {
  MNEME_RETURN_IF_ERROR(ValidateArgon2Params(params));
  Argon2Hash hash;
  hash.variant = Argon2Variant::kArgon2id;
  hash.memory_kib = params.memory_kib;
  hash.iterations = params.iterations;
  hash.parallelism = params.parallelism;
  hash.salt = crypto::RandomBytes(params.salt_length);
  MNEME_TRY(hash.key, DeriveArgon2(Argon2Variant::kArgon2id, password, hash.salt,
                                   params.memory_kib, params.iterations, params.parallelism,
                                   params.key_length));
  return FormatArgon2Hash(hash);
}

}  // namespace mneme::infra::hash
