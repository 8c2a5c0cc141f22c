#include "domain/password/breach_check.h"

#include <map>
#include <string>

#include "tests/support/test_support.h"

namespace mneme::domain::password {
namespace {

using ::mneme::testing::HasCode;

// Answers from a fixed table, or fails with `error` if set; counts calls.
class FakeBreached final : public BreachedPasswords {
 public:
  explicit FakeBreached(std::map<std::string, int64_t> counts) : counts_(std::move(counts)) {}

  Result<int64_t> Count(std::string_view password) override {
    ++calls;
    if (error) {
      return MakeError(*error, "fake failure");
    }
    auto it = counts_.find(std::string(password));
    return it == counts_.end() ? 0 : it->second;
  }

  std::optional<Code> error;
  int calls = 0;

 private:
  std::map<std::string, int64_t> counts_;
};

TEST(BreachCheckTest, OfflineHitIsAViolationWithoutAskingOnline) {
  FakeBreached offline({{"password123", 1}});
  FakeBreached online({});
  BreachCheck check(&offline, &online, 0, NetworkErrors::kFail);
  auto r = check.Check("password123");
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->id, 4000034);
  EXPECT_EQ((*r)->text, "The password has been found in data breaches and must no longer be used.");
  EXPECT_EQ((*r)->context, (nlohmann::json{{"breaches", 1}}));
  EXPECT_EQ(online.calls, 0);
}

TEST(BreachCheckTest, OnlineCountAboveThresholdIsAViolation) {
  FakeBreached online({{"seen-five-times", 5}, {"seen-twice", 2}});
  BreachCheck check(nullptr, &online, 2, NetworkErrors::kFail);
  auto five = check.Check("seen-five-times");
  ASSERT_TRUE(five.has_value());
  ASSERT_TRUE(five->has_value());
  EXPECT_EQ((*five)->context["breaches"], 5);
  auto two = check.Check("seen-twice");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(*two, std::nullopt);
}

TEST(BreachCheckTest, UnknownPasswordPasses) {
  FakeBreached offline({{"password123", 1}});
  FakeBreached online({{"password123", 100}});
  BreachCheck check(&offline, &online, 0, NetworkErrors::kFail);
  auto r = check.Check("c0rrect-h0rse-battery-staple-9241");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, std::nullopt);
  EXPECT_EQ(offline.calls, 1);
  EXPECT_EQ(online.calls, 1);
}

TEST(BreachCheckTest, NoSourcesPasses) {
  BreachCheck check(nullptr, nullptr, 0, NetworkErrors::kFail);
  auto r = check.Check("password123");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, std::nullopt);
}

TEST(BreachCheckTest, NetworkErrorFailsUnlessIgnored) {
  FakeBreached online({});
  online.error = Code::kUnavailable;
  EXPECT_THAT(BreachCheck(nullptr, &online, 0, NetworkErrors::kFail).Check("x-unknown-x"),
              HasCode(Code::kUnavailable));
  auto ignored = BreachCheck(nullptr, &online, 0, NetworkErrors::kIgnore).Check("x-unknown-x");
  ASSERT_TRUE(ignored.has_value());
  EXPECT_EQ(*ignored, std::nullopt);
}

TEST(BreachCheckTest, OfflineListStillRefusesWhileOnlineIsDown) {
  // Where mneme is stricter than Kratos with ignore_network_errors.
  FakeBreached offline({{"password123", 1}});
  FakeBreached online({});
  online.error = Code::kUnavailable;
  auto r = BreachCheck(&offline, &online, 0, NetworkErrors::kIgnore).Check("password123");
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->id, kTooManyBreachesId);
}

TEST(BreachCheckTest, OtherOnlineErrorsAreNotIgnored) {
  FakeBreached online({});
  online.error = Code::kInternal;
  EXPECT_THAT(BreachCheck(nullptr, &online, 0, NetworkErrors::kIgnore).Check("x-unknown-x"),
              HasCode(Code::kInternal));
}

TEST(BreachCheckTest, OfflineErrorsAreNeverIgnored) {
  FakeBreached offline({});
  offline.error = Code::kUnavailable;
  EXPECT_THAT(BreachCheck(&offline, nullptr, 0, NetworkErrors::kIgnore).Check("x-unknown-x"),
              HasCode(Code::kUnavailable));
}

}  // namespace
}  // namespace mneme::domain::password
