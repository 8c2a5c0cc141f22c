// Anti-CSRF tokens: masking differs per render and unmasks to the same token.
#include "api/selfservice/csrf.h"

#include <random>

#include "tests/support/test_support.h"

namespace mneme::api {
namespace {

class SeededRandom final : public domain::RandomSource {
 public:
  std::string Bytes(size_t n) override {
    std::string out(n, '\0');
    for (auto& c : out) {
      c = static_cast<char>(gen_() & 0xff);
    }
    return out;
  }

 private:
  std::mt19937 gen_{42};
};

TEST(CsrfTest, MaskedTokensDifferPerRenderAndUnmaskToTheCookieToken) {
  SeededRandom random;
  const std::string raw = NewCsrfToken(random);
  ASSERT_EQ(raw.size(), 32u);
  const std::string a = MaskCsrfToken(raw, random);
  const std::string b = MaskCsrfToken(raw, random);
  EXPECT_NE(a, b);
  EXPECT_EQ(UnmaskCsrfToken(a), raw);
  EXPECT_EQ(UnmaskCsrfToken(b), raw);
  EXPECT_EQ(DecodeCsrfCookie(EncodeCsrfCookie(raw)), raw);
}

TEST(CsrfTest, MalformedTokensAreRefused) {
  EXPECT_FALSE(UnmaskCsrfToken(""));
  EXPECT_FALSE(UnmaskCsrfToken("not base64 !"));
  EXPECT_FALSE(UnmaskCsrfToken("AAAA"));                   // too short
  EXPECT_FALSE(UnmaskCsrfToken(std::string(5000, 'A')));  // too long
  EXPECT_FALSE(DecodeCsrfCookie("AAAA"));
}

TEST(CsrfTest, CookieNameHashesThePublicBaseUrl) {
  // sha256("http://127.0.0.1:4433/")
  EXPECT_EQ(CsrfCookieName("http://127.0.0.1:4433/").size(), std::string("csrf_token_").size() + 64);
  EXPECT_NE(CsrfCookieName("http://a/"), CsrfCookieName("http://b/"));
}

TEST(CsrfTest, CookiesAreFoundByNameAndCloudflareCookiesAreAllowedOnApiFlows) {
  httplib::Request req;
  req.headers.emplace("Cookie", "a=1; csrf_token_x=\"abc\";  __cf_bm=zz");
  EXPECT_EQ(RequestCookie(req, "csrf_token_x"), "abc");
  EXPECT_EQ(RequestCookie(req, "missing"), std::nullopt);
  EXPECT_TRUE(HasNonCloudflareCookie(req));
  httplib::Request cf;
  cf.headers.emplace("Cookie", "__cf_bm=1; _cfuvid=2; cf_clearance=3");
  EXPECT_FALSE(HasNonCloudflareCookie(cf));
}

}  // namespace
}  // namespace mneme::api
