// The static part of the password policy: length limits and similarity to the
// identity's identifiers, with Kratos's validation messages (ids 4000031..34,
// text/message_validation.go). Breach checks need I/O and live behind the
// BreachedPasswords port (breached.h, breach_check.h).
//
// Pure functions over value types; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mneme::domain::password {

// Kratos message ids (text/message.go).
inline constexpr int64_t kIdentifierTooSimilarId = 4000031;
inline constexpr int64_t kMinLengthId = 4000032;
inline constexpr int64_t kMaxLengthId = 4000033;
inline constexpr int64_t kTooManyBreachesId = 4000034;

// NIST SP 800-63B: verifiers SHOULD permit at least 64 characters, so a
// smaller max_length is raised to this.
inline constexpr size_t kAlwaysAllowedLength = 64;

struct PolicyOptions {
  // Lengths count Unicode code points, not bytes (Kratos counts bytes).
  size_t min_length = 8;
  // At least kAlwaysAllowedLength (64) code points are always allowed: a
  // smaller value acts as 64.
  size_t max_length = 1024;
  // Kratos's password.identifier_similarity_check_enabled.
  bool identifier_similarity = true;
};

// One violated rule, shaped as a Kratos UI text message.
struct Violation {
  int64_t id;
  std::string text;
  nlohmann::json context;  // always an object; {} when the message has none
};

Violation MinLengthViolation(size_t min_length, size_t actual_length);
Violation MaxLengthViolation(size_t max_length, size_t actual_length);
Violation IdentifierTooSimilarViolation();
Violation TooManyBreachesViolation(int64_t breaches);

// The number of code points in `s`. Each byte of an invalid UTF-8 sequence
// counts as one code point (common::DecodeRune's U+FFFD, one byte wide), so
// invalid input is never shorter than its valid prefix suggests.
size_t CodePointLength(std::string_view s);

// Whether `password` is too similar to `identifier` by Kratos's rule
// (selfservice/strategy/password/validator.go): both lower-cased, Levenshtein
// distance < 5, or longest common substring / length(password) > 0.5. An empty
// identifier is never similar (Kratos skips it).
//
// Beyond Kratos:
//  * For an email address, the local part (before the last '@') is compared
//    too. Kratos compares only the whole address, so "Al1ce123" passes it for
//    "alice@example.com" (distance 9, common substring 2/8) although it is the
//    user's name with a digit swapped in and a number appended; against
//    "alice" the distance is 4 and mneme refuses it.
//  * A password containing the identifier, or an e-mail's local part, of at
//    least 4 characters and a third of the password or more is refused ("alice2024xyz" for alice@example.com:
//    distance 7 and a common substring of 5/12 pass Kratos's rule).
//  * Distances and substrings count code points (Kratos's LCS walks bytes and
//    breaks on multi-byte characters).
//  * Lower-casing covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic;
//    other scripts compare as written (Go's strings.ToLower covers all of
//    Unicode).
bool IsTooSimilar(std::string_view identifier, std::string_view password);

// Checks, in Kratos's order: minimum length (4000032), maximum length
// (4000033), then similarity to each identifier (4000031) if enabled. Returns
// the first violation, or nullopt if the password passes.
std::optional<Violation> CheckStatic(std::string_view password,
                                     const std::vector<std::string>& identifiers,
                                     const PolicyOptions& options);

}  // namespace mneme::domain::password
