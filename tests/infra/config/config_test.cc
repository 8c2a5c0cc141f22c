// Config loading: the seed's kratos.yml, environment overrides, unknown keys,
// and one clear line for each bad value.
#include "infra/config/config.h"

#include <fstream>

#include "infra/config/duration.h"
#include "tests/support/test_support.h"

namespace mneme::infra::config {
namespace {

using mneme::testing::HasCode;
using mneme::testing::TempDir;

class ConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& yaml) {
    auto path = dir_.path() / ("c" + std::to_string(n_++) + ".yml");
    std::ofstream(path) << yaml;
    return path.string();
  }
  // The error message of loading `yaml`, which must fail.
  std::string ErrorOf(const std::string& yaml, const Environment& env = {}) {
    auto c = LoadConfig({Write(yaml)}, env);
    EXPECT_THAT(c, HasCode(Code::kInvalidArgument));
    return c ? "" : c.error().message();
  }
  TempDir dir_;
  int n_ = 0;
};

TEST_F(ConfigTest, SeedConfigLoadsWithOnlyItsDsnChanged) {
  auto c = LoadConfig({MNEME_SOURCE_DIR "/tests/fixtures/kratos.yml"}, {});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->dsn_kind, DsnKind::kMemory);
  EXPECT_EQ(c->public_api.port, 4433);
  EXPECT_EQ(c->admin_api.port, 4434);
  EXPECT_EQ(c->public_api.base_url, "http://127.0.0.1:4433/");
  EXPECT_EQ(c->GetString("selfservice.flows.login.lifespan"), "10m");
  EXPECT_EQ(c->GetString("courier.smtp.connection_uri"),
            "smtps://test:test@mailslurper:1025/?skip_ssl_verify=true");
  ASSERT_EQ(c->schemas.size(), 1u);
  EXPECT_EQ(c->schemas[0].url, "file:///etc/config/kratos/identity.schema.json");
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.front();
}

TEST_F(ConfigTest, DefaultsAreKratos) {
  auto c = LoadConfig({Write("dsn: memory\n")}, {});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->public_api.port, 4433);
  EXPECT_EQ(c->admin_api.port, 4434);
  EXPECT_EQ(c->public_api.host, "0.0.0.0");
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->default_schema_id, "default");
}

TEST_F(ConfigTest, EnvironmentOverridesFileValues) {
  Environment env{{"DSN", "/var/lib/mneme"},
                  {"SERVE_PUBLIC_PORT", "5533"},
                  {"SERVE_ADMIN_BASE_URL", "http://admin.local/"},
                  {"LOG_LEVEL", "debug"},
                  {"IDENTITY_SCHEMAS_0_URL", "base64://e30="},
                  {"IDENTITY_SCHEMAS_0_ID", "default"},
                  {"SELFSERVICE_FLOWS_SETTINGS_UI_URL", "http://ui/settings"},
                  {"SECRETS_CIPHER", R"(["0123456789abcdef0123456789abcdef"])"},
                  {"PATH", "/usr/bin"},
                  {"HOME", "/root"}};
  auto c = LoadConfig({Write("dsn: memory\nserve: {public: {port: 1234}}\n")}, env);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->store_path, "/var/lib/mneme");
  EXPECT_EQ(c->public_api.port, 5533);
  EXPECT_EQ(c->admin_api.base_url, "http://admin.local/");
  EXPECT_EQ(c->log_level, "debug");
  ASSERT_EQ(c->schemas.size(), 1u);
  EXPECT_EQ(c->schemas[0].url, "base64://e30=");
  EXPECT_EQ(c->GetString("selfservice.flows.settings.ui_url"), "http://ui/settings");
  ASSERT_EQ(c->secrets_cipher.size(), 1u);
}

TEST_F(ConfigTest, LaterFilesOverrideEarlierOnes) {
  auto c = LoadConfig({Write("dsn: memory\nlog: {level: info, format: json}\n"),
                       Write("log: {level: error}\n")},
                      {});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->log_level, "error");
  EXPECT_EQ(c->log_format, "json");
}

TEST_F(ConfigTest, UnknownKeysAreWarnedByName) {
  auto c = LoadConfig({Write("dsn: memory\nserve: {public: {prot: 1}}\nfrobnicate: true\n")}, {});
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->warnings.size(), 2u);
  EXPECT_NE(c->warnings[0].find("frobnicate"), std::string::npos);
  EXPECT_NE(c->warnings[1].find("serve.public.prot"), std::string::npos);
}

TEST_F(ConfigTest, PortOutOfRangeNamesTheKey) {
  EXPECT_EQ(ErrorOf("dsn: memory\nserve: {public: {port: 70000}}\n"),
            "config: serve.public.port: 70000 is not a port (0 to 65535)");
  EXPECT_NE(ErrorOf("dsn: memory\n", {{"SERVE_ADMIN_PORT", "abc"}}).find("SERVE_ADMIN_PORT"),
            std::string::npos);
}

