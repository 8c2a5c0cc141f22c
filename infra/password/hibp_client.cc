#include "infra/password/hibp_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

#include <cryptopp/sha.h>
#include <curl/curl.h>

namespace mneme::infra::password {
namespace {

constexpr size_t kPrefixLength = 5;
constexpr size_t kMaxResponseBytes = 4 << 20;

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct Body {
  std::string data;
  bool too_large = false;
};

size_t Collect(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* body = static_cast<Body*>(userdata);
  const size_t n = size * nmemb;
  if (body->data.size() + n > kMaxResponseBytes) {
    body->too_large = true;
    return 0;  // makes libcurl fail with CURLE_WRITE_ERROR
  }
  body->data.append(ptr, n);
  return n;
}

std::string Sha1Hex(std::string_view s) {
  CryptoPP::byte digest[CryptoPP::SHA1::DIGESTSIZE];
  CryptoPP::SHA1().CalculateDigest(digest, reinterpret_cast<const CryptoPP::byte*>(s.data()),
                                   s.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex;
  hex.reserve(2 * sizeof(digest));
  for (CryptoPP::byte b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xF]);
  }
  return hex;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// The count on the line for `suffix` in a range response: 0 if absent, 1 if
// the line has no count. nullopt for a count that is not a number.
std::optional<int64_t> FindCount(std::string_view body, std::string_view suffix) {
  while (!body.empty()) {
    const size_t end = body.find('\n');
    std::string_view line = Trim(body.substr(0, end));
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    const size_t colon = line.find(':');
    if (!EqualsIgnoreCase(Trim(line.substr(0, colon)), suffix)) {
      continue;
    }
    if (colon == std::string_view::npos) {
      return 1;
    }
    std::string digits;
    for (char c : Trim(line.substr(colon + 1))) {
      if (c != ',') {
        digits.push_back(c);
      }
    }
    if (digits.empty()) {
      return 1;
    }
    int64_t count = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || count < 0) {
      return std::nullopt;
    }
    return count;
  }
  return 0;
}

int64_t Micros(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::microseconds>(s).count();
}

}  // namespace

Result<std::unique_ptr<HibpClient>> HibpClient::Create(HibpOptions options,
                                                       const domain::Clock& clock) {
  std::string base = options.host;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  if (base.empty()) {
    return MakeError(Code::kInvalidArgument, "haveibeenpwned host is empty");
  }
  if (options.timeout.count() <= 0) {
    return MakeError(Code::kInvalidArgument, "haveibeenpwned timeout must be positive");
  }
  if (std::any_of(base.begin(), base.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
    return MakeError(Code::kInvalidArgument, "haveibeenpwned host contains whitespace");
  }
  const size_t scheme_end = base.find("://");
  if (scheme_end == std::string::npos) {
    base = "https://" + base;
  } else {
    std::string scheme = base.substr(0, scheme_end);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme != "http" && scheme != "https") {
      return MakeError(Code::kInvalidArgument,
                       "haveibeenpwned host must be http:// or https://, not " + scheme);
    }
  }
  // Thread-safe and reference-counted in libcurl >= 7.84; paired with
  // curl_global_cleanup in the destructor.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return MakeError(Code::kInternal, "curl_global_init failed");
  }
  return std::unique_ptr<HibpClient>(new HibpClient(std::move(options), std::move(base), clock));
}

HibpClient::HibpClient(HibpOptions options, std::string base_url, const domain::Clock& clock)
    : options_(std::move(options)), base_url_(std::move(base_url)), clock_(clock) {}

HibpClient::~HibpClient() { curl_global_cleanup(); }

Result<int64_t> HibpClient::Count(std::string_view password) {
  const std::string hash = Sha1Hex(password);
  const int64_t now = clock_.Now().micros;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end()) {
      if (it->second.expires_micros > now) {
        return it->second.count;
      }
      cache_.erase(it);
    }
  }
  MNEME_TRY(const int64_t count, Fetch(hash));
  Remember(hash, count);
  return count;
}

Result<int64_t> HibpClient::Fetch(std::string_view hex_hash) const {
  const std::string_view prefix = hex_hash.substr(0, kPrefixLength);
  const std::string_view suffix = hex_hash.substr(kPrefixLength);
  const std::string url = base_url_ + "/range/" + std::string(prefix);
  // Error messages name base_url_, never the prefix: logs keep no bits of
  // the password's hash.

  CurlEasy curl(curl_easy_init());
  if (!curl) {
    return MakeError(Code::kUnavailable, "haveibeenpwned: curl_easy_init failed");
  }
  curl_slist* raw_headers = curl_slist_append(nullptr, "Add-Padding: true");
  CurlSlist headers(raw_headers);
  if (!headers) {
    return MakeError(Code::kUnavailable, "haveibeenpwned: out of memory");
  }
  Body body;
  char error[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(options_.timeout.count());
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: thread-safe
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "mneme");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  const CURLcode rc = curl_easy_perform(h);
  if (body.too_large) {
    return MakeError(Code::kUnavailable, "haveibeenpwned: response over 4 MiB from " + base_url_);
  }
  if (rc != CURLE_OK) {
    return MakeError(Code::kUnavailable, "haveibeenpwned: " + base_url_ + ": " +
                                             (error[0] != '\0' ? error : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return MakeError(Code::kUnavailable,
                     "haveibeenpwned: " + base_url_ + " answered " + std::to_string(status));
  }
  const std::optional<int64_t> count = FindCount(body.data, suffix);
  if (!count) {
    return MakeError(Code::kUnavailable, "haveibeenpwned: unparseable count from " + base_url_);
  }
  return *count;
}

void HibpClient::Remember(const std::string& hex_hash, int64_t count) {
  if (options_.cache_ttl.count() <= 0 || options_.cache_capacity == 0) {
    return;
  }
  const int64_t now = clock_.Now().micros;
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= options_.cache_capacity && cache_.count(hex_hash) == 0) {
    std::erase_if(cache_, [now](const auto& kv) { return kv.second.expires_micros <= now; });
    if (cache_.size() >= options_.cache_capacity) {
      cache_.erase(cache_.begin());
    }
  }
  cache_[hex_hash] = CacheEntry{count, now + Micros(options_.cache_ttl)};
}

}  // namespace mneme::infra::password
