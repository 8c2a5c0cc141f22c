#include "domain/password/policy.h"

#include <algorithm>

#include "domain/common/utf8.h"

namespace mneme::domain::password {
namespace {

// Kratos's minIdentifierPasswordDist and maxIdentifierPasswordSubstrThreshold.
constexpr size_t kMinDistance = 5;

char32_t FoldCase(char32_t c) {
  if (c < 0x80) {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  }
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {  // Latin-1 capitals (not ×)
    return c + 32;
  }
  if (c >= 0x100 && c <= 0x17F) {  // Latin Extended-A: mostly upper/lower pairs
    if (c == 0x130) {
      return U'i';
    }
    if (c == 0x178) {
      return 0xFF;
    }
    const bool even_upper = (c <= 0x137) || (c >= 0x14A && c <= 0x177);
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if ((even_upper && c % 2 == 0) || (odd_upper && c % 2 == 1)) {
      return c + 1;
    }
    return c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) {  // Greek capitals
    return c + 32;
  }
  if (c == 0x386) {
    return 0x3AC;
  }
  if (c >= 0x388 && c <= 0x38A) {
    return c + 37;
  }
  if (c == 0x38C) {
    return 0x3CC;
  }
  if (c == 0x38E || c == 0x38F) {
    return c + 63;
  }
  if (c >= 0x410 && c <= 0x42F) {  // Cyrillic capitals
    return c + 32;
  }
  if (c >= 0x400 && c <= 0x40F) {
    return c + 80;
  }
  return c;
}

std::u32string Folded(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const common::Rune r = common::DecodeRune(s, i);
    // Invalid bytes stay distinct from each other (not all U+FFFD), so two
    // different invalid passwords do not look alike.
    out.push_back(r.valid ? FoldCase(r.cp) : 0x110000 + static_cast<unsigned char>(s[i]));
    i += r.width;
  }
  return out;
}

size_t Levenshtein(const std::u32string& a, const std::u32string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

size_t LongestCommonSubstring(const std::u32string& a, const std::u32string& b) {
  std::vector<size_t> previous(b.size() + 1, 0);
  std::vector<size_t> current(b.size() + 1, 0);
  size_t longest = 0;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : 0;
      longest = std::max(longest, current[j]);
    }
    std::swap(previous, current);
  }
  return longest;
}

bool TooSimilarFolded(const std::u32string& identifier, const std::u32string& password) {
  if (identifier.empty()) {
    return false;
  }
  if (Levenshtein(identifier, password) < kMinDistance) {
    return true;
  }
  // lcs / len(password) > 0.5, in integers.
  return 2 * LongestCommonSubstring(identifier, password) > password.size();
}

}  // namespace

Violation MinLengthViolation(size_t min_length, size_t actual_length) {
  return {kMinLengthId,
          "The password must be at least " + std::to_string(min_length) +
              " characters long, but got " + std::to_string(actual_length) + ".",
          {{"min_length", min_length}, {"actual_length", actual_length}}};
}

Violation MaxLengthViolation(size_t max_length, size_t actual_length) {
  return {kMaxLengthId,
          "The password must be at most " + std::to_string(max_length) +
              " characters long, but got " + std::to_string(actual_length) + ".",
          {{"max_length", max_length}, {"actual_length", actual_length}}};
}

Violation IdentifierTooSimilarViolation() {
  return {kIdentifierTooSimilarId,
          "The password can not be used because it is too similar to the identifier.",
          nlohmann::json::object()};
}

Violation TooManyBreachesViolation(int64_t breaches) {
  return {kTooManyBreachesId,
          "The password has been found in data breaches and must no longer be used.",
          {{"breaches", breaches}}};
}

size_t CodePointLength(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += common::DecodeRune(s, i).width) {
    ++n;
  }
  return n;
}

bool IsTooSimilar(std::string_view identifier, std::string_view password) {
  const std::u32string folded_password = Folded(password);
  if (TooSimilarFolded(Folded(identifier), folded_password)) {
    return true;
  }
  const size_t at = identifier.rfind('@');
  const std::u32string local = Folded(at != std::string_view::npos && at > 0
                                          ? identifier.substr(0, at)
                                          : identifier);
  // Beyond Kratos: a password that contains the identifier (or an e-mail's
  // local part) of at least 4 characters, making a third of it or more, is
  // refused ("alice2024xyz"); a long passphrase that merely includes it is
  // not (Kratos's own case "d4f6090b-5a84" in a 40-character password).
  if (local.size() >= 4 && local.size() * 3 >= folded_password.size() &&
      folded_password.find(local) != std::u32string::npos) {
    return true;
  }
  if (at != std::string_view::npos && at > 0) {
    return TooSimilarFolded(local, folded_password);
  }
  return false;
}

std::optional<Violation> CheckStatic(std::string_view password,
                                     const std::vector<std::string>& identifiers,
                                     const PolicyOptions& options) {
  const size_t length = CodePointLength(password);
  if (length < options.min_length) {
    return MinLengthViolation(options.min_length, length);
  }
  const size_t max_length = std::max(options.max_length, kAlwaysAllowedLength);
  if (length > max_length) {
    return MaxLengthViolation(max_length, length);
  }
  if (options.identifier_similarity) {
    for (const std::string& identifier : identifiers) {
      if (IsTooSimilar(identifier, password)) {
        return IdentifierTooSimilarViolation();
      }
    }
  }
  return std::nullopt;
}

}  // namespace mneme::domain::password
