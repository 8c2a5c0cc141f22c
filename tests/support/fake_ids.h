// A predictable IdGenerator for tests: "00000000-0000-4000-8000-000000000001",
// then ...0002 and so on (valid version-4 UUID text). Not thread-safe.
#pragma once

#include <cstdio>
#include <string>

#include "domain/common/clock.h"

namespace mneme::testing {

class SequentialIds final : public domain::IdGenerator {
 public:
  std::string NewUuid() override {
    char text[37];
    std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(++next_));
    return text;
  }
  int issued() const { return static_cast<int>(next_); }

 private:
  unsigned long long next_ = 0;
};

}  // namespace mneme::testing
