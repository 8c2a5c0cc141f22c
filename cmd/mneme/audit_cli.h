// `mneme audit identity ID [--at TIME]` and `mneme audit export ID`: an
// identity's history, its state at an instant, and everything stored about
// it (for a data-access request), from the admin API.
#pragma once

#include <string>
#include <vector>

namespace mneme::cmd {

int AuditCli(const std::vector<std::string>& args);

}  // namespace mneme::cmd
