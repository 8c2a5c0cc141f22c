#include "cmd/mneme/hashers_cli.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "infra/config/duration.h"
#include "infra/hash/calibrate.h"
#include "infra/hash/hasher_config.h"

namespace mneme::cmd {
namespace {

constexpr const char* kUsage = R"(Usage:
  mneme hashers argon2 calibrate [requests-per-minute] [flags]
Flags:
  --expected-duration D    target time of one hash (default 500ms)
  --expected-deviation D   allowed deviation (default 500ms)
  --max-memory SIZE        dedicated memory, the upper bound (default 1GB)
  --start-memory SIZE      first memory to try (default 128MB)
  --start-iterations N     first iterations to try (default 1)
  --parallelism N          threads per hash (default 2 x CPUs)
  -q, --quiet              no progress, only the result
Prints the parameters as JSON, ready for hashers.argon2 in the config.
)";

int Fail(const std::string& what) {
  std::fprintf(stderr, "mneme hashers: %s\n%s", what.c_str(), kUsage);
  return 2;
}

}  // namespace

int HashersCli(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[0] != "argon2" || args[1] != "calibrate") {
    return Fail("expected: hashers argon2 calibrate");
  }
  std::chrono::nanoseconds target = std::chrono::milliseconds(500);
  std::chrono::nanoseconds deviation = std::chrono::milliseconds(500);
  uint64_t max_memory = 1ull << 30;
  infra::hash::Argon2Params start;
  bool quiet = false;
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : ""; };
    auto duration = [&](std::chrono::nanoseconds& out) {
      auto d = infra::config::ParseDuration(value());
      if (d) {
        out = *d;
      }
      return d.has_value();
    };
    auto size = [&](uint64_t& out) {
      auto b = infra::hash::ParseByteSize(value());
      if (b) {
        out = *b;
      }
      return b.has_value();
    };
    if (a == "--expected-duration") {
      if (!duration(target)) return Fail("--expected-duration takes a duration such as 500ms");
    } else if (a == "--expected-deviation") {
      if (!duration(deviation)) return Fail("--expected-deviation takes a duration such as 500ms");
    } else if (a == "--max-memory") {
      if (!size(max_memory)) return Fail("--max-memory takes a size such as 1GB");
    } else if (a == "--start-memory") {
      uint64_t bytes = 0;
      if (!size(bytes)) return Fail("--start-memory takes a size such as 128MB");
      start.memory_kib = static_cast<uint32_t>(bytes / 1024);
    } else if (a == "--start-iterations") {
      start.iterations = static_cast<uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    } else if (a == "--parallelism") {
      start.parallelism = static_cast<uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!a.empty() && std::isdigit(static_cast<unsigned char>(a[0]))) {
      // requests-per-minute: Kratos's load-test rate; mneme checks sequential hashes instead.
    } else {
      return Fail("unknown flag " + a);
    }
  }
  auto params = infra::hash::CalibrateArgon2(
      target, deviation, max_memory,
      [quiet](const std::string& line) {
        if (!quiet) {
          std::fprintf(stderr, "%s\n", line.c_str());
        }
      },
      start);
  if (!params) {
    std::fprintf(stderr, "mneme hashers: %s\n", params.error().message().c_str());
    return 1;
  }
  nlohmann::json out = {{"memory", std::to_string(params->memory_kib) + "KB"},
                        {"iterations", params->iterations},
                        {"parallelism", params->parallelism},
                        {"salt_length", params->salt_length},
                        {"key_length", params->key_length}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace mneme::cmd
