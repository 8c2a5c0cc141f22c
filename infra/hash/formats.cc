#include "infra/hash/formats.h"

#include <algorithm>
#include <array>
#include <new>
#include <string>

#define CRYPTOPP_ENABLE_NAMESPACE_WEAK 1
#include <cryptopp/aes.h>
#include <cryptopp/cryptlib.h>
#include <cryptopp/filters.h>
#include <cryptopp/hex.h>
#include <cryptopp/hmac.h>
#include <cryptopp/md4.h>
#include <cryptopp/md5.h>
#include <cryptopp/modes.h>
#include <cryptopp/pwdbased.h>
#include <cryptopp/scrypt.h>
#include <cryptopp/sha.h>
#include <cryptopp/sha3.h>

#include "infra/crypto/aead.h"
#include "infra/hash/argon2.h"
#include "infra/hash/base64.h"
#include "infra/hash/crypt.h"
#include "infra/hash/phc.h"

namespace mneme::infra::hash {
namespace {

using domain::identity::PasswordCheck;

const CryptoPP::byte* Bytes(std::string_view s) {
  return reinterpret_cast<const CryptoPP::byte*>(s.data());
}

CryptoPP::byte* MutableBytes(std::string& s) {
  return reinterpret_cast<CryptoPP::byte*>(s.data());
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

PasswordCheck Compare(std::string_view expected, std::string_view computed) {
  return crypto::ConstantTimeEquals(expected, computed) ? PasswordCheck::kMatch
                                                        : PasswordCheck::kMismatch;
}

Result<std::string> StdBase64(std::string_view text) {
  return DecodeBase64(text, Base64Padding::kPadded);
}

template <typename H>
std::string Digest(std::string_view data) {
  H h;
  std::string out(H::DIGESTSIZE, '\0');
  h.CalculateDigest(MutableBytes(out), Bytes(data), data.size());
  return out;
}

template <typename H>
std::string HexHmac(std::string_view key, std::string_view data) {
  CryptoPP::HMAC<H> mac(Bytes(key), key.size());
  std::string raw(H::DIGESTSIZE, '\0');
  mac.CalculateDigest(MutableBytes(raw), Bytes(data), data.size());
  std::string hex;
  CryptoPP::StringSource source(raw, true,
                                new CryptoPP::HexEncoder(new CryptoPP::StringSink(hex),
                                                         /*uppercase=*/false));
  return hex;
}

// Go's strings.NewReplacer("{SALT}", salt, "{PASSWORD}", password).Replace:
// one left-to-right pass, replacements are not rescanned.
std::string ApplySaltingFormat(std::string_view format, std::string_view salt,
                               std::string_view password) {
  constexpr std::string_view kSalt = "{SALT}";
  constexpr std::string_view kPassword = "{PASSWORD}";
  std::string out;
  size_t i = 0;
  while (i < format.size()) {
    const std::string_view rest = format.substr(i);
    if (StartsWith(rest, kSalt)) {
      out.append(salt);
      i += kSalt.size();
    } else if (StartsWith(rest, kPassword)) {
      out.append(password);
      i += kPassword.size();
    } else {
      out.push_back(format[i]);
      ++i;
    }
  }
  return out;
}

// "pf=<base64 salting format>" as Kratos's Sscanf("pf=%s").
Result<std::string> ParseSaltingFormat(std::string_view field) {
  if (!StartsWith(field, "pf=") || field.size() == 3) {
    return MakeError(Code::kInvalidArgument, "expected pf=<base64 salting format>");
  }
  return StdBase64(field.substr(3));
}

Result<std::string> Scrypt(std::string_view password, std::string_view salt, uint64_t cost,
                           uint64_t block, uint64_t parallel, size_t key_length) {
  // golang.org/x/crypto/scrypt's checks; Crypto++ would throw on most of them.
  if (cost <= 1 || (cost & (cost - 1)) != 0) {
    return MakeError(Code::kInvalidArgument, "scrypt N must be a power of 2 greater than 1");
  }
  if (block == 0 || parallel == 0 || block * parallel >= (uint64_t{1} << 30)) {
    return MakeError(Code::kInvalidArgument, "scrypt r and p are out of range");
  }
  std::string key(key_length, '\0');
  CryptoPP::Scrypt scrypt;
  scrypt.DeriveKey(MutableBytes(key), key.size(), Bytes(password), password.size(), Bytes(salt),
                   salt.size(), cost, block, parallel);
  return key;
}

Result<PasswordCheck> VerifyArgon2(std::string_view password, std::string_view stored) {
  MNEME_TRY(Argon2Hash hash, ParseArgon2Hash(stored));
  MNEME_TRY(std::string key,
            DeriveArgon2(hash.variant, password, hash.salt, hash.memory_kib, hash.iterations,
                         hash.parallelism, static_cast<uint32_t>(hash.key.size())));
  return Compare(hash.key, key);
}

// $pbkdf2-<digest>$i=<iterations>,l=<length>$<salt>$<key>; the key length is
// the decoded key's, as in Kratos (l is read but not used).
Result<PasswordCheck> VerifyPbkdf2(std::string_view password, std::string_view stored) {
  const auto fields = SplitFields(stored);
  if (fields.size() != 5) {
    return MakeError(Code::kInvalidArgument, "pbkdf2 hash must have 5 '$'-separated fields");
  }
  const std::string_view digest = fields[1].substr(std::string_view("pbkdf2-").size());
  MNEME_TRY(auto params, ParseParams(fields[2], {"i", "l"}));
  MNEME_TRY(uint32_t iterations, CheckRange(params[0], 0, UINT32_MAX, "pbkdf2 iterations"));
  MNEME_RETURN_IF_ERROR(CheckRange(params[1], 0, UINT32_MAX, "pbkdf2 length"));
  // Go's pbkdf2.Key runs the first round whatever the count, so 0 acts as 1.
  iterations = std::max<uint32_t>(iterations, 1);
  MNEME_TRY(std::string salt, DecodeBase64(fields[3], Base64Padding::kRaw));
  MNEME_TRY(std::string expected, DecodeBase64(fields[4], Base64Padding::kRaw));
  if (expected.empty()) {
    return MakeError(Code::kInvalidArgument, "pbkdf2 hash has an empty key");
  }
  std::string key(expected.size(), '\0');
  auto derive = [&](const auto& kdf) {
    kdf.DeriveKey(MutableBytes(key), key.size(), 0, Bytes(password), password.size(),
                  Bytes(salt), salt.size(), iterations, 0);
  };
  // Kratos hash/hasher_pbkdf2.go getPseudorandomFunctionForPbkdf2: sha224 and
  // sha384 are SHA3 there, and any other name falls back to SHA-256.
  if (digest == "sha1") {
    derive(CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA1>());
  } else if (digest == "sha224") {
    derive(CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA3_224>());
  } else if (digest == "sha384") {
    derive(CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA3_384>());
  } else if (digest == "sha512") {
    derive(CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA512>());
  } else {
    derive(CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA256>());
  }
  return Compare(expected, key);
}

// $scrypt$ln=<N>,r=<r>,p=<p>$<salt>$<key>: Kratos passes "ln" to scrypt as N
// itself (ln=16384), unlike $firescrypt$.
Result<PasswordCheck> VerifyScrypt(std::string_view password, std::string_view stored) {
  const auto fields = SplitFields(stored);
  if (fields.size() != 5) {
    return MakeError(Code::kInvalidArgument, "scrypt hash must have 5 '$'-separated fields");
  }
  MNEME_TRY(auto params, ParseParams(fields[2], {"ln", "r", "p"}));
  for (uint64_t value : params) {
    MNEME_RETURN_IF_ERROR(CheckRange(value, 0, UINT32_MAX, "scrypt parameter"));
  }
  MNEME_TRY(std::string salt, StdBase64(fields[3]));
  MNEME_TRY(std::string expected, StdBase64(fields[4]));
  if (expected.empty()) {
    return MakeError(Code::kInvalidArgument, "scrypt hash has an empty key");
  }
  MNEME_TRY(std::string key,
            Scrypt(password, salt, params[0], params[1], params[2], expected.size()));
  return Compare(expected, key);
}

// Firebase's modified scrypt (Kratos CompareFirebaseScrypt, after
// github.com/Aoang/firebase-scrypt): a 32-byte scrypt key of the password with
// salt||separator encrypts the signer key with AES-256-CTR and a zero IV.
Result<PasswordCheck> VerifyFirebaseScrypt(std::string_view password, std::string_view stored) {
  const auto fields = SplitFields(stored);
  if (fields.size() != 7) {
    return MakeError(Code::kInvalidArgument, "firescrypt hash must have 7 '$'-separated fields");
  }
  MNEME_TRY(auto params, ParseParams(fields[2], {"ln", "r", "p"}));
  MNEME_TRY(uint32_t log_cost, CheckRange(params[0], 1, 31, "firescrypt ln"));
  MNEME_RETURN_IF_ERROR(CheckRange(params[1], 0, UINT32_MAX, "firescrypt r"));
  MNEME_RETURN_IF_ERROR(CheckRange(params[2], 0, UINT32_MAX, "firescrypt p"));
  MNEME_TRY(std::string salt, StdBase64(fields[3]));
  MNEME_TRY(std::string expected, StdBase64(fields[4]));
  MNEME_TRY(std::string separator, StdBase64(fields[5]));
  MNEME_TRY(std::string signer_key, StdBase64(fields[6]));
  if (signer_key.empty()) {
    return MakeError(Code::kInvalidArgument, "firescrypt hash has an empty signer key");
  }
  MNEME_TRY(std::string key, Scrypt(password, salt + separator, uint64_t{1} << log_cost,
                                    params[1], params[2], 32));
  std::array<CryptoPP::byte, CryptoPP::AES::BLOCKSIZE> iv{};
  CryptoPP::CTR_Mode<CryptoPP::AES>::Encryption aes(Bytes(key), key.size(), iv.data());
  std::string computed(signer_key.size(), '\0');
  aes.ProcessData(MutableBytes(computed), Bytes(signer_key), signer_key.size());
  return Compare(expected, computed);
}

// {SSHA}, {SSHA256}, {SSHA512}: base64(digest || salt) of password||salt.
// Kratos decodes this one without Strict().
Result<PasswordCheck> VerifySsha(std::string_view password, std::string_view stored) {
  size_t prefix = 0;
  size_t digest_size = 0;
  std::string (*digest)(std::string_view) = nullptr;
  if (StartsWith(stored, "{SSHA}")) {
    prefix = 6;
    digest_size = CryptoPP::SHA1::DIGESTSIZE;
    digest = Digest<CryptoPP::SHA1>;
  } else if (StartsWith(stored, "{SSHA256}")) {
    prefix = 9;
    digest_size = CryptoPP::SHA256::DIGESTSIZE;
    digest = Digest<CryptoPP::SHA256>;
  } else if (StartsWith(stored, "{SSHA512}")) {
    prefix = 9;
    digest_size = CryptoPP::SHA512::DIGESTSIZE;
    digest = Digest<CryptoPP::SHA512>;
  } else {
    return MakeError(Code::kInvalidArgument, "unknown SSHA variant");
  }
  MNEME_TRY(std::string decoded, DecodeBase64(stored.substr(prefix), Base64Padding::kPadded,
                                              Base64Trailing::kLenient));
  if (decoded.size() < digest_size + 1) {
    return MakeError(Code::kInvalidArgument, "SSHA hash is too short to hold a salt");
  }
  const std::string_view expected = std::string_view(decoded).substr(0, digest_size);
  const std::string_view salt = std::string_view(decoded).substr(digest_size);
  return Compare(expected, digest(std::string(password) + std::string(salt)));
}

// $sha1$ / $sha256$ / $sha512$ with pf=<base64 salting format>$<salt>$<digest>.
Result<PasswordCheck> VerifySha(std::string_view password, std::string_view stored) {
  const auto fields = SplitFields(stored);
  if (fields.size() != 5) {
    return MakeError(Code::kInvalidArgument, "sha hash must have 5 '$'-separated fields");
  }
  MNEME_TRY(std::string format, ParseSaltingFormat(fields[2]));
  MNEME_TRY(std::string salt, StdBase64(fields[3]));
  MNEME_TRY(std::string expected, StdBase64(fields[4]));
  const std::string raw = ApplySaltingFormat(format, salt, password);
  if (fields[1] == "sha1") {
    return Compare(expected, Digest<CryptoPP::SHA1>(raw));
  }
  if (fields[1] == "sha256") {
    return Compare(expected, Digest<CryptoPP::SHA256>(raw));
  }
  return Compare(expected, Digest<CryptoPP::SHA512>(raw));
}

// $md5$<digest> or $md5$pf=<base64 salting format>$<salt>$<digest>.
Result<PasswordCheck> VerifyMd5(std::string_view password, std::string_view stored) {
  const auto fields = SplitFields(stored);
  if (fields.size() == 3) {
    MNEME_TRY(std::string expected, StdBase64(fields[2]));
    return Compare(expected, Digest<CryptoPP::Weak::MD5>(password));
  }
  if (fields.size() != 5) {
    return MakeError(Code::kInvalidArgument, "md5 hash must have 3 or 5 '$'-separated fields");
  }
  MNEME_TRY(std::string format, ParseSaltingFormat(fields[2]));
  MNEME_TRY(std::string salt, StdBase64(fields[3]));
  MNEME_TRY(std::string expected, StdBase64(fields[4]));
  return Compare(expected, Digest<CryptoPP::Weak::MD5>(ApplySaltingFormat(format, salt, password)));
}

// $hmac-<digest>$<base64 of the lower-case hex MAC>$<base64 key>.
Result<PasswordCheck> VerifyHmac(std::string_view password, std::string_view stored) {
  const auto fields = SplitFields(stored);
  if (fields.size() != 4) {
    return MakeError(Code::kInvalidArgument, "hmac hash must have 4 '$'-separated fields");
  }
  MNEME_TRY(std::string expected, StdBase64(fields[2]));
  MNEME_TRY(std::string key, StdBase64(fields[3]));
  const std::string_view digest = fields[1].substr(std::string_view("hmac-").size());
  if (digest == "md4") {
    return Compare(expected, HexHmac<CryptoPP::Weak::MD4>(key, password));
  }
  if (digest == "md5") {
    return Compare(expected, HexHmac<CryptoPP::Weak::MD5>(key, password));
  }
  if (digest == "sha1") {
    return Compare(expected, HexHmac<CryptoPP::SHA1>(key, password));
  }
  if (digest == "sha224") {
    return Compare(expected, HexHmac<CryptoPP::SHA224>(key, password));
  }
  if (digest == "sha256") {
    return Compare(expected, HexHmac<CryptoPP::SHA256>(key, password));
  }
  if (digest == "sha384") {
    return Compare(expected, HexHmac<CryptoPP::SHA384>(key, password));
  }
  return Compare(expected, HexHmac<CryptoPP::SHA512>(key, password));
}

// "{SHA}base64(sha1(password))", "{SHA256}...", "{SHA512}...".
Result<PasswordCheck> VerifyLdapSha(std::string_view password, std::string_view stored) {
  size_t prefix = 0;
  std::string (*digest)(std::string_view) = nullptr;
  if (StartsWith(stored, "{SHA}")) {
    prefix = 5;
    digest = Digest<CryptoPP::SHA1>;
  } else if (StartsWith(stored, "{SHA256}")) {
    prefix = 8;
    digest = Digest<CryptoPP::SHA256>;
  } else if (StartsWith(stored, "{SHA512}")) {
    prefix = 8;
    digest = Digest<CryptoPP::SHA512>;
  } else {
    return MakeError(Code::kInvalidArgument, "unknown SHA variant");
  }
  MNEME_TRY(std::string expected, DecodeBase64(stored.substr(prefix), Base64Padding::kPadded,
                                               Base64Trailing::kLenient));
  if (expected.empty()) {
    return MakeError(Code::kInvalidArgument, "SHA hash is empty");
  }
  return Compare(expected, digest(password));
}

// "$md5-crypt$rest" -> "$1$rest" and so on.
Result<PasswordCheck> VerifyRenamedCrypt(std::string_view password, std::string_view stored,
                                         std::string_view alias, std::string_view id) {
  return VerifyCrypt(password, std::string(id) + std::string(stored.substr(alias.size())));
}

Result<PasswordCheck> Dispatch(HashFormat format, std::string_view password,
                               std::string_view stored) {
  switch (format) {
    case HashFormat::kMd5Crypt:
      return VerifyRenamedCrypt(password, stored, "$md5-crypt", "$1");
    case HashFormat::kBcrypt:
      return VerifyBcrypt(password, stored);
    case HashFormat::kSha256Crypt:
      return VerifyRenamedCrypt(password, stored, "$sha256-crypt", "$5");
    case HashFormat::kSha512Crypt:
      return VerifyRenamedCrypt(password, stored, "$sha512-crypt", "$6");
    case HashFormat::kArgon2id:
    case HashFormat::kArgon2i:
      return VerifyArgon2(password, stored);
    case HashFormat::kPbkdf2:
      return VerifyPbkdf2(password, stored);
    case HashFormat::kScrypt:
      return VerifyScrypt(password, stored);
    case HashFormat::kSsha:
      return VerifySsha(password, stored);
    case HashFormat::kSha:
      return VerifySha(password, stored);
    case HashFormat::kFirebaseScrypt:
      return VerifyFirebaseScrypt(password, stored);
    case HashFormat::kMd5:
      return VerifyMd5(password, stored);
    case HashFormat::kHmac:
      return VerifyHmac(password, stored);
    case HashFormat::kCrypt:
      return VerifyCrypt(password, stored);
    case HashFormat::kLdapSha:
      return VerifyLdapSha(password, stored);
  }
  return MakeError(Code::kInvalidArgument, "unknown hash algorithm");
}

bool IsBcryptPrefix(std::string_view s) {
  // ^\$2[abzy]?\$
  if (!StartsWith(s, "$2") || s.size() < 3) {
    return false;
  }
  if (s[2] == '$') {
    return true;
  }
  return s.size() >= 4 && (s[2] == 'a' || s[2] == 'b' || s[2] == 'z' || s[2] == 'y') &&
         s[3] == '$';
}

bool IsPbkdf2Prefix(std::string_view s) {
  // ^\$pbkdf2-sha[0-9]{1,3}\$
  constexpr std::string_view kPrefix = "$pbkdf2-sha";
  if (!StartsWith(s, kPrefix)) {
    return false;
  }
  size_t i = kPrefix.size();
  size_t digits = 0;
  while (i < s.size() && IsDigit(s[i]) && digits < 3) {
    ++i;
    ++digits;
  }
  return digits >= 1 && i < s.size() && s[i] == '$';
}

bool IsHmacPrefix(std::string_view s) {
  for (std::string_view prefix : {"$hmac-md4$", "$hmac-md5$", "$hmac-sha1$", "$hmac-sha224$",
                                  "$hmac-sha256$", "$hmac-sha384$", "$hmac-sha512$"}) {
    if (StartsWith(s, prefix)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view HashFormatName(HashFormat format) {
  switch (format) {
    case HashFormat::kMd5Crypt: return "md5crypt";
    case HashFormat::kBcrypt: return "bcrypt";
    case HashFormat::kSha256Crypt: return "sha256crypt";
    case HashFormat::kSha512Crypt: return "sha512crypt";
    case HashFormat::kArgon2id: return "argon2id";
    case HashFormat::kArgon2i: return "argon2i";
    case HashFormat::kPbkdf2: return "pbkdf2";
    case HashFormat::kScrypt: return "scrypt";
    case HashFormat::kSsha: return "ssha";
    case HashFormat::kSha: return "sha";
    case HashFormat::kFirebaseScrypt: return "firebasescrypt";
    case HashFormat::kMd5: return "md5";
    case HashFormat::kHmac: return "hmac";
    case HashFormat::kCrypt: return "crypt";
    case HashFormat::kLdapSha: return "ldapsha";
  }
  return "unknown";
}

std::optional<HashFormat> DetectHashFormat(std::string_view s) {
  // The order of Kratos's hash.Compare switch.
  if (StartsWith(s, "$md5-crypt$")) {
    return HashFormat::kMd5Crypt;
  }
  if (IsBcryptPrefix(s)) {
    return HashFormat::kBcrypt;
  }
  if (StartsWith(s, "$sha256-crypt$")) {
    return HashFormat::kSha256Crypt;
  }
  if (StartsWith(s, "$sha512-crypt$")) {
    return HashFormat::kSha512Crypt;
  }
  if (StartsWith(s, "$argon2id$")) {
    return HashFormat::kArgon2id;
  }
  if (StartsWith(s, "$argon2i$")) {
    return HashFormat::kArgon2i;
  }
  if (IsPbkdf2Prefix(s)) {
    return HashFormat::kPbkdf2;
  }
  if (StartsWith(s, "$scrypt$")) {
    return HashFormat::kScrypt;
  }
  if (StartsWith(s, "{SSHA}") || StartsWith(s, "{SSHA256}") || StartsWith(s, "{SSHA512}")) {
    return HashFormat::kSsha;
  }
  if (StartsWith(s, "$sha1$") || StartsWith(s, "$sha256$") || StartsWith(s, "$sha512$")) {
    return HashFormat::kSha;
  }
  if (StartsWith(s, "$firescrypt$")) {
    return HashFormat::kFirebaseScrypt;
  }
  if (StartsWith(s, "$md5$")) {
    return HashFormat::kMd5;
  }
  if (IsHmacPrefix(s)) {
    return HashFormat::kHmac;
  }
  if (StartsWith(s, "$1$") || StartsWith(s, "$5$") || StartsWith(s, "$6$")) {
    return HashFormat::kCrypt;
  }
  if (StartsWith(s, "{SHA}") || StartsWith(s, "{SHA256}") || StartsWith(s, "{SHA512}")) {
    return HashFormat::kLdapSha;
  }
  return std::nullopt;
}

Result<PasswordCheck> VerifyPassword(std::string_view password, std::string_view stored_hash) {
  const std::optional<HashFormat> format = DetectHashFormat(stored_hash);
  if (!format) {
    return MakeError(Code::kInvalidArgument, "unknown hash algorithm");
  }
  // Crypto++ reports bad parameters with exceptions; they stop here.
  try {
    return Dispatch(*format, password, stored_hash);
  } catch (const std::bad_alloc&) {
    return MakeError(Code::kResourceExhausted,
                     std::string(HashFormatName(*format)) + ": out of memory");
  } catch (const CryptoPP::Exception& e) {
    return MakeError(Code::kInvalidArgument,
                     std::string(HashFormatName(*format)) + ": " + e.what());
  }
}

}  // namespace mneme::infra::hash
