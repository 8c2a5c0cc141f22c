// The self-service flow aggregate: lifetime, failures, completion, codec;
// verification and recovery codes (send, reject, accept, rebind).
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

// ---- Verification and recovery ----

constexpr int64_t kExpires = 1000;

// A flow of `kind` created at 0, open until kExpires.
Flow Started(const std::string& kind) {
  FlowCreated c;
  c.kind = kind;
  c.type = "browser";
  c.expires_at = Timestamp{kExpires};
  c.csrf_hash = "csrf-1";
  Flow f;
  f.id = "f";
  auto events = Decide(f, CreateFlow{c});
  EXPECT_THAT(events, IsOk());
  if (events) {
    for (const auto& e : *events) {
      f = Evolve(f, e, Timestamp{0});
    }
  }
  return f;
}

// Decides `command` on `f` and folds what it decided at `at`; fails the test
// when the command is refused.
Flow Then(Flow f, const Command& command, int64_t at) {
  auto events = Decide(f, command);
  EXPECT_THAT(events, IsOk());
  if (events) {
    for (const auto& e : *events) {
      f = Evolve(f, e, Timestamp{at});
    }
  }
  return f;
}

FlowCodeSent CodeSent(const std::string& hash, int64_t expires = 500) {
  FlowCodeSent sent;
  sent.method = "code";
  sent.code_hash = hash;
  sent.expires_at = Timestamp{expires};
  sent.identity_id = "identity-1";
  sent.address = "alice@example.com";
  sent.messages = json::array({{{"id", 1080003}}});
  return sent;
}

FlowCompleted Accepted(const std::string& continue_flow_id = "") {
  FlowCompleted done;
  done.method = "code";
  done.identity_id = "identity-1";
  done.continue_flow_id = continue_flow_id;
  return done;
}

FlowCodeRejected Rejected() {
  return FlowCodeRejected{json::array({{{"id", 4060006}}})};
}

TEST(FlowCodeTest, CodeSentShowsTheCodeFormAndKeepsOnlyTheHash) {
  Flow f = Then(Started("verification"), SendCode{CodeSent("hash-1"), Timestamp{10}}, 10);
  EXPECT_EQ(f.state, "sent_email");
  EXPECT_EQ(f.active, "code");
  EXPECT_EQ(f.code_method, "code");
  EXPECT_EQ(f.code_hash, "hash-1");
  EXPECT_EQ(f.code_expires_at, Timestamp{500});
  EXPECT_EQ(f.code_identity_id, "identity-1");
  EXPECT_EQ(f.code_address, "alice@example.com");
  EXPECT_EQ(f.messages, json::array({{{"id", 1080003}}}));
  EXPECT_FALSE(f.completed);

  // A resend replaces the code: the old hash no longer matches anything.
  FlowCodeSent again = CodeSent("hash-2", 700);
  again.method = "link";
  f = Then(f, SendCode{again, Timestamp{20}}, 20);
  EXPECT_EQ(f.code_hash, "hash-2");
  EXPECT_EQ(f.code_expires_at, Timestamp{700});
  EXPECT_EQ(f.code_method, "link");
  EXPECT_EQ(f.active, "link");
  EXPECT_EQ(f.state, "sent_email");
}

TEST(FlowCodeTest, RejectedCodesCountAgainstTheSubmissionLimit) {
  Flow f = Then(Started("recovery"), SendCode{CodeSent("hash-1"), Timestamp{10}}, 10);
  for (int i = 1; i < kMaxCodeSubmissions; ++i) {
    f = Then(f, RejectCode{Rejected(), Timestamp{10 + i}}, 10 + i);
    EXPECT_EQ(f.code_submissions, i);
  }
  EXPECT_EQ(f.messages, json::array({{{"id", 4060006}}}));
  // The fifth submission is still decided; it may succeed.
  EXPECT_THAT(Decide(f, AcceptCode{Accepted(), Timestamp{20}}), IsOk());
  f = Then(f, RejectCode{Rejected(), Timestamp{20}}, 20);
  EXPECT_EQ(f.code_submissions, kMaxCodeSubmissions);
  // After five, the flow must be restarted, even with the right code.
  EXPECT_THAT(Decide(f, RejectCode{Rejected(), Timestamp{21}}), HasCode(Code::kResourceExhausted));
  EXPECT_THAT(Decide(f, AcceptCode{Accepted(), Timestamp{21}}), HasCode(Code::kResourceExhausted));
  // A resend does not reset the count (Kratos's submit_count belongs to the flow).
  f = Then(f, SendCode{CodeSent("hash-2"), Timestamp{22}}, 22);
  EXPECT_THAT(Decide(f, AcceptCode{Accepted(), Timestamp{23}}), HasCode(Code::kResourceExhausted));
}

