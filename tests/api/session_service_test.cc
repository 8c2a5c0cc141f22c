// SessionService on a real RocksDB store: tokens stored only as keyed hashes,
// whoami reads the read models only, revocation and identity deletion end
// sessions, keys rotate, and a rebuild of sessions_v1 equals the inline rows.
#include "api/session/session_service.h"

#include <fstream>
#include <sstream>

#include "infra/crypto/keyed_hasher.h"
#include "infra/crypto/personal_data_vault.h"
#include "infra/hash/hasher.h"
#include "infra/store/rocks_event_store.h"
#include "infra/system/system.h"
#include "projections/identities.h"
#include "projections/sessions.h"
#include "tests/support/fake_clock.h"
#include "tests/support/service_store.h"
#include "tests/support/test_support.h"

namespace mneme::api {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;
using nlohmann::json;

using ::mneme::testing::FakeClock;

class SessionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({"first-secret-0123456789"}); }
  void Open(std::vector<std::string> secrets) {
    sessions_.reset();
    identities_.reset();
    ASSERT_NO_FATAL_FAILURE(world_.Open(dir_.str()));
    store_ = &world_.store();
    keys_ = std::make_unique<infra::crypto::HmacKeyedHasher>(std::move(secrets));
    identities_ = std::make_unique<IdentityService>(world_.store(), world_.store(), world_.vault(),
                                                    world_.schemas(), world_.hasher(), clock_, ids_);
    SessionOptions options;
    options.lifespan_micros = 3600LL * 1000000;
    options.earliest_possible_extend_micros = 600LL * 1000000;
    sessions_ = std::make_unique<SessionService>(world_.store(), world_.store(), world_.vault(),
                                                 *keys_, random_, clock_, ids_, *identities_,
                                                 options);
  }
  std::string NewIdentity(const std::string& email) {
    auto c = identities_->Create({{"traits", {{"email", email}}}}, "admin", "r");
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    return c->id;
  }
  IssuedSession NewSession(const std::string& identity) {
    auto s = sessions_->Issue(identity, {{"password", "aal1", clock_.Now()}},
                              {"", "198.51.100.7", "agent/1.0", ""}, "r");
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    return *s;
  }

  mneme::testing::TempDir dir_;
  FakeClock clock_;
  infra::system::RandomIdGenerator ids_;
  infra::system::SystemRandom random_;
  mneme::testing::ServiceStore world_{[](domain::PersonalDataCipher& vault) {
    std::vector<std::unique_ptr<domain::Projection>> extra;
    extra.push_back(std::make_unique<projections::Sessions>(vault));
    return extra;
  }};
  infra::store::RocksEventStore* store_ = nullptr;
  std::unique_ptr<infra::crypto::HmacKeyedHasher> keys_;
  std::unique_ptr<IdentityService> identities_;
  std::unique_ptr<SessionService> sessions_;
};

TEST_F(SessionServiceTest, TokensAreRandomAndStoredOnlyAsKeyedHashes) {
  const std::string id = NewIdentity("ada@example.com");
  auto a = NewSession(id);
  auto b = NewSession(id);
  EXPECT_THAT(a.token, ::testing::MatchesRegex("ory_st_[A-Za-z0-9]{32}"));
  EXPECT_THAT(a.logout_token, ::testing::MatchesRegex("ory_lo_[A-Za-z0-9]{32}"));
  EXPECT_NE(a.token, b.token);
  auto events = store_->ReadAll(GlobalPosition(1), 1000);
  ASSERT_THAT(events, IsOk());
  for (const auto& e : *events) {
    EXPECT_EQ(e.data.find(a.token), std::string::npos) << e.type;
    EXPECT_EQ(e.data.find(a.logout_token), std::string::npos) << e.type;
    EXPECT_EQ(e.data.find("198.51.100.7"), std::string::npos) << e.type << " (devices are sealed)";
  }
  auto rows = *store_->ScanRows(projections::Sessions::kName, "", "", 1000);
  for (const auto& [k, v] : rows) {
    EXPECT_EQ(k.find(a.token), std::string::npos);
    EXPECT_EQ(v.find(a.token), std::string::npos);
  }
}

