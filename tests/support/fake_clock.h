// A settable clock for tests of time-dependent rules (expiry, back-off,
// caches). Thread-safe: Now() and Advance() may race.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "domain/common/clock.h"

namespace mneme::testing {

class FakeClock final : public domain::Clock {
 public:
  explicit FakeClock(int64_t micros = 1'700'000'000'000'000) : micros_(micros) {}
  domain::Timestamp Now() const override { return domain::Timestamp{micros_.load()}; }
  void Advance(std::chrono::microseconds by) { micros_ += by.count(); }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace mneme::testing
