#include "domain/throttle/client_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string_view>

namespace mneme::domain::throttle {

Status Validate(const ClientLimiterOptions& o) {
  if (!(o.burst >= 1) || !std::isfinite(o.burst)) {
    return MakeError(Code::kInvalidArgument, "throttle: client.burst must be >= 1");
  }
  if (!(o.per_second > 0) || !std::isfinite(o.per_second)) {
    return MakeError(Code::kInvalidArgument, "throttle: client.per_second must be positive");
  }
  if (o.max_clients == 0) {
    return MakeError(Code::kInvalidArgument, "throttle: client max_clients must be positive");
  }
  return OkStatus();
}

ClientLimiter::ClientLimiter(const Clock& clock, ClientLimiterOptions options)
    : clock_(clock), options_(options) {
  size_t per_shard = (options_.max_clients + kShards - 1) / kShards;
  for (auto& shard : shards_) {
    shard = std::make_unique<Shard>(per_shard);
  }
}

Decision ClientLimiter::Take(const std::string& client) {
  const int64_t now = clock_.Now().micros;
  Shard& shard = *shards_[std::hash<std::string_view>{}(client) % kShards];
  std::lock_guard lock(shard.mu);
  Bucket& bucket = shard.buckets.Touch(client);
  if (!bucket.initialised) {
    bucket = Bucket{true, options_.burst, now};
  }
  // A clock that steps back refills nothing rather than draining.
  int64_t elapsed = std::max<int64_t>(now - bucket.last_refill, 0);
  double refill = static_cast<double>(elapsed) * options_.per_second / 1e6;
  bucket.tokens = std::min(options_.burst, bucket.tokens + refill);
  bucket.last_refill = std::max(bucket.last_refill, now);
  // The epsilon absorbs rounding of fractional refills, so a client that waits
  // exactly retry_after is not refused again.
  constexpr double kEpsilon = 1e-9;
  if (bucket.tokens >= 1 - kEpsilon) {
    bucket.tokens = std::max(bucket.tokens - 1, 0.0);
    return Decision{true, std::chrono::seconds(0)};
  }
  double wait = std::ceil((1 - bucket.tokens) / options_.per_second - kEpsilon);
  return Decision{false, std::chrono::seconds(std::max<int64_t>(static_cast<int64_t>(wait), 1))};
}

size_t ClientLimiter::SizeForTest() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->buckets.size();
  }
  return total;
}

}  // namespace mneme::domain::throttle
