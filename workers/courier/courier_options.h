// Flags of `mneme-courier`, the standalone mail worker. For now the worker
// parses its flags and config and reports what it would consume; the Kafka
// consumer group and SMTP sending arrive with issue 5.
#pragma once

#include <string>
#include <vector>

#include "domain/common/result.h"

namespace mneme::workers::courier {

struct CourierOptions {
  std::vector<std::string> config_files;
  int expose_metrics_port = 0;
  bool help = false;
};

// Errors: kInvalidArgument naming the bad flag.
Result<CourierOptions> ParseCourierFlags(const std::vector<std::string>& args);

extern const char* const kCourierUsage;

}  // namespace mneme::workers::courier
