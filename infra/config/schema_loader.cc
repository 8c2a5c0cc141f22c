#include "infra/config/schema_loader.h"

#include <fstream>
#include <sstream>

#include <cryptopp/base64.h>
#include <httplib.h>

namespace mneme::infra::config {
namespace {

Result<std::string> Fetch(const std::string& url) {
  if (url.rfind("file://", 0) == 0) {
    std::ifstream in(url.substr(7));
    if (!in) {
      return MakeError(Code::kInvalidArgument, "cannot read " + url.substr(7));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  if (url.rfind("base64://", 0) == 0) {
    std::string encoded = url.substr(9);
    for (char& c : encoded) {
      c = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    std::string out;
    CryptoPP::StringSource src(encoded, true,
                               new CryptoPP::Base64Decoder(new CryptoPP::StringSink(out)));
    return out;
  }
  auto scheme_end = url.find("://");
  auto path_start = url.find('/', scheme_end + 3);
  std::string origin = url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  httplib::Client client(origin);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  client.set_follow_location(true);
  auto res = client.Get(path);
  if (!res || res->status != 200) {
    return MakeError(Code::kInvalidArgument,
                     "cannot fetch " + url + (res ? " (HTTP " + std::to_string(res->status) + ")" : ""));
  }
  return res->body;
}

}  // namespace

Result<std::vector<SchemaDocument>> LoadSchemaDocuments(const Config& config) {
  std::vector<SchemaDocument> out;
  for (size_t i = 0; i < config.schemas.size(); ++i) {
    const auto& ref = config.schemas[i];
    const std::string key = "identity.schemas." + std::to_string(i) + ".url";
    auto text = Fetch(ref.url);
    if (!text) {
      return MakeError(Code::kInvalidArgument, "config: " + key + ": " + text.error().message());
    }
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return MakeError(Code::kInvalidArgument, "config: " + key + ": the schema is not a JSON object");
    }
    out.push_back(SchemaDocument{ref.id, ref.url, std::move(doc), std::move(*text)});
  }
  return out;
}

}  // namespace mneme::infra::config