TEST(FlowCodeTest, AcceptCodeNeedsALiveCode) {
  Flow fresh = Started("verification");
  EXPECT_THAT(Decide(fresh, AcceptCode{Accepted(), Timestamp{10}}),
              HasCode(Code::kFailedPrecondition));
  // An unknown address: "sent", but nothing can match.
  Flow unknown = Then(fresh, SendCode{CodeSent(""), Timestamp{10}}, 10);
  EXPECT_EQ(unknown.state, "sent_email");
  EXPECT_THAT(Decide(unknown, AcceptCode{Accepted(), Timestamp{11}}),
              HasCode(Code::kFailedPrecondition));
  Flow sent = Then(fresh, SendCode{CodeSent("hash-1", 500), Timestamp{10}}, 10);
  EXPECT_THAT(Decide(sent, AcceptCode{Accepted(), Timestamp{499}}), IsOk());
  EXPECT_THAT(Decide(sent, AcceptCode{Accepted(), Timestamp{500}}),
              HasCode(Code::kFailedPrecondition));
  EXPECT_THAT(Decide(sent, AcceptCode{Accepted(), Timestamp{900}}),
              HasCode(Code::kFailedPrecondition));
}

TEST(FlowCodeTest, AnAcceptedCodePassesTheChallenge) {
  for (const char* kind : {"verification", "recovery"}) {
    SCOPED_TRACE(kind);
    Flow f = Then(Started(kind), SendCode{CodeSent("hash-1"), Timestamp{10}}, 10);
    f = Then(f, RejectCode{Rejected(), Timestamp{11}}, 11);
    f = Then(f, AcceptCode{Accepted("settings-9"), Timestamp{12}}, 12);
    EXPECT_TRUE(f.completed);
    EXPECT_EQ(f.state, "passed_challenge");
    EXPECT_EQ(f.code_hash, "");
    EXPECT_EQ(f.code_submissions, 2);
    EXPECT_EQ(f.continue_flow_id, "settings-9");
    EXPECT_EQ(f.identity_id, "identity-1");
    EXPECT_EQ(f.messages, json::array());
    // A used code cannot be used again.
    EXPECT_THAT(Decide(f, AcceptCode{Accepted(), Timestamp{13}}),
                HasCode(Code::kFailedPrecondition));
    EXPECT_THAT(Decide(f, SendCode{CodeSent("hash-3"), Timestamp{13}}),
                HasCode(Code::kFailedPrecondition));
  }
}

TEST(FlowCodeTest, CompletingALoginFlowLeavesItsCodeStateAlone) {
  Flow f = Then(Started("login"), CompleteFlow{{"password", "i", "s"}, Timestamp{10}}, 10);
  EXPECT_TRUE(f.completed);
  EXPECT_EQ(f.state, "choose_method");
  EXPECT_EQ(f.code_submissions, 0);
}

TEST(FlowCodeTest, ReboundBindsAnotherBrowserAndPrefillsTheCode) {
  Flow f = Then(Started("recovery"), SendCode{CodeSent("hash-1"), Timestamp{10}}, 10);
  FlowFailed failed;
  failed.method = "code";
  failed.values = {{"email", "alice@example.com"}, {"code", "000000"}};
  f = Then(f, FailFlow{failed, Timestamp{11}}, 11);
  f = Then(f, Rebind{FlowRebound{"csrf-2", {{"code", "123456"}}}, Timestamp{12}}, 12);
  EXPECT_EQ(f.csrf_hash, "csrf-2");
  EXPECT_EQ(f.values, (json{{"email", "alice@example.com"}, {"code", "123456"}}));
  EXPECT_EQ(f.code_hash, "hash-1");
  EXPECT_FALSE(f.completed);
  // No new token (an api client): the binding stays.
  f = Then(f, Rebind{FlowRebound{"", {{"flow", "f"}}}, Timestamp{13}}, 13);
  EXPECT_EQ(f.csrf_hash, "csrf-2");
  EXPECT_EQ(f.values["code"], "123456");
  EXPECT_EQ(f.values["flow"], "f");
}

