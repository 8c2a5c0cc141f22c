#include "infra/hash/crypt.h"

#include <crypt.h>
#include <string.h>

#include <memory>

#include "infra/crypto/aead.h"
#include "infra/hash/phc.h"

namespace mneme::infra::hash {
namespace {

using domain::identity::PasswordCheck;

constexpr std::string_view kCryptAlphabet =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr size_t kBcryptSaltChars = 22;
constexpr size_t kBcryptDigestChars = 31;
constexpr size_t kBcryptRandomBytes = 16;

bool AllCryptChars(std::string_view s) {
  return s.find_first_not_of(kCryptAlphabet) == std::string_view::npos;
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// crypt_data holds key-derived state; it is wiped before it is freed.
struct CryptDataDeleter {
  void operator()(crypt_data* data) const {
    explicit_bzero(data, sizeof(*data));
    delete data;
  }
};
using CryptDataPtr = std::unique_ptr<crypt_data, CryptDataDeleter>;

// crypt_rn of a NUL-free password with `setting`.
// Errors: kInvalidArgument (libxcrypt rejects the setting).
Result<std::string> RunCrypt(std::string_view password, const std::string& setting) {
  CryptDataPtr data(new crypt_data());  // value-initialised: zeroed as crypt_rn wants
  std::string phrase(password);
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  explicit_bzero(phrase.data(), phrase.size());
  if (out == nullptr || out[0] == '*') {
    return MakeError(Code::kInvalidArgument, "crypt: the hash settings were rejected");
  }
  return std::string(out);
}

}  // namespace

Result<BcryptHash> ParseBcryptHash(std::string_view encoded) {
  BcryptHash hash;
  std::string_view rest = encoded;
  if (rest.substr(0, 2) != "$2") {
    return MakeError(Code::kInvalidArgument, "not a bcrypt hash");
  }
  rest.remove_prefix(2);
  if (!rest.empty() && rest.front() != '$') {
    hash.minor = rest.front();
    if (hash.minor != 'a' && hash.minor != 'b' && hash.minor != 'y' && hash.minor != 'z') {
      return MakeError(Code::kInvalidArgument, "unknown bcrypt version");
    }
    rest.remove_prefix(1);
  } else {
    hash.minor = '\0';
  }
  // "$NN$" + salt + digest
  if (rest.size() != 4 + kBcryptSaltChars + kBcryptDigestChars || rest[0] != '$' ||
      rest[3] != '$' || rest[1] < '0' || rest[1] > '9' || rest[2] < '0' || rest[2] > '9') {
    return MakeError(Code::kInvalidArgument, "bcrypt hash has the wrong layout");
  }
  hash.cost = (rest[1] - '0') * 10 + (rest[2] - '0');
  if (hash.cost < 4 || hash.cost > 31) {
    return MakeError(Code::kInvalidArgument, "bcrypt cost must be between 4 and 31");
  }
  rest.remove_prefix(4);
  if (!AllCryptChars(rest)) {
    return MakeError(Code::kInvalidArgument, "bcrypt hash has characters outside its alphabet");
  }
  hash.salt = std::string(rest.substr(0, kBcryptSaltChars));
  hash.digest = std::string(rest.substr(kBcryptSaltChars));
  return hash;
}

Result<std::string> HashBcrypt(std::string_view password, int cost) {
  if (cost < 4 || cost > 31) {
    return MakeError(Code::kInvalidArgument, "bcrypt cost must be between 4 and 31");
  }
  if (password.size() > domain::identity::kBcryptMaxPasswordBytes) {
    // Kratos text/message_validation.go NewErrorValidationPasswordMaxLength.
    return MakeError(Code::kInvalidArgument,
                     "The password must be at most " +
                         std::to_string(domain::identity::kBcryptMaxPasswordBytes) +
                         " characters long, but got " + std::to_string(password.size()) + ".");
  }
  if (HasNul(password)) {
    return MakeError(Code::kInvalidArgument, "The password must not contain NUL characters.");
  }
  const std::string random = crypto::RandomBytes(kBcryptRandomBytes);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), random.data(),
                       static_cast<int>(random.size()), setting, sizeof(setting)) == nullptr) {
    return MakeError(Code::kInternal, "crypt_gensalt_rn failed for bcrypt");
  }
  auto out = RunCrypt(password, setting);
  if (!out) {
    return MakeError(Code::kInternal, "crypt_rn failed for bcrypt");
  }
  return out;
}

Result<PasswordCheck> VerifyBcrypt(std::string_view password, std::string_view encoded) {
  MNEME_TRY(BcryptHash stored, ParseBcryptHash(encoded));
  if (password.size() > domain::identity::kBcryptMaxPasswordBytes || HasNul(password)) {
    return PasswordCheck::kMismatch;
  }
  std::string cost = std::to_string(stored.cost);
  if (cost.size() == 1) {
    cost.insert(cost.begin(), '0');
  }
  MNEME_TRY(std::string computed, RunCrypt(password, "$2b$" + cost + "$" + stored.salt));
  if (computed.size() < kBcryptDigestChars) {
    return MakeError(Code::kInvalidArgument, "crypt: unexpected bcrypt output");
  }
  const std::string_view digest =
      std::string_view(computed).substr(computed.size() - kBcryptDigestChars);
  return crypto::ConstantTimeEquals(digest, stored.digest) ? PasswordCheck::kMatch
                                                           : PasswordCheck::kMismatch;
}

Result<PasswordCheck> VerifyCrypt(std::string_view password, std::string_view encoded) {
  const std::vector<std::string_view> fields = SplitFields(encoded);
  if (fields.size() < 4 || !fields[0].empty()) {
    return MakeError(Code::kInvalidArgument, "crypt hash has the wrong layout");
  }
  size_t digest_chars = 0;
  size_t max_salt_chars = 0;
  if (fields[1] == "1") {
    digest_chars = 22;
    max_salt_chars = 8;
  } else if (fields[1] == "5") {
    digest_chars = 43;
    max_salt_chars = 16;
  } else if (fields[1] == "6") {
    digest_chars = 86;
    max_salt_chars = 16;
  } else {
    return MakeError(Code::kInvalidArgument, "unknown crypt scheme");
  }
  size_t salt_field = 2;
  if (fields[1] != "1" && fields.size() == 5) {
    MNEME_TRY(auto rounds, ParseParams(fields[2], {"rounds"}));
    MNEME_RETURN_IF_ERROR(CheckRange(rounds[0], 1000, 999999999, "crypt rounds"));
    salt_field = 3;
  }
  if (fields.size() != salt_field + 2) {
    return MakeError(Code::kInvalidArgument, "crypt hash has the wrong number of fields");
  }
  const std::string_view salt = fields[salt_field];
  const std::string_view digest = fields[salt_field + 1];
  if (salt.size() > max_salt_chars || !AllCryptChars(salt)) {
    return MakeError(Code::kInvalidArgument, "crypt salt is malformed");
  }
  if (digest.size() != digest_chars || !AllCryptChars(digest)) {
    return MakeError(Code::kInvalidArgument, "crypt digest is malformed");
  }
  if (HasNul(password)) {
    return PasswordCheck::kMismatch;
  }
  MNEME_TRY(std::string computed, RunCrypt(password, std::string(encoded)));
  return crypto::ConstantTimeEquals(computed, encoded) ? PasswordCheck::kMatch
                                                       : PasswordCheck::kMismatch;
}

}  // namespace mneme::infra::hash
