// LoginThrottle: per-account back-off after consecutive failed logins
// (security checklist item 21). Kratos has none; this is mneme's own.
//
// Keyed by the normalized identifier the user typed, whether or not an
// identity has it, so unknown identifiers are throttled exactly like known
// ones and the throttle is no account-existence oracle.
//
// Policy (LoginThrottleOptions): the first `free_failures` consecutive
// failures cost nothing; failure n > free_failures blocks further attempts for
// min(base_delay * 2^(n - free_failures), max_delay). The count stops at
// `hard_limit`; from there every attempt waits max_delay. There is no
// permanent lockout: once the back-off has passed, the right password works
// and a success resets the count. A count expires after `window` without
// failures (and never while its back-off runs).
//
// With the defaults (5, 1 s, 15 min, 100, 1 h) an attacker retrying as soon as
// allowed gets 17 failures in the first hour and needs about 21.5 h for 100.
//
// Usage per attempt: Check; if allowed, verify the password, then
// RecordSuccess or RecordFailure. Check reserves the attempt ("in flight")
// until its outcome is recorded, so concurrent attempts (from many IPs)
// cannot run past the schedule: once the free failures are used up by
// recorded plus in-flight attempts, Check lets one attempt through and holds
// the others until its back-off would end. A reservation never recorded
// lapses after `attempt_timeout`.
//
// Memory: at most max_keys entries (rounded up to a multiple of 16); when
// full, the entry updated least recently is evicted. Eviction only ever
// forgets failures: a forgotten key starts again with free failures (fails
// open to the back-off schedule), it never locks anyone out.
//
// Thread-safety: all methods may be called concurrently; state is split into
// 16 shards by key hash, each behind its own mutex. The clock must outlive
// the throttle. Per process: replicas keep separate counts.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "domain/common/clock.h"
#include "domain/common/result.h"
#include "domain/throttle/bounded_lru_map.h"
#include "domain/throttle/decision.h"

namespace mneme::domain::throttle {

struct LoginThrottleOptions {
  int free_failures = 5;
  std::chrono::microseconds base_delay = std::chrono::seconds(1);
  std::chrono::microseconds max_delay = std::chrono::minutes(15);
  int hard_limit = 100;
  std::chrono::microseconds window = std::chrono::hours(1);
  std::chrono::microseconds attempt_timeout = std::chrono::seconds(30);
  size_t max_keys = 100'000;
};

// kInvalidArgument: free_failures < 0, hard_limit <= free_failures,
// base_delay <= 0, max_delay < base_delay, window <= 0, attempt_timeout <= 0
// or max_keys == 0. Call when loading config; the throttle itself does not
// check.
Status Validate(const LoginThrottleOptions& options);

class LoginThrottle {
 public:
  explicit LoginThrottle(const Clock& clock, LoginThrottleOptions options = {});

  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  // Whether an attempt for `key` may go ahead now. An allowed attempt is
  // reserved until RecordFailure/RecordSuccess (or attempt_timeout).
  Decision Check(std::string_view key);
  // The attempt failed (wrong password, or no such identifier).
  void RecordFailure(std::string_view key);
  // The attempt succeeded: forgets the key.
  void RecordSuccess(std::string_view key);

  // The back-off that failure number `failures` imposes (0 while free).
  std::chrono::microseconds DelayAfter(int failures) const;

  size_t SizeForTest() const;

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    int failures = 0;   // consecutive recorded failures, <= hard_limit
    int in_flight = 0;  // allowed by Check, outcome not yet recorded
    int64_t last_failure = 0;
    int64_t last_grant = 0;
    int64_t blocked_until = 0;  // no attempt before this (micros)
  };
  struct Shard {
    explicit Shard(size_t capacity) : entries(capacity) {}
    mutable std::mutex mu;
    BoundedLruMap<Entry> entries;
  };

  Shard& ShardFor(std::string_view key);
  void Expire(Entry& entry, int64_t now) const;

  const Clock& clock_;
  const LoginThrottleOptions options_;
  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace mneme::domain::throttle
