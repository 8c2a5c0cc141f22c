#include "cmd/mneme/identities_cli.h"

#include "cmd/mneme/admin_client.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace mneme::cmd {
namespace {

using nlohmann::json;

constexpr const char* kUsage = R"(Usage:
  mneme identities import FILE|- [-e URL] [--format table|json]
  mneme identities list [--page-size N] [--page-token T] [-e URL] [--format table|json]
  mneme identities get ID... [-e URL] [--format table|json]
  mneme identities delete ID... [-e URL]
The admin endpoint comes from -e/--endpoint or KRATOS_ADMIN_URL.
)";

struct Options {
  std::string command;
  std::vector<std::string> positional;
  std::string endpoint;
  std::string format = "table";
  std::string page_size;
  std::string page_token;
};

void PrintTable(const std::vector<json>& identities) {
  std::printf("%-36s  %-30s  %-30s  %-10s\n", "ID", "VERIFIED ADDRESS 1", "RECOVERY ADDRESS 1",
              "SCHEMA ID");
  for (const auto& i : identities) {
    auto first = [](const json& list) -> std::string {
      return list.is_array() && !list.empty() ? list[0].value("value", "") : "<none>";
    };
    std::printf("%-36s  %-30s  %-30s  %-10s\n", i.value("id", "").c_str(),
                first(i.value("verifiable_addresses", json())).c_str(),
                first(i.value("recovery_addresses", json())).c_str(),
                i.value("schema_id", "").c_str());
  }
}

void Print(const std::vector<json>& identities, const std::string& format) {
  if (format == "json") {
    std::cout << (identities.size() == 1 ? identities[0] : json(identities)).dump(2) << "\n";
  } else {
    PrintTable(identities);
  }
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "mneme identities: %s\n", what.c_str());
  return 1;
}

int Import(httplib::Client& client, const Options& o) {
  if (o.positional.empty()) {
    return Fail("import needs a FILE or -");
  }
  std::vector<json> bodies;
  for (const auto& file : o.positional) {
    std::stringstream ss;
    if (file == "-") {
      ss << std::cin.rdbuf();
    } else {
      std::ifstream in(file);
      if (!in) {
        return Fail("cannot read " + file);
      }
      ss << in.rdbuf();
    }
    auto doc = json::parse(ss.str(), nullptr, false);
    if (doc.is_discarded()) {
      return Fail(file + " is not valid JSON");
    }
    if (doc.is_array()) {
      for (auto& d : doc) {
        bodies.push_back(std::move(d));
      }
    } else {
      bodies.push_back(std::move(doc));
    }
  }
  constexpr size_t kChunk = 1000;
  std::vector<json> imported;
  size_t failed = 0;
  for (size_t start = 0; start < bodies.size(); start += kChunk) {
    json batch = {{"identities", json::array()}};
    for (size_t i = start; i < std::min(bodies.size(), start + kChunk); ++i) {
      batch["identities"].push_back({{"create", bodies[i]}});
    }
    auto r = client.Patch("/admin/identities", batch.dump(), "application/json");
    if (!r || r->status != 200) {
      return Fail(ErrorText(r));
    }
    auto result = json::parse(r->body, nullptr, false);
    size_t index = start;
    for (const auto& item : result.value("identities", json::array())) {
      if (item.value("action", "") == "create" && item.contains("identity")) {
        imported.push_back({{"id", item["identity"]}});
      } else {
        ++failed;
        std::fprintf(stderr, "\nitem %zu: %s\n", index,
                     item.value("error", json::object()).value("reason", "error").c_str());
      }
      ++index;
    }
    const size_t done = std::min(bodies.size(), start + kChunk);
    const int width = 40;
    const int filled = static_cast<int>(width * done / bodies.size());
    std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, bodies.size());
  }
  std::fprintf(stderr, "\nimported %zu identities, %zu failed\n", imported.size(), failed);
  if (o.format == "json") {
    std::cout << json(imported).dump(2) << "\n";
  } else {
    for (const auto& i : imported) {
      std::printf("%s\n", i["id"].get<std::string>().c_str());
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

int IdentitiesCli(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : ""; };
    if (a == "-e" || a == "--endpoint") {
      o.endpoint = value();
    } else if (a == "--format" || a == "-f") {
      o.format = value();
    } else if (a == "--page-size") {
      o.page_size = value();
    } else if (a == "--page-token") {
      o.page_token = value();
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (o.command.empty()) {
      o.command = a;
    } else {
      o.positional.push_back(a);
    }
  }
  if (o.command.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  o.endpoint = AdminEndpoint(o.endpoint);
  if (o.endpoint.empty()) {
    return Fail("give the admin endpoint with -e URL or KRATOS_ADMIN_URL");
  }
  if (o.format != "table" && o.format != "json" && o.format != "json-pretty") {
    return Fail("--format must be table or json");
  }
  if (o.format == "json-pretty") {
    o.format = "json";
  }
  auto owned_client = AdminClient(o.endpoint);
  httplib::Client& client = *owned_client;
  if (o.command == "import") {
    return Import(client, o);
  }
  if (o.command == "list") {
    std::string path = "/admin/identities?page_size=" + (o.page_size.empty() ? "250" : o.page_size);
    if (!o.page_token.empty()) {
      path += "&page_token=" + o.page_token;
    }
    auto r = client.Get(path);
    if (!r || r->status != 200) {
      return Fail(ErrorText(r));
    }
    auto list = json::parse(r->body, nullptr, false);
    std::vector<json> items(list.begin(), list.end());
    Print(items, o.format);
    auto link = r->get_header_value("Link");
    auto pos = link.find("page_token=");
    if (pos != std::string::npos && o.format == "table") {
      auto end = link.find('>', pos);
      std::fprintf(stderr, "next page: --page-token %s\n", link.substr(pos + 11, end - pos - 11).c_str());
    }
    return 0;
  }
  if (o.command == "get") {
    std::vector<json> items;
    for (const auto& id : o.positional) {
      auto r = client.Get("/admin/identities/" + id);
      if (!r || r->status != 200) {
        return Fail(id + ": " + ErrorText(r));
      }
      items.push_back(json::parse(r->body, nullptr, false));
    }
    Print(items, o.format);
    return 0;
  }
  if (o.command == "delete") {
    for (const auto& id : o.positional) {
      auto r = client.Delete("/admin/identities/" + id);
      if (!r || r->status != 204) {
        return Fail(id + ": " + ErrorText(r));
      }
      std::printf("%s\n", id.c_str());
    }
    return 0;
  }
  return Fail("unknown command " + o.command + "\n" + kUsage);
}

}  // namespace mneme::cmd
