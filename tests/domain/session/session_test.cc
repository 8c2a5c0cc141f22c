// The session aggregate's rules and codec. Pure; no storage.
#include "domain/session/session.h"

#include "tests/support/test_support.h"

namespace mneme::domain::session {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;

constexpr int64_t kHour = 3600LL * 1000000;

IssueSession Issue(int64_t now) {
  IssueSession c;
  c.identity_id = "0b5e6a43-8f46-4e5b-9a77-8e4b6e1f0c11";
  c.token_hash = "aa";
  c.logout_token_hash = "bb";
  c.methods = {{"password", "aal1", Timestamp{now}}};
  c.now = Timestamp{now};
  c.lifespan_micros = 24 * kHour;
  c.devices = {{"d1", "192.0.2.1", "curl/8", "Berlin, DE"}};
  return c;
}

Session Fold(const Session& s, const std::vector<Event>& events, int64_t at) {
  Session out = s;
  for (const auto& e : events) {
    out = Evolve(out, e, Timestamp{at});
  }
  return out;
}

TEST(SessionTest, IssueSetsExpiryFromAuthenticationTimeAndAal) {
  auto events = Decide(Session{}, Issue(1000));
  ASSERT_THAT(events, IsOk());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(TypeOf(events->front()), "session.issued");
  Session s = Fold(Session{}, *events, 1000);
  EXPECT_TRUE(s.exists);
  EXPECT_EQ(s.aal, "aal1");
  EXPECT_EQ(s.expires_at.micros, 1000 + 24 * kHour);
  EXPECT_TRUE(IsLive(s, Timestamp{1000 + 24 * kHour - 1}));
  EXPECT_FALSE(IsLive(s, Timestamp{1000 + 24 * kHour}));
}

TEST(SessionTest, IssueTwiceOrWithoutLifespanIsRefused) {
  Session s = Fold(Session{}, *Decide(Session{}, Issue(1)), 1);
  EXPECT_THAT(Decide(s, Issue(2)), HasCode(Code::kAlreadyExists));
  auto bad = Issue(1);
  bad.lifespan_micros = 0;
  EXPECT_THAT(Decide(Session{}, bad), HasCode(Code::kInvalidArgument));
}

TEST(SessionTest, RevokeIsIdempotentAndEndsTheSession) {
  Session s = Fold(Session{}, *Decide(Session{}, Issue(1)), 1);
  auto revoke = Decide(s, RevokeSession{"logout"});
  ASSERT_THAT(revoke, IsOk());
  ASSERT_EQ(revoke->size(), 1u);
  s = Fold(s, *revoke, 5);
  EXPECT_FALSE(IsLive(s, Timestamp{6}));
  EXPECT_EQ(s.revoke_reason, "logout");
  auto again = Decide(s, RevokeSession{"logout"});
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->empty());
  EXPECT_THAT(Decide(Session{}, RevokeSession{"x"}), HasCode(Code::kNotFound));
}

TEST(SessionTest, ExtendOnlyInsideTheEarliestPossibleExtendWindow) {
  Session s = Fold(Session{}, *Decide(Session{}, Issue(0)), 0);
  // 24 h left, window 1 h: nothing to do.
  auto early = Decide(s, ExtendSession{Timestamp{0}, 24 * kHour, kHour});
  ASSERT_THAT(early, IsOk());
  EXPECT_TRUE(early->empty());
  // 30 minutes left: extended to now + lifespan.
  const int64_t now = 24 * kHour - kHour / 2;
  auto late = Decide(s, ExtendSession{Timestamp{now}, 24 * kHour, kHour});
  ASSERT_THAT(late, IsOk());
  s = Fold(s, *late, now);
  EXPECT_EQ(s.expires_at.micros, now + 24 * kHour);
}

TEST(SessionTest, AalFollowsTheCompletedMethods) {
  EXPECT_EQ(AalOf({}), "aal0");
  EXPECT_EQ(AalOf({{"password", "aal1", {}}}), "aal1");
  EXPECT_EQ(AalOf({{"totp", "aal2", {}}}), "aal0");
  EXPECT_EQ(AalOf({{"password", "aal1", {}}, {"totp", "aal2", {}}}), "aal2");
}

TEST(SessionTest, CodecKeepsDevicesPersonalAndRoundTrips) {
  auto events = *Decide(Session{}, Issue(7));
  auto encoded = Encode(events.front());
  EXPECT_EQ(encoded.plain.dump().find("192.0.2.1"), std::string::npos);
  EXPECT_EQ(encoded.plain.dump().find("curl/8"), std::string::npos);
  EXPECT_NE(encoded.personal.dump().find("192.0.2.1"), std::string::npos);
  auto decoded = Decode(encoded.type, encoded.plain, encoded.personal);
  ASSERT_THAT(decoded, IsOk());
  const auto& issued = std::get<SessionIssued>(*decoded);
  EXPECT_EQ(issued.devices, std::get<SessionIssued>(events.front()).devices);
  // Erased identity: the devices are gone, the rest stays readable.
  auto erased = Decode(encoded.type, encoded.plain, nullptr);
  ASSERT_THAT(erased, IsOk());
  EXPECT_TRUE(std::get<SessionIssued>(*erased).devices.empty());
  EXPECT_THAT(Decode("session.unknown", encoded.plain, nullptr), HasCode(Code::kDataLoss));
}

TEST(SessionTest, RowRoundTrips) {
  Session s = Fold(Session{}, *Decide(Session{}, Issue(7)), 7);
  s.id = "5cb062c1-8e7b-49a5-bebf-9652e5cc4117";
  s = Fold(s, *Decide(s, RevokeSession{"admin"}), 9);
  auto back = FromJson(ToJson(s));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, s);
}

}  // namespace
}  // namespace mneme::domain::session