TEST_F(ConfigTest, CipherSecretMustBe32Characters) {
  EXPECT_EQ(ErrorOf("dsn: memory\nsecrets: {cipher: [short]}\n"),
            "config: secrets.cipher.0: must be exactly 32 characters long (it has 5)");
}

TEST_F(ConfigTest, UnsupportedDsnNamesTheSupportedForms) {
  auto msg = ErrorOf("dsn: postgres://kratos:secretpw@db:5432/kratos\n");
  EXPECT_NE(msg.find("config: dsn:"), std::string::npos);
  EXPECT_NE(msg.find("rocksdb:///path/to/dir, a directory path, or memory"), std::string::npos);
  EXPECT_EQ(msg.find("secretpw"), std::string::npos) << "the password must be redacted";
  EXPECT_NE(ErrorOf("dsn: sqlite:///var/lib/sqlite/users.db?_fk=true\n").find("not supported"),
            std::string::npos);
  EXPECT_NE(ErrorOf("dsn: mysql://u:p@tcp(db:3306)/k\n").find("not supported"), std::string::npos);
  EXPECT_NE(ErrorOf("version: v1\n").find("config: dsn: is required"), std::string::npos);
}

TEST_F(ConfigTest, RocksDbDsnForms) {
  auto a = LoadConfig({Write("dsn: rocksdb:///var/lib/mneme\n")}, {});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->store_path, "/var/lib/mneme");
  auto b = LoadConfig({Write("dsn: ./data\n")}, {});
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->store_path, "./data");
}

TEST_F(ConfigTest, MissingSchemaFileStopsTheStart) {
  auto c = LoadConfig({Write("dsn: memory\nidentity: {schemas: [{id: default, url: "
                             "file:///nonexistent/identity.schema.json}]}\n")},
                      {});
  ASSERT_TRUE(c.has_value());
  auto r = CheckResources(*c);
  ASSERT_THAT(r, HasCode(Code::kInvalidArgument));
  EXPECT_EQ(r.error().message(),
            "config: identity.schemas.0.url: schema file /nonexistent/identity.schema.json "
            "does not exist or cannot be read");
  auto ok = LoadConfig({Write("dsn: memory\nidentity: {schemas: [{id: default, url: file://" MNEME_SOURCE_DIR
                              "/tests/fixtures/identity.schema.json}]}\n")},
                       {});
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(CheckResources(*ok).has_value());
}

TEST_F(ConfigTest, OtherBadValuesNameTheirKey) {
  EXPECT_NE(ErrorOf("dsn: memory\nlog: {level: loud}\n").find("config: log.level:"), std::string::npos);
  EXPECT_NE(ErrorOf("dsn: memory\nlog: {format: xml}\n").find("config: log.format:"), std::string::npos);
  EXPECT_NE(ErrorOf("dsn: memory\nsession: {lifespan: forever}\n").find("config: session.lifespan:"),
            std::string::npos);
  EXPECT_NE(ErrorOf("dsn: memory\nhashers: {bcrypt: {cost: 3}}\n").find("config: hashers.bcrypt.cost:"),
            std::string::npos);
  EXPECT_NE(ErrorOf("dsn: memory\nsecrets: {default: [tooshort]}\n").find("config: secrets.default.0:"),
            std::string::npos);
  EXPECT_NE(ErrorOf("dsn: memory\nidentity: {schemas: [{id: a, url: ftp://x}]}\n")
                .find("config: identity.schemas.0.url:"),
            std::string::npos);
  EXPECT_NE(ErrorOf("dsn: memory\nserve: {public: {port: [1]}}\n").find("config: serve.public.port:"),
            std::string::npos);
  EXPECT_NE(ErrorOf("dsn: [unclosed\n").find("config: "), std::string::npos);
}

TEST_F(ConfigTest, RedactDsnHidesPasswords) {
  EXPECT_EQ(RedactDsn("postgres://u:pw@h/db"), "postgres://u:xxxxx@h/db");
  EXPECT_EQ(RedactDsn("memory"), "memory");
}

TEST(DurationTest, ParsesGoDurations) {
  EXPECT_EQ(ParseDuration("10m")->count(), 600'000'000);
  EXPECT_EQ(ParseDuration("1h30m")->count(), 5'400'000'000);
  EXPECT_EQ(ParseDuration("500ms")->count(), 500'000);
  EXPECT_EQ(ParseDuration("0")->count(), 0);
  EXPECT_THAT(ParseDuration("10"), HasCode(Code::kInvalidArgument));
  EXPECT_THAT(ParseDuration("abc"), HasCode(Code::kInvalidArgument));
  EXPECT_THAT(ParseDuration(""), HasCode(Code::kInvalidArgument));
}

}  // namespace
}  // namespace mneme::infra::config
