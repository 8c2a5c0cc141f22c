#include "api/http/router.h"

#include "tests/support/test_support.h"

namespace mneme::api {
namespace {

TEST(RouterTest, MatchesParamsAndDistinguishes404From405) {
  Router r;
  int hit = 0;
  r.Add("GET", "/admin/identities/{id}", [&](auto&, auto&, auto&) { hit = 1; });
  r.Add("DELETE", "/admin/identities/{id}", [&](auto&, auto&, auto&) { hit = 2; });
  r.Add("GET", "/health/alive", [&](auto&, auto&, auto&) { hit = 3; });
  auto m = r.Find("GET", "/admin/identities/abc");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("id"), "abc");
  EXPECT_NE(r.Find("HEAD", "/health/alive").handler, nullptr);
  auto wrong_method = r.Find("POST", "/admin/identities/abc");
  EXPECT_EQ(wrong_method.handler, nullptr);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(r.Find("GET", "/admin/identities").status, 404);
  EXPECT_EQ(r.Find("GET", "/admin/identities/").status, 404);
  EXPECT_EQ(r.Find("GET", "/nope").status, 404);
}

}  // namespace
}  // namespace mneme::api
