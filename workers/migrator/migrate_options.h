// Flags of `mneme-migrate`, the one-shot store preparation job (as
// `kratos migrate sql -e --yes`). For now it parses flags and config; the
// layout upgrade, upcasting and rebuilds arrive with issue 6.
#pragma once

#include <string>
#include <vector>

#include "domain/common/result.h"

namespace mneme::workers::migrator {

enum class MigrateCommand { kMigrate, kStatus };

struct MigrateOptions {
  MigrateCommand command = MigrateCommand::kMigrate;
  std::vector<std::string> config_files;
  bool yes = false;
  bool read_from_env = false;
  bool help = false;
};

// Errors: kInvalidArgument naming the bad flag.
Result<MigrateOptions> ParseMigrateFlags(const std::vector<std::string>& args);

extern const char* const kMigrateUsage;

}  // namespace mneme::workers::migrator
