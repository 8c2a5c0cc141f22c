// Shared by the admin CLIs: the endpoint from -e/--endpoint or
// KRATOS_ADMIN_URL, and Kratos error JSON turned into one line.
#pragma once

#include <memory>
#include <string>

#include <httplib.h>

namespace mneme::cmd {

// Trailing slashes removed; empty when neither is given.
std::string AdminEndpoint(const std::string& flag_value);
std::unique_ptr<httplib::Client> AdminClient(const std::string& endpoint);
std::string ErrorText(const httplib::Result& r);

}  // namespace mneme::cmd
