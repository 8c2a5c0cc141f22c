#include "cmd/mneme/audit_cli.h"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cmd/mneme/admin_client.h"

namespace mneme::cmd {
namespace {

using nlohmann::json;

constexpr const char* kUsage = R"(Usage:
  mneme audit identity ID [--at RFC3339] [--format table|json] [-e URL]
  mneme audit export ID [-e URL]
The admin endpoint comes from -e/--endpoint or KRATOS_ADMIN_URL.
)";

int Fail(const std::string& what) {
  std::fprintf(stderr, "mneme audit: %s\n", what.c_str());
  return 1;
}

// Every page of the identity's history.
bool FetchHistory(httplib::Client& client, const std::string& id, json& out, std::string& error) {
  out = json::array();
  std::string path = "/admin/identities/" + id + "/history?page_size=1000";
  while (true) {
    auto r = client.Get(path);
    if (!r || r->status != 200) {
      error = ErrorText(r);
      return false;
    }
    for (auto& e : json::parse(r->body)) {
      out.push_back(std::move(e));
    }
    const std::string link = r->get_header_value("Link");
    const auto next = link.find(">; rel=\"next\"");
    if (next == std::string::npos) {
      return true;
    }
    const auto open = link.rfind('<', next);
    path = link.substr(open + 1, next - open - 1);
  }
}

}  // namespace

int AuditCli(const std::vector<std::string>& args) {
  std::string command, id, at, endpoint, format = "table";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : ""; };
    if (a == "-e" || a == "--endpoint") {
      endpoint = value();
    } else if (a == "--at") {
      at = value();
    } else if (a == "--format" || a == "-f") {
      format = value();
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (command.empty()) {
      command = a;
    } else if (id.empty()) {
      id = a;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if ((command != "identity" && command != "export") || id.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (format != "table" && format != "json") {
    return Fail("--format must be table or json");
  }
  endpoint = AdminEndpoint(endpoint);
  if (endpoint.empty()) {
    return Fail("give the admin endpoint with -e URL or KRATOS_ADMIN_URL");
  }
  auto client = AdminClient(endpoint);
  if (command == "identity" && !at.empty()) {
    std::string query;
    for (char c : at) {  // RFC 3339 needs only '+' escaped in a query
      query += c == '+' ? std::string("%2B") : std::string(1, c);
    }
    auto r = client->Get("/admin/identities/" + id + "/history?at=" + query);
    if (!r || r->status != 200) {
      return Fail(ErrorText(r));
    }
    std::cout << json::parse(r->body).dump(2) << "\n";
    return 0;
  }
  json history;
  std::string error;
  if (!FetchHistory(*client, id, history, error)) {
    return Fail(error);
  }
  if (command == "export") {
    json doc = {{"identity_id", id}, {"history", history}};
    auto current = client->Get("/admin/identities/" + id + "?include_credential=password&include_credential=oidc"
                               "&include_credential=totp&include_credential=webauthn");
    doc["identity"] = current && current->status == 200 ? json::parse(current->body) : json(nullptr);
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  if (format == "json") {
    std::cout << history.dump(2) << "\n";
    return 0;
  }
  std::printf("%-8s %-28s %-34s %-8s %s\n", "VERSION", "TIME", "TYPE", "ACTOR", "CHANGED");
  for (const auto& e : history) {
    std::string changed;
    if (e.value("erased", false)) {
      changed = "<erased>";
    } else {
      for (const auto& op : e.value("changes", json::array())) {
        if (!changed.empty()) {
          changed += ", ";
        }
        changed += op.value("path", "");
      }
    }
    std::printf("%-8llu %-28s %-34s %-8s %s\n",
                static_cast<unsigned long long>(e.value("version", 0ull)), e.value("time", "").c_str(),
                e.value("type", "").c_str(), e.value("actor", "").c_str(), changed.c_str());
  }
  return 0;
}

}  // namespace mneme::cmd
