// Flags of `mneme-courier`, the standalone mail worker.
#pragma once

#include <string>
#include <vector>

#include "domain/common/result.h"

namespace mneme::workers::courier {

struct CourierOptions {
  std::vector<std::string> config_files;
  int expose_metrics_port = 0;
  std::string worker_id;  // --worker-id (default: <hostname>-<pid>)
  int concurrency = 0;    // --concurrency (default: 16 mails in flight)
  bool help = false;
};

// Errors: kInvalidArgument naming the bad flag.
Result<CourierOptions> ParseCourierFlags(const std::vector<std::string>& args);

extern const char* const kCourierUsage;

}  // namespace mneme::workers::courier
