// The identity aggregate's rules, given/when/then over events. No storage.
#include "domain/identity/identity.h"

#include "domain/identity/identity_codec.h"
#include "tests/support/test_support.h"

namespace mneme::domain::identity {
namespace {

using mneme::testing::HasCode;
using nlohmann::json;

class Given {
 public:
  explicit Given(std::vector<Event> history) {
    state_.id = "0b5e6a43-8f46-4e5b-9a77-8e4b6e1f0c11";
    int64_t t = 1000;
    for (const auto& e : history) {
      state_ = Evolve(state_, e, Timestamp{t++});
    }
  }
  Given& When(Command c) {
    result_ = Decide(state_, c);
    return *this;
  }
  void ThenEvents(const std::vector<std::string>& types) {
    ASSERT_TRUE(result_.has_value()) << result_.error().ToString();
    std::vector<std::string> got;
    for (const auto& e : *result_) {
      got.push_back(TypeOf(e));
    }
    EXPECT_EQ(got, types);
  }
  void ThenError(Code code) { EXPECT_THAT(result_, HasCode(code)); }
  const Identity& state() const { return state_; }
  const std::vector<Event>& events() const { return *result_; }

 private:
  Identity state_;
  Result<std::vector<Event>> result_ = std::vector<Event>{};
};

Credential Password(std::string identifier) {
  Credential c;
  c.type = "password";
  c.identifiers = {std::move(identifier)};
  c.config = {{"hashed_password", "$2b$04$abc"}};
  return c;
}

IdentityCreated Created(std::string email = "a@example.com") {
  VerifiableAddress v;
  v.id = "v1";
  v.value = email;
  return IdentityCreated{"default", "active", {{"email", email}}, nullptr, nullptr, {v}, {}};
}

TEST(IdentityDecider, CreateEmitsCreatedAndCredentials) {
  CreateIdentity c;
  c.schema_id = "default";
  c.traits = {{"email", "a@example.com"}};
  c.credentials = {Password("a@example.com")};
  Given({}).When(c).ThenEvents({"identity.created", "identity.credential_set"});
}

TEST(IdentityDecider, CreateTwiceIsAlreadyExists) {
  Given({Created()}).When(CreateIdentity{}).ThenError(Code::kAlreadyExists);
}

TEST(IdentityDecider, BadStateIsInvalidArgument) {
  CreateIdentity c;
  c.state = "sleeping";
  Given({}).When(c).ThenError(Code::kInvalidArgument);
}

TEST(IdentityDecider, UpdateEmitsOnlyWhatChanged) {
  Given g({Created()});
  UpdateIdentity u;
  u.schema_id = "default";
  u.state = "inactive";
  u.traits = g.state().traits;
  u.verifiable_addresses = g.state().verifiable_addresses;
  u.metadata_public = {{"plan", "pro"}};
  g.When(u).ThenEvents({"identity.state_changed", "identity.metadata_public_updated"});
}

TEST(IdentityDecider, NothingChangedMeansNoEvents) {
  Given g({Created()});
  UpdateIdentity u;
  u.traits = g.state().traits;
  u.verifiable_addresses = g.state().verifiable_addresses;
  g.When(u).ThenEvents({});
}

TEST(IdentityDecider, IdentifiersFollowTraits) {
  Given g({Created(), CredentialSet{Password("a@example.com")}});
  UpdateIdentity u;
  u.traits = {{"email", "b@example.com"}};
  u.identifiers["password"] = {"b@example.com"};
  g.When(u).ThenEvents({"identity.traits_updated", "identity.credential_set"});
}

TEST(IdentityDecider, MissingIdentityIsNotFound) {
  Given({}).When(UpdateIdentity{}).ThenError(Code::kNotFound);
  Given({}).When(DeleteIdentity{}).ThenError(Code::kNotFound);
  Given({Created(), IdentityDeleted{}}).When(DeleteIdentity{}).ThenError(Code::kNotFound);
  Given({Created(), IdentityDeleted{}}).When(RemoveCredential{"totp"}).ThenError(Code::kNotFound);
}

TEST(IdentityDecider, FirstFactorCredentialsCannotBeRemoved) {
  Given g({Created(), CredentialSet{Password("a@example.com")}});
  g.When(RemoveCredential{"password"}).ThenError(Code::kInvalidArgument);
  g.When(RemoveCredential{"totp"}).ThenError(Code::kNotFound);
  Credential totp;
  totp.type = "totp";
  Given({Created(), CredentialSet{totp}}).When(RemoveCredential{"totp"}).ThenEvents(
      {"identity.credential_removed"});
}

TEST(IdentityDecider, VerifyAddressOnceThenNoop) {
  Given g({Created()});
  g.When(VerifyAddress{"v1"}).ThenEvents({"identity.address_verified"});
  g.When(VerifyAddress{"nope"}).ThenError(Code::kNotFound);
  Given({Created(), AddressVerified{"v1"}}).When(VerifyAddress{"v1"}).ThenEvents({});
}

TEST(IdentityEvolve, AppliesEventsInOrder) {
  Given g({Created(), CredentialSet{Password("a@example.com")}, StateChanged{"inactive"},
           AddressVerified{"v1"}, MetadataAdminUpdated{{{"note", 1}}}});
  const auto& s = g.state();
  EXPECT_TRUE(s.exists);
  EXPECT_EQ(s.state, "inactive");
  EXPECT_EQ(s.state_changed_at->micros, 1002);
  EXPECT_TRUE(s.verifiable_addresses[0].verified);
  EXPECT_EQ(s.verifiable_addresses[0].status, "completed");
  EXPECT_EQ(s.metadata_admin, json({{"note", 1}}));
  EXPECT_EQ(s.credentials.at("password").created_at.micros, 1001);
  EXPECT_EQ(s.created_at.micros, 1000);
  EXPECT_EQ(s.updated_at.micros, 1004);
}

TEST(IdentityClaims, ChangesReleaseOldAndClaimNew) {
  Given before({Created("a@example.com"), CredentialSet{Password("a@example.com")}});
  Given after({Created("b@example.com"), CredentialSet{Password("b@example.com")}});
  auto changes = ClaimChanges(before.state(), after.state());
  std::vector<std::string> got;
  for (const auto& c : changes) {
    got.push_back((c.action == ClaimAction::kClaim ? "+" : "-") + c.kind + "=" + c.value);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"-address.verifiable.email=a@example.com",
                                           "-identifier.password=a@example.com",
                                           "+address.verifiable.email=b@example.com",
                                           "+identifier.password=b@example.com"}));
  Given deleted({Created("a@example.com"), CredentialSet{Password("a@example.com")}, IdentityDeleted{}});
  for (const auto& c : ClaimChanges(before.state(), deleted.state())) {
    EXPECT_EQ(c.action, ClaimAction::kRelease);
  }
}

