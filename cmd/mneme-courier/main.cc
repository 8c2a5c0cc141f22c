// mneme-courier: the standalone mail worker (a Kafka consumer group).
#include <cstdio>

#include "infra/config/config.h"
#include "infra/logging/logging.h"
#include "workers/courier/courier_options.h"

int main(int argc, char** argv) {
  using namespace mneme;
  auto options = workers::courier::ParseCourierFlags({argv + 1, argv + argc});
  if (!options) {
    std::fprintf(stderr, "mneme-courier: %s\n%s", options.error().message().c_str(),
                 workers::courier::kCourierUsage);
    return 2;
  }
  if (options->help) {
    std::fputs(workers::courier::kCourierUsage, stdout);
    return 0;
  }
  auto config = infra::config::LoadConfig(options->config_files, infra::config::ProcessEnvironment());
  if (!config) {
    std::fprintf(stderr, "mneme-courier: %s\n", config.error().message().c_str());
    return 1;
  }
  auto log = infra::logging::MakeLogger(
      "mneme-courier", config->log_level,
      config->log_format == "json" ? infra::logging::Format::kJson : infra::logging::Format::kText);
  for (const auto& w : config->warnings) {
    log->warn("{}", w);
  }
  log->info("courier config loaded smtp_configured={}",
            !config->GetString("courier.smtp.connection_uri").empty());
  log->warn("the Kafka consumer group is not implemented yet; nothing to consume");
  return 0;
}
