// Identity schemas from file://, base64:// and http:// URLs.
#include "infra/config/schema_loader.h"

#include <fstream>
#include <thread>

#include <httplib.h>

#include "tests/support/test_support.h"

namespace mneme::infra::config {
namespace {

using mneme::testing::HasCode;

Config WithSchemas(std::vector<SchemaRef> refs) {
  Config c;
  c.schemas = std::move(refs);
  return c;
}

TEST(SchemaLoaderTest, LoadsFileBase64AndHttp) {
  httplib::Server server;
  server.Get("/identity.schema.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"type":"object","title":"from http"})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  // base64 of {"title":"from base64"}
  auto docs = LoadSchemaDocuments(WithSchemas({
      {"file", "file://" MNEME_SOURCE_DIR "/tests/fixtures/identity.schema.json"},
      {"b64", "base64://eyJ0aXRsZSI6ImZyb20gYmFzZTY0In0="},
      {"http", "http://127.0.0.1:" + std::to_string(port) + "/identity.schema.json"},
  }));
  server.stop();
  t.join();
  ASSERT_TRUE(docs.has_value()) << docs.error().ToString();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0].document["properties"]["traits"]["required"][0], "email");
  EXPECT_EQ((*docs)[1].document["title"], "from base64");
  EXPECT_EQ((*docs)[2].document["title"], "from http");
}

TEST(SchemaLoaderTest, FailuresNameTheKey) {
  auto missing = LoadSchemaDocuments(WithSchemas({{"a", "file:///nope/schema.json"}}));
  ASSERT_THAT(missing, HasCode(Code::kInvalidArgument));
  EXPECT_NE(missing.error().message().find("identity.schemas.0.url"), std::string::npos);
  auto not_json = LoadSchemaDocuments(WithSchemas({{"a", "base64://bm90IGpzb24="}}));
  ASSERT_THAT(not_json, HasCode(Code::kInvalidArgument));
  EXPECT_NE(not_json.error().message().find("not a JSON object"), std::string::npos);
  auto unreachable = LoadSchemaDocuments(
      WithSchemas({{"a", "http://127.0.0.1:" + std::to_string(mneme::testing::FreePort()) + "/x"}}));
  ASSERT_THAT(unreachable, HasCode(Code::kInvalidArgument));
}

}  // namespace
}  // namespace mneme::infra::config
