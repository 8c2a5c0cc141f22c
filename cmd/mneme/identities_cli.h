// `mneme identities import|list|get|delete`: Kratos's identity CLI against
// the admin API (-e/--endpoint or KRATOS_ADMIN_URL), --format table|json.
#pragma once

#include <string>
#include <vector>

namespace mneme::cmd {

int IdentitiesCli(const std::vector<std::string>& args);

}  // namespace mneme::cmd
