// OfflineBreachedList: BreachedPasswords over a local file of SHA-1 prefixes,
// as written by scripts/build-breached-list (the most common passwords of
// breach corpora, from @zxcvbn-ts/language-common). Works without network, so
// the commonest passwords are refused even when Have I Been Pwned is down.
//
// File format: N sorted, distinct 8-byte entries, each the first 8 bytes of
// SHA-1(password) in digest order (big-endian). 64 bits make a false match for
// an unlisted password about N / 2^64 likely (3e-15 for 50,000 entries).
//
// Lifecycle: built by Load, immutable afterwards. Thread-safety: Count may be
// called concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "domain/common/result.h"
#include "domain/password/breached.h"

namespace mneme::infra::password {

class OfflineBreachedList final : public domain::password::BreachedPasswords {
 public:
  // Reads the whole file into memory (8 bytes per entry).
  // Errors: kNotFound (no such file), kUnavailable (the file cannot be read),
  // kDataLoss (size not a multiple of 8, no entries, or entries not strictly
  // ascending: a truncated or foreign file would otherwise silently let
  // breached passwords through).
  static Result<std::unique_ptr<OfflineBreachedList>> Load(const std::filesystem::path& path);

  // 1 if the password is on the list, else 0: the list has no counts, so any
  // hit means "seen in breaches". Also 1 if the password with ASCII letters
  // lower-cased is on the list (the list is lower-case, and "Password123" is
  // as guessable as "password123"); this is a step beyond Kratos, whose HIBP
  // lookup is exact. Never fails.
  Result<int64_t> Count(std::string_view password) override;

  size_t size() const { return prefixes_.size(); }

 private:
  explicit OfflineBreachedList(std::vector<uint64_t> prefixes) : prefixes_(std::move(prefixes)) {}

  bool Contains(std::string_view password) const;

  std::vector<uint64_t> prefixes_;  // ascending
};

}  // namespace mneme::infra::password