TEST_F(SessionServiceTest, AuthenticateUntilExpiryOrRevocation) {
  const std::string id = NewIdentity("ada@example.com");
  auto s = NewSession(id);
  auto who = sessions_->Authenticate(s.token);
  ASSERT_THAT(who, IsOk());
  EXPECT_EQ(who->identity.id, id);
  EXPECT_EQ(who->session.devices.at(0).ip_address, "198.51.100.7");
  EXPECT_THAT(sessions_->Authenticate("ory_st_unknown"), HasCode(Code::kUnauthenticated));
  EXPECT_THAT(sessions_->Authenticate(""), HasCode(Code::kUnauthenticated));

  clock_.Advance(std::chrono::hours(1));  // exactly the lifespan
  EXPECT_THAT(sessions_->Authenticate(s.token), HasCode(Code::kUnauthenticated));
  clock_.Advance(std::chrono::microseconds(-1));
  ASSERT_THAT(sessions_->Authenticate(s.token), IsOk());

  ASSERT_THAT(sessions_->Revoke(s.session.id, "logout", id, "r"), IsOk());
  EXPECT_THAT(sessions_->Authenticate(s.token), HasCode(Code::kUnauthenticated));
  EXPECT_THAT(sessions_->SessionOfLogoutToken(s.logout_token), HasCode(Code::kNotFound));
  EXPECT_TRUE(sessions_->Get(s.session.id)->revoked);
}

TEST_F(SessionServiceTest, WhoamiRendersAreReusedOnlyWhileNothingChanged) {
  const std::string id = NewIdentity("ada@example.com");
  auto s = NewSession(id);
  auto first = sessions_->Whoami(s.token);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->identity_id, id);
  EXPECT_EQ(json::parse(first->body)["identity"]["traits"]["email"], "ada@example.com");
  auto again = sessions_->Whoami(s.token);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->body, first->body);
  // The identity changes: the next whoami shows it.
  ASSERT_THAT(identities_->Update(id, {{"traits", {{"email", "ada.l@example.com"}}}}, "admin", "r"),
              IsOk());
  auto changed = sessions_->Whoami(s.token);
  ASSERT_THAT(changed, IsOk());
  EXPECT_EQ(json::parse(changed->body)["identity"]["traits"]["email"], "ada.l@example.com");
  // Extended, then expired, then revoked: never the stale answer.
  clock_.Advance(std::chrono::seconds(3300));
  ASSERT_THAT(sessions_->Extend(s.session.id, "r"), IsOk());
  auto extended = sessions_->Whoami(s.token);
  ASSERT_THAT(extended, IsOk());
  EXPECT_NE(json::parse(extended->body)["expires_at"], json::parse(changed->body)["expires_at"]);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_THAT(sessions_->Whoami(s.token), HasCode(Code::kUnauthenticated));
  clock_.Advance(-std::chrono::hours(1));
  ASSERT_THAT(sessions_->Whoami(s.token), IsOk());
  ASSERT_THAT(sessions_->Revoke(s.session.id, "logout", id, "r"), IsOk());
  EXPECT_THAT(sessions_->Whoami(s.token), HasCode(Code::kUnauthenticated));
}

TEST_F(SessionServiceTest, WhoamiNeverWritesToTheLog) {
  const std::string id = NewIdentity("ada@example.com");
  auto s = NewSession(id);
  const auto head = store_->Head();
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(sessions_->Whoami(s.token), IsOk());
    ASSERT_THAT(sessions_->Authenticate(s.token), IsOk());
    ASSERT_THAT(sessions_->Whoami("ory_st_unknown"), HasCode(Code::kUnauthenticated));
  }
  EXPECT_EQ(store_->Head(), head);
}

TEST_F(SessionServiceTest, DisabledOrDeletedIdentitiesHaveNoLiveSession) {
  const std::string id = NewIdentity("ada@example.com");
  auto s = NewSession(id);
  ASSERT_THAT(identities_->Update(id, {{"traits", {{"email", "ada@example.com"}}}, {"state", "inactive"}},
                                  "admin", "r"),
              IsOk());
  EXPECT_THAT(sessions_->Authenticate(s.token), HasCode(Code::kPermissionDenied));
  EXPECT_THAT(sessions_->Whoami(s.token), HasCode(Code::kPermissionDenied));
  ASSERT_THAT(identities_->Delete(id, "admin", "r"), IsOk());
  EXPECT_THAT(sessions_->Whoami(s.token), HasCode(Code::kUnauthenticated));
  EXPECT_THAT(sessions_->Authenticate(s.token), HasCode(Code::kUnauthenticated));
  EXPECT_THAT(sessions_->Get(s.session.id), HasCode(Code::kNotFound));
  EXPECT_TRUE(sessions_->OfIdentity(id, std::nullopt)->empty());
}