TEST(FlowCodeTest, SettingsFlowsShowTheirFormFromTheStart) {
  EXPECT_EQ(Started("settings").state, "show_form");
  EXPECT_EQ(Started("verification").state, "choose_method");
  EXPECT_EQ(Started("recovery").state, "choose_method");
  EXPECT_EQ(Started("login").state, "choose_method");
}

TEST(FlowCodeTest, CodeCommandsOnAnExpiredFlowAreDeadlineExceeded) {
  Flow f = Then(Started("verification"), SendCode{CodeSent("hash-1", 5000), Timestamp{10}}, 10);
  const Timestamp late{kExpires};
  EXPECT_THAT(Decide(f, SendCode{CodeSent("hash-2"), late}), HasCode(Code::kDeadlineExceeded));
  EXPECT_THAT(Decide(f, RejectCode{Rejected(), late}), HasCode(Code::kDeadlineExceeded));
  EXPECT_THAT(Decide(f, AcceptCode{Accepted(), late}), HasCode(Code::kDeadlineExceeded));
  EXPECT_THAT(Decide(f, Rebind{FlowRebound{"csrf-2", {}}, late}),
              HasCode(Code::kDeadlineExceeded));
  // One microsecond earlier they are decided.
  const Timestamp in_time{kExpires - 1};
  EXPECT_THAT(Decide(f, SendCode{CodeSent("hash-2"), in_time}), IsOk());
  EXPECT_THAT(Decide(f, RejectCode{Rejected(), in_time}), IsOk());
  EXPECT_THAT(Decide(f, AcceptCode{Accepted(), in_time}), IsOk());
  EXPECT_THAT(Decide(f, Rebind{FlowRebound{"csrf-2", {}}, in_time}), IsOk());
}

TEST(FlowCodeTest, CodeCommandsOnAMissingFlowAreNotFound) {
  const Flow none;
  EXPECT_THAT(Decide(none, SendCode{CodeSent("h"), Timestamp{1}}), HasCode(Code::kNotFound));
  EXPECT_THAT(Decide(none, RejectCode{Rejected(), Timestamp{1}}), HasCode(Code::kNotFound));
  EXPECT_THAT(Decide(none, AcceptCode{Accepted(), Timestamp{1}}), HasCode(Code::kNotFound));
  EXPECT_THAT(Decide(none, Rebind{FlowRebound{}, Timestamp{1}}), HasCode(Code::kNotFound));
}

// ---- Codec of the verification and recovery events ----

TEST(FlowCodecTest, CodeSentKeepsTheAddressPersonalAndTheHashPlain) {
  const FlowCodeSent sent = CodeSent("hash-1", 123456789);
  auto encoded = Encode(Event{sent});
  EXPECT_EQ(encoded.type, "flow.code_sent");
  EXPECT_EQ(encoded.plain.dump().find("alice"), std::string::npos);
  EXPECT_EQ(encoded.plain.value("code_hash", ""), "hash-1");
  EXPECT_EQ(encoded.personal.value("address", ""), "alice@example.com");
  EXPECT_EQ(encoded.personal.dump().find("hash-1"), std::string::npos);
  auto decoded = Decode(encoded.type, encoded.plain, encoded.personal);
  ASSERT_THAT(decoded, IsOk());
  const auto& back = std::get<FlowCodeSent>(*decoded);
  EXPECT_EQ(back.method, sent.method);
  EXPECT_EQ(back.code_hash, sent.code_hash);
  EXPECT_EQ(back.expires_at, sent.expires_at);
  EXPECT_EQ(back.identity_id, sent.identity_id);
  EXPECT_EQ(back.messages, sent.messages);
  EXPECT_EQ(back.address, sent.address);

  // Erased (personal null): the address is gone, the rest reads.
  auto erased = Decode(encoded.type, encoded.plain, json());
  ASSERT_THAT(erased, IsOk());
  EXPECT_EQ(std::get<FlowCodeSent>(*erased).address, "");
  EXPECT_EQ(std::get<FlowCodeSent>(*erased).code_hash, "hash-1");
}

