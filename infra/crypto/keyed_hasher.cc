#include "infra/crypto/keyed_hasher.h"

#include <cryptopp/base64.h>
#include <cryptopp/filters.h>
#include <cryptopp/hex.h>
#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>

namespace mneme::infra::crypto {
namespace {

std::string Hex(const CryptoPP::byte* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  CryptoPP::HMAC<CryptoPP::SHA256> mac(reinterpret_cast<const CryptoPP::byte*>(key.data()),
                                       key.size());
  CryptoPP::byte digest[CryptoPP::SHA256::DIGESTSIZE];
  mac.CalculateDigest(digest, reinterpret_cast<const CryptoPP::byte*>(message.data()),
                      message.size());
  return Hex(digest, sizeof digest);
}

std::string Sha256Hex(std::string_view message) {
  CryptoPP::SHA256 sha;
  CryptoPP::byte digest[CryptoPP::SHA256::DIGESTSIZE];
  sha.CalculateDigest(digest, reinterpret_cast<const CryptoPP::byte*>(message.data()),
                      message.size());
  return Hex(digest, sizeof digest);
}

std::string Base64StdEncode(std::string_view bytes) {
  std::string out;
  CryptoPP::StringSource(reinterpret_cast<const CryptoPP::byte*>(bytes.data()), bytes.size(),
                         true, new CryptoPP::Base64Encoder(new CryptoPP::StringSink(out), false));
  return out;
}

bool Base64StdDecode(std::string_view text, std::string& out) {
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) {
      return false;
    }
  }
  out.clear();
  CryptoPP::StringSource(reinterpret_cast<const CryptoPP::byte*>(text.data()), text.size(), true,
                         new CryptoPP::Base64Decoder(new CryptoPP::StringSink(out)));
  return true;
}

std::string HmacKeyedHasher::Hash(std::string_view secret) const {
  return HmacSha256Hex(secrets_.front(), secret);
}

std::vector<std::string> HmacKeyedHasher::Candidates(std::string_view secret) const {
  std::vector<std::string> out;
  out.reserve(secrets_.size());
  for (const auto& key : secrets_) {
    out.push_back(HmacSha256Hex(key, secret));
  }
  return out;
}

}  // namespace mneme::infra::crypto
