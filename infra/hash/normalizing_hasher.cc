#include "infra/hash/normalizing_hasher.h"

#include <cstdlib>
#include <memory>

#include <unistr.h>
#include <uninorm.h>

namespace mneme::infra::hash {

std::string Nfkc(std::string_view text) {
  // u8_normalize replaces invalid sequences with U+FFFD, which would make
  // different invalid passwords equal: leave those alone.
  if (u8_check(reinterpret_cast<const uint8_t*>(text.data()), text.size()) != nullptr) {
    return std::string(text);
  }
  size_t length = 0;
  uint8_t* out = u8_normalize(UNINORM_NFKC, reinterpret_cast<const uint8_t*>(text.data()),
                              text.size(), nullptr, &length);
  if (out == nullptr) {
    return std::string(text);  // not valid UTF-8 (EILSEQ) or out of memory
  }
  std::unique_ptr<uint8_t, decltype(&std::free)> owned(out, &std::free);
  return std::string(reinterpret_cast<const char*>(out), length);
}

Result<std::string> NormalizingHasher::Hash(std::string_view password) {
  return inner_.Hash(Nfkc(password));
}

Result<domain::identity::PasswordCheck> NormalizingHasher::Verify(std::string_view password,
                                                                  std::string_view stored_hash) {
  const std::string normalized = Nfkc(password);
  auto check = inner_.Verify(normalized, stored_hash);
  if (!check || *check == domain::identity::PasswordCheck::kMatch || normalized == password) {
    return check;
  }
  // A hash made from the raw form (imported, or from before normalization).
  return inner_.Verify(password, stored_hash);
}

bool NormalizingHasher::NeedsRehash(std::string_view stored_hash) const {
  return inner_.NeedsRehash(stored_hash);
}

}  // namespace mneme::infra::hash
