// mneme-migrate: the one-shot store preparation job.
#include <cstdio>

#include "infra/config/config.h"
#include "infra/logging/logging.h"
#include "workers/migrator/migrate_options.h"

int main(int argc, char** argv) {
  using namespace mneme;
  auto options = workers::migrator::ParseMigrateFlags({argv + 1, argv + argc});
  if (!options) {
    std::fprintf(stderr, "mneme-migrate: %s\n%s", options.error().message().c_str(),
                 workers::migrator::kMigrateUsage);
    return 2;
  }
  if (options->help) {
    std::fputs(workers::migrator::kMigrateUsage, stdout);
    return 0;
  }
  auto config = infra::config::LoadConfig(options->config_files, infra::config::ProcessEnvironment());
  if (!config) {
    std::fprintf(stderr, "mneme-migrate: %s\n", config.error().message().c_str());
    return 1;
  }
  auto log = infra::logging::MakeLogger(
      "mneme-migrate", config->log_level,
      config->log_format == "json" ? infra::logging::Format::kJson : infra::logging::Format::kText);
  for (const auto& w : config->warnings) {
    log->warn("{}", w);
  }
  log->info("migrate config loaded dsn={}", infra::config::RedactDsn(config->dsn));
  return 0;
}
