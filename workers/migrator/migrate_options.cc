#include "workers/migrator/migrate_options.h"

namespace mneme::workers::migrator {

const char* const kMigrateUsage = R"(mneme-migrate: create or upgrade a mneme store

Usage:
  mneme-migrate -c FILE [-c FILE ...] [-e|--read-from-env] [-y|--yes]
  mneme-migrate status -c FILE
)";

Result<MigrateOptions> ParseMigrateFlags(const std::vector<std::string>& args) {
  MigrateOptions o;
  size_t i = 0;
  if (!args.empty() && args[0] == "status") {
    o.command = MigrateCommand::kStatus;
    i = 1;
  }
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      o.config_files.push_back(args[++i]);
    } else if (a == "-y" || a == "--yes") {
      o.yes = true;
    } else if (a == "-e" || a == "--read-from-env") {
      o.read_from_env = true;
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else {
      return MakeError(Code::kInvalidArgument, "unknown flag " + a);
    }
  }
  if (!o.help && o.config_files.empty() && !o.read_from_env) {
    return MakeError(Code::kInvalidArgument, "give a config file with -c FILE (or -e)");
  }
  return o;
}

}  // namespace mneme::workers::migrator