TEST(FlowCodecTest, CodeRejectedHasNothingPersonal) {
  auto encoded = Encode(Event{Rejected()});
  EXPECT_EQ(encoded.type, "flow.code_rejected");
  EXPECT_TRUE(encoded.personal.is_null());
  auto decoded = Decode(encoded.type, encoded.plain, encoded.personal);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(std::get<FlowCodeRejected>(*decoded).messages, Rejected().messages);
}

TEST(FlowCodecTest, ReboundKeepsTheCodePersonalAndTheCsrfHashPlain) {
  const FlowRebound rebound{"csrf-2", {{"code", "123456"}}};
  auto encoded = Encode(Event{rebound});
  EXPECT_EQ(encoded.type, "flow.rebound");
  EXPECT_EQ(encoded.plain.dump().find("123456"), std::string::npos);
  EXPECT_EQ(encoded.plain.value("csrf_hash", ""), "csrf-2");
  EXPECT_EQ(encoded.personal.dump().find("csrf-2"), std::string::npos);
  auto decoded = Decode(encoded.type, encoded.plain, encoded.personal);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(std::get<FlowRebound>(*decoded).csrf_hash, "csrf-2");
  EXPECT_EQ(std::get<FlowRebound>(*decoded).values, rebound.values);
}

TEST(FlowCodecTest, CompletedKeepsTheFlowItContinuesTo) {
  auto encoded = Encode(Event{Accepted("settings-9")});
  EXPECT_TRUE(encoded.personal.is_null());
  auto decoded = Decode(encoded.type, encoded.plain, encoded.personal);
  ASSERT_THAT(decoded, IsOk());
  const auto& back = std::get<FlowCompleted>(*decoded);
  EXPECT_EQ(back.continue_flow_id, "settings-9");
  EXPECT_EQ(back.identity_id, "identity-1");
  EXPECT_EQ(back.method, "code");
  // Without a continuation the key is left out and reads back empty.
  auto plain = Encode(Event{Accepted()});
  EXPECT_FALSE(plain.plain.contains("continue_flow_id"));
  EXPECT_EQ(std::get<FlowCompleted>(*Decode(plain.type, plain.plain, plain.personal))
                .continue_flow_id,
            "");
}

TEST(FlowCodecTest, CreatedKeepsSkipCsrfAndIdentity) {
  FlowCreated created;
  created.kind = "recovery";
  created.type = "browser";
  created.expires_at = Timestamp{42};
  created.skip_csrf = true;
  created.identity_id = "identity-1";
  auto encoded = Encode(Event{created});
  EXPECT_EQ(encoded.plain.value("skip_csrf", false), true);
  EXPECT_EQ(encoded.plain.value("identity_id", ""), "identity-1");
  auto decoded = Decode(encoded.type, encoded.plain, encoded.personal);
  ASSERT_THAT(decoded, IsOk());
  const auto& back = std::get<FlowCreated>(*decoded);
  EXPECT_TRUE(back.skip_csrf);
  EXPECT_EQ(back.identity_id, "identity-1");
  Flow f = Evolve(Flow{}, *decoded, Timestamp{1});
  EXPECT_TRUE(f.skip_csrf);
  EXPECT_EQ(f.identity_id, "identity-1");

  // The defaults are left out and read back as defaults.
  created.skip_csrf = false;
  created.identity_id.clear();
  auto bare = Encode(Event{created});
  EXPECT_FALSE(bare.plain.contains("skip_csrf"));
  EXPECT_FALSE(bare.plain.contains("identity_id"));
  auto bare_back = Decode(bare.type, bare.plain, bare.personal);
  ASSERT_THAT(bare_back, IsOk());
  EXPECT_FALSE(std::get<FlowCreated>(*bare_back).skip_csrf);
  EXPECT_EQ(std::get<FlowCreated>(*bare_back).identity_id, "");
}

TEST(FlowCodecTest, MalformedOrUnknownEventsAreDataLoss) {
  EXPECT_THAT(Decode("flow.code_sent", json{{"expires_at", "soon"}}, json()),
              HasCode(Code::kDataLoss));
  EXPECT_THAT(Decode("flow.rebound", json{{"csrf_hash", 7}}, json()), HasCode(Code::kDataLoss));
  EXPECT_THAT(Decode("flow.code_resent", json::object(), json()), HasCode(Code::kDataLoss));
}

}  // namespace
}  // namespace mneme::domain::flow
