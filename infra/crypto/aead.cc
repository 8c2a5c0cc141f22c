#include "infra/crypto/aead.h"

#include <sys/random.h>

#include <array>

#include <cryptopp/aes.h>
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

// Keying AES-GCM (key schedule and GHASH tables) costs more than sealing a
// small value, and replays open thousands of values under one identity's key
// in a row: each thread keeps its last keyed cipher. The IV is given to every
// call, so nothing else carries over between values.
template <typename Mode>
Mode& Keyed(std::string_view key) {
  thread_local struct {
    std::string key;
    Mode mode;
  } last;
  if (last.key != key) {
    // GCM insists on an IV when keyed; every call gives its own anyway.
    const CryptoPP::byte zero_iv[kNonceSize] = {};
    last.mode.SetKeyWithIV(Bytes(key), key.size(), zero_iv, sizeof zero_iv);
    last.key.assign(key.data(), key.size());
  }
  return last.mode;
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
  auto& enc = Keyed<CryptoPP::GCM<CryptoPP::AES>::Encryption>(key);
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
  auto& dec = Keyed<CryptoPP::GCM<CryptoPP::AES>::Decryption>(key);
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

// Table-driven: this sits on the append path (every sealed field).
std::string Base64UrlEncode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = in[i] << 16;
    if (rest == 2) {
      v |= in[i + 1] << 8;
    }
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) {
      out.push_back(kAlphabet[(v >> 6) & 63]);
    }
  }
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  // 0..63 for the alphabet, 64 for anything else. Every sealed value in the
  // log is decoded with this on reads, so it works four characters at a time.
  static constexpr auto kValues = [] {
    std::array<uint8_t, 256> t{};
    t.fill(64);
    for (int i = 0; i < 26; ++i) {
      t['A' + i] = static_cast<uint8_t>(i);
      t['a' + i] = static_cast<uint8_t>(26 + i);
    }
    for (int i = 0; i < 10; ++i) {
      t['0' + i] = static_cast<uint8_t>(52 + i);
    }
    t['-'] = 62;
    t['_'] = 63;
    return t;
  }();
  if (text.size() % 4 == 1) {
    return MakeError(Code::kInvalidArgument, "not base64url");
  }
  const size_t full = text.size() / 4;
  const size_t rest = text.size() % 4;  // 0, 2 or 3 characters
  std::string out(full * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  uint8_t bad = 0;
  for (size_t q = 0; q < full; ++q, in += 4, o += 3) {
    const uint8_t a = kValues[in[0]], b = kValues[in[1]], c = kValues[in[2]], d = kValues[in[3]];
    bad |= (a | b | c | d) & 64;
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>(v >> 8);
    o[2] = static_cast<char>(v);
  }
  if (rest > 0) {
    uint32_t v = 0;
    for (size_t k = 0; k < rest; ++k) {
      const uint8_t x = kValues[in[k]];
      bad |= x & 64;
      v |= uint32_t{x} << (18 - 6 * k);
    }
    o[0] = static_cast<char>(v >> 16);
    if (rest == 3) {
      o[1] = static_cast<char>(v >> 8);
    }
  }
  if (bad) {
    return MakeError(Code::kInvalidArgument, "not base64url");
  }
  return out;
}

}  // namespace mneme::infra::crypto
