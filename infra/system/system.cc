#include "infra/system/system.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "infra/crypto/aead.h"

namespace mneme::infra::system {

domain::Timestamp SystemClock::Now() const {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return domain::Timestamp{std::chrono::duration_cast<std::chrono::microseconds>(now).count()};
}

std::string RandomIdGenerator::NewUuid() {
  std::string b = crypto::RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    auto c = static_cast<uint8_t>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string SystemRandom::Bytes(size_t n) { return crypto::RandomBytes(n); }

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace mneme::infra::system
