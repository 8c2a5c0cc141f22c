// The HTTP layer in-process, bound to port 0: health, Kratos's error JSON for
// 404/405/413, the admin 307, no-cache headers and request ids.
#include "api/http/server.h"

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>

#include "api/health.h"
#include "infra/system/system.h"
#include "tests/support/test_support.h"

namespace mneme::api {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    Router pub;
    AddHealthRoutes(pub, "", [this] { return ready_; });
    Router adm;
    AddHealthRoutes(adm, "/admin", [this] { return ready_; });
    AddVersionRoute(adm, "/admin");
    auto p = HttpServer::Create({"public", "127.0.0.1", 0, 4, 5 * 1024 * 1024, AdminPrefix::kNone, CorsOptions{}},
                                std::move(pub), ids_, log_);
    auto a = HttpServer::Create({"admin", "127.0.0.1", 0, 4, 5 * 1024 * 1024, AdminPrefix::kRedirect, CorsOptions{}},
                                std::move(adm), ids_, log_);
    ASSERT_TRUE(p.has_value() && a.has_value());
    public_ = std::move(*p);
    admin_ = std::move(*a);
    public_->Start();
    admin_->Start();
    public_client_ = std::make_unique<httplib::Client>("127.0.0.1", public_->port());
    admin_client_ = std::make_unique<httplib::Client>("127.0.0.1", admin_->port());
  }

  nlohmann::json Json(const httplib::Result& r) { return nlohmann::json::parse(r->body); }

  infra::system::RandomIdGenerator ids_;
  std::shared_ptr<spdlog::logger> log_;
  Status ready_ = OkStatus();
  std::unique_ptr<HttpServer> public_, admin_;
  std::unique_ptr<httplib::Client> public_client_, admin_client_;
};

TEST_F(HttpServerTest, HealthAndVersion) {
  auto alive = public_client_->Get("/health/alive");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 200);
  EXPECT_EQ(Json(alive), nlohmann::json({{"status", "ok"}}));
  EXPECT_EQ(public_client_->Get("/health/ready")->status, 200);
  EXPECT_EQ(admin_client_->Get("/admin/health/alive")->status, 200);
  EXPECT_EQ(admin_client_->Get("/admin/health/ready")->status, 200);
  auto version = admin_client_->Get("/admin/version");
  EXPECT_EQ(version->status, 200);
  EXPECT_TRUE(Json(version).contains("version"));
  ready_ = MakeError(Code::kUnavailable, "store is closed");
  auto not_ready = public_client_->Get("/health/ready");
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(Json(not_ready)["errors"]["store"], "store is closed");
  EXPECT_EQ(admin_client_->Get("/admin/health/ready")->status, 503);
  EXPECT_EQ(public_client_->Get("/health/alive")->status, 200);
}

TEST_F(HttpServerTest, UnknownRouteIsKratosErrorJson) {
  auto r = public_client_->Get("/does/not/exist");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  auto body = Json(r);
  EXPECT_EQ(body["error"]["code"], 404);
  EXPECT_EQ(body["error"]["status"], "Not Found");
  EXPECT_EQ(body["error"]["id"], "not_found");
  EXPECT_TRUE(body["error"].contains("reason"));
  EXPECT_TRUE(body["error"].contains("message"));
}

TEST_F(HttpServerTest, WrongMethodIs405) {
  auto r = public_client_->Post("/health/alive", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(Json(r)["error"]["code"], 405);
  EXPECT_EQ(Json(r)["error"]["id"], "method_not_allowed");
}

TEST_F(HttpServerTest, AdminPathWithoutPrefixRedirects307) {
  auto r = admin_client_->Get("/identities?page_size=5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 307);
  EXPECT_EQ(r->get_header_value("Location"), "/admin/identities?page_size=5");
  auto h = admin_client_->Get("/health/ready");
  EXPECT_EQ(h->status, 307);
  EXPECT_EQ(h->get_header_value("Location"), "/admin/health/ready");
  // The public port does not redirect.
  EXPECT_EQ(public_client_->Get("/identities")->status, 404);
}

TEST_F(HttpServerTest, BodiesOver5MBAre413) {
  std::string big(6 * 1024 * 1024, 'x');
  auto r = public_client_->Post("/anything", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Json(r)["error"]["code"], 413);
  EXPECT_EQ(r->get_header_value("Cache-Control"), "private, no-cache, no-store, must-revalidate");
  std::string ten(10 * 1024 * 1024, 'x');
  auto r10 = admin_client_->Post("/admin/identities", ten, "application/json");
  ASSERT_TRUE(r10);
  EXPECT_EQ(r10->status, 413);
}

TEST_F(HttpServerTest, EveryAnswerHasNoCacheAndARequestId) {
  for (auto* path : {"/health/alive", "/nope"}) {
    auto r = public_client_->Get(path);
    EXPECT_EQ(r->get_header_value("Cache-Control"), "private, no-cache, no-store, must-revalidate");
    EXPECT_EQ(r->get_header_value("X-Request-Id").size(), 36u);
  }
  auto redirect = admin_client_->Get("/x");
  EXPECT_EQ(redirect->get_header_value("Cache-Control"), "private, no-cache, no-store, must-revalidate");
  auto given = public_client_->Get("/health/alive", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(given->get_header_value("X-Request-Id"), "abc-123");
  auto r1 = public_client_->Get("/health/alive");
  auto r2 = public_client_->Get("/health/alive");
  EXPECT_NE(r1->get_header_value("X-Request-Id"), r2->get_header_value("X-Request-Id"));
}

}  // namespace
}  // namespace mneme::api
