#include "api/selfservice/csrf.h"

#include "infra/crypto/aead.h"
#include "infra/crypto/keyed_hasher.h"

namespace mneme::api {
namespace {

constexpr size_t kTokenBytes = 32;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

template <typename F>
void ForEachCookie(const httplib::Request& req, F&& f) {
  auto range = req.headers.equal_range("Cookie");
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view header = it->second;
    while (!header.empty()) {
      size_t semi = header.find(';');
      std::string_view pair = Trim(header.substr(0, semi));
      header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        continue;
      }
      std::string_view value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (!f(Trim(pair.substr(0, eq)), value)) {
        return;
      }
    }
  }
}

}  // namespace

std::string CsrfCookieName(std::string_view public_base_url) {
  return "csrf_token_" + infra::crypto::Sha256Hex(public_base_url);
}

std::string NewCsrfToken(domain::RandomSource& random) { return random.Bytes(kTokenBytes); }

std::string MaskCsrfToken(std::string_view raw, domain::RandomSource& random) {
  std::string pad = random.Bytes(kTokenBytes);
  std::string out = pad;
  for (size_t i = 0; i < kTokenBytes && i < raw.size(); ++i) {
    out.push_back(static_cast<char>(raw[i] ^ pad[i]));
  }
  return infra::crypto::Base64StdEncode(out);
}

std::optional<std::string> UnmaskCsrfToken(std::string_view masked) {
  std::string bytes;
  if (masked.size() > 200 || !infra::crypto::Base64StdDecode(masked, bytes) ||
      bytes.size() != 2 * kTokenBytes) {
    return std::nullopt;
  }
  std::string raw(kTokenBytes, '\0');
  for (size_t i = 0; i < kTokenBytes; ++i) {
    raw[i] = static_cast<char>(bytes[i] ^ bytes[kTokenBytes + i]);
  }
  return raw;
}

std::optional<std::string> DecodeCsrfCookie(std::string_view value) {
  std::string raw;
  if (value.size() > 100 || !infra::crypto::Base64StdDecode(value, raw) ||
      raw.size() != kTokenBytes) {
    return std::nullopt;
  }
  return raw;
}

std::string EncodeCsrfCookie(std::string_view raw) { return infra::crypto::Base64StdEncode(raw); }

std::string CsrfHash(std::string_view raw) { return infra::crypto::Sha256Hex(raw); }

std::optional<std::string> RequestCookie(const httplib::Request& req, std::string_view name) {
  std::optional<std::string> found;
  ForEachCookie(req, [&](std::string_view n, std::string_view v) {
    if (n == name) {
      found = std::string(v);
      return false;
    }
    return true;
  });
  return found;
}

bool HasNonCloudflareCookie(const httplib::Request& req) {
  bool found = false;
  ForEachCookie(req, [&](std::string_view n, std::string_view) {
    if (!(n.starts_with("__cf") || n.starts_with("_cf") || n.starts_with("cf_"))) {
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

}  // namespace mneme::api
