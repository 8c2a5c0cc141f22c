// Decision: the answer of a throttle (LoginThrottle, ClientLimiter) to "may
// this attempt go ahead now?". The API answers a refusal with 429 Too Many
// Requests and `Retry-After: <retry_after>` (docs/security-throttling.md).
//
// Thread-safety: value type.
#pragma once

#include <chrono>

namespace mneme::domain::throttle {

struct Decision {
  bool allowed = true;
  // Whole seconds until an attempt can be allowed, rounded up; at least 1
  // when refused, 0 when allowed.
  std::chrono::seconds retry_after{0};
};

}  // namespace mneme::domain::throttle
