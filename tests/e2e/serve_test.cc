// `mneme serve` as a real process: start-up, health, shutdown on SIGTERM with
// an in-flight request drained, one store per process, config errors as one
// line, secrets kept out of the logs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/serve_process.h"

namespace mneme::testing {
namespace {

constexpr const char* kCipher = "e2e-cipher-secret-32-characters!";
constexpr const char* kCookie = "e2e-cookie-secret-do-not-log-0001";

class ServeTest : public ::testing::Test {
 protected:
  std::string Config(const std::string& dsn, const std::string& extra = "") {
    auto path = (dir_.path() / ("mneme" + std::to_string(n_++) + ".yml")).string();
    std::ofstream(path) << "dsn: " << dsn << "\n"
                        << "serve:\n  public: {host: 127.0.0.1, port: 0}\n"
                        << "  admin: {host: 127.0.0.1, port: 0}\n"
                        << "secrets: {cipher: [" << kCipher << "], cookie: [" << kCookie << "]}\n"
                        << "identity:\n  schemas: [{id: default, url: file://" MNEME_SOURCE_DIR
                           "/tests/fixtures/identity.schema.json}]\n"
                        << extra;
    return path;
  }
  std::string Store() { return (dir_.path() / "store").string(); }

  TempDir dir_;
  int n_ = 0;
};

TEST_F(ServeTest, ServesHealthAndStopsCleanlyOnSigterm) {
  ServeProcess serve(Config(Store()));
  ASSERT_TRUE(serve.WaitUntilListening()) << serve.Log();
  httplib::Client pub("127.0.0.1", serve.public_port());
  httplib::Client adm("127.0.0.1", serve.admin_port());
  auto alive = pub.Get("/health/alive");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 200);
  EXPECT_EQ(pub.Get("/health/ready")->status, 200);
  EXPECT_EQ(adm.Get("/admin/health/ready")->status, 200);
  EXPECT_EQ(adm.Get("/health/ready")->status, 307);
  auto missing = pub.Get("/self-service/nothing");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"]["code"], 404);
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.WaitForExit(), 0) << serve.Log();
  EXPECT_NE(serve.Log().find("store closed"), std::string::npos);
}

TEST_F(ServeTest, SigtermDrainsAnInFlightRequest) {
  ServeProcess serve(Config(Store()));
  ASSERT_TRUE(serve.WaitUntilListening()) << serve.Log();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(serve.public_port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string head =
      "POST /health/alive HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 10\r\nConnection: close\r\n\r\n{\"a\":";
  ASSERT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  serve.Signal(SIGTERM);  // the request is half-sent: in flight
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A new connection is refused while the old one still gets its answer.
  httplib::Client late("127.0.0.1", serve.public_port());
  late.set_connection_timeout(1);
  EXPECT_FALSE(late.Get("/health/alive"));
  const std::string rest = "\"bcde\"}";
  ASSERT_EQ(write(fd, rest.data(), 5), 5);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 405", 0), 0u) << response;
  EXPECT_NE(response.find("method_not_allowed"), std::string::npos);
  EXPECT_EQ(serve.WaitForExit(), 0) << serve.Log();
}

TEST_F(ServeTest, SecondServeOnTheSameStoreSaysItIsInUse) {
  ServeProcess first(Config(Store()));
  ASSERT_TRUE(first.WaitUntilListening()) << first.Log();
  ServeProcess second(Config(Store()));
  EXPECT_EQ(second.WaitForExit(), 1);
  EXPECT_NE(second.Log().find("store is in use by another process"), std::string::npos)
      << second.Log();
  first.Signal(SIGTERM);
  EXPECT_EQ(first.WaitForExit(), 0);
}

TEST_F(ServeTest, BadConfigStopsTheStartWithOneLine) {
  ServeProcess port(Config(Store(), "log: {level: info}\n"), {"SERVE_PUBLIC_PORT=70000"});
  EXPECT_EQ(port.WaitForExit(), 1);
  EXPECT_EQ(port.Log(), "mneme serve: config: serve.public.port: 70000 is not a port (0 to 65535)\n");
}

TEST_F(ServeTest, UnsupportedDsnAndMissingSchemaAreOneLine) {
  ServeProcess pg(Config("postgres://kratos:pw@db/kratos"));
  EXPECT_EQ(pg.WaitForExit(), 1);
  EXPECT_NE(pg.Log().find("mneme serve: config: dsn:"), std::string::npos) << pg.Log();
  const std::string pg_log = pg.Log();
  EXPECT_EQ(std::count(pg_log.begin(), pg_log.end(), '\n'), 1) << pg_log;

  auto path = (dir_.path() / "missing.yml").string();
  std::ofstream(path) << "dsn: memory\nidentity: {schemas: [{id: default, url: file:///nope.json}]}\n";
  ServeProcess schema(path);
  EXPECT_EQ(schema.WaitForExit(), 1);
  EXPECT_NE(schema.Log().find("identity.schemas.0.url"), std::string::npos) << schema.Log();
}

TEST_F(ServeTest, SecretsNeverAppearInLogsAndJsonLogsParse) {
  ServeProcess serve(Config("memory", "log: {level: trace, format: json}\nunknown_key: 1\n"));
  ASSERT_TRUE(serve.WaitUntilListening()) << serve.Log();
  httplib::Client pub("127.0.0.1", serve.public_port());
  pub.Get(std::string("/health/alive?token=") + kCookie);
  serve.Signal(SIGTERM);
  ASSERT_EQ(serve.WaitForExit(), 0);
  const std::string log = serve.Log();
  EXPECT_EQ(log.find(kCipher), std::string::npos);
  EXPECT_EQ(log.find(kCookie), std::string::npos);
  EXPECT_NE(log.find("unknown_key"), std::string::npos) << "unknown keys are warned by name";
  std::istringstream lines(log);
  std::string line;
  int parsed = 0;
  std::string store_path;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_TRUE(j.contains("level") && j.contains("msg") && j.contains("time"));
    if (j.contains("path") && j["msg"] == "opening store") {
      store_path = j["path"];
    }
    ++parsed;
  }
  EXPECT_GT(parsed, 3);
  ASSERT_FALSE(store_path.empty());
  EXPECT_FALSE(std::filesystem::exists(store_path)) << "dsn: memory is removed at exit";
}

TEST_F(ServeTest, RelayLagIsOnTheReadinessDetails) {
  const char* bootstrap = std::getenv("MNEME_KAFKA_BOOTSTRAP");
  ASSERT_NE(bootstrap, nullptr) << "scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP";
  ServeProcess serve(Config(Store(), std::string("mneme: {kafka: {brokers: \"") + bootstrap +
                                         "\", topic_prefix: readiness" + std::to_string(getpid()) + "}}\n"));
  ASSERT_TRUE(serve.WaitUntilListening()) << serve.Log();
  httplib::Client adm("127.0.0.1", serve.admin_port());
  auto ready = adm.Get("/admin/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto body = nlohmann::json::parse(ready->body);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["details"]["kafka_relay"]["lag"], 0);
  EXPECT_TRUE(body["details"]["kafka_relay"].contains("checkpoint"));
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.WaitForExit(), 0) << serve.Log();
  EXPECT_NE(serve.Log().find("kafka relay stopped"), std::string::npos);
}

}  // namespace
}  // namespace mneme::testing