TEST_F(SessionServiceTest, RevokeAllKeepsTheCurrentSession) {
  const std::string id = NewIdentity("ada@example.com");
  const std::string other = NewIdentity("bob@example.com");
  auto a = NewSession(id);
  auto b = NewSession(id);
  auto c = NewSession(id);
  auto bob = NewSession(other);
  auto count = sessions_->RevokeAllOf(id, c.session.id, "revoke_active_sessions", id, "r");
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(*count, 2);
  EXPECT_THAT(sessions_->Authenticate(a.token), HasCode(Code::kUnauthenticated));
  EXPECT_THAT(sessions_->Authenticate(b.token), HasCode(Code::kUnauthenticated));
  EXPECT_THAT(sessions_->Authenticate(c.token), IsOk());
  EXPECT_THAT(sessions_->Authenticate(bob.token), IsOk());
  EXPECT_EQ(sessions_->OfIdentity(id, true)->size(), 1u);
  EXPECT_EQ(sessions_->OfIdentity(id, false)->size(), 2u);
}

TEST_F(SessionServiceTest, ExtendOnlyNearExpiry) {
  const std::string id = NewIdentity("ada@example.com");
  auto s = NewSession(id);
  auto same = sessions_->Extend(s.session.id, "r");
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ(same->expires_at, s.session.expires_at);
  clock_.Advance(std::chrono::seconds(3300));  // 5 minutes left, window 10 minutes
  auto later = sessions_->Extend(s.session.id, "r");
  ASSERT_THAT(later, IsOk());
  EXPECT_EQ(later->expires_at.micros, clock_.Now().micros + 3600LL * 1000000);
  EXPECT_THAT(sessions_->Extend("00000000-0000-4000-8000-000000000000", "r"), HasCode(Code::kNotFound));
}

TEST_F(SessionServiceTest, RotatedSecretsStillRecogniseOldTokens) {
  const std::string id = NewIdentity("ada@example.com");
  auto old_session = NewSession(id);
  Open({"second-secret-abcdefghij", "first-secret-0123456789"});
  EXPECT_THAT(sessions_->Authenticate(old_session.token), IsOk());
  auto fresh = NewSession(id);
  EXPECT_THAT(sessions_->Authenticate(fresh.token), IsOk());
  Open({"second-secret-abcdefghij"});
  EXPECT_THAT(sessions_->Authenticate(old_session.token), HasCode(Code::kUnauthenticated));
  EXPECT_THAT(sessions_->Authenticate(fresh.token), IsOk());
}

TEST_F(SessionServiceTest, RebuildEqualsInlineRows) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(NewIdentity("u" + std::to_string(i) + "@example.com"));
  }
  std::vector<IssuedSession> issued;
  for (int i = 0; i < 20; ++i) {
    issued.push_back(NewSession(ids[i % 5]));
  }
  ASSERT_THAT(sessions_->Revoke(issued[3].session.id, "admin", "admin", "r"), IsOk());
  ASSERT_THAT(sessions_->RevokeAllOf(ids[1], "", "admin", "admin", "r"), IsOk());
  ASSERT_THAT(identities_->Delete(ids[2], "admin", "r"), IsOk());
  clock_.Advance(std::chrono::seconds(3300));
  ASSERT_THAT(sessions_->Extend(issued[4].session.id, "r"), IsOk());
  auto rows = *store_->ScanRows(projections::Sessions::kName, "", "", 100000);
  ASSERT_THAT(store_->Rebuild(projections::Sessions::kName), IsOk());
  EXPECT_EQ(*store_->ScanRows(projections::Sessions::kName, "", "", 100000), rows);
}

TEST_F(SessionServiceTest, ListPagesThroughAllSessionsInIdOrder) {
  const std::string id = NewIdentity("ada@example.com");
  for (int i = 0; i < 7; ++i) {
    NewSession(id);
  }
  std::vector<std::string> seen;
  std::string after;
  do {
    auto page = sessions_->List(3, after, std::nullopt);
    ASSERT_THAT(page, IsOk());
    for (const auto& s : page->sessions) {
      seen.push_back(s.id);
    }
    after = page->next_after;
  } while (!after.empty());
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

}  // namespace
}  // namespace mneme::api