TEST(IdentityCodec, EventsRoundTripAndPersonalDataIsSeparate) {
  std::vector<Event> events = {Created(), TraitsUpdated{"default", {{"email", "x@y.z"}}, {}, {}},
                               StateChanged{"inactive"}, MetadataPublicUpdated{{{"a", 1}}},
                               CredentialSet{Password("x@y.z")}, CredentialRemoved{"totp"},
                               AddressVerified{"v1"}, IdentityDeleted{}};
  for (const auto& e : events) {
    auto enc = Encode(e);
    EXPECT_EQ(enc.plain.dump().find("@"), std::string::npos) << enc.type << ": " << enc.plain.dump();
    auto back = Decode(enc.type, enc.schema, enc.plain, enc.personal);
    ASSERT_TRUE(back.has_value()) << enc.type;
    EXPECT_EQ(TypeOf(*back), enc.type);
    EXPECT_EQ(Encode(*back).plain, enc.plain);
    EXPECT_EQ(Encode(*back).personal, enc.personal);
  }
  // Erased: personal part missing, the event still decodes with empty fields.
  auto enc = Encode(Created());
  auto erased = Decode(enc.type, enc.schema, enc.plain, nullptr);
  ASSERT_TRUE(erased.has_value());
  EXPECT_EQ(std::get<IdentityCreated>(*erased).traits, json::object());
  EXPECT_THAT(Decode("identity.unknown", 1, {}, nullptr), HasCode(Code::kDataLoss));
}

TEST(IdentityCodec, StateRoundTrip) {
  Given g({Created(), CredentialSet{Password("a@example.com")}, AddressVerified{"v1"}});
  auto back = FromJson(ToJson(g.state()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, g.state());
}

}  // namespace
}  // namespace mneme::domain::identity
