// Argon2 (libargon2) in Kratos's encoding:
//   $argon2id$v=19$m=<KiB>,t=<iterations>,p=<parallelism>$<salt>$<key>
// with salt and key in unpadded standard base64 (hash/hasher_argon2.go,
// decodeArgon2idHash in hash/hash_comparator.go). `$argon2i$` has the same
// layout. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/common/result.h"

namespace mneme::infra::hash {

// 2 × the CPUs this process may run on, as Kratos's
// config.Argon2DefaultParallelism (2 × Go's runtime.NumCPU(), which honours
// the affinity mask), capped at 255 (Kratos keeps it in a uint8).
uint32_t DefaultArgon2Parallelism();

// Parameters for new argon2id hashes; defaults are Kratos's
// (hashers.argon2 in embedx/config.schema.json: 128MB, 1, 2×CPUs, 16, 32).
struct Argon2Params {
  uint32_t memory_kib = 131072;
  uint32_t iterations = 1;
  uint32_t parallelism = DefaultArgon2Parallelism();
  uint32_t salt_length = 16;
  uint32_t key_length = 32;

  friend bool operator==(const Argon2Params&, const Argon2Params&) = default;
};

enum class Argon2Variant { kArgon2i, kArgon2id };

// A decoded `$argon2id$` / `$argon2i$` string. `salt` and `key` are raw bytes.
struct Argon2Hash {
  Argon2Variant variant = Argon2Variant::kArgon2id;
  uint32_t memory_kib = 0;
  uint32_t iterations = 0;
  uint32_t parallelism = 0;
  std::string salt;
  std::string key;
};

// Errors: kInvalidArgument (Params describes what libargon2 rejects: fewer
// than 1 iteration, parallelism outside 1..255, memory under 8 KiB per lane,
// salt under 8 bytes, key under 4 bytes).
Status ValidateArgon2Params(const Argon2Params& params);

// Decodes an encoded hash. The version must be 19, the numbers plain decimals,
// salt and key strict unpadded base64.
// Errors: kInvalidArgument (any deviation from the layout above).
Result<Argon2Hash> ParseArgon2Hash(std::string_view encoded);

std::string FormatArgon2Hash(const Argon2Hash& hash);

// The raw key derived from `password` and `salt`.
// Errors: kInvalidArgument (parameters libargon2 refuses, e.g. a salt shorter
// than 8 bytes, which Go's argon2 would accept), kResourceExhausted (memory
// allocation failed), kInternal (other libargon2 failures).
Result<std::string> DeriveArgon2(Argon2Variant variant, std::string_view password,
                                 std::string_view salt, uint32_t memory_kib,
                                 uint32_t iterations, uint32_t parallelism,
                                 uint32_t key_length);

// A new encoded argon2id hash with a random salt of params.salt_length bytes.
// Errors: as ValidateArgon2Params and DeriveArgon2.
Result<std::string> HashArgon2id(std::string_view password, const Argon2Params& params);

}  // namespace mneme::infra::hash
