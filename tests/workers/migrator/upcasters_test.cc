// Upcasters: every historical schema of every event type has a stored fixture
// (tests/fixtures/events/) that is upcast to the latest schema and folded.
#include "workers/migrator/upcasters.h"

#include <fstream>
#include <set>
#include <sstream>

#include "domain/identity/identity_codec.h"
#include "tests/support/test_support.h"

namespace mneme::workers::migrator {
namespace {

using mneme::testing::HasCode;
using nlohmann::json;

json Fixture(const std::string& name) {
  std::ifstream in(std::string(MNEME_SOURCE_DIR "/tests/fixtures/events/") + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

TEST(UpcastersTest, EveryIdentityEventTypeHasAFixtureThatFolds) {
  const auto registry = UpcasterRegistry::Default();
  const json fixtures = Fixture("identity_v1.json");
  std::set<std::string> covered;
  domain::identity::Identity state;
  state.id = "fixture";
  int64_t t = 1;
  for (const auto& f : fixtures) {
    domain::EventEnvelope e;
    e.type = f["type"];
    e.schema = f["schema"];
    e.data = json({{"plain", f["plain"]}, {"personal", f["personal"]}}).dump();
    ASSERT_TRUE(registry.IsKnown(e.type)) << e.type;
    auto latest = registry.UpcastToLatest(e);
    ASSERT_TRUE(latest.has_value()) << e.type;
    EXPECT_EQ(latest->schema, registry.Latest(e.type));
    auto data = json::parse(latest->data);
    auto decoded = domain::identity::Decode(latest->type, latest->schema, data["plain"], data["personal"]);
    ASSERT_TRUE(decoded.has_value()) << e.type << ": " << decoded.error().ToString();
    state = domain::identity::Evolve(state, *decoded, domain::Timestamp{t++});
    covered.insert(e.type);
    if (e.type == "identity.address_verified") {
      EXPECT_TRUE(state.verifiable_addresses[0].verified);
      EXPECT_EQ(state.traits["name"]["first"], "Fixed");
      EXPECT_EQ(state.metadata_public, json({{"plan", "pro"}}));
      EXPECT_EQ(state.credentials.size(), 2u);
    }
  }
  EXPECT_EQ(state.state, "inactive");
  EXPECT_EQ(state.credentials.count("totp"), 0u);
  EXPECT_TRUE(state.deleted && state.erased);
  // Every type the registry knows (every type mneme writes) has a fixture.
  for (const char* type : {"identity.created", "identity.traits_updated", "identity.state_changed",
                           "identity.metadata_public_updated", "identity.metadata_admin_updated",
                           "identity.credential_set", "identity.credential_removed",
                           "identity.address_verified", "identity.deleted", "identity.erased"}) {
    EXPECT_TRUE(covered.count(type)) << "no fixture for " << type;
  }
}

TEST(UpcastersTest, LiftsStepByStepAndNamesAMissingStep) {
  UpcasterRegistry r;
  r.SetLatest("test.renamed_field", 3);
  r.Add("test.renamed_field", 1, [](const std::string& data) -> Result<std::string> {
    auto j = json::parse(data);
    j["plain"]["new_name"] = j["plain"]["old_name"];
    j["plain"].erase("old_name");
    return j.dump();
  });
  domain::EventEnvelope e;
  e.type = "test.renamed_field";
  e.schema = 1;
  e.data = R"({"plain":{"old_name":"x"}})";
  EXPECT_TRUE(r.NeedsUpcast(e));
  EXPECT_THAT(r.UpcastToLatest(e), HasCode(Code::kDataLoss)) << "no step from 2 to 3";
  r.Add("test.renamed_field", 2, [](const std::string& data) -> Result<std::string> {
    auto j = json::parse(data);
    j["plain"]["added"] = true;
    return j.dump();
  });
  auto up = r.UpcastToLatest(e);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->schema, 3u);
  EXPECT_EQ(json::parse(up->data), json::parse(R"({"plain":{"new_name":"x","added":true}})"));
  EXPECT_FALSE(r.NeedsUpcast(*up));
}

}  // namespace
}  // namespace mneme::workers::migrator
