// HibpClient: BreachedPasswords over the Have I Been Pwned range API
// (k-anonymity: only the first 5 hex digits of SHA-1(password) leave the
// process). GET <base>/range/<PREFIX> with "User-Agent: mneme" and
// "Add-Padding: true" (HIBP pads responses so their size does not tell the
// prefix to an observer; padding lines have count 0). libcurl, one easy handle
// per lookup.
//
// Lifecycle: built by Create; the Clock must outlive the client.
// Thread-safety: Count may be called concurrently; the result cache is
// guarded by a mutex, which is never held during a request (two concurrent
// misses for the same password both ask HIBP).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/common/clock.h"
#include "domain/common/result.h"
#include "domain/password/breached.h"

namespace mneme::infra::password {

struct HibpOptions {
  // Kratos's password.haveibeenpwned_host. Without a scheme, https:// is
  // used; "http://127.0.0.1:PORT" is for tests. Only http and https are
  // spoken, and redirects are not followed.
  std::string host = "api.pwnedpasswords.com";
  // For the whole request, connection included; must be positive.
  std::chrono::milliseconds timeout{1000};
  // How long a count is reused; 0 disables the cache.
  std::chrono::seconds cache_ttl{3600};
  // At most this many cached counts; when full, expired entries go first,
  // then an arbitrary one.
  size_t cache_capacity = 10000;
};

class HibpClient final : public domain::password::BreachedPasswords {
 public:
  // Errors: kInvalidArgument (empty host, a scheme other than http/https, a
  // host with whitespace, a timeout that is not positive), kInternal (libcurl failed to initialise).
  static Result<std::unique_ptr<HibpClient>> Create(HibpOptions options,
                                                    const domain::Clock& clock);
  ~HibpClient() override;
  HibpClient(const HibpClient&) = delete;
  HibpClient& operator=(const HibpClient&) = delete;
  HibpClient(HibpClient&&) = delete;
  HibpClient& operator=(HibpClient&&) = delete;

  // The count HIBP reports for the password's hash, 0 if its suffix is not
  // listed; a listed suffix without a count counts 1, and thousands
  // separators are ignored. Results (not errors) are cached per full hash for
  // cache_ttl.
  // Errors: kUnavailable (connection failure, timeout, a status other than
  // 200, a response over 4 MiB, or an unparseable count on the password's own
  // line).
  Result<int64_t> Count(std::string_view password) override;

 private:
  struct CacheEntry {
    int64_t count;
    int64_t expires_micros;
  };

  HibpClient(HibpOptions options, std::string base_url, const domain::Clock& clock);

  Result<int64_t> Fetch(std::string_view hex_hash) const;
  void Remember(const std::string& hex_hash, int64_t count);

  const HibpOptions options_;
  const std::string base_url_;  // scheme://host[:port], no trailing '/'
  const domain::Clock& clock_;

  std::mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;  // guarded by mu_
};

}  // namespace mneme::infra::password
