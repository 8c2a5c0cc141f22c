// ClientLimiter: a token bucket per client (IP address, see ClientAddress and
// RateLimitKey) in front of the self-service submit endpoints (security
// checklist item 22). It caps how fast one client may try passwords or codes
// across all accounts; LoginThrottle caps one account across all clients.
//
// Each client starts with `burst` tokens; a request takes one; tokens refill
// at `per_second` up to `burst`. With no token left the answer is a refusal
// with the whole seconds until the next token.
//
// Memory: at most max_clients buckets (rounded up to a multiple of 16); when
// full, the bucket used least recently is evicted. Eviction only forgets
// debt: a forgotten client gets a full bucket again (fails open), it is never
// refused because of it.
//
// Thread-safety: Take may be called concurrently; buckets are split into 16
// shards by key hash, each behind its own mutex. The clock must outlive the
// limiter. Per process: replicas keep separate buckets.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "domain/common/clock.h"
#include "domain/common/result.h"
#include "domain/throttle/bounded_lru_map.h"
#include "domain/throttle/decision.h"

namespace mneme::domain::throttle {

struct ClientLimiterOptions {
  double burst = 30;
  double per_second = 1;
  size_t max_clients = 100'000;
};

// kInvalidArgument: burst < 1, per_second <= 0 (or not finite) or
// max_clients == 0. Call when loading config; the limiter does not check.
Status Validate(const ClientLimiterOptions& options);

class ClientLimiter {
 public:
  explicit ClientLimiter(const Clock& clock, ClientLimiterOptions options = {});

  ClientLimiter(const ClientLimiter&) = delete;
  ClientLimiter& operator=(const ClientLimiter&) = delete;

  // Takes one token from `client`'s bucket if it has one.
  Decision Take(const std::string& client);

  size_t SizeForTest() const;

 private:
  static constexpr size_t kShards = 16;
  struct Bucket {
    bool initialised = false;
    double tokens = 0;
    int64_t last_refill = 0;  // micros
  };
  struct Shard {
    explicit Shard(size_t capacity) : buckets(capacity) {}
    mutable std::mutex mu;
    BoundedLruMap<Bucket> buckets;
  };

  const Clock& clock_;
  const ClientLimiterOptions options_;
  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace mneme::domain::throttle
