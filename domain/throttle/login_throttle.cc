#include "domain/throttle/login_throttle.h"

#include <algorithm>
#include <functional>
#include <string>

namespace mneme::domain::throttle {
namespace {

std::chrono::seconds RoundUpToSeconds(int64_t micros) {
  int64_t seconds = (micros + 999'999) / 1'000'000;
  return std::chrono::seconds(std::max<int64_t>(seconds, 1));
}

}  // namespace

Status Validate(const LoginThrottleOptions& o) {
  if (o.free_failures < 0) {
    return MakeError(Code::kInvalidArgument, "throttle: login.free_failures must be >= 0");
  }
  if (o.hard_limit <= o.free_failures) {
    return MakeError(Code::kInvalidArgument,
                     "throttle: login hard limit must be greater than free_failures");
  }
  if (o.base_delay.count() <= 0) {
    return MakeError(Code::kInvalidArgument, "throttle: login.base_delay must be positive");
  }
  if (o.max_delay < o.base_delay) {
    return MakeError(Code::kInvalidArgument, "throttle: login.max_delay must be >= base_delay");
  }
  if (o.window.count() <= 0 || o.attempt_timeout.count() <= 0) {
    return MakeError(Code::kInvalidArgument,
                     "throttle: login window and attempt timeout must be positive");
  }
  if (o.max_keys == 0) {
    return MakeError(Code::kInvalidArgument, "throttle: login max_keys must be positive");
  }
  return OkStatus();
}

LoginThrottle::LoginThrottle(const Clock& clock, LoginThrottleOptions options)
    : clock_(clock), options_(options) {
  size_t per_shard = (options_.max_keys + kShards - 1) / kShards;
  for (auto& shard : shards_) {
    shard = std::make_unique<Shard>(per_shard);
  }
}

LoginThrottle::Shard& LoginThrottle::ShardFor(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::chrono::microseconds LoginThrottle::DelayAfter(int failures) const {
  if (failures <= options_.free_failures) {
    return std::chrono::microseconds(0);
  }
  if (failures >= options_.hard_limit) {
    return options_.max_delay;
  }
  // Double step by step so a large exponent cannot overflow.
  std::chrono::microseconds delay = options_.base_delay;
  for (int i = options_.free_failures; i < failures && delay < options_.max_delay; ++i) {
    delay *= 2;
  }
  return std::min(delay, options_.max_delay);
}

void LoginThrottle::Expire(Entry& entry, int64_t now) const {
  if (entry.in_flight > 0 && now - entry.last_grant >= options_.attempt_timeout.count()) {
    entry.in_flight = 0;
  }
  if (entry.failures > 0 && now - entry.last_failure >= options_.window.count() &&
      now >= entry.blocked_until) {
    entry.failures = 0;
  }
}

Decision LoginThrottle::Check(std::string_view key) {
  const int64_t now = clock_.Now().micros;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  Entry& entry = shard.entries.Touch(key);
  Expire(entry, now);
  if (now < entry.blocked_until) {
    return Decision{false, RoundUpToSeconds(entry.blocked_until - now)};
  }
  // Count this attempt as if it will fail; if that failure would impose a
  // back-off, hold everyone else until it would end (RecordSuccess lifts it).
  int charged = std::min(entry.failures + entry.in_flight + 1, options_.hard_limit);
  ++entry.in_flight;
  entry.last_grant = now;
  std::chrono::microseconds hold = DelayAfter(charged);
  if (hold.count() > 0) {
    entry.blocked_until = now + hold.count();
  }
  return Decision{true, std::chrono::seconds(0)};
}

void LoginThrottle::RecordFailure(std::string_view key) {
  const int64_t now = clock_.Now().micros;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  Entry& entry = shard.entries.Touch(key);
  Expire(entry, now);
  if (entry.in_flight > 0) {
    --entry.in_flight;
  }
  entry.failures = std::min(entry.failures + 1, options_.hard_limit);
  entry.last_failure = now;
  std::chrono::microseconds delay = DelayAfter(entry.failures);
  if (delay.count() > 0) {
    entry.blocked_until = std::max(entry.blocked_until, now + delay.count());
  }
}

void LoginThrottle::RecordSuccess(std::string_view key) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  shard.entries.Erase(key);
}

size_t LoginThrottle::SizeForTest() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->entries.size();
  }
  return total;
}

}  // namespace mneme::domain::throttle
