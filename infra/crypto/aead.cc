#include "infra/crypto/aead.h"

#include <sys/random.h>

#include <cryptopp/aes.h>
#include <cryptopp/base64.h>
#include <cryptopp/filters.h>
#include <cryptopp/gcm.h>
#include <cryptopp/misc.h>

namespace mneme::infra::crypto {
namespace {

constexpr uint8_t kFormat = 1;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

const CryptoPP::byte* Bytes(std::string_view s) {
  return reinterpret_cast<const CryptoPP::byte*>(s.data());
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t filled = 0;
  while (filled < n) {
    ssize_t got = getrandom(out.data() + filled, n - filled, 0);
    if (got > 0) {
      filled += static_cast<size_t>(got);
    }
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CryptoPP::VerifyBufsEqual(Bytes(a), Bytes(b), a.size());
}

Result<std::string> Seal(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != kKeySize) {
    return MakeError(Code::kInvalidArgument, "AES-256-GCM needs a 32-byte key");
  }
  const std::string nonce = RandomBytes(kNonceSize);
  CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
  enc.SetKeyWithIV(Bytes(key), key.size(), Bytes(nonce), nonce.size());
  std::string out;
  out.reserve(1 + kNonceSize + plaintext.size() + kTagSize);
  out.push_back(static_cast<char>(kFormat));
  out.append(nonce);
  std::string body(plaintext.size() + kTagSize, '\0');
  auto* cipher = reinterpret_cast<CryptoPP::byte*>(body.data());
  enc.EncryptAndAuthenticate(cipher, cipher + plaintext.size(), kTagSize, Bytes(nonce),
                             static_cast<int>(nonce.size()), Bytes(aad), aad.size(),
                             Bytes(plaintext), plaintext.size());
  out.append(body);
  return out;
}

Result<std::string> Open(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kKeySize) {
    return MakeError(Code::kInvalidArgument, "AES-256-GCM needs a 32-byte key");
  }
  if (sealed.size() < 1 + kNonceSize + kTagSize || static_cast<uint8_t>(sealed[0]) != kFormat) {
    return MakeError(Code::kDataLoss, "sealed value is malformed");
  }
  const std::string_view nonce = sealed.substr(1, kNonceSize);
  const std::string_view body = sealed.substr(1 + kNonceSize);
  const size_t n = body.size() - kTagSize;
  CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
  dec.SetKeyWithIV(Bytes(key), key.size(), Bytes(nonce), nonce.size());
  std::string plain(n, '\0');
  bool ok = dec.DecryptAndVerify(reinterpret_cast<CryptoPP::byte*>(plain.data()),
                                 Bytes(body.substr(n)), kTagSize, Bytes(nonce),
                                 static_cast<int>(nonce.size()),
                                 Bytes(aad), aad.size(), Bytes(body), n);
  if (!ok) {
    return MakeError(Code::kDataLoss, "sealed value failed authentication");
  }
  return plain;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  CryptoPP::StringSource src(Bytes(bytes), bytes.size(), true,
                             new CryptoPP::Base64URLEncoder(new CryptoPP::StringSink(out), false));
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '=';
    if (!ok) {
      return MakeError(Code::kInvalidArgument, "not base64url");
    }
  }
  std::string out;
  CryptoPP::StringSource src(Bytes(text), text.size(), true,
                             new CryptoPP::Base64URLDecoder(new CryptoPP::StringSink(out)));
  return out;
}

}  // namespace mneme::infra::crypto
