// Real clock and id generator (ports from domain/common/clock.h).
// Thread-safe.
#pragma once

#include "domain/common/clock.h"

namespace mneme::infra::system {

class SystemClock final : public domain::Clock {
 public:
  domain::Timestamp Now() const override;
};

// Version 4 UUIDs from the kernel's CSPRNG.
class RandomIdGenerator final : public domain::IdGenerator {
 public:
  std::string NewUuid() override;
};

// Bytes from the kernel's CSPRNG.
class SystemRandom final : public domain::RandomSource {
 public:
  std::string Bytes(size_t n) override;
};

// Current resident set size of this process in bytes (from /proc).
uint64_t ResidentBytes();

}  // namespace mneme::infra::system
