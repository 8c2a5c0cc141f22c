#include "workers/courier/courier_options.h"

namespace mneme::workers::courier {

const char* const kCourierUsage = R"(mneme-courier: the standalone mail worker

Usage:
  mneme-courier -c FILE [-c FILE ...] [--worker-id ID] [--concurrency N]
                [--expose-metrics-port N]

Consumes <mneme.kafka.topic_prefix>.courier in the consumer group
<prefix>-courier, sends each mail over courier.smtp (retries, then abandoned
after courier.message_retries), reports outcomes on <prefix>.courier.status.
Needs mneme.kafka.brokers and secrets.cipher (the same as mneme serve's).
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
    } else if (a == "--worker-id" && i + 1 < args.size()) {
      o.worker_id = args[++i];
    } else if (a == "--concurrency" && i + 1 < args.size()) {
      try {
        o.concurrency = std::stoi(args[++i]);
      } catch (const std::exception&) {
        return MakeError(Code::kInvalidArgument, "--concurrency takes a number");
      }
      if (o.concurrency < 1) {
        return MakeError(Code::kInvalidArgument, "--concurrency must be at least 1");
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
