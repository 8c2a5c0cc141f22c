#include "workers/courier/courier_options.h"

namespace mneme::workers::courier {

const char* const kCourierUsage = R"(mneme-courier: the standalone mail worker

Usage:
  mneme-courier -c FILE [-c FILE ...] [--expose-metrics-port N]
)";

Result<CourierOptions> ParseCourierFlags(const std::vector<std::string>& args) {
  CourierOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      o.config_files.push_back(args[++i]);
    } else if (a == "--expose-metrics-port" && i + 1 < args.size()) {
      try {
        o.expose_metrics_port = std::stoi(args[++i]);
      } catch (const std::exception&) {
        return MakeError(Code::kInvalidArgument, "--expose-metrics-port takes a port number");
      }
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else {
      return MakeError(Code::kInvalidArgument, "unknown flag " + a);
    }
  }
  if (!o.help && o.config_files.empty()) {
    return MakeError(Code::kInvalidArgument, "give a config file with -c FILE");
  }
  return o;
}

}  // namespace mneme::workers::courier
