// The self-service flow aggregate: lifetime, failures, completion, codec.
#include "domain/flow/flow.h"

#include "tests/support/test_support.h"

namespace mneme::domain::flow {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;
using nlohmann::json;

Flow Created(int64_t expires) {
  FlowCreated c;
  c.kind = "login";
  c.type = "browser";
  c.request_url = "http://127.0.0.1:4433/self-service/login/browser";
  c.expires_at = Timestamp{expires};
  c.csrf_hash = "abc";
  Flow f;
  f.id = "f";
  auto events = Decide(f, CreateFlow{c});
  for (const auto& e : *events) {
    f = Evolve(f, e, Timestamp{0});
  }
  return f;
}

TEST(FlowTest, FailuresAreRecordedUntilTheFlowExpires) {
  Flow f = Created(100);
  FlowFailed failed;
  failed.method = "password";
  failed.messages = json::array({{{"id", 4000006}}});
  failed.values = {{"identifier", "alice@example.com"}};
  auto events = Decide(f, FailFlow{failed, Timestamp{50}});
  ASSERT_THAT(events, IsOk());
  f = Evolve(f, events->front(), Timestamp{50});
  EXPECT_EQ(f.failures, 1);
  EXPECT_EQ(f.active, "password");
  EXPECT_EQ(f.messages[0]["id"], 4000006);
  EXPECT_THAT(Decide(f, FailFlow{failed, Timestamp{100}}), HasCode(Code::kDeadlineExceeded));
}

TEST(FlowTest, ACompletedFlowCannotBeSubmittedAgain) {
  Flow f = Created(100);
  auto done = Decide(f, CompleteFlow{{"password", "i", "s"}, Timestamp{10}});
  ASSERT_THAT(done, IsOk());
  f = Evolve(f, done->front(), Timestamp{10});
  EXPECT_TRUE(f.completed);
  EXPECT_THAT(Decide(f, CompleteFlow{{"password", "i", "s"}, Timestamp{11}}),
              HasCode(Code::kFailedPrecondition));
  EXPECT_THAT(Decide(Flow{}, CompleteFlow{{"password", "i", "s"}, Timestamp{1}}),
              HasCode(Code::kNotFound));
}

TEST(FlowTest, CodecKeepsSubmittedValuesAndUrlsPersonal) {
  FlowFailed failed;
  failed.method = "password";
  failed.values = {{"identifier", "alice@example.com"}};
  auto encoded = Encode(Event{failed});
  EXPECT_EQ(encoded.plain.dump().find("alice"), std::string::npos);
  auto decoded = Decode(encoded.type, encoded.plain, encoded.personal);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(std::get<FlowFailed>(*decoded).values, failed.values);

  FlowCreated created;
  created.kind = "registration";
  created.type = "api";
  created.request_url = "http://x/self-service/registration/api?return_to=http://secret";
  auto c = Encode(Event{created});
  EXPECT_EQ(c.plain.dump().find("secret"), std::string::npos);
  auto back = Decode(c.type, c.plain, c.personal);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(std::get<FlowCreated>(*back).request_url, created.request_url);
}

}  // namespace
}  // namespace mneme::domain::flow
