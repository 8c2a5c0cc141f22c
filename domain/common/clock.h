// Clock and randomness ports, injected everywhere time or chance matters so
// tests can use fakes. Implementations: infra/system (real), tests/support.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/event/event.h"

namespace mneme::domain {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new random (version 4) UUID in canonical lower-case form.
  virtual std::string NewUuid() = 0;
};

// Secret randomness (session tokens, CSRF tokens, codes): bytes from a
// CSPRNG in production, a seeded sequence in tests.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual std::string Bytes(size_t n) = 0;
};

}  // namespace mneme::domain
