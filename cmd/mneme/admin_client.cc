#include "cmd/mneme/admin_client.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace mneme::cmd {

std::string AdminEndpoint(const std::string& flag_value) {
  std::string e = flag_value;
  if (e.empty()) {
    if (const char* env = std::getenv("KRATOS_ADMIN_URL")) {
      e = env;
    }
  }
  while (!e.empty() && e.back() == '/') {
    e.pop_back();
  }
  return e;
}

std::unique_ptr<httplib::Client> AdminClient(const std::string& endpoint) {
  auto client = std::make_unique<httplib::Client>(endpoint);
  client->set_read_timeout(300);
  client->set_follow_location(true);
  return client;
}

std::string ErrorText(const httplib::Result& r) {
  if (!r) {
    return "cannot reach the admin API: " + httplib::to_string(r.error());
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_discarded() && j.contains("error")) {
    return "HTTP " + std::to_string(r->status) + ": " + j["error"].value("reason", "") + " " +
           j["error"].value("message", "");
  }
  return "HTTP " + std::to_string(r->status);
}

}  // namespace mneme::cmd
