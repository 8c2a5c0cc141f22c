// `mneme hashers argon2 calibrate`: Kratos's argon2 calibration command.
#pragma once

#include <string>
#include <vector>

namespace mneme::cmd {

int HashersCli(const std::vector<std::string>& args);

}  // namespace mneme::cmd
